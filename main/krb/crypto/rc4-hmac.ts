/**
 * RFC 4757 arcfour-hmac (etype 23) and its keyed checksum hmac-md5 (checksum type -138,
 * Microsoft's KERB_CHECKSUM_HMAC_MD5):
 *   K1 = HMAC-MD5(key, msUsage as 4-byte little-endian)
 *   checksum = HMAC-MD5(K1, confounder | plaintext);  K3 = HMAC-MD5(K1, checksum)
 *   ciphertext = checksum | RC4(K3, confounder | plaintext)
 *   key = MD4(UTF-16LE(password)); the salt is ignored.
 * The 40-bit "exp" variant (etype 24) is not supported.
 */
import { randomBytes } from 'node:crypto';
import { KrbCryptoError } from '../errors';
import { ENCTYPES } from '../names';
import { confounderOrRandom, decodeUtf8, integrityChecked, requireKeyLength, requireMinLength, requireNoS2kParams, requireUsage, wrongKeyOrUsage } from './inputs';
import { digest, hmac, macEquals } from './mac';
import { md4 } from './md4';
import { rc4 } from './rc4';
import { cachedDerivation } from './rfc3961';
import type { EncryptionType } from './types';

const NAME = ENCTYPES[23]!;
const KEY_LENGTH = 16;
const CHECKSUM_LENGTH = 16; // HMAC-MD5
const CONFOUNDER_LENGTH = 8;
const SIGNATURE_KEY_LABEL = Buffer.from('signaturekey\0', 'latin1');

/**
 * RFC 4757 §3: Microsoft numbers some usages differently. AS-REP enc-part (3) is 8 and the GSS
 * sign/wrap usage 23 is 13. RFC 4757 also maps 9 (TGS-REP enc-part with subkey) to 8, but
 * Windows and MIT use 9; we encrypt with 9 and accept 8 as well when decrypting (as MIT does).
 */
export function rc4Usage(usage: number): number {
  if (usage === 3) return 8;
  if (usage === 23) return 13;
  return usage;
}

function littleEndian32(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32LE(value, 0);
  return out;
}

/** K1: the per-usage key, cached like the RFC 3961 derived keys (a conversation reuses a few). */
function usageKey(key: Uint8Array, msUsage: number): Buffer {
  return cachedDerivation(23, key, msUsage, () => hmac('md5', key, littleEndian32(msUsage)));
}

/** Decrypts with one Microsoft usage number; null when the checksum does not match. */
function decryptWithUsage(key: Uint8Array, msUsage: number, ciphertext: Uint8Array): Buffer | null {
  const k1 = usageKey(key, msUsage);
  const checksum = ciphertext.subarray(0, CHECKSUM_LENGTH);
  const data = rc4(hmac('md5', k1, checksum), ciphertext.subarray(CHECKSUM_LENGTH));
  return macEquals(checksum, hmac('md5', k1, data)) ? data.subarray(CONFOUNDER_LENGTH) : null;
}

/**
 * The hmac-md5 keyed checksum (RFC 4757 §4). Any key of 1..64 bytes is allowed, as in MIT:
 * MS-SFU PA-FOR-USER uses it with whatever session key the TGT carries, AES included.
 */
export function hmacMd5Checksum(key: Uint8Array, usage: number, data: Uint8Array): Buffer {
  if (key.length < 1 || key.length > 64) {
    throw new KrbCryptoError('bad-key', `hmac-md5 checksum needs a key of 1..64 bytes, got ${key.length}`);
  }
  requireUsage(usage);
  const ksign = hmac('md5', key, SIGNATURE_KEY_LABEL);
  const tmp = digest('md5', littleEndian32(rc4Usage(usage)), data);
  return hmac('md5', ksign, tmp);
}

/** RFC 4757 §2: the NT hash of the password; MIT re-encodes password bytes from UTF-8. */
function rc4StringToKey(password: string | Uint8Array, _salt: string | Uint8Array, params?: Uint8Array): Buffer {
  requireNoS2kParams(params, NAME);
  const text = typeof password === 'string' ? password : decodeUtf8(password, `${NAME} password`);
  return md4(Buffer.from(text, 'utf16le'));
}

/** The enctype's own checksum: hmac-md5 with a key of the enctype's length. */
function rc4Checksum(key: Uint8Array, usage: number, data: Uint8Array): Buffer {
  requireKeyLength(key, KEY_LENGTH, NAME);
  return hmacMd5Checksum(key, usage, data);
}

export const arcfourHmac: EncryptionType = {
  id: 23,
  name: NAME,
  keyLength: KEY_LENGTH,
  checksumType: -138,
  checksumLength: CHECKSUM_LENGTH,
  confounderLength: CONFOUNDER_LENGTH,
  messageBlockSize: 1, // RC4 is a stream cipher: no padding

  stringToKey: rc4StringToKey,

  randomKey: () => randomBytes(KEY_LENGTH),

  encrypt(key, usage, plaintext, confounder) {
    requireKeyLength(key, KEY_LENGTH, NAME);
    requireUsage(usage);
    const k1 = usageKey(key, rc4Usage(usage));
    const data = Buffer.concat([confounderOrRandom(confounder, CONFOUNDER_LENGTH, randomBytes), plaintext]);
    const checksum = hmac('md5', k1, data);
    return Buffer.concat([checksum, rc4(hmac('md5', k1, checksum), data)]);
  },

  decrypt(key, usage, ciphertext) {
    return integrityChecked(arcfourHmac.tryDecrypt(key, usage, ciphertext), wrongKeyOrUsage(NAME, usage));
  },

  tryDecrypt(key, usage, ciphertext) {
    requireKeyLength(key, KEY_LENGTH, NAME);
    requireUsage(usage);
    requireMinLength(ciphertext, CHECKSUM_LENGTH + CONFOUNDER_LENGTH, `${NAME} ciphertext`);
    const candidates = usage === 9 ? [9, 8] : [rc4Usage(usage)];
    for (const msUsage of candidates) {
      const plaintext = decryptWithUsage(key, msUsage, ciphertext);
      if (plaintext) return plaintext;
    }
    return null;
  },

  checksum: rc4Checksum,

  verifyChecksum(key, usage, data, expected) {
    return macEquals(expected, rc4Checksum(key, usage, data));
  },
};
