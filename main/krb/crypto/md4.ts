/**
 * MD4 (RFC 1320). OpenSSL 3 moved it to the legacy provider, which we do not enable, yet
 * RC4-HMAC keys are MD4(UTF-16LE(password)) (RFC 4757 §2). Only used for that: MD4 is broken
 * as a hash, never use it for anything new.
 */

const A0 = 0x67452301;
const B0 = 0xefcdab89;
const C0 = 0x98badcfe;
const D0 = 0x10325476;

/** Per round: the order message words are taken in, the four rotation amounts, the constant. */
const ROUNDS: { order: number[]; shifts: number[]; constant: number; f: (x: number, y: number, z: number) => number }[] = [
  { order: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15], shifts: [3, 7, 11, 19], constant: 0, f: (x, y, z) => (x & y) | (~x & z) },
  { order: [0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15], shifts: [3, 5, 9, 13], constant: 0x5a827999, f: (x, y, z) => (x & y) | (x & z) | (y & z) },
  { order: [0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15], shifts: [3, 9, 11, 15], constant: 0x6ed9eba1, f: (x, y, z) => x ^ y ^ z },
];

function rotl(x: number, n: number): number {
  return ((x << n) | (x >>> (32 - n))) >>> 0;
}

/** RFC 1320 §3.1–3.2: 0x80, zeros to 56 mod 64, then the bit length as 64-bit little-endian. */
function pad(data: Uint8Array): Buffer {
  const length = Math.ceil((data.length + 9) / 64) * 64;
  const padded = Buffer.alloc(length);
  padded.set(data);
  padded[data.length] = 0x80;
  const bits = data.length * 8;
  padded.writeUInt32LE(bits >>> 0, length - 8);
  padded.writeUInt32LE(Math.floor(bits / 0x100000000), length - 4);
  return padded;
}

function processBlock(state: number[], block: Buffer): void {
  const x = Array.from({ length: 16 }, (_, i) => block.readUInt32LE(i * 4));
  const v = [...state];
  for (const round of ROUNDS) {
    for (let step = 0; step < 16; step++) {
      // Registers rotate a, d, c, b: each step updates the one before the previous.
      const target = (4 - (step % 4)) % 4;
      const [a, b, c, d] = [v[target]!, v[(target + 1) % 4]!, v[(target + 2) % 4]!, v[(target + 3) % 4]!];
      v[target] = rotl((a + round.f(b, c, d) + x[round.order[step]!]! + round.constant) >>> 0, round.shifts[step % 4]!);
    }
  }
  for (let i = 0; i < 4; i++) state[i] = (state[i]! + v[i]!) >>> 0;
}

export function md4(data: Uint8Array): Buffer {
  const padded = pad(data);
  const state = [A0, B0, C0, D0];
  for (let offset = 0; offset < padded.length; offset += 64) processBlock(state, padded.subarray(offset, offset + 64));
  const out = Buffer.alloc(16);
  state.forEach((word, i) => out.writeUInt32LE(word, i * 4));
  return out;
}
