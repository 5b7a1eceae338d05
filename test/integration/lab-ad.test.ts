/**
 * The AD lab through the lab service and `kbench lab`, against the shared Samba AD DC
 * (test/helpers/ad-lab.ts). MIT's tools are the oracles: kinit for what the KDC thinks of an
 * account, klist -e / klist -k -e for ticket and key enctypes, kvno for key versions. Every account
 * is this file's own (uniqueAccount) and is removed afterwards; the clock is put back.
 */
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabAccount, LabStatus } from '../../main/api/lab';
import { LabServiceImpl } from '../../main/lab/service';
import { AD_HOOK_TIMEOUT_MS, AD_SKIP_REASON, openAdLab, uniqueAccount, type AdLabHandle } from '../helpers/ad-lab';
import { runKbench, runProgram } from '../helpers/cli';

const REALM = 'AD.TEST';
const events = () => ({ emit: () => {}, on: () => () => {}, off: () => {} }) as never;

describe.skipIf(AD_SKIP_REASON)('the AD lab: service and CLI', () => {
  let ad: AdLabHandle;
  let lab: LabServiceImpl;
  let tmp: string;
  let n = 0;
  const made: string[] = [];

  beforeAll(async () => {
    ad = await openAdLab();
    lab = ad.lab;
    tmp = await mkdtemp(path.join(os.tmpdir(), 'kbench-lab-ad-'));
  }, AD_HOOK_TIMEOUT_MS);

  afterAll(async () => {
    for (const name of made) await lab?.removeAccount({ kind: 'ad', name }).catch(() => undefined);
    if (tmp) await rm(tmp, { recursive: true, force: true });
    await ad?.close();
  }, 120_000);

  const clientEnv = (extra: NodeJS.ProcessEnv = {}) => ({ ...process.env, KRB5_CONFIG: ad.status.krb5Conf, KRB5_TRACE: '', ...extra });

  /** kinit PRINCIPAL with a password into a fresh ccache: exit code and what it said. */
  async function kinit(principal: string, password: string, extra: NodeJS.ProcessEnv = {}) {
    const ccache = path.join(tmp, `kinit-${n++}.ccache`);
    return runProgram('kinit', ['-c', `FILE:${ccache}`, principal], clientEnv(extra), `${password}\n`, 30_000);
  }

  /** kvno SPN with a copy of alice's ccache (a fresh one: no service ticket cached): kvno's output and the ticket's enctype (klist -e). */
  async function serviceTicket(spn: string): Promise<{ code: number; out: string; ticketEnctype: string | null }> {
    const copy = path.join(tmp, `alice-${n++}.ccache`);
    await copyFile(ad.status.ccache.path, copy);
    const env = clientEnv({ KRB5CCNAME: `FILE:${copy}` });
    const kvno = await runProgram('kvno', [spn], env, '', 30_000);
    const klist = await runProgram('klist', ['-e'], env, '', 30_000);
    const line = klist.stdout.split('\n').findIndex((l) => l.includes(`${spn}@${REALM}`));
    // MIT 1.20 prints weak enctypes as "DEPRECATED:arcfour-hmac".
    const etype = line >= 0 ? /Etype \(skey, tkt\): [\w:-]+, (?:DEPRECATED:)?([\w-]+)/.exec(klist.stdout.split('\n').slice(line).join('\n'))?.[1] : undefined;
    return { code: kvno.code, out: `${kvno.stdout}${kvno.stderr}`, ticketEnctype: etype ?? null };
  }

  /** The enctypes klist -k -e lists in a keytab, for one principal. */
  async function keytabEnctypes(file: string, principal: string): Promise<string[]> {
    const run = await runProgram('klist', ['-k', '-e', file], process.env, '', 30_000);
    return run.stdout
      .split('\n')
      .filter((l) => l.includes(` ${principal} `))
      .map((l) => /\((?:DEPRECATED:)?([\w-]+)\)\s*$/.exec(l)?.[1] ?? l);
  }

  function account(status: LabStatus, name: string): LabAccount {
    const found = status.ad?.accounts.find((a) => a.name.toLowerCase() === name.toLowerCase() || a.name.toLowerCase() === `${name.toLowerCase()}$`);
    if (!found) throw new Error(`no account ${name} in ${status.ad?.accounts.map((a) => a.name).join(', ')}`);
    return found;
  }

  async function newAccount(prefix: string, input: Omit<Parameters<LabServiceImpl['addAccount']>[0], 'name'> = {}) {
    const name = uniqueAccount(prefix);
    made.push(name);
    const status = await lab.addAccount({ kind: 'ad', name, ...input });
    return { name, status, account: account(status, name) };
  }

  it('up: an AD realm shaped like the MIT lab, its domain and cast, and a TGT for alice', async () => {
    const up = await lab.up({ kind: 'ad' });
    expect(up).toMatchObject({ kind: 'ad', realm: REALM, state: 'running', kdc: expect.stringMatching(/^127\.0\.0\.1:\d+$/), created: false });
    expect(up.kdc).toBe(`127.0.0.1:${up.port}`);
    expect(up.keytabs).toEqual({ service: path.join(up.dir, 'service.keytab'), client: path.join(up.dir, 'alice.keytab') });
    expect(up.env).toMatchObject({ KRB5_CONFIG: up.krb5Conf, KRB5CCNAME: `FILE:${up.ccache.path}` });
    expect(up.principals.map((p) => p.name)).toEqual(expect.arrayContaining([`krbtgt/${REALM}@${REALM}`, `alice@${REALM}`, `mqtt/localhost@${REALM}`, `HTTP/localhost@${REALM}`, `hz/127.0.0.1@${REALM}`]));
    expect(up.ad).toMatchObject({ netbios: 'AD', baseDn: 'DC=ad,DC=test', ldap: 'ldap://127.0.0.1:389', kpasswd: expect.stringMatching(/^127\.0\.0\.1:\d+$/) });
    for (const [name, spn] of [['svc-mqtt', 'mqtt/localhost'], ['svc-http', 'HTTP/localhost'], ['svc-hz', 'hz/127.0.0.1']] as const) {
      expect(account(up, name)).toMatchObject({ kind: 'service', spns: [spn], enctypes: 'both', supportedEncryptionTypes: 28, salt: `AD.TEST${name}`, enabled: true, inServiceKeytab: true });
    }
    expect(account(up, 'alice')).toMatchObject({ kind: 'user', hasPassword: true, requiresPreauth: true });
    // klist is the oracle for alice's TGT.
    const klist = await runProgram('klist', ['-c', up.ccache.path], clientEnv(), '', 10_000);
    expect(klist.stdout).toContain(`Default principal: alice@${REALM}`);
    expect(klist.stdout).toContain(`krbtgt/${REALM}@${REALM}`);
  });

  it('down and up: stopped, started again, and found again from its pid file by a new service', async () => {
    const down = await lab.down({ kind: 'ad' });
    expect(down).toMatchObject({ kind: 'ad', state: 'stopped', pid: null });
    const up = await lab.up({ kind: 'ad' });
    expect(up).toMatchObject({ state: 'running', started: true, created: false });
    const other = new LabServiceImpl({ dataDir: ad.dataDir, events: events() });
    try {
      const seen = await other.status({ kind: 'ad' });
      expect(seen).toMatchObject({ kind: 'ad', state: 'running', pid: up.pid, kdc: up.kdc });
      // Without --kind, the realm's own directory says it is AD.
      expect(await other.status({ realm: REALM })).toMatchObject({ kind: 'ad', pid: up.pid });
    } finally {
      other.dispose();
    }
  });

  it('adds a user, a service and a computer account', async () => {
    const user = await newAccount('u', { type: 'user', password: 'User-pass-1a' });
    expect(user.account).toMatchObject({ kind: 'user', spns: [], salt: `AD.TEST${user.name}`, hasPassword: true, enabled: true });
    expect((await kinit(`${user.name}@${REALM}`, 'User-pass-1a')).code).toBe(0);

    const spn = `tsvc/${user.name}.ad.test`;
    const service = await newAccount('s', { type: 'service', spns: [spn], enctypes: 'aes' });
    expect(service.account).toMatchObject({ kind: 'service', spns: [spn], enctypes: 'aes', supportedEncryptionTypes: 24, inServiceKeytab: true });
    expect(await keytabEnctypes(service.status.keytabs.service, `${spn}@${REALM}`)).toEqual(['aes256-cts-hmac-sha1-96', 'aes128-cts-hmac-sha1-96']);
    expect(service.status.principals.find((p) => p.name === `${spn}@${REALM}`)).toMatchObject({ kind: 'service', inServiceKeytab: true });

    const computer = await newAccount('ws', { type: 'computer' });
    expect(computer.account).toMatchObject({ name: `${computer.name}$`, kind: 'computer', salt: `AD.TESThost${computer.name}.ad.test` });
    made.splice(made.indexOf(computer.name), 1, `${computer.name}$`);
  });

  it('setAccount: disabled, expired, must-change and no-preauth, as kinit sees them', async () => {
    const { name } = await newAccount('f', { password: 'Flag-pass-1a' });
    const principal = `${name}@${REALM}`;
    const set = (change: Record<string, boolean>) => lab.setAccount({ kind: 'ad', name, ...change });

    expect(account(await set({ enabled: false }), name).enabled).toBe(false);
    expect((await kinit(principal, 'Flag-pass-1a')).stderr).toContain("Client's credentials have been revoked");
    await set({ enabled: true });
    expect((await kinit(principal, 'Flag-pass-1a')).code).toBe(0);

    expect(account(await set({ expired: true }), name).expired).toBe(true);
    expect((await kinit(principal, 'Flag-pass-1a')).stderr).toContain("Client's credentials have been revoked");
    await set({ expired: false });

    expect(account(await set({ mustChangePassword: true }), name).mustChangePassword).toBe(true);
    const mustChange = await kinit(principal, 'Flag-pass-1a');
    expect(mustChange.code).not.toBe(0);
    expect(`${mustChange.stdout}${mustChange.stderr}`).toContain('Password expired.  You must change it now.');
    await set({ mustChangePassword: false });
    expect((await kinit(principal, 'Flag-pass-1a')).code).toBe(0);

    // Pre-authentication: DONT_REQ_PREAUTH set and cleared (userAccountControl 0x400000). Samba 4.17's
    // KDC asks MIT kinit for PA-ENC-TIMESTAMP either way (its log: "AS-REQ ERR_PREAUTH_REQUIRED …
    // e-text=Need to use PA-ENC-TIMESTAMP/PA-PK-AS-REQ"), so kinit works both ways and the trace
    // shows the KDC asking; the flag is what the directory holds.
    const traced = async () => {
      const file = path.join(tmp, `trace-${n++}.log`);
      const run = await kinit(principal, 'Flag-pass-1a', { KRB5_TRACE: file });
      return { code: run.code, asked: /Additional pre-authentication required/.test(await readFile(file, 'utf8')) };
    };
    expect(await traced()).toEqual({ code: 0, asked: true });
    const noPreauth = account(await set({ requiresPreauth: false }), name);
    expect(noPreauth).toMatchObject({ requiresPreauth: false });
    expect(noPreauth.userAccountControl & 0x400000).toBe(0x400000);
    expect((await traced()).code).toBe(0);
    expect(account(await set({ requiresPreauth: true }), name).requiresPreauth).toBe(true);
  });

  it("the lab's own words on an AD realm: setFlags and removePrincipal by SPN act on its holder; alice is refused", async () => {
    const { name } = await newAccount('w', { type: 'service', spns: [`w${n}/words.ad.test`], password: 'Words-pass-1a' });
    const spn = account(await lab.status({ kind: 'ad' }), name).spns[0]!;
    expect(account(await lab.setFlags({ kind: 'ad', name: spn, allowTix: false, passwordExpired: true }), name)).toMatchObject({ enabled: false, mustChangePassword: true });
    expect((await kinit(`${name}@${REALM}`, 'Words-pass-1a')).stderr).toContain("Client's credentials have been revoked");
    expect(account(await lab.setFlags({ kind: 'ad', name: `${name}@${REALM}`, allowTix: true, passwordExpired: false }), name)).toMatchObject({ enabled: true, mustChangePassword: false });
    await expect(lab.removePrincipal({ kind: 'ad', name: `alice@${REALM}` })).rejects.toThrow("alice is the lab's user: the lab needs her");
    const after = await lab.removePrincipal({ kind: 'ad', name: spn });
    expect(after.ad!.accounts.map((a) => a.name)).not.toContain(name);
    expect(after.principals.map((p) => p.name)).not.toContain(`${spn}@${REALM}`);
  });

  it('setAccount enctypes: the ticket (klist -e) and the exported keys (klist -k -e) follow', async () => {
    const probe = uniqueAccount('e');
    const spn = `tenc/${probe}.ad.test`;
    const { name } = await newAccount('e', { type: 'service', spns: [spn], enctypes: 'aes' });
    const expected = {
      aes: { ticket: 'aes256-cts-hmac-sha1-96', keys: ['aes256-cts-hmac-sha1-96', 'aes128-cts-hmac-sha1-96'] },
      rc4: { ticket: 'arcfour-hmac', keys: ['arcfour-hmac'] },
      both: { ticket: 'aes256-cts-hmac-sha1-96', keys: ['aes256-cts-hmac-sha1-96', 'aes128-cts-hmac-sha1-96', 'arcfour-hmac'] },
      unset: { ticket: 'arcfour-hmac', keys: ['arcfour-hmac'] },
    } as const;
    for (const choice of ['aes', 'rc4', 'both', 'unset'] as const) {
      const status = await lab.setAccount({ kind: 'ad', name, enctypes: choice });
      expect(account(status, name)).toMatchObject({ enctypes: choice, supportedEncryptionTypes: choice === 'unset' ? null : { aes: 24, rc4: 4, both: 28 }[choice] });
      const ticket = await serviceTicket(spn);
      expect(ticket.code, ticket.out).toBe(0);
      expect(ticket.ticketEnctype).toBe(expected[choice].ticket);
      const file = path.join(tmp, `${choice}.keytab`);
      await lab.exportKeytab({ kind: 'ad', path: file, principals: [spn], replace: true });
      expect(await keytabEnctypes(file, `${spn}@${REALM}`)).toEqual(expected[choice].keys);
      // The lab's service keytab follows too.
      expect(await keytabEnctypes(status.keytabs.service, `${spn}@${REALM}`)).toEqual(expected[choice].keys);
    }
  });

  it('SPNs: add and remove; a duplicate only by force, then LDAP finds both and the KDC neither', async () => {
    const first = await newAccount('d');
    const second = await newAccount('d');
    const spn = `dup/${first.name}.ad.test`;
    await lab.addSpn({ kind: 'ad', spn, account: first.name });
    expect(await lab.findSpn({ kind: 'ad', spn })).toEqual([{ account: first.name, dn: first.account.dn }]);
    await expect(lab.addSpn({ kind: 'ad', spn, account: second.name })).rejects.toThrow(`${spn} is held by ${first.name}: AD refuses a duplicate SPN`);
    expect((await serviceTicket(spn)).code).toBe(0);

    const forced = await lab.addSpn({ kind: 'ad', spn, account: second.name, force: true });
    expect(account(forced, second.name).spns).toEqual([spn]);
    expect((await lab.findSpn({ kind: 'ad', spn })).map((h) => h.account)).toEqual([first.name, second.name].sort((a, b) => a.localeCompare(b)));
    const duplicate = await serviceTicket(spn);
    expect(duplicate.code).not.toBe(0);
    expect(duplicate.out).toContain('Server not found in Kerberos database');

    const removed = await lab.removeSpn({ kind: 'ad', spn, account: second.name });
    expect(account(removed, second.name).spns).toEqual([]);
    expect(await lab.findSpn({ kind: 'ad', spn })).toEqual([{ account: first.name, dn: first.account.dn }]);
    await lab.removeSpn({ kind: 'ad', spn, account: first.name });
    expect(await lab.findSpn({ kind: 'ad', spn })).toEqual([]);
  });

  it('setPassword (an admin) and changePassword (the user, kpasswd) each move the kvno up by one', async () => {
    const probe = uniqueAccount('p');
    const spn = `tpw/${probe}.ad.test`;
    const { name, account: before } = await newAccount('p', { type: 'service', spns: [spn], password: 'First-pass-1a', enctypes: 'both' });
    const kvnoOf = async () => Number(/kvno = (\d+)/.exec((await serviceTicket(spn)).out)?.[1]);
    expect(await kvnoOf()).toBe(before.kvno);

    const set = await lab.setPassword({ kind: 'ad', name, password: 'Second-pass-1a' });
    expect(account(set, name).kvno).toBe(before.kvno + 1);
    expect(await kvnoOf()).toBe(before.kvno + 1);
    expect((await kinit(`${name}@${REALM}`, 'Second-pass-1a')).code).toBe(0);

    const changed = await lab.changePassword({ kind: 'ad', name, newPassword: 'Third-pass-1a' });
    expect(account(changed, name).kvno).toBe(before.kvno + 2);
    expect(await kvnoOf()).toBe(before.kvno + 2);
    expect((await kinit(`${name}@${REALM}`, 'Third-pass-1a')).code).toBe(0);
    expect((await lab.revealPassword({ kind: 'ad', name })).password).toBe('Third-pass-1a');
  });

  it('exportKeytab: krbtgt and a service, the keys the DC holds, nothing changed', async () => {
    const before = await lab.status({ kind: 'ad' });
    const file = path.join(tmp, 'krbtgt.keytab');
    const result = await lab.exportKeytab({ kind: 'ad', path: file, principals: ['krbtgt', 'mqtt/localhost'], replace: true });
    const krbtgt = before.principals.find((p) => p.kind === 'krbtgt')!;
    const mqtt = account(before, 'svc-mqtt');
    expect(result.entries.filter((e) => e.principal === `krbtgt@${REALM}` || e.principal === `krbtgt/${REALM}@${REALM}`).map((e) => e.kvno)).toContain(krbtgt.kvno);
    expect(result.entries.filter((e) => e.principal === `mqtt/localhost@${REALM}`).map((e) => [e.kvno, e.enctype])).toEqual([
      [mqtt.kvno, 'aes256-cts-hmac-sha1-96'],
      [mqtt.kvno, 'aes128-cts-hmac-sha1-96'],
      [mqtt.kvno, 'arcfour-hmac'],
    ]);
    const klist = await runProgram('klist', ['-k', file], process.env, '', 10_000);
    expect(klist.stdout).toMatch(/krbtgt/);
    expect(account(await lab.status({ kind: 'ad' }), 'svc-mqtt').kvno).toBe(mqtt.kvno);
  });

  it("setClockOffset: the DC runs an hour ahead (libfaketime), and a TGT's start time shows it", async () => {
    const { name } = await newAccount('c', { password: 'Clock-pass-1a' });
    try {
      const shifted = await lab.setClockOffset({ kind: 'ad', seconds: 3600 });
      expect(shifted).toMatchObject({ clockOffsetSeconds: 3600, state: 'running' });
      const ccache = path.join(tmp, 'clock.ccache');
      const run = await runProgram('kinit', ['-c', `FILE:${ccache}`, `${name}@${REALM}`], clientEnv(), 'Clock-pass-1a\n', 30_000);
      expect(run.code, run.stderr).toBe(0);
      // klist prints the ticket's times as the KDC set them: "12/06/26 19:02:11  12/07/26 05:02:11  krbtgt/…".
      const klist = await runProgram('klist', ['-c', ccache], { ...process.env, TZ: 'UTC', LC_ALL: 'C' }, '', 10_000);
      const start = /^(\d\d)\/(\d\d)\/(\d\d) (\d\d):(\d\d):(\d\d)\s+\S+ \S+\s+krbtgt\//m.exec(klist.stdout);
      expect(start, klist.stdout).not.toBeNull();
      const [, mm, dd, yy, h, m, s] = start!.map(Number) as number[];
      const startMs = Date.UTC(2000 + yy!, mm! - 1, dd, h, m, s);
      expect((startMs - Date.now()) / 1000).toBeGreaterThan(3600 - 120);
      expect((startMs - Date.now()) / 1000).toBeLessThan(3600 + 120);
    } finally {
      expect(await lab.setClockOffset({ kind: 'ad', seconds: 0 })).toMatchObject({ clockOffsetSeconds: 0 });
    }
  });

  it('refuses a kind that is not the realm\'s: an MIT realm asked as AD, the AD realm asked as MIT', async () => {
    const realm = `KIND-${Math.random().toString(16).slice(2, 8).toUpperCase()}.TEST`;
    await lab.up({ realm });
    try {
      await expect(lab.up({ realm, kind: 'ad' })).rejects.toThrow(`${realm} is an MIT lab realm, not an AD one`);
      await expect(lab.addAccount({ realm, name: 'nobody' })).rejects.toThrow(`${realm} is an MIT lab realm`);
    } finally {
      await lab.down({ realm, destroy: true });
    }
    await expect(lab.status({ realm: REALM, kind: 'mit' })).rejects.toThrow(`${REALM} is an AD lab realm, not an MIT one`);
  });

  describe('kbench lab (the CLI, in process)', () => {
    const kbench = (args: string[], env: NodeJS.ProcessEnv = {}) => runKbench(args, { ...process.env, KBENCH_DATA_DIR: ad.dataDir, ...env });

    it('lab up --kind ad --json: the MIT lab\'s shape, with kind', async () => {
      const run = await kbench(['lab', 'up', '--kind', 'ad', '--json']);
      expect(run.code, run.stderr).toBe(0);
      const up = JSON.parse(run.stdout) as LabStatus;
      expect(Object.keys(up)).toEqual(['realm', 'kind', 'kdc', 'krb5Conf', 'principals', 'keytabs', 'env']);
      expect(up).toMatchObject({ kind: 'ad', realm: REALM, kdc: ad.status.kdc, keytabs: ad.status.keytabs, env: ad.status.env });
      expect(up.principals.map((p) => p.name)).toContain(`mqtt/localhost@${REALM}`);
      const status = JSON.parse((await kbench(['lab', 'status', '--kind', 'ad', '--json'])).stdout) as LabStatus;
      expect(status).toMatchObject({ kind: 'ad', state: 'running', kdc: up.kdc });
      expect(status.ad!.accounts.map((a) => a.name)).toEqual(expect.arrayContaining(['alice', 'svc-mqtt', 'svc-http', 'svc-hz']));
    });

    it('lab account add / set / list / rm and lab spn add / find / remove', async () => {
      const name = uniqueAccount('cli');
      made.push(name);
      const add = await kbench(['lab', 'account', 'add', name, '--spn', `cli/${name}.ad.test`, '--enctypes', 'aes', '--json']);
      expect(add.code, add.stderr).toBe(0);
      expect(JSON.parse(add.stdout)).toMatchObject({ name, kind: 'service', spns: [`cli/${name}.ad.test`], enctypes: 'aes', hasPassword: true, inServiceKeytab: true });

      const spn = await kbench(['lab', 'spn', 'add', `cli2/${name}.ad.test`, name]);
      expect(spn.code, spn.stderr).toBe(0);
      expect(spn.stdout).toMatch(new RegExp(`^cli2/${name}\\.ad\\.test added: ${name} \\(service, kvno \\d+, enctypes aes, enabled \\+preauth, SPNs cli/${name}\\.ad\\.test cli2/${name}\\.ad\\.test\\)\\n$`));
      const find = await kbench(['lab', 'spn', 'find', `cli2/${name}.ad.test`, '--json']);
      expect(JSON.parse(find.stdout)).toEqual([{ account: name, dn: `CN=${name},CN=Users,DC=ad,DC=test` }]);

      const set = await kbench(['lab', 'account', 'set', name, '--disable', '--must-change']);
      expect(set.stdout).toContain(`now ${name} (service`);
      expect(set.stdout).toContain('disabled must-change +preauth');

      const list = await kbench(['lab', 'account', 'list']);
      expect(list.stdout).toMatch(/^Account\s+Kind\s+KVNO\s+Enctypes\s+State\s+Salt\s+SPNs$/m);
      expect(list.stdout).toMatch(new RegExp(`^${name}\\s+service\\s+\\d+\\s+aes\\s+disabled must-change \\+preauth\\s+AD\\.TEST${name}\\s+cli/`, 'm'));

      const status = await kbench(['lab', 'status', '--kind', 'ad']);
      expect(status.stdout).toMatch(/^Lab realm AD\.TEST: AD DC running on 127\.0\.0\.1:\d+, pid \d+/m);
      expect(status.stdout).toContain('  kind             AD (Samba AD DC)\n  domain           AD (DC=ad,DC=test)\n  LDAP             ldap://127.0.0.1:389\n  kpasswd          127.0.0.1:');
      expect(status.stdout).toMatch(/^svc-mqtt\s+service\s+\d+\s+both\s+enabled \+preauth\s+AD\.TESTsvc-mqtt\s+mqtt\/localhost$/m);

      const removeSpn = await kbench(['lab', 'spn', 'remove', `cli2/${name}.ad.test`, name, '--json']);
      expect(JSON.parse(removeSpn.stdout)).toMatchObject({ spns: [`cli/${name}.ad.test`] });
      const rm = await kbench(['lab', 'account', 'rm', name]);
      expect(rm).toMatchObject({ code: 0, stdout: `removed ${name}\n` });
      made.splice(made.indexOf(name), 1);
    });

    it('lab account password: set, or --change as the user (kvno + 1 each)', async () => {
      const name = uniqueAccount('clipw');
      made.push(name);
      expect((await kbench(['lab', 'account', 'add', name], { KBENCH_PASSWORD: 'Cli-pass-1a' })).code).toBe(0);
      const set = await kbench(['lab', 'account', 'password', name, '--json'], { KBENCH_PASSWORD: 'Cli-pass-2a' });
      const kvno = (JSON.parse(set.stdout) as LabAccount).kvno;
      const change = await kbench(['lab', 'account', 'password', name, '--change', '--json'], { KBENCH_PASSWORD: 'Cli-pass-3a' });
      expect(change.code, change.stderr).toBe(0);
      expect((JSON.parse(change.stdout) as LabAccount).kvno).toBe(kvno + 1);
      expect((await kinit(`${name}@${REALM}`, 'Cli-pass-3a')).code).toBe(0);
    });

    it('refuses a bad --kind, and --kind mit for accounts, as usage errors', async () => {
      expect(await kbench(['lab', 'status', '--kind', 'heimdal'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--kind must be mit or ad, not "heimdal"') });
      expect(await kbench(['lab', 'account', 'list', '--kind', 'mit'])).toMatchObject({ code: 2, stderr: expect.stringContaining('accounts and SPNs belong to AD lab realms') });
      expect(await kbench(['lab', 'account', 'add', 'x', '--type', 'robot'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--type must be user, service, computer, not "robot"') });
      expect(await kbench(['lab', 'account', 'set', 'alice', '--enable', '--disable'])).toMatchObject({ code: 2, stderr: expect.stringContaining('give --enable or --disable, not both') });
      // The engine's schema, as for the UI: an SPN needs service/host.
      expect(await kbench(['lab', 'spn', 'find', 'no-slash'])).toMatchObject({ code: 1, stderr: expect.stringContaining('an SPN: service/host') });
    });
  });
});
