/**
 * From a captured frame to an IP datagram: the link-layer header by LINKTYPE_* (tcpdump.org
 * link-layer header types), VLAN tags, then IPv4 (RFC 791) or IPv6 (RFC 8200) with its extension
 * headers, fragments handed to the reassembler.
 *
 *   1    Ethernet: destination(6) source(6) EtherType(2); 802.1Q tags (0x8100), 802.1ad QinQ
 *        (0x88a8) and the pre-standard 0x9100 put TCI(2) EtherType(2) after the first EtherType,
 *        and they nest. EtherType < 0x0600 is an 802.3 length (LLC follows): not IP.
 *   113  Linux cooked v1 (SLL): packet type(2) ARPHRD(2) address length(2) address(8) protocol(2).
 *   276  Linux cooked v2 (SLL2): protocol(2) reserved(2) ifindex(4) ARPHRD(2) packet type(1)
 *        address length(1) address(8).
 *   0    BSD NULL/loopback: the AF_ value in the capturing host's byte order (4 bytes); AF_INET is
 *        2 everywhere, AF_INET6 is 24 (NetBSD/OpenBSD), 28 (FreeBSD) or 30 (macOS).
 *   108  OpenBSD LOOP: the same, always big-endian.
 *   101, 228, 229 (and the DLT values 12, 14 some files carry): raw IP, no link header.
 *
 * A frame that is not IP, or whose headers are broken, gives `skip`; `reason` is set when the
 * scan should warn (broken or unsupported), not for ordinary other traffic (ARP, LLDP, ICMP
 * handled above us). Offsets in reasons are byte offsets in the frame. Never throws.
 *
 * Hot path (a million frames): no closures, no copies; the payload is a view into the frame, and
 * addresses come from small direct-mapped caches so a flow's addresses are formatted once.
 */
import type { Ipv4Reassembler } from './ip-fragments';
import type { CapturePacket, IpDatagram } from './types';

export type FrameResult = { kind: 'ip'; datagram: IpDatagram } | { kind: 'skip'; reason?: string } | { kind: 'fragment' };

export const LinkType = {
  NULL: 0,
  ETHERNET: 1,
  DLT_RAW_12: 12,
  DLT_RAW_14: 14,
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

export const EtherType = {
  IPV4: 0x0800,
  ARP: 0x0806,
  VLAN: 0x8100,
  IPV6: 0x86dd,
  QINQ: 0x88a8,
  QINQ_OLD: 0x9100,
} as const;

/** IPv6 extension headers walked to reach the upper layer (RFC 8200 §4.1, RFC 4302 for AH). */
const enum Ip6Next {
  HopByHop = 0,
  Routing = 43,
  Fragment = 44,
  Ah = 51,
  NoNext = 59,
  DestOptions = 60,
}

/** VLAN tags followed at most; more is a broken (or hostile) frame. */
const MAX_VLAN_TAGS = 8;
/** IPv6 extension headers followed at most. */
const MAX_EXT_HEADERS = 16;

const SKIP_PLAIN: FrameResult = { kind: 'skip' };
const FRAGMENT: FrameResult = { kind: 'fragment' };

function skip(reason: string): FrameResult {
  return { kind: 'skip', reason };
}

export function decodeFrame(packet: CapturePacket, fragments: Ipv4Reassembler): FrameResult {
  const b = packet.data;
  const n = b.length;
  switch (packet.linkType) {
    case LinkType.ETHERNET:
      if (n < 14) return skip(`Ethernet header at byte 0: ${n} bytes, need 14`);
      return fromEtherType(packet, fragments, (b[12]! << 8) | b[13]!, 14);
    case LinkType.LINUX_SLL:
      if (n < 16) return skip(`Linux SLL header at byte 0: ${n} bytes, need 16`);
      return fromEtherType(packet, fragments, (b[14]! << 8) | b[15]!, 16);
    case LinkType.LINUX_SLL2:
      if (n < 20) return skip(`Linux SLL2 header at byte 0: ${n} bytes, need 20`);
      return fromEtherType(packet, fragments, (b[0]! << 8) | b[1]!, 20);
    case LinkType.NULL:
    case LinkType.LOOP: {
      if (n < 4) return skip(`loopback header at byte 0: ${n} bytes, need 4`);
      const be = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
      // NULL is in the capturing host's order, which the file does not say: accept both.
      const family = packet.linkType === LinkType.LOOP || be < 0x10000 ? be : (b[3]! << 24 | b[2]! << 16 | b[1]! << 8 | b[0]!) >>> 0;
      if (family === 2) return ipv4(packet, fragments, 4);
      if (family === 24 || family === 28 || family === 30) return ipv6(packet, fragments, 4);
      return SKIP_PLAIN;
    }
    case LinkType.RAW:
    case LinkType.DLT_RAW_12:
    case LinkType.DLT_RAW_14: {
      if (n < 1) return skip('raw IP frame at byte 0: empty');
      const version = b[0]! >>> 4;
      if (version === 4) return ipv4(packet, fragments, 0);
      if (version === 6) return ipv6(packet, fragments, 0);
      return skip(`raw IP version at byte 0: ${version}, neither 4 nor 6`);
    }
    case LinkType.IPV4:
      return ipv4(packet, fragments, 0);
    case LinkType.IPV6:
      return ipv6(packet, fragments, 0);
    default:
      return skip(`link type ${packet.linkType} is not supported (interface ${packet.interfaceId})`);
  }
}

function fromEtherType(packet: CapturePacket, fragments: Ipv4Reassembler, type: number, offset: number): FrameResult {
  const b = packet.data;
  for (let tags = 0; type === EtherType.VLAN || type === EtherType.QINQ || type === EtherType.QINQ_OLD; tags++) {
    if (tags === MAX_VLAN_TAGS) return skip(`VLAN tag at byte ${offset}: more than ${MAX_VLAN_TAGS} nested tags`);
    if (b.length < offset + 4) return skip(`VLAN tag at byte ${offset}: ${b.length - offset} bytes, need 4`);
    type = (b[offset + 2]! << 8) | b[offset + 3]!;
    offset += 4;
  }
  if (type === EtherType.IPV4) return ipv4(packet, fragments, offset);
  if (type === EtherType.IPV6) return ipv6(packet, fragments, offset);
  return SKIP_PLAIN;
}

// ---- IPv4 (RFC 791 §3.1) ----------------------------------------------------------------------

function ipv4(packet: CapturePacket, fragments: Ipv4Reassembler, o: number): FrameResult {
  const b = packet.data;
  const avail = b.length - o;
  if (avail < 20) return skip(`IPv4 header at byte ${o}: ${avail} bytes, need 20`);
  const vihl = b[o]!;
  if (vihl >>> 4 !== 4) return skip(`IPv4 version at byte ${o}: ${vihl >>> 4}`);
  const ihl = (vihl & 0x0f) * 4;
  if (ihl < 20) return skip(`IPv4 header length at byte ${o}: ${ihl} bytes, less than 20`);
  if (ihl > avail) return skip(`IPv4 header length at byte ${o}: ${ihl} bytes, runs past the ${avail} captured`);
  let total = (b[o + 2]! << 8) | b[o + 3]!;
  // Total length 0: a TSO/GSO super-packet captured on the sender before segmentation; take what is there.
  if (total === 0) total = avail;
  if (total < ihl) return skip(`IPv4 total length at byte ${o + 2}: ${total}, less than the ${ihl}-byte header`);
  if (total > avail) {
    return skip(
      packet.originalLength > b.length
        ? `IPv4 total length at byte ${o + 2}: ${total}, the frame was cut to ${b.length} bytes by the snap length`
        : `IPv4 total length at byte ${o + 2}: ${total}, runs past the ${avail} bytes of the frame`,
    );
  }
  const protocol = b[o + 9]!;
  const src = ipv4String(b, o + 12);
  const dst = ipv4String(b, o + 16);
  const fragField = (b[o + 6]! << 8) | b[o + 7]!;
  // Trailing bytes past the total length are Ethernet padding (frames under 60 bytes).
  const payload = b.subarray(o + ihl, o + total);
  if ((fragField & 0x3fff) === 0) return { kind: 'ip', datagram: { family: 4, src, dst, protocol, payload, packet } };
  const id = (b[o + 4]! << 8) | b[o + 5]!;
  const r = fragments.add(src, dst, protocol, id, (fragField & 0x1fff) * 8, (fragField & 0x2000) !== 0, payload, packet);
  if (r.kind === 'pending') return FRAGMENT;
  if (r.kind === 'error') return skip(`IPv4 fragment offset at byte ${o + 6}: ${r.reason}`);
  return { kind: 'ip', datagram: { family: 4, src, dst, protocol, payload: r.payload, packet, fragments: r.fragments } };
}

// ---- IPv6 (RFC 8200 §3, §4) -------------------------------------------------------------------

function ipv6(packet: CapturePacket, fragments: Ipv4Reassembler, o: number): FrameResult {
  const b = packet.data;
  const avail = b.length - o;
  if (avail < 40) return skip(`IPv6 header at byte ${o}: ${avail} bytes, need 40`);
  if (b[o]! >>> 4 !== 6) return skip(`IPv6 version at byte ${o}: ${b[o]! >>> 4}`);
  let length = (b[o + 4]! << 8) | b[o + 5]!;
  // Payload length 0: a jumbogram (RFC 2675) or a TSO super-packet; take what is there.
  if (length === 0) length = avail - 40;
  if (length > avail - 40) {
    return skip(
      packet.originalLength > b.length
        ? `IPv6 payload length at byte ${o + 4}: ${length}, the frame was cut to ${b.length} bytes by the snap length`
        : `IPv6 payload length at byte ${o + 4}: ${length}, runs past the ${avail - 40} bytes of the frame`,
    );
  }
  const src = ipv6String(b, o + 8);
  const dst = ipv6String(b, o + 24);
  const end = o + 40 + length;
  let next = b[o + 6]!;
  let p = o + 40;
  for (let i = 0; ; i++) {
    if (next !== Ip6Next.HopByHop && next !== Ip6Next.Routing && next !== Ip6Next.DestOptions && next !== Ip6Next.Ah && next !== Ip6Next.Fragment) break;
    if (i === MAX_EXT_HEADERS) return skip(`IPv6 extension header at byte ${p}: more than ${MAX_EXT_HEADERS}`);
    if (end - p < 8) return skip(`IPv6 extension header ${next} at byte ${p}: ${end - p} bytes, need 8`);
    if (next === Ip6Next.Fragment) {
      const fragField = (b[p + 2]! << 8) | b[p + 3]!;
      const id = ((b[p + 4]! << 24) | (b[p + 5]! << 16) | (b[p + 6]! << 8) | b[p + 7]!) >>> 0;
      const inner = b[p]!;
      const offset = fragField & 0xfff8;
      const more = (fragField & 1) !== 0;
      // An atomic fragment (offset 0, M = 0; RFC 6946) is a whole datagram: read on.
      if (offset === 0 && !more) {
        next = inner;
        p += 8;
        continue;
      }
      const r = fragments.add(src, dst, inner, id, offset, more, b.subarray(p + 8, end), packet);
      if (r.kind === 'pending') return FRAGMENT;
      if (r.kind === 'error') return skip(`IPv6 fragment offset at byte ${p + 2}: ${r.reason}`);
      return ipv6Upper(r.payload, 0, r.payload.length, inner, src, dst, packet, r.fragments);
    }
    const extLen = next === Ip6Next.Ah ? (b[p + 1]! + 2) * 4 : (b[p + 1]! + 1) * 8;
    if (extLen > end - p) return skip(`IPv6 extension header ${next} length at byte ${p + 1}: ${extLen} bytes, runs past the ${end - p} left`);
    next = b[p]!;
    p += extLen;
  }
  if (next === Ip6Next.NoNext) return SKIP_PLAIN;
  return { kind: 'ip', datagram: { family: 6, src, dst, protocol: next, payload: b.subarray(p, end), packet } };
}

/** The fragmentable part of a reassembled IPv6 datagram: more extension headers may precede the upper layer. */
function ipv6Upper(
  b: Uint8Array,
  p: number,
  end: number,
  next: number,
  src: string,
  dst: string,
  packet: CapturePacket,
  fragmentFrames: number[],
): FrameResult {
  for (let i = 0; next === Ip6Next.DestOptions || next === Ip6Next.Ah || next === Ip6Next.Routing || next === Ip6Next.HopByHop; i++) {
    if (i === MAX_EXT_HEADERS || end - p < 8) return skip(`IPv6 extension header ${next} in reassembled datagram at byte ${p}: truncated`);
    const extLen = next === Ip6Next.Ah ? (b[p + 1]! + 2) * 4 : (b[p + 1]! + 1) * 8;
    if (extLen > end - p) return skip(`IPv6 extension header ${next} in reassembled datagram at byte ${p + 1}: ${extLen} bytes, runs past the end`);
    next = b[p]!;
    p += extLen;
  }
  if (next === Ip6Next.NoNext) return SKIP_PLAIN;
  return { kind: 'ip', datagram: { family: 6, src, dst, protocol: next, payload: b.subarray(p, end), packet, fragments: fragmentFrames } };
}

// ---- Address text, cached --------------------------------------------------------------------

const V4_SLOTS = 4096;
const v4Keys = new Uint32Array(V4_SLOTS);
const v4Text: (string | undefined)[] = new Array<string | undefined>(V4_SLOTS).fill(undefined);

/** Dotted quad of the 4 bytes at `o`. */
export function ipv4String(b: Uint8Array, o: number): string {
  const a = ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
  const slot = Math.imul(a, 0x9e3779b1) >>> 20;
  const cached = v4Text[slot];
  if (cached !== undefined && v4Keys[slot] === a) return cached;
  const text = `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
  v4Keys[slot] = a;
  v4Text[slot] = text;
  return text;
}

const V6_SLOTS = 1024;
const v6Keys = new Int32Array(V6_SLOTS * 4);
const v6Text: (string | undefined)[] = new Array<string | undefined>(V6_SLOTS).fill(undefined);

/** RFC 5952 text of the 16 bytes at `o`: lower case, no leading zeros, the longest run of zero groups as "::". */
export function ipv6String(b: Uint8Array, o: number): string {
  const w0 = (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;
  const w1 = (b[o + 4]! << 24) | (b[o + 5]! << 16) | (b[o + 6]! << 8) | b[o + 7]!;
  const w2 = (b[o + 8]! << 24) | (b[o + 9]! << 16) | (b[o + 10]! << 8) | b[o + 11]!;
  const w3 = (b[o + 12]! << 24) | (b[o + 13]! << 16) | (b[o + 14]! << 8) | b[o + 15]!;
  const slot = Math.imul(w0 ^ Math.imul(w1, 31) ^ Math.imul(w2, 961) ^ Math.imul(w3, 0x9e3779b1), 0x85ebca6b) >>> 22;
  const k = slot * 4;
  const cached = v6Text[slot];
  if (cached !== undefined && v6Keys[k] === w0 && v6Keys[k + 1] === w1 && v6Keys[k + 2] === w2 && v6Keys[k + 3] === w3) return cached;
  const text = formatIpv6(b, o);
  v6Keys[k] = w0;
  v6Keys[k + 1] = w1;
  v6Keys[k + 2] = w2;
  v6Keys[k + 3] = w3;
  v6Text[slot] = text;
  return text;
}

function formatIpv6(b: Uint8Array, o: number): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((b[o + 2 * i]! << 8) | b[o + 2 * i + 1]!);
  // IPv4-mapped ::ffff:a.b.c.d keeps the dotted quad (RFC 5952 §5), as Wireshark and Node print it.
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${b[o + 12]}.${b[o + 13]}.${b[o + 14]}.${b[o + 15]}`;
  }
  // The longest run of two or more zero groups (the first one on a tie) becomes "::" (§4.2).
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return g.map((x) => x.toString(16)).join(':');
  const head = g.slice(0, bestStart).map((x) => x.toString(16)).join(':');
  const tail = g.slice(bestStart + bestLen).map((x) => x.toString(16)).join(':');
  return `${head}::${tail}`;
}
