/**
 * `kbench lab up` cold (a fresh data directory: create the realm — database, principals, keytabs —
 * start the KDC, kinit alice) against warm (the realm is up: check the KDC by its pid file and the
 * TGT, nothing else), in the same run. Once as the whole command (a Node process each time, as a
 * user runs it) and once as the service call inside a running engine (what the app's button costs).
 * Every KDC started here is stopped after the run.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import { BenchEventBus } from '../../main/engine/events';
import { kdcsUnder, stopPid } from '../../main/lab/kdc-process';
import { LabServiceImpl } from '../../main/lab/service';
import { recordFigure } from './figures';

const root = mkdtempSync(path.join(os.tmpdir(), 'kbench-lab-bench-'));
const kbench = path.resolve('bin/kbench.js');
let fresh = 0;
const freshDataDir = () => path.join(root, `cold-${fresh++}`);
const warmDataDir = path.join(root, 'warm');

function labUp(dataDir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [kbench, 'lab', 'up', '--json'], { env: { ...process.env, KBENCH_DATA_DIR: dataDir } }, (error, _stdout, stderr) =>
      error ? reject(new Error(`kbench lab up failed: ${stderr}`)) : resolve(),
    );
  });
}

const service = (dataDir: string) => new LabServiceImpl({ dataDir, events: new BenchEventBus() });
const warmService = service(path.join(root, 'warm-service'));

beforeAll(async () => {
  await labUp(warmDataDir);
  await warmService.up();
});

afterAll(async () => {
  warmService.dispose();
  for (const { pid } of await kdcsUnder(root)) await stopPid(pid);
  rmSync(root, { recursive: true, force: true });
});

// Few iterations: each cold run makes a realm and leaves its KDC running until afterAll.
const options = { iterations: 8, time: 0, warmupIterations: 1, warmupTime: 0 };

const coldMs = { command: [] as number[], service: [] as number[] };
async function timed(into: number[], run: () => Promise<void>): Promise<void> {
  const started = performance.now();
  await run();
  into.push(performance.now() - started);
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

afterAll(() => {
  if (coldMs.service.length) recordFigure({ key: 'lab_up_ms', value: Math.round(median(coldMs.service)), unit: 'ms', detail: `lab.up() cold in a running engine (new realm: database, principals, keytabs, KDC start, kinit alice), median of ${coldMs.service.length}` });
  if (coldMs.command.length) recordFigure({ key: 'lab_up_cli_ms', value: Math.round(median(coldMs.command)), unit: 'ms', detail: `kbench lab up --json cold, the whole command (a Node process), median of ${coldMs.command.length}` });
});

describe('kbench lab up (whole command, one Node process per run)', () => {
  bench('cold: fresh data dir', () => timed(coldMs.command, () => labUp(freshDataDir())), options);
  bench('warm: already up', () => labUp(warmDataDir), options);
});

describe('lab.up() in a running engine', () => {
  bench('cold: fresh data dir', async () => {
    const lab = service(freshDataDir());
    await timed(coldMs.service, () => lab.up().then(() => undefined));
    lab.dispose();
  }, options);
  bench('warm: already up', async () => {
    await warmService.up();
  }, options);
});
