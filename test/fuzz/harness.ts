/**
 * One harness for every fuzz target, so `npm run fuzz` (long: KBENCH_FUZZ_RUNS iterations per
 * target, at least one million) and the CI pass (short: the default below) run the same code.
 *
 * A target feeds one generated input to one parser or pre-authentication path. Its `run` returns
 * normally for accepted input and for a *typed* refusal (the target says which error classes are
 * typed, and may check that the message names a field and an offset); anything else thrown is a
 * crash. Every iteration is timed: one that takes longer than `hangMs` is a hang. The heap is
 * sampled as the target runs: growing past `maxHeapGrowthMb` above where it started is a leak.
 * A failure names the target, the iteration and the input (hex), so it becomes a regression test.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';

/** Iterations per target: KBENCH_FUZZ_RUNS for `npm run fuzz`, else a short CI pass. */
export function fuzzRuns(ciDefault = 2_000): number {
  const fromEnv = Number(process.env.KBENCH_FUZZ_RUNS);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : ciDefault;
}

/** vitest timeout for a target: generous for `npm run fuzz`, bounded in CI. */
export function fuzzTimeout(ciMs = 60_000): number {
  return process.env.KBENCH_FUZZ_RUNS ? 24 * 3600_000 : ciMs;
}

export interface FuzzTarget<T> {
  name: string;
  /** Inputs, seeded from real material where there is some (fixtures, captures, lab output). */
  input: fc.Arbitrary<T>;
  /** Feeds one input; throws only for what the caller must treat as a crash. */
  run: (input: T) => void | Promise<void>;
  /** Error classes that count as a typed refusal. */
  typed: ReadonlyArray<abstract new (...args: never[]) => Error>;
  /** Optional check on a typed error (e.g. that it names an offset). Throw to fail. */
  checkTyped?: (error: Error, input: T) => void;
  hangMs?: number;
  maxHeapGrowthMb?: number;
}

export interface FuzzReport {
  name: string;
  runs: number;
  accepted: number;
  refused: number;
  slowestMs: number;
  heapGrowthMb: number;
  /** Wall time of the whole run, and inputs per second over it. */
  seconds: number;
  perSecond: number;
}

function describeInput(input: unknown): string {
  if (input instanceof Uint8Array) return `${input.length} bytes: ${Buffer.from(input).toString('hex').slice(0, 400)}`;
  const text = typeof input === 'string' ? input : JSON.stringify(input, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v));
  return (text ?? String(input)).slice(0, 400);
}

/**
 * Keeps a failing input whole (the message shows only its start), so it can become a regression
 * test: raw bytes for a Uint8Array, else JSON. Returns where it went.
 */
function keepInput(name: string, input: unknown): string {
  const dir = path.join(os.tmpdir(), 'kbench-fuzz');
  mkdirSync(dir, { recursive: true });
  const binary = input instanceof Uint8Array;
  const file = path.join(dir, `${name.replace(/[^\w.-]+/g, '_')}-${Date.now()}.${binary ? 'bin' : 'json'}`);
  writeFileSync(file, binary ? input : JSON.stringify(input, (_k, v: unknown) => (v instanceof Uint8Array ? { hex: Buffer.from(v).toString('hex') } : v)));
  return file;
}

/** Runs a target `runs` times (fuzzRuns() by default) and returns what it saw; throws on a crash, hang or leak. */
export async function fuzz<T>(target: FuzzTarget<T>, runs = fuzzRuns()): Promise<FuzzReport> {
  const report: FuzzReport = { name: target.name, runs: 0, accepted: 0, refused: 0, slowestMs: 0, heapGrowthMb: 0, seconds: 0, perSecond: 0 };
  const startedAt = performance.now();
  const hangMs = target.hangMs ?? 2_000;
  const maxGrowth = target.maxHeapGrowthMb ?? 256;
  const heapAtStart = process.memoryUsage().heapUsed;
  const property = fc.asyncProperty(target.input, async (input) => {
    const started = performance.now();
    try {
      await target.run(input);
      report.accepted++;
    } catch (error) {
      if (!target.typed.some((type) => error instanceof type)) {
        throw new Error(`${target.name}: untyped ${(error as Error)?.name ?? typeof error} on ${describeInput(input)} (kept in ${keepInput(target.name, input)}): ${(error as Error)?.stack ?? String(error)}`);
      }
      target.checkTyped?.(error as Error, input);
      report.refused++;
    }
    const took = performance.now() - started;
    report.slowestMs = Math.max(report.slowestMs, took);
    if (took > hangMs) throw new Error(`${target.name}: one input took ${took.toFixed(0)} ms (limit ${hangMs} ms): ${describeInput(input)} (kept in ${keepInput(target.name, input)})`);
    if (++report.runs % 10_000 === 0) checkHeap();
  });
  const checkHeap = () => {
    const growth = (process.memoryUsage().heapUsed - heapAtStart) / 2 ** 20;
    report.heapGrowthMb = Math.max(report.heapGrowthMb, growth);
    if (growth > maxGrowth) throw new Error(`${target.name}: heap grew ${growth.toFixed(0)} MB after ${report.runs} inputs (limit ${maxGrowth} MB)`);
  };
  await fc.assert(property, { numRuns: runs, endOnFailure: true });
  checkHeap();
  report.seconds = (performance.now() - startedAt) / 1000;
  report.perSecond = Math.round(report.runs / Math.max(report.seconds, 1e-3));
  if (process.env.KBENCH_FUZZ_RUNS) {
    console.log(`fuzz ${report.name}: ${report.runs} inputs in ${report.seconds.toFixed(0)} s (${report.perSecond}/s), ${report.accepted} accepted, ${report.refused} refused, slowest ${report.slowestMs.toFixed(1)} ms, heap +${report.heapGrowthMb.toFixed(0)} MB`);
  }
  return report;
}

/** Byte-level mutations of real seeds: set, insert, delete, truncate — the shape most findings have. */
export function mutatedBytes(seeds: readonly Uint8Array[], maxEdits = 8): fc.Arbitrary<Buffer> {
  const edit = fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'insert', 'delete', 'truncate'));
  return fc.tuple(fc.nat(), fc.array(edit, { minLength: 0, maxLength: maxEdits })).map(([pick, edits]) => {
    let bytes = Buffer.from(seeds[pick % seeds.length]!);
    for (const [at, value, kind] of edits) {
      const i = at % Math.max(1, bytes.length);
      if (kind === 'set' && bytes.length) bytes[i] = value;
      else if (kind === 'insert') bytes = Buffer.concat([bytes.subarray(0, i), Buffer.from([value]), bytes.subarray(i)]);
      else if (kind === 'delete') bytes = Buffer.concat([bytes.subarray(0, i), bytes.subarray(i + 1)]);
      else if (kind === 'truncate') bytes = bytes.subarray(0, i);
    }
    return bytes;
  });
}

/** Text-level mutations of real seeds (configs, headers, transcripts): lines dropped, duplicated, characters changed. */
export function mutatedText(seeds: readonly string[], maxEdits = 6): fc.Arbitrary<string> {
  const alphabet = fc.constantFrom(...'{}[]()="\'\\:,;#\n\t =.@/-_%$*&!<>?`~0123456789abcdefXYZ\u0000\u00e9\ud83d\ude00');
  const edit = fc.tuple(fc.nat(), alphabet, fc.constantFrom('set', 'insert', 'delete', 'truncate', 'duplicate-line', 'drop-line'));
  return fc.tuple(fc.nat(), fc.array(edit, { minLength: 0, maxLength: maxEdits })).map(([pick, edits]) => {
    let text = seeds[pick % seeds.length]!;
    for (const [at, char, kind] of edits) {
      const i = at % Math.max(1, text.length);
      if (kind === 'set') text = text.slice(0, i) + char + text.slice(i + 1);
      else if (kind === 'insert') text = text.slice(0, i) + char + text.slice(i);
      else if (kind === 'delete') text = text.slice(0, i) + text.slice(i + 1);
      else if (kind === 'truncate') text = text.slice(0, i);
      else {
        const lines = text.split('\n');
        const l = at % lines.length;
        if (kind === 'duplicate-line') lines.splice(l, 0, lines[l]!);
        else lines.splice(l, 1);
        text = lines.join('\n');
      }
    }
    return text;
  });
}
