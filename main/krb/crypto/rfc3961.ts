/**
 * The RFC 3961 §5.3 "simplified profile" key derivation used by the RFC 3962 AES enctypes and,
 * with triple DES as the cipher, by des3-cbc-sha1 (RFC 3961 §6.3): each key usage gets its own
 * keys, derived from the protocol key with DK(key, usage | seed).
 */
import { aesCtsEncrypt, AES_BLOCK } from './aes-cts';
import { nfold } from './nfold';

/** RFC 3961 §5.3: the octet after the usage number says which derived key is meant. */
export const KEY_USAGE_SEED = {
  /** checksum key */
  Kc: 0x99,
  /** encryption key */
  Ke: 0xaa,
  /** integrity (HMAC) key */
  Ki: 0x55,
} as const;

/** The per-usage keys of RFC 3961 §5.3 (and RFC 8009 §5, with another derivation). */
export interface UsageKeys {
  Kc: Buffer;
  Ke: Buffer;
  Ki: Buffer;
}

/** Derivation constant: usage as 4-byte big-endian, then the seed octet. */
export function usageConstant(usage: number, seed: number): Buffer {
  const constant = Buffer.alloc(5);
  constant.writeUInt32BE(usage, 0);
  constant[4] = seed;
  return constant;
}

/** The cipher DR runs: one block encrypted with a zero IV, and the block size. */
export interface DrCipher {
  blockSize: number;
  encryptBlock(key: Uint8Array, block: Uint8Array): Buffer;
}

/** For AES the "encryption" of one block is CTS with a zero IV, i.e. plain AES. */
const AES_DR: DrCipher = { blockSize: AES_BLOCK, encryptBlock: (key, block) => aesCtsEncrypt(key, undefined, block) };

/**
 * RFC 3961 §5.1 DR(Key, Constant): encrypt n-fold(Constant) to one block, then keep encrypting
 * the previous output, concatenating until `length` bytes (k-truncate).
 */
export function derivedRandom(key: Uint8Array, constant: Uint8Array, length: number, cipher: DrCipher = AES_DR): Buffer {
  const parts: Buffer[] = [];
  let block = nfold(constant, cipher.blockSize); // the identity when the constant is already one block
  for (let produced = 0; produced < length; produced += cipher.blockSize) {
    block = cipher.encryptBlock(key, block);
    parts.push(block);
  }
  return Buffer.concat(parts).subarray(0, length);
}

/** DK(Key, Constant) = random-to-key(DR(Key, Constant)); random-to-key is the identity for AES. */
export function derivedKey(key: Uint8Array, constant: Uint8Array): Buffer {
  return derivedRandom(key, constant, key.length);
}

/** Kc, Ke and Ki for one key usage (RFC 3961 §5.3), with the enctype's DK (AES's by default). */
export function simplifiedProfileKeys(key: Uint8Array, usage: number, dk: (key: Uint8Array, constant: Uint8Array) => Buffer = derivedKey): UsageKeys {
  return {
    Kc: dk(key, usageConstant(usage, KEY_USAGE_SEED.Kc)),
    Ke: dk(key, usageConstant(usage, KEY_USAGE_SEED.Ke)),
    Ki: dk(key, usageConstant(usage, KEY_USAGE_SEED.Ki)),
  };
}

/**
 * Derived keys are pure functions of (enctype, key, usage) and cost several AES operations each;
 * a conversation uses the same few over and over (a broker handshake decrypts with the same
 * session key three times, a capture decrypts every ticket with one keytab key). A small
 * least-recently-used cache keeps them. A hit only stamps the entry (re-inserting into the Map
 * would cost more than the decryption it saves); the eviction on a miss finds the oldest stamp.
 */
const USAGE_KEY_CACHE_SIZE = 512;
interface CacheEntry {
  keys: unknown;
  used: number;
}
const usageKeyCache = new Map<string, CacheEntry>();
let usageClock = 0;

/**
 * The entries last found for a key buffer, by enctype and usage: a key ring hands the same
 * buffer over and over, and naming its bytes as a string for the Map costs more than the rest
 * of the lookup. Held weakly by the buffer; `bytes` is a copy, so a buffer changed in place is
 * looked up again. At most PER_KEY_OBJECT entries each. An entry the LRU evicted stays good here:
 * a capture scan tries hundreds of ring keys, each under a dozen usages, which no fixed-size LRU
 * holds (at 512 it thrashed, issue 18), while the ring's key objects hold theirs for as long as
 * the ring lives — memory bounded by the live keys, freed with them.
 */
const PER_KEY_OBJECT = 32;
const byKeyObject = new WeakMap<Uint8Array, { bytes: Uint8Array; entries: Map<number, CacheEntry> }>();

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function evictLeastRecentlyUsed(): void {
  let oldest: string | undefined;
  let oldestUse = Infinity;
  for (const [id, entry] of usageKeyCache) {
    if (entry.used < oldestUse) [oldest, oldestUse] = [id, entry.used];
  }
  if (oldest !== undefined) usageKeyCache.delete(oldest);
}

function rememberForKeyObject(key: Uint8Array, slot: number, entry: CacheEntry): void {
  let known = byKeyObject.get(key);
  if (!known || !sameBytes(known.bytes, key)) {
    known = { bytes: Uint8Array.from(key), entries: new Map() };
    byKeyObject.set(key, known);
  }
  if (known.entries.size >= PER_KEY_OBJECT) known.entries.clear();
  known.entries.set(slot, entry);
}

export function cachedUsageKeys(enctype: number, key: Uint8Array, usage: number, derive: () => UsageKeys): UsageKeys {
  return cachedDerivation(enctype, key, usage, derive);
}

/** The same cache for an enctype whose per-usage keys take another shape (RC4-HMAC's K1). */
export function cachedDerivation<T>(enctype: number, key: Uint8Array, usage: number, derive: () => T): T {
  const slot = enctype * 2 ** 32 + usage; // usages are 32-bit, enctypes small: exact in a double
  const known = byKeyObject.get(key);
  const quick = known && sameBytes(known.bytes, key) ? known.entries.get(slot) : undefined;
  if (quick) {
    quick.used = ++usageClock;
    return quick.keys as T;
  }
  const id = `${enctype}:${usage}:${Buffer.from(key.buffer, key.byteOffset, key.length).toString('latin1')}`; // a view, not a copy
  let entry = usageKeyCache.get(id);
  if (entry) {
    entry.used = ++usageClock;
  } else {
    const keys = derive();
    if (usageKeyCache.size >= USAGE_KEY_CACHE_SIZE) evictLeastRecentlyUsed();
    entry = { keys, used: ++usageClock };
    usageKeyCache.set(id, entry);
  }
  rememberForKeyObject(key, slot, entry);
  return entry.keys as T;
}
