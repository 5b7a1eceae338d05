/**
 * reader.ts: streaming a file from disk (plain and gzip), the outcomes (returned format errors,
 * thrown I/O errors and aborts), and selectPackets' pcapng export checked with tshark.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { CaptureFormatError } from '../../../main/capture/errors';
import { PcapngWriter } from '../../../main/capture/pcapng-writer';
import { readCaptureFile, selectPackets } from '../../../main/capture/reader';
import type { CapturePacket } from '../../../main/capture/types';
import { asTshark, FIXTURES, parse, seen, tsharkPackets, type SeenPacket } from './file-helpers';

const TMP = mkdtempSync(join(tmpdir(), 'kbench-capture-reader-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));
const BASE = join(FIXTURES, 'two-interfaces.pcapng');

function tmp(name: string, bytes: Uint8Array): string {
  const file = join(TMP, name);
  writeFileSync(file, bytes);
  return file;
}

async function read(file: string, signal?: AbortSignal) {
  const packets: SeenPacket[] = [];
  const progress: number[] = [];
  const result = await readCaptureFile(file, {
    onPacket: (p: CapturePacket) => packets.push(seen(p)),
    onProgress: ({ bytesRead, totalBytes }) => {
      progress.push(bytesRead);
      expect(totalBytes).toBe(statSync(file).size);
    },
    ...(signal ? { signal } : {}),
  });
  return { result, packets, progress };
}

/** A pcapng of `count` packets over several 1 MiB chunks. */
function bigCapture(count: number): Buffer {
  const w = new PcapngWriter();
  const eth = w.addInterface(1, { tsresol: 9 });
  const data = new Uint8Array(1000).fill(0xab);
  const size = PcapngWriter.packetLength(data.length);
  const head = Buffer.concat([w.header(), eth.block]);
  const out = Buffer.alloc(head.length + count * size);
  head.copy(out);
  let o = head.length;
  for (let i = 0; i < count; i++) o += w.packetInto(out, o, eth.id, { seconds: 1_700_000_000 + i, nanos: i, data });
  return out;
}

describe('readCaptureFile', () => {
  it('streams a pcapng file, reports progress up to its size', async () => {
    const { result, packets, progress } = await read(BASE);
    expect(result).toEqual({ packets: 17, format: 'pcapng', gzip: false });
    expect(packets).toEqual(parse(readFileSync(BASE)).packets);
    expect(progress.at(-1)).toBe(statSync(BASE).size);
  });

  it('reads a gzip-compressed file, counting progress in compressed bytes', async () => {
    const plain = readFileSync(join(FIXTURES, 'base-ns.pcap'));
    const file = tmp('base-ns.pcap.gz', gzipSync(plain));
    const { result, packets, progress } = await read(file);
    expect(result).toEqual({ packets: 12, format: 'pcap', gzip: true });
    expect(asTshark(packets)).toEqual(tsharkPackets(file));
    expect(progress.at(-1)).toBe(statSync(file).size);
  });

  it('reads a large gzip file spanning many chunks', async () => {
    const bytes = bigCapture(5000);
    const file = tmp('big.pcapng.gz', gzipSync(bytes, { level: 1 }));
    const { result, packets } = await read(file);
    expect(result.packets).toBe(5000);
    expect(packets[4999]).toMatchObject({ number: 5000, epoch: '1700004999.000004999', capLen: 1000 });
  });

  it('returns a truncated gzip stream as a "gzip stream" error, after the packets it could read', async () => {
    const gz = gzipSync(bigCapture(3000), { level: 1 });
    const file = tmp('cut.pcapng.gz', gz.subarray(0, Math.floor(gz.length / 2)));
    const { result, packets } = await read(file);
    expect(result.error).toBeInstanceOf(CaptureFormatError);
    expect(result.error).toMatchObject({ structure: 'gzip stream' });
    expect(result.error!.message).toContain('unexpected end of file');
    expect(result.packets).toBe(packets.length);
    expect(packets.length).toBeGreaterThan(0);
  });

  it('returns a truncated file as an error naming the block, after the packets before it', async () => {
    const bytes = readFileSync(BASE);
    const offsets = parse(bytes).packets.map((p) => p.fileOffset);
    const file = tmp('cut.pcapng', bytes.subarray(0, offsets[10]! + 40));
    const { result, packets } = await read(file);
    expect(packets).toHaveLength(10);
    expect(result).toMatchObject({ packets: 10, format: 'pcapng', gzip: false });
    expect(result.error).toMatchObject({ structure: 'pcapng Enhanced Packet Block', offset: offsets[10] });
  });

  it('throws for a file that is no capture, and for a missing file', async () => {
    await expect(read(tmp('text.txt', Buffer.from('just some text\n')))).rejects.toThrow(/74 6a|6a 75 73 74 is neither a pcap nor a pcapng magic/);
    await expect(read(join(TMP, 'missing.pcap'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('throws an AbortError when aborted, before or during the read', async () => {
    const before = new AbortController();
    before.abort();
    await expect(read(BASE, before.signal)).rejects.toMatchObject({ name: 'AbortError' });

    const file = tmp('abort.pcapng', bigCapture(4000));
    const during = new AbortController();
    let delivered = 0;
    const reading = readCaptureFile(file, {
      signal: during.signal,
      onPacket: () => {
        if (++delivered === 10) during.abort();
      },
    });
    await expect(reading).rejects.toMatchObject({ name: 'AbortError' });
    expect(delivered).toBeLessThan(4000);
  });
});

describe('selectPackets', () => {
  it('writes a pcapng of just the chosen frames, with their link types, times and lengths (checked by tshark)', async () => {
    const all = tsharkPackets(BASE);
    const chosen = new Set([2, 5, 9, 14]);
    const out = await selectPackets(BASE, chosen);
    const file = tmp('selection.pcapng', out);
    const expected = all.filter((p) => chosen.has(p.number));
    const exported = tsharkPackets(file);
    const withoutNumbers = (p: { number: number; interfaceId: number }) => ({ ...p, number: 0 });
    expect(exported.map(withoutNumbers)).toEqual(expected.map(withoutNumbers));
    expect(parse(out).packets.map((p) => p.linkType)).toEqual([1, 101, 101, 1]);
  });

  it('keeps the nanoseconds and original lengths of a snapped pcap', async () => {
    const source = join(FIXTURES, 'base-snap60.pcap');
    const out = await selectPackets(source, new Set([1, 12]));
    const original = parse(readFileSync(source)).packets;
    const exported = parse(out).packets;
    expect(exported.map(({ epoch, len, capLen, hex }) => ({ epoch, len, capLen, hex }))).toEqual(
      [original[0]!, original[11]!].map(({ epoch, len, capLen, hex }) => ({ epoch, len, capLen, hex })),
    );
  });
});
