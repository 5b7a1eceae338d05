import type { AppInfo } from '../api/system';
import type { BenchApi } from '../api/contract';
import type { InvokeResult } from '../api/errors';
import { CcacheServiceImpl, DecoderServiceImpl, KeytabServiceImpl } from '../inspect/service';
import { ProfileServiceImpl } from '../inspect/profile-service';
import { BrokerServiceImpl } from '../broker/service';
import { DiagnoseServiceImpl } from '../diagnose/service';
import { GssSupervisor } from '../gss/supervisor';
import { ProbeServiceImpl } from '../probe/service';
import { LabServiceImpl } from '../lab/service';
import { SaslServiceImpl } from '../sasl/service';
import { SystemServiceImpl } from '../system/service';
import { defaultDataDir } from '../system/paths';
import { replayExchange } from '../capture/replay';
import { CaptureServiceImpl } from '../capture/service';
import { ChainServiceImpl } from '../broker/chain/service';
import { HttpServiceImpl } from '../http/service';
import { ExportServiceImpl } from '../export/service';
import { ImportServiceImpl } from '../export/import/service';
import { SpnServiceImpl } from '../spn/service';
import { NegotiateServiceImpl } from '../http/negotiate-service';
import { HistoryServiceImpl } from '../workspace/history';
import { WorkspaceServiceImpl } from '../workspace/service';
import type { SaslPeerView, SaslRunView } from '../api/sasl';
import type { Exchange } from '../exchange/model';
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
  const diagnose = new DiagnoseServiceImpl(context, supervisor, lab);
  const history = new HistoryServiceImpl();
  const stopHistory = recordHistory(events, history);
  const http = new HttpServiceImpl(context, supervisor, lab);
  const negotiate = new NegotiateServiceImpl(context, supervisor, lab);
  const chain = new ChainServiceImpl(context, supervisor, lab);
  const importer = new ImportServiceImpl(context, supervisor, lab);
  const exporter = new ExportServiceImpl(context, supervisor, lab, history, importer);
  const sasl = new SaslServiceImpl(supervisor, lab);
  const capture = new CaptureServiceImpl(context, (options) => replayExchange(options, { lab, probe, supervisor }));
  const api: BenchApi = {
    system: new SystemServiceImpl(context),
    keytab: new KeytabServiceImpl(),
    ccache: new CcacheServiceImpl(),
    profile: new ProfileServiceImpl(),
    decoder: new DecoderServiceImpl(),
    lab,
    sasl: tapExchanges(sasl, ['start', 'step', 'finish', 'send', 'peerStart', 'peerReceive', 'peerProtect', 'peerUnprotect', 'closePeer', 'decodeTranscript'], history),
    broker,
    probe,
    diagnose,
    workspace: new WorkspaceServiceImpl(context.dataDir),
    history,
    capture,
    http,
    negotiate,
    chain,
    export: exporter,
    importer,
    spn: new SpnServiceImpl(context, supervisor, lab),
  };
  return {
    api,
    events,
    invoke: (request) => dispatch(api, request),
    dispose: async () => {
      stopHistory();
      // A running scenario restores the lab first: it needs the lab and the GSS workers to do so.
      await Promise.all([broker.dispose(), probe.dispose(), diagnose.dispose(), capture.dispose(), sasl.dispose(), http.dispose(), negotiate.dispose(), chain.dispose(), exporter.dispose(), importer.dispose()]);
      await Promise.all([gss?.dispose(), lab.dispose()]);
    },
  };
}

/** Broker connections and probe runs reach the history as they change, through their events. */
function recordHistory(events: BenchEventBus, history: HistoryServiceImpl): () => void {
  return events.subscribe((event) => {
    if (event.name === 'broker.exchange' || event.name === 'http.exchange') history.record(event.payload);
    else if (event.name === 'negotiate.update') history.record(event.payload.exchange);
    else if (event.name === 'probe.update') for (const exchange of event.payload.exchanges) history.record(exchange);
  });
}

/** The Exchanges a service result carries: an Exchange, a SASL run's two sides, or a SASL peer's one. */
function exchangesIn(result: unknown): Exchange[] {
  const value = result as Partial<SaslRunView & SaslPeerView & Exchange> | undefined;
  if (value?.client && value.server) return [value.client, value.server];
  if (value?.exchange) return [value.exchange];
  if (value?.steps && value.verdict && value.id) return [value as Exchange];
  return [];
}

/** The service, with these methods' resulting Exchanges recorded in the history. */
function tapExchanges<T extends object>(service: T, methods: (keyof T & string)[], history: HistoryServiceImpl): T {
  for (const name of methods) {
    const method = service[name] as (...args: unknown[]) => Promise<unknown>;
    Object.defineProperty(service, name, {
      value: async (...args: unknown[]) => {
        const result = await method.apply(service, args);
        for (const exchange of exchangesIn(result)) history.record(exchange);
        return result;
      },
    });
  }
  return service;
}
