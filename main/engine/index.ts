import type { AppInfo } from '../api/system';
import type { BenchApi } from '../api/contract';
import type { InvokeResult } from '../api/errors';
import { CcacheServiceImpl, DecoderServiceImpl, KeytabServiceImpl } from '../inspect/service';
import { BrokerServiceImpl } from '../broker/service';
import { DiagnoseServiceImpl } from '../diagnose/service';
import { GssSupervisor } from '../gss/supervisor';
import { ProbeServiceImpl } from '../probe/service';
import { LabServiceImpl } from '../lab/service';
import { SaslServiceImpl } from '../sasl/service';
import { SystemServiceImpl } from '../system/service';
import { defaultDataDir } from '../system/paths';
import { dispatch } from './dispatch';
import { BenchEventBus } from './events';
import type { EngineContext } from './context';

export interface EngineOptions {
  runtime: AppInfo['runtime'];
  /** Where lab realms, saved Exchanges and settings live. Default: the platform's data dir. */
  dataDir?: string;
  /** Version of the Electron runtime when the engine runs inside it. */
  electronVersion?: string | null;
}

/** One engine instance per process: the services, their event bus and the generic dispatcher. */
export interface Engine {
  readonly api: BenchApi;
  readonly events: BenchEventBus;
  invoke(request: unknown): Promise<InvokeResult>;
  dispose(): Promise<void>;
}

export function createEngine(options: EngineOptions): Engine {
  const events = new BenchEventBus();
  const context: EngineContext = {
    runtime: options.runtime,
    dataDir: options.dataDir ?? defaultDataDir(),
    electronVersion: options.electronVersion ?? null,
    events,
  };
  // GSS workers start with the first GSS call, not with the engine.
  let gss: GssSupervisor | undefined;
  const supervisor = () => (gss ??= new GssSupervisor());
  const lab = new LabServiceImpl(context);
  const broker = new BrokerServiceImpl(context, supervisor, lab);
  const probe = new ProbeServiceImpl(context, supervisor, lab);
  const api: BenchApi = {
    system: new SystemServiceImpl(context),
    keytab: new KeytabServiceImpl(),
    ccache: new CcacheServiceImpl(),
    decoder: new DecoderServiceImpl(),
    lab,
    sasl: new SaslServiceImpl(supervisor, lab),
    broker,
    probe,
    diagnose: new DiagnoseServiceImpl(context, supervisor, lab),
  };
  return {
    api,
    events,
    invoke: (request) => dispatch(api, request),
    dispose: async () => {
      await Promise.all([broker.dispose(), probe.dispose()]);
      await Promise.all([gss?.dispose(), lab.dispose()]);
    },
  };
}
