/**
 * AES in CBC mode with ciphertext stealing, exactly as RFC 3962 §5 specifies it (RFC 2040
 * RC5-CTS with the errata in RFC 3962 Appendix A): CBC over the zero-padded plaintext, then the
 * last two ciphertext blocks swapped and the final one cut to the length of the last plaintext
 * block. The swap happens even when the plaintext is a whole number of blocks; a single-block
 * input is plain CBC. OpenSSL has no CTS mode, so we build it from aes-*-cbc and aes-*-ecb.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { KrbCryptoError } from '../errors';

export const AES_BLOCK = 16;
const ZERO_IV = Buffer.alloc(AES_BLOCK);

function cipherName(key: Uint8Array, mode: 'cbc' | 'ecb'): string {
  if (key.length !== 16 && key.length !== 32) {
    throw new KrbCryptoError('bad-key', `AES needs a 16- or 32-byte key, got ${key.length} byte(s)`);
  }
  return `aes-${key.length * 8}-${mode}`;
}

function checkIv(iv: Uint8Array | undefined): Uint8Array {
  if (iv === undefined) return ZERO_IV;
  if (iv.length !== AES_BLOCK) throw new KrbCryptoError('bad-input', `AES-CTS IV must be 16 bytes, got ${iv.length}`);
  return iv;
}

function checkData(data: Uint8Array): void {
  // CTS needs at least one whole block to steal from; Kerberos always has the 16-byte confounder.
  if (data.length < AES_BLOCK) {
    throw new KrbCryptoError('bad-input', `AES-CTS input must be at least 16 bytes, got ${data.length}`);
  }
}

/** Raw CBC over whole blocks, without padding. */
function cbc(encrypt: boolean, key: Uint8Array, iv: Uint8Array, data: Uint8Array): Buffer {
  const name = cipherName(key, 'cbc');
  const cipher = encrypt ? createCipheriv(name, key, iv) : createDecipheriv(name, key, iv);
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(data), cipher.final()]);
}

function ecbDecryptBlock(key: Uint8Array, block: Uint8Array): Buffer {
  const decipher = createDecipheriv(cipherName(key, 'ecb'), key, null);
  decipher.setAutoPadding(false);
  return Buffer.concat([decipher.update(block), decipher.final()]);
}

export function aesCtsEncrypt(key: Uint8Array, iv: Uint8Array | undefined, data: Uint8Array): Buffer {
  checkData(data);
  const chainIv = checkIv(iv);
  if (data.length === AES_BLOCK) return cbc(true, key, chainIv, data);
  const blocks = Math.ceil(data.length / AES_BLOCK);
  const lastLength = data.length - (blocks - 1) * AES_BLOCK;
  const padded = Buffer.alloc(blocks * AES_BLOCK);
  padded.set(data);
  const c = cbc(true, key, chainIv, padded);
  const beforeLast = (blocks - 2) * AES_BLOCK;
  return Buffer.concat([
    c.subarray(0, beforeLast),
    c.subarray(beforeLast + AES_BLOCK), // the last CBC block moves forward…
    c.subarray(beforeLast, beforeLast + lastLength), // …and the one before it is truncated
  ]);
}

/**
 * Rebuilds the ordinary CBC ciphertext and decrypts that: decrypting the stolen (full) block
 * with the raw cipher yields the padded last plaintext XOR the previous ciphertext block, whose
 * tail bytes are the bytes the encryption cut off.
 */
export function aesCtsDecrypt(key: Uint8Array, iv: Uint8Array | undefined, data: Uint8Array): Buffer {
  checkData(data);
  const chainIv = checkIv(iv);
  if (data.length === AES_BLOCK) return cbc(false, key, chainIv, data);
  const blocks = Math.ceil(data.length / AES_BLOCK);
  const lastLength = data.length - (blocks - 1) * AES_BLOCK;
  const beforeLast = (blocks - 2) * AES_BLOCK;
  const lastCbcBlock = data.subarray(beforeLast, beforeLast + AES_BLOCK);
  const truncated = data.subarray(beforeLast + AES_BLOCK);
  const stolenTail = ecbDecryptBlock(key, lastCbcBlock).subarray(lastLength);
  const cbcCiphertext = Buffer.concat([data.subarray(0, beforeLast), truncated, stolenTail, lastCbcBlock]);
  return cbc(false, key, chainIv, cbcCiphertext).subarray(0, data.length);
}
