/**
 * LZ77+Huffman decompression (MS-XCA §2.1–2.2, COMPRESSION_FORMAT_XPRESS_HUFF): what Windows
 * KDCs use for PAC claims sets. A block is a 256-byte table of 4-bit code lengths for 512 symbols
 * (0–255 literals, 256–511 matches) followed by a bit stream read as little-endian 16-bit words,
 * most significant bit first. Codes are canonical Huffman codes of at most 15 bits.
 *
 * Only single-block streams (at most 65536 bytes out) are decoded: a claims set is far smaller,
 * and how a second block's table follows the first's bit stream cannot be checked against
 * Windows-made data here. Every malformed stream is a KrbDecodeError naming the byte.
 */
import { KrbDecodeError } from '../errors';

const STRUCTURE = 'XPRESS_HUFF';
const SYMBOLS = 512;
const TABLE_BYTES = SYMBOLS / 2;
const MAX_CODE_BITS = 15;
const TABLE_SIZE = 1 << MAX_CODE_BITS;
/** A block yields at most this many bytes; the next block brings its own table. */
export const XPRESS_BLOCK_SIZE = 65536;

interface Block {
  /** Code length (0–15) of each symbol. */
  lengths: Uint8Array;
  /** Symbol for every 15-bit prefix of the bit stream. */
  table: Uint16Array;
}

/** Reads the code lengths: byte i holds symbol 2i in its low nibble and 2i+1 in its high nibble. */
function readLengths(input: Uint8Array, base: number): Uint8Array {
  if (input.length < TABLE_BYTES) {
    throw new KrbDecodeError(STRUCTURE, 'code lengths', base, `needs a ${TABLE_BYTES}-byte table of code lengths but only ${input.length} byte(s) are given`);
  }
  const lengths = new Uint8Array(SYMBOLS);
  for (let i = 0; i < TABLE_BYTES; i++) {
    lengths[2 * i] = input[i]! & 0x0f;
    lengths[2 * i + 1] = input[i]! >> 4;
  }
  return lengths;
}

/**
 * The canonical decoding table: shorter codes first, symbols in order within one length, each
 * code filling 2^(15 − length) entries. The codes must fill the table exactly (MS-XCA §2.2.4).
 */
function buildTable(lengths: Uint8Array, base: number): Uint16Array {
  const table = new Uint16Array(TABLE_SIZE);
  let next = 0;
  for (let bits = 1; bits <= MAX_CODE_BITS; bits++) {
    const span = 1 << (MAX_CODE_BITS - bits);
    for (let symbol = 0; symbol < SYMBOLS; symbol++) {
      if (lengths[symbol] !== bits) continue;
      if (next + span > TABLE_SIZE) {
        throw new KrbDecodeError(STRUCTURE, 'code lengths', base + (symbol >> 1), 'the code lengths oversubscribe the 15-bit code space (not a valid Huffman code)');
      }
      table.fill(symbol, next, next + span);
      next += span;
    }
  }
  if (next !== TABLE_SIZE) {
    throw new KrbDecodeError(STRUCTURE, 'code lengths', base, `the code lengths fill ${next} of ${TABLE_SIZE} code slots (an incomplete Huffman code)`);
  }
  return table;
}

/** The bit stream: a 32-bit window refilled 16 bits at a time from little-endian words. */
class BitStream {
  private window = 0;
  /** Bits in `window` beyond the 16 that are always kept ready. */
  private extra = 16;

  constructor(
    private readonly input: Uint8Array,
    public position: number,
    private readonly base: number,
  ) {
    this.window = ((this.word() << 16) | this.word()) >>> 0;
  }

  /** The next little-endian 16-bit word; past the end, the stream is only zeros (the final padding). */
  private word(): number {
    const at = this.position;
    this.position += 2;
    if (at + 1 < this.input.length) return this.input[at]! | (this.input[at + 1]! << 8);
    // A real stream ends within the last refill; reading further means it was cut short.
    if (at > this.input.length + 4) throw new KrbDecodeError(STRUCTURE, 'bit stream', this.base + this.input.length, 'ends before the output is complete (truncated input)');
    return at < this.input.length ? this.input[at]! : 0;
  }

  peek(bits: number): number {
    return bits === 0 ? 0 : this.window >>> (32 - bits);
  }

  skip(bits: number): void {
    if (bits === 0) return;
    this.window = (this.window << bits) >>> 0;
    this.extra -= bits;
    if (this.extra < 0) {
      this.window = (this.window | (this.word() << -this.extra)) >>> 0;
      this.extra += 16;
    }
  }

  /** A raw byte from the input, for long match lengths (they sit between the 16-bit words). */
  byte(field: string): number {
    if (this.position >= this.input.length) throw new KrbDecodeError(STRUCTURE, field, this.base + this.position, 'runs past the end of the input');
    return this.input[this.position++]!;
  }

  uint16(field: string): number {
    if (this.position + 2 > this.input.length) throw new KrbDecodeError(STRUCTURE, field, this.base + this.position, 'runs past the end of the input');
    const value = this.input[this.position]! | (this.input[this.position + 1]! << 8);
    this.position += 2;
    return value;
  }
}

function readBlock(input: Uint8Array, base: number): Block {
  const lengths = readLengths(input, base);
  return { lengths, table: buildTable(lengths, base) };
}

/** A match symbol's length: 4 bits in the symbol, extended by a byte, then by a 16-bit word. */
function matchLength(symbol: number, bits: BitStream): number {
  let length = symbol & 0x0f;
  if (length === 15) {
    length = bits.byte('match length');
    if (length === 255) {
      length = bits.uint16('match length');
      if (length < 15) throw new KrbDecodeError(STRUCTURE, 'match length', bits.position - 2, `extended length ${length} is below 15`);
      length -= 15;
    }
    length += 15;
  }
  return length + 3;
}

/**
 * Decompresses `input` into exactly `outputSize` bytes. `base` is the offset of `input` in the
 * enclosing bytes, for error offsets.
 */
export function decompressXpressHuffman(input: Uint8Array, outputSize: number, base = 0): Buffer {
  if (outputSize > XPRESS_BLOCK_SIZE) {
    throw new KrbDecodeError(STRUCTURE, 'uncompressed size', base, `${outputSize} bytes span several 64 KiB blocks; only single-block streams are decoded`);
  }
  const out = Buffer.alloc(outputSize);
  const { lengths, table } = readBlock(input, base);
  const bits = new BitStream(input, TABLE_BYTES, base);
  let written = 0;
  while (written < outputSize) {
    const symbol = table[bits.peek(MAX_CODE_BITS)]!;
    bits.skip(lengths[symbol]!);
    if (symbol < 256) {
      out[written++] = symbol;
      continue;
    }
    const length = matchLength(symbol - 256, bits);
    const offsetBits = (symbol - 256) >> 4;
    const distance = bits.peek(offsetBits) + (1 << offsetBits);
    bits.skip(offsetBits);
    if (distance > written) {
      throw new KrbDecodeError(STRUCTURE, 'match offset', base + bits.position, `a match reaches ${distance} bytes back but only ${written} have been written`);
    }
    if (written + length > outputSize) {
      throw new KrbDecodeError(STRUCTURE, 'match length', base + bits.position, `a ${length}-byte match at output byte ${written} overruns the ${outputSize}-byte output`);
    }
    // Byte by byte: a match may overlap the bytes it is producing (distance < length).
    for (let i = 0; i < length; i++, written++) out[written] = out[written - distance]!;
  }
  return out;
}
