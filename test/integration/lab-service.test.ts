/**
 * The lab realm service on this machine's MIT tools: every operation is checked with MIT's own
 * programs (kinit, klist, kvno, kadmin.local), never with the service's own view alone.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabStatus } from '../../main/api/lab';
import type { BenchEvent } from '../../main/api/events';
import { BenchEventBus } from '../../main/engine/events';
import { parseCcache } from '../../main/krb/ccache';
import { kdcsUnder, spawnDetachedKdc, stopPid } from '../../main/lab/kdc-process';
import { MitRealm } from '../../main/lab/mit/realm';
import { LabServiceImpl } from '../../main/lab/service';
import { kbenchProcess, runProgram } from '../helpers/cli';

/** Runs a program (never throws): the lab's own MIT tools as the oracle. */
const run = (file: string, args: string[], options: { env?: NodeJS.ProcessEnv; input?: string } = {}) => runProgram(file, args, options.env ?? process.env, options.input ?? '', 30_000);

const KADMIN = existsSync('/usr/sbin/kadmin.local') ? '/usr/sbin/kadmin.local' : 'kadmin.local';

/** The environment a shell gets from `kbench lab up --env`, plus what kadmin.local needs. */
function shellEnv(status: LabStatus, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...status.env, KRB5_KDC_PROFILE: path.join(status.dir, 'kdc.conf'), ...extra };
  delete env.KRB5_CLIENT_KTNAME;
  delete env.KRB5_TRACE;
  return env;
}

function isKdc(pid: number | null): boolean {
  if (!pid) return false;
  try {
    return /krb5kdc/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return false;
  }
}

function kdcArgv(pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0$/, '').split('\0');
}

const kbenchBin = path.resolve('bin/kbench.js');
const kbench = (args: string[], dataDir: string) => kbenchProcess(args, { ...process.env, KBENCH_DATA_DIR: dataDir, NO_COLOR: '1' }, { timeoutMs: 30_000 });

describe('lab realm service', () => {
  let root: string;
  let dataDir: string;
  let lab: LabServiceImpl;
  const events: BenchEvent[] = [];
  let status: LabStatus;
  let password: string;
  let coldMs: number;

  /** kinit alice into a fresh ccache (so no cached service ticket hides a new kvno). */
  async function freshAliceCcache(name: string): Promise<string> {
    const ccache = path.join(root, `${name}.ccache`);
    await rm(ccache, { force: true });
    const kinit = await run('kinit', ['-c', `FILE:${ccache}`, `alice@${status.realm}`], { env: shellEnv(status), input: `${password}\n` });
    expect(kinit.code, kinit.stderr).toBe(0);
    return ccache;
  }
  const getprinc = async (name: string) => (await run(KADMIN, ['-r', status.realm, '-q', `getprinc ${name}`], { env: shellEnv(status) })).stdout;

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'kbench-lab-service-'));
    dataDir = path.join(root, 'data');
    const bus = new BenchEventBus();
    bus.subscribe((event) => events.push(event));
    lab = new LabServiceImpl({ dataDir, events: bus });
  });

  afterAll(async () => {
    lab?.dispose();
    // Whatever a failed test left: no krb5kdc of ours survives the file.
    for (const { pid } of await kdcsUnder(root)) await stopPid(pid);
    await rm(root, { recursive: true, force: true });
  });

  it('comes up cold: realm, principals, keytabs, alice\'s TGT, a running KDC', async () => {
    const t0 = performance.now();
    const up = await lab.up();
    coldMs = performance.now() - t0;
    console.log(`lab up cold: ${coldMs.toFixed(0)} ms (service says ${up.elapsedMs} ms)`);
    status = up;
    expect(up).toMatchObject({ realm: 'BENCH.TEST', state: 'running', created: true, started: true, ticketRefreshed: true });
    expect(up.dir).toBe(path.join(dataDir, 'lab', 'BENCH.TEST'));
    expect(isKdc(up.pid)).toBe(true);
    expect(up.kdc).toBe(`127.0.0.1:${up.port}`);
    expect(readFileSync(up.krb5Conf, 'utf8')).toContain(`kdc = 127.0.0.1:${up.port}`);
    expect(up.env).toEqual({ KRB5_CONFIG: up.krb5Conf, KRB5CCNAME: `FILE:${up.ccache.path}`, KRB5_KTNAME: `FILE:${up.keytabs.service}` });

    const byName = Object.fromEntries(up.principals.map((p) => [p.name, p]));
    expect(Object.keys(byName).sort()).toEqual(['HTTP/localhost@BENCH.TEST', 'alice@BENCH.TEST', 'hz/127.0.0.1@BENCH.TEST', 'krbtgt/BENCH.TEST@BENCH.TEST', 'mqtt/localhost@BENCH.TEST']);
    expect(byName['alice@BENCH.TEST']).toMatchObject({ kind: 'user', kvno: 1, hasPassword: true, inServiceKeytab: false, flags: { requiresPreauth: true, allowTix: true } });
    expect(byName['krbtgt/BENCH.TEST@BENCH.TEST']).toMatchObject({ kind: 'krbtgt' });
    for (const service of ['mqtt/localhost', 'HTTP/localhost', 'hz/127.0.0.1']) {
      expect(byName[`${service}@BENCH.TEST`]).toMatchObject({ kind: 'service', kvno: 2, inServiceKeytab: true });
      expect(byName[`${service}@BENCH.TEST`]!.enctypes).toContain('aes256-cts-hmac-sha1-96');
    }

    // MIT's view of the same things.
    const serviceKeytab = await run('klist', ['-kte', up.keytabs.service]);
    for (const service of ['mqtt/localhost', 'HTTP/localhost', 'hz/127.0.0.1']) expect(serviceKeytab.stdout).toMatch(new RegExp(`^ +2 .* ${service.replace(/[./]/g, '\\$&')}@BENCH\\.TEST \\(aes256-cts-hmac-sha1-96\\)`, 'm'));
    expect((await run('klist', ['-kte', up.keytabs.client])).stdout).toMatch(/^ +1 .* alice@BENCH\.TEST \(aes256-cts-hmac-sha1-96\)/m);
    const klist = await run('klist', [], { env: shellEnv(up) });
    expect(klist.stdout).toContain('Default principal: alice@BENCH.TEST');
    expect(klist.stdout).toContain('krbtgt/BENCH.TEST@BENCH.TEST');
    expect(up.ccache.tgtExpires).not.toBeNull();
    expect(new Date(up.ccache.tgtExpires!).getTime()).toBeGreaterThan(Date.now() + 9 * 3600_000);

    // alice's password: random, 0600 on disk, in no status, only from revealPassword().
    password = (await lab.revealPassword()).password;
    expect(password.length).toBeGreaterThanOrEqual(20);
    expect(statSync(path.join(up.dir, 'passwords.json')).mode & 0o777).toBe(0o600);
    expect(JSON.stringify(up)).not.toContain(password);
    expect(JSON.stringify(events)).not.toContain(password);
    const kinit = await run('kinit', ['-c', `FILE:${path.join(root, 'pw.ccache')}`, 'alice'], { env: shellEnv(up), input: `${password}\n` });
    expect(kinit.code, kinit.stderr).toBe(0);
    expect((await run('kinit', ['-k', '-t', up.keytabs.client, '-c', `FILE:${path.join(root, 'kt.ccache')}`, 'alice'], { env: shellEnv(up) })).code).toBe(0);
    // The acceptor side: a ticket for each service decrypts with the service keytab.
    const kvno = await run('kvno', ['-k', up.keytabs.service, 'mqtt/localhost', 'HTTP/localhost', 'hz/127.0.0.1'], { env: shellEnv(up) });
    expect(kvno.code, kvno.stderr).toBe(0);
    expect(kvno.stdout.match(/kvno = 2, keytab entry valid/g)).toHaveLength(3);
  });

  it('comes up again idempotently and fast', async () => {
    const t0 = performance.now();
    const again = await lab.up();
    const warmMs = performance.now() - t0;
    console.log(`lab up warm: ${warmMs.toFixed(0)} ms (cold was ${coldMs.toFixed(0)} ms)`);
    expect(again).toMatchObject({ created: false, started: false, ticketRefreshed: false, pid: status.pid, port: status.port, notes: [] });
    expect(warmMs).toBeLessThan(coldMs);
    expect((await lab.status()).principals).toEqual(status.principals);
  });

  it('streams new KDC log lines as lab.kdcLog events and tails the log', async () => {
    events.length = 0;
    await freshAliceCcache('log');
    const deadline = Date.now() + 5000;
    let lines: string[] = [];
    while (Date.now() < deadline) {
      lines = events.flatMap((e) => (e.name === 'lab.kdcLog' ? e.payload.lines : []));
      if (lines.some((l) => /AS_REQ .*ISSUE.* alice@BENCH\.TEST for krbtgt\/BENCH\.TEST@BENCH\.TEST/.test(l))) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(lines.some((l) => /AS_REQ .*ISSUE.* alice@BENCH\.TEST for krbtgt/.test(l))).toBe(true);
    expect(events.every((e) => e.name !== 'lab.kdcLog' || e.payload.realm === 'BENCH.TEST')).toBe(true);
    const log = await lab.log({ lines: 5 });
    expect(log.lines).toHaveLength(5);
    expect(log.lines.join('\n')).toMatch(/AS_REQ/);
    expect(log.path).toBe(path.join(status.dir, 'kdc.log'));
  });

  it('escapes what a client put in the KDC log: a principal name cannot drive the terminal of whoever reads it', async () => {
    events.length = 0;
    const hostile = 'mallory\r\u001b[2J\u001b]0;owned\u0007';
    await run('kinit', ['-c', `FILE:${path.join(root, 'mallory.ccache')}`, hostile], { env: shellEnv(status), input: 'x\n' });
    const mentions = (lines: string[]) => lines.filter((l) => l.includes('mallory'));
    await expect.poll(() => mentions(events.flatMap((e) => (e.name === 'lab.kdcLog' ? e.payload.lines : []))).length, { timeout: 5000 }).toBeGreaterThan(0);
    const raw = (await readFile(path.join(status.dir, 'kdc.log'), 'latin1')).split('\n').filter((l) => l.includes('mallory'));
    expect(raw.join('\n')).toContain('\u001b[2J'); // MIT writes the escape sequence as the client sent it
    const tailed = mentions((await lab.log({ lines: 20 })).lines);
    const streamed = mentions(events.flatMap((e) => (e.name === 'lab.kdcLog' ? e.payload.lines : [])));
    for (const line of [...tailed, ...streamed]) {
      expect(line).toContain('mallory\\r\\x1b[2J\\x1b]0;owned\\x07@BENCH.TEST');
      // eslint-disable-next-line no-control-regex -- no raw control character may reach a reader
      expect(line).not.toMatch(/[\u0000-\u001f\u007f]/);
    }
    expect(tailed.length).toBe(raw.length);
  });

  it('rotates a service key, keeps the old keytab, and the KDC issues the new kvno', async () => {
    const rotation = await lab.rotateKey({ name: 'mqtt/localhost' });
    expect(rotation).toMatchObject({ principal: 'mqtt/localhost@BENCH.TEST', oldKvno: 2, newKvno: 3 });
    const stale = rotation.staleKeytab!;
    expect(stale).toBe(path.join(status.dir, 'mqtt_localhost.kvno2.keytab'));
    expect(rotation.status.principals.find((p) => p.name === 'mqtt/localhost@BENCH.TEST')?.kvno).toBe(3);
    expect(rotation.status.staleKeytabs).toEqual([{ path: stale, principal: 'mqtt/localhost@BENCH.TEST', kvno: 2 }]);

    const ccache = await freshAliceCcache('rotate');
    const env = shellEnv(status, { KRB5CCNAME: `FILE:${ccache}` });
    const current = await run('kvno', ['-k', status.keytabs.service, 'mqtt/localhost'], { env });
    expect(current.stdout).toContain('mqtt/localhost@BENCH.TEST: kvno = 3, keytab entry valid');
    const old = await run('kvno', ['-k', stale, 'mqtt/localhost'], { env });
    expect(old.code).not.toBe(0);
    expect(old.stdout + old.stderr).toContain('kvno = 3, keytab entry invalid');
    const staleList = (await run('klist', ['-kt', stale])).stdout;
    expect(staleList).toMatch(/^ +2 .* mqtt\/localhost@BENCH\.TEST$/m);
    expect(staleList).not.toMatch(/^ +3 .* mqtt\/localhost/m);

    // krbtgt rolls over keeping its old keys: alice's existing TGT still works.
    const tgt = await lab.rotateKey({ name: 'krbtgt/BENCH.TEST' });
    expect(tgt).toMatchObject({ oldKvno: 1, newKvno: 2, staleKeytab: null });
    expect((await run('kvno', ['HTTP/localhost'], { env })).code).toBe(0);
    await expect(lab.rotateKey({ name: 'alice' })).rejects.toThrow(/user with a password/);
    await expect(lab.rotateKey({ name: 'nobody/here' })).rejects.toThrow(/no principal nobody\/here@BENCH\.TEST/);
  });

  it('sets requires_preauth and allow_tix as kadmin shows them', async () => {
    let next = await lab.setFlags({ name: 'alice', requiresPreauth: false, allowTix: false });
    expect(next.principals.find((p) => p.name === 'alice@BENCH.TEST')?.flags).toEqual({ requiresPreauth: false, allowTix: false });
    let attributes = /^Attributes:(.*)$/m.exec(await getprinc('alice'))?.[1] ?? '';
    expect(attributes).toContain('DISALLOW_ALL_TIX');
    expect(attributes).not.toContain('REQUIRES_PRE_AUTH');
    const refused = await run('kinit', ['-c', `FILE:${path.join(root, 'refused.ccache')}`, 'alice'], { env: shellEnv(status), input: `${password}\n` });
    expect(refused.stderr).toMatch(/credentials have been revoked/);

    next = await lab.setFlags({ name: 'alice@BENCH.TEST', requiresPreauth: true, allowTix: true });
    expect(next.principals.find((p) => p.name === 'alice@BENCH.TEST')?.flags).toEqual({ requiresPreauth: true, allowTix: true });
    attributes = /^Attributes:(.*)$/m.exec(await getprinc('alice'))?.[1] ?? '';
    expect(attributes.trim()).toBe('REQUIRES_PRE_AUTH');
    await expect(lab.setFlags({ name: 'alice' })).rejects.toThrow(/no flag to change/);
  });

  it('expires a principal or its password an hour ago, and back to never, as kadmin shows them', async () => {
    await lab.setFlags({ name: 'alice', expired: true, passwordExpired: true });
    let info = await getprinc('alice');
    const past = (label: string) => Date.parse(new RegExp(`^${label}: (.*)$`, 'm').exec(info)?.[1] ?? '');
    expect(Date.now() - past('Expiration date')).toBeGreaterThan(30 * 60_000);
    expect(Date.now() - past('Password expiration date')).toBeGreaterThan(30 * 60_000);
    await lab.setFlags({ name: 'alice', expired: false, passwordExpired: false });
    info = await getprinc('alice');
    expect(info).toMatch(/^Expiration date: \[never\]$/m);
    expect(info).toMatch(/^Password expiration date: \[never\]$/m);
  });

  it('adds, re-keys and removes principals; the keytabs follow', async () => {
    let next = await lab.addPrincipal({ name: 'bob', password: 'bob-pw-1' });
    expect(next.principals.find((p) => p.name === 'bob@BENCH.TEST')).toMatchObject({ kind: 'user', kvno: 1, hasPassword: true });
    expect((await run('kinit', ['-c', `FILE:${path.join(root, 'bob.ccache')}`, 'bob'], { env: shellEnv(status), input: 'bob-pw-1\n' })).code).toBe(0);
    expect(await lab.revealPassword({ name: 'bob' })).toEqual({ principal: 'bob@BENCH.TEST', password: 'bob-pw-1' });

    next = await lab.setPassword({ name: 'bob', password: 'bob-pw-2' });
    expect(next.principals.find((p) => p.name === 'bob@BENCH.TEST')?.kvno).toBe(2);
    expect((await run('kinit', ['-c', `FILE:${path.join(root, 'bob.ccache')}`, 'bob'], { env: shellEnv(status), input: 'bob-pw-1\n' })).stderr).toMatch(/Password incorrect/);
    expect((await run('kinit', ['-c', `FILE:${path.join(root, 'bob.ccache')}`, 'bob'], { env: shellEnv(status), input: 'bob-pw-2\n' })).code).toBe(0);

    next = await lab.addPrincipal({ name: 'svc/extra', random: true });
    expect(next.principals.find((p) => p.name === 'svc/extra@BENCH.TEST')).toMatchObject({ kind: 'service', kvno: 2, inServiceKeytab: true, hasPassword: false });
    const ccache = await freshAliceCcache('extra');
    expect((await run('kvno', ['-k', status.keytabs.service, 'svc/extra'], { env: shellEnv(status, { KRB5CCNAME: `FILE:${ccache}` }) })).stdout).toContain('kvno = 2, keytab entry valid');

    next = await lab.removePrincipal({ name: 'svc/extra' });
    expect(next.principals.some((p) => p.name === 'svc/extra@BENCH.TEST')).toBe(false);
    expect(await getprinc('svc/extra')).not.toContain('Principal: svc/extra');
    expect((await run('klist', ['-kt', status.keytabs.service])).stdout).not.toContain('svc/extra');
    await lab.removePrincipal({ name: 'bob' });
    await expect(lab.removePrincipal({ name: 'krbtgt/BENCH.TEST' })).rejects.toThrow(/realm's own key/);
    await expect(lab.addPrincipal({ name: 'carol@OTHER.REALM', password: 'x' })).rejects.toThrow(/not in the lab realm/);

    // alice's new password: her client keytab is exported again and still works with kinit -kt.
    await lab.setPassword({ name: 'alice', password: 'alice-new-pw' });
    password = 'alice-new-pw';
    expect((await lab.revealPassword()).password).toBe('alice-new-pw');
    expect((await run('klist', ['-kt', status.keytabs.client])).stdout).toMatch(/^ +2 .* alice@BENCH\.TEST$/m);
    expect((await run('kinit', ['-k', '-t', status.keytabs.client, '-c', `FILE:${path.join(root, 'kt2.ccache')}`, 'alice'], { env: shellEnv(status) })).code).toBe(0);
  });

  it('exports keytabs with chosen enctypes, with or without new keys', async () => {
    const out = path.join(root, 'export', 'partial.keytab');
    const exported = await lab.exportKeytab({ path: out, principals: ['mqtt/localhost', 'alice'], enctypes: ['aes128-cts-hmac-sha1-96', 'arcfour-hmac'] });
    expect(exported.entries).toEqual([
      { principal: 'mqtt/localhost@BENCH.TEST', kvno: 3, enctype: 'aes128-cts-hmac-sha1-96' },
      { principal: 'mqtt/localhost@BENCH.TEST', kvno: 3, enctype: 'arcfour-hmac' },
      { principal: 'alice@BENCH.TEST', kvno: 2, enctype: 'aes128-cts-hmac-sha1-96' },
      { principal: 'alice@BENCH.TEST', kvno: 2, enctype: 'arcfour-hmac' },
    ]);
    const listed = (await run('klist', ['-kte', out])).stdout.split('\n').filter((l) => /@BENCH/.test(l));
    expect(listed.map((l) => l.replace(/^\s*(\d+) \S+ \S+ /, '$1 ').trim())).toEqual([
      '3 mqtt/localhost@BENCH.TEST (aes128-cts-hmac-sha1-96)',
      '3 mqtt/localhost@BENCH.TEST (DEPRECATED:arcfour-hmac)',
      '2 alice@BENCH.TEST (aes128-cts-hmac-sha1-96)',
      '2 alice@BENCH.TEST (DEPRECATED:arcfour-hmac)',
    ]);
    // Nothing changed in the realm: alice still gets in with the exported keys.
    expect((await lab.status()).principals.find((p) => p.name === 'mqtt/localhost@BENCH.TEST')?.kvno).toBe(3);
    expect((await run('kinit', ['-k', '-t', out, '-c', `FILE:${path.join(root, 'partial.ccache')}`, 'alice'], { env: shellEnv(status) })).code).toBe(0);

    // New keys of one enctype only: the KDC now issues aes256-sha2 tickets, the service keytab has them.
    const sha2 = path.join(root, 'export', 'sha2.keytab');
    const fresh = await lab.exportKeytab({ path: sha2, principals: ['HTTP/localhost'], enctypes: ['aes256-cts-hmac-sha384-192'], newKeys: true });
    expect(fresh.entries).toEqual([{ principal: 'HTTP/localhost@BENCH.TEST', kvno: 3, enctype: 'aes256-cts-hmac-sha384-192' }]);
    expect((await run('klist', ['-kte', sha2])).stdout).toMatch(/^ +3 .* HTTP\/localhost@BENCH\.TEST \(aes256-cts-hmac-sha384-192\) *$/m);
    const http = (await lab.status()).principals.find((p) => p.name === 'HTTP/localhost@BENCH.TEST');
    expect(http).toMatchObject({ kvno: 3, enctypes: ['aes256-cts-hmac-sha384-192'] });
    const ccache = await freshAliceCcache('sha2');
    const env = shellEnv(status, { KRB5CCNAME: `FILE:${ccache}` });
    expect((await run('kvno', ['-k', status.keytabs.service, 'HTTP/localhost'], { env })).stdout).toContain('kvno = 3, keytab entry valid');
    expect((await run('klist', ['-e'], { env })).stdout).toMatch(/HTTP\/localhost@BENCH\.TEST\n.*Etype \(skey, tkt\): [^,]+, aes256-cts-hmac-sha384-192/);

    await expect(lab.exportKeytab({ path: sha2, principals: ['HTTP/localhost'], enctypes: ['arcfour-hmac'] })).rejects.toThrow(/has no arcfour-hmac key \(it has aes256-cts-hmac-sha384-192\)/);
    await expect(lab.exportKeytab({ path: sha2, principals: ['alice'], newKeys: true })).rejects.toThrow(/user with a password/);
    await expect(lab.exportKeytab({ path: sha2, principals: ['alice'], enctypes: ['des-nonsense'] })).rejects.toThrow(/unknown enctype/);

    // A file that is not a keytab is not replaced — and no new keys are made for a save that cannot happen.
    const notes = path.join(root, 'export', 'notes.sh');
    await writeFile(notes, '#!/bin/sh\necho keep me\n', { mode: 0o755 });
    await expect(lab.exportKeytab({ path: notes, principals: ['HTTP/localhost'], newKeys: true })).rejects.toThrow(`${notes} exists and is not a keytab`);
    expect(await readFile(notes, 'utf8')).toBe('#!/bin/sh\necho keep me\n');
    expect((await lab.status()).principals.find((p) => p.name === 'HTTP/localhost@BENCH.TEST')?.kvno).toBe(3);
    await lab.exportKeytab({ path: notes, principals: ['HTTP/localhost'], replace: true });
    expect(statSync(notes).mode & 0o777).toBe(0o600);
    expect((await run('klist', ['-kte', notes])).stdout).toMatch(/HTTP\/localhost@BENCH\.TEST/);
  });

  it('shifts the KDC clock (krb5kdc -T): kinit adopts the KDC time, klist shows shifted tickets', async () => {
    const before = await lab.status();
    const shifted = await lab.setClockOffset({ seconds: 3600 });
    expect(shifted).toMatchObject({ state: 'running', clockOffsetSeconds: 3600 });
    expect(shifted.pid).not.toBe(before.pid);
    const argv = kdcArgv(shifted.pid!);
    expect(argv.slice(argv.indexOf('-T'), argv.indexOf('-T') + 2)).toEqual(['-T', '3600']);

    // MIT 1.20: the client learns the KDC's time from the preauth-required error, so kinit works;
    // the ccache records the offset and its tickets start an hour "from now".
    const ccache = await freshAliceCcache('shifted');
    const parsed = parseCcache(await readFile(ccache)).ccache;
    expect(Math.abs((parsed.kdcTimeOffset?.seconds ?? 0) - 3600)).toBeLessThanOrEqual(2);
    const tgt = parsed.credentials.find((c) => c.server.components[0] === 'krbtgt')!;
    expect(Math.abs(tgt.authtime - (Date.now() / 1000 + 3600))).toBeLessThan(30);
    // The lab's own ccache was renewed against the new clock too.
    expect(new Date(shifted.ccache.tgtExpires!).getTime()).toBeGreaterThan(Date.now() + 10 * 3600_000);
    const klist = await run('klist', ['-c', `FILE:${ccache}`], { env: shellEnv(status) });
    const start = /^(\S+ \S+)\s+\S+ \S+\s+krbtgt/m.exec(klist.stdout)?.[1];
    const [m, d, y, hh, mm, ss] = start!.split(/[/ :]/).map(Number) as [number, number, number, number, number, number];
    const shown = new Date(2000 + y, m - 1, d, hh, mm, ss).getTime();
    expect(Math.abs(shown - (Date.now() + 3600_000))).toBeLessThan(60_000);
    // A TGT from a KDC an hour ahead is "not yet valid" for the KDC back on real time.
    await lab.setClockOffset({ seconds: 0 });
    const early = await run('kvno', ['-c', `FILE:${ccache}`, 'mqtt/localhost'], { env: shellEnv(status) });
    expect(early.stderr).toMatch(/Ticket not yet valid/);

    const back = await lab.status();
    expect(back.clockOffsetSeconds).toBe(0);
    expect(kdcArgv(back.pid!)).not.toContain('-T');
  });

  it('stops and starts only the KDC', async () => {
    const stopped = await lab.stopKdc();
    expect(stopped).toMatchObject({ state: 'stopped', pid: null, uptimeSeconds: null });
    expect(existsSync(path.join(status.dir, 'krb5kdc.pid'))).toBe(false);
    const refused = await run('kinit', ['-c', `FILE:${path.join(root, 'down.ccache')}`, 'alice'], { env: shellEnv(status), input: `${password}\n` });
    expect(refused.stderr).toMatch(/Cannot contact any KDC for realm 'BENCH\.TEST'/);
    await expect(lab.refreshTicket()).rejects.toThrow(/KDC of BENCH\.TEST is stopped/);
    const started = await lab.startKdc();
    expect(started.state).toBe('running');
    expect(isKdc(started.pid)).toBe(true);
    await freshAliceCcache('restarted');
  });

  it('recovers from a stale pid file (the KDC crashed, or the pid is now another program)', async () => {
    const running = await lab.status();
    process.kill(running.pid!, 'SIGKILL');
    await waitFor(() => !isKdc(running.pid));
    expect((await lab.status()).state).toBe('stopped');
    let up = await lab.up();
    expect(up).toMatchObject({ state: 'running', started: true, created: false });
    expect(up.notes.join('\n')).toMatch(/stale pid file/);
    expect(up.pid).not.toBe(running.pid);

    // A recycled pid: the pid file names a live process that is not our KDC.
    await lab.stopKdc();
    await writeFile(path.join(status.dir, 'krb5kdc.pid'), `${process.pid}\n`);
    expect((await lab.status()).state).toBe('stopped');
    up = await lab.up();
    expect(up.state).toBe('running');
    expect(isKdc(up.pid)).toBe(true);
    await freshAliceCcache('after-stale');
  });

  it('moves the KDC to a free port when its port was taken meanwhile', async () => {
    const before = await lab.stopKdc();
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(before.port!, '127.0.0.1', () => resolve()));
    try {
      const up = await lab.up();
      expect(up.state).toBe('running');
      expect(up.port).not.toBe(before.port);
      expect(up.notes.join('\n')).toContain(`port ${before.port} was taken`);
      expect(readFileSync(up.krb5Conf, 'utf8')).toContain(`kdc = 127.0.0.1:${up.port}`);
      expect(readFileSync(path.join(up.dir, 'kdc.conf'), 'utf8')).toContain(`kdc_listen = 127.0.0.1:${up.port}`);
      await freshAliceCcache('moved');
      status = up;
    } finally {
      squatter.close();
    }
  });

  it('cleans up orphaned KDCs and temporary realms of dead processes, spares live ones', async () => {
    // A temporary realm of a live process (this one)…
    const live = await lab.up({ realm: 'TMP-LIVE.TEST' });
    // …one made by a process that has exited (the CLI; its own up() spares TMP-LIVE)…
    const cli = await kbench(['lab', 'up', '--realm', 'TMP-GONE.TEST', '--json'], dataDir);
    expect(cli.code, cli.stderr).toBe(0);
    const gone = await lab.status({ realm: 'TMP-GONE.TEST' });
    expect(gone.state).toBe('running');
    expect((await lab.status({ realm: 'TMP-LIVE.TEST' })).state).toBe('running');
    // …and an orphan: a KDC whose realm directory was deleted under it.
    const orphanRealm = await MitRealm.create({ dir: path.join(dataDir, 'lab', 'ORPHAN.TEST'), realm: 'ORPHAN.TEST' });
    const orphan = await spawnDetachedKdc(orphanRealm);
    expect(isKdc(orphan.pid)).toBe(true);
    await rm(orphanRealm.dir, { recursive: true, force: true });

    const up = await lab.up();
    const notes = up.notes.join('\n');
    expect(notes).toContain(`stopped orphaned krb5kdc ${orphan.pid}`);
    expect(notes).toContain('removed temporary realm TMP-GONE.TEST');
    expect(notes).not.toContain('TMP-LIVE');
    await waitFor(() => !isKdc(orphan.pid) && !isKdc(gone.pid));
    expect(existsSync(gone.dir)).toBe(false);
    expect((await lab.status({ realm: 'TMP-LIVE.TEST' })).state).toBe('running');
    expect(up.pid).toBe(status.pid); // the realm itself was left alone
    await lab.down({ realm: 'TMP-LIVE.TEST', destroy: true });
    expect(isKdc(live.pid)).toBe(false);
  });

  it('gives the Kerberos profile other services use', async () => {
    expect(await lab.profile()).toEqual({
      id: 'lab',
      name: 'Lab realm BENCH.TEST',
      kind: 'lab',
      krb5Config: status.krb5Conf,
      ccache: `FILE:${status.ccache.path}`,
      keytab: `FILE:${status.keytabs.service}`,
      clientKeytab: `FILE:${status.keytabs.client}`,
      rcacheDir: path.join(status.dir, 'rcache'),
    });
  });

  it('goes down, then is destroyed', async () => {
    const pid = (await lab.status()).pid;
    const down = await lab.down();
    expect(down.state).toBe('stopped');
    expect(isKdc(pid)).toBe(false);
    expect(existsSync(down.dir)).toBe(true);
    const destroyed = await lab.down({ destroy: true });
    expect(destroyed).toMatchObject({ state: 'absent', principals: [], pid: null });
    expect(existsSync(destroyed.dir)).toBe(false);
    await expect(lab.rotateKey({ name: 'mqtt/localhost' })).rejects.toThrow(/does not exist: bring it up first \(kbench lab up\)/);
    expect(await kdcsUnder(dataDir)).toEqual([]);
  });

  it('names the Debian package when an MIT tool is missing, and leaves no KDC behind', async () => {
    const savedPath = process.env.PATH;
    process.env.PATH = path.join(root, 'empty-bin'); // kinit (krb5-user, /usr/bin) out of reach; the sbin tools are still found
    try {
      await expect(lab.up({ realm: 'NOTOOLS.TEST' })).rejects.toThrow('kinit not found: install the Debian package krb5-user (sudo apt-get install -y krb5-user)');
    } finally {
      process.env.PATH = savedPath;
    }
    expect((await kdcsUnder(dataDir)).filter((k) => k.pidFile.includes('NOTOOLS'))).toEqual([]);
    await lab.down({ realm: 'NOTOOLS.TEST', destroy: true });
  });
});

describe('kbench lab (the CLI, as separate processes)', () => {
  let root: string;
  let dataDir: string;

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'kbench-lab-cli-'));
    dataDir = path.join(root, 'data');
  });
  afterAll(async () => {
    await kbench(['lab', 'down', '--destroy'], dataDir);
    for (const { pid } of await kdcsUnder(root)) await stopPid(pid);
    await rm(root, { recursive: true, force: true });
  });

  it('lab up --json: the contract, and a KDC that outlives the command', async () => {
    const t0 = performance.now();
    const up = await kbench(['lab', 'up', '--json'], dataDir);
    console.log(`kbench lab up (cold, whole process): ${(performance.now() - t0).toFixed(0)} ms`);
    expect(up.code, up.stderr).toBe(0);
    const result = JSON.parse(up.stdout) as Record<string, unknown>;
    expect(Object.keys(result)).toEqual(['realm', 'kind', 'kdc', 'krb5Conf', 'principals', 'keytabs', 'env']);
    const dir = path.join(dataDir, 'lab', 'BENCH.TEST');
    expect(result).toMatchObject({
      realm: 'BENCH.TEST',
      kind: 'mit',
      kdc: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
      krb5Conf: path.join(dir, 'krb5.conf'),
      keytabs: { service: path.join(dir, 'service.keytab'), client: path.join(dir, 'alice.keytab') },
      env: { KRB5_CONFIG: path.join(dir, 'krb5.conf'), KRB5CCNAME: `FILE:${path.join(dir, 'alice.ccache')}`, KRB5_KTNAME: `FILE:${path.join(dir, 'service.keytab')}` },
    });
    expect(Object.keys(result.env as object)).toEqual(['KRB5_CONFIG', 'KRB5CCNAME', 'KRB5_KTNAME']);
    expect((result.principals as { name: string }[]).map((p) => p.name)).toContain('mqtt/localhost@BENCH.TEST');

    // The command has exited; its KDC serves a shell that took the exported environment.
    const env = { ...process.env, ...(result.env as Record<string, string>) };
    expect((await run('klist', [], { env })).stdout).toContain('Default principal: alice@BENCH.TEST');
    const kvno = await run('kvno', ['mqtt/localhost'], { env });
    expect(kvno.code, kvno.stderr).toBe(0);
    const kinit = await run('kinit', ['-k', '-t', path.join(dir, 'alice.keytab'), 'alice'], { env });
    expect(kinit.code, kinit.stderr).toBe(0);

    const status = await kbench(['lab', 'status', '--json'], dataDir);
    expect(status.code).toBe(0);
    const parsed = JSON.parse(status.stdout) as LabStatus;
    expect(parsed.state).toBe('running');
    expect(parsed.kdc).toBe(result.kdc);
    expect(isKdc(parsed.pid)).toBe(true);
    expect(status.stdout).not.toContain((await kbench(['lab', 'password', 'alice', '--show'], dataDir)).stdout.trim());
  });

  it('lab up again: already up; --env prints export lines a shell can eval', async () => {
    const again = await kbench(['lab', 'up'], dataDir);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^Lab realm BENCH\.TEST already up in \d+ ms: KDC 127\.0\.0\.1:\d+, pid \d+$/m);
    const env = await kbench(['lab', 'up', '--env'], dataDir);
    expect(env.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(/^export KRB5_CONFIG=\S+krb5\.conf$/),
      expect.stringMatching(/^export KRB5CCNAME=FILE:\S+alice\.ccache$/),
      expect.stringMatching(/^export KRB5_KTNAME=FILE:\S+service\.keytab$/),
    ]);
    const shell = await run('bash', ['-c', `eval "$(${process.execPath} ${kbenchBin} lab up --env)" && klist -s && kvno HTTP/localhost`], {
      env: { ...process.env, KBENCH_DATA_DIR: dataDir },
    });
    expect(shell.code, shell.stderr).toBe(0);
    expect(shell.stdout).toContain('HTTP/localhost@BENCH.TEST: kvno = 2');
  });

  it('principal, password, export-keytab, clock, kdc and log subcommands', async () => {
    expect((await kbench(['lab', 'principal', 'add', 'svc/cli'], dataDir)).stdout).toMatch(/^added svc\/cli@BENCH\.TEST \(kvno 2\) to /);
    expect((await kbench(['lab', 'principal', 'rotate', 'svc/cli', '--json'], dataDir)).stdout).toContain('"newKvno": 3');
    expect((await kbench(['lab', 'principal', 'flags', 'svc/cli', '--no-allow-tix'], dataDir)).stdout).toBe('svc/cli@BENCH.TEST: +requires_preauth -allow_tix\n');
    expect((await kbench(['lab', 'principal', 'rm', 'svc/cli'], dataDir)).code).toBe(0);
    const user = await kbench(['lab', 'principal', 'add', 'dave'], dataDir);
    expect(user.code).toBe(2);
    expect(user.stderr).toMatch(/looks like a user: give --password/);
    const out = path.join(root, 'cli.keytab');
    const exported = await kbench(['lab', 'export-keytab', out, '--principal', 'mqtt/localhost', '--enctypes', 'aes256-cts-hmac-sha1-96', '--json'], dataDir);
    expect(JSON.parse(exported.stdout)).toEqual({ path: out, entries: [{ principal: 'mqtt/localhost@BENCH.TEST', kvno: 2, enctype: 'aes256-cts-hmac-sha1-96' }] });
    expect((await kbench(['lab', 'export-keytab', out], dataDir)).code).toBe(2);
    const clock = await kbench(['lab', 'clock', '--offset=-10m'], dataDir);
    expect(clock.stdout).toMatch(/^KDC clock offset: -600 s \(KDC restarted, pid \d+\)$/m);
    expect((await kbench(['lab', 'clock', '--offset', 'soon'], dataDir)).code).toBe(2);
    expect((await kbench(['lab', 'clock', '--offset', '0'], dataDir)).code).toBe(0);
    expect((await kbench(['lab', 'kdc', 'stop'], dataDir)).stdout).toBe('KDC of BENCH.TEST stopped\n');
    expect((await kbench(['lab', 'status'], dataDir)).stdout).toMatch(/^Lab realm BENCH\.TEST: KDC stopped \(port \d+\)$/m);
    expect((await kbench(['lab', 'kdc', 'start'], dataDir)).stdout).toMatch(/^KDC running on 127\.0\.0\.1:\d+, pid \d+$/m);
    const log = await kbench(['lab', 'log', '--lines', '3', '--json'], dataDir);
    expect((JSON.parse(log.stdout) as { lines: string[] }).lines).toHaveLength(3);
    expect((await kbench(['lab', 'principal', 'rotate', 'nobody'], dataDir)).code).toBe(1);
    expect((await kbench(['lab', 'status', '--realm', 'bad realm'], dataDir)).stderr).toMatch(/not a realm name/);
    expect((await kbench(['lab', 'down'], dataDir)).stdout).toBe('Lab realm BENCH.TEST: KDC stopped.\n');
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
