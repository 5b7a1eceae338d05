/**
 * RC4-HMAC (etype 23) per-message tokens, RFC 4757 §7.2–7.3: the RFC 1964 token layout with
 * SGN_ALG 0x11 (HMAC MD5) and SEAL_ALG 0x10 (RC4), as Windows and MIT produce them.
 *
 *   SGN_CKSUM = first 8 bytes of HMAC-MD5(Ksign, MD5(msUsage | header[0..8) | [confounder] | data))
 *               (the hmac-md5 keyed checksum; msUsage 15 for MIC, 13 for Wrap)
 *   Kseq      = HMAC-MD5(HMAC-MD5(Kss, 0 as int32 LE), SGN_CKSUM)
 *   SND_SEQ   = RC4(Kseq, seq as 4 bytes BIG-endian | direction × 4)  (00 initiator, FF acceptor)
 *   Kcrypt    = HMAC-MD5(HMAC-MD5(Kss XOR 0xF0, 0 as int32 LE), seq as 4 bytes big-endian)
 *   sealed    = RC4(Kcrypt, confounder | data | padding)     — one key stream for both
 * There is no SentByAcceptor flag: the direction travels inside the encrypted SND_SEQ. The data
 * is padded to RC4's block size of one: a single 0x01 byte (RFC 1964 §1.2.2.3).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { rc4, requireEnctype } from '../crypto';
import { KrbCryptoError } from '../errors';
import { frameInitialContextToken, KERBEROS_OIDS } from './framing';
import { decodeRfc1964Token, Rfc1964TokId, SEAL_ALG_NONE, SEAL_ALG_RC4, SGN_ALG_HMAC_MD5, type Rfc1964Token } from './rfc1964';
import type { TokenExpectations, TokenProblem } from './problems';

const RC4_ENCTYPE = 23;
const CONFOUNDER_LENGTH = 8;
const SGN_CKSUM_LENGTH = 8;
/** RFC 4757 §7.3 Microsoft key usages of the hmac-md5 checksum. */
export const RC4_USAGE = { MIC: 15, WRAP: 13 } as const;

export interface Rc4MicOptions {
  sentByAcceptor: boolean;
  /** 32-bit sequence number (RFC 4757 carries 4 bytes of it). */
  sequence: number | bigint;
}

export interface Rc4WrapOptions extends Rc4MicOptions {
  sealed: boolean;
  /** For known-answer tests only: the 8-byte confounder; random otherwise. */
  confounder?: Uint8Array;
}

export type Rc4VerifyOptions = Pick<TokenExpectations, 'expectSentByAcceptor' | 'expectSequence'>;

export interface Rc4TokenResult {
  format: 'rfc4757';
  sentByAcceptor: boolean;
  sequence: bigint;
  sealed: boolean;
  keyUsage: number;
  problems: TokenProblem[];
}

export interface Rc4UnwrapResult extends Rc4TokenResult {
  plaintext: Buffer;
  confounder: Buffer;
  /** The padding bytes removed from the end of the data. */
  padding: Buffer;
}

const hmacMd5 = (key: Uint8Array, data: Uint8Array): Buffer => createHmac('md5', key).update(data).digest();
const ZERO_INT32 = Buffer.alloc(4);

function sequence32(sequence: number | bigint): Buffer {
  const n = BigInt(sequence);
  if (n < 0n || n > 0xffffffffn) throw new KrbCryptoError('bad-input', `RC4-HMAC tokens carry a 32-bit sequence number; ${n} does not fit`);
  const out = Buffer.alloc(4);
  out.writeUInt32BE(Number(n));
  return out;
}

function requireRc4Key(key: Uint8Array): void {
  if (key.length !== 16) throw new KrbCryptoError('bad-key', `arcfour-hmac needs a 16-byte key, got ${key.length} byte(s)`);
}

/** The plaintext SND_SEQ: the sequence number big-endian (Microsoft's choice), then the direction. */
function plainSndSeq(sequence: number | bigint, sentByAcceptor: boolean): Buffer {
  return Buffer.concat([sequence32(sequence), Buffer.alloc(4, sentByAcceptor ? 0xff : 0x00)]);
}

function seqKey(key: Uint8Array, sgnCksum: Uint8Array): Buffer {
  return hmacMd5(hmacMd5(key, ZERO_INT32), sgnCksum);
}

function cryptKey(key: Uint8Array, seqBigEndian: Uint8Array): Buffer {
  const local = Buffer.from(key).map((b) => b ^ 0xf0);
  return hmacMd5(hmacMd5(local, ZERO_INT32), seqBigEndian);
}

function sgnCksum(key: Uint8Array, usage: number, ...parts: Uint8Array[]): Buffer {
  return requireEnctype(RC4_ENCTYPE).checksum(key, usage, Buffer.concat(parts)).subarray(0, SGN_CKSUM_LENGTH);
}

/** 8-byte header: TOK_ID, SGN_ALG, SEAL_ALG (Wrap) and the 0xFF filler. */
function header(tokId: number, sealAlg: number | null): Buffer {
  const out = Buffer.alloc(8, 0xff);
  out.writeUInt16BE(tokId, 0);
  out.writeUInt16LE(SGN_ALG_HMAC_MD5, 2);
  if (sealAlg !== null) out.writeUInt16LE(sealAlg, 4);
  return out;
}

function frame(token: Buffer): Buffer {
  // The framing writes TOK_ID itself, so hand it the token without it.
  return frameInitialContextToken(KERBEROS_OIDS.krb5, token.readUInt16BE(0), token.subarray(2));
}

/** GSS_GetMIC for RC4-HMAC (TOK_ID 01 01): a framed token. */
export function micRc4(key: Uint8Array, data: Uint8Array, options: Rc4MicOptions): Buffer {
  requireRc4Key(key);
  const head = header(Rfc1964TokId.MIC, null);
  const cksum = sgnCksum(key, RC4_USAGE.MIC, head, data);
  const sndSeq = rc4(seqKey(key, cksum), plainSndSeq(options.sequence, options.sentByAcceptor));
  return frame(Buffer.concat([head, sndSeq, cksum]));
}

/** GSS_Wrap for RC4-HMAC (TOK_ID 02 01): a framed token, sealed or integrity-only. */
export function wrapRc4(key: Uint8Array, plaintext: Uint8Array, options: Rc4WrapOptions): Buffer {
  requireRc4Key(key);
  const confounder = options.confounder ? Buffer.from(options.confounder) : randomBytes(CONFOUNDER_LENGTH);
  if (confounder.length !== CONFOUNDER_LENGTH) throw new KrbCryptoError('bad-input', `the confounder must be ${CONFOUNDER_LENGTH} bytes, got ${confounder.length}`);
  const head = header(Rfc1964TokId.WRAP, options.sealed ? SEAL_ALG_RC4 : SEAL_ALG_NONE);
  const body = Buffer.concat([confounder, plaintext, Buffer.from([0x01])]);
  const cksum = sgnCksum(key, RC4_USAGE.WRAP, head, body);
  const seqPlain = plainSndSeq(options.sequence, options.sentByAcceptor);
  const sndSeq = rc4(seqKey(key, cksum), seqPlain);
  const sent = options.sealed ? rc4(cryptKey(key, seqPlain.subarray(0, 4)), body) : body;
  return frame(Buffer.concat([head, sndSeq, cksum, sent]));
}

interface OpenedSeq {
  sequence: bigint;
  sentByAcceptor: boolean;
  seqBigEndian: Buffer;
  problems: TokenProblem[];
}

/** Opens SND_SEQ; the direction bytes double as its integrity check (RFC 1964 §1.2.1.2). */
function openSndSeq(key: Uint8Array, token: Rfc1964Token): OpenedSeq {
  const plain = rc4(seqKey(key, token.sgnCksum), token.sndSeq);
  const direction = plain.subarray(4);
  const valid = direction.equals(Buffer.alloc(4, 0x00)) || direction.equals(Buffer.alloc(4, 0xff));
  if (!valid) {
    throw new KrbCryptoError('integrity', `SND_SEQ decrypts to direction bytes ${direction.toString('hex')}, neither 00000000 (initiator) nor ffffffff (acceptor): wrong key or a modified token`);
  }
  return { sequence: BigInt(plain.readUInt32BE(0)), sentByAcceptor: direction[0] === 0xff, seqBigEndian: plain.subarray(0, 4), problems: [] };
}

function parseRc4(token: Uint8Array, tokId: number): Rfc1964Token {
  const { value } = decodeRfc1964Token(token);
  if (value.tokId !== tokId) {
    throw new KrbCryptoError('bad-input', `expected an RFC 4757 ${tokId === Rfc1964TokId.MIC ? 'MIC' : 'Wrap'} token but TOK_ID is ${value.tokId.toString(16).padStart(4, '0')}`);
  }
  if (value.sgnAlg !== SGN_ALG_HMAC_MD5) {
    throw new KrbCryptoError('unsupported-enctype', `SGN_ALG ${value.sgnAlg.toString(16)} is not HMAC MD5 (0x11): this is a DES/DES3 token, which the bench does not open`);
  }
  if (value.sealAlg !== undefined && value.sealAlg !== SEAL_ALG_RC4 && value.sealAlg !== SEAL_ALG_NONE) {
    throw new KrbCryptoError('unsupported-enctype', `SEAL_ALG ${value.sealAlg.toString(16)} is not RC4 (0x10) or none (0xffff)`);
  }
  return value;
}

function integrityError(what: string, usage: number): KrbCryptoError {
  return new KrbCryptoError('integrity', `${what} SGN_CKSUM does not match (RC4-HMAC, Microsoft key usage ${usage}): wrong key (session key vs. subkey?) or the token was modified`);
}

function expectations(result: { sentByAcceptor: boolean; sequence: bigint; problems: TokenProblem[] }, options: Rc4VerifyOptions): void {
  if (options.expectSentByAcceptor !== undefined && options.expectSentByAcceptor !== result.sentByAcceptor) {
    result.problems.push({ code: 'direction', message: `the token was sent by the ${result.sentByAcceptor ? 'acceptor' : 'initiator'}, but one from the ${options.expectSentByAcceptor ? 'acceptor' : 'initiator'} was expected (a reflected token?)` });
  }
  if (options.expectSequence !== undefined && BigInt(options.expectSequence) !== result.sequence) {
    result.problems.push({ code: 'sequence', message: `SND_SEQ is ${result.sequence}, expected ${BigInt(options.expectSequence)} (replayed, reordered or lost token)` });
  }
}

/** GSS_VerifyMIC for RC4-HMAC; throws KrbCryptoError('integrity') when the checksum does not match. */
export function verifyMicRc4(key: Uint8Array, data: Uint8Array, token: Uint8Array, options: Rc4VerifyOptions = {}): Rc4TokenResult {
  requireRc4Key(key);
  const parsed = parseRc4(token, Rfc1964TokId.MIC);
  const expected = sgnCksum(key, RC4_USAGE.MIC, parsed.header, data);
  if (!timingSafeEqual(expected, parsed.sgnCksum)) throw integrityError('MIC token', RC4_USAGE.MIC);
  const seq = openSndSeq(key, parsed);
  const result: Rc4TokenResult = { format: 'rfc4757', sentByAcceptor: seq.sentByAcceptor, sequence: seq.sequence, sealed: false, keyUsage: RC4_USAGE.MIC, problems: seq.problems };
  expectations(result, options);
  return result;
}

/** Strips the RFC 1964 §1.2.2.3 padding: n bytes of value n at the end of confounder | data. */
function stripPadding(plain: Buffer): { data: Buffer; padding: Buffer } {
  const n = plain[plain.length - 1]!;
  const dataLength = plain.length - CONFOUNDER_LENGTH - n;
  if (n === 0 || dataLength < 0 || !plain.subarray(plain.length - n).equals(Buffer.alloc(n, n))) {
    throw new KrbCryptoError('bad-input', `the checksum is valid but the padding is malformed: last byte ${n} with ${plain.length - CONFOUNDER_LENGTH} byte(s) of data|padding`);
  }
  return { data: plain.subarray(CONFOUNDER_LENGTH, CONFOUNDER_LENGTH + dataLength), padding: plain.subarray(CONFOUNDER_LENGTH + dataLength) };
}

/** GSS_Unwrap for RC4-HMAC; throws KrbCryptoError('integrity') with the wrong key or a modified token. */
export function unwrapRc4(key: Uint8Array, token: Uint8Array, options: Rc4VerifyOptions = {}): Rc4UnwrapResult {
  requireRc4Key(key);
  const parsed = parseRc4(token, Rfc1964TokId.WRAP);
  const sealed = parsed.sealAlg === SEAL_ALG_RC4;
  // The sequence number keys the decryption, so SND_SEQ is opened first (its key needs only SGN_CKSUM).
  const seq = openSndSeq(key, parsed);
  const plain = sealed ? rc4(cryptKey(key, seq.seqBigEndian), parsed.body!) : parsed.body!;
  const expected = sgnCksum(key, RC4_USAGE.WRAP, parsed.header, plain);
  if (!timingSafeEqual(expected, parsed.sgnCksum)) throw integrityError('Wrap token', RC4_USAGE.WRAP);
  const { data, padding } = stripPadding(plain);
  const result: Rc4UnwrapResult = {
    format: 'rfc4757',
    sentByAcceptor: seq.sentByAcceptor,
    sequence: seq.sequence,
    sealed,
    keyUsage: RC4_USAGE.WRAP,
    problems: seq.problems,
    plaintext: Buffer.from(data),
    confounder: Buffer.from(plain.subarray(0, CONFOUNDER_LENGTH)),
    padding: Buffer.from(padding),
  };
  expectations(result, options);
  return result;
}
