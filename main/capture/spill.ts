/**
 * Where a scan puts the Exchanges it has finished: a private temporary file, one JSON line each,
 * so memory holds only the conversations still open and one small entry per finished one — a
 * capture ten times larger does not need ten times the memory for its steps, tokens and packets.
 * Opening an Exchange reads its line back. The file is removed on dispose (and at process exit).
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Exchange } from '../exchange/model';

/** Lines are written in batches: one write per exchange would be thousands of syscalls. */
const FLUSH_BYTES = 1 << 20;

export class ExchangeSpill {
  private readonly dir: string;
  private readonly fd: number;
  private readonly index = new Map<string, { offset: number; length: number }>();
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private written = 0;
  private closed = false;
  private readonly onExit = () => this.dispose();

  constructor() {
    this.dir = mkdtempSync(path.join(os.tmpdir(), 'kbench-scan-'));
    this.fd = openSync(path.join(this.dir, 'exchanges.ndjson'), 'w+', 0o600);
    process.once('exit', this.onExit);
  }

  get size(): number {
    return this.index.size;
  }

  /** Stores an Exchange (again: a later put of the same id replaces the earlier one). */
  put(exchange: Exchange): void {
    const line = Buffer.from(`${JSON.stringify(exchange)}\n`);
    this.index.set(exchange.id, { offset: this.written + this.pendingBytes, length: line.length - 1 });
    this.pending.push(line);
    this.pendingBytes += line.length;
    if (this.pendingBytes >= FLUSH_BYTES) this.flush();
  }

  has(id: string): boolean {
    return this.index.has(id);
  }

  get(id: string): Exchange | undefined {
    const at = this.index.get(id);
    if (!at || this.closed) return undefined;
    this.flush();
    const bytes = Buffer.alloc(at.length);
    readSync(this.fd, bytes, 0, at.length, at.offset);
    return JSON.parse(bytes.toString('utf8')) as Exchange;
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const chunk = Buffer.concat(this.pending, this.pendingBytes);
    let done = 0;
    while (done < chunk.length) done += writeSync(this.fd, chunk, done, chunk.length - done, this.written + done);
    this.written += chunk.length;
    this.pending = [];
    this.pendingBytes = 0;
  }

  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    process.off('exit', this.onExit);
    closeSync(this.fd);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
