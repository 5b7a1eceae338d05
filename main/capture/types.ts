/**
 * The shapes a capture flows through, layer by layer:
 *
 *   file bytes ─ reader.ts (gunzip, chunks) ─ pcap.ts / pcapng.ts ─▶ CapturePacket
 *   CapturePacket ─ frames.ts (link layer, VLAN, IPv4/IPv6, fragments) ─▶ IpDatagram
 *   IpDatagram ─ transport.ts ─▶ TcpSegment / UdpDatagram
 *   TcpSegment ─ tcp-reassembly.ts ─▶ StreamChunk per direction of a TcpFlow (gaps reported)
 *   StreamChunk / UdpDatagram ─ extract/*.ts (by content, any port) ─▶ Exchanges
 *
 * Byte parsers are pure functions of (bytes, base); only reader.ts does I/O. Bytes handed to a
 * callback are views into the parser's buffers, valid only during the call: copy what you keep.
 */

/** Where a packet sits in the file, for errors, exports and "show me the bytes". */
export interface PacketRef {
  /** 1-based frame number, as Wireshark and tshark count (frame.number). */
  number: number;
  /** Capture time: whole seconds since the Unix epoch. */
  seconds: number;
  /** Capture time: nanoseconds within the second (0–999 999 999), whatever the file's resolution. */
  nanos: number;
}

/** One record of a pcap file or one EPB/SPB of a pcapng file. */
export interface CapturePacket extends PacketRef {
  /** LINKTYPE_* of the packet's interface (1 Ethernet, 113 SLL, 276 SLL2, 0 NULL, 101/228/229 raw). */
  linkType: number;
  /** The captured bytes (possibly fewer than originalLength when the capture had a snap length). */
  data: Uint8Array;
  originalLength: number;
  /** pcapng interface id (0 for pcap), counted across sections as the file lists them. */
  interfaceId: number;
  /** Byte offset of the record/block in the (decompressed) file. */
  fileOffset: number;
}

/** A whole IP datagram (IPv4 fragments reassembled), its transport payload located. */
export interface IpDatagram {
  family: 4 | 6;
  /** Printable addresses: "127.0.0.1", "::1". */
  src: string;
  dst: string;
  /** Upper-layer protocol: 6 TCP, 17 UDP (after IPv6 extension headers). */
  protocol: number;
  /** The transport header and payload. */
  payload: Uint8Array;
  /** The packet that completed the datagram (the last fragment for a fragmented one). */
  packet: PacketRef;
  /** Frame numbers of every fragment, when there were several. */
  fragments?: number[];
}

export interface TcpSegment {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  /** TCP flags byte: FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10. */
  flags: number;
  payload: Uint8Array;
}

export interface UdpDatagram {
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
}

/** "127.0.0.1:1883", "[::1]:1883". */
export type Endpoint = string;

export function endpoint(ip: string, port: number): Endpoint {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** 0: client → server (the side that sent the SYN, else the first seen); 1: server → client. */
export type FlowDirection = 0 | 1;

export interface TcpFlow {
  /** Counts TCP connections in the order their first packet appears (like tcp.stream, from 0). */
  id: number;
  client: Endpoint;
  server: Endpoint;
  /** Whether the SYN was seen: without it the conversation started before the capture. */
  sawSyn: boolean;
}

/** In-order bytes of one direction of a TCP flow. */
export interface StreamChunk {
  direction: FlowDirection;
  bytes: Uint8Array;
  /** Offset of bytes[0] in this direction's stream (0 = first byte after the SYN, or first seen). */
  streamOffset: number;
  /** The packet whose segment carried (the end of) these bytes. */
  packet: PacketRef;
}

/** Bytes the capture never saw: the stream goes on after them, the parser must resynchronise. */
export interface StreamGap {
  direction: FlowDirection;
  streamOffset: number;
  length: number;
  /** The packet after the hole. */
  packet: PacketRef;
}

/** What consumes one TCP flow's reassembled bytes (an extractor, or a protocol sniffer). */
export interface TcpStreamHandler {
  /** Set when nothing more is wanted from this flow: reassembly may skip it. */
  readonly done?: boolean;
  data(chunk: StreamChunk): void;
  gap(gap: StreamGap): void;
  /** FIN/RST seen in both directions, or the capture ended. */
  end(reason: 'closed' | 'reset' | 'capture-ended'): void;
}

/** A warning the scan reports and goes on: a gap, an unreadable packet, an unknown link type. */
export interface CaptureWarning {
  /** The frame it concerns, when one does. */
  packet?: number;
  message: string;
}
