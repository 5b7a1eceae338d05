/**
 * DES and triple DES as the RFC 3961 §6.2/§6.3 enctypes use them: CBC over whole 8-byte blocks
 * (no padding of its own), odd key parity, the weak and semi-weak keys, and random-to-key.
 *
 * OpenSSL 3 moved single DES (des-cbc, des-ecb) to the legacy provider, which we do not load.
 * Triple DES stays in the default provider, and EDE with K1 = K2 = K3 is single DES:
 * E(K, D(K, E(K, x))) = E(K, x). So single DES here is des-ede3-cbc with the key three times.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { KrbCryptoError } from '../errors';

export const DES_BLOCK = 8;
export const DES_KEY_LENGTH = 8;
export const DES3_KEY_LENGTH = 24;

function checkCbcInput(what: string, key: Uint8Array, keyLength: number, iv: Uint8Array, data: Uint8Array): void {
  if (key.length !== keyLength) throw new KrbCryptoError('bad-key', `${what} needs ${keyLength === 8 ? 'an' : 'a'} ${keyLength}-byte key, got ${key.length} byte(s)`);
  if (iv.length !== DES_BLOCK) throw new KrbCryptoError('bad-input', `${what} IV must be 8 bytes, got ${iv.length}`);
  if (data.length % DES_BLOCK !== 0) {
    throw new KrbCryptoError('bad-input', `${what} input must be a whole number of 8-byte blocks, got ${data.length} byte(s)`);
  }
}

function ede3Cbc(encrypt: boolean, key24: Uint8Array, iv: Uint8Array, data: Uint8Array): Buffer {
  const cipher = encrypt ? createCipheriv('des-ede3-cbc', key24, iv) : createDecipheriv('des-ede3-cbc', key24, iv);
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(data), cipher.final()]);
}

/** Single-DES CBC over whole blocks. */
export function desCbc(encrypt: boolean, key: Uint8Array, iv: Uint8Array, data: Uint8Array): Buffer {
  checkCbcInput('DES-CBC', key, DES_KEY_LENGTH, iv, data);
  return ede3Cbc(encrypt, Buffer.concat([key, key, key]), iv, data);
}

/** Triple-DES (EDE, three independent keys) CBC over whole blocks. */
export function des3Cbc(encrypt: boolean, key: Uint8Array, iv: Uint8Array, data: Uint8Array): Buffer {
  checkCbcInput('3DES-CBC', key, DES3_KEY_LENGTH, iv, data);
  return ede3Cbc(encrypt, key, iv, data);
}

/** The DES-CBC checksum: the last block of DES-CBC(key, iv, data). */
export function desCbcMac(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Buffer {
  return desCbc(true, key, iv, data).subarray(-DES_BLOCK);
}

/** Sets the low bit of every byte so that each byte has an odd number of one bits (FIPS 46-3). */
export function fixParity(key: Uint8Array): Buffer {
  const out = Buffer.from(key);
  for (let i = 0; i < out.length; i++) {
    let ones = 0;
    for (let bit = 1; bit < 8; bit++) ones += (out[i]! >> bit) & 1;
    out[i] = (out[i]! & 0xfe) | (ones % 2 === 0 ? 1 : 0);
  }
  return out;
}

/** The 4 weak and 12 semi-weak DES keys (with parity), as MIT's mit_des_is_weak_key lists them. */
const WEAK_KEYS = new Set([
  '0101010101010101', 'fefefefefefefefe', 'e0e0e0e0f1f1f1f1', '1f1f1f1f0e0e0e0e',
  '01fe01fe01fe01fe', 'fe01fe01fe01fe01', '1fe01fe00ef10ef1', 'e01fe01ff10ef10e',
  '01e001e001f101f1', 'e001e001f101f101', '1ffe1ffe0efe0efe', 'fe1ffe1ffe0efe0e',
  '011f011f010e010e', '1f011f010e010e01', 'e0fee0fef1fef1fe', 'fee0fee0fef1fef1',
]);

export function isWeakKey(key: Uint8Array): boolean {
  return WEAK_KEYS.has(Buffer.from(key).toString('hex'));
}

/**
 * RFC 3961 §6.2 key_correction: fix the parity, and turn a weak key into a strong one by
 * XORing its last octet with 0xF0 (MIT: key[7] ^= 0xf0).
 */
export function keyCorrection(key: Uint8Array): Buffer {
  const out = fixParity(key);
  if (isWeakKey(out)) out[DES_BLOCK - 1]! ^= 0xf0;
  return out;
}

/**
 * RFC 3961 §6.3.1 random-to-key for one DES key: 7 random octets become the top seven bits of
 * the key bytes; their low bits are gathered, in order, into bits 1..7 of the eighth byte; then
 * every low bit becomes a parity bit.
 */
export function desRandomToKey(random7: Uint8Array): Buffer {
  const key = Buffer.alloc(DES_KEY_LENGTH);
  key.set(random7.subarray(0, 7));
  for (let i = 0; i < 7; i++) key[7]! |= (random7[i]! & 1) << (i + 1);
  return fixParity(key);
}

/** RFC 3961 §6.3.1: 168 random bits (21 octets) → a 24-byte triple-DES key, 7 octets per DES key. */
export function des3RandomToKey(random21: Uint8Array): Buffer {
  if (random21.length !== 21) throw new KrbCryptoError('bad-input', `3DES random-to-key needs 21 bytes, got ${random21.length}`);
  return Buffer.concat([0, 7, 14].map((offset) => desRandomToKey(random21.subarray(offset, offset + 7))));
}
