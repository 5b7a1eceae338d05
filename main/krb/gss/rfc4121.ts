/**
 * RFC 4121 §4.2 per-message tokens ("CFX"), never framed:
 *
 *   MIC:  04 04 | Flags | FF FF FF FF FF | SND_SEQ (8, BE) | SGN_CKSUM
 *   Wrap: 05 04 | Flags | FF | EC (2, BE) | RRC (2, BE) | SND_SEQ (8, BE) | Data
 *   Flags: SentByAcceptor 0x01, Sealed 0x02, AcceptorSubkey 0x04
 *
 * Sealed Wrap:   Data = rotate-right(encrypt(data | EC filler bytes | header with RRC = 0), RRC)
 * Unsealed Wrap: Data = rotate-right(data | checksum(data | header with EC = RRC = 0), RRC),
 *                and EC carries the checksum length.
 * MIC:           SGN_CKSUM = checksum(data | 16-byte header).
 * Key usages follow the sender: Wrap 24 (initiator) / 22 (acceptor), MIC 25 / 23 (RFC 4121 §2).
 * MIT sends RRC = 0, Windows RRC = 28 for sealed tokens; both are read here.
 *
 * Etype 23 (RC4-HMAC) does not use this format: wrap/unwrap/mic/verifyMic hand it to the
 * RFC 4757 implementation (rfc4757.ts), so callers can pass any supported enctype.
 */
import { BinaryReader } from '../binary';
import { getEnctype, requireEnctype, type EncryptionType } from '../crypto';
import { KrbCryptoError, KrbDecodeError } from '../errors';
import { enctypeName } from '../names';
import type { TreeNode } from '../tree';
import { KeyUsage, keyUsageLabel } from '../usages';
import { bitNames, hexByte, readField } from './fields';
import { hex16, isInitialContextToken } from './framing';
import type { TokenExpectations, TokenProblem } from './problems';
import { decodeRfc1964Token, isRfc1964TokId, RFC1964_SUMMARY, Rfc1964TokId, SGN_ALG_HMAC_MD5 } from './rfc1964';
import { micRc4, unwrapRc4, verifyMicRc4, wrapRc4, type Rc4UnwrapResult } from './rfc4757';

export const CfxTokId = { MIC: 0x0404, WRAP: 0x0504 } as const;
export const CfxFlag = { SentByAcceptor: 0x01, Sealed: 0x02, AcceptorSubkey: 0x04 } as const;
export const CFX_HEADER_LENGTH = 16;

const FLAG_NAMES: Record<number, string> = { 0x01: 'SentByAcceptor', 0x02: 'Sealed', 0x04: 'AcceptorSubkey' };
const RC4_HMAC = 23;
/** DES and triple-DES contexts use RFC 1964 tokens (MIT, Heimdal): RFC 4121 §4.2 is for the newer enctypes. */
const RFC1964_ENCTYPES = new Set([1, 3, 16]);

/** The enctype of an RFC 4121 token's key; DES and triple DES are refused, naming the token format they use. */
function cfxEnctype(enctypeId: number): EncryptionType {
  if (RFC1964_ENCTYPES.has(enctypeId)) {
    throw new KrbCryptoError('unsupported-enctype', `${enctypeName(enctypeId)} contexts use RFC 1964 tokens, not RFC 4121 Wrap/MIC tokens`);
  }
  return requireEnctype(enctypeId);
}

export function cfxFlagNames(flags: number): string[] {
  return bitNames(flags, FLAG_NAMES);
}

/** RFC 4121 §2: Wrap tokens use the SEAL usages whether or not they are sealed. */
export const wrapKeyUsage = (sentByAcceptor: boolean): number => (sentByAcceptor ? KeyUsage.GSS_ACCEPTOR_SEAL : KeyUsage.GSS_INITIATOR_SEAL);
export const micKeyUsage = (sentByAcceptor: boolean): number => (sentByAcceptor ? KeyUsage.GSS_ACCEPTOR_SIGN : KeyUsage.GSS_INITIATOR_SIGN);

// ---- Header encoding and rotation ----------------------------------------------------------

function toSequence(sequence: number | bigint): bigint {
  const n = BigInt(sequence);
  if (n < 0n || n > 0xffffffffffffffffn) throw new KrbCryptoError('bad-input', `SND_SEQ must fit in 64 bits, got ${n}`);
  return n;
}

function toUint16(value: number, field: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff) throw new KrbCryptoError('bad-input', `${field} must be 0..65535, got ${value}`);
  return value;
}

export function encodeWrapHeader(flags: number, ec: number, rrc: number, sequence: number | bigint): Buffer {
  const out = Buffer.alloc(CFX_HEADER_LENGTH);
  out.writeUInt16BE(CfxTokId.WRAP, 0);
  out[2] = flags;
  out[3] = 0xff;
  out.writeUInt16BE(toUint16(ec, 'EC'), 4);
  out.writeUInt16BE(toUint16(rrc, 'RRC'), 6);
  out.writeBigUInt64BE(toSequence(sequence), 8);
  return out;
}

export function encodeMicHeader(flags: number, sequence: number | bigint): Buffer {
  const out = Buffer.alloc(CFX_HEADER_LENGTH, 0xff);
  out.writeUInt16BE(CfxTokId.MIC, 0);
  out[2] = flags;
  out.writeBigUInt64BE(toSequence(sequence), 8);
  return out;
}

/** RFC 4121 §4.2.5 "right rotation": the last `count` bytes move to the front. */
export function rotateRight(data: Uint8Array, count: number): Buffer {
  if (data.length === 0) return Buffer.alloc(0);
  const n = count % data.length;
  return Buffer.concat([data.subarray(data.length - n), data.subarray(0, data.length - n)]);
}

export function rotateLeft(data: Uint8Array, count: number): Buffer {
  if (data.length === 0) return Buffer.alloc(0);
  const n = count % data.length;
  return Buffer.concat([data.subarray(n), data.subarray(0, n)]);
}

function makeFlags(o: { sentByAcceptor: boolean; sealed?: boolean; acceptorSubkey: boolean }): number {
  return (o.sentByAcceptor ? CfxFlag.SentByAcceptor : 0) | (o.sealed ? CfxFlag.Sealed : 0) | (o.acceptorSubkey ? CfxFlag.AcceptorSubkey : 0);
}

// ---- Header decoding -----------------------------------------------------------------------

export interface CfxHeader {
  tokId: number;
  flags: number;
  sentByAcceptor: boolean;
  sealed: boolean;
  acceptorSubkey: boolean;
  /** Wrap tokens only. */
  ec?: number;
  rrc?: number;
  sequence: bigint;
  /** False when the 0xFF filler is not 0xFF. */
  fillerValid: boolean;
  /** One tree leaf per header field, with absolute offsets. */
  nodes: TreeNode[];
}

const tokenName = (tokId: number): string => (tokId === CfxTokId.MIC ? 'MIC token' : 'Wrap token');

/** Reads the 16-byte header; throws KrbDecodeError when it is cut short or TOK_ID is not 04 04 / 05 04. */
export function readCfxHeader(bytes: Uint8Array, base = 0): CfxHeader {
  const first = bytes.length >= 2 ? (bytes[0]! << 8) | bytes[1]! : -1;
  const r = new BinaryReader(bytes, first === CfxTokId.MIC ? 'MIC token' : 'Wrap token', 0, base);
  const tokId = r.node('TOK_ID', 'uint16', () => r.uint16('TOK_ID'), (v) => `${v === CfxTokId.MIC ? 'MIC' : v === CfxTokId.WRAP ? 'Wrap' : 'unknown'} (${hex16(v)})`);
  if (tokId.value !== CfxTokId.MIC && tokId.value !== CfxTokId.WRAP) {
    r.fail('TOK_ID', `TOK_ID ${hex16(tokId.value)} is not an RFC 4121 token (MIC is 04 04, Wrap is 05 04)`, 0);
  }
  const wrap = tokId.value === CfxTokId.WRAP;
  const flags = r.node('Flags', 'uint8', () => r.uint8('Flags'), (v) => [hexByte(v), ...cfxFlagNames(v)]);
  if (flags.value & 0xf8) flags.node.error = 'reserved flag bits are set';
  if (!wrap && flags.value & CfxFlag.Sealed) flags.node.error = 'Sealed has no meaning in a MIC token';
  const fillerLength = wrap ? 1 : 5;
  const filler = readField(r, 'Filler', `${fillerLength} byte(s)`, () => r.bytesOf('Filler', fillerLength), (v) => v.toString('hex'));
  const fillerValid = filler.value.every((b) => b === 0xff);
  if (!fillerValid) filler.node.error = 'Filler must be 0xFF';
  const nodes = [tokId.node, flags.node, filler.node];
  const header: CfxHeader = {
    tokId: tokId.value,
    flags: flags.value,
    sentByAcceptor: (flags.value & CfxFlag.SentByAcceptor) !== 0,
    sealed: (flags.value & CfxFlag.Sealed) !== 0,
    acceptorSubkey: (flags.value & CfxFlag.AcceptorSubkey) !== 0,
    sequence: 0n,
    fillerValid,
    nodes,
  };
  if (wrap) {
    const ec = r.node('EC', 'uint16', () => r.uint16('EC'));
    const rrc = r.node('RRC', 'uint16', () => r.uint16('RRC'));
    header.ec = ec.value;
    header.rrc = rrc.value;
    nodes.push(ec.node, rrc.node);
  }
  const seq = readField(r, 'SND_SEQ', 'uint64', () => r.uint64('SND_SEQ'), (v) => v.toString());
  header.sequence = seq.value;
  nodes.push(seq.node);
  return header;
}

// ---- Results and options -------------------------------------------------------------------

export interface WrapOptions {
  sentByAcceptor: boolean;
  sealed: boolean;
  /** Sets the AcceptorSubkey flag: the key is the subkey from the AP-REP (RFC 4121 §4.2.2). No wire effect for etype 23. */
  acceptorSubkey: boolean;
  sequence: number | bigint;
  /** Right rotation count; MIT uses 0, Windows 28 (16 + the 12-byte AES-SHA1 checksum) for sealed tokens. */
  rrc?: number;
  /** Sealed tokens: number of 0xFF filler bytes before the header copy (default 0). */
  ec?: number;
  /** Known-answer tests only: the enctype's confounder (RC4: 8 bytes); random otherwise. */
  confounder?: Uint8Array;
}

export interface MicOptions {
  sentByAcceptor: boolean;
  acceptorSubkey: boolean;
  sequence: number | bigint;
}

export type VerifyOptions = TokenExpectations;

export interface MicResult {
  /** Token format: RFC 4121 for AES, RFC 4757 (RFC 1964 layout) for RC4-HMAC. */
  format: 'rfc4121' | 'rfc4757';
  sentByAcceptor: boolean;
  /** RFC 4121 only: RFC 4757 tokens have no such flag. */
  acceptorSubkey?: boolean;
  flags?: number;
  sequence: bigint;
  keyUsage: number;
  problems: TokenProblem[];
}

export interface UnwrapResult extends MicResult {
  plaintext: Buffer;
  sealed: boolean;
  ec?: number;
  rrc?: number;
  /** Sealed RFC 4121 tokens: the rotation that worked ("RRC+EC" is a Windows/impacket quirk). */
  rotation?: 'RRC' | 'RRC+EC';
  /** Sealed RFC 4121 tokens: the EC filler and the decrypted header copy. */
  filler?: Buffer;
  headerCopy?: Buffer;
}

function integrityError(kind: string, enctype: EncryptionType, usage: number, header: CfxHeader, detail = ''): KrbCryptoError {
  const whose = header.acceptorSubkey ? 'the acceptor subkey (AcceptorSubkey is set)' : 'the initiator subkey or session key (AcceptorSubkey is clear)';
  return new KrbCryptoError(
    'integrity',
    `${kind} does not verify with this ${enctype.name} key (key usage ${keyUsageLabel(usage)})${detail}: the token should be protected with ${whose}; wrong key, wrong direction, or the token was modified`,
  );
}

function expectationProblems(header: { sentByAcceptor: boolean; acceptorSubkey?: boolean; sequence: bigint }, options: TokenExpectations): TokenProblem[] {
  const problems: TokenProblem[] = [];
  const role = (acceptor: boolean) => (acceptor ? 'acceptor' : 'initiator');
  if (options.expectSentByAcceptor !== undefined && options.expectSentByAcceptor !== header.sentByAcceptor) {
    problems.push({ code: 'direction', message: `the token was sent by the ${role(header.sentByAcceptor)}, but one from the ${role(options.expectSentByAcceptor)} was expected (a reflected token?)` });
  }
  if (options.expectSequence !== undefined && BigInt(options.expectSequence) !== header.sequence) {
    problems.push({ code: 'sequence', message: `SND_SEQ is ${header.sequence}, expected ${BigInt(options.expectSequence)} (replayed, reordered or lost token)` });
  }
  if (options.expectAcceptorSubkey !== undefined && header.acceptorSubkey !== undefined && options.expectAcceptorSubkey !== header.acceptorSubkey) {
    problems.push({
      code: 'acceptor-subkey',
      message: options.expectAcceptorSubkey
        ? 'AcceptorSubkey is clear although the AP-REP carried a subkey: the peer protects with the initiator key'
        : 'AcceptorSubkey is set although no acceptor subkey was negotiated',
    });
  }
  return problems;
}

function strictHeader(token: Uint8Array, tokId: number): CfxHeader {
  const header = readCfxHeader(token);
  const kind = tokenName(tokId);
  if (header.tokId !== tokId) throw new KrbDecodeError(kind, 'TOK_ID', 0, `expected ${hex16(tokId)} but found ${hex16(header.tokId)}`);
  if (!header.fillerValid) throw new KrbDecodeError(kind, 'Filler', 3, 'Filler bytes must be 0xFF (RFC 4121 §4.2.6)');
  return header;
}

// ---- Wrap ----------------------------------------------------------------------------------

/** GSS_Wrap: an RFC 4121 Wrap token (RFC 4757 format for etype 23). */
export function wrap(key: Uint8Array, enctypeId: number, plaintext: Uint8Array, options: WrapOptions): Buffer {
  if (enctypeId === RC4_HMAC) {
    if (options.rrc || options.ec) throw new KrbCryptoError('bad-input', 'RC4-HMAC tokens (RFC 4757) have no EC or RRC field');
    return wrapRc4(key, plaintext, { sentByAcceptor: options.sentByAcceptor, sealed: options.sealed, sequence: options.sequence, ...(options.confounder ? { confounder: options.confounder } : {}) });
  }
  const enctype = cfxEnctype(enctypeId);
  const flags = makeFlags(options);
  const usage = wrapKeyUsage(options.sentByAcceptor);
  const rrc = toUint16(options.rrc ?? 0, 'RRC');
  if (options.sealed) {
    const ec = toUint16(options.ec ?? 0, 'EC');
    // The encrypted header copy carries RRC = 0: the receiver cannot know the rotation before decrypting.
    const headerCopy = encodeWrapHeader(flags, ec, 0, options.sequence);
    const ciphertext = enctype.encrypt(key, usage, Buffer.concat([plaintext, Buffer.alloc(ec, 0xff), headerCopy]), options.confounder);
    return Buffer.concat([encodeWrapHeader(flags, ec, rrc, options.sequence), rotateRight(ciphertext, rrc)]);
  }
  if (options.ec !== undefined && options.ec !== enctype.checksumLength) {
    throw new KrbCryptoError('bad-input', `an unsealed Wrap token's EC is the checksum length (${enctype.checksumLength} for ${enctype.name}), not ${options.ec}`);
  }
  const checksum = enctype.checksum(key, usage, Buffer.concat([plaintext, encodeWrapHeader(flags, 0, 0, options.sequence)]));
  return Buffer.concat([encodeWrapHeader(flags, checksum.length, rrc, options.sequence), rotateRight(Buffer.concat([plaintext, checksum]), rrc)]);
}

function fromRc4(result: Rc4UnwrapResult): UnwrapResult {
  return {
    format: 'rfc4757',
    plaintext: result.plaintext,
    sealed: result.sealed,
    sentByAcceptor: result.sentByAcceptor,
    sequence: result.sequence,
    keyUsage: result.keyUsage,
    problems: result.problems,
  };
}

const isIntegrity = (error: unknown): boolean => error instanceof KrbCryptoError && error.code === 'integrity';

/** Decrypts with the RFC rotation, then with the RRC+EC quirk when EC is non-zero. */
function decryptRotated(enctype: EncryptionType, key: Uint8Array, usage: number, body: Buffer, header: CfxHeader): { plaintext: Buffer; rotation: 'RRC' | 'RRC+EC' } {
  const rrc = header.rrc!;
  const ec = header.ec!;
  try {
    return { plaintext: enctype.decrypt(key, usage, rotateLeft(body, rrc)), rotation: 'RRC' };
  } catch (error) {
    if (!isIntegrity(error)) throw error;
    if (ec === 0) throw integrityError('Sealed Wrap token', enctype, usage, header);
  }
  try {
    return { plaintext: enctype.decrypt(key, usage, rotateLeft(body, rrc + ec)), rotation: 'RRC+EC' };
  } catch (error) {
    if (isIntegrity(error)) throw integrityError('Sealed Wrap token', enctype, usage, header, ' (tried rotations RRC and RRC+EC)');
    throw error;
  }
}

function unwrapSealed(enctype: EncryptionType, key: Uint8Array, token: Uint8Array, header: CfxHeader): UnwrapResult {
  const usage = wrapKeyUsage(header.sentByAcceptor);
  const decrypted = decryptRotated(enctype, key, usage, Buffer.from(token.subarray(CFX_HEADER_LENGTH)), header);
  const { plaintext, rotation } = decrypted;
  const ec = header.ec!;
  if (plaintext.length < ec + CFX_HEADER_LENGTH) {
    throw new KrbCryptoError('integrity', `the decrypted Wrap payload (${plaintext.length} bytes) is too short for EC ${ec} and the 16-byte header copy`);
  }
  const headerCopy = plaintext.subarray(plaintext.length - CFX_HEADER_LENGTH);
  const sent = token.subarray(0, CFX_HEADER_LENGTH);
  // RFC 4121 §4.2.4: the copy must match the header, except RRC (which the sender zeroes).
  if (!headerCopy.subarray(0, 6).equals(sent.subarray(0, 6)) || !headerCopy.subarray(8).equals(sent.subarray(8))) {
    throw new KrbCryptoError('integrity', `the header copy inside the encrypted part (${headerCopy.toString('hex')}) differs from the token header (${Buffer.from(sent).toString('hex')}): the header was modified`);
  }
  const problems: TokenProblem[] = [];
  if (rotation === 'RRC+EC') {
    problems.push({ code: 'rotation', message: `the ciphertext is rotated by RRC+EC (${header.rrc! + ec}) instead of RRC (${header.rrc}) as RFC 4121 §4.2.5 says: the Windows DCE-style quirk` });
  }
  if (headerCopy.readUInt16BE(6) !== 0) problems.push({ code: 'rrc', message: `the encrypted header copy has RRC ${headerCopy.readUInt16BE(6)}; RFC 4121 §4.2.4 says 0` });
  return {
    ...cfxResult(header, usage, problems),
    plaintext: Buffer.from(plaintext.subarray(0, plaintext.length - ec - CFX_HEADER_LENGTH)),
    rotation,
    filler: Buffer.from(plaintext.subarray(plaintext.length - ec - CFX_HEADER_LENGTH, plaintext.length - CFX_HEADER_LENGTH)),
    headerCopy: Buffer.from(headerCopy),
  };
}

function unwrapUnsealed(enctype: EncryptionType, key: Uint8Array, token: Uint8Array, header: CfxHeader): UnwrapResult {
  const usage = wrapKeyUsage(header.sentByAcceptor);
  const body = rotateLeft(token.subarray(CFX_HEADER_LENGTH), header.rrc!);
  const cksumLength = enctype.checksumLength;
  if (body.length < cksumLength) {
    throw new KrbCryptoError('bad-input', `the Wrap token has ${body.length} byte(s) after the header, fewer than the ${cksumLength}-byte ${enctype.name} checksum`);
  }
  // EC is zeroed in the checksummed header, so it is checked here rather than by the checksum.
  if (header.ec !== cksumLength) {
    throw new KrbDecodeError('Wrap token', 'EC', 4, `EC is ${header.ec} but an unsealed Wrap token's EC is the checksum length (${cksumLength} for ${enctype.name})`);
  }
  const problems: TokenProblem[] = [];
  const data = body.subarray(0, body.length - cksumLength);
  const signed = Buffer.concat([data, encodeWrapHeader(header.flags, 0, 0, header.sequence)]);
  if (!enctype.verifyChecksum(key, usage, signed, body.subarray(body.length - cksumLength))) throw integrityError('Wrap token', enctype, usage, header);
  return { ...cfxResult(header, usage, problems), plaintext: Buffer.from(data) };
}

function cfxResult(header: CfxHeader, usage: number, problems: TokenProblem[]): Omit<UnwrapResult, 'plaintext'> {
  return {
    format: 'rfc4121',
    sealed: header.sealed,
    sentByAcceptor: header.sentByAcceptor,
    acceptorSubkey: header.acceptorSubkey,
    flags: header.flags,
    ec: header.ec!,
    rrc: header.rrc!,
    sequence: header.sequence,
    keyUsage: usage,
    problems,
  };
}

/**
 * GSS_Unwrap: verifies and opens a Wrap token. Throws KrbCryptoError('integrity') with the wrong
 * key or a modified token, KrbDecodeError for a malformed header. Expectation mismatches
 * (sequence, direction, AcceptorSubkey) are returned as `problems`.
 */
export function unwrap(key: Uint8Array, enctypeId: number, token: Uint8Array, options: VerifyOptions = {}): UnwrapResult {
  if (enctypeId === RC4_HMAC) return fromRc4(unwrapRc4(key, token, options));
  const enctype = cfxEnctype(enctypeId);
  const header = strictHeader(token, CfxTokId.WRAP);
  const result = header.sealed ? unwrapSealed(enctype, key, token, header) : unwrapUnsealed(enctype, key, token, header);
  result.problems.push(...expectationProblems(header, options));
  return result;
}

// ---- MIC -----------------------------------------------------------------------------------

/** GSS_GetMIC: an RFC 4121 MIC token (RFC 4757 format for etype 23). */
export function mic(key: Uint8Array, enctypeId: number, data: Uint8Array, options: MicOptions): Buffer {
  if (enctypeId === RC4_HMAC) return micRc4(key, data, { sentByAcceptor: options.sentByAcceptor, sequence: options.sequence });
  const enctype = cfxEnctype(enctypeId);
  const header = encodeMicHeader(makeFlags(options), options.sequence);
  return Buffer.concat([header, enctype.checksum(key, micKeyUsage(options.sentByAcceptor), Buffer.concat([data, header]))]);
}

/** GSS_VerifyMIC: throws KrbCryptoError('integrity') when the checksum does not match. */
export function verifyMic(key: Uint8Array, enctypeId: number, data: Uint8Array, token: Uint8Array, options: VerifyOptions = {}): MicResult {
  if (enctypeId === RC4_HMAC) {
    const r = verifyMicRc4(key, data, token, options);
    return { format: 'rfc4757', sentByAcceptor: r.sentByAcceptor, sequence: r.sequence, keyUsage: r.keyUsage, problems: r.problems };
  }
  const enctype = cfxEnctype(enctypeId);
  const header = strictHeader(token, CfxTokId.MIC);
  const usage = micKeyUsage(header.sentByAcceptor);
  const signed = Buffer.concat([data, token.subarray(0, CFX_HEADER_LENGTH)]);
  if (!enctype.verifyChecksum(key, usage, signed, token.subarray(CFX_HEADER_LENGTH))) throw integrityError('MIC token', enctype, usage, header);
  const problems = expectationProblems(header, options);
  if (header.sealed) problems.push({ code: 'flags', message: 'the Sealed flag is set in a MIC token' });
  return { format: 'rfc4121', sentByAcceptor: header.sentByAcceptor, acceptorSubkey: header.acceptorSubkey, flags: header.flags, sequence: header.sequence, keyUsage: usage, problems };
}

// ---- Decoding for display ------------------------------------------------------------------

/** A key to try on a token; KeyRing entries (decode/keyring.ts) fit this shape. */
export interface GssKey {
  enctype: number;
  key: Uint8Array;
  source: string;
}

export interface PerMessageDecodeOptions {
  /** The message a MIC token covers (MIC tokens do not carry it); without it a MIC is not verified. */
  micData?: Uint8Array;
}

export interface DecodedPerMessageToken {
  format: 'rfc4121' | 'rfc1964';
  kind: 'mic' | 'wrap' | 'delete';
  tree: TreeNode;
  /** Set when a key opened (Wrap) or verified (MIC) the token. */
  opened?: { key: GssKey; result: MicResult | UnwrapResult };
}

const STRUCTURE = 'GSS per-message token';

/**
 * Decodes an RFC 4121 MIC/Wrap token or an RFC 1964 (DES/DES3/RC4) token into a field tree. With
 * keys, tries each one: the first that verifies hangs the plaintext under a `decrypted` member.
 * Throws KrbDecodeError only for bytes that are not such a token; crypto failures are recorded
 * on the tree.
 */
export function decodePerMessageToken(bytes: Uint8Array, base = 0, keys?: readonly GssKey[], options: PerMessageDecodeOptions = {}): DecodedPerMessageToken {
  if (bytes.length < 2) throw new KrbDecodeError(STRUCTURE, 'TOK_ID', base, `a per-message token starts with a 2-byte TOK_ID but ${bytes.length} byte(s) were given`);
  if (isInitialContextToken(bytes)) return decodeLegacy(bytes, base, keys, options);
  const tokId = (bytes[0]! << 8) | bytes[1]!;
  if (tokId === CfxTokId.MIC || tokId === CfxTokId.WRAP) return decodeCfx(bytes, base, keys, options);
  if (isRfc1964TokId(tokId)) return decodeLegacy(bytes, base, keys, options);
  throw new KrbDecodeError(STRUCTURE, 'TOK_ID', base, `TOK_ID ${hex16(tokId)} is not a GSS per-message token (RFC 4121: 04 04 MIC, 05 04 Wrap; RFC 1964: 01 01, 02 01, 01 02)`);
}

function cfxSummary(header: CfxHeader): string {
  const kind = header.tokId === CfxTokId.MIC ? 'MIC' : header.sealed ? 'sealed Wrap' : 'integrity-only Wrap';
  return `${kind} from the ${header.sentByAcceptor ? 'acceptor' : 'initiator'}, SND_SEQ ${header.sequence}${header.acceptorSubkey ? ', acceptor subkey' : ''}`;
}

function decodeCfx(bytes: Uint8Array, base: number, keys: readonly GssKey[] | undefined, options: PerMessageDecodeOptions): DecodedPerMessageToken {
  const header = readCfxHeader(bytes, base);
  const isMic = header.tokId === CfxTokId.MIC;
  const body = cfxBodyNode(bytes, base, header);
  const tree: TreeNode = {
    name: tokenName(header.tokId),
    type: isMic ? 'RFC 4121 §4.2.6.1 MIC token' : 'RFC 4121 §4.2.6.2 Wrap token',
    offset: base,
    length: bytes.length,
    value: cfxSummary(header),
    children: [...header.nodes, body],
  };
  const decoded: DecodedPerMessageToken = { format: 'rfc4121', kind: isMic ? 'mic' : 'wrap', tree };
  const candidates = (keys ?? []).filter((k) => k.enctype !== RC4_HMAC && !RFC1964_ENCTYPES.has(k.enctype) && getEnctype(k.enctype));
  if (!keys || keys.length === 0) return decoded;
  if (isMic && !options.micData) {
    body.error = 'checksum not verified: a MIC token does not carry the message it protects (pass the message to verify it)';
    return decoded;
  }
  if (candidates.length === 0) {
    body.sealed = { key: 'session key', note: 'protected with the session key or a subkey (RFC 4121: aes128/aes256), and no such key was there to try' };
    return decoded;
  }
  const opened = openWith(candidates, isMic ? 'mic' : 'wrap', bytes, options, body, (r) => keyUsageLabel(r.keyUsage));
  if (opened) decoded.opened = opened;
  return decoded;
}

type KeyAttempt = { result: MicResult | UnwrapResult } | { failure: string };

/** Verifies (MIC) or opens (Wrap) with one key; a failure says why, for the tree. */
function tryKey(kind: 'mic' | 'wrap', bytes: Uint8Array, candidate: GssKey, options: PerMessageDecodeOptions): KeyAttempt {
  try {
    return { result: kind === 'mic' ? verifyMic(candidate.key, candidate.enctype, options.micData ?? Buffer.alloc(0), bytes) : unwrap(candidate.key, candidate.enctype, bytes) };
  } catch (error) {
    if (error instanceof KrbCryptoError || error instanceof KrbDecodeError) return { failure: error.message };
    throw error;
  }
}

/** Tries each key; the first that fits hangs its result under `target.decrypted`. */
function openWith(
  candidates: readonly GssKey[],
  kind: 'mic' | 'wrap',
  bytes: Uint8Array,
  options: PerMessageDecodeOptions,
  target: TreeNode,
  keyUsage: (r: MicResult) => string,
): DecodedPerMessageToken['opened'] {
  const failures: string[] = [];
  let lastFailure = '';
  for (const candidate of candidates) {
    const attempt = tryKey(kind, bytes, candidate, options);
    if ('failure' in attempt) {
      failures.push(`${enctypeName(candidate.enctype)} from ${candidate.source}`);
      lastFailure = attempt.failure;
      continue;
    }
    target.decrypted = { keyUsage: keyUsage(attempt.result), keySource: candidate.source, tree: openedTree(attempt.result, options), ...openedBytes(attempt.result, options) };
    return { key: candidate, result: attempt.result };
  }
  target.error = `none of the ${failures.length} key(s) ${kind === 'mic' ? 'verifies' : 'opens'} this token (tried ${failures.join('; ')}); last error: ${lastFailure}`;
  return undefined;
}

function cfxBodyNode(bytes: Uint8Array, base: number, header: CfxHeader): TreeNode {
  const offset = base + CFX_HEADER_LENGTH;
  const length = bytes.length - CFX_HEADER_LENGTH;
  const rest = Buffer.from(bytes.subarray(CFX_HEADER_LENGTH));
  if (header.tokId === CfxTokId.MIC) return { name: 'SGN_CKSUM', type: 'checksum', offset, length, value: rest.toString('hex') };
  if (header.sealed) {
    return { name: 'Data', type: 'encrypted data | filler | header copy', offset, length, value: `${length} bytes${header.rrc ? `, rotated right by RRC ${header.rrc}` : ''}` };
  }
  const ec = header.ec!;
  if (header.rrc !== 0 || length < ec) {
    return { name: 'Data', type: 'plaintext data | checksum', offset, length, value: `${length} bytes${header.rrc ? `, rotated right by RRC ${header.rrc}` : ''}` };
  }
  return {
    name: 'Data',
    type: 'plaintext data | checksum',
    offset,
    length,
    children: [
      { name: 'plaintext data', type: 'bytes', offset, length: length - ec, value: rest.subarray(0, length - ec).toString('hex') },
      { name: 'checksum', type: `${ec} bytes`, offset: offset + length - ec, length: ec, value: rest.subarray(length - ec).toString('hex') },
    ],
  };
}

/** The bytes the `decrypted` tree's offsets point into, for the hex view. */
function openedBytes(result: MicResult | UnwrapResult, options: PerMessageDecodeOptions): { plaintext: string } {
  if (!('plaintext' in result)) return { plaintext: Buffer.from(options.micData ?? []).toString('hex') };
  const parts = result.sealed && result.headerCopy ? [result.plaintext, result.filler ?? Buffer.alloc(0), result.headerCopy] : [result.plaintext];
  return { plaintext: Buffer.concat(parts).toString('hex') };
}

/** The tree hung under `decrypted`: offsets are within the plaintext. */
function openedTree(result: MicResult | UnwrapResult, options: PerMessageDecodeOptions): TreeNode {
  if (!('plaintext' in result)) {
    const length = options.micData?.length ?? 0;
    return { name: 'message', type: 'data covered by the MIC', offset: 0, length, value: 'checksum verified' };
  }
  const data: TreeNode = { name: 'plaintext data', type: 'bytes', offset: 0, length: result.plaintext.length, value: result.plaintext.toString('hex') };
  if (!result.sealed || !result.headerCopy) return data;
  const fillerLength = result.filler!.length;
  const copyOffset = result.plaintext.length + fillerLength;
  const copy = readCfxHeader(result.headerCopy, copyOffset);
  return {
    name: 'plaintext',
    type: 'data | filler | header copy',
    offset: 0,
    length: copyOffset + CFX_HEADER_LENGTH,
    value: `${result.plaintext.length} bytes of data${result.rotation === 'RRC+EC' ? ' (rotation RRC+EC)' : ''}`,
    children: [
      data,
      { name: 'EC filler', type: `${fillerLength} bytes`, offset: result.plaintext.length, length: fillerLength, value: result.filler!.toString('hex') },
      { name: 'header copy', type: 'RFC 4121 Wrap header (RRC = 0)', offset: copyOffset, length: CFX_HEADER_LENGTH, children: copy.nodes },
    ],
  };
}

// ---- RFC 1964 / RFC 4757 tokens ------------------------------------------------------------

function decodeLegacy(bytes: Uint8Array, base: number, keys: readonly GssKey[] | undefined, options: PerMessageDecodeOptions): DecodedPerMessageToken {
  const { value, tree } = decodeRfc1964Token(bytes, base);
  const kind = value.tokId === Rfc1964TokId.WRAP ? 'wrap' : value.tokId === Rfc1964TokId.MIC ? 'mic' : 'delete';
  const decoded: DecodedPerMessageToken = { format: 'rfc1964', kind, tree };
  const tokenNode = tree.children?.find((c) => c.value === RFC1964_SUMMARY) ?? tree;
  if (value.sgnAlg !== SGN_ALG_HMAC_MD5 || kind === 'delete' || !keys?.length) return decoded;
  const candidates = keys.filter((k) => k.enctype === RC4_HMAC);
  const target = tokenNode.children?.find((c) => c.name === (kind === 'wrap' ? 'Data' : 'SGN_CKSUM'));
  if (!target) return decoded;
  if (kind === 'mic' && !options.micData) {
    target.error = 'checksum not verified: a MIC token does not carry the message it protects (pass the message to verify it)';
    return decoded;
  }
  if (candidates.length === 0) {
    target.sealed = { key: 'session key', note: 'protected with the RC4-HMAC session key or subkey (RFC 4757), and no such key was there to try' };
    return decoded;
  }
  const usageLabel = (r: MicResult) => `${r.keyUsage} (RFC 4757 Microsoft usage, ${kind === 'wrap' ? 'Wrap' : 'MIC'})`;
  const opened = openWith(candidates, kind, bytes, options, target, usageLabel);
  if (!opened) return decoded;
  const r = opened.result;
  const what = kind === 'wrap' ? ('sealed' in r && r.sealed ? 'sealed Wrap' : 'integrity-only Wrap') : 'MIC';
  tokenNode.value = `RFC 4757 RC4-HMAC ${what} from the ${r.sentByAcceptor ? 'acceptor' : 'initiator'}, SND_SEQ ${r.sequence}`;
  decoded.opened = opened;
  return decoded;
}
