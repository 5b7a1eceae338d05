import { KrbDecodeError } from './errors';
import type { TreeNode } from './tree';

/**
 * Reads the big-endian binary formats (keytab, ccache, GSS token headers) with bounds checks,
 * recording each field as a TreeNode. Every read names its field, so an error says where.
 */
export class BinaryReader {
  offset: number;

  constructor(
    readonly bytes: Uint8Array,
    /** Structure name used in errors, e.g. "keytab". */
    readonly structure: string,
    start = 0,
    /** Added to offsets in trees and errors, when `bytes` is a slice of a larger input. */
    readonly base = 0,
    readonly end = bytes.length,
  ) {
    this.offset = start;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  /** Absolute offset of the read position (for trees and errors). */
  get position(): number {
    return this.base + this.offset;
  }

  fail(field: string, reason: string, at = this.offset): never {
    throw new KrbDecodeError(this.structure, field, this.base + at, reason);
  }

  need(field: string, length: number): void {
    if (length < 0 || length > this.remaining) {
      this.fail(field, `needs ${length} byte(s) but only ${this.remaining} remain`);
    }
  }

  private view(): DataView {
    return new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
  }

  uint8(field: string): number {
    this.need(field, 1);
    return this.bytes[this.offset++]!;
  }

  uint16(field: string, littleEndian = false): number {
    this.need(field, 2);
    const value = this.view().getUint16(this.offset, littleEndian);
    this.offset += 2;
    return value;
  }

  int16(field: string, littleEndian = false): number {
    this.need(field, 2);
    const value = this.view().getInt16(this.offset, littleEndian);
    this.offset += 2;
    return value;
  }

  uint32(field: string, littleEndian = false): number {
    this.need(field, 4);
    const value = this.view().getUint32(this.offset, littleEndian);
    this.offset += 4;
    return value;
  }

  int32(field: string, littleEndian = false): number {
    this.need(field, 4);
    const value = this.view().getInt32(this.offset, littleEndian);
    this.offset += 4;
    return value;
  }

  uint64(field: string, littleEndian = false): bigint {
    this.need(field, 8);
    const value = this.view().getBigUint64(this.offset, littleEndian);
    this.offset += 8;
    return value;
  }

  bytesOf(field: string, length: number): Buffer {
    this.need(field, length);
    const out = Buffer.from(this.bytes.subarray(this.offset, this.offset + length));
    this.offset += length;
    return out;
  }

  /** Reads a field and records it as a leaf node (`display` turns values such as Buffers into text). */
  node<T extends TreeNode['value']>(name: string, type: string, read: () => T): { value: T; node: TreeNode };
  node<T>(name: string, type: string, read: () => T, display: (v: T) => TreeNode['value']): { value: T; node: TreeNode };
  node<T>(name: string, type: string, read: () => T, display?: (v: T) => TreeNode['value']): { value: T; node: TreeNode } {
    const start = this.position;
    const value = read();
    const shown = display ? display(value) : (value as TreeNode['value']);
    const node: TreeNode = { name, type, offset: start, length: this.position - start };
    if (shown !== undefined) node.value = shown;
    return { value, node };
  }
}

/** Big-endian binary writer for keytabs and tokens. */
export class BinaryWriter {
  private readonly chunks: Buffer[] = [];

  uint8(v: number): this {
    this.chunks.push(Buffer.from([v & 0xff]));
    return this;
  }

  uint16(v: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(v & 0xffff);
    this.chunks.push(b);
    return this;
  }

  int16(v: number): this {
    const b = Buffer.alloc(2);
    b.writeInt16BE(v);
    this.chunks.push(b);
    return this;
  }

  uint32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(v >>> 0);
    this.chunks.push(b);
    return this;
  }

  int32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    this.chunks.push(b);
    return this;
  }

  uint64(v: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(v);
    this.chunks.push(b);
    return this;
  }

  bytes(b: Uint8Array): this {
    this.chunks.push(Buffer.from(b));
    return this;
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
}
