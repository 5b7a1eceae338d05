/**
 * The MQTT client probe: connects to any MQTT 5 broker (TCP, TLS, WebSocket) with enhanced
 * authentication "GSSAPI-KERBEROS" (EMQX) or "GSSAPI" (single round), on MQTT.js, with MIT's
 * initiator through a GSS worker. Every round is recorded in an Exchange; in step mode the probe
 * pauses before sending each packet. Each (re)connect builds a fresh AP-REQ — MQTT.js would
 * resend the old one, which the broker's replay cache rightly refuses.
 */
import { TLSSocket } from 'node:tls';
import mqtt, { type IClientOptions, type MqttClient, type Packet } from 'mqtt';
import type { PeerDeadline, ProbeConnectProperties } from '../api/broker';
import { ReasonCode } from '../broker/auth';
import { DEADLINE_PROPERTY, HELD, STEPPING_PROPERTY, type UserProperties } from '../broker/auth-deadline';
import { describePacket, mqttReasonLabel } from '../broker/packets';
import { keyLogAppender } from '../capture/tls/keylog-file';
import type { Exchange, TransportPacket } from '../exchange/model';
import { ExchangeRecorder } from '../exchange/recorder';
import type { GssSupervisor } from '../gss/supervisor';
import type { KerberosProfile } from '../gss/types';
import { decodedStep } from '../sasl/decoder';
import { SaslGssapiClient } from '../sasl/client';
import type { SaslLayer } from '../sasl/layers';

export type ProbeMethod = 'GSSAPI-KERBEROS' | 'GSSAPI';

/** How long a stepped connect or re-authentication may take, pauses included (MQTT.js's connect timer). */
export const STEP_MODE_TIMEOUT_MS = 10 * 60_000;

export interface ProbeNextStep {
  /** What is about to be sent: "CONNECT" or "AUTH". */
  packet: 'CONNECT' | 'AUTH';
  /** In words: "CONNECT with the AP-REQ (GSS initial token)". */
  description: string;
  /** The Authentication Data about to be sent, base64. */
  token: string;
  /** When the broker gives up, if it said (the bench's broker does on each AUTH 0x18). */
  peerDeadline?: PeerDeadline;
}

export interface ProbeOptions {
  /** mqtt://, mqtts://, ws:// or wss:// with host and port. */
  url: string;
  gss: GssSupervisor;
  profile: KerberosProfile;
  /** GSS service name; default mqtt@<host of the URL>. */
  service?: string;
  method?: ProbeMethod;
  clientId?: string;
  /** PEM CA certificate(s) for mqtts/wss. */
  ca?: string | Buffer;
  rejectUnauthorized?: boolean;
  /** mqtts: append the connection's TLS secrets to this file (SSLKEYLOGFILE format), to decrypt captures. */
  keyLogFile?: string;
  /** The security layer wanted if the broker offers it (EMQX offers none only). */
  layer?: SaslLayer;
  authzid?: string;
  /** Client principal instead of the ccache's default. */
  principal?: string;
  /**
   * Step mode: resolves when the user says "send". `ended` aborts when the connection ends
   * during the pause (the broker refused or gave up): nothing is sent then. The probe tells the
   * broker it steps (User Property kbench-step: 1), and the bench's broker may hold its deadline.
   */
  beforeSend?: (next: ProbeNextStep, ended: AbortSignal) => Promise<void>;
  /** Called on every new step (live views). */
  onStep?: (exchange: Exchange) => void;
  /** How long to wait for CONNACK (default 15 s). */
  timeoutMs?: number;
  /** An authenticated connection ended without close() (the broker's DISCONNECT, or the socket). */
  onConnectionLost?: (reason: string) => void;
  /** CONNECT Keep Alive and Clean Start, and properties besides the authentication ones (a replay sends the captured ones). */
  keepalive?: number;
  cleanStart?: boolean;
  connectProperties?: ProbeConnectProperties;
}

const mqttPacket = (packet: string, fields: Record<string, string | number | boolean> = {}): TransportPacket => ({ protocol: 'mqtt', packet, fields });

/** The FILE behind a ccache name, or undefined. */
function ccacheFile(name: string | undefined): string | undefined {
  if (!name) return undefined;
  const match = /^([A-Z]+):(.*)$/.exec(name);
  return !match ? name : match[1] === 'FILE' ? match[2] : undefined;
}

/** TLS verification codes that mean "this certificate is not one you trust" (OpenSSL's names). */
const UNTRUSTED_CERTIFICATE = new Set(['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_UNTRUSTED']);

/** A socket or TLS error, with what to do about the common ones. */
function explainConnectError(error: Error & { code?: number | string }): string {
  if (typeof error.code === 'string' && UNTRUSTED_CERTIFICATE.has(error.code)) {
    return `${error.message} (${error.code}): the broker's certificate is not trusted — give its CA certificate (--ca FILE), or skip verification for a test (--insecure)`;
  }
  if (error.code === 'ECONNREFUSED') return `${error.message}: nothing listens there — is the broker running, and on this port?`;
  return error.message;
}

/** What the broker said about its deadline on an AUTH 0x18 (broker/auth-deadline.ts), or nothing. */
function peerDeadlineOf(userProperties: UserProperties | undefined): PeerDeadline | undefined {
  const raw = userProperties?.[DEADLINE_PROPERTY];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === HELD) return { held: true };
  const ms = value === undefined || value.trim() === '' ? NaN : Number(value);
  return Number.isFinite(ms) && ms >= 0 ? { at: new Date(Date.now() + ms).toISOString() } : undefined;
}

type ReceivedPacket = Packet & { reasonCode?: number; properties?: { reasonString?: string; authenticationData?: Buffer; userProperties?: UserProperties } };

/** A packet from the broker as a step's transport, as the gateway describes it (the data's length is the step's token's). */
function receivedTransport(packet: ReceivedPacket): TransportPacket {
  const transport = describePacket(packet, 5);
  delete transport.fields?.authenticationDataLength;
  return transport;
}

/** A refusal the broker sent (CONNACK, DISCONNECT) as the step that records it: its Reason String is the step's error. */
function refusalStep(packet: ReceivedPacket, summary: string) {
  const reasonString = packet.properties?.reasonString;
  return { direction: 'server-to-client' as const, transport: receivedTransport(packet), summary, ...(reasonString ? { error: reasonString } : {}) };
}

/** What an AUTH 0x18 answer carries, in words for the step-mode pause. */
function answerText(tokenKind: string | undefined): string {
  if (tokenKind === 'empty') return 'no data (the empty answer to the AP-REP)';
  return tokenKind ?? 'the next token';
}

export class MqttProbe {
  private client: MqttClient | undefined;
  /** The connect or re-authentication in progress: aborted when it ends (or on close), which ends its pauses. */
  private conversation: AbortController | undefined;

  constructor(private readonly options: ProbeOptions) {}

  get method(): ProbeMethod {
    return this.options.method ?? 'GSSAPI-KERBEROS';
  }

  get service(): string {
    return this.options.service ?? `mqtt@${new URL(this.options.url).hostname}`;
  }

  get connected(): boolean {
    return Boolean(this.client?.connected);
  }

  /** In step mode the probe says so (CONNECT, AUTH 0x19): the bench's broker may hold its deadline. */
  private get steppingProperties(): { userProperties?: UserProperties } {
    return this.options.beforeSend ? { userProperties: { [STEPPING_PROPERTY]: '1' } } : {};
  }

  private newConversation(reauth: boolean): { recorder: ExchangeRecorder; sasl: SaslGssapiClient } {
    const recorder = new ExchangeRecorder({
      source: 'probe',
      role: 'client',
      mechanism: this.method,
      service: this.service,
      profile: this.options.profile.id,
      meta: { url: this.options.url, ...(reauth ? { reauthentication: 'true' } : {}) },
    });
    if (this.options.onStep) recorder.onStep((_step, exchange) => this.options.onStep!(exchange));
    const ccachePath = ccacheFile(this.options.profile.ccache);
    const sasl = new SaslGssapiClient({
      gss: this.options.gss.worker(this.options.profile),
      service: this.service,
      desiredLayer: this.options.layer ?? 'none',
      ...(this.options.authzid ? { authzid: this.options.authzid } : {}),
      ...(this.options.principal ? { principal: this.options.principal } : {}),
      ...(ccachePath ? { ccachePath } : {}),
      recorder,
      ownsVerdict: false,
      transports: {
        initial: mqttPacket(reauth ? 'AUTH' : 'CONNECT', {
          authenticationMethod: this.method,
          ...(reauth ? { reasonCode: mqttReasonLabel(ReasonCode.ReAuthenticate) } : {}),
          ...(this.options.beforeSend ? { userProperties: `${STEPPING_PROPERTY}=1` } : {}),
        }),
        response: mqttPacket('AUTH', { authenticationMethod: this.method, reasonCode: mqttReasonLabel(ReasonCode.ContinueAuthentication) }),
      },
    });
    return { recorder, sasl };
  }

  /** Resolves true to send, false when the connection ended during the pause. */
  private async pause(next: ProbeNextStep, ended: AbortSignal): Promise<boolean> {
    if (this.options.beforeSend && !ended.aborted) await this.options.beforeSend(next, ended);
    return !ended.aborted;
  }

  /** Answers AUTH 0x18 challenges (and sees the AUTH 0x00 that ends a re-authentication). */
  private authHandler(sasl: SaslGssapiClient, recorder: ExchangeRecorder, ended: AbortSignal) {
    return (packet: Packet, callback: (error?: Error, packet?: Packet) => void) => {
      const auth = packet as ReceivedPacket;
      const data = auth.properties?.authenticationData ?? Buffer.alloc(0);
      const transport = receivedTransport(auth);
      if (auth.reasonCode !== ReasonCode.ContinueAuthentication) {
        recorder.add({ direction: 'server-to-client', transport, ...(data.length ? { token: data.toString('base64') } : {}), summary: 'authentication complete' });
        callback();
        return;
      }
      void (async () => {
        const reply = await sasl.receive(data, transport);
        if (reply.kind === 'failure') return callback(new Error(reply.reason));
        const peerDeadline = peerDeadlineOf(auth.properties?.userProperties);
        const next = { packet: 'AUTH' as const, description: `AUTH 0x18 with ${answerText(recorder.exchange.steps.at(-1)?.tokenKind)}`, token: reply.token.toString('base64') };
        // The connection is gone (the broker refused or gave up meanwhile): MQTT.js has nothing to send on.
        if (!(await this.pause(peerDeadline ? { ...next, peerDeadline } : next, ended))) return;
        callback(undefined, {
          cmd: 'auth',
          reasonCode: ReasonCode.ContinueAuthentication,
          properties: { authenticationMethod: this.method, authenticationData: reply.token },
        } as Packet);
      })().catch((error: Error) => callback(error));
    };
  }

  private clientOptions(token: Buffer): IClientOptions {
    const url = new URL(this.options.url);
    return {
      protocolVersion: 5,
      clientId: this.options.clientId ?? `kbench-probe-${Math.random().toString(16).slice(2, 10)}`,
      // Never auto-reconnect: MQTT.js would resend this CONNECT and its AP-REQ, a replay.
      reconnectPeriod: 0,
      connectTimeout: this.options.timeoutMs ?? 15_000,
      ...(this.options.keepalive !== undefined ? { keepalive: this.options.keepalive } : {}),
      ...(this.options.cleanStart !== undefined ? { clean: this.options.cleanStart } : {}),
      properties: { ...this.options.connectProperties, authenticationMethod: this.method, authenticationData: token, ...this.steppingProperties },
      ...(url.protocol === 'mqtts:' || url.protocol === 'wss:'
        ? { ...(this.options.ca ? { ca: this.options.ca } : {}), rejectUnauthorized: this.options.rejectUnauthorized ?? true }
        : {}),
    };
  }

  /** Connects and authenticates; resolves with the Exchange once the broker has answered. */
  async connect(): Promise<Exchange> {
    await this.close();
    const conversation = (this.conversation = new AbortController());
    const { recorder, sasl } = this.newConversation(false);
    const first = await sasl.start();
    if (first.kind === 'failure') return recorder.finish({ outcome: 'failure', reason: first.reason });
    const next = { packet: 'CONNECT' as const, description: 'CONNECT with the AP-REQ (GSS initial context token) as Authentication Data', token: first.token.toString('base64') };
    if (!(await this.pause(next, conversation.signal))) return recorder.finish({ outcome: 'failure', reason: 'closed before the CONNECT was sent' });
    const client = mqtt.connect(this.options.url, this.clientOptions(first.token));
    this.client = client;
    // MQTT.js made its TLSSocket synchronously; its secrets come after the ServerHello, so none is missed.
    if (this.options.keyLogFile && client.stream instanceof TLSSocket) client.stream.on('keylog', keyLogAppender(this.options.keyLogFile));
    client.handleAuth = this.authHandler(sasl, recorder, conversation.signal);
    // MQTT.js can emit 'error' more than once (a TLS failure, then the stream's own error), and
    // also long after CONNACK; an EventEmitter with no listener would throw it at the process.
    client.on('error', () => undefined);
    return this.untilConnack(client, sasl, recorder, conversation);
  }

  /**
   * The end of the first authentication: CONNACK 0x00, a refusal, an error, or the connection's
   * end. MQTT.js's error for a refusal leaves out the broker's Reason String: the packet itself
   * is kept as it arrives ('packetreceive' comes before MQTT.js handles it) and recorded.
   */
  private untilConnack(client: MqttClient, sasl: SaslGssapiClient, recorder: ExchangeRecorder, conversation: AbortController): Promise<Exchange> {
    let received: ReceivedPacket | undefined;
    const onPacket = (packet: Packet) => {
      if (packet.cmd === 'connack' || packet.cmd === 'disconnect') received = packet as ReceivedPacket;
    };
    client.on('packetreceive', onPacket);
    return new Promise<Exchange>((resolve) => {
      const done = () => {
        client.removeListener('connect', onConnect);
        client.removeListener('error', onError);
        client.removeListener('packetreceive', onPacket);
        // A pause still waiting to answer an AUTH 0x18 has nothing to answer any more.
        conversation.abort();
        resolve(recorder.exchange);
      };
      const onConnect = (connack: Packet) => void this.onConnack(sasl, recorder, connack as ReceivedPacket).finally(done);
      const onError = (error: Error & { code?: number | string }) => {
        this.recordFailure(recorder, error, received);
        client.end(true);
        done();
      };
      client.once('connect', onConnect);
      client.once('error', onError);
      client.once('close', () => {
        if (recorder.exchange.verdict.outcome === 'pending') this.recordClosed(recorder, received);
        done();
      });
    });
  }

  /** MQTT.js's error, with the refusal the broker sent (its Reason String) when there was one. */
  private recordFailure(recorder: ExchangeRecorder, error: Error & { code?: number | string }, received: ReceivedPacket | undefined): void {
    const code = typeof error.code === 'number' ? mqttReasonLabel(error.code) : undefined;
    const refusal = code && received?.cmd === 'connack' && (received.reasonCode ?? 0) >= 0x80 ? received : undefined;
    if (refusal) recorder.add(refusalStep(refusal, error.message));
    const said = refusal?.properties?.reasonString;
    recorder.finish({ outcome: 'failure', reason: said ? `${error.message} — the broker says: ${said}` : explainConnectError(error), ...(code ? { code } : {}) });
  }

  /** The connection ended before CONNACK: after a DISCONNECT (MQTT 5 forbids it, some brokers do it) or without a word. */
  private recordClosed(recorder: ExchangeRecorder, received: ReceivedPacket | undefined): void {
    if (received?.cmd !== 'disconnect') {
      recorder.finish({ outcome: 'failure', reason: 'the broker closed the connection before CONNACK' });
      return;
    }
    const code = mqttReasonLabel(received.reasonCode ?? 0);
    const said = received.properties?.reasonString;
    recorder.add(refusalStep(received, 'DISCONNECT before CONNACK'));
    recorder.finish({ outcome: 'failure', reason: `the broker sent DISCONNECT ${code} before CONNACK${said ? `: ${said}` : ''}`, code });
  }

  /** Once connected: report the connection's end, unless we ended it ourselves. */
  private watchConnection(client: MqttClient): void {
    let reason = 'the connection closed (the broker stopped or dropped it)';
    client.on('disconnect', (packet: ReceivedPacket) => {
      reason = `the broker sent DISCONNECT ${mqttReasonLabel(packet.reasonCode ?? 0)}${packet.properties?.reasonString ? `: ${packet.properties.reasonString}` : ''}`;
    });
    client.once('close', () => {
      if (this.client === client) this.options.onConnectionLost?.(reason);
    });
  }

  private async onConnack(sasl: SaslGssapiClient, recorder: ExchangeRecorder, connack: ReceivedPacket): Promise<void> {
    const data = connack.properties?.authenticationData;
    const transport = receivedTransport(connack);
    const code = mqttReasonLabel(connack.reasonCode ?? 0);
    if (data?.length && this.method === 'GSSAPI') {
      // Single round: the AP-REP comes in CONNACK; MIT verifies it (mutual authentication).
      const reply = await sasl.receive(data, transport, { respond: false });
      if (reply.kind === 'failure') {
        recorder.finish({ outcome: 'failure', reason: `the broker's AP-REP did not verify: ${reply.reason}`, code });
        return;
      }
    } else {
      recorder.add(data?.length ? decodedStep(sasl.decoder, 'server-to-client', data, transport) : { direction: 'server-to-client', transport, summary: 'connected' });
    }
    recorder.finish({ outcome: 'success', reason: `connected to ${this.options.url} with ${this.method}`, code });
    if (this.client) this.watchConnection(this.client);
  }

  /** MQTT 5 re-authentication: AUTH 0x19 with a fresh AP-REQ, rounds, AUTH 0x00 (or DISCONNECT). */
  async reauthenticate(): Promise<Exchange> {
    const client = this.client;
    if (!client?.connected) throw new Error('not connected: connect first');
    const conversation = (this.conversation = new AbortController());
    const { recorder, sasl } = this.newConversation(true);
    const first = await sasl.start();
    if (first.kind === 'failure') return recorder.finish({ outcome: 'failure', reason: first.reason });
    const next = { packet: 'AUTH' as const, description: 'AUTH 0x19 (re-authenticate) with a fresh AP-REQ', token: first.token.toString('base64') };
    if (!(await this.pause(next, conversation.signal))) return recorder.finish({ outcome: 'failure', reason: 'closed before the AUTH 0x19 was sent' });
    let settled = false;
    return new Promise<Exchange>((resolve) => {
      const finish = (outcome: Parameters<ExchangeRecorder['finish']>[0]) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        client.removeListener('disconnect', onDisconnect);
        client.removeListener('close', onClose);
        conversation.abort();
        resolve(recorder.finish(outcome));
      };
      const handler = this.authHandler(sasl, recorder, conversation.signal);
      client.handleAuth = (packet, callback) =>
        handler(packet, (error, reply) => {
          callback(error, reply);
          if (error) finish({ outcome: 'failure', reason: error.message });
          else if ((packet as ReceivedPacket).reasonCode === ReasonCode.Success) finish({ outcome: 'success', reason: 're-authenticated', code: mqttReasonLabel(ReasonCode.Success) });
        });
      const onDisconnect = (packet: ReceivedPacket) => {
        const code = mqttReasonLabel(packet.reasonCode ?? 0);
        const said = packet.properties?.reasonString;
        recorder.add(refusalStep(packet, 'disconnected during re-authentication'));
        finish({ outcome: 'failure', reason: said ? `the broker sent DISCONNECT ${code}: ${said}` : `the broker disconnected with ${code}`, code });
      };
      const onClose = () => finish({ outcome: 'failure', reason: 'the connection closed during re-authentication' });
      client.on('disconnect', onDisconnect);
      client.once('close', onClose);
      const timer = setTimeout(() => finish({ outcome: 'failure', reason: 're-authentication did not finish in time' }), this.options.timeoutMs ?? 15_000);
      (client as unknown as { _sendPacket(packet: Packet): void })._sendPacket({
        cmd: 'auth',
        reasonCode: ReasonCode.ReAuthenticate,
        properties: { authenticationMethod: this.method, authenticationData: first.token, ...this.steppingProperties },
      } as Packet);
    });
  }

  /** After authenticating: subscribe to a test topic, publish to it with MQTT 5 properties, wait for the echo. */
  async publishTest(topic = `kbench/probe/${Math.random().toString(16).slice(2, 8)}`, text = 'hello from the Kerberos Bench probe'): Promise<{ topic: string; received: string; properties: Record<string, unknown> }> {
    const client = this.client;
    if (!client?.connected) throw new Error('not connected: connect first');
    await client.subscribeAsync(topic, { qos: 1 });
    const received = new Promise<{ received: string; properties: Record<string, unknown> }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no message on ${topic} within 5 s`)), 5000);
      client.once('message', (_t, payload, packet) => {
        clearTimeout(timer);
        resolve({ received: payload.toString(), properties: (packet.properties ?? {}) as Record<string, unknown> });
      });
    });
    await client.publishAsync(topic, text, { qos: 1, properties: { contentType: 'text/plain', userProperties: { from: 'kbench' }, messageExpiryInterval: 60 } });
    return { topic, ...(await received) };
  }

  async close(): Promise<void> {
    this.conversation?.abort();
    const client = this.client;
    this.client = undefined;
    if (client) await client.endAsync(true).catch(() => undefined);
  }
}
