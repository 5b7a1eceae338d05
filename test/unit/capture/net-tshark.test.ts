/**
 * tshark as the oracle for flow numbering, client/server and reassembled bytes, on real loopback
 * captures (made by test/fixtures/capture/make-net-loopback.sh with dumpcap: IPv4 and IPv6,
 * a 150 kB transfer in 64 kB segments, a server that talks first, three interleaved connections,
 * a reset). tshark -T fields gives tcp.stream per packet; -z follow,tcp,raw,N the bytes of each side.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeFrame } from '../../../main/capture/frames';
import { Ipv4Reassembler } from '../../../main/capture/ip-fragments';
import { TcpReassembler } from '../../../main/capture/tcp-reassembly';
import { parseTcp, TcpFlag } from '../../../main/capture/transport';
import type { CapturePacket, TcpFlow } from '../../../main/capture/types';
import { concat, ethernet, ipv4, packet, tcp, text, u32le } from './net-builders';

const FIXTURES = join(import.meta.dirname, '../../fixtures/capture');
const FILES = ['net-loopback-eth.pcap', 'net-loopback-sll2.pcap'];

const hasTshark = (() => {
  try {
    execFileSync('tshark', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Just enough of a little-endian microsecond pcap reader for these fixtures. */
function readPcap(path: string): CapturePacket[] {
  const buf = readFileSync(path);
  expect(buf.readUInt32LE(0)).toBe(0xa1b2c3d4);
  const linkType = buf.readUInt32LE(20);
  const packets: CapturePacket[] = [];
  for (let o = 24; o + 16 <= buf.length; ) {
    const captured = buf.readUInt32LE(o + 8);
    packets.push({
      number: packets.length + 1,
      seconds: buf.readUInt32LE(o),
      nanos: buf.readUInt32LE(o + 4) * 1000,
      linkType,
      data: new Uint8Array(buf.buffer, buf.byteOffset + o + 16, captured),
      originalLength: buf.readUInt32LE(o + 12),
      interfaceId: 0,
      fileOffset: o,
    });
    o += 16 + captured;
  }
  return packets;
}

interface Seen {
  flow: TcpFlow;
  bytes: [number[], number[]];
  gaps: number;
  end?: string;
}

function reassemble(packets: CapturePacket[]): Seen[] {
  const seen: Seen[] = [];
  const frags = new Ipv4Reassembler();
  const r = new TcpReassembler({
    open(flow) {
      const s: Seen = { flow, bytes: [[], []], gaps: 0 };
      seen.push(s);
      return {
        data(c) {
          expect(c.streamOffset).toBe(s.bytes[c.direction].length);
          s.bytes[c.direction].push(...c.bytes);
        },
        gap: () => void s.gaps++,
        end: (reason) => void (s.end = reason),
      };
    },
  });
  for (const p of packets) {
    const f = decodeFrame(p, frags);
    if (f.kind !== 'ip' || f.datagram.protocol !== 6) continue;
    const t = parseTcp(f.datagram.payload, 0);
    if ('error' in t) throw new Error(t.error);
    r.segment(f.datagram, t);
  }
  r.finish();
  return seen;
}

interface Followed {
  node0: string;
  node1: string;
  bytes: [string, string];
}

const followCache = new Map<string, Followed[]>();

function tsharkFollow(path: string, streams: number): Followed[] {
  const key = `${path}#${streams}`;
  const cached = followCache.get(key);
  if (cached) return cached;
  const args = ['-r', path, '-q'];
  for (let i = 0; i < streams; i++) args.push('-z', `follow,tcp,raw,${i}`);
  const out = execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const result: Followed[] = [];
  for (const block of out.split('===================================================================')) {
    const id = /Filter: tcp\.stream eq (\d+)/.exec(block);
    if (!id) continue;
    const node0 = /Node 0: (\S+)/.exec(block)![1]!;
    const node1 = /Node 1: (\S+)/.exec(block)![1]!;
    const bytes: [string, string] = ['', ''];
    for (const line of block.split('\n')) {
      if (/^\t[0-9a-f]+$/.test(line)) bytes[1] += line.slice(1);
      else if (/^[0-9a-f]+$/.test(line)) bytes[0] += line;
    }
    result[Number(id[1])] = { node0, node1, bytes };
  }
  followCache.set(key, result);
  return result;
}

function tsharkStreamsPerFrame(path: string): number[] {
  const out = execFileSync('tshark', ['-r', path, '-T', 'fields', '-e', 'tcp.stream'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return out.trimEnd().split('\n').map(Number);
}

const hex = (bytes: number[]) => Buffer.from(bytes).toString('hex');

/** Swaps neighbouring data segments of a flow and repeats some: out of order and retransmitted. */
function shuffle(packets: CapturePacket[]): CapturePacket[] {
  const isPlainData = (p: CapturePacket) => {
    const f = decodeFrame(p, new Ipv4Reassembler());
    if (f.kind !== 'ip') return false;
    const t = parseTcp(f.datagram.payload, 0);
    return !('error' in t) && t.payload.length > 0 && (t.flags & (TcpFlag.SYN | TcpFlag.FIN | TcpFlag.RST)) === 0;
  };
  const out = [...packets];
  let swaps = 0;
  for (let i = 0; i + 1 < out.length; i++) {
    if (!isPlainData(out[i]!)) continue;
    // The next data packet of the same flow and direction: the same frame bytes at the addresses/ports.
    const j = out.findIndex((p, k) => k > i && isPlainData(p) && sameDirection(p, out[i]!));
    if (j < 0) continue;
    if (swaps % 2 === 0) [out[i], out[j]] = [out[j]!, out[i]!];
    else out.splice(j + 1, 0, out[i]!); // a retransmission after the next segment
    swaps++;
    i = j + 1;
  }
  expect(swaps).toBeGreaterThan(5);
  return out;
}

function sameDirection(a: CapturePacket, b: CapturePacket): boolean {
  const fa = decodeFrame(a, new Ipv4Reassembler());
  const fb = decodeFrame(b, new Ipv4Reassembler());
  if (fa.kind !== 'ip' || fb.kind !== 'ip') return false;
  const ta = parseTcp(fa.datagram.payload, 0);
  const tb = parseTcp(fb.datagram.payload, 0);
  if ('error' in ta || 'error' in tb) return false;
  return fa.datagram.src === fb.datagram.src && fa.datagram.dst === fb.datagram.dst && ta.srcPort === tb.srcPort && ta.dstPort === tb.dstPort;
}

describe.skipIf(!hasTshark)('TCP flows against tshark on real loopback captures', () => {
  for (const file of FILES) {
    const path = join(FIXTURES, file);

    it(`${file}: same tcp.stream ids, client/server and bytes as tshark`, () => {
      const packets = readPcap(path);
      const seen = reassemble(packets);
      const streams = tsharkStreamsPerFrame(path);
      expect(seen).toHaveLength(Math.max(...streams) + 1);
      const followed = tsharkFollow(path, seen.length);
      for (const s of seen) {
        const t = followed[s.flow.id]!;
        expect({ id: s.flow.id, client: s.flow.client, server: s.flow.server }).toEqual({ id: s.flow.id, client: t.node0, server: t.node1 });
        expect(s.flow.sawSyn).toBe(true);
        expect(hex(s.bytes[0])).toBe(t.bytes[0]);
        expect(hex(s.bytes[1])).toBe(t.bytes[1]);
        expect(s.gaps).toBe(0);
      }
      expect(seen.map((s) => s.end)).toEqual(['closed', 'closed', 'closed', 'closed', 'closed', 'closed', 'closed', 'reset']);
      // The big transfer is really there: 150 000 bytes plus "end of big!".
      expect(seen[1]!.bytes[0]).toHaveLength(150_011);
    });

    it(`${file}: shuffled and retransmitted segments reassemble to tshark's bytes of the original`, () => {
      const seen = reassemble(shuffle(readPcap(path)));
      const followed = tsharkFollow(path, seen.length);
      for (const s of seen) {
        expect(hex(s.bytes[0])).toBe(followed[s.flow.id]!.bytes[0]);
        expect(hex(s.bytes[1])).toBe(followed[s.flow.id]!.bytes[1]);
        expect(s.gaps).toBe(0);
      }
    });
  }
});

/** A little-endian microsecond pcap of Ethernet frames. */
function writePcap(path: string, frames: Uint8Array[]): void {
  const parts: (Uint8Array | number[])[] = [[0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0], new Array(8).fill(0), u32le(65535), u32le(1)];
  frames.forEach((f, i) => parts.push(u32le(1_700_000_000 + i), u32le(0), u32le(f.length), u32le(f.length), f));
  writeFileSync(path, concat(...parts));
}

describe.skipIf(!hasTshark)('crafted TCP corner cases against tshark', () => {
  const { SYN, ACK, FIN, RST, PSH } = TcpFlag;
  const frame = (src: string, sport: number, dst: string, dport: number, seq: number, flags: number, data = '', ack = 0) =>
    ethernet(0x0800, ipv4(tcp({ sport, dport, seq, ack, flags, payload: text(data) }), { src, dst }));
  const A = ['10.0.0.1', 40000, '10.0.0.2', 1883] as const;
  const Ar = ['10.0.0.2', 1883, '10.0.0.1', 40000] as const;
  const frames = [
    frame(...A, 100, SYN), // stream 0: a full connection
    frame(...Ar, 5000, SYN | ACK, '', 101),
    frame(...A, 101, ACK, '', 5001),
    frame('10.0.0.3', 80, '10.0.0.4', 5555, 7000, PSH | ACK, 'mid-stream reply'), // stream 1: no SYN, server talks first
    frame(...A, 101, PSH | ACK, 'one'),
    frame('10.0.0.6', 443, '10.0.0.5', 6000, 300, SYN | ACK, '', 51), // stream 2: first seen is the SYN-ACK
    frame('10.0.0.4', 5555, '10.0.0.3', 80, 42, PSH | ACK, 'client part'),
    frame('10.0.0.5', 6000, '10.0.0.6', 443, 51, PSH | ACK, 'hello 443', 301),
    frame(...Ar, 5001, PSH | ACK, 'ONE'),
    frame(...A, 104, FIN | ACK),
    frame(...Ar, 5004, FIN | ACK),
    frame(...A, 105, ACK), // trailing ACK: still stream 0
    frame('10.0.0.7', 1234, '10.0.0.8', 88, 0xfffffff0, SYN), // stream 3: the sequence numbers wrap
    frame('10.0.0.8', 88, '10.0.0.7', 1234, 1, SYN | ACK, '', 0xfffffff1),
    frame('10.0.0.7', 1234, '10.0.0.8', 88, 0xfffffff1, PSH | ACK, 'abcdefghij'),
    frame('10.0.0.7', 1234, '10.0.0.8', 88, 0xfffffffb, PSH | ACK, 'klmnopqrst'),
    frame('10.0.0.7', 1234, '10.0.0.8', 88, 5, PSH | ACK, 'uvwxyz'),
    frame(...A, 900_000, SYN), // stream 4: the ports of stream 0 reused
    frame(...Ar, 77, SYN | ACK, '', 900_001),
    frame(...A, 900_001, PSH | ACK, 'two'),
    frame(...Ar, 78, RST | ACK),
  ];
  let dir = '';
  const path = () => join(dir, 'crafted.pcap');

  it('numbers flows, finds their sides and bytes like tshark (and names the client of a lone SYN-ACK)', () => {
    dir = mkdtempSync(join(tmpdir(), 'net-tshark-'));
    try {
      writePcap(path(), frames);
      const streams = tsharkStreamsPerFrame(path());
      expect(streams).toEqual([0, 0, 0, 1, 0, 2, 1, 2, 0, 0, 0, 0, 3, 3, 3, 3, 3, 4, 4, 4, 4]);
      const seen = reassemble(frames.map((f, i) => packet(1, f, i + 1)));
      const followed = tsharkFollow(path(), seen.length);
      expect(seen.map((s) => [s.flow.id, s.flow.client, s.flow.server, s.flow.sawSyn, s.end])).toEqual([
        [0, '10.0.0.1:40000', '10.0.0.2:1883', true, 'closed'],
        [1, '10.0.0.3:80', '10.0.0.4:5555', false, 'capture-ended'],
        [2, '10.0.0.5:6000', '10.0.0.6:443', true, 'capture-ended'],
        [3, '10.0.0.7:1234', '10.0.0.8:88', true, 'capture-ended'],
        [4, '10.0.0.1:40000', '10.0.0.2:1883', true, 'reset'],
      ]);
      for (const s of seen) {
        const t = followed[s.flow.id]!;
        // tshark's Node 0 is the sender of the stream's first packet; for stream 2 that is the
        // SYN-ACK's sender, the server. The bench names the side that opened the connection.
        const swapped = s.flow.id === 2;
        expect([s.flow.client, s.flow.server]).toEqual(swapped ? [t.node1, t.node0] : [t.node0, t.node1]);
        expect([hex(s.bytes[0]), hex(s.bytes[1])]).toEqual(swapped ? [t.bytes[1], t.bytes[0]] : t.bytes);
      }
      expect(Buffer.from(seen[3]!.bytes[0]).toString()).toBe('abcdefghijklmnopqrstuvwxyz');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
