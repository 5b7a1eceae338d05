/**
 * The client (initiator) side of SASL GSSAPI (RFC 4752), one round at a time, on MIT's
 * initiator through the GSS worker: step('') → AP-REQ; step(AP-REP) → context; unwrap(offer) →
 * choose a layer → wrap(choice). Application messages use the worker's gss_wrap/gss_unwrap.
 */
import type { Exchange, TransportPacket } from '../exchange/model';
import type { ExchangeRecorder } from '../exchange/recorder';
import { GssError, type GssHandle, type GssWorkerApi } from '../gss/types';
import { ccacheKeyEntries, type KeySpec } from '../krb/decode/session';
import { readFile } from 'node:fs/promises';
import { parseCcache } from '../krb/ccache';
import { contextKeysFrom, perMessageKey, type GssContextKeys } from '../krb/gss/context';
import { wrap } from '../krb/gss/rfc4121';
import { formatPrincipal } from '../krb/names';
import { decodedStep, SaslStepDecoder } from './decoder';
import { frameMessage, unframeMessage } from './framing';
import { chooseLayer, decodeOffer, encodeChoice, SaslProtocolError, type SaslLayer, type SecurityLayerChoice } from './layers';

export interface SaslClientOptions {
  gss: GssWorkerApi;
  /** GSS service name, "mqtt@localhost". */
  service: string;
  /** The layer we want if offered (default none, what EMQX accepts). */
  desiredLayer?: SaslLayer;
  /** Authorization id to ask for ('' = act as the authenticated principal). */
  authzid?: string;
  /** Largest protected message we accept (sent in our reply when a layer is chosen). */
  maxBuffer?: number;
  /** Client principal to use instead of the ccache's default. */
  principal?: string;
  /**
   * The initiator's FILE ccache (path). The binding can only wrap "no security layer" replies, so
   * for integrity and privacy the bench protects messages itself with the context keys, which it
   * recovers with the session key MIT stored there next to the service ticket.
   */
  ccachePath?: string;
  /** Keys for decoding the steps in the Exchange (default: the ccache's session keys). */
  decodeKeys?: readonly KeySpec[];
  recorder: ExchangeRecorder;
  /** How our messages travel (default: SASL initial response / responses); MQTT: CONNECT, AUTH. */
  transports?: { initial: TransportPacket; response: TransportPacket };
  /**
   * Whether the SASL layer sets the Exchange's verdict when its part is done (default true). An
   * outer protocol that learns the server's verdict later (MQTT's CONNACK) sets it instead.
   */
  ownsVerdict?: boolean;
}

export type ClientReply = { kind: 'response'; token: Buffer } | { kind: 'failure'; reason: string };

type ClientState = 'start' | 'context' | 'await-offer' | 'established' | 'failed';

const SASL = (packet: string): TransportPacket => ({ protocol: 'sasl', packet });

export class SaslGssapiClient {
  private state: ClientState = 'start';
  private handle: GssHandle | undefined;
  private choice: SecurityLayerChoice | undefined;
  private apReq: Buffer | undefined;
  private apRep: Buffer | undefined;
  private keys: GssContextKeys | undefined;
  private sendSequence = 0;
  private readonly decodeKeysFromCcache: boolean;
  readonly decoder: SaslStepDecoder;

  constructor(private readonly options: SaslClientOptions) {
    this.decoder = new SaslStepDecoder(options.decodeKeys ?? []);
    this.decodeKeysFromCcache = !options.decodeKeys && Boolean(options.ccachePath);
    if (this.decodeKeysFromCcache) options.recorder.noteKeyFile('ccache', options.ccachePath!);
  }

  /** The conversation so far, as the recorder keeps it. */
  get exchange(): Exchange {
    return this.options.recorder.exchange;
  }

  get established(): boolean {
    return this.state === 'established';
  }

  get securityLayer(): SecurityLayerChoice | undefined {
    return this.choice;
  }

  /** Who we authenticated as, for the Exchange's identity (known once the context is complete). */
  private noteInitiator(principal: string | null): void {
    if (principal) this.exchange.identity = { ...this.exchange.identity, principal };
  }

  /** The initial response: the GSS initial context token (AP-REQ). */
  async start(): Promise<ClientReply> {
    if (this.state !== 'start') throw new SaslProtocolError('start() was already called');
    return this.guard(async () => {
      const { gss } = this.options;
      this.handle = (await gss.createClient(this.options.service, this.options.principal ? { principal: this.options.principal } : {})).value.handle;
      const step = await gss.clientStep(this.handle, '');
      this.state = step.value.complete ? 'await-offer' : 'context';
      this.apReq = Buffer.from(step.value.response, 'base64');
      this.noteInitiator(step.value.principal);
      if (this.decodeKeysFromCcache) await this.addCcacheKeysToDecoder();
      return this.respond(this.apReq, 'initial response', step.trace);
    });
  }

  /**
   * Handles one server challenge and returns the response to send. `respond: false` is for a
   * final token that gets no answer (the single-round GSSAPI method's AP-REP in CONNACK).
   */
  async receive(challenge: Buffer, transport: TransportPacket = SASL('challenge'), options: { respond?: boolean } = {}): Promise<ClientReply> {
    return this.guard(async () => {
      const { gss } = this.options;
      if (this.state === 'context') {
        const step = await gss.clientStep(this.handle!, challenge.toString('base64'));
        this.record('server-to-client', challenge, transport, step.trace);
        if (challenge.length) this.apRep = challenge;
        if (step.value.complete) this.state = 'await-offer';
        this.noteInitiator(step.value.principal);
        const response = Buffer.from(step.value.response, 'base64');
        return options.respond === false ? { kind: 'response', token: response } : this.respond(response, 'response');
      }
      if (this.state === 'await-offer') {
        const opened = await gss.clientUnwrap(this.handle!, challenge.toString('base64'));
        this.record('server-to-client', challenge, transport, opened.trace);
        const offer = decodeOffer(Buffer.from(opened.value.data, 'base64'));
        const layer = chooseLayer(offer, this.options.desiredLayer ?? 'none');
        // RFC 4752: with no layer the size must be 0; otherwise what we can receive, no more than offered.
        const maxBuffer = layer === 'none' ? 0 : Math.min(this.options.maxBuffer ?? 65536, offer.maxBuffer || 65536);
        this.choice = { layer, maxBuffer, authzid: this.options.authzid ?? '' };
        const choice = encodeChoice(this.choice);
        // "none" goes through MIT's own gss_wrap; a real layer needs our RFC 4121 half (see ccachePath).
        const wrapped =
          layer === 'none'
            ? await gss.clientWrap(this.handle!, choice.toString('base64'), { protect: false })
            : { value: { token: (await this.wrapOurselves(choice, false)).toString('base64') }, trace: [] };
        this.state = 'established';
        const reply = this.respond(Buffer.from(wrapped.value.token, 'base64'), 'response (security-layer choice)', wrapped.trace);
        const exchange = this.options.recorder.exchange;
        exchange.securityLayer = { layer, maxBuffer };
        if (this.choice.authzid) exchange.identity = { ...exchange.identity, authzid: this.choice.authzid };
        if (this.options.ownsVerdict !== false) {
          this.options.recorder.finish({ outcome: 'success', reason: `context established, security layer ${layer} chosen; the server's verdict comes in the outer protocol` });
        }
        return reply;
      }
      throw new SaslProtocolError(`no challenge expected now (the exchange is ${this.state})`);
    });
  }

  private async guard(run: () => Promise<ClientReply>): Promise<ClientReply> {
    try {
      return await run();
    } catch (error) {
      if (error instanceof GssError || error instanceof SaslProtocolError) {
        this.state = 'failed';
        const trace = error instanceof GssError ? error.trace : [];
        this.options.recorder.add({ direction: 'client-to-server', transport: SASL('abort'), summary: error.message, error: error.message, ...(trace.length ? { trace } : {}) });
        this.options.recorder.finish({ outcome: 'failure', reason: error.message, ...(error instanceof GssError ? { code: error.kind === 'gss' ? 'GSS failure' : `GSS worker ${error.kind}` } : {}) });
        return { kind: 'failure', reason: error.message };
      }
      throw error;
    }
  }

  private record(direction: 'client-to-server' | 'server-to-client', token: Buffer, transport: TransportPacket, trace?: string[]): void {
    this.options.recorder.add(decodedStep(this.decoder, direction, token, transport, trace ? { trace } : {}));
  }

  private respond(token: Buffer, packet: string, trace?: string[]): ClientReply {
    const transports = this.options.transports;
    const transport = transports ? { ...(packet === 'initial response' ? transports.initial : transports.response), fields: { ...(packet === 'initial response' ? transports.initial : transports.response).fields, carries: packet } } : SASL(packet);
    this.record('client-to-server', token, transport, trace);
    return { kind: 'response', token };
  }

  /** MIT has just stored the service ticket: its session key lets the Exchange show our own authenticator. */
  private async addCcacheKeysToDecoder(): Promise<void> {
    try {
      const credentials = parseCcache(await readFile(this.options.ccachePath!)).ccache.credentials;
      for (const entry of ccacheKeyEntries({ label: this.options.ccachePath!, credentials })) this.decoder.session.keyring.add(entry);
    } catch {
      // Decoding is a courtesy: without the keys the steps still show their structure.
    }
  }

  /** The context keys from the ccache's session key, the AP-REQ and the AP-REP (once). */
  private async contextKeys(): Promise<GssContextKeys> {
    if (this.keys) return this.keys;
    const file = this.options.ccachePath;
    if (!file) throw new SaslProtocolError('integrity and privacy need the client\'s FILE ccache (its session key), and this profile names none');
    let credentials;
    try {
      credentials = parseCcache(await readFile(file)).ccache.credentials;
    } catch (error) {
      throw new SaslProtocolError(`cannot read the session key from ${file}: ${(error as Error).message}`);
    }
    const sessionKeys = credentials.map((c) => ({ enctype: c.keyEnctype, key: c.key, source: `ccache session key for ${formatPrincipal(c.server)}` }));
    try {
      this.keys = contextKeysFrom(this.apReq!, this.apRep, { sessionKeys });
    } catch (error) {
      throw new SaslProtocolError(`cannot recover the context keys from ${file}: ${(error as Error).message}`);
    }
    this.sendSequence = this.keys.initiatorSequence;
    return this.keys;
  }

  private async wrapOurselves(plaintext: Buffer, sealed: boolean): Promise<Buffer> {
    const { key, acceptorSubkey } = perMessageKey(await this.contextKeys());
    return wrap(key.key, key.enctype, plaintext, { sentByAcceptor: false, sealed, acceptorSubkey, sequence: this.sendSequence++ });
  }

  /** An application message to send: as is without a layer, else length + Wrap token (sealed for privacy). */
  async protect(plaintext: Buffer): Promise<Buffer> {
    const choice = this.requireLayer();
    if (choice.layer === 'none') {
      this.record('client-to-server', plaintext, SASL('application message'));
      return plaintext;
    }
    const message = frameMessage(await this.wrapOurselves(plaintext, choice.layer === 'privacy'));
    this.record('client-to-server', message, SASL('application message'));
    return message;
  }

  async unprotect(message: Buffer): Promise<Buffer> {
    const choice = this.requireLayer();
    if (choice.layer === 'none') {
      this.record('server-to-client', message, SASL('application message'));
      return message;
    }
    const opened = await this.options.gss.clientUnwrap(this.handle!, unframeMessage(message, choice.maxBuffer).toString('base64'));
    this.record('server-to-client', message, SASL('application message'), opened.trace);
    return Buffer.from(opened.value.data, 'base64');
  }

  private requireLayer(): SecurityLayerChoice {
    if (!this.choice) throw new SaslProtocolError('no security layer yet: the SASL exchange has not completed');
    return this.choice;
  }

  async dispose(): Promise<void> {
    if (this.handle) await this.options.gss.release(this.handle).catch(() => undefined);
  }
}
