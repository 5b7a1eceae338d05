/**
 * Framing shared by the BER-speaking extractors (Kerberos over TCP, LDAP): the whole length of a
 * BER/DER TLV from its header, and an assembler that cuts a byte stream's chunks into
 * length-prefixed messages. Kept apart from kerberos.ts so that LDAP does not depend on it.
 */
import type { PacketRef } from '../types';

/** berLength results that are not lengths. */
export const BER_MORE = -1;
export const BER_BAD = -2;

/**
 * The whole length (header + content) of the BER/DER TLV at `at`, reading no further than `end`:
 * BER_MORE when the header is cut short, BER_BAD for an indefinite or over-long length.
 */
export function berLength(bytes: Uint8Array, at: number, end: number): number {
  if (at + 2 > end) return BER_MORE;
  const first = bytes[at + 1]!;
  if (first < 0x80) return 2 + first;
  const count = first & 0x7f;
  if (count === 0 || count > 4) return BER_BAD;
  if (at + 2 + count > end) return BER_MORE;
  let length = 0;
  for (let k = 0; k < count; k++) length = length * 256 + bytes[at + 2 + k]!;
  return 2 + count + length;
}

/**
 * Assembles length-prefixed messages out of a byte stream's chunks: a message split over many
 * chunks and several messages in one chunk. `measure(head, fill)` says, from the first `fill`
 * bytes of a message, its whole length (or BER_MORE, or why it is not one); each message is
 * handed over as its own copy with the frames it spans.
 */
export class MessageAssembler {
  private readonly head: Uint8Array;
  private headFill = 0;
  private body: Uint8Array | undefined;
  private bodyFill = 0;
  private frames: number[] = [];
  /** Why the stream stopped making sense; nothing more is read until reset(). */
  broken: string | undefined;

  constructor(
    private readonly measure: (head: Uint8Array, fill: number) => number | string,
    headMax: number,
    private readonly maxLength: number,
    private readonly onMessage: (message: Uint8Array, frames: number[], at: PacketRef) => void,
  ) {
    this.head = new Uint8Array(headMax);
  }

  push(bytes: Uint8Array, packet: PacketRef): void {
    const n = bytes.length;
    let at = 0;
    while (at < n && !this.broken) {
      if (this.frames[this.frames.length - 1] !== packet.number) this.frames.push(packet.number);
      if (!this.body) {
        const total = this.readHead(bytes, at);
        at += total.used;
        if (total.length === BER_MORE) continue;
        this.body = new Uint8Array(total.length);
        this.body.set(this.head.subarray(0, this.headFill));
        this.bodyFill = this.headFill;
        this.headFill = 0;
      }
      const take = Math.min(this.body.length - this.bodyFill, n - at);
      this.body.set(bytes.subarray(at, at + take), this.bodyFill);
      this.bodyFill += take;
      at += take;
      if (this.bodyFill === this.body.length) {
        const message = this.body;
        const frames = this.frames;
        this.body = undefined;
        this.frames = [];
        this.onMessage(message, frames, packet);
      }
    }
  }

  private readHead(bytes: Uint8Array, from: number): { used: number; length: number } {
    let at = from;
    while (at < bytes.length && this.headFill < this.head.length) {
      this.head[this.headFill++] = bytes[at++]!;
      const length = this.measure(this.head, this.headFill);
      if (typeof length === 'string') this.broken = length;
      else if (length > this.maxLength) this.broken = `a message of ${length} bytes is longer than the ${this.maxLength} this reader accepts`;
      else if (length !== BER_MORE) return { used: at - from, length };
      if (this.broken) break;
    }
    if (this.headFill === this.head.length && !this.broken) this.broken = 'no message length in its first bytes';
    return { used: at - from, length: BER_MORE };
  }

  /** Drops the partial message (after a gap); returns whether there was one. */
  reset(): boolean {
    const partial = this.headFill > 0 || this.body !== undefined;
    this.headFill = 0;
    this.body = undefined;
    this.frames = [];
    this.broken = undefined;
    return partial;
  }
}
