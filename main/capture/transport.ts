/**
 * Transport headers: TCP (RFC 9293 §3.1) and UDP (RFC 768). Pure functions of (bytes, base) over
 * the IP payload; the payload returned is a view into `bytes`. Bad headers come back as
 * `{ error }` naming the field and the byte offset (relative to `bytes`), never as a throw.
 *
 *   TCP: source port(2) destination port(2) sequence number(4) acknowledgment number(4)
 *        data offset(4 bits) reserved(4 bits) flags(8) window(2) checksum(2) urgent pointer(2)
 *        options (data offset × 4 − 20 bytes)
 *   UDP: source port(2) destination port(2) length(2) checksum(2)
 */
import type { TcpSegment, UdpDatagram } from './types';

/** TCP flag bits (the byte at offset 13). */
export const TcpFlag = {
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PSH: 0x08,
  ACK: 0x10,
  URG: 0x20,
} as const;

const TCP_MIN_HEADER = 20;
const UDP_HEADER = 8;

export function parseTcp(bytes: Uint8Array, base: number): TcpSegment | { error: string } {
  const avail = bytes.length - base;
  if (avail < TCP_MIN_HEADER) return { error: `TCP header at byte ${base}: ${Math.max(0, avail)} bytes, need ${TCP_MIN_HEADER}` };
  const dataOffset = (bytes[base + 12]! >>> 4) * 4;
  if (dataOffset < TCP_MIN_HEADER) return { error: `TCP data offset at byte ${base + 12}: ${dataOffset} bytes, less than ${TCP_MIN_HEADER}` };
  if (dataOffset > avail) return { error: `TCP data offset at byte ${base + 12}: ${dataOffset} bytes, runs past the ${avail} bytes of the segment` };
  return {
    srcPort: (bytes[base]! << 8) | bytes[base + 1]!,
    dstPort: (bytes[base + 2]! << 8) | bytes[base + 3]!,
    seq: ((bytes[base + 4]! << 24) | (bytes[base + 5]! << 16) | (bytes[base + 6]! << 8) | bytes[base + 7]!) >>> 0,
    ack: ((bytes[base + 8]! << 24) | (bytes[base + 9]! << 16) | (bytes[base + 10]! << 8) | bytes[base + 11]!) >>> 0,
    flags: bytes[base + 13]!,
    payload: bytes.subarray(base + dataOffset),
  };
}

export function parseUdp(bytes: Uint8Array, base: number): UdpDatagram | { error: string } {
  const avail = bytes.length - base;
  if (avail < UDP_HEADER) return { error: `UDP header at byte ${base}: ${Math.max(0, avail)} bytes, need ${UDP_HEADER}` };
  let length = (bytes[base + 4]! << 8) | bytes[base + 5]!;
  // Length 0 is an IPv6 jumbogram (RFC 2675 §4): the IP payload length says it.
  if (length === 0) length = avail;
  if (length < UDP_HEADER) return { error: `UDP length at byte ${base + 4}: ${length}, less than the ${UDP_HEADER}-byte header` };
  if (length > avail) return { error: `UDP length at byte ${base + 4}: ${length}, runs past the ${avail} bytes of the datagram` };
  return {
    srcPort: (bytes[base]! << 8) | bytes[base + 1]!,
    dstPort: (bytes[base + 2]! << 8) | bytes[base + 3]!,
    payload: bytes.subarray(base + UDP_HEADER, base + length),
  };
}
