/**
 * Shared by the capture file-layer tests: run the push parser over bytes cut into chunks, and ask
 * tshark (the oracle) what it reads in the same file.
 */
import { execFileSync } from 'node:child_process';
import { CaptureFileParser } from '../../../main/capture/file-parser';
import type { CapturePacket } from '../../../main/capture/types';
import { seededRandom } from '../../helpers/random';

export const FIXTURES = new URL('../../fixtures/capture/', import.meta.url).pathname;

/** What a test compares of a packet (data copied out of the parser's view, as hex). */
export interface SeenPacket {
  number: number;
  epoch: string;
  len: number;
  capLen: number;
  interfaceId: number;
  linkType: number;
  fileOffset: number;
  hex: string;
}

export function seen(p: CapturePacket): SeenPacket {
  return {
    number: p.number,
    epoch: `${p.seconds}.${String(p.nanos).padStart(9, '0')}`,
    len: p.originalLength,
    capLen: p.data.length,
    interfaceId: p.interfaceId,
    linkType: p.linkType,
    fileOffset: p.fileOffset,
    hex: Buffer.from(p.data).toString('hex'),
  };
}

export interface ParseOutcome {
  packets: SeenPacket[];
  error?: Error;
  format: string | undefined;
}

/** Pushes `bytes` in chunks whose sizes `nextSize` picks (the whole file when absent), then ends. */
export function parse(bytes: Uint8Array, nextSize?: () => number): ParseOutcome {
  const packets: SeenPacket[] = [];
  const parser = new CaptureFileParser((p) => packets.push(seen(p)));
  try {
    let o = 0;
    while (o < bytes.length) {
      const size = nextSize ? Math.max(1, nextSize()) : bytes.length;
      // A fresh copy per chunk: the parser must not rely on earlier chunks staying intact.
      parser.push(Uint8Array.from(bytes.subarray(o, o + size)));
      o += size;
    }
    parser.end();
  } catch (error) {
    return { packets, error: error as Error, format: parser.format };
  }
  return { packets, format: parser.format };
}

/** A small seeded PRNG so random chunkings are reproducible. */
export const rng = seededRandom;

export interface TsharkPacket {
  number: number;
  epoch: string;
  len: number;
  capLen: number;
  interfaceId: number;
  hex: string;
}

/** tshark's reading of `file`: frame number, epoch time, lengths, interface, raw bytes. */
export function tsharkPackets(file: string): TsharkPacket[] {
  const fields = execFileSync(
    'tshark',
    ['-r', file, '-T', 'fields', '-e', 'frame.number', '-e', 'frame.time_epoch', '-e', 'frame.len', '-e', 'frame.cap_len', '-e', 'frame.interface_id'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const json = JSON.parse(execFileSync('tshark', ['-r', file, '-T', 'json', '-x'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20 })) as {
    _source: { layers: { frame_raw: [string] } };
  }[];
  return fields
    .trim()
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line, i) => {
      const [number, epoch, len, capLen, interfaceId] = line.split('\t');
      return {
        number: Number(number),
        // An SPB has no timestamp: tshark prints none, CapturePacket says 0.
        epoch: epoch || '0.000000000',
        len: Number(len),
        capLen: Number(capLen),
        interfaceId: interfaceId ? Number(interfaceId) : 0,
        hex: json[i]!._source.layers.frame_raw[0],
      };
    });
}

/** The fields tshark gives, from our packets. */
export function asTshark(packets: readonly SeenPacket[]): TsharkPacket[] {
  return packets.map(({ number, epoch, len, capLen, interfaceId, hex }) => ({ number, epoch, len, capLen, interfaceId, hex }));
}
