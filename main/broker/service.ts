/** The broker as a Bench API service: one broker per engine, started and stopped from the UI. */
import path from 'node:path';
import type { BrokerListenerChain, BrokerService, BrokerStartOptions, BrokerStatus } from '../api/broker';
import type { LabService } from '../api/lab';
import type { EngineContext } from '../engine/context';
import { Coalescer } from '../engine/coalesce';
import { BenchFailure } from '../engine/failure';
import type { Exchange } from '../exchange/model';
import { systemProfile } from '../gss/profiles';
import type { GssSupervisor } from '../gss/supervisor';
import type { Authenticator } from './auth';
import { startBroker, type Broker, type BrokerExchangeEvent, type ListenerConfig } from './broker';
import { chainKerberosAuthenticator, chainListenerConfigs, loadChainListeners } from './chain/setup';
import { kerberosAuthenticator } from './kerberos-setup';
import { ensureSelfSignedCertificate } from './tls';

/** Status events for connection-count changes are coalesced over this window. */

export class BrokerServiceImpl implements BrokerService {
  private broker: Broker | undefined;
  /** Status events for count changes are coalesced: one per burst. */
  private readonly statusLater = new Coalescer(() => void this.emitStatus());
  private authenticator: Authenticator | undefined;
  /** Disposes the chains' methods and authenticators of a broker started from a chain file. */
  private disposeChains: (() => Promise<void>) | undefined;
  private details: Omit<BrokerStatus, 'running' | 'listeners' | 'connections'> = {};
  /** Started from a chain file: each listener's chain, in the broker's listener order. */
  private listenerChains: BrokerListenerChain[] = [];

  constructor(
    private readonly context: EngineContext,
    private readonly gss: () => GssSupervisor,
    private readonly lab: LabService,
  ) {}

  async start(options: BrokerStartOptions): Promise<BrokerStatus> {
    if (this.broker) await this.stop();
    if (options.chainFile) return this.startWithChains(options, options.chainFile);
    if (!options.tcp && !options.tls && !options.ws) throw new BenchFailure('choose at least one listener (TCP, TLS or WebSocket)');
    let keytab: string;
    let principal: string;
    let profile;
    if (options.credentials === 'lab') {
      // Another lab realm (an AD one) gets its own profile id: one GSS worker per realm, as the probe does.
      const status = await this.lab.up(options.realm ? { realm: options.realm } : {});
      profile = options.realm ? { ...(await this.lab.profile({ realm: options.realm })), id: `lab:${options.realm}` } : await this.lab.profile();
      keytab = options.keytab ?? status.keytabs.service;
      principal = options.principal ?? `mqtt/localhost@${status.realm}`;
    } else {
      if (!options.principal || !options.keytab) throw new BenchFailure('a custom broker needs a principal (service/FQDN@REALM) and a keytab');
      profile = systemProfile();
      keytab = options.keytab;
      principal = options.principal;
    }
    try {
      this.authenticator = await kerberosAuthenticator({ gss: this.gss(), profile, keytabFile: keytab, principal, variant: options.variant });
    } catch (error) {
      throw new BenchFailure((error as Error).message);
    }
    const common: Omit<ListenerConfig, 'protocol'> = {
      authenticators: [this.authenticator],
      allowAnonymous: options.allowAnonymous,
      ...(options.maxAuthRounds ? { maxAuthRounds: options.maxAuthRounds } : {}),
      ...(options.authDeadlineMs ? { authDeadlineMs: options.authDeadlineMs } : {}),
      ...(options.holdDeadlineWhileStepping !== undefined ? { holdDeadlineWhileStepping: options.holdDeadlineWhileStepping } : {}),
    };
    const listeners: ListenerConfig[] = [];
    const at = options.addresses ?? {};
    if (options.tcp) listeners.push({ protocol: 'tcp', ...at.tcp, ...common });
    let tlsCertificate: string | undefined;
    if (options.tls) {
      // The self-signed certificate is what a client must trust: the status names it (not a certificate of the user's own).
      const files = options.tlsFiles ?? (await ensureSelfSignedCertificate(path.join(this.context.dataDir, 'broker-tls')));
      if (!options.tlsFiles) tlsCertificate = files.certFile;
      listeners.push({ protocol: 'tls', ...at.tls, tls: { ...files, ...(options.keyLogFile ? { keyLogFile: options.keyLogFile } : {}) }, ...common });
    }
    if (options.ws) listeners.push({ protocol: 'ws', ...at.ws, ...common });
    this.broker = await startBroker({ listeners });
    this.broker.onExchange((event) => this.emitExchange(event));
    this.broker.onConnectionCount(() => this.statusLater.soon());
    this.details = {
      method: this.authenticator.method,
      principal,
      keytab,
      variant: options.variant,
      allowAnonymous: options.allowAnonymous,
      ...(tlsCertificate ? { tlsCertificate } : {}),
      startedAt: new Date().toISOString(),
    };
    return this.emitStatus();
  }

  /** The listeners and their chains from Azure's YAML; the kerberos method gets the options' credentials. */
  private async startWithChains(options: BrokerStartOptions, file: string): Promise<BrokerStatus> {
    const resolved = await loadChainListeners(file);
    let tlsCertificate: string | undefined;
    const setup = await chainListenerConfigs(resolved, {
      ...(options.freePorts ? { port: 0 } : {}),
      tls: async () => {
        const files = await ensureSelfSignedCertificate(path.join(this.context.dataDir, 'broker-tls'));
        tlsCertificate = files.certFile;
        return { ...files, ...(options.keyLogFile ? { keyLogFile: options.keyLogFile } : {}) };
      },
      kerberos: (config) =>
        // credentials 'custom': a kerberos method without a keytab of its own takes the options' principal and keytab, not the lab's.
        chainKerberosAuthenticator(options.credentials === 'custom' && !config.keytab ? { ...config, credentials: 'custom' } : config, {
          gss: this.gss(),
          lab: this.lab,
          variant: options.variant,
          ...(options.principal ? { principal: options.principal } : {}),
          ...(options.keytab ? { keytab: options.keytab } : {}),
          ...(options.realm ? { realm: options.realm } : {}),
        }),
    });
    const limits = {
      ...(options.maxAuthRounds ? { maxAuthRounds: options.maxAuthRounds } : {}),
      ...(options.authDeadlineMs ? { authDeadlineMs: options.authDeadlineMs } : {}),
      ...(options.holdDeadlineWhileStepping !== undefined ? { holdDeadlineWhileStepping: options.holdDeadlineWhileStepping } : {}),
    };
    try {
      this.broker = await startBroker({ listeners: setup.listeners.map((l) => ({ ...l, ...limits })) });
    } catch (error) {
      await setup.dispose();
      throw new BenchFailure(`the chain's listeners did not start: ${(error as Error).message}`);
    }
    this.disposeChains = setup.dispose;
    this.listenerChains = setup.listeners.map((l, i) => ({
      listener: setup.names[i]!,
      ...(l.chain?.name ? { name: l.chain.name } : {}),
      methods: (l.chain?.methods ?? []).map((m) => m.kind),
      authenticationEnabled: l.chain?.authenticationEnabled ?? true,
    }));
    this.broker.onExchange((event) => this.emitExchange(event));
    this.broker.onConnectionCount(() => this.statusLater.soon());
    const method = setup.listeners.flatMap((l) => l.authenticators ?? [])[0]?.method;
    this.details = { chainFile: file, variant: options.variant, ...(method ? { method } : {}), ...(tlsCertificate ? { tlsCertificate } : {}), startedAt: new Date().toISOString() };
    return this.emitStatus();
  }

  async stop(): Promise<BrokerStatus> {
    const broker = this.broker;
    this.broker = undefined;
    await broker?.close();
    this.statusLater.cancel();
    await this.authenticator?.dispose?.();
    this.authenticator = undefined;
    await this.disposeChains?.();
    this.disposeChains = undefined;
    this.listenerChains = [];
    this.details = {};
    return this.emitStatus();
  }

  async status(): Promise<BrokerStatus> {
    const broker = this.broker;
    return {
      running: Boolean(broker),
      listeners: (broker?.listeners ?? []).map((l, i) => ({
        name: l.name,
        url: l.url,
        protocol: l.protocol,
        fellBack: l.fellBack,
        authDeadlineMs: l.authDeadlineMs,
        holdDeadlineWhileStepping: l.holdDeadlineWhileStepping,
        ...(this.listenerChains[i] ? { chain: this.listenerChains[i] } : {}),
      })),
      connections: broker?.connectionCount ?? 0,
      ...this.details,
    };
  }

  /** Every change goes out as `broker.exchange` (the views follow the steps); a verdict also as `broker.verdict` (a log line). */
  private emitExchange(event: BrokerExchangeEvent): void {
    this.context.events.emit('broker.exchange', event.exchange);
    if (event.kind === 'verdict') this.context.events.emit('broker.verdict', event.exchange);
  }

  private async emitStatus(): Promise<BrokerStatus> {
    const status = await this.status();
    this.context.events.emit('broker.status', status);
    return status;
  }

  async exchanges(): Promise<Exchange[]> {
    return structuredClone([...(this.broker?.exchanges ?? [])]);
  }

  async dispose(): Promise<void> {
    await this.stop();
  }
}
