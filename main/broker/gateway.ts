/**
 * The enhanced-authentication gateway (MQTT 5 §4.12) in front of aedes.
 *
 * aedes 2.0.0-beta.1 refuses any CONNECT with an Authentication Method and drops a connection on
 * AUTH, so the gateway owns each client connection: it frames the bytes into whole packets, runs
 * CONNECT/AUTH with the listener's Authenticator, and only then hands the connection to aedes
 * through an AedesLink, giving it the parsed CONNECT without its auth properties (the authenticated
 * identity as the User Name) and adding the Authentication Method to aedes's CONNACK. After
 * CONNACK it keeps intercepting AUTH for re-authentication. aedes's `authenticate` hook asks the
 * gateway whether it admitted the connection, so nothing reaches aedes unauthenticated.
 *
 * Every connection is recorded as an Exchange (source 'broker', role 'server'). Following the
 * contract in auth.ts, the authenticator records the steps that carry Authentication Data and the
 * gateway every other packet (and, as a fallback, a data-carrying one the authenticator left out).
 *
 * A listener with an authentication-method chain (Azure IoT MQ) lets the chain decide each CONNECT
 * first (chain/admission.ts): admitted, refused, or handed to the GSSAPI-KERBEROS authenticator
 * when kerberos ended the chain; the Exchange keeps the decision trace as `authChain`.
 *
 * Reason codes where the spec leaves the choice to the server:
 *   - round cap exceeded, authentication deadline passed → 0x87 Not Authorized (the client broke
 *     no rule; the server refuses), the Reason String says which;
 *   - the authenticator threw → 0x83 Implementation Specific Error;
 *   - re-authentication with another method → DISCONNECT 0x82 Protocol Error (before CONNACK it is
 *     CONNACK 0x8C, but a DISCONNECT cannot carry 0x8C);
 *   - re-authentication that authenticates a different principal → DISCONNECT 0x87.
 */
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { TLSSocket } from 'node:tls';
import type { Aedes, AuthenticateError, Client } from 'aedes';
import type { IAuthPacket, IConnackPacket, IConnectPacket, Packet } from 'mqtt-packet';
import type { Exchange, ExchangeStep, ExchangeVerdict, StepDirection, TransportPacket } from '../exchange/model';
import { ExchangeRecorder, isoNow } from '../exchange/recorder';
import { AedesLink } from './aedes-link';
import { chainCredentials, connectForAedes as connectAfterChain, judge } from './chain/admission';
import { type AuthChain, completeEnhanced } from './chain/chain';
import type { ChainDecision } from './chain/types';
import { AuthDeadline, DeadlineTimers, DEADLINE_PROPERTY, HELD_DEADLINE_MS, holdsFor, type UserProperties } from './auth-deadline';
import {
  type AuthIdentity,
  type AuthOutcome,
  type AuthSession,
  type Authenticator,
  type ListenerInfo,
  ReasonCode,
} from './auth';
import {
  type FixedHeader,
  type Frame,
  type MalformedPacketError,
  MAX_REMAINING_LENGTH,
  PacketFramer,
  PacketType,
  type ProtocolVersion,
  generatePacket,
  packetTypeName,
  parsePacket,
  peekProtocolLevel,
} from './framing';
import {
  type ConnackAdditions,
  appendConnackProperties,
  authPacket,
  connackFailureCode,
  connackResult,
  connackLabel,
  describePacket,
  disconnectFailureCode,
  disconnectPacket,
  mqttReasonLabel,
  packetCode,
  parseFrame,
  refusalConnack,
} from './packets';

/** How one listener treats its connections. */
export interface GatewayListener {
  info: ListenerInfo;
  /** By Authentication Method. */
  authenticators: ReadonlyMap<string, Authenticator>;
  /** Let clients without an Authentication Method (MQTT 3.1.1, or 5 without one) through. */
  allowAnonymous: boolean;
  /** Largest whole packet accepted from a client, in bytes. */
  maxPacketSize: number;
  /** Most AUTH 0x18 challenges the server sends in one (re-)authentication. */
  maxAuthRounds: number;
  /** From accepting the connection until CONNACK (and for each re-authentication), in ms. */
  authDeadlineMs: number;
  /** Hold the deadline for a bench probe on this machine that steps (auth-deadline.ts). */
  holdDeadlineWhileStepping: boolean;
  /** Azure-style authentication-method chain: decides every CONNECT (chain/admission.ts). */
  chain?: AuthChain;
}

/** Where the gateway reports its Exchanges. */
export interface ExchangeSink {
  /** A connection started sending: its recorder (subscribe to its steps here). */
  opened(recorder: ExchangeRecorder): void;
  /** A verdict was set or changed (re-authentication). */
  verdict(exchange: Exchange): void;
}

export interface GatewayOptions {
  aedes: Aedes;
  exchanges: ExchangeSink;
  /** Send the reason in words as the Reason String of refusing CONNACK/DISCONNECT (default true). */
  sendReasonString?: boolean;
  /** Called with the number of open connections whenever it changes. */
  connectionsChanged?: (count: number) => void;
}

/** What the gateway decided about a connection handed to aedes. */
export interface Admission {
  /** The authenticated identity; undefined for an anonymous connection. */
  identity?: AuthIdentity;
  method?: string;
  listener: ListenerInfo;
  remoteAddress: string;
  /** The attributes the listener's authentication chain granted (Azure's authorization input). */
  attributes?: Record<string, string>;
}

/** An aedes client behind the gateway: hooks read the authenticated identity here. */
export type GatewayClient = Client & { kbenchIdentity?: AuthIdentity; kbenchAdmission?: Admission };

/** The identity the gateway authenticated for an aedes client (undefined: anonymous or not ours). */
export function identityOf(client: Client | null | undefined): AuthIdentity | undefined {
  return (client as GatewayClient | null | undefined)?.kbenchIdentity;
}

export class Gateway {
  private readonly connections = new Set<GatewayConnection>();
  /** Every connection's authentication deadline, on a timer per length. */
  readonly deadlines = new DeadlineTimers();

  constructor(readonly options: GatewayOptions) {}

  /** Takes over one client connection (a TCP or TLS socket, or a WebSocket stream). */
  accept(stream: Duplex, listener: GatewayListener, remoteAddress: string): void {
    this.connections.add(new GatewayConnection(this, stream, listener, remoteAddress));
    this.options.connectionsChanged?.(this.connections.size);
  }

  /** A connection closed. */
  forget(connection: GatewayConnection): void {
    if (this.connections.delete(connection)) this.options.connectionsChanged?.(this.connections.size);
  }

  /** Connections currently open. */
  get connectionCount(): number {
    return this.connections.size;
  }

  /**
   * aedes's `authenticate` hook: admit only connections the gateway handed over, and give the
   * hooks the identity. A connection that reached aedes any other way gets return code 5.
   */
  readonly authenticate = (
    client: Client,
    _username: string | undefined,
    _password: Buffer | undefined,
    done: (error: AuthenticateError | null, success: boolean | null) => void,
  ): void => {
    // The admission travels on the link the gateway gave aedes (not in a WeakMap: one entry per
    // connect makes every garbage collection walk them).
    const admission = client.conn instanceof AedesLink ? client.conn.admission : undefined;
    if (!admission) {
      const refusal = Object.assign(new Error('not admitted by the enhanced-authentication gateway'), { returnCode: 5 });
      done(refusal as unknown as AuthenticateError, false);
      return;
    }
    const gatewayClient = client as GatewayClient;
    gatewayClient.kbenchIdentity = admission.identity;
    gatewayClient.kbenchAdmission = admission;
    done(null, true);
  };

  /** Drops every connection (the broker is closing). */
  closeAll(): void {
    for (const connection of this.connections) connection.destroy();
    this.connections.clear();
    this.deadlines.dispose();
  }
}

function versionName(version: ProtocolVersion): string {
  return version === 5 ? '5' : version === 4 ? '3.1.1' : '3.1';
}

/** An anonymous connection's verdict, one string per version for every connection. */
const ANONYMOUS_ALLOWED = Object.fromEntries(([3, 4, 5] as const).map((v) => [v, `anonymous MQTT ${versionName(v)} client allowed on this listener`])) as Record<ProtocolVersion, string>;

type Phase = 'awaiting-connect' | 'deciding' | 'authenticating' | 'handing-off' | 'connected' | 'closed';

/** One (re-)authentication in progress. */
interface AuthRun {
  session: AuthSession;
  reauth: boolean;
  /** AUTH 0x18 challenges sent so far. */
  rounds: number;
  /** A re-authentication's own; the first authentication runs under the connection's. */
  deadline?: AuthDeadline;
}

/**
 * A plain TCP socket whose writes have all completed: libuv has handed every byte to the kernel.
 * (A TLS socket may still hold a record, a WebSocket stream a frame: those end and wait.)
 */
function flushedToKernel(stream: Duplex): boolean {
  return stream instanceof net.Socket && !(stream instanceof TLSSocket) && stream.writableLength === 0 && !stream.connecting;
}

/** How long a closing connection may take to flush its last packet before it is destroyed. */
const CLOSE_GRACE_MS = 2_000;
/** Packets queued while an authenticator works; beyond this the client is not read. */
const QUEUE_HIGH_WATER = 32;

class GatewayConnection {
  private phase: Phase = 'awaiting-connect';
  private readonly framer: PacketFramer;
  private readonly queue: Frame[] = [];
  private draining = false;
  private linkFull = false;
  private recorder: ExchangeRecorder | undefined;
  private version: ProtocolVersion = 4;
  private connect: IConnectPacket | undefined;
  /** The Authentication Method of the CONNECT; undefined for an anonymous connection. */
  private method: string | undefined;
  private auth: AuthRun | undefined;
  private identity: AuthIdentity | undefined;
  private reauthentications = 0;
  /** The successful outcome's Authentication Data, added to aedes's CONNACK. */
  private successData: Buffer | undefined;
  private successRecordedByAuthenticator = false;
  private readonly connectDeadline: AuthDeadline;
  private link: AedesLink | undefined;
  private aedesClient: GatewayClient | undefined;
  private readonly aedesFramer = new PacketFramer();
  private aedesConnackSeen = false;
  /** The listener's chain decided this connection (kerberos: the conversation completes it). */
  private chainDecision: ChainDecision | undefined;
  /**
   * Ends a slow chain method (a custom server) when the connection goes. Made only for a chain:
   * aborting one builds a DOMException, a cost every anonymous connect would pay otherwise.
   */
  private chainAbort: AbortController | undefined;
  /** kerberos ended the chain and its conversation's outcome is in the trace. */
  private chainSettled = false;

  constructor(
    private readonly gateway: Gateway,
    private readonly stream: Duplex,
    private readonly listener: GatewayListener,
    private readonly remoteAddress: string,
  ) {
    this.framer = new PacketFramer(listener.maxPacketSize);
    stream.on('data', (chunk: Buffer) => {
      try {
        this.onData(chunk);
      } catch (error) {
        this.internalError(error);
      }
    });
    stream.on('close', () => this.guard(() => this.onStreamClosed()));
    // ECONNRESET and friends: 'close' follows and does the cleaning up.
    stream.on('error', () => undefined);
    this.connectDeadline = new AuthDeadline(() => this.guard(() => this.onConnectDeadline()), gateway.deadlines);
    this.connectDeadline.start(listener.authDeadlineMs);
  }

  /** Nothing a client sends may take the broker down: any surprise closes this connection only. */
  private guard(action: () => void | Promise<void>): void {
    try {
      const result = action();
      if (result instanceof Promise) result.catch((error: unknown) => this.internalError(error));
    } catch (error) {
      this.internalError(error);
    }
  }

  /** A bug or an unexpected library error: 0x83 to this client if possible, and close. */
  private internalError(error: unknown): void {
    if (this.phase === 'closed') return;
    const message = error instanceof Error ? error.message : String(error);
    try {
      this.refuseWith(ReasonCode.ImplementationSpecificError, `gateway error: ${message}`);
    } catch {
      this.destroy();
    }
  }

  // ---- the Exchange --------------------------------------------------------------------------

  private get exchange(): ExchangeRecorder {
    if (!this.recorder) {
      this.recorder = new ExchangeRecorder({
        source: 'broker',
        role: 'server',
        mechanism: 'unknown',
        meta: { listener: this.listener.info.name, remoteAddress: this.remoteAddress },
      });
      this.gateway.options.exchanges.opened(this.recorder);
    }
    return this.recorder;
  }

  private record(direction: StepDirection, transport: TransportPacket, extra?: Partial<Pick<ExchangeStep, 'token' | 'summary' | 'error'>>): void {
    this.exchange.add(extra ? { direction, transport, ...extra } : { direction, transport });
  }

  // Built field by field: this runs for every packet recorded (three per connection at the least).
  private recordPacket(direction: StepDirection, packet: Packet, extra?: { data?: Buffer; summary?: string; error?: string }): void {
    const step: Parameters<ExchangeRecorder['add']>[0] = { direction, transport: describePacket(packet, this.version) };
    if (extra?.data) step.token = extra.data.toString('base64');
    if (extra?.summary) step.summary = extra.summary;
    if (extra?.error) step.error = extra.error;
    this.exchange.add(step);
  }

  /** Sets the verdict (or replaces it: a re-authentication, a later disconnect) and reports it. */
  private setVerdict(verdict: ExchangeVerdict): void {
    const recorder = this.exchange;
    const decision = this.chainDecision;
    // The first verdict the gateway gives (the SASL server may have set the recorder's already).
    if (decision?.enhanced && !this.chainSettled && verdict.outcome !== 'pending') {
      this.chainSettled = true;
      const valid = verdict.outcome === 'success';
      recorder.exchange.authChain = completeEnhanced(decision, { valid, why: verdict.reason, ...(this.identity ? { principal: this.identity.principal } : {}) });
    }
    if (recorder.exchange.verdict.outcome === 'pending') {
      recorder.finish(verdict);
    } else {
      recorder.exchange.verdict = verdict;
      recorder.exchange.finishedAt = isoNow();
    }
    this.gateway.options.exchanges.verdict(recorder.exchange);
  }

  private get verdictPending(): boolean {
    return !this.recorder || this.recorder.exchange.verdict.outcome === 'pending';
  }

  // ---- input ----------------------------------------------------------------------------------

  private onData(chunk: Buffer): void {
    if (this.phase === 'closed') return;
    const result = this.framer.push(chunk);
    for (const frame of result.packets) this.enqueue(frame);
    if (result.oversize) this.refuseOversize(result.oversize, chunk);
    else if (result.malformed) this.refuseMalformed(undefined, result.malformed, chunk);
  }

  private enqueue(frame: Frame): void {
    if (this.phase === 'closed') return;
    // Fast path once connected: packets for aedes go straight through, in order.
    if (!this.draining && this.queue.length === 0 && this.isForAedes(frame)) {
      this.forwardToAedes(frame);
      return;
    }
    this.queue.push(frame);
    this.drain();
  }

  private isForAedes(frame: Frame): boolean {
    return (this.phase === 'connected' || this.phase === 'handing-off') && frame.header.type !== PacketType.AUTH;
  }

  /**
   * One packet at a time: an authenticator's answer comes before the next packet is looked at.
   * Synchronous until a packet needs the authenticator (most never do: this runs per packet).
   */
  private drain(): void {
    if (this.draining) return;
    while (this.queue.length > 0 && this.phase !== 'closed') {
      const pending = this.process(this.queue.shift()!);
      if (pending) {
        this.draining = true;
        this.updateFlow();
        pending.then(
          () => {
            this.draining = false;
            this.drain();
          },
          (error: unknown) => {
            this.draining = false;
            this.internalError(error);
          },
        );
        return;
      }
    }
    this.updateFlow();
  }

  /** Stop reading the client while packets pile up or aedes has not caught up. */
  private updateFlow(): void {
    if (this.phase === 'closed') return;
    if (this.linkFull || this.queue.length > QUEUE_HIGH_WATER) this.stream.pause();
    else if (this.stream.isPaused()) this.stream.resume();
  }

  /** A promise when the packet went to the authenticator. */
  private process(frame: Frame): Promise<void> | undefined {
    switch (this.phase) {
      case 'awaiting-connect':
        return this.onConnect(frame);
      case 'authenticating':
        return this.onAuthenticating(frame);
      case 'handing-off':
      case 'connected':
        if (frame.header.type === PacketType.AUTH) return this.onReauthPacket(frame);
        this.forwardToAedes(frame);
        return undefined;
      default:
        return undefined;
    }
  }

  // ---- CONNECT ----------------------------------------------------------------------------------

  /** A promise when the CONNECT went to an authenticator. */
  private onConnect(frame: Frame): Promise<void> | undefined {
    if (frame.header.type !== PacketType.CONNECT) {
      this.record('client-to-server', { protocol: 'mqtt', packet: packetTypeName(frame.header.type) }, { error: 'the first packet must be CONNECT' });
      this.closeWithVerdict(`the first packet was ${packetTypeName(frame.header.type)}, not CONNECT (MQTT-3.1.0-1): closed without an answer`);
      return undefined;
    }
    let packet: IConnectPacket;
    try {
      packet = parsePacket(frame.bytes) as IConnectPacket;
    } catch (error) {
      this.refuseMalformed(frame.header, error as MalformedPacketError, frame.bytes);
      return undefined;
    }
    this.connect = packet;
    this.version = packet.protocolVersion ?? 4;
    const meta = this.exchange.exchange.meta!;
    meta.clientId = packet.clientId;
    meta.protocolVersion = String(this.version);
    if (this.version === 3 && packet.clientId === '') {
      // MQTT 3.1 §3.1: a Client Identifier of 1 to 23 characters; mqtt-packet reads an empty one
      // but cannot write the CONNECT aedes would get after authentication (return code 2 instead).
      this.recordPacket('client-to-server', packet);
      this.refuse(ReasonCode.ClientIdentifierNotValid, 'MQTT 3.1 needs a Client Identifier (1 to 23 characters); this CONNECT has an empty one');
      return undefined;
    }
    const properties = this.version === 5 ? packet.properties : undefined;
    if (this.listener.chain && !(properties?.authenticationData !== undefined && properties.authenticationMethod === undefined)) {
      return this.judgeByChain(this.listener.chain, packet);
    }
    if (properties?.authenticationMethod !== undefined) return this.startAuthentication(packet, properties.authenticationMethod);
    this.exchange.exchange.mechanism = 'anonymous';
    this.recordPacket('client-to-server', packet);
    if (properties?.authenticationData !== undefined) {
      this.refuse(ReasonCode.ProtocolError, 'Authentication Data without an Authentication Method (MQTT-3.1.2-28)');
    } else if (!this.listener.allowAnonymous) {
      this.refuse(ReasonCode.NotAuthorized, 'this listener requires enhanced authentication (an Authentication Method in CONNECT); anonymous access is off');
    } else {
      this.handOff(packet);
    }
    return undefined;
  }

  private async startAuthentication(packet: IConnectPacket, method: string): Promise<void> {
    this.method = method;
    this.exchange.exchange.mechanism = method;
    const authenticator = this.listener.authenticators.get(method);
    if (authenticator?.service) this.exchange.exchange.service = authenticator.service;
    const transport = describePacket(packet, 5);
    if (!authenticator) {
      this.record('client-to-server', transport);
      const offered = [...this.listener.authenticators.keys()].join(', ') || 'none';
      this.refuse(ReasonCode.BadAuthenticationMethod, `no authenticator for Authentication Method "${method}" on this listener (offered: ${offered})`);
      return;
    }
    this.phase = 'authenticating';
    this.holdDeadlineIfStepping(this.connectDeadline, packet.properties?.userProperties, transport);
    const session = authenticator.createSession(this.sessionContext(false));
    this.auth = { session, reauth: false, rounds: 0 };
    const data = packet.properties?.authenticationData;
    await this.runAuthStep(this.auth, () => session.start(data, transport), data, transport);
  }

  /** The listener's chain decides: admit, refuse, or run the enhanced authentication kerberos asked for. */
  private async judgeByChain(chain: AuthChain, packet: IConnectPacket): Promise<void> {
    this.phase = 'deciding';
    const credentials = chainCredentials(packet, this.stream, this.listener.info, this.remoteAddress);
    const enhancing = credentials.authenticationMethod !== undefined && chain.has('kerberos');
    // The authenticator records a CONNECT it takes (with its token); otherwise the gateway does.
    if (!enhancing) this.recordPacket('client-to-server', packet);
    this.exchange.exchange.mechanism = `chain: ${chain.methods.map((m) => m.kind).join(', ') || 'no methods'}`;
    this.chainAbort = new AbortController();
    const { decision, action } = await judge(chain, credentials, this.chainAbort.signal, this.exchange);
    if (this.phase !== 'deciding') return; // the deadline passed or the client went while the chain judged
    this.chainDecision = decision;
    if (action.kind === 'enhanced') {
      await this.startAuthentication(packet, action.method);
    } else if (action.kind === 'refuse') {
      if (enhancing) this.recordPacket('client-to-server', packet);
      this.refuse(action.reasonCode, action.reason);
    } else {
      if (enhancing) this.recordPacket('client-to-server', packet);
      this.identity = action.identity;
      if (action.identity) this.exchange.exchange.identity = { ...action.identity };
      this.handOff(connectAfterChain(packet, action.identity?.principal ?? packet.username), action.identity);
    }
  }

  /**
   * A bench probe on this machine steps through the packets: its (re-)authentication runs under
   * the long cap instead, and the record says so on the packet that asked for it.
   */
  private holdDeadlineIfStepping(deadline: AuthDeadline, userProperties: UserProperties | undefined, transport: TransportPacket): void {
    if (!holdsFor(this.listener, this.remoteAddress, userProperties)) return;
    deadline.start(HELD_DEADLINE_MS, true);
    const held = `held: a bench probe steps (up to ${HELD_DEADLINE_MS / 1000} s instead of ${this.listener.authDeadlineMs} ms)`;
    transport.fields = { ...transport.fields, authDeadline: held };
    this.exchange.exchange.meta!.authDeadline = held;
  }

  private sessionContext(reauth: boolean): Parameters<Authenticator['createSession']>[0] {
    return {
      listener: this.listener.info,
      clientId: this.aedesClient?.id ?? this.connect?.clientId ?? '',
      remoteAddress: this.remoteAddress,
      reauth,
      recorder: this.exchange,
    };
  }

  // ---- AUTH rounds --------------------------------------------------------------------------

  /**
   * One call into the authenticator and what follows from its outcome. The gateway records the
   * client's packet when it carries no Authentication Data (the authenticator's otherwise), and
   * the answer unless the authenticator recorded one during the call.
   */
  private async runAuthStep(run: AuthRun, call: () => Promise<AuthOutcome>, data: Buffer | undefined, transport: TransportPacket): Promise<void> {
    if (data === undefined) this.record('client-to-server', transport);
    const steps = this.exchange.exchange.steps;
    const before = steps.length;
    let outcome: AuthOutcome;
    try {
      outcome = await call();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      outcome = { kind: 'failure', reasonCode: ReasonCode.ImplementationSpecificError, reason: `the authenticator failed: ${message}` };
    }
    // The deadline passed or the connection closed while the authenticator worked.
    if (this.auth !== run || this.phase === 'closed') return;
    const added = steps.slice(before);
    if (data !== undefined && !added.some((s) => s.direction === 'client-to-server')) {
      this.record('client-to-server', transport, { token: data.toString('base64') });
    }
    this.applyOutcome(run, outcome, added.filter((s) => s.direction === 'server-to-client'));
  }

  /** `answers`: the steps the authenticator recorded for the packet the gateway is to send. */
  private applyOutcome(run: AuthRun, outcome: AuthOutcome, answers: ExchangeStep[]): void {
    const answerRecorded = answers.length > 0;
    if (outcome.kind === 'failure') {
      this.authFailed(run, outcome.reasonCode, outcome.reason, answerRecorded);
    } else if (outcome.kind === 'continue') {
      if (run.rounds >= this.listener.maxAuthRounds) {
        this.overrule(answers, run, `authentication needs more than ${this.listener.maxAuthRounds} AUTH rounds (this listener's cap)`);
        return;
      }
      run.rounds++;
      this.sendChallenge(run, outcome.data, answers);
    } else if (run.reauth) {
      if (this.identity && outcome.identity.principal !== this.identity.principal) {
        this.overrule(answers, run, `it authenticated ${outcome.identity.principal}, but this connection belongs to ${this.identity.principal}`);
        return;
      }
      this.reauthenticated(run, outcome.identity, outcome.data, answerRecorded);
    } else {
      this.authenticated(run, outcome.identity, outcome.data, answerRecorded);
    }
  }

  /**
   * AUTH 0x18 with what is left of the deadline as a User Property, so a client can count down
   * (auth-deadline.ts); recorded on the step the authenticator wrote for it, or with the packet.
   */
  private sendChallenge(run: AuthRun, data: Buffer, answers: ExchangeStep[]): void {
    const left = (run.deadline ?? this.connectDeadline).advertised;
    const packet = authPacket(ReasonCode.ContinueAuthentication, this.method!, data);
    packet.properties!.userProperties = { [DEADLINE_PROPERTY]: left };
    for (const step of answers) step.transport.fields = { ...step.transport.fields, userProperties: `${DEADLINE_PROPERTY}=${left}` };
    this.send(packet, { record: answers.length === 0, data });
  }

  /**
   * The gateway refuses although the authenticator would go on: the answer the authenticator
   * already recorded is marked as never sent, and the refusal is recorded after it.
   */
  private overrule(answers: ExchangeStep[], run: AuthRun, reason: string): void {
    for (const step of answers) step.error = `not sent: ${reason}`;
    this.authFailed(run, ReasonCode.NotAuthorized, reason);
  }

  private endRun(run: AuthRun): void {
    run.deadline?.clear();
    if (this.auth === run) this.auth = undefined;
    run.session.dispose().catch(() => undefined);
  }

  private authFailed(run: AuthRun, reasonCode: number, reason: string, answerRecorded = false): void {
    this.endRun(run);
    if (run.reauth) this.disconnect(disconnectFailureCode(reasonCode), `re-authentication failed: ${reason}`, !answerRecorded);
    else this.refuse(connackFailureCode(reasonCode), reason, !answerRecorded);
  }

  /** Packets from a client that sent an Authentication Method, before CONNACK. */
  private async onAuthenticating(frame: Frame): Promise<void> {
    const type = frame.header.type;
    if (type !== PacketType.AUTH && type !== PacketType.DISCONNECT) {
      this.recordUnparsed(frame);
      this.refuse(ReasonCode.ProtocolError, `${packetTypeName(type)} before CONNACK: a client that sent an Authentication Method may send only AUTH or DISCONNECT until CONNACK (MQTT-3.1.2-30)`);
      return;
    }
    const packet = this.parseOrRefuse(frame);
    if (!packet) return;
    if (packet.cmd === 'disconnect') {
      this.recordPacket('client-to-server', packet);
      this.closeWithVerdict(`the client gave up authentication with DISCONNECT ${mqttReasonLabel(packet.reasonCode ?? 0)}`);
      return;
    }
    const auth = packet as IAuthPacket;
    const violation = this.authPacketViolation(auth, ReasonCode.ContinueAuthentication);
    if (violation) {
      this.recordPacket('client-to-server', auth);
      this.refuse(violation.code, violation.reason);
      return;
    }
    const run = this.auth!;
    const data = auth.properties?.authenticationData;
    await this.runAuthStep(run, () => run.session.continue(data, describePacket(auth, 5)), data, describePacket(auth, 5));
  }

  /**
   * What is wrong with a client's AUTH, if anything: a reason code other than the one the state
   * allows (0x82), a missing Authentication Method (0x82), or another method than CONNECT's
   * (0x8C before CONNACK; 0x82 after, as a DISCONNECT cannot carry 0x8C).
   */
  private authPacketViolation(packet: IAuthPacket, expected: number): { code: number; reason: string } | undefined {
    const before = this.phase === 'authenticating';
    if (packet.reasonCode !== expected) {
      const state = before ? 'before CONNACK' : this.auth ? 'during re-authentication' : 'without a re-authentication in progress';
      return { code: ReasonCode.ProtocolError, reason: `AUTH ${mqttReasonLabel(packet.reasonCode)} ${state}: only ${mqttReasonLabel(expected)} is allowed` };
    }
    const method = packet.properties?.authenticationMethod;
    if (method === undefined) return { code: ReasonCode.ProtocolError, reason: 'AUTH without an Authentication Method (MQTT-3.15.2.2.2)' };
    if (method !== this.method) {
      const reason = `AUTH with Authentication Method "${method}", but CONNECT used "${this.method}" (MQTT-4.12.0-5)`;
      return { code: before ? ReasonCode.BadAuthenticationMethod : ReasonCode.ProtocolError, reason };
    }
    return undefined;
  }

  // ---- success: hand the connection to aedes -------------------------------------------------

  private authenticated(run: AuthRun, identity: AuthIdentity, data: Buffer | undefined, answerRecorded: boolean): void {
    this.endRun(run);
    this.identity = identity;
    this.successData = data;
    this.successRecordedByAuthenticator = answerRecorded;
    this.exchange.exchange.identity = { ...identity };
    this.handOff(this.connectForAedes(identity), identity);
  }

  /** The CONNECT as aedes gets it: no auth properties, no password, the identity as User Name. */
  private connectForAedes(identity: AuthIdentity): IConnectPacket {
    const { authenticationMethod: _method, authenticationData: _data, ...properties } = this.connect!.properties ?? {};
    const { password: _password, properties: _properties, ...rest } = this.connect!;
    return {
      ...rest,
      username: identity.mapped ?? identity.principal,
      ...(Object.keys(properties).length > 0 ? { properties } : {}),
    };
  }

  /** aedes takes the connection from here, starting with `connect` (parsed: see aedes-link.ts). */
  private handOff(connect: IConnectPacket, identity?: AuthIdentity): void {
    this.connectDeadline.clear();
    this.phase = 'handing-off';
    const attributes = this.chainDecision?.attributes;
    const admission: Admission = { identity, method: this.method, listener: this.listener.info, remoteAddress: this.remoteAddress };
    if (attributes) admission.attributes = attributes;
    const link = new AedesLink(admission, {
      output: (chunks, done) => this.fromAedes(chunks, done),
      drained: () => {
        this.linkFull = false;
        this.updateFlow();
      },
      closed: (error) => this.guard(() => this.onAedesClosed(error)),
    });
    this.link = link;
    const client = this.gateway.options.aedes.handle(link.connection) as GatewayClient;
    client.kbenchIdentity = identity;
    client.kbenchAdmission = admission;
    this.aedesClient = client;
    link.attach(client);
    this.deliver(connect);
  }

  private deliver(packet: Packet): void {
    if (!this.link!.deliver(packet)) {
      this.linkFull = true;
      this.updateFlow();
    }
  }

  /** A packet for aedes, after CONNACK (or while aedes prepares it). */
  private forwardToAedes(frame: Frame): void {
    let packet: Packet;
    try {
      packet = parseFrame(frame, this.version);
    } catch (error) {
      this.refuseMalformed(frame.header, error as MalformedPacketError, frame.bytes);
      return;
    }
    if (packet.cmd === 'connect') {
      this.recordPacket('client-to-server', packet);
      this.disconnect(ReasonCode.ProtocolError, 'a second CONNECT on the same connection (MQTT-3.1.0-2)');
      return;
    }
    if (packet.cmd === 'disconnect') this.recordPacket('client-to-server', packet);
    this.deliver(packet);
  }

  /** What aedes writes, framed: its first CONNACK gets the Authentication Method; DISCONNECTs are recorded. */
  private fromAedes(chunks: Buffer[], done: (error?: Error | null) => void): void {
    const out: Buffer[] = [];
    try {
      for (const chunk of chunks) {
        const result = this.aedesFramer.push(chunk);
        for (const frame of result.packets) out.push(this.inspectFromAedes(frame));
      }
    } catch (error) {
      done();
      this.internalError(error);
      return;
    }
    if (out.length === 0 || this.phase === 'closed' || !this.stream.writable) {
      done();
      return;
    }
    if (this.stream.write(out.length === 1 ? out[0]! : Buffer.concat(out))) done();
    else this.stream.once('drain', () => done());
  }

  private inspectFromAedes(frame: Frame): Buffer {
    try {
      if (frame.header.type === PacketType.CONNACK && !this.aedesConnackSeen) {
        this.aedesConnackSeen = true;
        return this.completeConnack(frame);
      }
      if (frame.header.type === PacketType.DISCONNECT) {
        this.recordPacket('server-to-client', parsePacket(frame.bytes, this.version), { summary: 'sent by aedes' });
      }
    } catch (error) {
      this.record('server-to-client', { protocol: 'mqtt', packet: packetTypeName(frame.header.type) }, { error: `aedes wrote a packet the gateway cannot read: ${(error as Error).message}` });
    }
    return frame.bytes;
  }

  /**
   * aedes's CONNACK as the client gets it: for MQTT 5 with the Authentication Method (and Data)
   * of the enhanced authentication, and the listener's Maximum Packet Size. Read and completed
   * on its bytes (this runs for every connection); aedes's own properties are not decoded for
   * the record.
   */
  private completeConnack(frame: Frame): Buffer {
    const { sessionPresent, code } = connackResult(frame);
    const assigned = this.connect?.clientId === '' ? this.aedesClient?.id : undefined;
    if (assigned) this.exchange.exchange.meta!.clientId = assigned;
    let sent = frame.bytes;
    const additions: ConnackAdditions & { assignedClientIdentifier?: string } = {};
    if (this.version === 5 && code === 0) {
      if (this.method !== undefined) additions.authenticationMethod = this.method;
      if (this.successData !== undefined) additions.authenticationData = this.successData;
      if (this.listener.maxPacketSize < MAX_REMAINING_LENGTH) additions.maximumPacketSize = this.listener.maxPacketSize;
      sent = appendConnackProperties(frame.bytes, additions);
    }
    if (!this.successRecordedByAuthenticator) {
      const connack: IConnackPacket = { cmd: 'connack', sessionPresent };
      if (this.version === 5) {
        // The additions are the recorded properties (aedes's own are not decoded).
        if (assigned) additions.assignedClientIdentifier = assigned;
        connack.reasonCode = code;
        connack.properties = additions;
      } else {
        connack.returnCode = code;
      }
      this.recordPacket('server-to-client', connack, this.successData ? { data: this.successData } : undefined);
    }
    if (code === 0) {
      this.phase = 'connected';
      this.setVerdict({ outcome: 'success', reason: this.successReason(), code: connackLabel(this.version, 0) });
    } else {
      this.setVerdict({ outcome: 'failure', reason: 'aedes refused the CONNECT', code: connackLabel(this.version, code) });
    }
    return sent;
  }

  private successReason(): string {
    if (this.chainDecision && !this.chainDecision.enhanced) return this.chainDecision.reason;
    if (!this.identity) return ANONYMOUS_ALLOWED[this.version];
    const as = this.identity.mapped && this.identity.mapped !== this.identity.principal ? ` (user "${this.identity.mapped}")` : '';
    return `authenticated as ${this.identity.principal}${as} with ${this.method}`;
  }

  // ---- re-authentication ------------------------------------------------------------------------

  private async onReauthPacket(frame: Frame): Promise<void> {
    const packet = this.parseOrRefuse(frame);
    if (!packet) return;
    const auth = packet as IAuthPacket;
    const transport = describePacket(auth, 5);
    if (this.method === undefined || this.phase !== 'connected') {
      this.record('client-to-server', transport);
      const why = this.method === undefined ? 'the connection did not use enhanced authentication (MQTT-4.12.0-7)' : 'CONNACK was not sent yet';
      this.disconnect(ReasonCode.ProtocolError, `AUTH ${mqttReasonLabel(auth.reasonCode)} but ${why}`);
      return;
    }
    const expected = this.auth ? ReasonCode.ContinueAuthentication : ReasonCode.ReAuthenticate;
    const violation = this.authPacketViolation(auth, expected);
    if (violation) {
      this.record('client-to-server', transport);
      this.disconnect(disconnectFailureCode(violation.code), violation.reason);
      return;
    }
    const data = auth.properties?.authenticationData;
    if (this.auth) {
      const run = this.auth;
      await this.runAuthStep(run, () => run.session.continue(data, transport), data, transport);
      return;
    }
    await this.startReauthentication(data, transport, auth.properties?.userProperties);
  }

  private async startReauthentication(data: Buffer | undefined, transport: TransportPacket, userProperties: UserProperties | undefined): Promise<void> {
    const authenticator = this.listener.authenticators.get(this.method!);
    if (!authenticator) {
      this.record('client-to-server', transport);
      this.disconnect(ReasonCode.NotAuthorized, `re-authentication failed: no authenticator for "${this.method}" any more`);
      return;
    }
    const session = authenticator.createSession(this.sessionContext(true));
    const run: AuthRun = { session, reauth: true, rounds: 0 };
    const deadline = new AuthDeadline(() =>
      this.guard(() => {
        if (this.auth === run) this.authFailed(run, ReasonCode.NotAuthorized, `it did not finish within ${deadline.description}`);
      }),
      this.gateway.deadlines,
    );
    deadline.start(this.listener.authDeadlineMs);
    this.holdDeadlineIfStepping(deadline, userProperties, transport);
    run.deadline = deadline;
    this.auth = run;
    await this.runAuthStep(run, () => session.start(data, transport), data, transport);
  }

  private reauthenticated(run: AuthRun, identity: AuthIdentity, data: Buffer | undefined, answerRecorded: boolean): void {
    this.endRun(run);
    this.send(authPacket(ReasonCode.Success, this.method!, data), { record: !answerRecorded, data });
    this.identity = identity;
    this.reauthentications++;
    this.exchange.exchange.identity = { ...identity };
    if (this.aedesClient) this.aedesClient.kbenchIdentity = identity;
    this.setVerdict({ outcome: 'success', reason: `${this.successReason()}; re-authenticated ${this.reauthentications} time(s)`, code: mqttReasonLabel(ReasonCode.Success) });
  }

  // ---- refusing and closing -------------------------------------------------------------------

  /** Reason String for refusals, unless turned off. */
  private reasonString(reason: string): string | undefined {
    return this.gateway.options.sendReasonString === false ? undefined : reason;
  }

  private send(packet: Packet, options: { record: boolean; data?: Buffer; summary?: string }): void {
    const bytes = generatePacket(packet, this.version);
    if (options.record) this.recordPacket('server-to-client', packet, options);
    if (this.stream.writable) this.stream.write(bytes);
  }

  /** Before CONNACK: a refusing CONNACK (when the version can say it), then close. */
  private refuse(reasonCode: number, reason: string, record = true): void {
    if (this.phase === 'closed') return;
    const connack = refusalConnack(this.version, reasonCode, this.reasonString(reason));
    if (connack) this.send(connack, { record, summary: reason });
    const code = connack ? connackLabel(this.version, packetCode(connack)!) : undefined;
    const unsaid = this.connect ? `MQTT ${versionName(this.version)} has no code for it` : 'no CONNECT yet';
    this.setVerdict({ outcome: 'failure', reason: connack ? reason : `${reason} (${unsaid}: closed without an answer)`, ...(code ? { code } : {}) });
    this.close();
  }

  /** After CONNACK: DISCONNECT with the reason code (MQTT 5; 3.1.1 just closes), then close. */
  private disconnect(reasonCode: number, reason: string, record = true): void {
    if (this.phase === 'closed') return;
    if (this.version === 5) this.send(disconnectPacket(reasonCode, this.reasonString(reason)), { record, summary: reason });
    this.setVerdict({ outcome: 'failure', reason, ...(this.version === 5 ? { code: mqttReasonLabel(reasonCode) } : {}) });
    this.close();
  }

  /** Refuse with whatever the phase allows: CONNACK before, DISCONNECT after. */
  private refuseWith(reasonCode: number, reason: string): void {
    if (this.phase === 'connected' || this.phase === 'handing-off') this.disconnect(reasonCode, reason);
    else this.refuse(reasonCode, reason);
  }

  private parseOrRefuse(frame: Frame): Packet | undefined {
    try {
      return parsePacket(frame.bytes, this.version);
    } catch (error) {
      this.refuseMalformed(frame.header, error as MalformedPacketError, frame.bytes);
      return undefined;
    }
  }

  private recordUnparsed(frame: Frame): void {
    let packet: Packet | undefined;
    try {
      packet = parsePacket(frame.bytes, this.version);
    } catch {
      packet = undefined;
    }
    if (packet) this.recordPacket('client-to-server', packet);
    else this.record('client-to-server', { protocol: 'mqtt', packet: packetTypeName(frame.header.type) });
  }

  /** Before CONNECT the version is unknown: read it from the CONNECT's bytes to answer in kind. */
  private adoptVersionFrom(bytes: Buffer | undefined): void {
    if (this.phase !== 'awaiting-connect' || !bytes) return;
    const level = peekProtocolLevel(bytes);
    if (level === 3 || level === 4 || level === 5) this.version = level;
    else if (level !== undefined && level > 5) this.version = 5;
  }

  private refuseMalformed(header: FixedHeader | undefined, error: MalformedPacketError, bytes: Buffer | undefined): void {
    this.adoptVersionFrom(bytes);
    const name = header ? packetTypeName(header.type) : 'packet';
    this.record('client-to-server', { protocol: 'mqtt', packet: name }, { error: error.message });
    const level = this.phase === 'awaiting-connect' && bytes ? peekProtocolLevel(bytes) : undefined;
    if (level !== undefined && (level < 3 || level > 5)) {
      this.refuse(ReasonCode.UnsupportedProtocolVersion, `CONNECT with Protocol Level ${level}: this broker speaks MQTT 3.1, 3.1.1 and 5`);
      return;
    }
    this.refuseWith(ReasonCode.MalformedPacket, `malformed ${name}: ${error.message}`);
  }

  /** The declared size alone decides: the packet's body is never read. */
  private refuseOversize(header: FixedHeader, chunk: Buffer): void {
    this.adoptVersionFrom(chunk);
    const name = packetTypeName(header.type);
    const reason = `${name} of ${header.packetLength} bytes is over this listener's Maximum Packet Size of ${this.listener.maxPacketSize} bytes: refused unread`;
    this.record('client-to-server', { protocol: 'mqtt', packet: name, fields: { declaredLength: header.packetLength, maximumPacketSize: this.listener.maxPacketSize } }, { error: reason });
    this.refuseWith(ReasonCode.PacketTooLarge, reason);
  }

  /** Closes without sending anything (there is no packet to say it with). */
  private closeWithVerdict(reason: string): void {
    if (this.verdictPending) this.setVerdict({ outcome: 'failure', reason });
    this.close();
  }

  /**
   * Flush what was written and end the connection. After a refusal the client gets a grace
   * period to read it and close: destroying at once could make its kernel answer further
   * bytes with a reset that discards the unread refusal. When aedes ended the session (the
   * client sent DISCONNECT, or was kicked) the connection goes as soon as the last byte left.
   */
  private close(afterRefusal = true): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    this.stopTimers();
    this.queue.length = 0;
    const stream = this.stream;
    if (!afterRefusal && flushedToKernel(stream)) {
      // As aedes does with its own sockets: everything written is with the kernel, which sends
      // it before the FIN of close(2) — no shutdown and no wait for 'finish'.
      stream.destroy();
    } else {
      if (afterRefusal) setTimeout(() => stream.destroy(), CLOSE_GRACE_MS).unref();
      else stream.once('finish', () => stream.destroy());
      stream.end();
    }
    this.link?.destroy();
  }

  destroy(): void {
    this.phase = 'closed';
    this.stopTimers();
    this.stream.destroy();
    this.link?.destroy();
  }

  private stopTimers(): void {
    this.connectDeadline.clear();
    this.chainAbort?.abort();
    if (this.auth) this.endRun(this.auth);
  }

  private onConnectDeadline(): void {
    const ms = this.listener.authDeadlineMs;
    if (this.phase === 'deciding') {
      this.chainAbort?.abort();
      this.refuse(ReasonCode.NotAuthorized, `the authentication chain did not decide within ${this.connectDeadline.description}`);
    } else if (this.phase === 'awaiting-connect') {
      this.exchange.add({ direction: 'client-to-server', transport: { protocol: 'mqtt', packet: 'CONNECT' }, error: `no CONNECT within ${ms} ms` });
      this.closeWithVerdict(`no CONNECT within ${ms} ms: closed`);
    } else if (this.phase === 'authenticating' && this.auth) {
      this.authFailed(this.auth, ReasonCode.NotAuthorized, `authentication did not finish within ${this.connectDeadline.description}`);
    }
  }

  private onStreamClosed(): void {
    this.gateway.forget(this);
    const wasOpen = this.phase !== 'closed';
    this.phase = 'closed';
    this.stopTimers();
    this.link?.endOfInput();
    this.link?.destroy();
    if (wasOpen && this.recorder && this.verdictPending) {
      this.setVerdict({ outcome: 'failure', reason: this.connect ? 'the client closed the connection before CONNACK' : 'the client closed the connection before CONNECT' });
    }
  }

  /** aedes closed its side: close the client's connection too (after what aedes wrote). */
  private onAedesClosed(error: Error | null): void {
    if (this.phase === 'closed') return;
    if (error?.message === 'keep alive timeout' && this.version === 5) {
      this.send(disconnectPacket(ReasonCode.KeepAliveTimeout), { record: true, summary: 'the client sent nothing within 1.5 × Keep Alive' });
    } else if (error && this.recorder) {
      this.record('server-to-client', { protocol: 'mqtt', packet: 'close' }, { error: `aedes closed the connection: ${error.message}` });
    }
    if (this.verdictPending && this.recorder) this.setVerdict({ outcome: 'failure', reason: `aedes closed the connection before CONNACK${error ? `: ${error.message}` : ''}` });
    this.link = undefined;
    this.close(false);
  }
}
