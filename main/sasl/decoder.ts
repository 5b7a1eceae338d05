/**
 * Decodes the messages of one SASL GSSAPI conversation in order, as an observer holding some keys
 * (the service keytab, a client's ccache): the GSS context tokens (AP-REQ, AP-REP, KRB-ERROR),
 * the wrapped security-layer offer and reply, then the application messages. Keys learned on the
 * way (session key, subkeys) open the later tokens. Used for live server/client runs and for
 * recorded transcripts alike.
 */
import { decodeAuto } from '../krb/decode/auto';
import { createDecodeSession, type KeySpec } from '../krb/decode/session';
import type { DecodeSession, KeyEntry } from '../krb/decode/keyring';
import { KrbDecodeError } from '../krb/errors';
import { parseInitialContextToken } from '../krb/gss/framing';
import { decodePerMessageToken } from '../krb/gss/rfc4121';
import type { TreeNode } from '../krb/tree';
import type { ExchangeStep, StepDirection, TransportPacket } from '../exchange/model';
import { unframeMessage } from './framing';
import { decodeChoice, decodeOffer, describeChoice, describeOffer, layerTree, SaslProtocolError, type SaslLayer, type SecurityLayerChoice, type SecurityLayerOffer } from './layers';

export type SaslPhase = 'context' | 'offer' | 'choice' | 'application';

export interface DecodedSaslMessage {
  phase: SaslPhase;
  tokenKind: string;
  summary: string;
  decoded?: TreeNode;
  learnedKeys: string[];
  /** The plaintext of a wrapped offer, reply or application message, when a key opened it. */
  plaintext?: Buffer;
  offer?: SecurityLayerOffer;
  choice?: SecurityLayerChoice;
  error?: string;
}

/** RFC 4121 Wrap/MIC (05 04 / 04 04), or an RFC 4757 (RC4) token: framed, with TOK_ID 02 01 or 01 01. */
function isPerMessageToken(bytes: Uint8Array): boolean {
  if ((bytes[0] === 0x05 || bytes[0] === 0x04) && bytes[1] === 0x04) return true;
  if (bytes[0] !== 0x60) return false;
  try {
    const { tokId } = parseInitialContextToken(bytes);
    return tokId === 0x0201 || tokId === 0x0101;
  } catch {
    return false;
  }
}

/** Finds the node holding the opened plaintext in a decoded Wrap token. */
function plaintextNode(tree: TreeNode): TreeNode | undefined {
  const stack = [tree];
  while (stack.length) {
    const node = stack.pop()!;
    if (node.decrypted) {
      const inner = node.decrypted.tree;
      return inner.name === 'plaintext data' ? inner : inner.children?.find((c) => c.name === 'plaintext data');
    }
    stack.push(...(node.children ?? []));
  }
  return undefined;
}

const MESSAGE_TYPES = new Set(['AP-REQ', 'AP-REP', 'KRB-ERROR']);

/** The Kerberos message's own one-liner ("ticket for mqtt/localhost@…"), not the framing's. */
function messageSummary(tree: TreeNode): string | undefined {
  const queue = [tree];
  while (queue.length) {
    const node = queue.shift()!;
    if (MESSAGE_TYPES.has(node.type) && node.value !== undefined) return `${node.type}: ${String(node.value)}`;
    queue.push(...(node.children ?? []));
  }
  return undefined;
}

export class SaslStepDecoder {
  readonly session: DecodeSession;
  private phase: SaslPhase = 'context';
  private offer: SecurityLayerOffer | undefined;
  private choice: SecurityLayerChoice | undefined;
  /** The keys the last decoded message revealed (an AP-REQ: the ticket's session key, the initiator subkey). */
  lastLearned: readonly KeyEntry[] = [];

  constructor(keys: readonly KeySpec[]) {
    this.session = createDecodeSession(keys);
  }

  /** The client's choice (layer, max buffer, authorization id) once the reply was seen. */
  get negotiated(): SecurityLayerChoice | undefined {
    return this.choice;
  }

  private get layer(): SaslLayer | undefined {
    return this.choice?.layer;
  }

  decode(direction: StepDirection, bytes: Uint8Array): DecodedSaslMessage {
    const before = this.session.keyring.addedCount;
    const learned = () => (this.lastLearned = this.session.keyring.addedSince(before)).map((k) => k.source);
    try {
      const result = this.decodeInPhase(direction, bytes);
      return { ...result, learnedKeys: learned() };
    } catch (error) {
      if (!(error instanceof KrbDecodeError) && !(error instanceof SaslProtocolError)) throw error;
      return { phase: this.phase, tokenKind: 'undecodable', summary: error.message, learnedKeys: learned(), error: error.message };
    }
  }

  private decodeInPhase(direction: StepDirection, bytes: Uint8Array): Omit<DecodedSaslMessage, 'learnedKeys'> {
    if (bytes.length === 0) return { phase: this.phase, tokenKind: 'empty', summary: this.phase === 'context' ? 'empty response (context established)' : 'empty' };
    if (this.phase === 'context' && isPerMessageToken(bytes)) this.phase = direction === 'server-to-client' ? 'offer' : 'choice';
    switch (this.phase) {
      case 'context': {
        const { kind, tree } = decodeAuto(bytes, { session: this.session });
        return { phase: 'context', tokenKind: kind, summary: messageSummary(tree) ?? kind, decoded: tree };
      }
      case 'offer':
      case 'choice':
        return this.decodeLayerToken(bytes);
      case 'application':
        return this.decodeApplication(bytes);
    }
  }

  private decodeLayerToken(bytes: Uint8Array): Omit<DecodedSaslMessage, 'learnedKeys'> {
    const phase = this.phase;
    const { tree } = decodePerMessageToken(bytes, 0, this.perMessageCandidates());
    const node = plaintextNode(tree);
    const result: Omit<DecodedSaslMessage, 'learnedKeys'> = {
      phase,
      tokenKind: phase === 'offer' ? 'security-layer offer (wrapped)' : 'security-layer reply (wrapped)',
      summary: phase === 'offer' ? 'security-layer offer: no key to open it' : 'security-layer reply: no key to open it',
      decoded: tree,
    };
    this.phase = phase === 'offer' ? 'choice' : 'application';
    if (!node) return result;
    const plaintext = Buffer.from(String(node.value ?? ''), 'hex');
    node.children = [layerTree(phase === 'offer' ? 'offer' : 'choice', plaintext)];
    result.plaintext = plaintext;
    if (phase === 'offer') {
      this.offer = decodeOffer(plaintext);
      result.offer = this.offer;
      result.summary = describeOffer(this.offer);
    } else {
      const choice = decodeChoice(plaintext, this.offer);
      this.choice = choice;
      result.choice = choice;
      result.summary = describeChoice(choice);
    }
    return result;
  }

  /**
   * Every key on the ring, the ones learned from this conversation first, newest first: a Wrap
   * token is protected with a subkey or the session key (RFC 4121 §2), so the acceptor subkey
   * usually opens it at the first try, where the keytab's long-term keys would each cost a
   * failed integrity check. Which key opens a token does not depend on the order.
   */
  private perMessageCandidates(): KeyEntry[] {
    return this.session.keyring.allLearnedFirst();
  }

  private decodeApplication(bytes: Uint8Array): Omit<DecodedSaslMessage, 'learnedKeys'> {
    if (this.layer === 'none' || this.layer === undefined) {
      const text = Buffer.from(bytes).toString('utf8').replace(/\0$/, '');
      return {
        phase: 'application',
        tokenKind: 'application message (no security layer)',
        summary: `"${text}"`,
        plaintext: Buffer.from(bytes),
        decoded: { name: 'application message', type: 'plain bytes', offset: 0, length: bytes.length, value: text },
      };
    }
    const token = unframeMessage(bytes);
    const { tree } = decodePerMessageToken(token, 4, this.perMessageCandidates());
    const node = plaintextNode(tree);
    const plaintext = node ? Buffer.from(String(node.value ?? ''), 'hex') : undefined;
    const text = plaintext?.toString('utf8').replace(/\0$/, '');
    if (node && text !== undefined) node.children = [{ name: 'text', type: 'UTF-8', offset: 0, length: plaintext!.length, value: text }];
    return {
      phase: 'application',
      tokenKind: `application message (${this.layer})`,
      summary: text !== undefined ? `"${text}"` : 'protected message: no key to open it',
      ...(plaintext ? { plaintext } : {}),
      decoded: {
        name: 'SASL protected message',
        type: '4-byte length + GSS Wrap token',
        offset: 0,
        length: bytes.length,
        children: [{ name: 'length', type: 'uint32', offset: 0, length: 4, value: token.length }, tree],
      },
    };
  }
}

/** A message as an Exchange step: decoded by `decoder`, with the trace and any error of its handling. */
export function decodedStep(
  decoder: SaslStepDecoder,
  direction: StepDirection,
  token: Buffer,
  transport: TransportPacket,
  extra: { trace?: string[]; error?: string } = {},
): Omit<ExchangeStep, 'index' | 'at' | 'elapsedMs'> {
  return stepOf(decoder.decode(direction, token), direction, token, transport, extra);
}

/** A message decoded earlier (while its handling ran) as an Exchange step, with that handling's trace and error. */
export function stepOf(
  decoded: DecodedSaslMessage,
  direction: StepDirection,
  token: Buffer,
  transport: TransportPacket,
  extra: { trace?: string[]; error?: string } = {},
): Omit<ExchangeStep, 'index' | 'at' | 'elapsedMs'> {
  const error = extra.error ?? decoded.error;
  return {
    direction,
    transport,
    token: token.toString('base64'),
    tokenKind: decoded.tokenKind,
    summary: decoded.summary,
    ...(decoded.decoded ? { decoded: decoded.decoded } : {}),
    ...(decoded.learnedKeys.length ? { learnedKeys: decoded.learnedKeys } : {}),
    ...(extra.trace?.length ? { trace: extra.trace } : {}),
    ...(error ? { error } : {}),
  };
}
