/**
 * RFC 3962: aes128-cts-hmac-sha1-96 (etype 17, checksum 15) and aes256-cts-hmac-sha1-96
 * (etype 18, checksum 16) on the RFC 3961 simplified profile:
 *   ciphertext = AES-CTS(Ke, confounder | plaintext) | HMAC-SHA1(Ki, confounder | plaintext)[0..12)
 *   checksum   = HMAC-SHA1(Kc, data)[0..12)
 *   key        = DK(PBKDF2-HMAC-SHA1(password, salt, iterations, keyLength), "kerberos")
 */
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { ENCTYPES } from '../names';
import { aesCtsEncrypt } from './aes-cts';
import { cachedCtsDecipher } from './cts';
import { confounderOrRandom, integrityChecked, iterationCount, requireKeyLength, requireMinLength, requireUsage, utf8Bytes, wrongKeyOrUsage } from './inputs';
import { cachedHmacKey, hmac, macEquals } from './mac';
import { derivedKey, simplifiedProfileKeys, type UsageKeys, cachedUsageKeys } from './rfc3961';
import type { EncryptionType } from './types';

/** RFC 3962 §4: default PBKDF2 iteration count when no s2kparams are given. */
export const AES_SHA1_DEFAULT_ITERATIONS = 4096;
const MAC_LENGTH = 12; // HMAC-SHA1 truncated to 96 bits
const CONFOUNDER_LENGTH = 16; // one AES block

type AesSha1Id = 17 | 18;

const PROFILE: Record<AesSha1Id, { keyLength: number; checksumType: number }> = {
  17: { keyLength: 16, checksumType: 15 },
  18: { keyLength: 32, checksumType: 16 },
};

/** Kc/Ke/Ki for a usage; exported for known-answer tests and for tools that show derived keys. */
export function aesSha1UsageKeys(id: AesSha1Id, key: Uint8Array, usage: number): UsageKeys {
  requireKeyLength(key, PROFILE[id].keyLength, ENCTYPES[id]!);
  requireUsage(usage);
  return simplifiedProfileKeys(key, usage);
}

function makeAesSha1(id: AesSha1Id): EncryptionType {
  const name = ENCTYPES[id]!;
  const { keyLength, checksumType } = PROFILE[id];
  const keysFor = (key: Uint8Array, usage: number): UsageKeys => cachedUsageKeys(id, key, usage, () => aesSha1UsageKeys(id, key, usage));

  const checksum = (key: Uint8Array, usage: number, data: Uint8Array): Buffer =>
    hmac('sha1', keysFor(key, usage).Kc, data).subarray(0, MAC_LENGTH);

  const enctype: EncryptionType = {
    id,
    name,
    keyLength,
    checksumType,
    checksumLength: MAC_LENGTH,
    confounderLength: CONFOUNDER_LENGTH,
    messageBlockSize: 1, // CTS: no padding

    stringToKey(password, salt, params) {
      const iterations = iterationCount(params, AES_SHA1_DEFAULT_ITERATIONS, name);
      const tkey = pbkdf2Sync(utf8Bytes(password), utf8Bytes(salt), iterations, keyLength, 'sha1');
      return derivedKey(tkey, Buffer.from('kerberos'));
    },

    randomKey: () => randomBytes(keyLength),

    encrypt(key, usage, plaintext, confounder) {
      const { Ke, Ki } = keysFor(key, usage);
      const data = Buffer.concat([confounderOrRandom(confounder, CONFOUNDER_LENGTH, randomBytes), plaintext]);
      return Buffer.concat([aesCtsEncrypt(Ke, undefined, data), hmac('sha1', Ki, data).subarray(0, MAC_LENGTH)]);
    },

    decrypt(key, usage, ciphertext) {
      return integrityChecked(enctype.tryDecrypt(key, usage, ciphertext), wrongKeyOrUsage(name, usage));
    },

    tryDecrypt(key, usage, ciphertext) {
      const { Ke, Ki } = keysFor(key, usage);
      requireMinLength(ciphertext, CONFOUNDER_LENGTH + MAC_LENGTH, `${name} ciphertext`);
      const split = ciphertext.length - MAC_LENGTH;
      // Deciphered behind a block of room where the HMAC's inner pad goes: one hash call, no copy.
      const mac = cachedHmacKey('sha1', Ki);
      const padded = cachedCtsDecipher('aes', Ke).decrypt(undefined, ciphertext.subarray(0, split), mac.block);
      if (!macEquals(ciphertext.subarray(split), mac.ofPadded(padded).subarray(0, MAC_LENGTH))) return null;
      return padded.subarray(mac.block + CONFOUNDER_LENGTH);
    },

    checksum,

    verifyChecksum(key, usage, data, expected) {
      return macEquals(expected, checksum(key, usage, data));
    },
  };
  return enctype;
}

export const aes128CtsHmacSha196 = makeAesSha1(17);
export const aes256CtsHmacSha196 = makeAesSha1(18);
