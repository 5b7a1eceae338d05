/**
 * The bench's local MQTT 5 broker: aedes behind the enhanced-authentication gateway, on TCP,
 * TLS and WebSocket listeners, each with its own authentication methods and limits. Every
 * connection's Exchange is kept (the most recent ones) and reported live to subscribers.
 */
import { Aedes, type AedesOptions } from 'aedes';
import type { Exchange, ExchangeStep } from '../exchange/model';
import type { Authenticator } from './auth';
import type { AuthChain } from './chain/chain';
import { isLoopback } from './auth-deadline';
import { MAX_REMAINING_LENGTH } from './framing';
import { Gateway, type GatewayListener } from './gateway';
import { type ListenerAddress, type ListenerEndpoint, type RunningListener, startListener } from './listeners';

export type { ListenerAddress, ListenerProtocol } from './listeners';
export { identityOf, type GatewayClient, type Admission } from './gateway';

export const BROKER_DEFAULTS = {
  /** 1 MiB: big enough for any Kerberos token, small enough that a bogus length costs nothing. */
  maxPacketSize: 1024 * 1024,
  maxAuthRounds: 10,
  authDeadlineMs: 10_000,
  exchangeLimit: 200,
} as const;

export interface ListenerConfig extends ListenerEndpoint {
  /** The authentication methods this listener offers (Authentication Method → authenticator). */
  authenticators?: Authenticator[];
  /**
   * Let clients without an Authentication Method in (MQTT 3.1.1, or 5 without one); their User
   * Name is then unverified. Default false: they get CONNACK 0x87 (3.1.1: return code 5).
   */
  allowAnonymous?: boolean;
  /** Largest packet accepted from a client, in bytes (advertised in CONNACK). Default 1 MiB. */
  maxPacketSize?: number;
  /** Most AUTH 0x18 challenges per (re-)authentication. Default 10. */
  maxAuthRounds?: number;
  /** Accept → CONNACK, and each re-authentication, in ms. Default 10 000. */
  authDeadlineMs?: number;
  /**
   * Replace the deadline by a 10-minute cap for a bench probe on this machine that steps through
   * the packets (auth-deadline.ts). Default: on when the listener binds a loopback address.
   */
  holdDeadlineWhileStepping?: boolean;
  /**
   * An Azure IoT MQ authentication-method chain that decides every CONNECT on this listener
   * (allowAnonymous is then not used; the authenticators serve the chain's kerberos method).
   * A TLS listener asks for a client certificate when the chain has x509.
   */
  chain?: AuthChain;
}

/** A listener's address and the authentication limits it runs with. */
export interface BrokerListener extends ListenerAddress {
  authDeadlineMs: number;
  maxAuthRounds: number;
  holdDeadlineWhileStepping: boolean;
}

export interface BrokerConfig {
  /** Default: one TCP listener on 127.0.0.1:1883 (or a free port). */
  listeners?: ListenerConfig[];
  /**
   * aedes options and hooks (authorizePublish, authorizeSubscribe, published …). Not
   * `authenticate`: the gateway decides who is in; hooks read the identity with `identityOf`.
   * Not `maximumPacketSize`: each listener has its own (the gateway enforces and advertises it).
   */
  aedes?: Omit<AedesOptions, 'authenticate' | 'maximumPacketSize'>;
  /** How many recent connections' Exchanges to keep. Default 200. */
  exchangeLimit?: number;
  /** Put the refusal's reason in words in CONNACK/DISCONNECT's Reason String. Default true. */
  sendReasonString?: boolean;
}

export type BrokerExchangeEvent =
  /** A step was added to a connection's Exchange (the first step: a new connection). */
  | { kind: 'step'; exchange: Exchange; step: ExchangeStep }
  /** A connection's verdict was set, or changed (re-authentication, disconnect). */
  | { kind: 'verdict'; exchange: Exchange };

export interface Broker {
  readonly aedes: Aedes;
  /** The listeners' actual addresses and limits, in config order. */
  readonly listeners: readonly BrokerListener[];
  /** The most recent connections' Exchanges, oldest first. */
  readonly exchanges: readonly Exchange[];
  /** Client connections open now. */
  readonly connectionCount: number;
  /** Every step and verdict of every connection; returns the unsubscribe function. */
  onExchange(listener: (event: BrokerExchangeEvent) => void): () => void;
  /** Called with the open-connection count whenever it changes; returns the unsubscribe function. */
  onConnectionCount(listener: (count: number) => void): () => void;
  /** Drops every connection, stops the listeners and aedes. Authenticators stay the caller's. */
  close(): Promise<void>;
}

function positive(value: number | undefined, fallback: number, what: string): number {
  const result = value ?? fallback;
  if (!Number.isFinite(result) || result <= 0) throw new Error(`${what} must be a positive number, got ${value}`);
  return result;
}

function gatewayListener(config: ListenerConfig, address: ListenerAddress): GatewayListener {
  const authenticators = new Map<string, Authenticator>();
  for (const authenticator of config.authenticators ?? []) {
    if (authenticators.has(authenticator.method)) throw new Error(`listener ${address.name}: two authenticators for "${authenticator.method}"`);
    authenticators.set(authenticator.method, authenticator);
  }
  return {
    info: { name: address.name, protocol: address.protocol },
    authenticators,
    allowAnonymous: config.allowAnonymous ?? false,
    maxPacketSize: Math.min(positive(config.maxPacketSize, BROKER_DEFAULTS.maxPacketSize, 'maxPacketSize'), MAX_REMAINING_LENGTH),
    maxAuthRounds: positive(config.maxAuthRounds, BROKER_DEFAULTS.maxAuthRounds, 'maxAuthRounds'),
    authDeadlineMs: positive(config.authDeadlineMs, BROKER_DEFAULTS.authDeadlineMs, 'authDeadlineMs'),
    holdDeadlineWhileStepping: config.holdDeadlineWhileStepping ?? isLoopback(address.host),
    ...(config.chain ? { chain: config.chain } : {}),
  };
}

/** Recent Exchanges and their live subscribers. */
class ExchangeLog {
  readonly recent: Exchange[] = [];
  private readonly subscribers = new Set<(event: BrokerExchangeEvent) => void>();

  constructor(private readonly limit: number) {}

  subscribe(listener: (event: BrokerExchangeEvent) => void): () => void {
    this.subscribers.add(listener);
    return () => this.subscribers.delete(listener);
  }

  /** Someone watches: events are made only then (a busy broker records steps by the thousand). */
  get watched(): boolean {
    return this.subscribers.size > 0;
  }

  emit(event: BrokerExchangeEvent): void {
    for (const subscriber of this.subscribers) {
      try {
        subscriber(event);
      } catch {
        // A subscriber's bug must not break the connection that is being recorded.
      }
    }
  }

  keep(exchange: Exchange): void {
    this.recent.push(exchange);
    if (this.recent.length > this.limit) this.recent.shift();
  }
}

type StartedListener = RunningListener & { settings: GatewayListener };

async function startListeners(configs: ListenerConfig[], gateway: Gateway): Promise<StartedListener[]> {
  const running: StartedListener[] = [];
  const opened: RunningListener[] = [];
  try {
    for (const config of configs) {
      // The listener's settings name its actual address, known once it listens.
      const slot: { listener?: GatewayListener } = {};
      const maxPacketSize = config.maxPacketSize ?? BROKER_DEFAULTS.maxPacketSize;
      // x509 judges the client certificate itself: ask for one, and let the chain decide.
      const endpoint = config.tls && config.chain?.has('x509') ? { ...config, tls: { ...config.tls, requestCert: true } } : config;
      const started = await startListener(
        endpoint,
        (stream, remoteAddress) => (slot.listener ? gateway.accept(stream, slot.listener, remoteAddress) : stream.destroy()),
        // A WebSocket message may hold a whole packet plus a few small ones.
        maxPacketSize + 64 * 1024,
      );
      opened.push(started);
      slot.listener = gatewayListener(config, started.address);
      running.push({ ...started, settings: slot.listener });
    }
  } catch (error) {
    await Promise.all(opened.map((r) => r.close()));
    throw error;
  }
  return running;
}

export async function startBroker(config: BrokerConfig = {}): Promise<Broker> {
  const log = new ExchangeLog(positive(config.exchangeLimit, BROKER_DEFAULTS.exchangeLimit, 'exchangeLimit'));
  // The gateway needs aedes and aedes needs the gateway's hook: bind the hook late.
  const late: { gateway?: Gateway } = {};
  const aedes = await Aedes.createBroker({
    ...config.aedes,
    maximumPacketSize: 0,
    authenticate: (client, username, password, done) => late.gateway!.authenticate(client, username, password, done),
  });
  const countListeners = new Set<(count: number) => void>();
  const gateway = (late.gateway = new Gateway({
    aedes,
    connectionsChanged: (count) => {
      for (const listener of countListeners) listener(count);
    },
    sendReasonString: config.sendReasonString ?? true,
    exchanges: {
      opened: (recorder) => {
        log.keep(recorder.exchange);
        recorder.onStep((step, exchange) => {
          if (log.watched) log.emit({ kind: 'step', exchange, step });
        });
      },
      verdict: (exchange) => {
        if (log.watched) log.emit({ kind: 'verdict', exchange });
      },
    },
  }));
  let listeners: StartedListener[];
  try {
    listeners = await startListeners(config.listeners ?? [{ protocol: 'tcp' }], gateway);
  } catch (error) {
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    aedes,
    listeners: listeners.map(({ address, settings }) => ({ ...address, authDeadlineMs: settings.authDeadlineMs, maxAuthRounds: settings.maxAuthRounds, holdDeadlineWhileStepping: settings.holdDeadlineWhileStepping })),
    get exchanges() {
      return [...log.recent];
    },
    get connectionCount() {
      return gateway.connectionCount;
    },
    onExchange: (listener) => log.subscribe(listener),
    onConnectionCount: (listener) => {
      countListeners.add(listener);
      return () => countListeners.delete(listener);
    },
    close: () =>
      (closing ??= (async () => {
        gateway.closeAll();
        await Promise.all(listeners.map((l) => l.close()));
        await new Promise<void>((resolve) => aedes.close(() => resolve()));
      })()),
  };
}
