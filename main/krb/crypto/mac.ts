/**
 * HMAC and constant-time MAC comparison shared by every enctype. Comparisons go through
 * timingSafeEqual so a forger cannot learn a correct MAC byte by byte from response timing.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export type HashName = 'md5' | 'sha1' | 'sha256' | 'sha384';

/** HMAC(key, parts[0] | parts[1] | …). */
export function hmac(hash: HashName, key: Uint8Array, ...parts: Uint8Array[]): Buffer {
  const mac = createHmac(hash, key);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

/** hash(parts[0] | parts[1] | …). */
export function digest(hash: HashName, ...parts: Uint8Array[]): Buffer {
  const h = createHash(hash);
  for (const part of parts) h.update(part);
  return h.digest();
}

/** Constant-time equality; different lengths are simply unequal (timingSafeEqual would throw). */
export function macEquals(expected: Uint8Array, actual: Uint8Array): boolean {
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
