/**
 * The krb5.conf export and importer against a lab realm of this file's own, with MIT's kinit, klist
 * and kvno as the oracles: the exported file gives alice a TGT with her keytab and a ticket for
 * mqtt/localhost; a broken one is refused with MIT's text; "test my config" keeps the user's
 * [libdefaults] against the lab, and asks the user's own KDCs with a short limit.
 */
import type { LabStatus } from '../../main/api/lab';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { krb5Importer } from '../../main/export/import/krb5-conf';
import { krb5Target } from '../../main/export/targets/krb5-conf';
import type { TestContext } from '../../main/export/types';
import type { LabServiceImpl } from '../../main/lab/service';
import { runTool } from '../../main/system/exec';
import { openExportHarness, type ExportHarness } from '../helpers/export-harness';

describe('krb5.conf export and import (lab realm)', () => {
  let h: ExportHarness;
  let dir: string;

  beforeAll(async () => {
    h = await openExportHarness('export-krb5');
    dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-export-krb5-'));
  }, 60_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await h?.close();
  });

  const testContext = (labStatus?: LabStatus): TestContext => ({
    engine: { runtime: 'cli', dataDir: h.dataDir, electronVersion: null, events: h.engine.events },
    supervisor: () => {
      throw new Error('krb5 tests need no GSS worker');
    },
    lab: h.engine.api.lab as LabServiceImpl,
    ...(labStatus ? { labStatus } : {}),
    signal: new AbortController().signal,
  });

  it('the exported krb5.conf gives alice a TGT with her keytab (kinit + klist) and a ticket for mqtt/localhost', async () => {
    const model = await h.model();
    const file = path.join(dir, 'krb5.conf');
    await writeFile(file, krb5Target.generate(model, false).files[0]!.text);
    const env: NodeJS.ProcessEnv = { ...process.env, KRB5_CONFIG: file, KRB5CCNAME: `FILE:${path.join(dir, 'cc')}` };
    delete env.KRB5_TRACE;
    const kinit = await runTool('/usr/bin/kinit', ['-k', '-t', h.lab.keytabs.client, `alice@${h.lab.realm}`], { env });
    expect(kinit.stderr).toBe('');
    expect(kinit.ok).toBe(true);
    const klist = await runTool('/usr/bin/klist', [], { env });
    expect(klist.stdout).toContain(`krbtgt/${h.lab.realm}@${h.lab.realm}`);
    const kvno = await runTool('/usr/bin/kvno', [`mqtt/localhost@${h.lab.realm}`], { env });
    expect(kvno.stdout).toMatch(/mqtt\/localhost@BENCH\.TEST: kvno = \d+/);

    const proofs = await h.prove(krb5Target, model);
    expect(proofs.map((p) => [p.name, p.ok])).toEqual([
      ['read back by the bench profile parser', true],
      ['kinit with the client keytab', true],
      ['kvno for the service', true],
    ]);
  }, 30_000);

  it("a krb5.conf whose KDC is wrong fails its proof with MIT's text", async () => {
    const model = { ...(await h.model()), kdcs: ['127.0.0.1:1'] };
    const proofs = await h.prove(krb5Target, model);
    const kinit = proofs.find((p) => p.name === 'kinit with the client keytab')!;
    expect(kinit.ok).toBe(false);
    expect(kinit.detail).toContain(`Cannot contact any KDC for realm '${h.lab.realm}'`);
    expect(proofs.find((p) => p.name === 'kvno for the service')!.ok).toBe(false);
  }, 30_000);

  it('the export service offers it proven', async () => {
    const result = await h.generate({ target: 'krb5' });
    expect(result.files.map((f) => f.path)).toEqual(['krb5.conf', 'README.md']);
    expect(result.proofs.every((p) => p.ok)).toBe(true);
    expect(result.proven).toBe(true);
  }, 30_000);

  it("test my config against the lab keeps the user's [libdefaults]; MIT's text when they cannot work", async () => {
    const good = path.join(dir, 'user-good.conf');
    await writeFile(good, '[libdefaults]\n  default_realm = CORP.EXAMPLE\n  rdns = false\n  dns_canonicalize_hostname = false\n  permitted_enctypes = aes256-cts-hmac-sha1-96\n[realms]\n  CORP.EXAMPLE = {\n    kdc = kdc.corp.example\n  }\n');
    const reading = await krb5Importer.read({ file: good, text: readFileSync(good, 'utf8'), onDisk: true });
    const ok = await krb5Importer.test(reading, testContext(h.lab));
    expect(ok.against).toBe(`lab realm ${h.lab.realm}`);
    expect(ok.steps.map((s) => [s.name.split(' ')[0], s.ok])).toEqual([
      ['krb5.conf', true],
      ['kinit', true],
      ['klist', true],
      ['kvno', true],
    ]);
    expect(ok.steps[0]!.detail).toContain('permitted_enctypes = aes256-cts-hmac-sha1-96');

    const weak = await krb5Importer.read({ file: 'weak.conf', text: '[libdefaults]\n  default_realm = CORP.EXAMPLE\n  permitted_enctypes = camellia128-cts-cmac\n', onDisk: false });
    const bad = await krb5Importer.test(weak, testContext(h.lab));
    const kinit = bad.steps.find((s) => s.name.startsWith('kinit'))!;
    expect(kinit.ok).toBe(false);
    expect(kinit.detail).toMatch(/kinit: .+ while getting initial credentials/);
    expect(kinit.detail).toContain('permitted_enctypes');
  }, 30_000);

  it('test my config against its own realm: the KDC answers, or "Cannot contact any KDC"', async () => {
    const own = path.join(dir, 'own.conf');
    await writeFile(own, `[libdefaults]\n  default_realm = ${h.lab.realm}\n  udp_preference_limit = 1\n[realms]\n  ${h.lab.realm} = {\n    kdc = ${h.lab.kdc}\n  }\n`);
    const answered = await krb5Importer.test(await krb5Importer.read({ file: own, text: readFileSync(own, 'utf8'), onDisk: true }), testContext());
    expect(answered.steps[0]).toMatchObject({ ok: true, detail: expect.stringContaining(`Client 'kbench-probe@${h.lab.realm}' not found in Kerberos database`) });

    const down = path.join(dir, 'down.conf');
    await writeFile(down, '[libdefaults]\n  default_realm = DOWN.TEST\n  udp_preference_limit = 1\n[realms]\n  DOWN.TEST = {\n    kdc = 127.0.0.1:1\n  }\n');
    const refused = await krb5Importer.test(await krb5Importer.read({ file: down, text: readFileSync(down, 'utf8'), onDisk: true }), testContext());
    expect(refused.against).toBe('realm DOWN.TEST (KDC 127.0.0.1:1)');
    expect(refused.steps[0]).toMatchObject({ ok: false, detail: expect.stringContaining("Cannot contact any KDC for realm 'DOWN.TEST'") });
  }, 30_000);
});
