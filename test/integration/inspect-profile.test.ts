/**
 * The `profile` service (the krb5.conf view, `kbench krb5conf show`): directly, through dispatch
 * and as the CLI. The fixture is this machine's /etc/krb5.conf as Debian 12's krb5-config 2.7
 * postinst wrote it (default realm ATHENA.MIT.EDU, MIT's campus realms), copied unchanged. MIT
 * itself is the oracle for what a file means: kinit's trace names the default realm and the KDC it
 * reads from the same text.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Krb5ConfDocument } from '../../main/api/profile';
import { createEngine, type Engine } from '../../main/engine';
import { ProfileServiceImpl } from '../../main/inspect/profile-service';
import { kbenchProcess, runProgram } from '../helpers/cli';

const SAMPLE = path.resolve('test/fixtures/krb5conf/debian-sample.krb5.conf');

describe('profile service (krb5.conf)', () => {
  let root: string;
  const profile = new ProfileServiceImpl();

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'kbench-profile-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("reads Debian's sample krb5.conf: settings with their lines, realms with their KDCs, the sample-realm warning", async () => {
    const doc = await profile.read({ path: SAMPLE });
    const lines = readFileSync(SAMPLE, 'utf8').split('\n');
    expect(doc.text).toBe(readFileSync(SAMPLE, 'utf8'));
    const realm = doc.libdefaults.find((v) => v.tag === 'default_realm')!;
    expect(realm).toMatchObject({ value: 'ATHENA.MIT.EDU', line: 2, meaning: expect.stringContaining('without @REALM') });
    // Every value's line is the line of the file it was read from.
    for (const v of doc.libdefaults) expect(lines[v.line - 1]).toMatch(new RegExp(`^\\s*${v.tag}\\s*=\\s*${v.value}\\s*$`));
    const athena = doc.realms.find((r) => r.name === 'ATHENA.MIT.EDU')!;
    expect(athena.kdc.map((k) => k.value)).toEqual(['kerberos.mit.edu', 'kerberos-1.mit.edu', 'kerberos-2.mit.edu:88']);
    expect(athena.kdc.map((k) => k.line)).toEqual([17, 18, 19]);
    expect(athena.adminServer.map((k) => k.value)).toEqual(['kerberos.mit.edu']);
    // (The sample spells this realm in lower case.)
    expect(doc.realms.find((r) => r.name === 'stanford.edu')?.primaryKdc.map((k) => k.tag)).toEqual(['master_kdc']);
    expect(doc.domainRealm).toContainEqual(expect.objectContaining({ domain: '.mit.edu', realm: 'ATHENA.MIT.EDU' }));
    expect(doc.problems).toContainEqual({ line: 2, severity: 'warning', message: expect.stringContaining("default_realm = ATHENA.MIT.EDU is the sample krb5.conf Debian's krb5-config installs") });
    expect(doc.problems).toContainEqual({ line: 13, severity: 'info', message: 'fcc-mit-ticketflags is a Heimdal setting: MIT ignores it' });
    // CSAIL.MIT.EDU really has no kdc in the sample: MIT would go to DNS for it.
    const csail = doc.realms.find((r) => r.name === 'CSAIL.MIT.EDU')!;
    expect(csail.kdc).toEqual([]);
    expect(doc.problems).toContainEqual({ line: csail.line, severity: 'warning', message: expect.stringContaining('realm CSAIL.MIT.EDU names no kdc') });
    expect(doc.problems.filter((p) => p.severity === 'error')).toEqual([]);
  });

  it('agrees with MIT: kinit reads the same default realm and KDC from the same text', async () => {
    const file = path.join(root, 'krb5.conf');
    await writeFile(file, '[libdefaults]\n  dns_lookup_kdc = false\n  default_realm = PARSE.TEST\n[realms]\n  PARSE.TEST = {\n    kdc = 127.0.0.1:9\n  }\n');
    const doc = await profile.read({ path: file });
    expect(doc.realms).toEqual([expect.objectContaining({ name: 'PARSE.TEST', kdc: [expect.objectContaining({ value: '127.0.0.1:9', line: 6 })] })]);
    expect(doc.problems).toEqual([]);
    const trace = path.join(root, 'kinit.trace');
    const env = { ...process.env, KRB5_CONFIG: file, KRB5_TRACE: trace, KRB5CCNAME: `FILE:${path.join(root, 'x.ccache')}` };
    const kinit = await runProgram('kinit', ['nosuch'], env, '', 20_000);
    expect(kinit.stderr).toContain("Cannot contact any KDC for realm 'PARSE.TEST'");
    const said = readFileSync(trace, 'utf8');
    expect(said).toMatch(/Sending request \(\d+ bytes\) to PARSE\.TEST/);
    expect(said).toContain('request to dgram 127.0.0.1:9');
  });

  it('names the line MIT cannot read, a realm with no KDC when DNS is off, an unknown section', async () => {
    const file = path.join(root, 'broken.conf');
    await writeFile(file, '[libdefaults]\n default_realm = B.TEST\n dns_lookup_kdc = no\n[realms]\n B.TEST = {\n  admin_server = x\n }\n[libdefault]\n forwardable = true\nnot a relation\n');
    const doc = await profile.read({ path: file });
    expect(doc.problems).toEqual([
      { line: 5, severity: 'error', message: 'realm B.TEST names no kdc and dns_lookup_kdc is off: MIT fails with \'Cannot find KDC for realm "B.TEST"\'' },
      { line: 8, severity: 'warning', message: 'MIT reads no section [libdefault]: everything in it is ignored' },
      { line: 10, severity: 'error', message: 'cannot parse line: not a relation' },
    ]);
  });

  it('refuses a file that is not text, naming the file and the line', async () => {
    const keytab = path.join(root, 'x.keytab');
    await writeFile(keytab, Buffer.from('0502000000', 'hex'));
    await expect(profile.read({ path: keytab })).rejects.toThrow(`${keytab}:1: not a krb5.conf — line 1 holds binary data`);
    await expect(profile.read({ base64: Buffer.from('[libdefaults]\n a = 1\n\u0000').toString('base64'), name: 'picked.conf' })).rejects.toThrow('picked.conf:3: not a krb5.conf');
  });

  describe('through the adapters', () => {
    let engine: Engine;
    beforeAll(() => {
      engine = createEngine({ runtime: 'cli', dataDir: path.join(root, 'data') });
    });
    afterAll(async () => {
      await engine?.dispose();
    });

    it('dispatch: validated input, the document as data, failures as data', async () => {
      const ok = await engine.invoke({ service: 'profile', method: 'read', args: [{ path: SAMPLE }] });
      expect(ok).toMatchObject({ ok: true, value: { name: SAMPLE, realms: expect.arrayContaining([expect.objectContaining({ name: 'ATHENA.MIT.EDU' })]) } });
      expect(await engine.invoke({ service: 'profile', method: 'read', args: [{ path: '' }] })).toMatchObject({ ok: false, error: { code: 'invalid-input' } });
      expect(await engine.invoke({ service: 'profile', method: 'read', args: [{ path: path.join(root, 'nothing.conf') }] })).toMatchObject({ ok: false, error: { code: 'failed', message: expect.stringContaining('nothing.conf') } });
    });

    it('kbench krb5conf show: text with FILE:LINE problems, and --json', async () => {
      const shown = await kbenchProcess(['krb5conf', 'show', SAMPLE], { ...process.env, NO_COLOR: '1' });
      expect(shown.code, shown.stderr).toBe(0);
      expect(shown.stdout).toContain(`krb5.conf: ${SAMPLE}`);
      expect(shown.stdout).toMatch(/^ {2}default_realm\s+= ATHENA\.MIT\.EDU\s+line 2 /m);
      expect(shown.stdout).toMatch(/^ {4}kdc +kerberos\.mit\.edu \(line 17\), kerberos-1\.mit\.edu \(line 18\), kerberos-2\.mit\.edu:88 \(line 19\)$/m);
      expect(shown.stdout).toContain(`${SAMPLE}:2: warning: default_realm = ATHENA.MIT.EDU`);
      const json = await kbenchProcess(['krb5conf', 'show', SAMPLE, '--json'], process.env);
      const doc = JSON.parse(json.stdout) as Krb5ConfDocument;
      expect(doc).toEqual((await engine.invoke({ service: 'profile', method: 'read', args: [{ path: SAMPLE }] }) as { value: Krb5ConfDocument }).value);
      const missing = await kbenchProcess(['krb5conf', 'show', path.join(root, 'nothing.conf')], process.env);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('nothing.conf: no such file');
    });
  });
});
