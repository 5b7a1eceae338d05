/**
 * RFC 3961 §5.1 n-fold: stretches or shrinks a byte string to `outBytes` bytes so that every
 * input bit influences the output. The simplified profile uses it to turn a short derivation
 * constant (usage | 0x99, "kerberos") into one cipher block.
 */
import { KrbCryptoError } from '../errors';

/** Rotates `input` (as one big-endian bit string) right by `bits` bits. */
function rotateRight(input: Uint8Array, bits: number): Uint8Array {
  const length = input.length;
  const shift = bits % (length * 8);
  const byteShift = Math.floor(shift / 8);
  const bitShift = shift % 8;
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    const current = input[(i - byteShift + length) % length]!;
    const previous = input[(i - byteShift - 1 + 2 * length) % length]!;
    // Low bits of the previous byte move into the high bits of this one.
    out[i] = ((current >>> bitShift) | (previous << (8 - bitShift))) & 0xff;
  }
  return out;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/**
 * RFC 3961 §5.1: concatenate copies of the input, copy k rotated right by 13·k bits, until the
 * length is lcm(inBytes, outBytes); then add the outBytes-sized chunks with one's-complement
 * (end-around carry) addition.
 */
export function nfold(input: Uint8Array, outBytes: number): Buffer {
  if (input.length === 0 || !Number.isInteger(outBytes) || outBytes <= 0) {
    throw new KrbCryptoError('bad-input', `n-fold needs a non-empty input and a positive output length (got ${input.length} → ${outBytes})`);
  }
  const lcm = (input.length * outBytes) / gcd(input.length, outBytes);
  const copies = lcm / input.length;
  const expanded = new Uint8Array(lcm);
  for (let k = 0; k < copies; k++) expanded.set(rotateRight(input, 13 * k), k * input.length);

  // Add the chunks byte by byte from the least significant end; the carry out of the most
  // significant byte of one chunk flows into the least significant byte of the next (end-around).
  const out = Buffer.alloc(outBytes);
  let carry = 0;
  for (let i = lcm - 1; i >= 0; i--) {
    carry += expanded[i]! + out[i % outBytes]!;
    out[i % outBytes] = carry & 0xff;
    carry >>>= 8;
  }
  for (let i = outBytes - 1; i >= 0 && carry !== 0; i--) {
    carry += out[i]!;
    out[i] = carry & 0xff;
    carry >>>= 8;
  }
  return out;
}
