/**
 * RFC 3961 §6.3: des3-cbc-sha1-kd (etype 16, "des3-cbc-sha1" as MIT prints it) and its keyed
 * checksum hmac-sha1-des3-kd (checksum type 12): the simplified profile (§5.3) with triple DES
 * in CBC mode and the whole 20-byte HMAC-SHA1:
 *   ciphertext = 3DES-CBC(Ke, iv = 0, confounder | plaintext | pad) | HMAC-SHA1(Ki, confounder | plaintext | pad)
 *   checksum   = HMAC-SHA1(Kc, data)
 *   Kc/Ke/Ki   = DK(key, usage | 0x99 / 0xAA / 0x55)
 *   DK(key, c) = random-to-key(DR(key, c)); DR runs 3DES on n-fold(c, 64 bits) and keeps 168 bits
 *   key        = DK(random-to-key(168-fold(password | salt)), "kerberos")        (§6.3.1)
 * random-to-key spreads 21 random bytes over three parity-adjusted DES keys (des-cipher.ts).
 * The confounder is one 8-byte block; the plaintext is zero-padded to whole blocks and comes
 * back from decrypt with that padding. MIT 1.20's ktutil still derives these keys (klist marks
 * them DEPRECATED).
 */
import { randomBytes } from 'node:crypto';
import { ENCTYPES } from '../names';
import { DES_BLOCK, DES3_KEY_LENGTH, des3Cbc, des3RandomToKey } from './des-cipher';
import { confounderOrRandom, integrityChecked, requireBlockMultiple, requireKeyLength, requireMinLength, requireNoS2kParams, requireUsage, utf8Bytes, wrongKeyOrUsage } from './inputs';
import { hmac, macEquals } from './mac';
import { nfold } from './nfold';
import { cachedUsageKeys, derivedRandom, type DrCipher, simplifiedProfileKeys, type UsageKeys } from './rfc3961';
import type { EncryptionType } from './types';

const ID = 16;
const NAME = ENCTYPES[ID]!;
const CHECKSUM_TYPE = 12; // hmac-sha1-des3-kd
const MAC_LENGTH = 20; // HMAC-SHA1, not truncated
const CONFOUNDER_LENGTH = DES_BLOCK;
/** 168 bits: the key-generation seed length of §6.3. */
const SEED_LENGTH = 21;
const ZERO_IV = Buffer.alloc(DES_BLOCK);
const KERBEROS = Buffer.from('kerberos');

const DES3_DR: DrCipher = { blockSize: DES_BLOCK, encrypter: (key) => (block) => des3Cbc(true, key, ZERO_IV, block) };

/** RFC 3961 §5.1 DR with triple DES, 168 bits long; exported for the Appendix A.3 known answers. */
export function des3DerivedRandom(key: Uint8Array, constant: Uint8Array): Buffer {
  requireKeyLength(key, DES3_KEY_LENGTH, NAME);
  return derivedRandom(key, constant, SEED_LENGTH, DES3_DR);
}

/** DK = random-to-key(DR); exported for the Appendix A.3 known answers. */
export function des3DerivedKey(key: Uint8Array, constant: Uint8Array): Buffer {
  return des3RandomToKey(des3DerivedRandom(key, constant));
}

/** Kc/Ke/Ki for a usage; exported for tools that show derived keys. */
export function des3UsageKeys(key: Uint8Array, usage: number): UsageKeys {
  requireKeyLength(key, DES3_KEY_LENGTH, NAME);
  requireUsage(usage);
  return simplifiedProfileKeys(key, usage, des3DerivedKey);
}

const keysFor = (key: Uint8Array, usage: number): UsageKeys => cachedUsageKeys(ID, key, usage, () => des3UsageKeys(key, usage));

function des3Checksum(key: Uint8Array, usage: number, data: Uint8Array): Buffer {
  return hmac('sha1', keysFor(key, usage).Kc, data);
}

export const des3CbcSha1: EncryptionType = {
  id: ID,
  name: NAME,
  keyLength: DES3_KEY_LENGTH,
  checksumType: CHECKSUM_TYPE,
  checksumLength: MAC_LENGTH,
  confounderLength: CONFOUNDER_LENGTH,
  messageBlockSize: DES_BLOCK,

  stringToKey(password, salt, params) {
    requireNoS2kParams(params, NAME);
    const seed = des3RandomToKey(nfold(Buffer.concat([utf8Bytes(password), utf8Bytes(salt)]), SEED_LENGTH));
    return des3DerivedKey(seed, KERBEROS);
  },

  randomKey: () => des3RandomToKey(randomBytes(SEED_LENGTH)),

  encrypt(key, usage, plaintext, confounder) {
    const { Ke, Ki } = keysFor(key, usage);
    const data = Buffer.alloc(Math.ceil((CONFOUNDER_LENGTH + plaintext.length) / DES_BLOCK) * DES_BLOCK);
    data.set(confounderOrRandom(confounder, CONFOUNDER_LENGTH, randomBytes), 0);
    data.set(plaintext, CONFOUNDER_LENGTH);
    return Buffer.concat([des3Cbc(true, Ke, ZERO_IV, data), hmac('sha1', Ki, data)]);
  },

  decrypt(key, usage, ciphertext) {
    return integrityChecked(des3CbcSha1.tryDecrypt(key, usage, ciphertext), wrongKeyOrUsage(NAME, usage));
  },

  tryDecrypt(key, usage, ciphertext) {
    const { Ke, Ki } = keysFor(key, usage);
    requireMinLength(ciphertext, CONFOUNDER_LENGTH + MAC_LENGTH, `${NAME} ciphertext`);
    const split = ciphertext.length - MAC_LENGTH;
    requireBlockMultiple(ciphertext.subarray(0, split), DES_BLOCK, `${NAME} ciphertext (without its HMAC)`);
    const data = des3Cbc(false, Ke, ZERO_IV, ciphertext.subarray(0, split));
    if (!macEquals(ciphertext.subarray(split), hmac('sha1', Ki, data))) return null;
    return data.subarray(CONFOUNDER_LENGTH);
  },

  checksum: des3Checksum,

  verifyChecksum(key, usage, data, expected) {
    return macEquals(expected, des3Checksum(key, usage, data));
  },
};
