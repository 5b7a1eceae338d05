/**
 * AES in CBC mode with ciphertext stealing, exactly as RFC 3962 §5 specifies it (RFC 2040
 * RC5-CTS with the errata in RFC 3962 Appendix A): CBC over the zero-padded plaintext, then the
 * last two ciphertext blocks swapped and the final one cut to the length of the last plaintext
 * block. The swap happens even when the plaintext is a whole number of blocks; a single-block
 * input is plain CBC. The construction lives in cts.ts, shared with Camellia (RFC 6803).
 */
import { CTS_BLOCK, ctsDecrypt, ctsEncrypt } from './cts';

export const AES_BLOCK = CTS_BLOCK;

export function aesCtsEncrypt(key: Uint8Array, iv: Uint8Array | undefined, data: Uint8Array): Buffer {
  return ctsEncrypt('aes', key, iv, data);
}

export function aesCtsDecrypt(key: Uint8Array, iv: Uint8Array | undefined, data: Uint8Array): Buffer {
  return ctsDecrypt('aes', key, iv, data);
}
