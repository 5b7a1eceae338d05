/**
 * CBC mode with ciphertext stealing, exactly as RFC 3962 §5 specifies it (RFC 2040 RC5-CTS with
 * the errata in RFC 3962 Appendix A), for any 16-byte block cipher OpenSSL offers in CBC and ECB:
 * AES (RFC 3962, RFC 8009) and Camellia (RFC 6803 uses the CTS mode of RFC 3962).
 *   C = CBC over the zero-padded plaintext, then the last two blocks swapped and the final one
 *       cut to the length of the last plaintext block.
 * The swap happens even when the plaintext is a whole number of blocks; a single-block input is
 * plain CBC. OpenSSL has no CTS mode, so we build it from <cipher>-cbc and <cipher>-ecb.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { KrbCryptoError } from '../errors';

export const CTS_BLOCK = 16;
const ZERO_IV = Buffer.alloc(CTS_BLOCK);

/** The block ciphers RFC 3962-style CTS is used with, as OpenSSL names them. */
export type CtsCipher = 'aes' | 'camellia';

const LABEL: Record<CtsCipher, string> = { aes: 'AES', camellia: 'Camellia' };

/** OpenSSL's name for the cipher in `mode` with this key; a key of another length is a bad-key error. */
export function blockCipherName(cipher: CtsCipher, key: Uint8Array, mode: 'cbc' | 'ecb'): string {
  if (key.length !== 16 && key.length !== 32) {
    throw new KrbCryptoError('bad-key', `${LABEL[cipher]} needs a 16- or 32-byte key, got ${key.length} byte(s)`);
  }
  return `${cipher}-${key.length * 8}-${mode}`;
}

function checkIv(cipher: CtsCipher, iv: Uint8Array | undefined): Uint8Array {
  if (iv === undefined) return ZERO_IV;
  if (iv.length !== CTS_BLOCK) throw new KrbCryptoError('bad-input', `${LABEL[cipher]}-CTS IV must be 16 bytes, got ${iv.length}`);
  return iv;
}

function checkData(cipher: CtsCipher, data: Uint8Array): void {
  // CTS needs at least one whole block to steal from; Kerberos always has the 16-byte confounder.
  if (data.length < CTS_BLOCK) {
    throw new KrbCryptoError('bad-input', `${LABEL[cipher]}-CTS input must be at least 16 bytes, got ${data.length}`);
  }
}

/** Raw CBC over whole blocks, without padding. */
function cbc(cipher: CtsCipher, encrypt: boolean, key: Uint8Array, iv: Uint8Array, data: Uint8Array): Buffer {
  const name = blockCipherName(cipher, key, 'cbc');
  const c = encrypt ? createCipheriv(name, key, iv) : createDecipheriv(name, key, iv);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(data), c.final()]);
}

function ecbDecryptBlock(cipher: CtsCipher, key: Uint8Array, block: Uint8Array): Buffer {
  const decipher = createDecipheriv(blockCipherName(cipher, key, 'ecb'), key, null);
  decipher.setAutoPadding(false);
  return Buffer.concat([decipher.update(block), decipher.final()]);
}

export function ctsEncrypt(cipher: CtsCipher, key: Uint8Array, iv: Uint8Array | undefined, data: Uint8Array): Buffer {
  checkData(cipher, data);
  const chainIv = checkIv(cipher, iv);
  if (data.length === CTS_BLOCK) return cbc(cipher, true, key, chainIv, data);
  const blocks = Math.ceil(data.length / CTS_BLOCK);
  const lastLength = data.length - (blocks - 1) * CTS_BLOCK;
  const padded = Buffer.alloc(blocks * CTS_BLOCK);
  padded.set(data);
  const c = cbc(cipher, true, key, chainIv, padded);
  const beforeLast = (blocks - 2) * CTS_BLOCK;
  return Buffer.concat([
    c.subarray(0, beforeLast),
    c.subarray(beforeLast + CTS_BLOCK), // the last CBC block moves forward…
    c.subarray(beforeLast, beforeLast + lastLength), // …and the one before it is truncated
  ]);
}

/**
 * Rebuilds the ordinary CBC ciphertext and decrypts that: decrypting the stolen (full) block
 * with the raw cipher yields the padded last plaintext XOR the previous ciphertext block, whose
 * tail bytes are the bytes the encryption cut off.
 */
export function ctsDecrypt(cipher: CtsCipher, key: Uint8Array, iv: Uint8Array | undefined, data: Uint8Array): Buffer {
  checkData(cipher, data);
  const chainIv = checkIv(cipher, iv);
  if (data.length === CTS_BLOCK) return cbc(cipher, false, key, chainIv, data);
  const blocks = Math.ceil(data.length / CTS_BLOCK);
  const lastLength = data.length - (blocks - 1) * CTS_BLOCK;
  const beforeLast = (blocks - 2) * CTS_BLOCK;
  const lastCbcBlock = data.subarray(beforeLast, beforeLast + CTS_BLOCK);
  const truncated = data.subarray(beforeLast + CTS_BLOCK);
  const stolenTail = ecbDecryptBlock(cipher, key, lastCbcBlock).subarray(lastLength);
  const cbcCiphertext = Buffer.concat([data.subarray(0, beforeLast), truncated, stolenTail, lastCbcBlock]);
  return cbc(cipher, false, key, chainIv, cbcCiphertext).subarray(0, data.length);
}
