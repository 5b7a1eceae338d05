/**
 * The capture file layer (pcap.ts, pcapng.ts, file-parser.ts) against tshark: fixtures made with
 * text2pcap / editcap / mergecap (see test/fixtures/capture/file-layer.README.md), and edge cases crafted
 * with our writer, written to disk and read by tshark too.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CaptureFormatError } from '../../../main/capture/errors';
import { CaptureFileParser } from '../../../main/capture/file-parser';
import { readPcapFileHeader } from '../../../main/capture/pcap';
import { pcapngInterface, setPcapngTime } from '../../../main/capture/pcapng';
import { PcapngWriter, pcapFileHeader, writePcap, type WritablePacket } from '../../../main/capture/pcapng-writer';
import { asTshark, FIXTURES, parse, rng, tsharkPackets } from './file-helpers';

const TMP = mkdtempSync(join(tmpdir(), 'kbench-capture-file-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));
let tmpCount = 0;
function tmpFile(bytes: Uint8Array, ext: string): string {
  const file = join(TMP, `crafted-${++tmpCount}.${ext}`);
  writeFileSync(file, bytes);
  return file;
}

const FIXTURE_FILES = ['base.pcapng', 'base-us.pcap', 'base-ns.pcap', 'base-us.pcapng', 'base-snap60.pcap', 'two-interfaces.pcapng'];

/** Payloads with times that need every digit: ns fractions, seconds past 2^31. */
function samplePackets(count: number, seed = 1): WritablePacket[] {
  const random = rng(seed);
  return Array.from({ length: count }, (_, i) => {
    const data = Uint8Array.from({ length: 1 + Math.floor(random() * 90) }, () => Math.floor(random() * 256));
    return { seconds: 1_796_547_600 + i * 7 + (i === count - 1 ? 2_500_000_000 : 0), nanos: Math.floor(random() * 1e9), data, originalLength: data.length + (i % 3) * 10 };
  });
}

function concat(parts: Uint8Array[]): Buffer {
  return Buffer.concat(parts);
}

/**
 * A file of three sections: LE with an Ethernet interface (ns) and a raw-IP one (2^-20 s) plus an
 * NRB, an ISB and an unknown block; BE with an SLL interface (µs, snaplen 40, if_tsoffset) and an SPB;
 * LE again with a 10^-3 interface. Interfaces: 0, 1 (section 1), 2 (section 2), 3 (section 3).
 */
function kitchenSink(): Buffer {
  const packets = samplePackets(8, 9);
  const le = new PcapngWriter({ byteOrder: 'le' });
  const eth = le.addInterface(1, { tsresol: 9, name: 'eth0' });
  const raw = le.addInterface(101, { tsresol: 0x80 | 20 });
  const be = new PcapngWriter({ byteOrder: 'be' });
  const sll = be.addInterface(113, { snaplen: 40, tsoffset: 1000 });
  const third = new PcapngWriter({ byteOrder: 'le' });
  const ms = third.addInterface(276, { tsresol: 3 });
  return concat([
    le.header(),
    eth.block,
    raw.block,
    le.nameResolution([10, 0, 0, 1], 'broker.bench.test'),
    le.packet(eth.id, packets[0]!),
    le.packet(raw.id, packets[1]!),
    le.block(0x00000123, Buffer.from('an unknown block, skipped by its length')),
    le.statistics(eth.id, 1_796_547_700, 0),
    le.packet(eth.id, packets[2]!),
    be.header(),
    sll.block,
    be.packet(sll.id, { ...packets[3]!, seconds: packets[3]!.seconds - 1000 }),
    // §4.4: an SPB holds min(original length, snaplen) bytes, so 40 of the 64.
    be.simplePacket(Uint8Array.from({ length: 40 }, (_, i) => i), 64),
    be.nameResolution([10, 0, 0, 2], 'kdc.bench.test'),
    be.packet(sll.id, { ...packets[5]!, seconds: packets[5]!.seconds - 1000 }),
    third.header(),
    ms.block,
    third.packet(ms.id, packets[6]!),
    third.packet(ms.id, packets[7]!),
  ]);
}

describe('capture file parser against tshark', () => {
  it.each(FIXTURE_FILES)('reads %s exactly as tshark does', (name) => {
    const file = join(FIXTURES, name);
    const ours = parse(readFileSync(file));
    expect(ours.error).toBeUndefined();
    expect(asTshark(ours.packets)).toEqual(tsharkPackets(file));
  });

  it('gives each interface of two-interfaces.pcapng its own link type', () => {
    const { packets } = parse(readFileSync(join(FIXTURES, 'two-interfaces.pcapng')));
    expect(new Set(packets.map((p) => `${p.interfaceId}:${p.linkType}`))).toEqual(new Set(['0:1', '1:101']));
  });

  it.each([
    ['le', 'us'],
    ['be', 'us'],
    ['le', 'ns'],
    ['be', 'ns'],
  ] as const)('reads a crafted %s-endian %s pcap like tshark', (byteOrder, resolution) => {
    const file = tmpFile(writePcap(samplePackets(20), { byteOrder, resolution, linkType: 1 }), 'pcap');
    const ours = parse(readFileSync(file));
    expect(ours.error).toBeUndefined();
    expect(ours.format).toBe('pcap');
    expect(asTshark(ours.packets)).toEqual(tsharkPackets(file));
  });

  it.each(['le', 'be'] as const)('reads a crafted %s-endian pcapng (ns) like tshark', (byteOrder) => {
    const w = new PcapngWriter({ byteOrder });
    const eth = w.addInterface(1, { tsresol: 9 });
    const file = tmpFile(concat([w.header(), eth.block, ...samplePackets(20).map((p) => w.packet(eth.id, p))]), 'pcapng');
    const ours = parse(readFileSync(file));
    expect(ours.error).toBeUndefined();
    expect(asTshark(ours.packets)).toEqual(tsharkPackets(file));
  });

  it('reads sections of both byte orders, 10^-9 / 2^-20 / 10^-6 + if_tsoffset / 10^-3 interfaces, SPB, NRB, ISB, unknown blocks like tshark', () => {
    const bytes = kitchenSink();
    const file = tmpFile(bytes, 'pcapng');
    const ours = parse(bytes);
    expect(ours.error).toBeUndefined();
    expect(ours.packets.map((p) => [p.interfaceId, p.linkType])).toEqual([
      [0, 1],
      [1, 101],
      [0, 1],
      [2, 113],
      [2, 113],
      [2, 113],
      [3, 276],
      [3, 276],
    ]);
    // The SPB: original 64, captured min(64, snaplen 40), no timestamp.
    expect(ours.packets[4]).toMatchObject({ len: 64, capLen: 40, epoch: '0.000000000' });
    // tshark 4.0's frame.interface_id restarts at 0 in each section; CapturePacket counts across
    // the file (checked above), so the interface is left out of this comparison.
    const sectionLocal = ({ interfaceId: _, ...rest }: { interfaceId: number }): object => rest;
    expect(asTshark(ours.packets).map(sectionLocal)).toEqual(tsharkPackets(file).map(sectionLocal));
  });

  it('reads every fixture the same whatever the chunk boundaries (1 byte, random sizes)', () => {
    for (const bytes of [...FIXTURE_FILES.map((name) => readFileSync(join(FIXTURES, name))), kitchenSink()]) {
      const whole = parse(bytes);
      expect(parse(bytes, () => 1)).toEqual(whole);
      for (const seed of [1, 2, 3]) {
        const random = rng(seed);
        expect(parse(bytes, () => Math.floor(random() * 300))).toEqual(whole);
      }
    }
  });
});

describe('timestamps', () => {
  it('converts 64-bit timestamps exactly for 10^-k and 2^-k resolutions (compared with BigInt)', () => {
    const random = rng(42);
    for (const tsresol of [0, 3, 6, 9, 0x80 | 0, 0x80 | 10, 0x80 | 20, 0x80 | 30, 0x80 | 32, 12, 0x80 | 40]) {
      const iface = pcapngInterface(1, 0, tsresol);
      const exponent = BigInt(tsresol & 0x7f);
      const perSecond = tsresol & 0x80 ? 1n << exponent : 10n ** exponent;
      for (let i = 0; i < 2000; i++) {
        const high = i === 0 ? 0xffffffff : Math.floor(random() * 2 ** 32);
        const low = i === 1 ? 0xffffffff : Math.floor(random() * 2 ** 32);
        const value = (BigInt(high) << 32n) | BigInt(low);
        const out = { seconds: 0, nanos: 0 };
        setPcapngTime(out, high, low, iface);
        const seconds = value / perSecond;
        expect([tsresol, out.seconds, out.nanos]).toEqual([tsresol, Number(seconds), Number(((value - seconds * perSecond) * 1_000_000_000n) / perSecond)]);
      }
    }
  });

  it('carries a µs fraction of a second or more into the seconds', () => {
    const bytes = writePcap([{ seconds: 10, nanos: 0, data: new Uint8Array(4) }]);
    bytes.writeUInt32LE(2_500_000, 28);
    expect(parse(bytes).packets[0]!.epoch).toBe('12.500000000');
  });

  it('masks the FCS bits off the pcap LinkType field', () => {
    const header = pcapFileHeader({ linkType: 0x2400_0001, byteOrder: 'be' });
    expect(readPcapFileHeader(header, 0, 0)).toMatchObject({ linkType: 1, fcsLength: 4, littleEndian: false });
    const file = concat([header, writePcap([{ seconds: 1, nanos: 0, data: new Uint8Array(20) }], { byteOrder: 'be' }).subarray(24)]);
    expect(parse(file).packets[0]!.linkType).toBe(1);
  });
});

describe('damaged files', () => {
  const base = readFileSync(join(FIXTURES, 'base.pcapng'));
  const epbOffsets = (() => {
    const { packets } = parse(base);
    return packets.map((p) => p.fileOffset);
  })();

  it('reports a file that ends inside an EPB, naming the block, its offset, its length, after delivering the earlier packets', () => {
    const at = epbOffsets[4]!;
    const declared = base.readUInt32LE(at + 4);
    const cut = base.subarray(0, at + 30);
    for (const chunking of [undefined, () => 1, () => 7]) {
      const outcome = parse(cut, chunking);
      expect(outcome.packets).toHaveLength(4);
      expect(outcome.error).toBeInstanceOf(CaptureFormatError);
      expect(outcome.error).toMatchObject({ structure: 'pcapng Enhanced Packet Block', offset: at });
      expect(outcome.error!.message).toBe(`pcapng Enhanced Packet Block at byte ${at}: truncated: the block declares ${declared} bytes, the file ends after 30`);
    }
  });

  it('reports a file that ends inside a block header, a pcap record, a pcap record header, the pcap file header', () => {
    expect(parse(base.subarray(0, epbOffsets[2]! + 5)).error!.message).toBe(
      `pcapng block header at byte ${epbOffsets[2]}: truncated: the file ends 5 bytes into an 8-byte block header`,
    );
    const pcap = readFileSync(join(FIXTURES, 'base-us.pcap'));
    const records = parse(pcap).packets.map((p) => p.fileOffset);
    const inRecord = parse(pcap.subarray(0, records[3]! + 20));
    expect(inRecord.packets).toHaveLength(3);
    expect(inRecord.error).toMatchObject({ structure: 'pcap record', offset: records[3] });
    expect(inRecord.error!.message).toMatch(/truncated: frame 4 declares \d+ bytes \(header and captured data\), the file ends after 20$/);
    expect(parse(pcap.subarray(0, records[1]! + 3)).error!.message).toMatch(/pcap record header at byte \d+: truncated: the file ends 3 bytes into the 16-byte header of frame 2/);
    expect(parse(pcap.subarray(0, 10)).error!.message).toBe('pcap file header at byte 0: truncated: the header is 24 bytes, the file ends after 10');
  });

  it('stops at a corrupt block length (not a multiple of 4; trailing copy differs) after the packets before it', () => {
    const odd = Buffer.from(base);
    odd.writeUInt32LE(0x1001, epbOffsets[3]! + 4);
    const a = parse(odd, () => 100);
    expect(a.packets).toHaveLength(3);
    expect(a.error).toMatchObject({ structure: 'pcapng Enhanced Packet Block', field: 'block total length', offset: epbOffsets[3]! + 4 });

    const trailing = Buffer.from(base);
    trailing.writeUInt32LE(4, epbOffsets[6]! - 4);
    const b = parse(trailing);
    expect(b.packets).toHaveLength(5);
    expect(b.error).toMatchObject({ field: 'trailing block total length', offset: epbOffsets[6]! - 4 });
    expect(b.error!.message).toContain('pcapng Enhanced Packet Block trailing block total length');
  });

  it('stops at an EPB whose captured length overruns its block, or that names an undeclared interface', () => {
    const overrun = Buffer.from(base);
    overrun.writeUInt32LE(5000, epbOffsets[1]! + 20);
    expect(parse(overrun).error).toMatchObject({ field: 'captured packet length', offset: epbOffsets[1]! + 20 });
    const iface = Buffer.from(base);
    iface.writeUInt32LE(3, epbOffsets[1]! + 8);
    expect(parse(iface).error!.message).toContain('interface 3 is not described in this section (it has 1)');
  });

  it('stops at a pcap record whose captured length no reader accepts', () => {
    const pcap = Buffer.from(readFileSync(join(FIXTURES, 'base-us.pcap')));
    const second = parse(pcap).packets[1]!.fileOffset;
    pcap.writeUInt32LE(0x7fffffff, second + 8);
    const outcome = parse(pcap);
    expect(outcome.packets).toHaveLength(1);
    expect(outcome.error).toMatchObject({ structure: 'pcap record', field: 'captured packet length', offset: second + 8 });
  });

  it('refuses a file that is no capture, naming the bytes it saw', () => {
    expect(parse(Buffer.from('hello world, not a capture')).error!.message).toBe(
      'capture file magic at byte 0: 68 65 6c 6c is neither a pcap nor a pcapng magic',
    );
    expect(parse(Buffer.from([0x1f, 0x8b, 8, 0, 0])).error!.message).toContain('(a gzip stream: decompress it first)');
    expect(parse(new Uint8Array(0)).error!.message).toContain('the file is empty');
    expect(parse(Buffer.from([0xd4, 0xc3])).error!.message).toContain('the file is only 2 bytes long (d4 c3)');
    const badBom = Buffer.from(new PcapngWriter().header());
    badBom.writeUInt32LE(0x12345678, 8);
    expect(parse(badBom).error).toMatchObject({ structure: 'pcapng Section Header Block', field: 'byte-order magic', offset: 8 });
  });

  it('validates the inner lengths of the NRB and ISB it skips', () => {
    const w = new PcapngWriter();
    const eth = w.addInterface(1);
    const nrb = w.nameResolution([10, 0, 0, 1], 'kdc.bench.test');
    nrb.writeUInt16LE(200, 10); // the record's value length runs past the block
    const head = concat([w.header(), eth.block, w.packet(eth.id, { seconds: 1, nanos: 0, data: new Uint8Array(8) })]);
    const a = parse(concat([head, nrb]));
    expect(a.packets).toHaveLength(1);
    expect(a.error).toMatchObject({ structure: 'pcapng Name Resolution Block', field: 'record 1', offset: head.length + 8 });
    const isb = w.block(0x00000005, new Uint8Array(4));
    expect(parse(concat([head, isb])).error).toMatchObject({ structure: 'pcapng Interface Statistics Block', field: 'block total length' });
  });

  it('stays failed after an error: push() and end() rethrow it', () => {
    const parser = new CaptureFileParser(() => undefined);
    let first: unknown;
    try {
      parser.push(Buffer.from('garbage!'));
    } catch (error) {
      first = error;
    }
    expect(first).toBeInstanceOf(CaptureFormatError);
    expect(() => parser.push(readFileSync(join(FIXTURES, 'base.pcapng')))).toThrow(first as Error);
    expect(() => parser.end()).toThrow(first as Error);
  });

  it('meets randomly damaged files with a CaptureFormatError or a clean read, never anything else', () => {
    const random = rng(1234);
    const originals = [kitchenSink(), readFileSync(join(FIXTURES, 'base-ns.pcap')), readFileSync(join(FIXTURES, 'two-interfaces.pcapng'))];
    for (let i = 0; i < 600; i++) {
      const bytes = Buffer.from(originals[i % originals.length]!);
      const flips = 1 + Math.floor(random() * 4);
      for (let f = 0; f < flips; f++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      const cut = random() < 0.3 ? bytes.subarray(0, Math.floor(random() * bytes.length)) : bytes;
      const outcome = parse(cut, () => 1 + Math.floor(random() * 64));
      if (outcome.error) expect(outcome.error).toBeInstanceOf(CaptureFormatError);
    }
  });
});
