/**
 * The capture file layer and the network layer under hostile input. Files: pcap (µs, ns, snap
 * length), pcapng from Wireshark's tools (test/fixtures/capture), a big-endian pcapng with two
 * sections, SPB, ISB and NRB blocks and 2^-n timestamps, and pcaps of real Kerberos conversations;
 * pushed in random chunk sizes, a chunked parse must deliver exactly what a whole-buffer parse
 * delivers, and fail (CaptureFormatError, naming the byte) at the same place. Frames: every link
 * type the scan reads, IPv4 fragments and IPv6 extension headers, into one reassembler whose
 * memory must stay bounded; TCP segments in any order with any flags into the reassembler.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CaptureFormatError } from '../../main/capture/errors';
import { CaptureFileParser } from '../../main/capture/file-parser';
import { decodeFrame, LinkType } from '../../main/capture/frames';
import { Ipv4Reassembler } from '../../main/capture/ip-fragments';
import { PcapngWriter } from '../../main/capture/pcapng-writer';
import { TcpReassembler } from '../../main/capture/tcp-reassembly';
import { parseTcp, parseUdp } from '../../main/capture/transport';
import type { CapturePacket, IpDatagram, TcpStreamHandler } from '../../main/capture/types';
import { ethernet, ipv4, ipv6, nullLoop, sll, sll2, tcp, udp } from '../unit/capture/net-builders';
import { captureOf, plainFlows } from './capture-seeds';
import { fuzz, fuzzTimeout, mutatedBytes } from './harness';

const FIXTURES = path.resolve('test/fixtures/capture');
const flows = plainFlows();

/** A big-endian pcapng: two sections, an Ethernet and a raw-IP interface (ns and 2^-10 s), EPB, SPB, ISB, NRB. */
function bigEndianPcapng(): Buffer {
  const parts: Buffer[] = [];
  const frames = packetsOf(captureOf(flows.slice(0, 2))).slice(0, 12);
  for (let section = 0; section < 2; section++) {
    const writer = new PcapngWriter({ byteOrder: section === 0 ? 'be' : 'le' });
    const eth = writer.addInterface(1, { tsresol: 9, name: 'eth0' });
    const raw = writer.addInterface(101, { tsresol: 0x8a, snaplen: 96 });
    parts.push(writer.header(), eth.block, raw.block, writer.nameResolution([10, 1, 2, 3], 'client.world.test'));
    frames.forEach((p, i) => {
      parts.push(writer.packet(i % 2 ? raw.id : eth.id, { seconds: 1_700_000_000 + i, nanos: i * 1000, data: i % 2 ? p.data.subarray(14) : p.data }));
      if (i === 3) parts.push(writer.simplePacket(p.data));
    });
    parts.push(writer.statistics(eth.id, 1_700_000_100, 0));
  }
  return Buffer.concat(parts);
}

function parseAll(bytes: Uint8Array, sizes?: readonly number[]): { packets: CapturePacket[]; error?: Error } {
  const packets: CapturePacket[] = [];
  const parser = new CaptureFileParser((p) => packets.push({ ...p, data: Uint8Array.from(p.data) }));
  try {
    let o = 0;
    for (let i = 0; o < bytes.length; i++) {
      const size = sizes?.length ? Math.max(1, sizes[i % sizes.length]!) : bytes.length;
      parser.push(Uint8Array.from(bytes.subarray(o, o + size)));
      o += size;
    }
    parser.end();
  } catch (error) {
    return { packets, error: error as Error };
  }
  return { packets };
}

function packetsOf(file: Buffer): CapturePacket[] {
  const { packets, error } = parseAll(file);
  if (error) throw error;
  return packets;
}

const FILES: Buffer[] = [
  ...readdirSync(FIXTURES)
    .filter((f) => /\.pcap(ng)?$/.test(f))
    .map((f) => readFileSync(path.join(FIXTURES, f))),
  captureOf(flows.slice(0, 4)),
  captureOf(flows.slice(-4), { cut: 0.5, fragment: true }),
  bigEndianPcapng(),
];

/** One frame per link type the scan reads, around real IP packets of the conversations (v4, v6, fragments). */
function frames(): [number, Uint8Array][] {
  const ip = packetsOf(captureOf(flows, { fragment: true })).map((p) => p.data.subarray(14));
  const out: [number, Uint8Array][] = [];
  ip.slice(0, 60).forEach((packet, i) => {
    out.push([LinkType.ETHERNET, ethernet(0x0800, packet, i % 5 === 0 ? [[0x88a8, 10], [0x8100, 20]] : [])]);
    if (i % 4 === 0) out.push([LinkType.LINUX_SLL, sll(0x0800, packet)], [LinkType.LINUX_SLL2, sll2(0x0800, packet)], [LinkType.NULL, nullLoop(2, i % 8 === 0, packet)], [LinkType.RAW, packet]);
  });
  const payload = Buffer.from('GET / HTTP/1.1\r\n\r\n');
  out.push(
    [LinkType.ETHERNET, ethernet(0x86dd, ipv6(tcp({ payload }), { protocol: 6 }))],
    [LinkType.ETHERNET, ethernet(0x86dd, ipv6(udp(payload), { protocol: 17, ext: [{ type: 0, body: [1, 4, 0, 0, 0, 0] }] }))],
    [LinkType.RAW, ipv4(udp(payload), { protocol: 17, id: 7, more: true })],
    [LinkType.RAW, ipv4(payload, { protocol: 17, id: 7, fragOffset: 8 })],
  );
  return out;
}

describe('fuzz: pcap / pcapng and the network layer', () => {
  it('has real seeds', () => {
    for (const file of FILES) expect(packetsOf(file).length).toBeGreaterThan(0);
  });

  it(
    'CaptureFileParser: chunked like a stream, read like a buffer',
    () =>
      fuzz({
        name: 'capture.file-parser',
        input: fc.tuple(mutatedBytes(FILES, 10), fc.array(fc.integer({ min: 1, max: 4096 }), { maxLength: 6 })),
        run: ([bytes, sizes]) => {
          const whole = parseAll(bytes);
          const chunked = parseAll(bytes, sizes);
          if (whole.error && !(whole.error instanceof CaptureFormatError)) throw whole.error;
          if (chunked.error && !(chunked.error instanceof CaptureFormatError)) throw chunked.error;
          if (whole.error?.message !== chunked.error?.message) throw new Error(`whole: ${whole.error?.message}; chunked ${sizes.join(',')}: ${chunked.error?.message}`);
          if (whole.packets.length !== chunked.packets.length) throw new Error(`whole read ${whole.packets.length} packets, chunked ${chunked.packets.length}`);
          whole.packets.forEach((p, i) => {
            const q = chunked.packets[i]!;
            if (p.number !== i + 1 || q.fileOffset !== p.fileOffset || Buffer.compare(p.data, q.data) !== 0) throw new Error(`packet ${i + 1} differs between whole and chunked reads`);
            if (p.fileOffset + p.data.length > bytes.length) throw new Error(`packet ${p.number} at ${p.fileOffset} runs past the file`);
          });
          const offset = (whole.error as CaptureFormatError | undefined)?.offset;
          if (offset !== undefined && offset > bytes.length) throw new Error(`error offset ${offset} past the ${bytes.length}-byte file: ${whole.error!.message}`);
        },
        typed: [],
      }),
    fuzzTimeout(),
  );

  it(
    'frames of every link type into one IPv4 reassembler: no throw, memory bounded',
    () => {
      const reassembler = new Ipv4Reassembler({ maxDatagrams: 64, maxBytes: 1 << 20 });
      const seeds = frames();
      let number = 0;
      return fuzz({
        name: 'capture.frames',
        input: fc.tuple(fc.nat(), fc.boolean(), mutatedBytes(seeds.map(([, f]) => f), 8)),
        run: ([pick, otherLink, data]) => {
          const linkType = otherLink ? [1, 113, 276, 0, 101, 108, 228, 229, 12, 14, 999][pick % 11]! : seeds[pick % seeds.length]![0];
          const packet: CapturePacket = { number: ++number, seconds: 1_700_000_000 + (number >> 6), nanos: 0, linkType, data, originalLength: data.length, interfaceId: 0, fileOffset: 0 };
          const frame = decodeFrame(packet, reassembler);
          if (frame.kind === 'ip') {
            if (frame.datagram.protocol === 6) parseTcp(frame.datagram.payload, 0);
            if (frame.datagram.protocol === 17) parseUdp(frame.datagram.payload, 0);
          }
          if (reassembler.pendingBytes > 1 << 20 || reassembler.pendingDatagrams > 64) throw new Error(`reassembler holds ${reassembler.pendingDatagrams} datagrams, ${reassembler.pendingBytes} bytes`);
        },
        typed: [],
      });
    },
    fuzzTimeout(),
  );

  it(
    'TCP segments in any order, with any flags and overlaps: no throw, pending bytes bounded',
    () => {
      const segment = fc.record({
        flow: fc.integer({ min: 0, max: 3 }),
        fromClient: fc.boolean(),
        seq: fc.oneof(fc.integer({ min: -3000, max: 3000 }), fc.integer({ min: 0, max: 0xffffffff })),
        flags: fc.oneof(fc.constantFrom(0x02, 0x12, 0x10, 0x18, 0x11, 0x04, 0x14), fc.integer({ min: 0, max: 255 })),
        length: fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 70_000 })),
      });
      return fuzz({
        name: 'capture.tcp-reassembly',
        input: fc.array(segment, { maxLength: 40 }),
        run: (segments) => {
          let delivered = 0;
          const handler = (): TcpStreamHandler => ({ data: (c) => void (delivered += c.bytes.length), gap: () => undefined, end: () => undefined });
          const tcp = new TcpReassembler({ open: handler, maxPendingBytes: 256 * 1024 });
          const base = [1000, 500_000];
          segments.forEach((s, i) => {
            const [src, dst] = s.fromClient ? ['10.0.0.1', '10.0.0.2'] : ['10.0.0.2', '10.0.0.1'];
            const ports = [40000 + s.flow, 88];
            const datagram = { family: 4, src, dst, protocol: 6, payload: new Uint8Array(0), packet: { number: i + 1, seconds: 1_700_000_000, nanos: 0 } } as IpDatagram;
            tcp.segment(datagram, {
              srcPort: s.fromClient ? ports[0]! : ports[1]!,
              dstPort: s.fromClient ? ports[1]! : ports[0]!,
              seq: (base[s.fromClient ? 0 : 1]! + s.seq) >>> 0,
              ack: 0,
              flags: s.flags,
              payload: new Uint8Array(s.length),
            });
          });
          tcp.finish();
          if (delivered > segments.reduce((n, s) => n + s.length, 0)) throw new Error(`delivered ${delivered} bytes, more than were sent`);
        },
        typed: [],
      });
    },
    fuzzTimeout(),
  );
});
