/**
 * The RFC 3961 §5.3 "simplified profile" key derivation used by the RFC 3962 AES enctypes and,
 * with triple DES as the cipher, by des3-cbc-sha1 (RFC 3961 §6.3): each key usage gets its own
 * keys, derived from the protocol key with DK(key, usage | seed).
 */
import { createCipheriv } from 'node:crypto';
import { AES_BLOCK } from './aes-cts';
import { blockCipherName } from './cts';
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

/** The cipher DR runs: its block size, and an encrypter for one key, set up once for every block DR encrypts with it. */
export interface DrCipher {
  blockSize: number;
  encrypter(key: Uint8Array): (block: Uint8Array) => Buffer;
}

/**
 * For AES the "encryption" of one block is plain AES: DR's chain is one block encrypted after
 * another, and ECB encrypts each block it is given on its own, so one AES-ECB context serves a
 * whole chain — and the three derivations of a usage. Setting up an OpenSSL cipher costs several
 * times an AES block, and a fresh session key (every broker handshake brings some) needs its
 * usages derived: 6 cipher setups per usage for AES-256 with one per block, 1 now.
 */
const AES_DR: DrCipher = {
  blockSize: AES_BLOCK,
  encrypter(key) {
    const ecb = createCipheriv(blockCipherName('aes', key, 'ecb'), key, null).setAutoPadding(false);
    return (block) => ecb.update(block);
  },
};

/**
 * RFC 3961 §5.1 DR(Key, Constant): encrypt n-fold(Constant) to one block, then keep encrypting
 * the previous output, concatenating until `length` bytes (k-truncate).
 */
export function derivedRandom(key: Uint8Array, constant: Uint8Array, length: number, cipher: DrCipher = AES_DR): Buffer {
  return drChain(cipher.encrypter(key), cipher.blockSize, constant, length);
}

/** DR with the key's encrypter already set up. */
function drChain(encrypt: (block: Uint8Array) => Buffer, blockSize: number, constant: Uint8Array, length: number): Buffer {
  const out = Buffer.alloc(Math.ceil(length / blockSize) * blockSize);
  let block: Uint8Array = foldedConstant(constant, blockSize); // the identity when the constant is already one block
  for (let at = 0; at < length; at += blockSize) {
    block = encrypt(block);
    out.set(block, at);
  }
  return out.subarray(0, length);
}

/**
 * n-fold of a derivation constant. The 5-byte usage constants of the simplified profile are few
 * and fold to the same block every time, so they are folded once (read-only: DR only encrypts
 * the block into a new buffer). Bounded, in case a capture brings unusual usage numbers.
 */
const foldedUsageConstants = new Map<number, Buffer>();
const FOLDED_CACHE_SIZE = 1024;

function foldedConstant(constant: Uint8Array, blockSize: number): Buffer {
  if (constant.length !== 5) return nfold(constant, blockSize);
  // usage (32 bits) · seed (8 bits) · block size: exact in a double.
  const id = ((constant[0]! * 2 ** 24 + constant[1]! * 2 ** 16 + constant[2]! * 2 ** 8 + constant[3]!) * 256 + constant[4]!) * 64 + blockSize;
  let folded = foldedUsageConstants.get(id);
  if (!folded) {
    if (foldedUsageConstants.size >= FOLDED_CACHE_SIZE) foldedUsageConstants.clear();
    folded = nfold(constant, blockSize);
    foldedUsageConstants.set(id, folded);
  }
  return folded;
}

/** DK(Key, Constant) = random-to-key(DR(Key, Constant)); random-to-key is the identity for AES. */
export function derivedKey(key: Uint8Array, constant: Uint8Array): Buffer {
  return derivedRandom(key, constant, key.length);
}

/** Kc, Ke and Ki for one key usage (RFC 3961 §5.3), with the enctype's DK (AES's by default). */
export function simplifiedProfileKeys(key: Uint8Array, usage: number, dk?: (key: Uint8Array, constant: Uint8Array) => Buffer): UsageKeys {
  const derive = dk ? (constant: Uint8Array) => dk(key, constant) : aesDerivedKeys(key);
  return {
    Kc: derive(usageConstant(usage, KEY_USAGE_SEED.Kc)),
    Ke: derive(usageConstant(usage, KEY_USAGE_SEED.Ke)),
    Ki: derive(usageConstant(usage, KEY_USAGE_SEED.Ki)),
  };
}

/** AES's DK for one key, its cipher set up once for every constant derived with it. */
function aesDerivedKeys(key: Uint8Array): (constant: Uint8Array) => Buffer {
  const encrypt = AES_DR.encrypter(key);
  return (constant) => drChain(encrypt, AES_BLOCK, constant, key.length);
}

/**
 * Derived keys are pure functions of (enctype, key, usage) and cost several AES operations each;
 * a conversation uses the same few over and over (a broker handshake decrypts with the same
 * session key three times, a capture decrypts every ticket with one keytab key). A small cache
 * keeps them, evicting by "second chance" (CLOCK): a hit only marks the entry (re-inserting into
 * the Map would cost more than the decryption it saves); a miss drops the oldest insertion, or
 * moves it to the back once if it was used since. Each eviction is O(1) amortised: a broker,
 * whose every handshake brings new session keys, evicts on almost every derivation, and a scan
 * of all 512 entries for the oldest use cost more than the derivation (issue 18).
 */
const USAGE_KEY_CACHE_SIZE = 512;
interface CacheEntry {
  keys: unknown;
  /** Used since it was inserted or last given its second chance. */
  referenced: boolean;
}
const usageKeyCache = new Map<string, CacheEntry>();

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

function evictOne(): void {
  // Terminates: every entry moved to the back loses its mark, so a full turn finds an unmarked one.
  for (;;) {
    const oldest = usageKeyCache.keys().next();
    if (oldest.done) return;
    const entry = usageKeyCache.get(oldest.value)!;
    usageKeyCache.delete(oldest.value);
    if (!entry.referenced) return;
    entry.referenced = false;
    usageKeyCache.set(oldest.value, entry);
  }
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
    quick.referenced = true;
    return quick.keys as T;
  }
  const id = `${enctype}:${usage}:${Buffer.from(key.buffer, key.byteOffset, key.length).toString('latin1')}`; // a view, not a copy
  let entry = usageKeyCache.get(id);
  if (entry) {
    entry.referenced = true;
  } else {
    const keys = derive();
    if (usageKeyCache.size >= USAGE_KEY_CACHE_SIZE) evictOne();
    entry = { keys, referenced: false };
    usageKeyCache.set(id, entry);
  }
  rememberForKeyObject(key, slot, entry);
  return entry.keys as T;
}
