/**
 * IP fragment reassembly (RFC 791 §3.2 "Fragmentation and Reassembly"; the same machinery serves
 * IPv6 fragments, RFC 8200 §4.5). Fragments of one datagram share (source, destination, protocol,
 * identification); each carries its offset in the fragmentable part and a More Fragments flag, and
 * the last one (MF = 0) fixes the total length.
 *
 * Captures are hostile: fragments arrive in any order, overlap (a retransmission, or an attack), or
 * never complete. Rules here:
 *  - overlapping bytes: the fragment seen first wins (what most stacks and Wireshark's default do);
 *  - memory is bounded: at most `maxDatagrams` pending datagrams and `maxBytes` held bytes, the
 *    oldest pending datagram is evicted (with a warning) to make room;
 *  - a datagram whose first fragment is older than `timeoutSeconds` of capture time is dropped
 *    (RFC 791 suggests a reassembly timer of 15 s; Linux's ipfrag_time is 30 s).
 * Fragment data is copied: the caller's bytes are views valid only during the call.
 */
import type { CaptureWarning, PacketRef } from './types';

export interface FragmentReassemblyOptions {
  /** Pending (incomplete) datagrams held at most; the oldest is evicted beyond. Default 1024. */
  maxDatagrams?: number;
  /** Fragment bytes held at most across all pending datagrams. Default 16 MiB. */
  maxBytes?: number;
  /** A pending datagram older than this (capture time, seconds) is dropped. Default 30. */
  timeoutSeconds?: number;
  warn?(warning: CaptureWarning): void;
}

export type FragmentResult =
  | { kind: 'complete'; payload: Uint8Array; fragments: number[] }
  | { kind: 'pending' }
  | { kind: 'error'; reason: string };

/** The largest reassembled payload IPv4 can describe (16-bit total length) — and we hold IPv6 to it too. */
const MAX_REASSEMBLED = 65_535;
/** Fragments of one datagram held at most: 8-byte units over 64 KiB give 8192, real ones need a few. */
const MAX_PIECES = 1024;
const PENDING: FragmentResult = { kind: 'pending' };

interface Piece {
  offset: number;
  data: Uint8Array;
}

interface PendingDatagram {
  label: string;
  firstSeconds: number;
  firstFrame: number;
  /** In arrival order: first-seen wins on overlap. */
  pieces: Piece[];
  numbers: number[];
  bytes: number;
  /** Offset + length of the fragment with MF = 0, once seen; -1 before. */
  total: number;
}

export class Ipv4Reassembler {
  private readonly pending = new Map<string, PendingDatagram>();
  private heldBytes = 0;
  private readonly maxDatagrams: number;
  private readonly maxBytes: number;
  private readonly timeoutSeconds: number;
  private readonly warnFn: ((warning: CaptureWarning) => void) | undefined;

  constructor(options: FragmentReassemblyOptions = {}) {
    this.maxDatagrams = Math.max(1, options.maxDatagrams ?? 1024);
    this.maxBytes = Math.max(MAX_REASSEMBLED, options.maxBytes ?? 16 * 1024 * 1024);
    this.timeoutSeconds = options.timeoutSeconds ?? 30;
    this.warnFn = options.warn;
  }

  /** Datagrams waiting for fragments. */
  get pendingDatagrams(): number {
    return this.pending.size;
  }

  /** Fragment bytes held. */
  get pendingBytes(): number {
    return this.heldBytes;
  }

  /**
   * Adds one fragment. `offset` is in bytes (the IPv4 field × 8), `more` is the MF flag, `data` the
   * fragment's payload (copied). Returns the whole payload once every byte of 0..total has arrived.
   */
  add(
    src: string,
    dst: string,
    protocol: number,
    id: number,
    offset: number,
    more: boolean,
    data: Uint8Array,
    packet: PacketRef,
  ): FragmentResult {
    const end = offset + data.length;
    if (end > MAX_REASSEMBLED) {
      return { kind: 'error', reason: `fragment offset ${offset} + length ${data.length} exceeds ${MAX_REASSEMBLED} bytes` };
    }
    this.expire(packet.seconds);
    const key = `${src}>${dst}/${protocol}#${id}`;
    let d = this.pending.get(key);
    if (!d) {
      d = { label: `${src} → ${dst} protocol ${protocol} id 0x${id.toString(16)}`, firstSeconds: packet.seconds, firstFrame: packet.number, pieces: [], numbers: [], bytes: 0, total: -1 };
      this.pending.set(key, d);
    }
    if (d.pieces.length >= MAX_PIECES) {
      this.drop(key, d);
      return { kind: 'error', reason: `more than ${MAX_PIECES} fragments for one datagram (${d.label})` };
    }
    d.pieces.push({ offset, data: data.slice() });
    d.numbers.push(packet.number);
    d.bytes += data.length;
    this.heldBytes += data.length;
    // The first last-fragment fixes the length; a later contradicting one is ignored (first seen wins).
    if (!more && d.total < 0) d.total = end;
    this.evictForRoom();
    if (d.total < 0 || !this.pending.has(key) || !covers(d.pieces, d.total)) return PENDING;
    this.pending.delete(key);
    this.heldBytes -= d.bytes;
    return { kind: 'complete', payload: assemble(d.pieces, d.total), fragments: d.numbers };
  }

  /** Drops every pending datagram, warning about each (the capture ended). */
  finish(): void {
    for (const [key, d] of this.pending) this.drop(key, d, 'the capture ended before all its fragments arrived');
  }

  private expire(nowSeconds: number): void {
    // Insertion order is first-seen order, so the oldest sit at the front.
    for (const [key, d] of this.pending) {
      if (nowSeconds - d.firstSeconds <= this.timeoutSeconds) break;
      this.drop(key, d, `incomplete after ${this.timeoutSeconds} s of capture time`);
    }
  }

  private evictForRoom(): void {
    for (const [key, d] of this.pending) {
      if (this.pending.size <= this.maxDatagrams && this.heldBytes <= this.maxBytes) break;
      this.drop(key, d, `evicted: more than ${this.maxDatagrams} datagrams or ${this.maxBytes} bytes waiting for fragments`);
    }
  }

  private drop(key: string, d: PendingDatagram, why?: string): void {
    this.pending.delete(key);
    this.heldBytes -= d.bytes;
    if (why) this.warnFn?.({ packet: d.firstFrame, message: `IP datagram ${d.label} dropped, ${why} (fragments in frames ${d.numbers.join(', ')})` });
  }
}

/** Whether the pieces cover 0..total without a hole. */
function covers(pieces: Piece[], total: number): boolean {
  const sorted = pieces.length === 1 ? pieces : [...pieces].sort((a, b) => a.offset - b.offset);
  let reached = 0;
  for (const p of sorted) {
    if (p.offset > reached) return false;
    const end = p.offset + p.data.length;
    if (end > reached) reached = end;
    if (reached >= total) return true;
  }
  return reached >= total;
}

function assemble(pieces: Piece[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  // Later arrivals first, so the first-seen bytes are written last and win on overlap.
  for (let i = pieces.length - 1; i >= 0; i--) {
    const p = pieces[i]!;
    if (p.offset >= total) continue;
    out.set(p.offset + p.data.length > total ? p.data.subarray(0, total - p.offset) : p.data, p.offset);
  }
  return out;
}
