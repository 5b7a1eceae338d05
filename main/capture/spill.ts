/**
 * Where a scan puts the Exchanges it has finished: a private temporary file, one JSON line each
 * followed by one line of its table row, so memory holds only the conversations still open and a
 * few numbers per finished one — a capture ten times larger does not need ten times the memory for
 * its steps, tokens, packets or rows. Opening an Exchange, or listing rows, reads lines back. The
 * file is removed on dispose (and at process exit).
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Exchange } from '../exchange/model';

/**
 * Lines are written in batches through one reused buffer: one write per exchange would be
 * thousands of syscalls, and a Buffer per line (most are over the 4 KiB Buffer pool's limit) lived
 * long enough to reach the old generation — tens of MB of dead memory outside the heap until a full GC.
 */
const FLUSH_BYTES = 1 << 20;
const NEWLINE = 0x0a;

/** A Float64Array that grows: slot numbers index it. */
class Column {
  values = new Float64Array(1024);

  set(slot: number, value: number): void {
    if (slot >= this.values.length) {
      const bigger = new Float64Array(Math.max(slot + 1, this.values.length * 2));
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[slot] = value;
  }
}

/**
 * Each Exchange has a slot (its first put's, kept when it is put again): the offset of its line
 * and the lengths of its line and its row's line. A Map entry and three numbers, not objects.
 */
export class ExchangeSpill<Row> {
  private readonly dir: string;
  private readonly fd: number;
  private readonly slots = new Map<string, number>();
  private readonly offsets = new Column();
  private readonly exchangeLengths = new Column();
  private readonly rowLengths = new Column();
  private readonly buffer = Buffer.allocUnsafe(FLUSH_BYTES);
  /** Bytes in `buffer` not yet in the file; they go at `written`. */
  private buffered = 0;
  private written = 0;
  private closed = false;
  private readonly onExit = () => this.dispose();

  constructor() {
    this.dir = mkdtempSync(path.join(os.tmpdir(), 'kbench-scan-'));
    this.fd = openSync(path.join(this.dir, 'exchanges.ndjson'), 'w+', 0o600);
    process.once('exit', this.onExit);
  }

  get size(): number {
    return this.slots.size;
  }

  /** Stores an Exchange and its row (again: a later put of the same id replaces the earlier one, in the same slot). */
  put(exchange: Exchange, row: Row): number {
    let slot = this.slots.get(exchange.id);
    if (slot === undefined) {
      slot = this.slots.size;
      this.slots.set(exchange.id, slot);
    }
    const at = this.append(JSON.stringify(exchange));
    this.offsets.set(slot, at.offset);
    this.exchangeLengths.set(slot, at.length);
    this.rowLengths.set(slot, this.append(JSON.stringify(row)).length);
    return slot;
  }

  /** One line: where it starts in the file and its length in bytes (without the newline). */
  private append(text: string): { offset: number; length: number } {
    const length = Buffer.byteLength(text);
    if (this.buffered + length + 1 > this.buffer.length) this.flush();
    const offset = this.written + this.buffered;
    if (length + 1 > this.buffer.length) {
      this.writeAll(Buffer.from(`${text}\n`), offset);
      this.written += length + 1;
    } else {
      this.buffer.write(text, this.buffered);
      this.buffer[this.buffered + length] = NEWLINE;
      this.buffered += length + 1;
    }
    return { offset, length };
  }

  has(id: string): boolean {
    return this.slots.has(id);
  }

  slotOf(id: string): number | undefined {
    return this.slots.get(id);
  }

  get(id: string): Exchange | undefined {
    const slot = this.slots.get(id);
    if (slot === undefined) return undefined;
    return this.read(this.offsets.values[slot]!, this.exchangeLengths.values[slot]!) as Exchange | undefined;
  }

  /** The row put with the slot's Exchange. */
  row(slot: number): Row | undefined {
    if (slot >= this.slots.size) return undefined;
    const exchangeLength = this.exchangeLengths.values[slot]!;
    return this.read(this.offsets.values[slot]! + exchangeLength + 1, this.rowLengths.values[slot]!) as Row | undefined;
  }

  private read(offset: number, length: number): unknown {
    if (this.closed) return undefined;
    this.flush();
    const bytes = Buffer.alloc(length);
    readSync(this.fd, bytes, 0, length, offset);
    return JSON.parse(bytes.toString('utf8'));
  }

  private flush(): void {
    if (this.buffered === 0) return;
    this.writeAll(this.buffer.subarray(0, this.buffered), this.written);
    this.written += this.buffered;
    this.buffered = 0;
  }

  private writeAll(bytes: Uint8Array, position: number): void {
    let done = 0;
    while (done < bytes.length) done += writeSync(this.fd, bytes, done, bytes.length - done, position + done);
  }

  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    process.off('exit', this.onExit);
    closeSync(this.fd);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
