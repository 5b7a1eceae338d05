/**
 * A capture scan with keys against the same capture scanned without keys, in the same run (issue
 * 18, a fuzzing finding): every encrypted part is tried against the keys of its enctype, and the
 * keys learnt from earlier Exchanges pile up on the ring, so the cost used to grow with
 * Exchanges × keys (29 Exchanges / 210 keys 1.3 s, 58 / 314 7–9 s, 116 / 314 29 s).
 *
 * The capture is the fuzz seeds' plain conversations (real MIT KDC streams, HTTP Negotiate, MQTT,
 * LDAP SASL, a carved token: test/fixtures/world) repeated 1, 2 and 4 times on other ports, so each
 * copy is a further set of Exchanges, scanned with every key of the fixture. Each scan is checked:
 * the copies must open as many parts as the first, or the figure measures a broken scan.
 */
import { rm, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, bench, describe } from 'vitest';
import { scanCapture } from '../../main/capture/scan';
import type { KeySpec } from '../../main/krb/decode/session';
import { worldKeySpecs } from '../fuzz/binary-seeds';
import { captureOf, plainFlows } from '../fuzz/capture-seeds';
import { recordFigure } from './figures';

const COPIES = [1, 2, 4] as const;
const ONCE = { iterations: 1, time: 0, warmupIterations: 0, warmupTime: 0 };

interface Measured {
  copies: number;
  exchanges: number;
  keys: number;
  opened: number;
  seconds: number;
}

let dir: string | undefined;
const files = new Map<number, string>();

/** The capture of `copies` copies of the conversations, written on first use. */
async function fileOf(copies: number): Promise<string> {
  const known = files.get(copies);
  if (known) return known;
  dir ??= await mkdtemp(path.join(os.tmpdir(), 'kbench-capture-keys-'));
  const file = path.join(dir, `x${copies}.pcap`);
  const flows = plainFlows();
  await writeFile(file, captureOf(Array.from({ length: copies }, () => flows).flat()));
  files.set(copies, file);
  return file;
}

async function scan(copies: number, keys: readonly KeySpec[]): Promise<Measured> {
  const file = await fileOf(copies);
  const started = performance.now();
  const result = await scanCapture({ file, keys });
  const seconds = (performance.now() - started) / 1000;
  const opened = [...result.keyUse.values()].reduce((a, b) => a + b, 0);
  const measured = { copies, exchanges: result.found.length, keys: result.session.keyring.made().length, opened, seconds };
  result.dispose();
  return measured;
}

/** Each copy count scanned without and with keys: the table, the figures, and a check of every scan. */
async function growth(): Promise<void> {
  const rows: Measured[] = [];
  const baseline: Measured[] = [];
  for (const copies of COPIES) {
    baseline.push(await scan(copies, []));
    rows.push(await scan(copies, worldKeySpecs));
  }
  console.log('\n  copies  Exchanges  keys on ring  parts opened  no keys (s)  with keys (s)  ratio');
  rows.forEach((r, i) => {
    const base = baseline[i]!;
    console.log(`  ${String(r.copies).padStart(6)}  ${String(r.exchanges).padStart(9)}  ${String(r.keys).padStart(12)}  ${String(r.opened).padStart(12)}  ${base.seconds.toFixed(2).padStart(11)}  ${r.seconds.toFixed(2).padStart(13)}  ${(r.seconds / base.seconds).toFixed(1)}×`);
    if (r.opened !== rows[0]!.opened * r.copies) console.log(`  !! ${r.copies} copies opened ${r.opened} parts, expected ${rows[0]!.opened * r.copies}: the scan is broken`);
  });
  const largest = rows.at(-1)!;
  recordFigure({ key: 'capture_scan_keys_seconds', value: largest.seconds, unit: 's', detail: `scan with keys, ${largest.exchanges} Exchanges, ${largest.keys} keys on the ring` });
  recordFigure({ key: 'capture_scan_keys_vs_no_keys', value: largest.seconds / baseline.at(-1)!.seconds, unit: '×', detail: `the same ${largest.exchanges}-Exchange capture scanned without keys` });
  recordFigure({ key: 'capture_scan_keys_growth_4x', value: largest.seconds / rows[0]!.seconds, unit: '×', detail: 'time with keys for 4 copies of the conversations over 1 copy (linear: 4×)' });
}

// At the top level: vitest's bench mode does not run a describe block's afterAll.
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('capture scan with keys: trial decryption against the ring (issue 18)', () => {
  bench('baseline: 4 copies scanned without keys', async () => void (await scan(4, [])), ONCE);
  bench('4 copies scanned with every key of the fixture', async () => void (await scan(4, worldKeySpecs)), ONCE);
  // Measured by hand, once: the growth with the number of copies, and the figures.
  bench('1, 2 and 4 copies, without and with keys (table and figures)', growth, ONCE);
});
