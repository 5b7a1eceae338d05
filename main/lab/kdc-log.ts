/**
 * The KDC log (kdc.log, written by krb5kdc through [logging] in kdc.conf): its last lines, and a
 * follower that reports each line as it is appended. The follower polls (250 ms) instead of using
 * fs.watch: the file is recreated when a realm is destroyed and made again, and polling sees that
 * the same way on every platform. Its timer never keeps a process alive.
 *
 * MIT logs principal names as clients sent them, escaping only \n, \t, \b and NUL: an AS-REQ
 * whose name holds ESC [ 2 J would reach the terminal of `kbench lab log`. Every line is escaped
 * (logSafe) before anyone sees it.
 */
import { open, stat } from 'node:fs/promises';
import { logSafe } from '../system/log-safe';

const POLL_MS = 250;
/** Bytes read from the end of the file to find the last lines. */
const TAIL_WINDOW = 256 * 1024;
/** A burst larger than this (say, a benchmark's thousands of kinits) is reported by its end only. */
const MAX_CHUNK = 512 * 1024;

/** The last `count` lines of a log file ([] when it does not exist). */
export async function lastLines(file: string, count: number): Promise<string[]> {
  if (count <= 0) return [];
  let handle;
  try {
    handle = await open(file, 'r');
  } catch {
    return [];
  }
  try {
    const { size } = await handle.stat();
    const start = Math.max(0, size - TAIL_WINDOW);
    const buffer = Buffer.alloc(size - start);
    await handle.read(buffer, 0, buffer.length, start);
    const lines = buffer.toString('utf8').split('\n');
    if (start > 0) lines.shift(); // a partial first line
    if (lines.at(-1) === '') lines.pop();
    return lines.slice(-count).map(logSafe);
  } finally {
    await handle.close();
  }
}

export class LogFollower {
  private offset = 0;
  private partial = '';
  private timer: NodeJS.Timeout | undefined;
  private reading = false;

  constructor(
    readonly file: string,
    private readonly onLines: (lines: string[]) => void,
  ) {}

  get following(): boolean {
    return this.timer !== undefined;
  }

  /** Starts at the current end of the file: only lines written from now on are reported. */
  async start(): Promise<void> {
    if (this.timer) return;
    this.offset = await sizeOf(this.file);
    this.partial = '';
    this.timer = setInterval(() => void this.poll(), POLL_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Reads whatever was appended since the last look (also called by the timer). */
  async poll(): Promise<void> {
    if (this.reading) return;
    this.reading = true;
    try {
      const size = await sizeOf(this.file);
      if (size < this.offset) {
        // Truncated or recreated (realm destroyed and made again): start over from its beginning.
        this.offset = 0;
        this.partial = '';
      }
      if (size === this.offset) return;
      let from = this.offset;
      if (size - from > MAX_CHUNK) {
        from = size - MAX_CHUNK;
        this.partial = '';
      }
      const handle = await open(this.file, 'r');
      let text: string;
      try {
        const buffer = Buffer.alloc(size - from);
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, from);
        text = buffer.subarray(0, bytesRead).toString('utf8');
        this.offset = from + bytesRead;
      } finally {
        await handle.close();
      }
      const lines = (this.partial + text).split('\n');
      this.partial = lines.pop() ?? '';
      const complete = lines.filter((line) => line !== '').map(logSafe);
      if (complete.length) this.onLines(complete);
    } catch {
      // The file vanished between stat and open (realm destroyed): the next poll starts over.
    } finally {
      this.reading = false;
    }
  }
}

async function sizeOf(file: string): Promise<number> {
  return stat(file).then(
    (s) => s.size,
    () => 0,
  );
}
