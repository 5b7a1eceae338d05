/**
 * PBKDF2 password hashes as Azure IoT MQ stores them in passwords.toml and
 * `az edge e4k get-password-hash` prints them: `$pbkdf2-sha512$i=N,l=64$SALT$HASH`, SALT and HASH
 * in standard base64 without padding. PBKDF2 is RFC 8018 §5.2 with HMAC-SHA512 as the PRF.
 */
import { pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { BenchFailure } from '../../engine/failure';

const pbkdf2Async = promisify(pbkdf2);

export const PBKDF2_SCHEME = 'pbkdf2-sha512';
/** What `az edge e4k get-password-hash` uses. */
export const DEFAULT_ITERATIONS = 210_000;
export const DEFAULT_SALT_BYTES = 16;
/** l=64: the SHA-512 output length, the only one Azure writes. */
export const DERIVED_KEY_BYTES = 64;
/** A hash that asks for more would tie up the broker for seconds per CONNECT. */
export const MAX_ITERATIONS = 10_000_000;

export interface PasswordHash {
  iterations: number;
  /** l: the derived key length in bytes. */
  keyLength: number;
  salt: Buffer;
  hash: Buffer;
}

export type PasswordHashPart = 'scheme' | 'parameters' | 'salt' | 'hash';

/** A hash string that is not `$pbkdf2-sha512$i=N,l=L$SALT$HASH`: which part, at which character. */
export class PasswordHashError extends BenchFailure {
  constructor(
    readonly part: PasswordHashPart,
    /** 0-based character offset into the hash string. */
    readonly offset: number,
    readonly reason: string,
  ) {
    super(`password hash ${part} (at character ${offset}): ${reason}`);
    this.name = 'PasswordHashError';
  }
}

export async function hashPassword(password: string | Buffer, options: { salt?: Buffer; iterations?: number } = {}): Promise<string> {
  const salt = options.salt ?? randomBytes(DEFAULT_SALT_BYTES);
  const iterations = options.iterations ?? DEFAULT_ITERATIONS;
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > MAX_ITERATIONS) throw new BenchFailure(`iterations must be a whole number from 1 to ${MAX_ITERATIONS}, not ${iterations}`);
  if (salt.length === 0) throw new BenchFailure('the salt is empty');
  const hash = await pbkdf2Async(password, salt, iterations, DERIVED_KEY_BYTES, 'sha512');
  return formatPasswordHash({ iterations, keyLength: DERIVED_KEY_BYTES, salt, hash });
}

export const formatPasswordHash = (h: PasswordHash): string => `$${PBKDF2_SCHEME}$i=${h.iterations},l=${h.keyLength}$${unpadded(h.salt)}$${unpadded(h.hash)}`;

const unpadded = (bytes: Buffer): string => bytes.toString('base64').replace(/=+$/, '');

export function parsePasswordHash(text: string): PasswordHash {
  if (!text.startsWith('$')) throw new PasswordHashError('scheme', 0, 'must start with "$"');
  const parts = text.slice(1).split('$');
  const offsets = partOffsets(parts);
  if (parts[0] !== PBKDF2_SCHEME) throw new PasswordHashError('scheme', 1, `"${parts[0]}" is not "${PBKDF2_SCHEME}"`);
  const names = ['scheme', 'parameters', 'salt', 'hash'] as const;
  if (parts.length < 4) throw new PasswordHashError(names[parts.length]!, text.length, 'is missing (expected $pbkdf2-sha512$i=N,l=64$SALT$HASH)');
  if (parts.length > 4) throw new PasswordHashError('hash', offsets[4]! - 1, 'unexpected "$" after the hash');
  const { iterations, keyLength } = parseParameters(parts[1]!, offsets[1]!);
  const salt = decodeBase64Part(parts[2]!, 'salt', offsets[2]!);
  const hash = decodeBase64Part(parts[3]!, 'hash', offsets[3]!);
  if (salt.length === 0) throw new PasswordHashError('salt', offsets[2]!, 'is empty');
  if (hash.length !== keyLength) throw new PasswordHashError('hash', offsets[3]!, `decodes to ${hash.length} bytes, but l=${keyLength}`);
  return { iterations, keyLength, salt, hash };
}

/** Where each `$`-separated part starts in the full string (after the leading "$"). */
function partOffsets(parts: string[]): number[] {
  const out: number[] = [];
  let at = 1;
  for (const p of parts) {
    out.push(at);
    at += p.length + 1;
  }
  return out;
}

function parseParameters(text: string, offset: number): { iterations: number; keyLength: number } {
  const found: Record<string, number> = {};
  let at = offset;
  for (const item of text.split(',')) {
    const m = /^([il])=([0-9]{1,9})$/.exec(item);
    if (!m) throw new PasswordHashError('parameters', at, `"${item}" is not i=NUMBER or l=NUMBER`);
    if (m[1]! in found) throw new PasswordHashError('parameters', at, `${m[1]} is given twice`);
    found[m[1]!] = Number(m[2]);
    at += item.length + 1;
  }
  const iterations = found.i;
  const keyLength = found.l;
  if (iterations === undefined) throw new PasswordHashError('parameters', offset, 'i= (iterations) is missing');
  if (keyLength === undefined) throw new PasswordHashError('parameters', offset, 'l= (key length) is missing');
  if (iterations < 1 || iterations > MAX_ITERATIONS) throw new PasswordHashError('parameters', offset, `i=${iterations} is outside 1..${MAX_ITERATIONS}`);
  if (keyLength < 1 || keyLength > 1024) throw new PasswordHashError('parameters', offset, `l=${keyLength} is outside 1..1024`);
  return { iterations, keyLength };
}

/** Standard base64 (+ and /), padding optional — Azure writes none; a stray character is named. */
export function decodeBase64Part(text: string, part: PasswordHashPart, offset = 0): Buffer {
  const bad = /[^A-Za-z0-9+/=]/.exec(text);
  if (bad) throw new PasswordHashError(part, offset + bad.index, `"${bad[0]}" is not a base64 character`);
  const body = text.replace(/=+$/, '');
  const pad = body.indexOf('=');
  if (pad >= 0) throw new PasswordHashError(part, offset + pad, '"=" inside the base64 text');
  if (body.length % 4 === 1) throw new PasswordHashError(part, offset + body.length - 1, `${body.length} base64 characters cannot be whole bytes`);
  return Buffer.from(body, 'base64');
}

/** Whether the password derives to the stored hash; a malformed hash is a non-match with its reason. */
export async function verifyPassword(stored: string | PasswordHash, password: string | Buffer): Promise<{ matches: boolean; why: string }> {
  let parsed: PasswordHash;
  try {
    parsed = typeof stored === 'string' ? parsePasswordHash(stored) : stored;
  } catch (error) {
    if (error instanceof PasswordHashError) return { matches: false, why: error.message };
    throw error;
  }
  const derived = await pbkdf2Async(password, parsed.salt, parsed.iterations, parsed.keyLength, 'sha512');
  const matches = timingSafeEqual(derived, parsed.hash);
  const how = `PBKDF2-SHA512, ${parsed.iterations} iterations`;
  return { matches, why: matches ? `password matches the hash (${how})` : `password does not match the hash (${how})` };
}
