/**
 * No secret in the process list: while the lab creates its realm (master password), adds a
 * principal with a password and sets another — through the service, and through `kbench` with
 * --password-stdin and KBENCH_PASSWORD — a separate process polls every /proc/PID/cmdline.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BenchEventBus } from '../../main/engine/events';
import { kdcsUnder, stopPid } from '../../main/lab/kdc-process';
import { LabServiceImpl } from '../../main/lab/service';
import { kbenchProcess, runProgram } from '../helpers/cli';
import { watchProcessList } from '../helpers/process-watch';

const MIT_PROGRAMS = '(^|/)(kadmin\\.local|kdb5_util|kinit|krb5kdc)$';

describe('lab secrets stay out of the process list', () => {
  let root: string;
  let dataDir: string;
  let lab: LabServiceImpl;
  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'kbench-secrets-'));
    dataDir = path.join(root, 'data');
    lab = new LabServiceImpl({ dataDir, events: new BenchEventBus() });
  });
  afterAll(async () => {
    await lab?.down({ destroy: true }).catch(() => undefined);
    await lab?.dispose();
    for (const { pid } of await kdcsUnder(root)) await stopPid(pid);
    await rm(root, { recursive: true, force: true });
  });

  it('never shows the master password, principal passwords or KBENCH_PASSWORD on a command line', async () => {
    const secrets = ['Bob-first-S3cret', 'Bob-second-S3cret', 'Carol-stdin-S3cret', 'Carol-env-S3cret'];
    const watch = await watchProcessList(secrets, MIT_PROGRAMS);
    await lab.up();
    await lab.addPrincipal({ name: 'bob', password: secrets[0]! });
    await lab.setPassword({ name: 'bob', password: secrets[1]! });
    const env = { ...process.env, KBENCH_DATA_DIR: dataDir, NO_COLOR: '1' };
    const added = await kbenchProcess(['lab', 'principal', 'add', 'carol', '--password-stdin'], env, { input: secrets[2] });
    expect(added.code, added.stderr).toBe(0);
    const changed = await kbenchProcess(['lab', 'password', 'carol'], { ...env, KBENCH_PASSWORD: secrets[3] });
    expect(changed.code, changed.stderr).toBe(0);
    const report = await watch.stop();

    // alice's password is random: known only now, and looked for in what the watcher saw.
    const alice = (await lab.revealPassword()).password;
    expect(report.leaks).toEqual([]);
    expect(report.seen.flat().join(' ')).not.toContain(alice);

    // The watcher was watching: it saw the realm created and kadmin.local at work, without -P or -pw.
    const kdb5Create = report.seen.filter((argv) => /kdb5_util$/.test(argv[0]!) && argv.includes('create'));
    const kadmin = report.seen.filter((argv) => /kadmin\.local$/.test(argv[0]!));
    expect(kdb5Create.length, JSON.stringify(report.seen)).toBeGreaterThan(0);
    expect(kadmin.length, JSON.stringify(report.seen)).toBeGreaterThan(0);
    for (const argv of [...kdb5Create, ...kadmin]) {
      expect(argv).not.toContain('-P');
      expect(argv).not.toContain('-pw');
      expect(argv).not.toContain('-q');
    }
    expect(report.scans).toBeGreaterThan(20);

    // And the passwords were set: MIT's kinit takes each new one.
    const status = await lab.status();
    const kinit = (principal: string, password: string) =>
      runProgram('kinit', ['-c', `FILE:${path.join(root, `${principal}.ccache`)}`, principal], { ...process.env, ...status.env }, `${password}\n`, 30_000);
    expect((await kinit('bob', secrets[1]!)).code).toBe(0);
    expect((await kinit('carol', secrets[3]!)).code).toBe(0);
  });
});
