/**
 * Checks on what callers hand the crypto layer. Keys, usages, ciphertexts and s2kparams often
 * come straight from bytes a user opened (a keytab, a capture), so every problem becomes a
 * KrbCryptoError with a readable reason instead of a RangeError deep inside node:crypto.
 */
import { KrbCryptoError } from '../errors';

/** Largest iteration count we accept from s2kparams: higher would let a hostile KDC reply hang us. */
export const MAX_ITERATIONS = 10_000_000;

export function requireKeyLength(key: Uint8Array, length: number, enctypeName: string): void {
  if (key.length !== length) {
    const article = [8, 11, 18].includes(length) ? 'an' : 'a'; // "an 8-byte key"
    throw new KrbCryptoError('bad-key', `${enctypeName} needs ${article} ${length}-byte key, got ${key.length} byte(s)`);
  }
}

/** RFC 4120 §7.5.1 key usages are unsigned 32-bit numbers. */
export function requireUsage(usage: number): void {
  if (!Number.isInteger(usage) || usage < 0 || usage > 0xffffffff) {
    throw new KrbCryptoError('bad-input', `key usage must be an unsigned 32-bit integer, got ${usage}`);
  }
}

export function requireMinLength(data: Uint8Array, minimum: number, what: string): void {
  if (data.length < minimum) {
    throw new KrbCryptoError('bad-input', `${what} is ${data.length} byte(s), shorter than the minimum of ${minimum}`);
  }
}

/** CBC enctypes without ciphertext stealing (the DES family) only ever produce whole blocks. */
export function requireBlockMultiple(data: Uint8Array, block: number, what: string): void {
  if (data.length % block !== 0) {
    throw new KrbCryptoError('bad-input', `${what} is ${data.length} byte(s), not a whole number of ${block}-byte blocks`);
  }
}

/** Enctypes whose string-to-key has no parameters refuse s2kparams rather than ignore them. */
export function requireNoS2kParams(params: Uint8Array | undefined, enctypeName: string): void {
  if (params !== undefined && params.length > 0) {
    throw new KrbCryptoError('bad-input', `${enctypeName} takes no s2kparams, got ${params.length} byte(s)`);
  }
}

/** The test-only confounder must have exactly the enctype's confounder length. */
export function confounderOrRandom(confounder: Uint8Array | undefined, length: number, random: (n: number) => Buffer): Buffer {
  if (confounder === undefined) return random(length);
  if (confounder.length !== length) {
    throw new KrbCryptoError('bad-input', `confounder must be ${length} bytes, got ${confounder.length}`);
  }
  return Buffer.from(confounder);
}

/**
 * RFC 3962 §4 / RFC 8009 §4: s2kparams is the PBKDF2 iteration count as a 4-byte big-endian
 * number. Absent or empty means the enctype's default.
 */
export function iterationCount(params: Uint8Array | undefined, defaultCount: number, enctypeName: string): number {
  if (params === undefined || params.length === 0) return defaultCount;
  if (params.length !== 4) {
    throw new KrbCryptoError('bad-input', `${enctypeName} s2kparams must be 4 bytes (iteration count), got ${params.length}`);
  }
  const count = Buffer.from(params).readUInt32BE(0);
  if (count === 0 || count > MAX_ITERATIONS) {
    throw new KrbCryptoError('bad-input', `${enctypeName} s2kparams iteration count ${count} is outside 1..${MAX_ITERATIONS}`);
  }
  return count;
}

/** Passwords and salts given as strings are UTF-8, as MIT treats them. */
export function utf8Bytes(text: string | Uint8Array): Buffer {
  return typeof text === 'string' ? Buffer.from(text, 'utf8') : Buffer.from(text);
}

/** Bytes that must be UTF-8 text (an RC4 password is re-encoded as UTF-16LE). */
export function decodeUtf8(bytes: Uint8Array, what: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new KrbCryptoError('bad-input', `${what} is not valid UTF-8`);
  }
}

/**
 * decrypt() made from tryDecrypt(): a failed integrity check (null) becomes the KrbCryptoError
 * real callers expect; trial decryption calls tryDecrypt and never pays for the Error.
 */
export function integrityChecked(plaintext: Buffer | null, reason: () => string): Buffer {
  if (plaintext) return plaintext;
  throw new KrbCryptoError('integrity', reason());
}

/** The reason a keyed enctype gives when its integrity check fails (DES, which ignores the usage, words its own). */
export function wrongKeyOrUsage(name: string, usage: number): () => string {
  return () => `${name} decryption with key usage ${usage} failed the integrity check: wrong key, wrong usage or corrupted ciphertext`;
}
