import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MitRealm, RealmError } from '../../main/lab/mit/realm';

const exec = promisify(execFile);

/** Is this pid a live krb5kdc? */
function isKdc(pid: number): boolean {
  try {
    return /krb5kdc/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return false;
  }
}

describe('MitRealm', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'kbench-realm-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('creates, starts, issues tickets, stops and destroys', async () => {
    const t0 = performance.now();
    const realm = await MitRealm.create({ dir: path.join(root, 'one') });
    const created = performance.now();
    try {
      expect(realm.realm).toBe('BENCH.TEST');
      expect(realm.port).toBeGreaterThan(0);
      const krb5conf = await readFile(realm.paths.krb5Conf, 'utf8');
      expect(krb5conf).toContain(`kdc = 127.0.0.1:${realm.port}`);
      expect(await readFile(realm.paths.kdcConf, 'utf8')).toMatch(/supported_enctypes = .*aes256-cts-hmac-sha384-192:normal.*arcfour-hmac:normal/);
      expect(realm.env().KRB5_CONFIG).toBe(realm.paths.krb5Conf);
      expect(realm.env().KRB5_KDC_PROFILE).toBe(realm.paths.kdcConf);

      await realm.addPrincipal('alice', { password: 'alice pw with "quotes"' });
      await realm.addPrincipal('mqtt/localhost', { randkey: true }, { enctypes: ['aes256-cts-hmac-sha1-96'] });
      const keytab = path.join(realm.dir, 'mqtt.keytab');
      const added = await realm.ktadd(keytab, 'mqtt/localhost');
      expect(added.length).toBeGreaterThanOrEqual(5); // ktadd re-randomises with every supported enctype
      expect(added[0]).toEqual({ principal: 'mqtt/localhost@BENCH.TEST', kvno: 2, enctype: 'aes256-cts-hmac-sha1-96' });

      const t1 = performance.now();
      await realm.start();
      const started = performance.now();
      console.log(`realm create ${(created - t0).toFixed(0)} ms, start ${(started - t1).toFixed(0)} ms`);
      expect(realm.running).toBe(true);
      const pid = Number(await readFile(realm.paths.pidFile, 'utf8'));
      expect(isKdc(pid)).toBe(true);

      const ccache = await realm.kinit('alice', { password: 'alice pw with "quotes"' }, { ccache: path.join(realm.dir, 'alice.cc'), lifetime: '1h', forwardable: true });
      const { stdout } = await exec('klist', ['-f', '-c', `FILE:${ccache}`], { env: realm.env() });
      expect(stdout).toMatch(/Default principal: alice@BENCH\.TEST/);
      expect(stdout).toMatch(/krbtgt\/BENCH\.TEST@BENCH\.TEST/);
      expect(stdout).toMatch(/Flags: F/);

      const svcCache = await realm.kinit('mqtt/localhost', { keytab });
      expect(existsSync(svcCache)).toBe(true);

      await expect(realm.kinit('alice', { password: 'wrong' })).rejects.toThrow(/Password incorrect/);

      await realm.stop();
      expect(realm.running).toBe(false);
      expect(isKdc(pid)).toBe(false);
      await expect(realm.kinit('alice', { password: 'alice pw with "quotes"' })).rejects.toThrow(/Cannot contact any KDC/);
      await realm.stop(); // idempotent
    } finally {
      await realm.destroy();
    }
    expect(existsSync(realm.dir)).toBe(false);
  });

  it('runs two realms side by side on different ports', async () => {
    const a = await MitRealm.create({ dir: path.join(root, 'a'), realm: 'A.TEST' });
    const b = await MitRealm.create({ dir: path.join(root, 'b'), realm: 'B.TEST' });
    try {
      expect(a.port).not.toBe(b.port);
      await Promise.all([a.addPrincipal('u', { password: 'pa' }), b.addPrincipal('u', { password: 'pb' })]);
      await Promise.all([a.start(), b.start()]);
      await a.kinit('u', { password: 'pa' });
      await b.kinit('u', { password: 'pb' });
      await expect(a.kinit('u', { password: 'pb' })).rejects.toThrow(RealmError);
    } finally {
      await Promise.all([a.destroy(), b.destroy()]);
    }
    expect(existsSync(a.dir) || existsSync(b.dir)).toBe(false);
  });

  it('reports kadmin failures that exit 0 and hides passwords', async () => {
    const realm = await MitRealm.create({ dir: path.join(root, 'errors') });
    try {
      await realm.addPrincipal('bob', { password: 'secret1' });
      const error = await realm.addPrincipal('bob', { password: 'secret2' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RealmError);
      expect((error as Error).message).toMatch(/already exists/);
      expect((error as Error).message).not.toContain('secret2');
      await expect(realm.ktadd(path.join(realm.dir, 'x.kt'), 'nobody')).rejects.toThrow(/does not exist/);
      await expect(realm.ktadd(path.join(realm.dir, 'x.kt'), 'bob', { norandkey: true, enctypes: ['aes256-cts-hmac-sha1-96'] })).rejects.toThrow(/norandkey/);
      await expect(realm.kadmin('bogus_command')).rejects.toThrow(/Unknown request "bogus_command"/);
    } finally {
      await realm.destroy();
    }
  });

  it('fails with the KDC log when the KDC cannot bind its port', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    const port = (blocker.address() as net.AddressInfo).port;
    const realm = await MitRealm.create({ dir: path.join(root, 'busy'), port });
    try {
      const error = await realm.start().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RealmError);
      expect((error as RealmError).code).toBe('kdc-start');
      expect((error as Error).message).toMatch(/Address already in use/);
      expect(realm.running).toBe(false);
    } finally {
      blocker.close();
      await realm.destroy();
    }
  });

  it('names the Debian package of a missing tool', async () => {
    const realm = await MitRealm.create({ dir: path.join(root, 'no-tools') }); // kdb5_util is found in /usr/sbin
    const savedPath = process.env.PATH;
    process.env.PATH = path.join(root, 'empty-bin'); // kinit lives in /usr/bin: now out of reach
    try {
      const error = await realm.kinit('alice', { password: 'x' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RealmError);
      expect(error).toMatchObject({ code: 'tool-missing', message: 'kinit not found: install the Debian package krb5-user (sudo apt-get install -y krb5-user)' });
    } finally {
      process.env.PATH = savedPath;
      await realm.destroy();
    }
  });

  it('starts one KDC when start() is called twice at once', async () => {
    const realm = await MitRealm.create({ dir: path.join(root, 'twice') });
    try {
      await Promise.all([realm.start(), realm.start()]);
      const { stdout } = await exec('pgrep', ['-f', `krb5kdc -n -r BENCH.TEST -P ${realm.paths.pidFile}`]);
      expect(stdout.trim().split('\n')).toHaveLength(1);
    } finally {
      await realm.destroy();
    }
  });

  it('refuses a directory that is not empty', async () => {
    const dir = path.join(root, 'full');
    await MitRealm.create({ dir }).then((r) => r.stop());
    await writeFile(path.join(dir, 'keep.txt'), 'user data');
    await expect(MitRealm.create({ dir })).rejects.toThrow(/not empty/);
    expect(await readFile(path.join(dir, 'keep.txt'), 'utf8')).toBe('user data');
  });
});
