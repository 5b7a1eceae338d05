/**
 * `lab.up({ kind: 'ad' })` — the AD lab, a Samba AD DC — against the MIT lab's `lab.up()` measured
 * in the same run:
 *   - MIT, cold (baseline): a new realm — kdb5_util create, the principals and keytabs, krb5kdc
 *     started, alice's TGT,
 *   - AD, warm: the realm removed, its template kept — a copy of the template (cp -a), the paths
 *     and ports rewritten, the DC started, alice's TGT,
 *   - AD, cold: the template removed too — samba-tool domain provision, the cast (alice, svc-mqtt,
 *     svc-http, svc-hz, their SPNs and keys), then the same as warm.
 * Printed afterwards: every up() in ms (the call alone) and the medians' ratios to the MIT
 * baseline; vitest's own table also counts each iteration's reset (the realm before it stopped and
 * removed). No timed assertions.
 *
 * One AD DC runs at a time (LDAP on 127.0.0.1:389): the bench takes the shared AD test lab's lock
 * and stops that DC (the next test that opens it starts it again). Skipped, with the reason, when
 * the AD lab cannot run here (not root, Samba missing, port 389 held by something else).
 */
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import { BenchEventBus } from '../../main/engine/events';
import { kdcsUnder, stopPid } from '../../main/lab/kdc-process';
import { listPids } from '../../main/lab/procfs';
import { dcsUnder } from '../../main/lab/samba/realm';
import { templateDir } from '../../main/lab/samba/template';
import { LabServiceImpl } from '../../main/lab/service';
import { ldapPortHolder } from '../../main/system/ad-lab-check';
import { acquire, AD_SKIP_REASON, AD_TEST_DATA_DIR, release, stopSharedAdLab } from '../helpers/ad-lab';
import { recordFigure } from './figures';

/** Why the bench cannot run here: the helper's reason, or port 389 held by a program that is not the shared test DC. */
async function skipReason(): Promise<string | null> {
  if (AD_SKIP_REASON) return AD_SKIP_REASON;
  const holder = await ldapPortHolder();
  if (holder.state === 'other') return `127.0.0.1:389 is held by ${holder.name ?? 'another program'}${holder.pid ? ` (pid ${holder.pid})` : ''}: one LDAP server at a time`;
  if (holder.state === 'lab' && !path.resolve(holder.dir).startsWith(path.resolve(AD_TEST_DATA_DIR) + path.sep)) {
    return `127.0.0.1:389 is held by the AD lab DC of ${holder.dir} (pid ${holder.pid}): stop it first (kbench lab down --kind ad with its KBENCH_DATA_DIR), or run the bench in its own network namespace (sudo unshare --net sh -c 'ip link set lo up && npm run bench')`;
  }
  return null;
}

const reason = await skipReason();
if (reason) console.log(`\nAD lab benchmark skipped: ${reason}\n`);

const root = mkdtempSync(path.join(os.tmpdir(), 'kbench-ad-bench-'));
const events = new BenchEventBus();
const adDataDir = path.join(root, 'ad');
const ad = new LabServiceImpl({ dataDir: adDataDir, events });
let mitRuns = 0;
const samples: Record<'mit' | 'warm' | 'cold', number[]> = { mit: [], warm: [], cold: [] };
let locked = false;

async function timed(into: number[], up: () => Promise<unknown>): Promise<void> {
  const started = performance.now();
  await up();
  into.push(performance.now() - started);
}

async function mitCold(): Promise<void> {
  const mit = new LabServiceImpl({ dataDir: path.join(root, `mit-${mitRuns++}`), events });
  try {
    await timed(samples.mit, () => mit.up());
    await mit.down({ destroy: true });
  } finally {
    mit.dispose();
  }
}

async function adWarm(): Promise<void> {
  await ad.down({ kind: 'ad', destroy: true });
  await timed(samples.warm, () => ad.up({ kind: 'ad' }));
}

async function adCold(): Promise<void> {
  await ad.down({ kind: 'ad', destroy: true });
  await rm(templateDir(adDataDir, 'AD.TEST'), { recursive: true, force: true });
  await timed(samples.cold, () => ad.up({ kind: 'ad' }));
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

function summary(): void {
  if (!samples.mit.length) return;
  const base = median(samples.mit);
  const rows = [
    ['MIT lab up, cold: new realm (baseline)', samples.mit],
    ['AD lab up, warm: template copy + DC start', samples.warm],
    ['AD lab up, cold: provision the template first', samples.cold],
  ] as const;
  console.log('\nlab up in a running engine, the up() call alone (median; every run in brackets):');
  for (const [name, values] of rows) {
    if (!values.length) continue;
    const m = median(values);
    console.log(`  ${name.padEnd(48)} ${m.toFixed(0).padStart(6)} ms  ${(m / base).toFixed(2).padStart(6)}× MIT  [${values.map((v) => v.toFixed(0)).join(', ')}]`);
  }
  if (samples.warm.length) recordFigure({ key: 'ad_lab_up_ms', value: Math.round(median(samples.warm)), unit: 'ms', detail: `lab.up({ kind: 'ad' }) warm (template copy + DC start), median of ${samples.warm.length}` });
}

beforeAll(async () => {
  if (reason) return;
  await acquire();
  locked = true;
  await stopSharedAdLab(); // frees 389; the next test that opens the shared lab starts it again
  await ad.up({ kind: 'ad' }); // the template, so the first warm run is warm
}, 20 * 60_000);

afterAll(async () => {
  summary();
  await ad.down({ kind: 'ad', destroy: true }).catch(() => undefined);
  ad.dispose();
  for (const { pid } of await dcsUnder(root, await listPids())) await stopPid(pid);
  for (const { pid } of await kdcsUnder(root)) await stopPid(pid);
  await rm(root, { recursive: true, force: true });
  if (locked) await release();
}, 120_000);

describe.skipIf(reason)('lab up: the AD lab (Samba AD DC) against the MIT lab', () => {
  bench('MIT lab up, cold: a new realm (baseline)', mitCold, { iterations: 5, time: 0, warmupIterations: 0, warmupTime: 0 });
  bench('AD lab up, warm: template copy + DC start', adWarm, { iterations: 5, time: 0, warmupIterations: 0, warmupTime: 0 });
  bench('AD lab up, cold: provision the template first', adCold, { iterations: 2, time: 0, warmupIterations: 0, warmupTime: 0 });
});
