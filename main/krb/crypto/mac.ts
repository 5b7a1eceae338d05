/**
 * HMAC and constant-time MAC comparison shared by every enctype. Comparisons go through
 * timingSafeEqual so a forger cannot learn a correct MAC byte by byte from response timing.
 */
import { createHash, createHmac, hash as cryptoHash, timingSafeEqual } from 'node:crypto';

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

/** Hash input block size (RFC 2104's B): 64 bytes for MD5, SHA-1 and SHA-256, 128 for SHA-384. */
export const HMAC_BLOCK: Record<HashName, number> = { md5: 64, sha1: 64, sha256: 64, sha384: 128 };

/** One-shot digest (crypto.hash, Node ≥ 20.12): no Hash object per call. */
function hashOnce(hash: HashName, data: Uint8Array): Buffer {
  return cryptoHash(hash, data, 'buffer');
}

/**
 * HMAC (RFC 2104) with the pads worked out once per key, for keys that are used message after
 * message (derived Ki): H((K ^ opad) | H((K ^ ipad) | m)) in two one-shot hash calls, which
 * costs less than a createHmac object per message. The message is hashed where it lies, behind
 * one block of room for the inner pad (see CtsDecipher.decrypt's headroom).
 */
export class HmacKey {
  readonly block: number;
  private readonly innerPad: Buffer;
  /** opad block, then room for the inner digest. */
  private readonly outer: Buffer;

  constructor(
    readonly hash: HashName,
    key: Uint8Array,
  ) {
    this.block = HMAC_BLOCK[hash];
    // Kerberos HMAC keys are at most 32 bytes, never longer than a block (RFC 2104 would hash them first).
    if (key.length > this.block) throw new RangeError(`HMAC key of ${key.length} bytes is longer than the ${this.block}-byte block`);
    this.innerPad = Buffer.alloc(this.block, 0x36);
    this.outer = Buffer.alloc(this.block + createHash(hash).digest().length, 0x5c);
    for (let i = 0; i < key.length; i++) {
      this.innerPad[i]! ^= key[i]!;
      this.outer[i]! ^= key[i]!;
    }
  }

  /**
   * HMAC of padded[block..]: the first `block` bytes are room that this fills with the inner pad
   * and zeroes again afterwards, so no key material stays in the caller's buffer.
   */
  ofPadded(padded: Buffer): Buffer {
    // TypedArray set/fill: Buffer's copy and fill check their arguments at a cost that shows here.
    padded.set(this.innerPad);
    const inner = hashOnce(this.hash, padded);
    Uint8Array.prototype.fill.call(padded, 0, 0, this.block);
    this.outer.set(inner, this.block);
    return hashOnce(this.hash, this.outer);
  }

  /** HMAC(parts[0] | parts[1] | …), copied once behind the pad. */
  of(...parts: Uint8Array[]): Buffer {
    const padded = Buffer.allocUnsafe(this.block + parts.reduce((n, p) => n + p.length, 0));
    let at = this.block;
    for (const part of parts) {
      padded.set(part, at);
      at += part.length;
    }
    return this.ofPadded(padded);
  }
}

/** The HmacKey of a key this layer derived and keeps (Ki from the usage-key cache), held weakly by it. */
const hmacKeys = new WeakMap<Uint8Array, HmacKey>();

export function cachedHmacKey(hash: HashName, derivedKey: Uint8Array): HmacKey {
  let hmacKey = hmacKeys.get(derivedKey);
  if (hmacKey?.hash !== hash) {
    hmacKey = new HmacKey(hash, derivedKey);
    hmacKeys.set(derivedKey, hmacKey);
  }
  return hmacKey;
}
