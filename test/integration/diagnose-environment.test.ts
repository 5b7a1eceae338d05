/**
 * "Check my setup" against a real MIT lab realm: a healthy realm passes every check, and each way
 * of breaking it (KDC down, KDC clock shifted with krb5kdc -T, krb5.conf edits, stale or foreign
 * keytabs, no ccache, garbage files, an unresolvable host) yields its env.* finding with evidence.
 * Each test restores what it breaks, so the order does not matter.
 */
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../main/api/diagnose';
import { checkEnvironment, ENV_TO_CATALOG, type EnvironmentReport } from '../../main/diagnose/environment';
import { keytabEntryRandom, parseKeytab, writeKeytab } from '../../main/krb/keytab';
import { spawnDetachedKdc, stopPid } from '../../main/lab/kdc-process';
import { freeLoopbackPort } from '../../main/lab/mit/realm';
import { ALICE_PASSWORD, createTestRealm, type TestRealm } from '../helpers/lab';

const REALM = 'ENVCHECK.TEST';
const SERVICE = `mqtt/localhost@${REALM}`;
/** Generous: two cores shared with other suites. Only the skew tolerance is asserted numerically. */
const TIMEOUT_MS = 3000;

let lab: TestRealm;
let scratch: string;

beforeAll(async () => {
  lab = await createTestRealm(REALM);
  scratch = await mkdtemp(path.join(os.tmpdir(), 'kbench-envcheck-'));
});

afterAll(async () => {
  await lab?.destroy();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

function check(input: Partial<Parameters<typeof checkEnvironment>[0]> = {}): Promise<EnvironmentReport> {
  return checkEnvironment({ env: lab.env, principal: SERVICE, keytab: lab.serviceKeytab, timeoutMs: TIMEOUT_MS, ...input });
}

function finding(report: EnvironmentReport, id: string): Finding {
  const found = report.findings.find((f) => f.id === id);
  if (!found) throw new Error(`no finding ${id}; findings: ${report.findings.map((f) => f.id).join(', ') || 'none'}`);
  return found;
}

const evidenceText = (f: Finding) => f.evidence.map((e) => `${e.source}: ${e.text}`).join('\n');

/** A copy of the lab's krb5.conf with `edit` applied; returns the env that uses it. */
async function editedConf(name: string, edit: (text: string) => string): Promise<{ file: string; env: NodeJS.ProcessEnv }> {
  const file = path.join(scratch, name);
  await writeFile(file, edit(await readFile(lab.realm.paths.krb5Conf, 'utf8')));
  return { file, env: { ...lab.env, KRB5_CONFIG: file } };
}

describe('checkEnvironment against a healthy lab realm', () => {
  it('reports no finding, every check ok, and a KDC that answers over UDP and TCP', async () => {
    const report = await check();
    expect(report.findings).toEqual([]);
    for (const c of report.checks) expect(c.ok, `${c.id}: ${c.detail}`).toBe(true);
    const ids = report.checks.map((c) => c.id.split(':')[0]);
    for (const id of ['krb5-conf', 'default-realm', 'kdc-locate', 'kdc-udp', 'kdc-tcp', 'clock-skew', 'dns-forward', 'dns-reverse', 'keytab-principal', 'keytab-kvno', 'keytab-decrypts-ticket', 'ccache', 'kerberos-binding']) {
      expect(ids).toContain(id);
    }
    const port = lab.realm.port;
    for (const transport of ['udp', 'tcp']) {
      const probe = report.checks.find((c) => c.id === `kdc-${transport}:127.0.0.1:${port}`)!;
      expect(probe.detail).toMatch(new RegExp(`KRB-ERROR KDC_ERR_C_PRINCIPAL_UNKNOWN from realm ${REALM.replace('.', '\\.')}.* in \\d+(\\.\\d+)? ms$`));
    }
    expect(report.checks.find((c) => c.id === 'keytab-kvno')!.detail).toMatch(/KDC kvno 2; keytab .* has kvno 2/);
    expect(report.checks.find((c) => c.id === 'default-realm')!.detail).toContain(`${lab.realm.paths.krb5Conf}:`);
  });

  it('shows its work: every passing check has a title and what it measured', async () => {
    const report = await check();
    for (const c of report.checks) {
      expect(c.title, c.id).toMatch(/^[A-Za-z]/);
      expect(c.measured.length, `${c.id} measured nothing: ${c.detail}`).toBeGreaterThan(0);
    }
    const measured = (id: string, label: string) => report.checks.find((c) => c.id === id)!.measured.find((m) => m.label === label);
    const port = lab.realm.port;
    for (const transport of ['udp', 'tcp']) {
      const id = `kdc-${transport}:127.0.0.1:${port}`;
      expect(report.checks.find((c) => c.id === id)!.title).toBe(`KDC round trip over ${transport.toUpperCase()} (127.0.0.1:${port})`);
      const trip = measured(id, 'round trip')!;
      expect(trip).toMatchObject({ unit: 'ms', note: `${transport.toUpperCase()} 127.0.0.1:${port}` });
      expect(trip.value as number).toBeGreaterThan(0);
      expect(trip.value as number).toBeLessThan(TIMEOUT_MS);
      expect(measured(id, 'reply')!.value).toBe(`KRB-ERROR KDC_ERR_C_PRINCIPAL_UNKNOWN (realm ${REALM})`);
    }
    // The lab KDC runs on this machine's clock: well within a second, against a 300 s limit.
    expect(Math.abs(measured('clock-skew', 'skew')!.value as number)).toBeLessThan(1);
    expect(measured('clock-skew', 'limit')).toMatchObject({ value: 300, unit: 's' });
    expect(measured('keytab-kvno', 'kvno at the KDC')!.value).toBe(2);
    expect(measured('keytab-kvno', 'kvno in the keytab')).toMatchObject({ value: 2, note: lab.serviceKeytab });
    expect(measured('keytab-enctypes', 'keytab enctypes')!.value).toContain('aes256-cts-hmac-sha1-96');
    expect(measured('enctypes', 'permitted_enctypes')!.value).toContain('aes256-cts-hmac-sha1-96');
    expect(measured('ccache', 'default principal')!.value).toBe(`alice@${REALM}`);
    expect(measured('keytab-decrypts-ticket', 'decrypts')!.value).toBe('yes');
  });

  it('completes a principal without realm from default_realm', async () => {
    const report = await check({ principal: 'mqtt/localhost' });
    expect(report.findings).toEqual([]);
    expect(report.checks.find((c) => c.id === 'principal')!.detail).toMatch(/^mqtt\/localhost@ENVCHECK\.TEST \(realm from default_realm/);
  });
});

describe('checkEnvironment against a broken lab realm', () => {
  it('KDC stopped → env.kdc-unreachable naming UDP and TCP', async () => {
    await lab.realm.stop();
    try {
      const report = await check();
      const f = finding(report, 'env.kdc-unreachable');
      expect(f.cause).toMatch(/over UDP and TCP/);
      expect(f.cause).toContain('ECONNREFUSED');
      expect(evidenceText(f)).toMatch(/^UDP 127\.0\.0\.1:\d+: .*ECONNREFUSED/m);
      expect(evidenceText(f)).toMatch(/^TCP 127\.0\.0\.1:\d+: .*ECONNREFUSED/m);
      expect(evidenceText(f)).toContain(`${lab.realm.paths.krb5Conf}:`);
      expect(f.commands?.join('\n')).toContain(`127.0.0.1 ${lab.realm.port}`);
      // Nothing to ask the KDC with: the kvno check says why instead of guessing.
      expect(report.checks.find((c) => c.id === 'keytab-kvno')).toMatchObject({ ok: false, detail: expect.stringContaining('no KDC') });
    } finally {
      await lab.realm.start();
    }
  });

  it('KDC clock +900 s (krb5kdc -T 900) → env.clock-skew measuring ≈900 s', async () => {
    await lab.realm.stop();
    const kdc = await spawnDetachedKdc(lab.realm, { clockOffsetSeconds: 900 });
    try {
      const report = await check();
      const f = finding(report, 'env.clock-skew');
      const skewCheck = report.checks.find((c) => c.id === 'clock-skew')!;
      const measured = Number(/^\+(\d+\.\d) s/.exec(skewCheck.detail)?.[1]);
      expect(Math.abs(measured - 900)).toBeLessThanOrEqual(5);
      // The same figure, structured: positive = KDC ahead, with the limit it broke.
      const skew = skewCheck.measured.find((m) => m.label === 'skew')!;
      expect(Math.abs((skew.value as number) - 900)).toBeLessThanOrEqual(5);
      expect(skew).toMatchObject({ unit: 's', note: expect.stringMatching(/^KDC ahead of this host, from KRB-ERROR/) });
      expect(skewCheck.measured.find((m) => m.label === 'limit')).toMatchObject({ value: 300, unit: 's' });
      // ≈900 (within 5 s, asserted above): 899.8 on a loaded machine is as right as 900.1.
      expect(f.cause).toMatch(/by \+(89|90)\d\.\d s \(KDC ahead of this host\)/);
      expect(evidenceText(f)).toMatch(/KRB-ERROR from 127\.0\.0\.1:\d+ \((UDP|TCP)\): stime/);
      expect(evidenceText(f)).toMatch(/krb5\.conf:\d+: clockskew = 300/);
    } finally {
      await stopPid(kdc.pid);
      await lab.realm.start();
    }
    // Restored: the offset is gone.
    expect((await check()).findings).toEqual([]);
  });

  it("Debian's sample default realm ATHENA.MIT.EDU → env.sample-default-realm saying so and what to use instead", async () => {
    const { file, env } = await editedConf('athena.conf', (t) => t.replace(/^(\s*default_realm\s*=).*$/m, '$1 ATHENA.MIT.EDU'));
    const report = await check({ env });
    const f = finding(report, 'env.sample-default-realm');
    expect(f.cause).toContain("the sample krb5.conf Debian's krb5-config package installs");
    expect(f.evidence[0]).toEqual({ source: expect.stringContaining(`${file}:`), text: 'default_realm = ATHENA.MIT.EDU' });
    expect(f.commands).toContain('eval "$(kbench lab up --env)"');
    const realm = report.checks.find((c) => c.id === 'default-realm')!;
    expect(realm).toMatchObject({ ok: false, title: 'Default realm' });
    expect(realm.measured[0]).toMatchObject({ label: 'default_realm', value: 'ATHENA.MIT.EDU' });
    // Asked about a service of ATHENA.MIT.EDU itself, the default is what was meant.
    const athena = await check({ env, principal: 'host/example.mit.edu@ATHENA.MIT.EDU', timeoutMs: 500 });
    expect(athena.findings.map((x) => x.id)).not.toContain('env.sample-default-realm');
  });

  it('krb5.conf without default_realm → env.no-default-realm', async () => {
    const { file, env } = await editedConf('no-default-realm.conf', (t) => t.replace(/^\s*default_realm\s*=.*\n/m, ''));
    const report = await check({ env });
    const f = finding(report, 'env.no-default-realm');
    expect(f.evidence[0]!.source).toContain(file);
    expect(f.fix).toContain(`default_realm = ${REALM}`);
    expect(f.commands![0]).toContain(file);
    // The principal names its realm, so the realm's KDC is still found and probed.
    expect(report.findings.map((x) => x.id)).not.toContain('env.kdc-unreachable');
  });

  it('a realm with no kdc line and dns_lookup_kdc = false → env.realm-no-kdc', async () => {
    const { file, env } = await editedConf('no-kdc.conf', (t) => t.replace(/^\s*(kdc|primary_kdc)\s*=.*\n/gm, ''));
    const report = await check({ env });
    const f = finding(report, 'env.realm-no-kdc');
    expect(f.cause).toContain(`the [realms] ${REALM} block has no kdc line`);
    expect(f.cause).toMatch(new RegExp(`dns_lookup_kdc = false \\(${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+\\)`));
    expect(f.confidence).toBeGreaterThan(0.8);
  });

  it('a keytab without the principal → env.keytab-missing-principal listing what it has', async () => {
    const report = await check({ keytab: lab.aliceKeytab });
    const f = finding(report, 'env.keytab-missing-principal');
    expect(f.cause).toContain(`alice@${REALM}`);
    expect(evidenceText(f)).toContain(`${lab.aliceKeytab}: principals: alice@${REALM}`);
    expect(f.commands).toContain(`klist -kte ${lab.aliceKeytab}`);
  });

  it('a principal that differs from the keytab only in case → env.keytab-missing-principal saying so', async () => {
    const report = await check({ principal: `MQTT/localhost@${REALM}` });
    const f = finding(report, 'env.keytab-missing-principal');
    expect(f.cause).toContain(`mqtt/localhost@${REALM} differs only in upper/lower case`);
    // The KDC does not know the upper-case name either: kvno says so.
    expect(finding(report, 'env.principal-unknown').evidence[0]!.text).toMatch(/not found in Kerberos database/);
  });

  it('an old keytab after a key rotation → env.keytab-kvno-behind-kdc with both kvnos', async () => {
    const principal = `rot/localhost@${REALM}`;
    await lab.realm.addPrincipal(principal, { randkey: true });
    const oldKeytab = path.join(scratch, 'rot-old.keytab');
    await lab.realm.ktadd(oldKeytab, principal); // kvno 2
    await lab.realm.ktadd(path.join(scratch, 'rot-new.keytab'), principal); // kvno 3: the old file is now stale
    const report = await check({ principal, keytab: oldKeytab });
    const f = finding(report, 'env.keytab-kvno-behind-kdc');
    expect(f.title).toContain('kvno 2 vs 3');
    expect(evidenceText(f)).toContain(`${principal}: kvno = 3`);
    expect(evidenceText(f)).toContain(`${oldKeytab}: ${principal}: kvno 2`);
    expect(ENV_TO_CATALOG[f.id]).toBe('keytab-kvno-out-of-date');
    const kvno = report.checks.find((c) => c.id === 'keytab-kvno')!;
    expect(kvno.ok).toBe(false);
    expect(kvno.measured.map((m) => [m.label, m.value])).toEqual([
      ['kvno at the KDC', 3],
      ['kvno in the keytab', 2],
    ]);
  });

  it('a keytab without the enctype the KDC issues tickets in → env.keytab-enctypes', async () => {
    const full = parseKeytab(await readFile(lab.serviceKeytab)).keytab;
    const aes128Only = path.join(scratch, 'aes128-only.keytab');
    await writeFile(aes128Only, writeKeytab({ ...full, entries: full.entries.filter((e) => e.enctype === 17) }));
    const report = await check({ keytab: aes128Only });
    const f = finding(report, 'env.keytab-enctypes');
    expect(f.cause).toContain(`kvno 2 found in keytab but not with enctype aes256-cts-hmac-sha1-96`);
    expect(evidenceText(f)).toContain(`${aes128Only}: kvno 2: aes128-cts-hmac-sha1-96`);
  });

  it('a keytab with the right kvno and enctype but another key → env.keytab-wrong-key', async () => {
    const full = parseKeytab(await readFile(lab.serviceKeytab)).keytab;
    const wrong = path.join(scratch, 'wrong-key.keytab');
    await writeFile(wrong, writeKeytab({ ...full, entries: full.entries.map((e) => keytabEntryRandom(e.principal, e.enctype, e.kvno)) }));
    const report = await check({ keytab: wrong });
    const f = finding(report, 'env.keytab-wrong-key');
    expect(f.cause).toContain('kvno 2 aes256-cts-hmac-sha1-96');
    expect(report.checks.find((c) => c.id === 'keytab-kvno')!.ok).toBe(true); // the kvno itself is right
  });

  it('a TGT that has expired, or soon will → env.ccache-expired / env.ccache-expiring', async () => {
    const shortLived = await lab.realm.kinit('alice', { password: ALICE_PASSWORD }, { ccache: path.join(scratch, 'short.ccache'), lifetime: '2s' });
    const soon = await lab.realm.kinit('alice', { password: ALICE_PASSWORD }, { ccache: path.join(scratch, 'soon.ccache'), lifetime: '5m' });
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const expired = await check({ env: { ...lab.env, KRB5CCNAME: `FILE:${shortLived}` } });
    expect(finding(expired, 'env.ccache-expired').evidence[0]!.source).toBe(shortLived);
    expect(expired.checks.find((c) => c.id === 'keytab-kvno')!.detail).toMatch(/needs a valid TGT/);
    const expiring = await check({ env: { ...lab.env, KRB5CCNAME: `FILE:${soon}` } });
    expect(finding(expiring, 'env.ccache-expiring').title).toMatch(/expires in [45] min/);
  });

  it('no ccache → env.ccache-missing', async () => {
    const missing = path.join(scratch, 'no-such.ccache');
    const report = await check({ env: { ...lab.env, KRB5CCNAME: `FILE:${missing}` } });
    const f = finding(report, 'env.ccache-missing');
    expect(f.cause).toContain(`FILE:${missing} (KRB5CCNAME)`);
    expect(f.commands![0]).toMatch(/KRB5CCNAME=FILE:.*no-such\.ccache kinit/);
    expect(report.checks.find((c) => c.id === 'keytab-kvno')!.detail).toMatch(/needs a valid TGT/);
  });

  it('garbage keytab and garbage krb5.conf → findings naming file and offset/line, no throw', async () => {
    const keytab = path.join(scratch, 'garbage.keytab');
    const conf = path.join(scratch, 'garbage.conf');
    await writeFile(keytab, Buffer.concat([Buffer.from([0x05, 0x02, 0x00, 0x00, 0x10, 0x00]), randomBytes(200)]));
    await writeFile(conf, `this is not krb5.conf\n[libdefaults\n  = =\n}\n${randomBytes(64).toString('latin1')}\n`);
    const report = await check({ env: { ...lab.env, KRB5_CONFIG: conf }, keytab, timeoutMs: 1500 });
    const kt = finding(report, 'env.keytab-unreadable');
    expect(kt.evidence[0]!.source).toMatch(new RegExp(`^${keytab.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, byte \\d+$`));
    const parse = finding(report, 'env.krb5-conf-parse');
    expect(parse.evidence.map((e) => e.source)).toEqual(expect.arrayContaining([`${conf}:1`, `${conf}:2`]));
    finding(report, 'env.no-default-realm');
    // A garbage file that does not exist is another story: a missing keytab.
    const gone = await check({ keytab: path.join(scratch, 'gone.keytab') });
    expect(finding(gone, 'env.keytab-missing').cause).toContain('no such file');
  });

  it('a host that does not resolve → env.dns-forward', async () => {
    const report = await check({ principal: `mqtt/nosuch.invalid@${REALM}` });
    const f = finding(report, 'env.dns-forward');
    expect(f.evidence.find((e) => e.source === 'getaddrinfo')!.text).toMatch(/^nosuch\.invalid: .*(ENOTFOUND|EAI_AGAIN|no answer)/);
    expect(f.commands).toContain('getent ahosts nosuch.invalid');
  });

  it('a KDC address that swallows requests → env.kdc-unreachable by timeout on both transports, without hanging', async () => {
    // A real UDP socket and TCP listener that read and never answer: what a firewall that drops packets looks like.
    const port = await freeLoopbackPort();
    const udp = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => udp.bind(port, '127.0.0.1', resolve));
    const held = new Set<net.Socket>();
    const tcp = net.createServer((socket) => held.add(socket.on('error', () => {})));
    await new Promise<void>((resolve) => tcp.listen(port, '127.0.0.1', resolve));
    try {
      const { env } = await editedConf('black-hole.conf', (t) => t.replace(/^(\s*kdc\s*=\s*).*$/m, `$1127.0.0.1:${port}`));
      const report = await check({ env, timeoutMs: 1000 });
      const f = finding(report, 'env.kdc-unreachable');
      expect(evidenceText(f)).toMatch(new RegExp(`^UDP 127\\.0\\.0\\.1:${port}: no reply within 1000 ms$`, 'm'));
      expect(evidenceText(f)).toMatch(new RegExp(`^TCP 127\\.0\\.0\\.1:${port}: no reply within 1000 ms$`, 'm'));
      expect(report.checks.find((c) => c.id === 'clock-skew')).toMatchObject({ ok: true, detail: expect.stringContaining('ccache header') });
    } finally {
      held.forEach((s) => s.destroy());
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
      await new Promise<void>((resolve) => udp.close(resolve));
    }
  });
});
