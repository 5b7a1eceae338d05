/**
 * CBC mode with ciphertext stealing, exactly as RFC 3962 §5 specifies it (RFC 2040 RC5-CTS with
 * the errata in RFC 3962 Appendix A), for any 16-byte block cipher OpenSSL offers in CBC and ECB:
 * AES (RFC 3962, RFC 8009) and Camellia (RFC 6803 uses the CTS mode of RFC 3962).
 *   C = CBC over the zero-padded plaintext, then the last two blocks swapped and the final one
 *       cut to the length of the last plaintext block.
 * The swap happens even when the plaintext is a whole number of blocks; a single-block input is
 * plain CBC. OpenSSL has no CTS mode, so we build it from <cipher>-cbc (encryption) and
 * <cipher>-ecb (decryption, see CtsDecipher).
 */
import { createCipheriv, createDecipheriv, type Decipher } from 'node:crypto';
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

/** Raw CBC encryption over whole blocks, without padding. */
function cbcEncrypt(cipher: CtsCipher, key: Uint8Array, iv: Uint8Array, data: Uint8Array): Buffer {
  const c = createCipheriv(blockCipherName(cipher, key, 'cbc'), key, iv);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(data), c.final()]);
}

export function ctsEncrypt(cipher: CtsCipher, key: Uint8Array, iv: Uint8Array | undefined, data: Uint8Array): Buffer {
  checkData(cipher, data);
  const chainIv = checkIv(cipher, iv);
  if (data.length === CTS_BLOCK) return cbcEncrypt(cipher, key, chainIv, data);
  const blocks = Math.ceil(data.length / CTS_BLOCK);
  const lastLength = data.length - (blocks - 1) * CTS_BLOCK;
  const padded = Buffer.alloc(blocks * CTS_BLOCK);
  padded.set(data);
  const c = cbcEncrypt(cipher, key, chainIv, padded);
  const beforeLast = (blocks - 2) * CTS_BLOCK;
  return Buffer.concat([
    c.subarray(0, beforeLast),
    c.subarray(beforeLast + CTS_BLOCK), // the last CBC block moves forward…
    c.subarray(beforeLast, beforeLast + lastLength), // …and the one before it is truncated
  ]);
}

/**
 * The input the CBC context deciphers, laid out so that its output is the finished buffer (no
 * second allocation, no copy): the caller's headroom as filler blocks, the ciphertext's whole
 * blocks, one filler block where the last partial plaintext block will go. Ciphertext is public,
 * so one buffer is shared by every decipher (all of this is synchronous); messages larger than
 * SHARED_INPUT_MAX get their own, so one huge message does not stay in memory for good.
 */
const SHARED_INPUT_MAX = 64 * 1024;
let sharedInput = Buffer.alloc(4096);

function inputBuffer(length: number): Buffer {
  if (length > SHARED_INPUT_MAX) return Buffer.allocUnsafe(length);
  if (length > sharedInput.length) sharedInput = Buffer.alloc(Math.min(SHARED_INPUT_MAX, 2 ** Math.ceil(Math.log2(length))));
  return sharedInput;
}

/**
 * CTS decryption with one OpenSSL CBC context per key, reused for every message: creating a
 * cipher context costs more than deciphering a ticket. CBC decryption is P_i = D(C_i) XOR C_{i-1},
 * so a context whose last input block (`chain`) was anything else only gets the first block
 * wrong — XORed with that block instead of the IV — and one 16-byte XOR puts it right. OpenSSL
 * deciphers all whole blocks in one call; only the swapped last two blocks are undone here
 * (RFC 3962 §5): the last whole block deciphers to W, the padded last plaintext XOR the stolen
 * block, whose tail is the part the encryption cut off.
 */
export class CtsDecipher {
  private readonly cbc: Decipher;
  /** A copy of the last block the context deciphered: its chaining state. */
  private readonly chain = Buffer.alloc(CTS_BLOCK);
  private readonly stolen = Buffer.alloc(CTS_BLOCK);

  constructor(
    private readonly cipher: CtsCipher,
    key: Uint8Array,
  ) {
    this.cbc = createDecipheriv(blockCipherName(cipher, key, 'cbc'), key, ZERO_IV).setAutoPadding(false);
  }

  /** Deciphers whole blocks in CBC, except that the first is left un-chained (raw D(C_1)). */
  private update(blocks: Uint8Array): Buffer {
    const out = this.cbc.update(blocks);
    const last = blocks.length - CTS_BLOCK;
    for (let j = 0; j < CTS_BLOCK; j++) {
      out[j] = out[j]! ^ this.chain[j]!;
      this.chain[j] = blocks[last + j]!;
    }
    return out;
  }

  /**
   * The plaintext, behind `headroom` bytes (a multiple of 16) of filler left for the caller: an
   * HMAC's inner pad goes there, so the MAC is taken in one hash call without another copy.
   */
  decrypt(iv: Uint8Array | undefined, data: Uint8Array, headroom = 0): Buffer {
    checkData(this.cipher, data);
    const chainIv = checkIv(this.cipher, iv);
    if (headroom % CTS_BLOCK !== 0) throw new RangeError(`CTS headroom must be whole blocks, got ${headroom} bytes`);
    const n = data.length;
    const blocks = Math.ceil(n / CTS_BLOCK);
    const fullEnd = blocks === 1 ? CTS_BLOCK : (blocks - 1) * CTS_BLOCK; // whole blocks, the last CBC block included
    const chained = blocks === 1 ? CTS_BLOCK : fullEnd - CTS_BLOCK; // the blocks that are plain CBC
    const inLength = headroom + fullEnd + (blocks === 1 ? 0 : CTS_BLOCK);
    const input = inputBuffer(inLength);
    input.set(data.subarray(0, fullEnd), headroom);
    const out = this.update(input.subarray(0, inLength));
    // The first ciphertext block chains from the IV, not from the filler before it.
    if (headroom === 0) for (let j = 0; j < CTS_BLOCK; j++) out[j] = out[j]! ^ chainIv[j]!;
    else for (let j = 0; j < CTS_BLOCK; j++) out[headroom + j] = out[headroom + j]! ^ input[headroom - CTS_BLOCK + j]! ^ chainIv[j]!;
    if (blocks === 1) return out;
    this.undoSwap(out, headroom, data, chained, chainIv);
    return out.subarray(0, headroom + n);
  }

  /** The last two plaintext blocks, written over the output of the last whole block and the filler after it. */
  private undoSwap(out: Buffer, headroom: number, data: Uint8Array, chained: number, chainIv: Uint8Array): void {
    const fullEnd = chained + CTS_BLOCK;
    const lastLength = data.length - fullEnd;
    // The block W was chained from: the IV or the ciphertext block before.
    const [before, at] = chained === 0 ? [chainIv, 0] : [data, chained - CTS_BLOCK];
    const stolen = this.stolen;
    for (let j = 0; j < CTS_BLOCK; j++) {
      const w = out[headroom + chained + j]! ^ before[at + j]!;
      if (j < lastLength) {
        const c = data[fullEnd + j]!;
        out[headroom + fullEnd + j] = w ^ c; // the last, partial plaintext block
        stolen[j] = c;
      } else {
        stolen[j] = w; // W's tail: the bytes the encryption cut off
      }
    }
    // In the CBC ciphertext the stolen block came just before the last one: it chains from `before`.
    const d = this.update(stolen);
    for (let j = 0; j < CTS_BLOCK; j++) out[headroom + chained + j] = d[j]! ^ before[at + j]!;
  }
}

/**
 * The decipher of a key this layer derived and keeps (Ke from the usage-key cache), made once:
 * held weakly by the key buffer, so it lives exactly as long as the cached key does.
 */
const cachedDeciphers = new WeakMap<Uint8Array, CtsDecipher>();

export function cachedCtsDecipher(cipher: CtsCipher, derivedKey: Uint8Array): CtsDecipher {
  let decipher = cachedDeciphers.get(derivedKey);
  if (!decipher) {
    decipher = new CtsDecipher(cipher, derivedKey);
    cachedDeciphers.set(derivedKey, decipher);
  }
  return decipher;
}

export function ctsDecrypt(cipher: CtsCipher, key: Uint8Array, iv: Uint8Array | undefined, data: Uint8Array): Buffer {
  return new CtsDecipher(cipher, key).decrypt(iv, data);
}
