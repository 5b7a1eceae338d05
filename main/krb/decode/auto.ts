/**
 * Recognises what the user gave us and decodes it: keytab, ccache, GSS-API tokens (framed or
 * bare), SPNEGO (and NTLMSSP inside it), RFC 4121 per-message tokens, RFC 1964 tokens, or any
 * Kerberos message. Inner tokens are decoded recursively and hung under their placeholders.
 */
import { parseCcache, parsesAsCcache } from '../ccache';
import { KrbDecodeError } from '../errors';
import { isInitialContextToken, isKerberosMech, parseInitialContextToken, SPNEGO_OID, tokIdName } from '../gss/framing';
import { decodeNtlmssp, isNtlmssp } from '../gss/ntlm';
import { decodeRfc1964Token, isRfc1964TokId } from '../gss/rfc1964';
import { decodePerMessageToken } from '../gss/rfc4121';
import { decodeSpnego } from '../gss/spnego';
import { identifyInput } from '../identify';
import { isKeytab, parseKeytab } from '../keytab';
import { decodeKpasswd, isKpasswdMessage } from '../kpasswd';
import { decodeKerberosMessage, kerberosMessageName, Ticket } from '../messages';
import { decodeDer } from '../der/schema';
import { tlv } from '../der/writer';
import type { TreeNode } from '../tree';
import { embeddedTokens, missingApplicationTag, tcpRecords, type Span, type TcpRecords } from './carve';
import type { DecodeSession } from './keyring';

export interface AutoDecodeOptions {
  session?: DecodeSession;
  revealSecrets?: boolean;
  /** The message a MIC token protects (a MIC does not carry it): with it, the MIC is verified. */
  micData?: Uint8Array;
}

export interface AutoDecoded {
  /** What the input is: "keytab", "FILE ccache", "AP-REQ", "GSS-API initial context token (AP-REQ)" … */
  kind: string;
  tree: TreeNode;
}

/** Nesting of tokens inside tokens (SPNEGO → GSS → AP-REQ → KRB-CRED) never goes this deep. */
const MAX_NESTING = 8;

function replacePlaceholder(tree: TreeNode, name: string, replacement: TreeNode): void {
  const children = tree.children ?? [];
  const index = children.findIndex((c) => c.name === name);
  if (index >= 0) children[index] = replacement;
  else children.push(replacement);
}

function decodeKerberosToken(bytes: Uint8Array, base: number, options: AutoDecodeOptions, depth: number): AutoDecoded {
  const framed = parseInitialContextToken(bytes, base);
  if (framed.mechOid === SPNEGO_OID) return decodeSpnegoToken(bytes, base, options, depth);
  if (isKerberosMech(framed.mechOid)) {
    const inner = decodeKerberosMessage(framed.inner, { base: framed.innerOffset, session: options.session, revealSecrets: options.revealSecrets, allowTrailing: true });
    replacePlaceholder(framed.tree, 'innerToken', inner.tree);
    return { kind: `GSS-API initial context token (${inner.kind})`, tree: framed.tree };
  }
  if (isNtlmssp(framed.inner)) {
    replacePlaceholder(framed.tree, 'innerToken', decodeNtlmssp(framed.inner, framed.innerOffset).tree);
    return { kind: 'GSS-API token (NTLMSSP)', tree: framed.tree };
  }
  return { kind: `GSS-API initial context token (mechanism ${framed.mechOid})`, tree: framed.tree };
}

function decodeSpnegoToken(bytes: Uint8Array, base: number, options: AutoDecodeOptions, depth: number): AutoDecoded {
  const spnego = decodeSpnego(bytes, base);
  const kinds: string[] = [];
  for (const token of spnego.innerTokens) {
    try {
      const inner = decodeAutoAt(token.bytes, token.offset, options, depth + 1);
      kinds.push(inner.kind);
      token.node.children = [inner.tree];
    } catch (error) {
      if (!(error instanceof KrbDecodeError)) throw error;
      token.node.error = error.message;
    }
  }
  const ntlm = kinds.some((k) => k.includes('NTLMSSP'));
  const tree = spnego.tree;
  if (ntlm) tree.error = 'This Negotiate token carries NTLM, not Kerberos: the client fell back to NTLM (no ticket for the service: missing SPN, a host name or IP instead of the FQDN, or no TGT).';
  return { kind: `SPNEGO ${spnego.value.kind === 'negTokenInit' ? 'NegTokenInit' : 'NegTokenResp'}${kinds.length ? ` (${kinds.join(', ')})` : ''}`, tree };
}

/** A ccache's length-prefixed data: a 4-byte length in front of the bytes. */
const CCACHE_DATA_HEADER = 4;

/** The leaf whose content is exactly [offset, offset+length) behind a header of `header` bytes at most. */
function findByOffset(node: TreeNode, offset: number, length: number, header = CCACHE_DATA_HEADER): TreeNode | undefined {
  if (node.offset + node.length === offset + length && node.offset <= offset && node.offset + header >= offset && !node.children?.length) return node;
  for (const child of node.children ?? []) {
    const found = findByOffset(child, offset, length, header);
    if (found) return found;
  }
  return undefined;
}

function decodeStore(bytes: Uint8Array, options: AutoDecodeOptions): AutoDecoded | undefined {
  if (isKeytab(bytes)) {
    // 05 01 / 05 02 also start a ccache of format 1 or 2: a keytab unless only the ccache parses.
    try {
      return { kind: 'keytab', tree: parseKeytab(bytes, { revealKeys: options.revealSecrets }).tree };
    } catch (error) {
      if (!(error instanceof KrbDecodeError) || !parsesAsCcache(bytes)) throw error;
    }
  }
  // 05 04 is both the ccache v4 magic and the RFC 4121 Wrap TOK_ID; a Wrap token has the 0xFF
  // filler at byte 3, where a ccache has the low byte of its header length (12).
  const wrapToken = bytes[0] === 0x05 && bytes[1] === 0x04 && bytes[3] === 0xff;
  if (bytes[0] === 0x05 && bytes[1]! >= 0x01 && bytes[1]! <= 0x04 && !wrapToken) {
    const { ccache, tree } = parseCcache(bytes, { revealKeys: options.revealSecrets });
    // Decode (and, with a key, decrypt) each ticket in place.
    ccache.credentials.forEach((credential) => {
      const holder = findByOffset(tree, credential.ticketOffset, credential.ticket.length);
      if (!holder || credential.ticket.length === 0) return;
      try {
        holder.children = [decodeDer(Ticket, credential.ticket, 'Ticket', { base: credential.ticketOffset, revealSecrets: options.revealSecrets, extra: options.session }).tree];
      } catch (error) {
        if (!(error instanceof KrbDecodeError)) throw error;
        holder.error = error.message;
      }
    });
    return { kind: 'FILE ccache', tree };
  }
  return undefined;
}

/** Decodes one message of a stream or blob; a message that fails becomes a node with the error. */
function decodePart(bytes: Uint8Array, span: Span, options: AutoDecodeOptions, depth: number): { kind: string; tree: TreeNode } {
  try {
    return decodeAutoAt(bytes.subarray(span.offset, span.offset + span.length), span.offset, options, depth + 1);
  } catch (error) {
    if (!(error instanceof KrbDecodeError)) throw error;
    return { kind: 'undecodable', tree: { name: 'message', type: 'bytes', offset: span.offset, length: span.length, error: error.message } };
  }
}

/** RFC 4120 §7.2.2 records, decoded in order with one session (a later reply opens with an earlier key). */
function decodeTcpRecords(bytes: Uint8Array, stream: TcpRecords, options: AutoDecodeOptions, depth: number): AutoDecoded {
  const parts = stream.records.map((span) => decodePart(bytes, span, options, depth));
  const children: TreeNode[] = stream.records.map((span, i) => ({
    name: `record[${i}]`,
    type: 'TCP record (RFC 4120 §7.2.2)',
    offset: span.offset - 4,
    length: span.length + 4,
    value: parts[i]!.kind,
    children: [{ name: 'record mark', type: 'uint32 (length)', offset: span.offset - 4, length: 4, value: span.length }, parts[i]!.tree],
  }));
  if (stream.rest) {
    const { offset, reason } = stream.rest;
    children.push({ name: 'rest', type: 'bytes', offset, length: bytes.length - offset, error: `not a record: ${reason}` });
  }
  const kinds = parts.map((p) => p.kind).join(', ');
  const tree: TreeNode = { name: 'Kerberos over TCP', type: 'record stream', offset: 0, length: bytes.length, value: `${parts.length} record(s): ${kinds}`, children };
  return { kind: parts.length === 1 ? `${kinds} (over TCP, behind its record mark)` : `Kerberos over TCP: ${kinds}`, tree };
}

/** Tokens found inside bytes that are not a token themselves; the bytes around them are left as they are. */
function decodeEmbedded(bytes: Uint8Array, spans: Span[], options: AutoDecodeOptions, depth: number): AutoDecoded {
  const children: TreeNode[] = [];
  let at = 0;
  const parts: string[] = [];
  for (const span of spans) {
    if (span.offset > at) children.push({ name: 'other data', type: 'bytes (not decoded)', offset: at, length: span.offset - at });
    const part = decodePart(bytes, span, options, depth);
    parts.push(`${part.kind} at byte ${span.offset}`);
    children.push(part.tree);
    at = span.offset + span.length;
  }
  if (at < bytes.length) children.push({ name: 'other data', type: 'bytes (not decoded)', offset: at, length: bytes.length - at });
  const what = parts.join('; ');
  return { kind: `${what}, inside ${bytes.length} bytes of other data`, tree: { name: 'input', type: 'bytes', offset: 0, length: bytes.length, value: what, children } };
}

function decodeAutoAt(bytes: Uint8Array, base: number, options: AutoDecodeOptions, depth: number): AutoDecoded {
  if (depth > MAX_NESTING) throw new KrbDecodeError('token', '', base, `tokens nested more than ${MAX_NESTING} deep`);
  if (bytes.length === 0) throw new KrbDecodeError('input', '', base, 'nothing to decode');
  if (base === 0) {
    const store = decodeStore(bytes, options);
    if (store) return store;
    const stream = tcpRecords(bytes);
    if (stream) return decodeTcpRecords(bytes, stream, options, depth);
  }
  if (isNtlmssp(bytes)) return { kind: 'NTLMSSP', tree: decodeNtlmssp(bytes, base).tree };
  if (isInitialContextToken(bytes)) return decodeKerberosToken(bytes, base, options, depth);
  const first = bytes[0]!;
  if (first === 0xa0 || first === 0xa1) return decodeSpnegoToken(bytes, base, options, depth);
  const tokId = bytes.length >= 2 ? (bytes[0]! << 8) | bytes[1]! : -1;
  if (tokId === 0x0404 || tokId === 0x0504) {
    // The conversation's keys first (its subkeys): in ring order, a capture's later tokens tried every older session's key first.
    const keys = options.session?.keyring.allLearnedFirst();
    return { kind: tokId === 0x0404 ? 'RFC 4121 MIC token' : 'RFC 4121 Wrap token', tree: decodePerMessageToken(bytes, base, keys, options.micData ? { micData: options.micData } : {}).tree };
  }
  if (isRfc1964TokId(tokId)) return { kind: 'RFC 1964 token', tree: decodeRfc1964Token(bytes, base).tree };
  if (tokIdName(tokId) && bytes.length > 2 && kerberosMessageName(bytes.subarray(2))) {
    const inner = decodeKerberosMessage(bytes.subarray(2), { base: base + 2, session: options.session, revealSecrets: options.revealSecrets, allowTrailing: true });
    const tree: TreeNode = {
      name: 'Kerberos GSS token',
      type: 'TOK_ID + message (unframed)',
      offset: base,
      length: bytes.length,
      children: [{ name: 'TOK_ID', type: 'uint16', offset: base, length: 2, value: tokIdName(tokId)! }, inner.tree],
    };
    return { kind: `GSS token (${inner.kind})`, tree };
  }
  if (isKpasswdMessage(bytes)) return decodeKpasswd(bytes, base, options);
  if (kerberosMessageName(bytes)) {
    const decoded = decodeKerberosMessage(bytes, { base, session: options.session, revealSecrets: options.revealSecrets });
    return { kind: decoded.kind, tree: decoded.tree };
  }
  const untagged = missingApplicationTag(bytes);
  if (untagged !== undefined) return decodeUntagged(bytes, base, untagged, options);
  const embedded = base === 0 ? embeddedTokens(bytes) : [];
  if (embedded.length) return decodeEmbedded(bytes, embedded, options, depth);
  throw new KrbDecodeError('input', '', base, `not a keytab, ccache, GSS-API/SPNEGO token or Kerberos message (${whatItIs(bytes, base)})`);
}

/**
 * A message serialised without its [APPLICATION n] tag: decoded with the tag put back in front,
 * offsets still those of the user's bytes, and a warning on the message that says what was missing.
 */
function decodeUntagged(bytes: Uint8Array, base: number, tag: number, options: AutoDecodeOptions): AutoDecoded {
  const tagged = tlv('application', true, tag, bytes);
  const header = tagged.length - bytes.length;
  const decoded = decodeKerberosMessage(tagged, { base: base - header, session: options.session, revealSecrets: options.revealSecrets });
  const tree: TreeNode = {
    ...decoded.tree,
    offset: base,
    length: bytes.length,
    error: `warning: serialised without its [APPLICATION ${tag}] tag — decoded as ${decoded.kind}, which its pvno and msg-type fields say it is`,
  };
  return { kind: `${decoded.kind} (without its [APPLICATION ${tag}] tag)`, tree };
}

/** "starts with 0a0d0d0a" — or, for the user's own input, what it recognisably is instead. */
function whatItIs(bytes: Uint8Array, base: number): string {
  const start = `starts with ${Buffer.from(bytes.subarray(0, 4)).toString('hex')}`;
  if (base !== 0) return start;
  const format = identifyInput(bytes);
  if (format.kind === 'unknown' || format.kind === 'empty') return start;
  const capture = format.kind === 'pcap' || format.kind === 'pcapng' || format.kind === 'gzip';
  return `this is ${format.description}${capture ? ': captures are not read by the bench yet — paste the token or message itself' : ''}`;
}

/** Decodes whatever `bytes` is. Throws KrbDecodeError when it is none of the known formats or malformed. */
export function decodeAuto(bytes: Uint8Array, options: AutoDecodeOptions = {}): AutoDecoded {
  return decodeAutoAt(bytes, 0, options, 0);
}
