/** The broker as a Bench API service: one broker per engine, started and stopped from the UI. */
import path from 'node:path';
import type { BrokerService, BrokerStartOptions, BrokerStatus } from '../api/broker';
import type { LabService } from '../api/lab';
import type { EngineContext } from '../engine/context';
import { Coalescer } from '../engine/coalesce';
import { BenchFailure } from '../engine/failure';
import type { Exchange } from '../exchange/model';
import { systemProfile } from '../gss/profiles';
import type { GssSupervisor } from '../gss/supervisor';
import type { Authenticator } from './auth';
import { startBroker, type Broker, type ListenerConfig } from './broker';
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
    if (options.tcp) listeners.push({ protocol: 'tcp', ...common });
    let tlsCertificate: string | undefined;
    if (options.tls) {
      const files = await ensureSelfSignedCertificate(path.join(this.context.dataDir, 'broker-tls'));
      tlsCertificate = files.certFile;
      listeners.push({ protocol: 'tls', tls: { ...files, ...(options.keyLogFile ? { keyLogFile: options.keyLogFile } : {}) }, ...common });
    }
    if (options.ws) listeners.push({ protocol: 'ws', ...common });
    this.broker = await startBroker({ listeners });
    this.broker.onExchange((event) => this.context.events.emit('broker.exchange', event.exchange));
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
      tls: async () => {
        const files = await ensureSelfSignedCertificate(path.join(this.context.dataDir, 'broker-tls'));
        tlsCertificate = files.certFile;
        return { ...files, ...(options.keyLogFile ? { keyLogFile: options.keyLogFile } : {}) };
      },
      kerberos: (config) =>
        chainKerberosAuthenticator(config, {
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
    this.broker.onExchange((event) => this.context.events.emit('broker.exchange', event.exchange));
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
    this.details = {};
    return this.emitStatus();
  }

  async status(): Promise<BrokerStatus> {
    const broker = this.broker;
    return {
      running: Boolean(broker),
      listeners: (broker?.listeners ?? []).map((l) => ({
        name: l.name,
        url: l.url,
        protocol: l.protocol,
        fellBack: l.fellBack,
        authDeadlineMs: l.authDeadlineMs,
        holdDeadlineWhileStepping: l.holdDeadlineWhileStepping,
      })),
      connections: broker?.connectionCount ?? 0,
      ...this.details,
    };
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
