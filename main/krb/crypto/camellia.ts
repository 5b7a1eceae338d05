/**
 * RFC 6803: camellia128-cts-cmac (etype 25, checksum cmac-camellia128 17) and
 * camellia256-cts-cmac (etype 26, checksum cmac-camellia256 18). The RFC 3961 simplified profile
 * (MAC over the plaintext, as RFC 3962) with Camellia-CTS and CMAC instead of AES and HMAC, and
 * keys from the SP 800-108 feedback-mode KDF instead of DK/n-fold:
 *   ciphertext = Camellia-CTS(Ke, iv = 0, confounder | plaintext) | CMAC(Ki, confounder | plaintext)
 *   checksum   = CMAC(Kc, data)                                 (the whole 128-bit CMAC)
 *   Kc/Ke/Ki   = KDF-FEEDBACK-CMAC(key, usage | 0x99 / 0xAA / 0x55), each keyLength bytes
 *   KDF-FEEDBACK-CMAC(key, c) = k-truncate(K(1) | K(2) | …),  K(0) = 16 zero bytes,
 *                K(i) = CMAC(key, K(i-1) | i | c | 0x00 | k)  (i and k, the key size in bits, 32-bit big-endian)
 *   key        = KDF-FEEDBACK-CMAC(PBKDF2-HMAC-SHA1(password, saltp, iterations, keyLength), "kerberos")
 *   saltp      = enctype-name | 0x00 | salt          (the idea RFC 8009 later reused, there with SHA-2)
 * s2kparams is the 4-byte iteration count, default 32768 (what MIT's ktutil uses too). §10 holds
 * the test vectors; its encryption samples use key usages 0..4 (erratum 4326). random-to-key is
 * the identity. The PBKDF2 PRF is HMAC-SHA1, as in RFC 3962, not SHA-256: the §10 string-to-key
 * samples and MIT (krb5int_camellia_string_to_key) agree.
 */
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { KrbCryptoError } from '../errors';
import { ENCTYPES } from '../names';
import { cmac } from './cmac';
import { cachedCtsDecipher, CTS_BLOCK, ctsEncrypt } from './cts';
import { confounderOrRandom, integrityChecked, iterationCount, requireKeyLength, requireMinLength, requireUsage, utf8Bytes, wrongKeyOrUsage } from './inputs';
import { macEquals } from './mac';
import { cachedUsageKeys, KEY_USAGE_SEED, usageConstant, type UsageKeys } from './rfc3961';
import type { EncryptionType } from './types';

/** RFC 6803: default PBKDF2 iteration count (0x8000). */
export const CAMELLIA_DEFAULT_ITERATIONS = 32768;
const MAC_LENGTH = 16;
const CONFOUNDER_LENGTH = 16;
const KERBEROS = Buffer.from('kerberos');

type CamelliaId = 25 | 26;

const PROFILE: Record<CamelliaId, { keyLength: number; checksumType: number }> = {
  25: { keyLength: 16, checksumType: 17 },
  26: { keyLength: 32, checksumType: 18 },
};

function uint32(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value, 0);
  return out;
}

/** RFC 6803 KDF-FEEDBACK-CMAC(key, constant), as long as the key; exported for the §10 known answers. */
export function kdfFeedbackCmac(key: Uint8Array, constant: Uint8Array): Buffer {
  if (key.length !== 16 && key.length !== 32) {
    throw new KrbCryptoError('bad-key', `KDF-FEEDBACK-CMAC needs a 16- or 32-byte Camellia key, got ${key.length} byte(s)`);
  }
  const k = uint32(key.length * 8);
  const parts: Buffer[] = [];
  let previous: Buffer = Buffer.alloc(CTS_BLOCK);
  for (let i = 1; parts.length * CTS_BLOCK < key.length; i++) {
    previous = cmac('camellia', key, previous, uint32(i), constant, Buffer.from([0]), k);
    parts.push(previous);
  }
  return Buffer.concat(parts).subarray(0, key.length);
}

/** Kc/Ke/Ki for a usage; exported for the §10 known answers and tools that show derived keys. */
export function camelliaUsageKeys(id: CamelliaId, key: Uint8Array, usage: number): UsageKeys {
  requireKeyLength(key, PROFILE[id].keyLength, ENCTYPES[id]!);
  requireUsage(usage);
  return {
    Kc: kdfFeedbackCmac(key, usageConstant(usage, KEY_USAGE_SEED.Kc)),
    Ke: kdfFeedbackCmac(key, usageConstant(usage, KEY_USAGE_SEED.Ke)),
    Ki: kdfFeedbackCmac(key, usageConstant(usage, KEY_USAGE_SEED.Ki)),
  };
}

const keysFor = (id: CamelliaId, key: Uint8Array, usage: number): UsageKeys =>
  cachedUsageKeys(id, key, usage, () => camelliaUsageKeys(id, key, usage));

function camelliaEncrypt(id: CamelliaId, key: Uint8Array, usage: number, plaintext: Uint8Array, confounder?: Uint8Array): Buffer {
  const { Ke, Ki } = keysFor(id, key, usage);
  const data = Buffer.concat([confounderOrRandom(confounder, CONFOUNDER_LENGTH, randomBytes), plaintext]);
  return Buffer.concat([ctsEncrypt('camellia', Ke, undefined, data), cmac('camellia', Ki, data)]);
}

/** Null when the integrity check fails (a wrong key in trial decryption): no Error is made. */
function camelliaTryDecrypt(id: CamelliaId, key: Uint8Array, usage: number, ciphertext: Uint8Array): Buffer | null {
  const name = ENCTYPES[id]!;
  const { Ke, Ki } = keysFor(id, key, usage);
  requireMinLength(ciphertext, CONFOUNDER_LENGTH + MAC_LENGTH, `${name} ciphertext`);
  const split = ciphertext.length - MAC_LENGTH;
  const data = cachedCtsDecipher('camellia', Ke).decrypt(undefined, ciphertext.subarray(0, split));
  if (!macEquals(ciphertext.subarray(split), cmac('camellia', Ki, data))) return null;
  return data.subarray(CONFOUNDER_LENGTH);
}

function camelliaDecrypt(id: CamelliaId, key: Uint8Array, usage: number, ciphertext: Uint8Array): Buffer {
  return integrityChecked(camelliaTryDecrypt(id, key, usage, ciphertext), wrongKeyOrUsage(ENCTYPES[id]!, usage));
}

function makeCamellia(id: CamelliaId): EncryptionType {
  const name = ENCTYPES[id]!;
  const { keyLength, checksumType } = PROFILE[id];
  const checksum = (key: Uint8Array, usage: number, data: Uint8Array): Buffer => cmac('camellia', keysFor(id, key, usage).Kc, data);

  return {
    id,
    name,
    keyLength,
    checksumType,
    checksumLength: MAC_LENGTH,
    confounderLength: CONFOUNDER_LENGTH,
    messageBlockSize: 1, // CTS: no padding

    stringToKey(password, salt, params) {
      const iterations = iterationCount(params, CAMELLIA_DEFAULT_ITERATIONS, name);
      const saltp = Buffer.concat([Buffer.from(name), Buffer.from([0]), utf8Bytes(salt)]);
      const tkey = pbkdf2Sync(utf8Bytes(password), saltp, iterations, keyLength, 'sha1');
      return kdfFeedbackCmac(tkey, KERBEROS);
    },

    randomKey: () => randomBytes(keyLength),
    encrypt: (key, usage, plaintext, confounder) => camelliaEncrypt(id, key, usage, plaintext, confounder),
    decrypt: (key, usage, ciphertext) => camelliaDecrypt(id, key, usage, ciphertext),
    tryDecrypt: (key, usage, ciphertext) => camelliaTryDecrypt(id, key, usage, ciphertext),
    checksum,
    verifyChecksum: (key, usage, data, expected) => macEquals(expected, checksum(key, usage, data)),
  };
}

export const camellia128CtsCmac = makeCamellia(25);
export const camellia256CtsCmac = makeCamellia(26);
