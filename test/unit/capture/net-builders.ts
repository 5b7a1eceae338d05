/**
 * Hand-made frames for the network-layer tests: each builder writes one header the way its spec
 * draws it and appends the payload, so a test reads like the packet it describes.
 */
import type { CapturePacket, IpDatagram, PacketRef, TcpSegment } from '../../../main/capture/types';

export function concat(...parts: (Uint8Array | number[])[]): Uint8Array {
  const arrays = parts.map((p) => (p instanceof Uint8Array ? p : Uint8Array.from(p)));
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let o = 0;
  for (const a of arrays) {
    out.set(a, o);
    o += a.length;
  }
  return out;
}

export const u16 = (v: number): number[] => [(v >>> 8) & 0xff, v & 0xff];
export const u32 = (v: number): number[] => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
export const u32le = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
export const text = (s: string): Uint8Array => new TextEncoder().encode(s);

export function v4(addr: string): number[] {
  return addr.split('.').map(Number);
}

export function v6(addr: string): number[] {
  const [head, tail] = addr.includes('::') ? addr.split('::') : [addr, undefined];
  const groups = (s: string | undefined) => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const h = groups(head);
  const t = groups(tail);
  const all = tail === undefined ? h : [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  return all.flatMap(u16);
}

// ---- Link layers -----------------------------------------------------------------------------

const MAC_A = [0x02, 0, 0, 0, 0, 0x0a];
const MAC_B = [0x02, 0, 0, 0, 0, 0x0b];

/** Ethernet II; `tags` are [TPID, VLAN id] pairs pushed outermost first. */
export function ethernet(etherType: number, payload: Uint8Array, tags: [number, number][] = []): Uint8Array {
  const tagBytes: number[] = [];
  // Each tag is TPID + TCI; the EtherType of the frame follows the last one.
  for (const [tpid, vid] of tags) tagBytes.push(...u16(tpid), ...u16(vid & 0x0fff));
  return concat(MAC_B, MAC_A, tagBytes, u16(etherType), payload);
}

/** Linux cooked v1: packet type, ARPHRD_ETHER, address length 6, address (8), protocol. */
export function sll(protocol: number, payload: Uint8Array): Uint8Array {
  return concat(u16(0), u16(1), u16(6), [...MAC_A, 0, 0], u16(protocol), payload);
}

/** Linux cooked v2: protocol, reserved, ifindex, ARPHRD_ETHER, packet type, address length, address (8). */
export function sll2(protocol: number, payload: Uint8Array): Uint8Array {
  return concat(u16(protocol), u16(0), u32(2), u16(1), [4], [6], [...MAC_A, 0, 0], payload);
}

/** BSD NULL: the address family in the capturing host's byte order. */
export function nullLoop(family: number, littleEndian: boolean, payload: Uint8Array): Uint8Array {
  return concat(littleEndian ? u32le(family) : u32(family), payload);
}

// ---- IP ----------------------------------------------------------------------------------------

export interface Ipv4Options {
  src?: string;
  dst?: string;
  protocol?: number;
  id?: number;
  /** Fragment offset in bytes (a multiple of 8). */
  fragOffset?: number;
  more?: boolean;
  dontFragment?: boolean;
  /** IP options (padded to 4 bytes by the caller). */
  options?: number[];
  /** Overrides the computed total length. */
  totalLength?: number;
  /** Overrides the header length field (in bytes). */
  ihl?: number;
}

export function ipv4(payload: Uint8Array, o: Ipv4Options = {}): Uint8Array {
  const options = o.options ?? [];
  const ihl = o.ihl ?? 20 + options.length;
  const total = o.totalLength ?? 20 + options.length + payload.length;
  const frag = ((o.fragOffset ?? 0) / 8) | (o.more ? 0x2000 : 0) | (o.dontFragment ? 0x4000 : 0);
  return concat(
    [0x40 | (ihl / 4), 0],
    u16(total),
    u16(o.id ?? 0x1234),
    u16(frag),
    [64, o.protocol ?? 6],
    u16(0), // checksum: not checked by the bench (offload leaves it wrong in real captures too)
    v4(o.src ?? '10.0.0.1'),
    v4(o.dst ?? '10.0.0.2'),
    options,
    payload,
  );
}

export interface Ipv6Ext {
  type: number;
  /** The header body after next-header and length (for 0/43/60: 6 + 8k bytes; AH: 10 + 4k bytes). */
  body?: number[];
}

/** IPv6 with the given extension headers in order, then the upper layer `protocol`. */
export function ipv6(payload: Uint8Array, o: { src?: string; dst?: string; protocol?: number; ext?: Ipv6Ext[]; payloadLength?: number } = {}): Uint8Array {
  const ext = o.ext ?? [];
  const chain: number[] = [];
  for (let i = 0; i < ext.length; i++) {
    const e = ext[i]!;
    const next = i + 1 < ext.length ? ext[i + 1]!.type : (o.protocol ?? 6);
    const body = e.body ?? [0, 0, 0, 0, 0, 0];
    const len = e.type === 51 ? (body.length + 2) / 4 - 2 : (body.length + 2) / 8 - 1;
    chain.push(next, len, ...body);
  }
  const first = ext.length > 0 ? ext[0]!.type : (o.protocol ?? 6);
  const plen = o.payloadLength ?? chain.length + payload.length;
  return concat([0x60, 0, 0, 0], u16(plen), [first, 64], v6(o.src ?? '2001:db8::1'), v6(o.dst ?? '2001:db8::2'), chain, payload);
}

/** An IPv6 fragment header's body (after next header and the reserved byte): offset|M, identification. */
export function ipv6FragmentBody(offset: number, more: boolean, id: number): number[] {
  return [...u16(offset | (more ? 1 : 0)), ...u32(id)];
}

// ---- Transport -------------------------------------------------------------------------------

export function tcp(o: { sport?: number; dport?: number; seq?: number; ack?: number; flags?: number; options?: number[]; payload?: Uint8Array }): Uint8Array {
  const options = o.options ?? [];
  const dataOffset = (20 + options.length) / 4;
  return concat(
    u16(o.sport ?? 40000),
    u16(o.dport ?? 1883),
    u32(o.seq ?? 1000),
    u32(o.ack ?? 0),
    [dataOffset << 4, o.flags ?? 0x18],
    u16(65535),
    u16(0),
    u16(0),
    options,
    o.payload ?? new Uint8Array(0),
  );
}

export function udp(payload: Uint8Array, sport = 5000, dport = 88, length?: number): Uint8Array {
  return concat(u16(sport), u16(dport), u16(length ?? 8 + payload.length), u16(0), payload);
}

// ---- Packets -------------------------------------------------------------------------------------

export function packet(linkType: number, data: Uint8Array, number = 1, seconds = 1_700_000_000, originalLength = data.length): CapturePacket {
  return { number, seconds, nanos: 0, linkType, data, originalLength, interfaceId: 0, fileOffset: 0 };
}

export function ref(number: number, seconds = 1_700_000_000): PacketRef {
  return { number, seconds, nanos: 0 };
}

/** A datagram + segment pair for the reassembler, without building frames. */
export function seg(
  src: string,
  sport: number,
  dst: string,
  dport: number,
  seq: number,
  flags: number,
  payload: Uint8Array | string = '',
  number = 1,
  ack = 0,
): [IpDatagram, TcpSegment] {
  const bytes = typeof payload === 'string' ? text(payload) : payload;
  return [
    { family: src.includes(':') ? 6 : 4, src, dst, protocol: 6, payload: new Uint8Array(0), packet: ref(number) },
    { srcPort: sport, dstPort: dport, seq: seq >>> 0, ack: ack >>> 0, flags, payload: bytes },
  ];
}
