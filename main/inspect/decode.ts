/**
 * `kbench decode`, `kbench explain-key` and the Decoder view: bytes + key sources → a decoded,
 * decrypted tree; tickets found anywhere in the input → key-match verdicts.
 */
import type { DecodeReport } from '../api/inspect';
import { decodeAuto } from '../krb/decode/auto';
import { createDecodeSession, type KeySpec } from '../krb/decode/session';
import { readTlv } from '../krb/der/reader';
import { decodeDer } from '../krb/der/schema';
import { KrbDecodeError } from '../krb/errors';
import { explainKeyMatch, type ExplainSaltOptions, type KeyMatchExplanation } from '../krb/explain';
import type { KeytabEntry } from '../krb/keytab';
import { enctypeName } from '../krb/names';
import { Ticket } from '../krb/messages/ticket';
import { checkTreeDepth, type TreeNode } from '../krb/tree';

export interface DecodeOptions {
  revealSecrets?: boolean;
  /** The message a MIC token protects: with it, a MIC token is verified. */
  micData?: Uint8Array;
}

export function decodeBytes(bytes: Uint8Array, keys: readonly KeySpec[], options: DecodeOptions = {}): DecodeReport {
  return decodeSequence([bytes], keys, options)[0]!;
}

/**
 * Decodes the messages of one conversation in order with one key ring, so keys learned from an
 * earlier message open the later ones: AP-REQ (ticket → session key, authenticator → subkey),
 * AP-REP (→ acceptor subkey), then Wrap/MIC tokens. A message that fails to decode gets a report
 * whose tree carries the error; the others still decode.
 */
export function decodeSequence(messages: readonly Uint8Array[], keys: readonly KeySpec[], options: DecodeOptions = {}): DecodeReport[] {
  const session = createDecodeSession(keys);
  const reveal = options.revealSecrets ?? false;
  return messages.map((bytes) => {
    const before = session.keyring.addedCount;
    const learned = (): Pick<DecodeReport, 'learnedKeys' | 'learnedKeyValues'> => {
      const keys = session.keyring.addedSince(before);
      const values = keys.map((k) => ({ source: k.source, enctype: enctypeName(k.enctype), key: k.key.toString('hex') }));
      return { learnedKeys: keys.map((k) => k.source), ...(reveal ? { learnedKeyValues: values } : {}) };
    };
    try {
      const decoded = decodeAuto(bytes, { session, revealSecrets: reveal, ...(options.micData ? { micData: options.micData } : {}) });
      return { kind: decoded.kind, length: bytes.length, tree: decoded.tree, ...learned() };
    } catch (error) {
      if (!(error instanceof KrbDecodeError) || messages.length === 1) throw error;
      return { kind: 'undecodable', length: bytes.length, tree: { name: 'input', type: 'bytes', offset: error.offset, length: bytes.length, error: error.message }, learnedKeys: [] };
    }
  });
}

/** Byte ranges of every Ticket in the input (not inside decrypted parts, whose offsets are their own). */
function ticketNodes(node: TreeNode, out: TreeNode[] = [], depth = 0): TreeNode[] {
  checkTreeDepth(node, depth);
  if (node.type === 'Ticket') out.push(node);
  for (const child of node.children ?? []) ticketNodes(child, out, depth + 1);
  return out;
}

/** Every Ticket in `bytes` (bare, in an AP-REQ, a GSS/SPNEGO token, a KDC reply or a ccache). */
export function findTickets(bytes: Uint8Array): { offset: number; ticket: Ticket }[] {
  const { tree } = decodeAuto(bytes);
  return ticketNodes(tree).map((node) => {
    let tlv = readTlv({ bytes, base: 0 }, node.offset, node.offset + node.length, 'Ticket', '');
    // Inside a SEQUENCE the node spans the [n] field wrapper: step into it.
    if (tlv.tagClass === 'context') tlv = readTlv({ bytes, base: 0 }, tlv.offset + tlv.headerLength, node.offset + node.length, 'Ticket', '');
    const slice = bytes.subarray(tlv.offset, tlv.offset + tlv.headerLength + tlv.length);
    return { offset: tlv.offset, ticket: decodeDer(Ticket, slice, 'Ticket', { base: tlv.offset }).value };
  });
}

export function explainKeys(ticketBytes: Uint8Array, keytab: readonly KeytabEntry[], options: ExplainSaltOptions = {}): KeyMatchExplanation[] {
  const tickets = findTickets(ticketBytes);
  if (tickets.length === 0) throw new KrbDecodeError('input', '', 0, 'no Kerberos ticket found in the input');
  return tickets.map(({ ticket }) => explainKeyMatch(ticket, keytab, options));
}

/** The first node holding a client name: a cname with its crealm (or the realm beside it). */
function clientIn(tree: TreeNode): string | undefined {
  const stack: TreeNode[] = [tree];
  while (stack.length) {
    const node = stack.pop()!;
    const children = node.children ?? [];
    const cname = children.find((c) => c.name === 'cname');
    const realm = children.find((c) => c.name === 'crealm') ?? children.find((c) => c.name === 'realm');
    if (typeof cname?.value === 'string' && typeof realm?.value === 'string') return `${cname.value}@${realm.value}`;
    stack.push(...children.slice().reverse());
  }
  return undefined;
}

/**
 * The client the messages name (AS-REQ cname and realm, KRB-ERROR or KDC-REP cname/crealm), read
 * without keys: a password given without a principal is that client's.
 */
export function clientNamed(messages: readonly Uint8Array[]): string | undefined {
  for (const bytes of messages) {
    try {
      const client = clientIn(decodeAuto(bytes).tree);
      if (client) return client;
    } catch (error) {
      if (!(error instanceof KrbDecodeError)) throw error;
    }
  }
  return undefined;
}
