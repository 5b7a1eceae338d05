/**
 * The Kerberos change/set password protocol (RFC 3244; MS-KILE §3.1.5.14 for Windows), port 464.
 * A request and a reply share one framing, big-endian:
 *
 *   message length (2) | protocol version (2) | AP-REQ or AP-REP length (2) | AP-REQ/AP-REP | KRB-PRIV or KRB-ERROR
 *
 * Version 0x0001 changes the caller's own password: the KRB-PRIV's user-data is the new password.
 * Version 0xFF80 (set password) carries ChangePasswdData, which may name another principal. A
 * reply's user-data is a result code and a result string — from Active Directory, a soft error
 * carries the domain's password policy in binary instead of text.
 *
 * Passwords are hidden unless secrets are revealed, in the tree and in the plaintext's hex view.
 */
import { decodeDer, field, OctetString, optional, seq, type Infer } from './der/schema';
import type { DecodeSession } from './decode/keyring';
import { KrbDecodeError } from './errors';
import { decodeKerberosMessage, PrincipalName, Realm } from './messages';
import { privPlaintexts } from './messages/safe-priv';
import { formatName } from './names';
import { childNode, type DecryptedPart, type TreeNode } from './tree';

const STRUCTURE = 'kpasswd message';
const HEADER = 6;
export const KPASSWD_CHANGE = 0x0001;
export const KPASSWD_SET = 0xff80;

const VERSIONS: Record<number, string> = {
  [KPASSWD_CHANGE]: 'change password (RFC 3244)',
  [KPASSWD_SET]: 'set password (RFC 3244 / MS-KILE)',
};

/** Result codes (RFC 3244 §2; MIT krb5.h KRB5_KPASSWD_*). */
export const KPASSWD_RESULTS: Record<number, string> = {
  0: 'KRB5_KPASSWD_SUCCESS',
  1: 'KRB5_KPASSWD_MALFORMED: the request was malformed',
  2: 'KRB5_KPASSWD_HARDERROR: the server could not process the request',
  3: 'KRB5_KPASSWD_AUTHERROR: authentication failed',
  4: 'KRB5_KPASSWD_SOFTERROR: the new password was rejected (policy: length, history, complexity, age)',
  5: 'KRB5_KPASSWD_ACCESSDENIED: not allowed to change this password',
  6: 'KRB5_KPASSWD_BAD_VERSION: protocol version not supported',
  7: 'KRB5_KPASSWD_INITIAL_FLAG_NEEDED: the ticket must come from an AS exchange (kadmin/changepw with a password)',
};

/** Active Directory's password policy in a soft error's result string (30 bytes, starting 00 00). */
const AD_POLICY_LENGTH = 30;
const AD_POLICY_COMPLEX = 0x1;
const TICKS_PER_DAY = 864_000_000_000n;

export const ChangePasswdData = seq('ChangePasswdData', {
  newpasswd: field(0, 'newpasswd', OctetString),
  targname: optional(1, 'targname', PrincipalName),
  targrealm: optional(2, 'targrealm', Realm),
});

/** True when `bytes` is exactly one kpasswd request or reply (its own length field says so). */
export function isKpasswdMessage(bytes: Uint8Array): boolean {
  if (bytes.length < HEADER + 2) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const length = view.getUint16(0);
  const version = view.getUint16(2);
  const apLength = view.getUint16(4);
  if (length !== bytes.length || !VERSIONS[version] || HEADER + apLength >= bytes.length) return false;
  const ap = bytes[HEADER];
  const next = bytes[HEADER + apLength];
  // AP-REQ (0x6e) or AP-REP (0x6f), then KRB-PRIV (0x75) or KRB-ERROR (0x7e); a reply with no AP-REP holds a KRB-ERROR.
  if (apLength === 0) return next === 0x7e;
  return (ap === 0x6e || ap === 0x6f) && (next === 0x75 || next === 0x7e);
}

export interface KpasswdOptions {
  session?: DecodeSession;
  revealSecrets?: boolean;
}

/** Hides `length` bytes at `offset` of a decrypted part's plaintext (the hex view shows zeros). */
function hideInPlaintext(part: DecryptedPart, offset: number, length: number): void {
  if (part.plaintext) {
    const bytes = Buffer.from(part.plaintext, 'hex');
    bytes.fill(0, offset, offset + length);
    part.plaintext = bytes.toString('hex');
  }
  part.masked = [...(part.masked ?? []), [offset, length]];
}

/** The content of an OCTET STRING node: its last `length` bytes (after tag and length). */
const contentOffset = (node: TreeNode, length: number): number => node.offset + node.length - length;

/** Shows a password node as hidden (and zeroes its bytes in the part's hex) unless secrets are revealed. */
function showPassword(node: TreeNode, password: Buffer, part: DecryptedPart, reveal: boolean): void {
  node.type = 'OCTET STRING (new password)';
  node.value = reveal ? password.toString('utf8') : `<${password.length} bytes hidden: the new password>`;
  if (!reveal) hideInPlaintext(part, contentOffset(node, password.length), password.length);
}

/** A request's user-data: the new password (version 1) or ChangePasswdData (0xFF80). */
function readRequestData(userData: Buffer, node: TreeNode, part: DecryptedPart, version: number, reveal: boolean): void {
  if (version === KPASSWD_CHANGE) return showPassword(node, userData, part, reveal);
  try {
    const decoded = decodeDer(ChangePasswdData, userData, 'ChangePasswdData', { base: contentOffset(node, userData.length), revealSecrets: reveal, exact: false });
    const value = decoded.value as Infer<typeof ChangePasswdData>;
    const password = childNode(decoded.tree, 'newpasswd');
    if (password) showPassword(password, value.newpasswd, part, reveal);
    const target = value.targname ? `for ${formatName(value.targname.nameString)}${value.targrealm ? `@${value.targrealm}` : ''}` : 'for the caller';
    decoded.tree.value = target;
    // The OCTET STRING's own value is the encoding, password included: say what it holds instead.
    node.value = `ChangePasswdData, ${target}${reveal ? '' : ' (new password hidden)'}`;
    node.children = [decoded.tree];
  } catch (error) {
    if (!(error instanceof KrbDecodeError)) throw error;
    node.error = error.message;
  }
}

/** AD_POLICY_INFO: zero (2), min length, history, properties (4 each), max age, min age (8 each, 100 ns units). */
function readAdPolicy(bytes: Buffer, base: number): TreeNode {
  const days = (ticks: bigint) => (ticks === 0n ? 'none' : `${Number(ticks / TICKS_PER_DAY)} day(s)`);
  const minLength = bytes.readUInt32BE(2);
  const history = bytes.readUInt32BE(6);
  const properties = bytes.readUInt32BE(10);
  const complex = (properties & AD_POLICY_COMPLEX) !== 0;
  const minAge = days(bytes.readBigUInt64BE(22));
  const fields: TreeNode[] = [
    { name: 'zero', type: 'uint16', offset: base, length: 2, value: 0 },
    { name: 'MinPasswordLength', type: 'uint32', offset: base + 2, length: 4, value: minLength },
    { name: 'PasswordHistoryLength', type: 'uint32', offset: base + 6, length: 4, value: history },
    { name: 'PasswordProperties', type: 'uint32', offset: base + 10, length: 4, value: `0x${properties.toString(16)}${complex ? ' (complexity required)' : ''}` },
    { name: 'MaxPasswordAge', type: 'uint64 (100 ns)', offset: base + 14, length: 8, value: days(bytes.readBigUInt64BE(14)) },
    { name: 'MinPasswordAge', type: 'uint64 (100 ns)', offset: base + 22, length: 8, value: minAge },
  ];
  const summary = `minimum length ${minLength}, history ${history}${complex ? ', complexity required' : ''}, minimum age ${minAge}`;
  return { name: 'result string', type: 'AD_POLICY_INFO (Active Directory password policy)', offset: base, length: AD_POLICY_LENGTH, value: summary, children: fields };
}

/** A reply's result: code (2) and string — UTF-8 text, or AD's binary policy on a soft error. */
export function readResult(bytes: Buffer, base: number): TreeNode {
  if (bytes.length < 2) return { name: 'result', type: 'kpasswd result', offset: base, length: bytes.length, error: `${bytes.length} byte(s): a result needs a 2-byte code` };
  const code = bytes.readUInt16BE(0);
  const text = bytes.subarray(2);
  const codeNode: TreeNode = { name: 'result code', type: 'uint16', offset: base, length: 2, value: `${code} (${KPASSWD_RESULTS[code] ?? 'unknown'})` };
  const isPolicy = text.length === AD_POLICY_LENGTH && text[0] === 0 && text[1] === 0;
  const stringNode: TreeNode = isPolicy
    ? readAdPolicy(text, base + 2)
    : { name: 'result string', type: 'UTF-8', offset: base + 2, length: text.length, value: text.toString('utf8') };
  const name = KPASSWD_RESULTS[code]?.split(':')[0] ?? `result ${code}`;
  const shown = isPolicy ? String(stringNode.value) : text.toString('utf8');
  return { name: 'result', type: 'kpasswd result', offset: base, length: bytes.length, value: shown ? `${name}: ${shown}` : name, children: [codeNode, stringNode] };
}

/** The KRB-PRIV's plaintext user-data, read for what the protocol says it is; a reply's result is returned. */
function readUserData(value: unknown, privTree: TreeNode, isReply: boolean, version: number, reveal: boolean): TreeNode | undefined {
  const plain = privPlaintexts.get(value as object);
  const part = childNode(privTree, 'enc-part')?.decrypted;
  const node = childNode(part?.tree, 'user-data');
  if (!plain || !part || !node) return undefined;
  if (!isReply) {
    readRequestData(plain.userData, node, part, version, reveal);
    return undefined;
  }
  const result = readResult(plain.userData, contentOffset(node, plain.userData.length));
  node.children = [result];
  node.value = result.value;
  return result;
}

/** A KRB-ERROR instead of a KRB-PRIV: its e-data holds the result (RFC 3244 §2). */
function readErrorResult(value: unknown, errorTree: TreeNode): void {
  const eData = (value as { eData?: Buffer }).eData;
  const node = childNode(errorTree, 'e-data');
  if (!eData || !node || eData.length < 2) return;
  node.children = [readResult(eData, contentOffset(node, eData.length))];
  delete node.error;
}

/** Decodes one kpasswd request or reply; `base` is its offset in the input. */
export function decodeKpasswd(bytes: Uint8Array, base: number, options: KpasswdOptions = {}): { kind: string; tree: TreeNode } {
  if (!isKpasswdMessage(bytes)) throw new KrbDecodeError(STRUCTURE, '', base, 'not a kpasswd request or reply (RFC 3244 framing)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const version = view.getUint16(2);
  const apLength = view.getUint16(4);
  const isReply = apLength === 0 || bytes[HEADER] === 0x6f;
  const reveal = options.revealSecrets ?? false;
  const decodeOptions = { session: options.session, revealSecrets: reveal };
  const children: TreeNode[] = [
    { name: 'message length', type: 'uint16', offset: base, length: 2, value: bytes.length },
    { name: 'protocol version', type: 'uint16', offset: base + 2, length: 2, value: `0x${version.toString(16).padStart(4, '0')} (${VERSIONS[version]})` },
    { name: isReply ? 'AP-REP length' : 'AP-REQ length', type: 'uint16', offset: base + 4, length: 2, value: apLength },
  ];
  const kinds: string[] = [];
  const tree: TreeNode = { name: isReply ? 'kpasswd reply' : 'kpasswd request', type: 'kpasswd message (RFC 3244)', offset: base, length: bytes.length, children };
  const decodePart = (start: number, end: number, name: string): { value: unknown; tree: TreeNode; kind: string } | undefined => {
    try {
      const decoded = decodeKerberosMessage(bytes.subarray(start, end), { ...decodeOptions, base: base + start });
      kinds.push(decoded.kind);
      children.push(decoded.tree);
      return decoded;
    } catch (error) {
      if (!(error instanceof KrbDecodeError)) throw error;
      children.push({ name, type: 'bytes', offset: base + start, length: end - start, error: error.message });
      return undefined;
    }
  };
  if (apLength > 0) decodePart(HEADER, HEADER + apLength, isReply ? 'AP-REP' : 'AP-REQ');
  const last = decodePart(HEADER + apLength, bytes.length, bytes[HEADER + apLength] === 0x7e ? 'KRB-ERROR' : 'KRB-PRIV');
  const result = last?.kind === 'KRB-PRIV' ? readUserData(last.value, last.tree, isReply, version, reveal) : undefined;
  if (last?.kind === 'KRB-ERROR') readErrorResult(last.value, last.tree);
  tree.value = `${VERSIONS[version]}: ${kinds.join(' + ')}${result?.value ? ` — ${result.value}` : ''}`;
  return { kind: `kpasswd ${isReply ? 'reply' : 'request'} (${kinds.join(' + ') || 'undecodable'})`, tree };
}
