/**
 * RFC 3961 §6.2: the single-DES enctypes des-cbc-crc (etype 1, §6.2.3) and des-cbc-md5 (etype 3,
 * §6.2.1), their string-to-key mit_des_string_to_key (§6.2), and the keyed checksum rsa-md5-des
 * (checksum type 8, also §6.2), the "required checksum mechanism" of both:
 *   ciphertext = DES-CBC(key, iv, confounder | H(confounder | zeros | msg | pad) | msg | pad)
 *                  des-cbc-crc: H = mod-crc-32 (4 bytes, crc32.ts), iv = the key itself
 *                  des-cbc-md5: H = MD5 (16 bytes), iv = 0
 *   checksum   = DES-CBC(key XOR F0F0F0F0F0F0F0F0, iv = 0, confounder | MD5(confounder | data))
 *   key        = mit_des_string_to_key(password | salt)
 * H is computed with its own field zero-filled, then written into it. There is no key
 * derivation: these enctypes ignore the key usage (it is range-checked only), so a ciphertext
 * opens under every usage. The plaintext comes back with its zero padding (message block size 8);
 * the DER inside says where it ends, as in MIT. The AFS string-to-key (s2kparams 01) is not
 * implemented. MIT dropped these enctypes in krb5 1.18; they remain in old keytabs and captures.
 */
import { randomBytes } from 'node:crypto';
import { KrbCryptoError } from '../errors';
import { ENCTYPES } from '../names';
import { modCrc32 } from './crc32';
import { DES_BLOCK, DES_KEY_LENGTH, desCbc, desCbcMac, keyCorrection } from './des-cipher';
import { confounderOrRandom, integrityChecked, requireBlockMultiple, requireKeyLength, requireMinLength, requireUsage, utf8Bytes } from './inputs';
import { digest, macEquals } from './mac';
import type { EncryptionType } from './types';

const CONFOUNDER_LENGTH = 8;
const ZERO_IV = Buffer.alloc(DES_BLOCK);
/** rsa-md5-des: an 8-byte confounder and the 16-byte MD5, encrypted. */
const RSA_MD5_DES_LENGTH = 24;
const RSA_MD5_DES = 'rsa-md5-des';

type DesId = 1 | 3;

interface DesProfile {
  /** The unkeyed checksum hidden inside the ciphertext. */
  hash(data: Uint8Array): Buffer;
  hashLength: number;
  /** des-cbc-crc's initial cipher state is the key; des-cbc-md5's is zero (§6.2.3, §6.2.1). */
  keyAsIv: boolean;
}

const PROFILE: Record<DesId, DesProfile> = {
  1: { hash: modCrc32, hashLength: 4, keyAsIv: true },
  3: { hash: (data) => digest('md5', data), hashLength: 16, keyAsIv: false },
};

const roundUpToBlock = (length: number): number => Math.ceil(length / DES_BLOCK) * DES_BLOCK;

// ---- mit_des_string_to_key ----------------------------------------------------------------

/** Reverses the order of the low 56 bits of `bits`. */
function reverse56(bits: bigint): bigint {
  let out = 0n;
  for (let i = 0; i < 56; i++) out = (out << 1n) | ((bits >> BigInt(i)) & 1n);
  return out;
}

/**
 * The "fan-fold" of RFC 3961 §6.2 over the zero-padded password | salt: each 8-byte block loses
 * the top bit of every byte (56 bits left), every second block is bit-reversed, and all are
 * XORed; the 56 bits are then spread over 8 bytes, 7 per byte, with the low (parity) bit clear.
 * Exported for the Appendix A.2 "fan-fold result" known answers.
 */
export function desFanFold(padded: Uint8Array): Buffer {
  let folded = 0n;
  for (let offset = 0, odd = true; offset < padded.length; offset += DES_BLOCK, odd = !odd) {
    let bits = 0n;
    for (let i = 0; i < DES_BLOCK; i++) bits = (bits << 7n) | BigInt(padded[offset + i]! & 0x7f);
    folded ^= odd ? bits : reverse56(bits);
  }
  const out = Buffer.alloc(DES_KEY_LENGTH);
  for (let i = 0; i < DES_KEY_LENGTH; i++) out[i] = Number((folded >> BigInt(7 * (7 - i))) & 0x7fn) << 1;
  return out;
}

/**
 * RFC 3961 §6.2 mit_des_string_to_key: tempkey = key_correction(fan-fold(s)), then
 * key = key_correction(DES-CBC-check(s, tempkey)), the CBC-MAC of s with tempkey as key and IV.
 */
export function mitDesStringToKey(password: Uint8Array, salt: Uint8Array): Buffer {
  const s = Buffer.concat([password, salt]);
  const padded = Buffer.alloc(roundUpToBlock(s.length));
  padded.set(s);
  const tempKey = keyCorrection(desFanFold(padded));
  // The CBC-MAC of nothing is the IV (an empty password and salt, as MIT and Heimdal compute it).
  const check = padded.length === 0 ? tempKey : desCbcMac(tempKey, tempKey, padded);
  return keyCorrection(check);
}

/** s2kparams: empty or 00 is the normal string-to-key; 01 asks for the AFS one. */
function requireNormalS2k(params: Uint8Array | undefined, name: string): void {
  if (params === undefined || params.length === 0 || (params.length === 1 && params[0] === 0)) return;
  if (params.length === 1 && params[0] === 1) {
    throw new KrbCryptoError('bad-input', `${name} s2kparams 01 asks for the AFS string-to-key, which is not supported`);
  }
  throw new KrbCryptoError('bad-input', `${name} s2kparams must be empty or one octet 00, got ${Buffer.from(params).toString('hex')}`);
}

// ---- rsa-md5-des -------------------------------------------------------------------------

/** key XOR F0F0F0F0F0F0F0F0: the checksum key variant rsa-md5-des encrypts with (RFC 3961 §6.2). */
const checksumVariant = (key: Uint8Array): Buffer => Buffer.from(key.map((byte) => byte ^ 0xf0));

function checkChecksumKey(key: Uint8Array, usage: number): void {
  requireKeyLength(key, DES_KEY_LENGTH, RSA_MD5_DES);
  requireUsage(usage);
}

/**
 * rsa-md5-des (checksum type 8). A fresh confounder makes every checksum different; verify
 * with verifyRsaMd5Des, never by comparing two checksums. `confounder` is for known answers.
 */
export function rsaMd5DesChecksum(key: Uint8Array, usage: number, data: Uint8Array, confounder?: Uint8Array): Buffer {
  checkChecksumKey(key, usage);
  const conf = confounderOrRandom(confounder, CONFOUNDER_LENGTH, randomBytes);
  return desCbc(true, checksumVariant(key), ZERO_IV, Buffer.concat([conf, digest('md5', conf, data)]));
}

/** Decrypts `expected`, then checks MD5(confounder | data); false on any mismatch. */
export function verifyRsaMd5Des(key: Uint8Array, usage: number, data: Uint8Array, expected: Uint8Array): boolean {
  checkChecksumKey(key, usage);
  if (expected.length !== RSA_MD5_DES_LENGTH) return false;
  const opened = desCbc(false, checksumVariant(key), ZERO_IV, expected);
  const conf = opened.subarray(0, CONFOUNDER_LENGTH);
  return macEquals(opened.subarray(CONFOUNDER_LENGTH), digest('md5', conf, data));
}

// ---- The enctypes --------------------------------------------------------------------------

const ivFor = (id: DesId, key: Uint8Array): Uint8Array => (PROFILE[id].keyAsIv ? key : ZERO_IV);

function checkKey(id: DesId, key: Uint8Array, usage: number): void {
  requireKeyLength(key, DES_KEY_LENGTH, ENCTYPES[id]!);
  requireUsage(usage);
}

function desEncrypt(id: DesId, key: Uint8Array, usage: number, plaintext: Uint8Array, confounder?: Uint8Array): Buffer {
  checkKey(id, key, usage);
  const { hash, hashLength } = PROFILE[id];
  const header = CONFOUNDER_LENGTH + hashLength;
  const data = Buffer.alloc(roundUpToBlock(header + plaintext.length));
  data.set(confounderOrRandom(confounder, CONFOUNDER_LENGTH, randomBytes), 0);
  data.set(plaintext, header);
  data.set(hash(data), CONFOUNDER_LENGTH); // computed over the zero-filled checksum field
  return desCbc(true, key, ivFor(id, key), data);
}

/** Null when the integrity check fails (a wrong key in trial decryption): no Error is made. */
function desTryDecrypt(id: DesId, key: Uint8Array, usage: number, ciphertext: Uint8Array): Buffer | null {
  checkKey(id, key, usage);
  const name = ENCTYPES[id]!;
  const { hash, hashLength } = PROFILE[id];
  const header = CONFOUNDER_LENGTH + hashLength;
  requireMinLength(ciphertext, roundUpToBlock(header), `${name} ciphertext`);
  requireBlockMultiple(ciphertext, DES_BLOCK, `${name} ciphertext`);
  const data = desCbc(false, key, ivFor(id, key), ciphertext);
  const received = Buffer.from(data.subarray(CONFOUNDER_LENGTH, header));
  data.fill(0, CONFOUNDER_LENGTH, header);
  if (!macEquals(received, hash(data))) return null;
  return data.subarray(header);
}

function desDecrypt(id: DesId, key: Uint8Array, usage: number, ciphertext: Uint8Array): Buffer {
  const reason = () => `${ENCTYPES[id]!} decryption failed the integrity check: wrong key or corrupted ciphertext (this enctype ignores the key usage)`;
  return integrityChecked(desTryDecrypt(id, key, usage, ciphertext), reason);
}

function makeDes(id: DesId): EncryptionType {
  const name = ENCTYPES[id]!;
  return {
    id,
    name,
    keyLength: DES_KEY_LENGTH,
    checksumType: 8,
    checksumLength: RSA_MD5_DES_LENGTH,
    confounderLength: CONFOUNDER_LENGTH,
    messageBlockSize: DES_BLOCK,

    stringToKey(password, salt, params) {
      requireNormalS2k(params, name);
      return mitDesStringToKey(utf8Bytes(password), utf8Bytes(salt));
    },

    randomKey: () => keyCorrection(randomBytes(DES_KEY_LENGTH)),
    encrypt: (key, usage, plaintext, confounder) => desEncrypt(id, key, usage, plaintext, confounder),
    decrypt: (key, usage, ciphertext) => desDecrypt(id, key, usage, ciphertext),
    tryDecrypt: (key, usage, ciphertext) => desTryDecrypt(id, key, usage, ciphertext),
    checksum: (key, usage, data) => rsaMd5DesChecksum(key, usage, data),
    verifyChecksum: verifyRsaMd5Des,
  };
}

export const desCbcCrc = makeDes(1);
export const desCbcMd5 = makeDes(3);
