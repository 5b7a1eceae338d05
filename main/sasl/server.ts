/**
 * The server (acceptor) side of SASL GSSAPI (RFC 4752), one round at a time:
 *   initial response (AP-REQ) → [AP-REP] → empty response → wrapped offer → wrapped choice → done.
 * MIT validates the AP-REQ through the GSS worker (real replay cache, real error texts); the
 * security-layer half is ours, because the binding cannot wrap on the acceptor side: the keys come
 * from decrypting the AP-REQ with the service keytab and the AP-REP with the session key.
 */
import type { ExchangeRecorder } from '../exchange/recorder';
import type { Exchange, TransportPacket } from '../exchange/model';
import { GssError, type GssCallResult, type GssHandle, type GssServerStep, type GssWorkerApi } from '../gss/types';
import { KrbCryptoError, KrbDecodeError } from '../krb/errors';
import type { KeyEntry } from '../krb/decode/keyring';
import { contextKeysFrom, perMessageKey, type ContextKeySource, type GssContextKeys } from '../krb/gss/context';
import { unwrap, wrap } from '../krb/gss/rfc4121';
import type { KeytabEntry } from '../krb/keytab';
import { decodedStep, SaslStepDecoder, stepOf } from './decoder';
import { frameMessage, unframeMessage } from './framing';
import { decodeChoice, encodeOffer, SaslProtocolError, type SecurityLayerChoice, type SecurityLayerOffer } from './layers';

export interface SaslServerOptions {
  gss: GssWorkerApi;
  /** GSS acceptor name, "mqtt@localhost"; '' accepts any key in the keytab. */
  service: string;
  offer: SecurityLayerOffer;
  /** The acceptor's keys (the same keytab MIT uses), for our half of the protocol. */
  keytab: readonly KeytabEntry[];
  /** The keytab's file path: named as the keys' source, and noted as the Exchange's keyFiles.keytab. */
  keytabLabel?: string;
  recorder: ExchangeRecorder;
  /** How challenges travel (default: SASL challenges); MQTT sends them as AUTH 0x18. */
  challengeTransport?: TransportPacket;
}

export type ServerReply = { kind: 'challenge'; token: Buffer } | { kind: 'success' } | { kind: 'failure'; reason: string };

type ServerState = 'initial' | 'await-empty' | 'await-choice' | 'established' | 'failed';

const SASL = (packet: string): TransportPacket => ({ protocol: 'sasl', packet });

export class SaslGssapiServer {
  private state: ServerState = 'initial';
  private handle: GssHandle | undefined;
  private apReq: Buffer | undefined;
  /** What decoding the AP-REQ learned: the ticket's session key, the initiator's subkey. */
  private ticketKeys: readonly KeyEntry[] | undefined;
  private keys: GssContextKeys | undefined;
  private sendSequence = 0;
  private receiveSequence = 0;
  private choice: SecurityLayerChoice | undefined;
  private username: string | null = null;
  readonly decoder: SaslStepDecoder;

  constructor(private readonly options: SaslServerOptions) {
    this.decoder = new SaslStepDecoder([{ kind: 'keytab', label: options.keytabLabel ?? 'service keytab', entries: options.keytab }]);
    if (options.keytabLabel) options.recorder.noteKeyFile('keytab', options.keytabLabel);
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

  /** Handles one client message and returns what to send back. */
  async receive(token: Buffer, transport: TransportPacket = SASL(this.state === 'initial' ? 'initial response' : 'response')): Promise<ServerReply> {
    try {
      switch (this.state) {
        case 'initial':
          return await this.onInitial(token, transport);
        case 'await-empty':
          return this.onEmpty(token, transport);
        case 'await-choice':
          return this.onChoice(token, transport);
        default:
          throw new SaslProtocolError(`no message expected now (the exchange is ${this.state})`);
      }
    } catch (error) {
      if (error instanceof SaslProtocolError || error instanceof KrbCryptoError || error instanceof KrbDecodeError) return this.fail(error.message);
      throw error;
    }
  }

  private record(direction: 'client-to-server' | 'server-to-client', token: Buffer, transport: TransportPacket, extra: { trace?: string[]; error?: string } = {}): void {
    this.options.recorder.add(decodedStep(this.decoder, direction, token, transport, extra));
  }

  private fail(reason: string, code?: string): ServerReply {
    this.state = 'failed';
    this.options.recorder.finish({ outcome: 'failure', reason, ...(code ? { code } : {}) });
    return { kind: 'failure', reason };
  }

  private async onInitial(token: Buffer, transport: TransportPacket): Promise<ServerReply> {
    const { gss } = this.options;
    // The first token: the acceptor is created and stepped in one worker call.
    const accepting: Promise<GssCallResult<GssServerStep & { handle?: GssHandle }>> = this.handle ? gss.serverStep(this.handle, token.toString('base64')) : gss.serverAccept(this.options.service, token.toString('base64'));
    // While MIT works on the token in its worker, decode it for the Exchange here (should the
    // decoder throw, the call's own failure must not go unhandled).
    accepting.catch(() => undefined);
    const decoded = this.decoder.decode('client-to-server', token);
    this.apReq ??= token;
    this.ticketKeys ??= this.decoder.lastLearned;
    let step;
    try {
      step = await accepting;
    } catch (error) {
      if (!(error instanceof GssError)) throw error;
      this.options.recorder.add(stepOf(decoded, 'client-to-server', token, transport, { trace: error.trace, error: error.message }));
      return this.fail(error.message, error.kind === 'gss' ? 'GSS failure' : `GSS worker ${error.kind}`);
    }
    this.options.recorder.add(stepOf(decoded, 'client-to-server', token, transport, { trace: step.trace }));
    this.handle = step.value.complete ? undefined : (step.value.handle ?? this.handle); // a complete context: the worker released it
    const response = Buffer.from(step.value.response, 'base64');
    if (!step.value.complete) return this.challenge(response, 'challenge (GSS continue)');
    this.username = step.value.username;
    this.keys = contextKeysFrom(this.apReq, response, this.keySource());
    this.sendSequence = this.keys.acceptorSequence;
    this.receiveSequence = this.keys.initiatorSequence;
    if (response.length > 0) {
      this.state = 'await-empty';
      return this.challenge(response, 'challenge (AP-REP)');
    }
    return this.sendOffer();
  }

  /**
   * Decoding the AP-REQ for the Exchange opened its ticket already: the keys it learned (the
   * ticket's session key among them) open the authenticator without decrypting the ticket again.
   * When the decoder could not open the ticket, the keytab says why.
   */
  private keySource(): ContextKeySource {
    const learned = this.ticketKeys ?? [];
    return learned.length > 0 ? { sessionKeys: learned } : { keytab: this.options.keytab };
  }

  private onEmpty(token: Buffer, transport: TransportPacket): ServerReply {
    this.record('client-to-server', token, transport);
    if (token.length !== 0) throw new SaslProtocolError(`expected an empty response after the AP-REP, got ${token.length} bytes`);
    return this.sendOffer();
  }

  private sendOffer(): ServerReply {
    const { key, acceptorSubkey } = perMessageKey(this.keys!);
    const token = wrap(key.key, key.enctype, encodeOffer(this.options.offer), {
      sentByAcceptor: true,
      sealed: false,
      acceptorSubkey,
      sequence: this.sendSequence++,
    });
    this.state = 'await-choice';
    return this.challenge(token, 'challenge (security-layer offer)');
  }

  private onChoice(token: Buffer, transport: TransportPacket): ServerReply {
    this.record('client-to-server', token, transport);
    const { key } = perMessageKey(this.keys!);
    const opened = unwrap(key.key, key.enctype, token, { expectSentByAcceptor: false, expectSequence: this.receiveSequence++ });
    if (opened.problems.length) throw new SaslProtocolError(`the security-layer reply is not acceptable: ${opened.problems.map((p) => p.message).join('; ')}`);
    this.choice = decodeChoice(opened.plaintext, this.options.offer);
    this.state = 'established';
    const exchange = this.options.recorder.exchange;
    exchange.identity = { ...(this.username ? { principal: this.username } : {}), ...(this.choice.authzid ? { authzid: this.choice.authzid } : {}) };
    exchange.securityLayer = { layer: this.choice.layer, maxBuffer: this.choice.maxBuffer };
    this.options.recorder.finish({ outcome: 'success', reason: `authenticated ${this.username ?? 'the client'}; security layer ${this.choice.layer}` });
    return { kind: 'success' };
  }

  private challenge(token: Buffer, packet: string): ServerReply {
    const transport = this.options.challengeTransport ? { ...this.options.challengeTransport, fields: { ...this.options.challengeTransport.fields, carries: packet } } : SASL(packet);
    this.record('server-to-client', token, transport);
    return { kind: 'challenge', token };
  }

  /** An application message to send: as is without a layer, else length + Wrap token. */
  protect(plaintext: Buffer): Buffer {
    const choice = this.requireLayer();
    if (choice.layer === 'none') {
      this.record('server-to-client', plaintext, SASL('application message'));
      return plaintext;
    }
    const { key, acceptorSubkey } = perMessageKey(this.keys!);
    const token = wrap(key.key, key.enctype, plaintext, { sentByAcceptor: true, sealed: choice.layer === 'privacy', acceptorSubkey, sequence: this.sendSequence++ });
    const message = frameMessage(token);
    this.record('server-to-client', message, SASL('application message'));
    return message;
  }

  /** A received application message, unprotected (verifies integrity and sequence). */
  unprotect(message: Buffer): Buffer {
    const choice = this.requireLayer();
    this.record('client-to-server', message, SASL('application message'));
    if (choice.layer === 'none') return message;
    const { key } = perMessageKey(this.keys!);
    const opened = unwrap(key.key, key.enctype, unframeMessage(message, this.options.offer.maxBuffer), { expectSentByAcceptor: false, expectSequence: this.receiveSequence++ });
    if (opened.problems.length) throw new SaslProtocolError(opened.problems.map((p) => p.message).join('; '));
    if (choice.layer === 'privacy' && !opened.sealed) throw new SaslProtocolError('privacy was negotiated but the message is not sealed');
    return opened.plaintext;
  }

  private requireLayer(): SecurityLayerChoice {
    if (!this.choice) throw new SaslProtocolError('no security layer yet: the SASL exchange has not completed');
    return this.choice;
  }

  async dispose(): Promise<void> {
    if (this.handle) await this.options.gss.release(this.handle).catch(() => undefined);
  }
}
