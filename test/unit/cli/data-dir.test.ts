/**
 * An in-process `kbench` run (runCli, as tests and embedders call it) works in the data directory
 * its own environment names (KBENCH_DATA_DIR in io.env), never in this process's default one.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../main/cli';

describe('runCli and the data directory', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-cli-data-dir-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('takes KBENCH_DATA_DIR from the command\'s environment', async () => {
    let stdout = '';
    const env = { ...process.env, KBENCH_DATA_DIR: path.join(dir, 'data') };
    const code = await runCli(['lab', 'status', '--json'], { stdout: (t) => void (stdout += t), stderr: () => undefined, env, isTty: false });
    expect(code).toBe(0);
    const status = JSON.parse(stdout) as { dir: string };
    expect(status.dir).toBe(path.join(dir, 'data', 'lab', 'BENCH.TEST'));
    expect(process.env.KBENCH_DATA_DIR).not.toBe(env.KBENCH_DATA_DIR);
  });
});
