import type { AppInfo } from '../api/system';
import type { BenchApi } from '../api/contract';
import type { InvokeResult } from '../api/errors';
import { CcacheServiceImpl, DecoderServiceImpl, KeytabServiceImpl } from '../inspect/service';
import { ProfileServiceImpl } from '../inspect/profile-service';
import type { BrokerServiceImpl } from '../broker/service';
import type { DiagnoseServiceImpl } from '../diagnose/service';
import { GssSupervisor } from '../gss/supervisor';
import type { ProbeServiceImpl } from '../probe/service';
import { LabServiceImpl } from '../lab/service';
import type { SaslServiceImpl } from '../sasl/service';
import { SystemServiceImpl } from '../system/service';
import { defaultDataDir } from '../system/paths';
import type { CaptureServiceImpl } from '../capture/service';
import type { ChainServiceImpl } from '../broker/chain/service';
import type { HttpServiceImpl } from '../http/service';
import type { ExportServiceImpl } from '../export/service';
import type { ImportServiceImpl } from '../export/import/service';
import type { SpnServiceImpl } from '../spn/service';
import type { NegotiateServiceImpl } from '../http/negotiate-service';
import { HistoryServiceImpl } from '../workspace/history';
import { WorkspaceServiceImpl } from '../workspace/service';
import type { SaslPeerView, SaslRunView } from '../api/sasl';
import type { Exchange } from '../exchange/model';
import { BenchEventBus } from './events';
import type { EngineContext } from './context';
import { LazyService } from './lazy';

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
  const history = new HistoryServiceImpl();
  const stopHistory = recordHistory(events, history);
  // The services with heavy modules load at their first call (lazy.ts): a CLI command or the
  // window's first view pays only for what it uses.
  const broker = new LazyService<BrokerServiceImpl>(async () => new (await import('../broker/service')).BrokerServiceImpl(context, supervisor, lab));
  const probe = new LazyService<ProbeServiceImpl>(async () => new (await import('../probe/service')).ProbeServiceImpl(context, supervisor, lab));
  const diagnose = new LazyService<DiagnoseServiceImpl>(async () => new (await import('../diagnose/service')).DiagnoseServiceImpl(context, supervisor, lab));
  const http = new LazyService<HttpServiceImpl>(async () => new (await import('../http/service')).HttpServiceImpl(context, supervisor, lab));
  const negotiate = new LazyService<NegotiateServiceImpl>(async () => new (await import('../http/negotiate-service')).NegotiateServiceImpl(context, supervisor, lab));
  const chain = new LazyService<ChainServiceImpl>(async () => new (await import('../broker/chain/service')).ChainServiceImpl(context, supervisor, lab));
  const importer = new LazyService<ImportServiceImpl>(async () => new (await import('../export/import/service')).ImportServiceImpl(context, supervisor, lab));
  const exporter = new LazyService<ExportServiceImpl>(async () => new (await import('../export/service')).ExportServiceImpl(context, supervisor, lab, history, importer.service));
  const sasl = new LazyService<SaslServiceImpl>(async () => {
    const service = new (await import('../sasl/service')).SaslServiceImpl(supervisor, lab);
    return tapExchanges(service, ['start', 'step', 'finish', 'send', 'peerStart', 'peerReceive', 'peerProtect', 'peerUnprotect', 'closePeer', 'decodeTranscript'], history);
  });
  // A replay needs the broker (aedes) and the probe (MQTT.js): loaded with the first replay, not with a scan.
  const capture = new LazyService<CaptureServiceImpl>(async () => {
    const { CaptureServiceImpl } = await import('../capture/service');
    return new CaptureServiceImpl(context, async (options) => (await import('../capture/replay')).replayExchange(options, { lab, probe: probe.service, supervisor }));
  });
  const spn = new LazyService<SpnServiceImpl>(async () => new (await import('../spn/service')).SpnServiceImpl(context, supervisor, lab));
  const api: BenchApi = {
    system: new SystemServiceImpl(context),
    keytab: new KeytabServiceImpl(),
    ccache: new CcacheServiceImpl(),
    profile: new ProfileServiceImpl(),
    decoder: new DecoderServiceImpl(),
    lab,
    sasl: sasl.service,
    broker: broker.service,
    probe: probe.service,
    diagnose: diagnose.service,
    workspace: new WorkspaceServiceImpl(context.dataDir),
    history,
    capture: capture.service,
    http: http.service,
    negotiate: negotiate.service,
    chain: chain.service,
    export: exporter.service,
    importer: importer.service,
    spn: spn.service,
  };
  const lazy = [broker, probe, diagnose, capture, sasl, http, negotiate, chain, exporter, importer, spn];
  return {
    api,
    events,
    // The validators (zod and every schema) load with the first request too.
    invoke: async (request) => (await import('./dispatch')).dispatch(api, request),
    dispose: async () => {
      stopHistory();
      // A running scenario restores the lab first: it needs the lab and the GSS workers to do so.
      await Promise.all(lazy.map((service) => service.dispose()));
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
