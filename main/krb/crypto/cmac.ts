/**
 * CMAC (NIST SP 800-38B; RFC 4493 for AES) over a 128-bit block cipher, the integrity and key
 * derivation primitive of the RFC 6803 Camellia enctypes. Node has no CMAC, so it is built from
 * <cipher>-cbc: with L = E(K, 0¹²⁸), K1 = dbl(L), K2 = dbl(K1),
 *   CMAC(K, M) = last block of CBC(K, iv = 0, M1 | … | Mn-1 | (Mn XOR K1))       if Mn is a whole block
 *                last block of CBC(K, iv = 0, M1 | … | Mn-1 | (pad(Mn) XOR K2))  otherwise (and for M empty)
 * where pad appends 0x80 then zeros, and dbl is a left shift by one bit, XOR 0x87 into the last
 * byte when the top bit fell off.
 */
import { createCipheriv } from 'node:crypto';
import { blockCipherName, CTS_BLOCK, type CtsCipher } from './cts';

const ZERO_BLOCK = Buffer.alloc(CTS_BLOCK);

function cbcEncrypt(cipher: CtsCipher, key: Uint8Array, data: Uint8Array): Buffer {
  const c = createCipheriv(blockCipherName(cipher, key, 'cbc'), key, ZERO_BLOCK);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(data), c.final()]);
}

/** Multiplication by x in GF(2¹²⁸), the subkey step of SP 800-38B §6.1. */
function dbl(block: Buffer): Buffer {
  const out = Buffer.alloc(CTS_BLOCK);
  for (let i = 0; i < CTS_BLOCK; i++) out[i] = ((block[i]! << 1) | (i + 1 < CTS_BLOCK ? block[i + 1]! >> 7 : 0)) & 0xff;
  if (block[0]! & 0x80) out[CTS_BLOCK - 1]! ^= 0x87;
  return out;
}

/** CMAC(key, parts[0] | parts[1] | …), the full 16-byte tag. */
export function cmac(cipher: CtsCipher, key: Uint8Array, ...parts: Uint8Array[]): Buffer {
  const message = Buffer.concat(parts);
  const k1 = dbl(cbcEncrypt(cipher, key, ZERO_BLOCK));
  const blocks = Math.max(1, Math.ceil(message.length / CTS_BLOCK));
  const lastStart = (blocks - 1) * CTS_BLOCK;
  const whole = message.length > 0 && message.length % CTS_BLOCK === 0;
  const last = Buffer.alloc(CTS_BLOCK);
  last.set(message.subarray(lastStart));
  if (!whole) last[message.length - lastStart] = 0x80;
  const subkey = whole ? k1 : dbl(k1);
  for (let i = 0; i < CTS_BLOCK; i++) last[i]! ^= subkey[i]!;
  return cbcEncrypt(cipher, key, Buffer.concat([message.subarray(0, lastStart), last])).subarray(-CTS_BLOCK);
}
