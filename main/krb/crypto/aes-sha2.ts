/**
 * RFC 8009: aes128-cts-hmac-sha256-128 (etype 19, checksum 19) and aes256-cts-hmac-sha384-192
 * (etype 20, checksum 20). Unlike RFC 3962 this is encrypt-then-MAC and keys come from the
 * SP 800-108 counter-mode KDF instead of DK/n-fold:
 *   C = AES-CTS(Ke, IV = 0, confounder | plaintext);  ciphertext = C | HMAC(Ki, IV | C)[0..h)
 *   checksum = HMAC(Kc, data)[0..h)
 *   key = KDF-HMAC-SHA2(PBKDF2-HMAC-SHA2(password, saltp, iterations), "kerberos")
 *   saltp = enctype-name | 0x00 | salt
 */
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { ENCTYPES } from '../names';
import { AES_BLOCK, aesCtsEncrypt } from './aes-cts';
import { cachedCtsDecipher } from './cts';
import { confounderOrRandom, integrityChecked, iterationCount, requireKeyLength, requireMinLength, requireUsage, utf8Bytes, wrongKeyOrUsage } from './inputs';
import { cachedHmacKey, hmac, macEquals } from './mac';
import { KEY_USAGE_SEED, usageConstant, type UsageKeys, cachedUsageKeys } from './rfc3961';
import type { EncryptionType } from './types';

/** RFC 8009 §4: default PBKDF2 iteration count (0x8000). */
export const AES_SHA2_DEFAULT_ITERATIONS = 32768;
const CONFOUNDER_LENGTH = 16;
const ZERO_IV = Buffer.alloc(AES_BLOCK);

type AesSha2Id = 19 | 20;

interface Sha2Profile {
  hash: 'sha256' | 'sha384';
  keyLength: number;
  /** h: the truncated HMAC length, also Kc and Ki length (RFC 8009 §5). */
  macLength: number;
}

const PROFILE: Record<AesSha2Id, Sha2Profile> = {
  19: { hash: 'sha256', keyLength: 16, macLength: 16 },
  20: { hash: 'sha384', keyLength: 32, macLength: 24 },
};

/**
 * RFC 8009 §3 KDF-HMAC-SHA2(key, label, k) = k-truncate(HMAC(key, 0x00000001 | label | 0x00 | k)),
 * k in bits as 4-byte big-endian. One HMAC block is always enough (k ≤ 256 < hash length).
 */
export function kdfHmacSha2(hash: Sha2Profile['hash'], key: Uint8Array, label: Uint8Array, bytes: number): Buffer {
  const counter = Buffer.from([0, 0, 0, 1]);
  const k = Buffer.alloc(4);
  k.writeUInt32BE(bytes * 8, 0);
  return hmac(hash, key, counter, label, Buffer.from([0]), k).subarray(0, bytes);
}

/** RFC 8009 §5 Kc/Ke/Ki for a usage; exported for the Appendix A known answers. */
export function aesSha2UsageKeys(id: AesSha2Id, key: Uint8Array, usage: number): UsageKeys {
  const { hash, keyLength, macLength } = PROFILE[id];
  requireKeyLength(key, keyLength, ENCTYPES[id]!);
  requireUsage(usage);
  return {
    Kc: kdfHmacSha2(hash, key, usageConstant(usage, KEY_USAGE_SEED.Kc), macLength),
    Ke: kdfHmacSha2(hash, key, usageConstant(usage, KEY_USAGE_SEED.Ke), keyLength),
    Ki: kdfHmacSha2(hash, key, usageConstant(usage, KEY_USAGE_SEED.Ki), macLength),
  };
}

function makeAesSha2(id: AesSha2Id): EncryptionType {
  const name = ENCTYPES[id]!;
  const { hash, keyLength, macLength } = PROFILE[id];
  const keysFor = (key: Uint8Array, usage: number): UsageKeys => cachedUsageKeys(id, key, usage, () => aesSha2UsageKeys(id, key, usage));
  const mac = (Ki: Uint8Array, c: Uint8Array): Buffer => cachedHmacKey(hash, Ki).of(ZERO_IV, c).subarray(0, macLength);

  const checksum = (key: Uint8Array, usage: number, data: Uint8Array): Buffer =>
    hmac(hash, keysFor(key, usage).Kc, data).subarray(0, macLength);

  const enctype: EncryptionType = {
    id,
    name,
    keyLength,
    checksumType: id, // RFC 8009 gave the checksum types the same numbers as the enctypes
    checksumLength: macLength,
    confounderLength: CONFOUNDER_LENGTH,
    messageBlockSize: 1, // CTS: no padding

    stringToKey(password, salt, params) {
      const iterations = iterationCount(params, AES_SHA2_DEFAULT_ITERATIONS, name);
      const saltp = Buffer.concat([Buffer.from(name), Buffer.from([0]), utf8Bytes(salt)]);
      const tkey = pbkdf2Sync(utf8Bytes(password), saltp, iterations, keyLength, hash);
      return kdfHmacSha2(hash, tkey, Buffer.from('kerberos'), keyLength);
    },

    randomKey: () => randomBytes(keyLength),

    encrypt(key, usage, plaintext, confounder) {
      const { Ke, Ki } = keysFor(key, usage);
      const data = Buffer.concat([confounderOrRandom(confounder, CONFOUNDER_LENGTH, randomBytes), plaintext]);
      const c = aesCtsEncrypt(Ke, ZERO_IV, data);
      return Buffer.concat([c, mac(Ki, c)]);
    },

    decrypt(key, usage, ciphertext) {
      return integrityChecked(enctype.tryDecrypt(key, usage, ciphertext), wrongKeyOrUsage(name, usage));
    },

    tryDecrypt(key, usage, ciphertext) {
      const { Ke, Ki } = keysFor(key, usage);
      requireMinLength(ciphertext, CONFOUNDER_LENGTH + macLength, `${name} ciphertext`);
      const c = ciphertext.subarray(0, ciphertext.length - macLength);
      // Encrypt-then-MAC: check the MAC before touching the ciphertext.
      if (!macEquals(ciphertext.subarray(c.length), mac(Ki, c))) return null;
      return cachedCtsDecipher('aes', Ke).decrypt(ZERO_IV, c).subarray(CONFOUNDER_LENGTH);
    },

    checksum,

    verifyChecksum(key, usage, data, expected) {
      return macEquals(expected, checksum(key, usage, data));
    },
  };
  return enctype;
}

export const aes128CtsHmacSha256128 = makeAesSha2(19);
export const aes256CtsHmacSha384192 = makeAesSha2(20);
