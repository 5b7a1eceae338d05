/**
 * The MQTT client probe: connects to any MQTT 5 broker (TCP, TLS, WebSocket) with enhanced
 * authentication "GSSAPI-KERBEROS" (EMQX) or "GSSAPI" (single round), on MQTT.js, with MIT's
 * initiator through a GSS worker. Every round is recorded in an Exchange; in step mode the probe
 * pauses before sending each packet. Each (re)connect builds a fresh AP-REQ — MQTT.js would
 * resend the old one, which the broker's replay cache rightly refuses.
 */
import mqtt, { type IClientOptions, type MqttClient, type Packet } from 'mqtt';
import type { Exchange, TransportPacket } from '../exchange/model';
import { ExchangeRecorder } from '../exchange/recorder';
import type { GssSupervisor } from '../gss/supervisor';
import type { KerberosProfile } from '../gss/types';
import { reasonLabel } from '../broker/auth';
import { decodedStep } from '../sasl/decoder';
import { SaslGssapiClient } from '../sasl/client';
import type { SaslLayer } from '../sasl/layers';

export type ProbeMethod = 'GSSAPI-KERBEROS' | 'GSSAPI';

export interface ProbeNextStep {
  /** What is about to be sent: "CONNECT" or "AUTH". */
  packet: 'CONNECT' | 'AUTH';
  /** In words: "CONNECT with the AP-REQ (GSS initial token)". */
  description: string;
  /** The Authentication Data about to be sent, base64. */
  token: string;
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
  /** The security layer wanted if the broker offers it (EMQX offers none only). */
  layer?: SaslLayer;
  authzid?: string;
  /** Client principal instead of the ccache's default. */
  principal?: string;
  /** Step mode: resolves when the user says "send". */
  beforeSend?: (next: ProbeNextStep) => Promise<void>;
  /** Called on every new step (live views). */
  onStep?: (exchange: Exchange) => void;
  /** How long to wait for CONNACK (default 15 s). */
  timeoutMs?: number;
  /** An authenticated connection ended without close() (the broker's DISCONNECT, or the socket). */
  onConnectionLost?: (reason: string) => void;
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

/** What an AUTH 0x18 answer carries, in words for the step-mode pause. */
function answerText(tokenKind: string | undefined): string {
  if (tokenKind === 'empty') return 'no data (the empty answer to the AP-REP)';
  return tokenKind ?? 'the next token';
}

export class MqttProbe {
  private client: MqttClient | undefined;

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
        initial: mqttPacket(reauth ? 'AUTH' : 'CONNECT', { authenticationMethod: this.method, ...(reauth ? { reasonCode: reasonLabel(0x19) } : {}) }),
        response: mqttPacket('AUTH', { authenticationMethod: this.method, reasonCode: reasonLabel(0x18) }),
      },
    });
    return { recorder, sasl };
  }

  private async pause(next: ProbeNextStep): Promise<void> {
    if (this.options.beforeSend) await this.options.beforeSend(next);
  }

  /** Answers AUTH 0x18 challenges (and sees the AUTH 0x00 that ends a re-authentication). */
  private authHandler(sasl: SaslGssapiClient, recorder: ExchangeRecorder) {
    return (packet: Packet, callback: (error?: Error, packet?: Packet) => void) => {
      const auth = packet as Packet & { reasonCode?: number; properties?: { authenticationData?: Buffer } };
      const data = auth.properties?.authenticationData ?? Buffer.alloc(0);
      const transport = mqttPacket('AUTH', { authenticationMethod: this.method, reasonCode: reasonLabel(auth.reasonCode ?? 0) });
      if (auth.reasonCode !== 0x18) {
        recorder.add({ direction: 'server-to-client', transport, ...(data.length ? { token: data.toString('base64') } : {}), summary: 'authentication complete' });
        callback();
        return;
      }
      void (async () => {
        const reply = await sasl.receive(data, transport);
        if (reply.kind === 'failure') return callback(new Error(reply.reason));
        await this.pause({ packet: 'AUTH', description: `AUTH 0x18 with ${answerText(recorder.exchange.steps.at(-1)?.tokenKind)}`, token: reply.token.toString('base64') });
        callback(undefined, {
          cmd: 'auth',
          reasonCode: 0x18,
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
      properties: { authenticationMethod: this.method, authenticationData: token },
      ...(url.protocol === 'mqtts:' || url.protocol === 'wss:'
        ? { ...(this.options.ca ? { ca: this.options.ca } : {}), rejectUnauthorized: this.options.rejectUnauthorized ?? true }
        : {}),
    };
  }

  /** Connects and authenticates; resolves with the Exchange once the broker has answered. */
  async connect(): Promise<Exchange> {
    await this.close();
    const { recorder, sasl } = this.newConversation(false);
    const first = await sasl.start();
    if (first.kind === 'failure') return recorder.finish({ outcome: 'failure', reason: first.reason });
    await this.pause({ packet: 'CONNECT', description: 'CONNECT with the AP-REQ (GSS initial context token) as Authentication Data', token: first.token.toString('base64') });
    const client = mqtt.connect(this.options.url, this.clientOptions(first.token));
    this.client = client;
    client.handleAuth = this.authHandler(sasl, recorder);
    // MQTT.js can emit 'error' more than once (a TLS failure, then the stream's own error), and
    // also long after CONNACK; an EventEmitter with no listener would throw it at the process.
    client.on('error', () => undefined);
    return new Promise<Exchange>((resolve) => {
      const done = () => {
        client.removeListener('connect', onConnect);
        client.removeListener('error', onError);
        resolve(recorder.exchange);
      };
      const onConnect = (connack: Packet) => {
        void this.onConnack(sasl, recorder, connack as Packet & { reasonCode?: number; properties?: Record<string, unknown> }).finally(done);
      };
      const onError = (error: Error & { code?: number }) => {
        const code = typeof error.code === 'number' ? reasonLabel(error.code) : undefined;
        if (code) recorder.add({ direction: 'server-to-client', transport: mqttPacket('CONNACK', { reasonCode: code }), summary: error.message });
        recorder.finish({ outcome: 'failure', reason: explainConnectError(error), ...(code ? { code } : {}) });
        client.end(true);
        done();
      };
      client.once('connect', onConnect);
      client.once('error', onError);
      client.once('close', () => {
        if (recorder.exchange.verdict.outcome === 'pending') recorder.finish({ outcome: 'failure', reason: 'the broker closed the connection before CONNACK' });
        done();
      });
    });
  }

  /** Once connected: report the connection's end, unless we ended it ourselves. */
  private watchConnection(client: MqttClient): void {
    let reason = 'the connection closed (the broker stopped or dropped it)';
    client.on('disconnect', (packet: { reasonCode?: number; properties?: { reasonString?: string } }) => {
      reason = `the broker sent DISCONNECT ${reasonLabel(packet.reasonCode ?? 0)}${packet.properties?.reasonString ? `: ${packet.properties.reasonString}` : ''}`;
    });
    client.once('close', () => {
      if (this.client === client) this.options.onConnectionLost?.(reason);
    });
  }

  private async onConnack(sasl: SaslGssapiClient, recorder: ExchangeRecorder, connack: Packet & { reasonCode?: number; properties?: Record<string, unknown> }): Promise<void> {
    const data = connack.properties?.authenticationData as Buffer | undefined;
    const transport = mqttPacket('CONNACK', { reasonCode: reasonLabel(connack.reasonCode ?? 0), authenticationMethod: String(connack.properties?.authenticationMethod ?? '') });
    if (data?.length && this.method === 'GSSAPI') {
      // Single round: the AP-REP comes in CONNACK; MIT verifies it (mutual authentication).
      const reply = await sasl.receive(data, transport, { respond: false });
      if (reply.kind === 'failure') {
        recorder.finish({ outcome: 'failure', reason: `the broker's AP-REP did not verify: ${reply.reason}`, code: reasonLabel(connack.reasonCode ?? 0) });
        return;
      }
    } else {
      recorder.add(data?.length ? decodedStep(sasl.decoder, 'server-to-client', data, transport) : { direction: 'server-to-client', transport, summary: 'connected' });
    }
    recorder.finish({ outcome: 'success', reason: `connected to ${this.options.url} with ${this.method}`, code: reasonLabel(connack.reasonCode ?? 0) });
    if (this.client) this.watchConnection(this.client);
  }

  /** MQTT 5 re-authentication: AUTH 0x19 with a fresh AP-REQ, rounds, AUTH 0x00 (or DISCONNECT). */
  async reauthenticate(): Promise<Exchange> {
    const client = this.client;
    if (!client?.connected) throw new Error('not connected: connect first');
    const { recorder, sasl } = this.newConversation(true);
    const first = await sasl.start();
    if (first.kind === 'failure') return recorder.finish({ outcome: 'failure', reason: first.reason });
    await this.pause({ packet: 'AUTH', description: 'AUTH 0x19 (re-authenticate) with a fresh AP-REQ', token: first.token.toString('base64') });
    return new Promise<Exchange>((resolve) => {
      const finish = (outcome: Parameters<ExchangeRecorder['finish']>[0]) => {
        clearTimeout(timer);
        client.removeListener('disconnect', onDisconnect);
        resolve(recorder.finish(outcome));
      };
      const handler = this.authHandler(sasl, recorder);
      client.handleAuth = (packet, callback) =>
        handler(packet, (error, reply) => {
          callback(error, reply);
          if (error) finish({ outcome: 'failure', reason: error.message });
          else if ((packet as { reasonCode?: number }).reasonCode === 0) finish({ outcome: 'success', reason: 're-authenticated', code: reasonLabel(0) });
        });
      const onDisconnect = (packet: { reasonCode?: number; properties?: { reasonString?: string } }) => {
        const code = reasonLabel(packet.reasonCode ?? 0);
        recorder.add({ direction: 'server-to-client', transport: mqttPacket('DISCONNECT', { reasonCode: code }), summary: packet.properties?.reasonString ?? 'disconnected' });
        finish({ outcome: 'failure', reason: packet.properties?.reasonString ?? `the broker disconnected with ${code}`, code });
      };
      client.on('disconnect', onDisconnect);
      const timer = setTimeout(() => finish({ outcome: 'failure', reason: 're-authentication did not finish in time' }), this.options.timeoutMs ?? 15_000);
      (client as unknown as { _sendPacket(packet: Packet): void })._sendPacket({
        cmd: 'auth',
        reasonCode: 0x19,
        properties: { authenticationMethod: this.method, authenticationData: first.token },
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
    const client = this.client;
    this.client = undefined;
    if (client) await client.endAsync(true).catch(() => undefined);
  }
}
