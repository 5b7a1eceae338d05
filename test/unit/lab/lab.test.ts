import { execFileSync } from 'node:child_process';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportLines, parseOffset } from '../../../main/cli/commands/lab';
import { lastLines, LogFollower } from '../../../main/lab/kdc-log';
import { kdcArguments } from '../../../main/lab/kdc-process';
import { labLayout, labProfile, labShellEnv, staleKeytabPath } from '../../../main/lab/layout';
import { withLock } from '../../../main/lab/lock';
import { principalKind } from '../../../main/lab/principals';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-lab-unit-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('lab layout', () => {
  it('puts a realm under <dataDir>/lab/<REALM> and derives the profile and shell environment from it', () => {
    const layout = labLayout('/data', 'BENCH.TEST');
    expect(layout.dir).toBe('/data/lab/BENCH.TEST');
    expect(layout.lockFile).toBe('/data/lab/.BENCH.TEST.lock');
    expect(labShellEnv(layout)).toEqual({
      KRB5_CONFIG: '/data/lab/BENCH.TEST/krb5.conf',
      KRB5CCNAME: 'FILE:/data/lab/BENCH.TEST/alice.ccache',
      KRB5_KTNAME: 'FILE:/data/lab/BENCH.TEST/service.keytab',
    });
    expect(labProfile(layout)).toMatchObject({ id: 'lab', kind: 'lab', clientKeytab: 'FILE:/data/lab/BENCH.TEST/alice.keytab', rcacheDir: '/data/lab/BENCH.TEST/rcache' });
    expect(staleKeytabPath(layout, 'mqtt/localhost@BENCH.TEST', 2)).toBe('/data/lab/BENCH.TEST/mqtt_localhost.kvno2.keytab');
  });

  it('tells krbtgt, services and users apart', () => {
    expect(principalKind('krbtgt/BENCH.TEST@BENCH.TEST')).toBe('krbtgt');
    expect(principalKind('mqtt/localhost@BENCH.TEST')).toBe('service');
    expect(principalKind('alice@BENCH.TEST')).toBe('user');
    expect(principalKind('a\\/b@BENCH.TEST')).toBe('user');
  });
});

describe('krb5kdc command lines', () => {
  it('reads the pid file and clock offset, and refuses other programs', () => {
    expect(kdcArguments(['/usr/sbin/krb5kdc', '-n', '-r', 'R', '-P', '/d/krb5kdc.pid', '-T', '-600'])).toEqual({ pidFile: '/d/krb5kdc.pid', clockOffsetSeconds: -600 });
    expect(kdcArguments(['krb5kdc', '-n'])).toEqual({ pidFile: null, clockOffsetSeconds: 0 });
    expect(kdcArguments(['/usr/bin/node', 'krb5kdc'])).toBeNull();
    expect(kdcArguments([])).toBeNull();
  });
});

describe('kbench lab helpers', () => {
  it('parses clock offsets with units', () => {
    expect(parseOffset('600')).toBe(600);
    expect(parseOffset('-600')).toBe(-600);
    expect(parseOffset('+10m')).toBe(600);
    expect(parseOffset('-2h')).toBe(-7200);
    expect(parseOffset('1d')).toBe(86400);
    expect(() => parseOffset('soon')).toThrow(/whole seconds/);
    expect(() => parseOffset('99999d')).toThrow(/ten years/);
  });

  it('prints export lines a POSIX shell reads back unchanged', () => {
    const env = { KRB5_CONFIG: "/tmp/it's here/krb5.conf", KRB5CCNAME: 'FILE:/tmp/a b/alice.ccache', KRB5_KTNAME: 'FILE:/plain/service.keytab' };
    const lines = exportLines(env);
    expect(lines).toContain('export KRB5_KTNAME=FILE:/plain/service.keytab\n');
    const echoed = execFileSync('sh', ['-c', `${lines} printf '%s\\n' "$KRB5_CONFIG" "$KRB5CCNAME" "$KRB5_KTNAME"`], { encoding: 'utf8' });
    expect(echoed).toBe(`${env.KRB5_CONFIG}\n${env.KRB5CCNAME}\n${env.KRB5_KTNAME}\n`);
  });
});

describe('KDC log', () => {
  it('returns the last lines and follows appended ones, starting over when the file is recreated', async () => {
    const log = path.join(dir, 'kdc.log');
    await writeFile(log, 'one\ntwo\nthree\n');
    expect(await lastLines(log, 2)).toEqual(['two', 'three']);
    expect(await lastLines(path.join(dir, 'missing.log'), 5)).toEqual([]);

    const seen: string[][] = [];
    const follower = new LogFollower(log, (lines) => seen.push(lines));
    await follower.start();
    await appendFile(log, 'four\nfi');
    await follower.poll();
    await appendFile(log, 've\n');
    await follower.poll();
    expect(seen).toEqual([['four'], ['five']]);
    await writeFile(log, 'new\n'); // smaller: recreated
    await follower.poll();
    expect(seen.at(-1)).toEqual(['new']);
    follower.stop();
    expect(follower.following).toBe(false);
  });
});

describe('realm lock', () => {
  it('runs one change at a time and takes over the lock of a dead process', async () => {
    const lock = path.join(dir, '.R.lock');
    const order: string[] = [];
    const slow = (name: string) => withLock(lock, async () => {
      order.push(`${name} in`);
      await new Promise((r) => setTimeout(r, 20));
      order.push(`${name} out`);
    });
    await Promise.all([slow('a'), slow('b')]);
    expect(order).toEqual(['a in', 'a out', 'b in', 'b out']);

    // A crashed process left its lock behind: pid 2^22 + 1 is beyond any pid_max default.
    await writeFile(lock, String(4_194_305));
    expect(await withLock(lock, async () => (await readFile(lock, 'utf8')).trim())).toBe(String(process.pid));
  });
});
