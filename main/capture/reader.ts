/**
 * The capture layer's only I/O: stream a pcap / pcapng file (gzip-compressed or not) through
 * CaptureFileParser, 1 MiB at a time, so memory stays bounded by the largest block whatever the
 * file size.
 *
 * Outcomes: a corrupt or truncated file (or gzip stream) is data — `error` in the result, after
 * every packet before it was delivered; a file that is no capture at all, a file that cannot be
 * opened, an abort, and whatever `onPacket` throws are thrown.
 */
import { createReadStream } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { CaptureFormatError } from './errors';
import { CaptureFileParser, type CaptureFileFormat } from './file-parser';
import { PcapngWriter } from './pcapng-writer';
import type { CapturePacket } from './types';

const CHUNK = 1024 * 1024;

export interface ReadCaptureOptions {
  onPacket(p: CapturePacket): void;
  signal?: AbortSignal;
  /** After each chunk: bytes of the file read so far (compressed bytes for a gzip file). */
  onProgress?(p: { bytesRead: number; totalBytes: number }): void;
}

export interface ReadCaptureResult {
  packets: number;
  format: CaptureFileFormat;
  gzip: boolean;
  /** Why the scan stopped before the end of the file; every packet before it was delivered. */
  error?: CaptureFormatError;
}

async function isGzip(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The capture read was aborted', 'AbortError');
}

/** zlib's errors for a damaged stream: a truncated one (Z_BUF_ERROR) or bad data (Z_DATA_ERROR …). */
function isZlibError(error: unknown): error is NodeJS.ErrnoException {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && code.startsWith('Z_');
}

/**
 * An uncompressed file's bytes, 1 MiB at a time, in two buffers used in turn: the next chunk is read
 * while the parser takes this one. The parser copies what it keeps (its carry) and hands packets
 * on as views valid during the callback only, so a buffer can be read into again — a fresh 1 MiB
 * per chunk would be garbage the collector frees late (at a full GC), and for a large file that
 * was tens of MB held outside the heap at any time.
 */
class PlainChunks implements AsyncIterable<Uint8Array> {
  bytesRead = 0;

  constructor(private readonly handle: FileHandle) {}

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    const buffers = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)] as const;
    let turn = 0;
    let next: Promise<{ bytesRead: number }> | undefined = this.handle.read(buffers[0], 0, CHUNK, 0);
    try {
      for (;;) {
        const { bytesRead } = await next;
        next = undefined;
        if (bytesRead === 0) return;
        const current = buffers[turn]!;
        this.bytesRead += bytesRead;
        turn ^= 1;
        next = this.handle.read(buffers[turn]!, 0, CHUNK, this.bytesRead);
        yield current.subarray(0, bytesRead);
      }
    } finally {
      // A read still running when the consumer stops (an error, an abort) must end before the file closes.
      await next?.catch(() => undefined);
    }
  }
}

export async function readCaptureFile(file: string, options: ReadCaptureOptions): Promise<ReadCaptureResult> {
  const { signal } = options;
  if (signal?.aborted) throw abortError(signal);
  const totalBytes = (await stat(file)).size;
  const gzip = await isGzip(file);
  const handle = gzip ? undefined : await open(file, 'r');
  const plain = handle ? new PlainChunks(handle) : undefined;
  const raw = gzip ? createReadStream(file, { highWaterMark: CHUNK, ...(signal ? { signal } : {}) }) : undefined;
  const gunzip = raw ? createGunzip({ chunkSize: CHUNK }) : undefined;
  const source: AsyncIterable<Uint8Array> = plain ?? raw!.pipe(gunzip!);
  // pipe() does not forward the read stream's errors (an abort, EIO) to the gunzip stream.
  if (raw && gunzip) raw.once('error', (error) => gunzip.destroy(error));
  const bytesRead = (): number => plain?.bytesRead ?? raw!.bytesRead;
  const parser = new CaptureFileParser(options.onPacket);
  let error: CaptureFormatError | undefined;
  const result = (): ReadCaptureResult => ({ packets: parser.packets, format: parser.format!, gzip, ...(error ? { error } : {}) });
  const formatError = (e: unknown): CaptureFormatError | undefined => {
    if (e instanceof CaptureFormatError && e === parser.error) return e;
    if (gunzip && isZlibError(e)) {
      return new CaptureFormatError('gzip stream', '', parser.bytesRead, `${e.message} (${e.code}): the compressed file is damaged or cut short`);
    }
    return undefined;
  };
  try {
    for await (const chunk of source) {
      if (signal?.aborted) throw abortError(signal);
      parser.push(chunk);
      options.onProgress?.({ bytesRead: bytesRead(), totalBytes });
    }
    if (signal?.aborted) throw abortError(signal);
    parser.end();
  } catch (e) {
    error = formatError(e);
    if (!error) throw e;
    // A file that is not a capture at all has no format to report: that is the caller's error.
    if (parser.format === undefined) throw error;
  } finally {
    raw?.destroy();
    gunzip?.destroy();
    await handle?.close();
  }
  return result();
}

/**
 * Re-reads `file` and writes a pcapng of just the frames `numbers` names: one interface per
 * interface they came from (same link type), nanosecond timestamps (so no precision is lost),
 * original lengths kept. Stops reading after the last frame wanted.
 */
export async function selectPackets(file: string, numbers: ReadonlySet<number>): Promise<Buffer> {
  const writer = new PcapngWriter();
  const parts: Buffer[] = [writer.header()];
  const interfaceIds = new Map<number, number>();
  let last = 0;
  for (const n of numbers) last = Math.max(last, n);
  const done = new AbortController();
  const onPacket = (p: CapturePacket): void => {
    if (numbers.has(p.number)) {
      let id = interfaceIds.get(p.interfaceId);
      if (id === undefined) {
        const added = writer.addInterface(p.linkType, { tsresol: 9 });
        id = added.id;
        interfaceIds.set(p.interfaceId, id);
        parts.push(added.block);
      }
      parts.push(writer.packet(id, p));
    }
    if (p.number >= last) done.abort();
  };
  try {
    const { error } = await readCaptureFile(file, { onPacket, signal: done.signal });
    if (error) throw error;
  } catch (e) {
    if (!done.signal.aborted) throw e;
  }
  return Buffer.concat(parts);
}
