/**
 * Scenario scratch folders: each run gets a fresh one under the data directory; one left by a
 * process killed mid-run (older than any run takes) is removed when the next run starts, a recent
 * one (maybe another process's run in progress) is not.
 */
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { removeScenarioDir, scenarioDir } from '../../../main/diagnose/scenarios';

let data: string;
beforeAll(async () => {
  data = await mkdtemp(path.join(os.tmpdir(), 'kbench-scenario-dir-'));
});
afterAll(() => rm(data, { recursive: true, force: true }));

it('removes scratch folders of runs that never finished, keeps recent ones, and leaves no empty scenarios/ behind', async () => {
  const parent = path.join(data, 'scenarios');
  const killed = path.join(parent, 'tgt-expired-deadbeef');
  const recent = path.join(parent, 'kdc-down-cafebabe');
  for (const dir of [killed, recent]) {
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'short.ccache'), 'x');
  }
  const hourAgo = new Date(Date.now() - 3600_000);
  await utimes(killed, hourAgo, hourAgo);

  const fresh = await scenarioDir(data, 'no-ccache');
  expect((await readdir(parent)).sort()).toEqual([path.basename(recent), path.basename(fresh)].sort());
  expect(path.basename(fresh)).toMatch(/^no-ccache-[0-9a-f]{8}$/);

  await removeScenarioDir(fresh);
  expect(await readdir(parent)).toEqual([path.basename(recent)]); // not empty: scenarios/ stays
  await removeScenarioDir(recent);
  expect(await readdir(data)).toEqual([]); // the last one takes scenarios/ with it
});
