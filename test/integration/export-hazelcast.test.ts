/**
 * Hazelcast exports from the lab realm, proven on the real stack: each format × form parsed back
 * and run by the Java engine as a member runs it (identity login, ticket for the member SPN,
 * acceptance); "test my config" on a good section and on broken ones, with Java's own texts.
 */
import { lookupService } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExportProof } from '../../main/api/export';
import { hazelcastImporter } from '../../main/export/import/hazelcast';
import { hazelcastXmlTarget, hazelcastYamlTarget } from '../../main/export/targets/hazelcast';
import type { TestContext } from '../../main/export/types';
import { GssSupervisor } from '../../main/gss/supervisor';
import type { LabServiceImpl } from '../../main/lab/service';
import { openExportHarness, type ExportHarness } from '../helpers/export-harness';

const FIXTURES = path.join(__dirname, '../fixtures/export/hazelcast');

let h: ExportHarness;
let supervisor: GssSupervisor | undefined;

beforeAll(async () => {
  h = await openExportHarness('export-hazelcast');
});

afterAll(async () => {
  await supervisor?.dispose();
  await h?.close();
});

function names(proofs: ExportProof[]): string[] {
  return proofs.map((p) => `${p.ok ? 'ok' : 'FAIL'} ${p.name}`);
}

describe('Hazelcast export from the lab, proven by Java', () => {
  const cases = [
    { target: hazelcastXmlTarget, form: 'simple', useNameWithoutRealm: true },
    { target: hazelcastXmlTarget, form: 'full', useNameWithoutRealm: false },
    { target: hazelcastYamlTarget, form: 'simple', useNameWithoutRealm: false },
    { target: hazelcastYamlTarget, form: 'full', useNameWithoutRealm: true },
  ] as const;
  for (const { target, form, useNameWithoutRealm } of cases) {
    it(`${target.info.id}, ${form} form, use-name-without-realm ${useNameWithoutRealm}`, async () => {
      const proofs = await h.prove(target, await h.model({ hazelcastForm: form, useNameWithoutRealm }));
      expect(proofs[0]!.detail).toMatch(/^read back \d+ settings into the same security/);
      expect(names(proofs)).toEqual([
        `ok ${proofs[0]!.name}`,
        'ok identity login (Krb5LoginModule)',
        'ok ticket for the member SPN hz/127.0.0.1@BENCH.TEST',
        'ok authentication side accepts it',
      ]);
      expect(proofs[1]!.detail).toContain(form === 'simple' ? 'simplified form (principal + keytab-file): principal=hz/127.0.0.1@BENCH.TEST' : 'JAAS realm krb5Initiator: principal=hz/127.0.0.1@BENCH.TEST');
      const accepted = proofs[3]!.detail;
      if (useNameWithoutRealm) expect(accepted).toContain('the user is hz/127.0.0.1 (Kerberos name hz/127.0.0.1@BENCH.TEST)');
      else expect(accepted).toContain('the user is hz/127.0.0.1@BENCH.TEST;');
    });
  }

  it('use-canonical-hostname: Java asks for the SPN of the address\'s canonical name (reverse DNS, as Hazelcast does)', async () => {
    const canonical = (await lookupService('127.0.0.1', 0)).hostname;
    const proofs = await h.prove(hazelcastYamlTarget, await h.model({ hazelcastSpn: { kind: 'canonical' } }));
    const ticket = proofs[2]!;
    expect(ticket.name).toBe(`ticket for the member SPN hz/${canonical}@BENCH.TEST`);
    expect(ticket.detail).toContain(`(canonical host name of 127.0.0.1: ${canonical})`);
    // The lab has hz/127.0.0.1 only: any other canonical name is unknown to its KDC, and Java says so.
    if (canonical === '127.0.0.1') expect(ticket.ok).toBe(true);
    else expect(ticket.detail).toMatch(/^GSSException: No valid credentials provided \(Mechanism level: .*Server not found in Kerberos database \(7\)/);
  });

  it('a static one-part spn shared by every member: asked for as written, its keys in the members\' keytab, accepted', async () => {
    await h.engine.api.lab.addPrincipal({ name: 'hzcluster', random: true });
    const proofs = await h.prove(hazelcastXmlTarget, await h.model({ hazelcastSpn: { kind: 'static', spn: 'hzcluster' } }));
    expect(names(proofs).slice(1)).toEqual(['ok identity login (Krb5LoginModule)', 'ok ticket for the member SPN hzcluster@BENCH.TEST', 'ok authentication side accepts it']);
    expect(proofs[3]!.detail).toContain('for hzcluster@BENCH.TEST');
  });

  it('an SPN the realm does not have: the ticket step fails with Java\'s text', async () => {
    const proofs = await h.prove(hazelcastXmlTarget, await h.model({ hazelcastSpn: { kind: 'prefix', prefix: 'hazelcast/' } }));
    expect(names(proofs).slice(1)).toEqual(['ok identity login (Krb5LoginModule)', 'FAIL ticket for the member SPN hazelcast/127.0.0.1@BENCH.TEST']);
    expect(proofs[2]!.detail).toContain('Server not found in Kerberos database (7) - LOOKING_UP_SERVER');
  });
});

describe('an imported section exported as it is, and proven', () => {
  for (const { source, target } of [
    { source: 'full-with-extras.xml', target: hazelcastYamlTarget },
    { source: 'simple.yaml', target: hazelcastXmlTarget },
  ]) {
    it(`${source} → ${target.info.id}: the same security, run by Java`, async () => {
      const file = path.join(FIXTURES, source);
      const reading = await hazelcastImporter.read({ file, text: readFileSync(file, 'utf8'), onDisk: true });
      const model = { ...(await h.model()), imported: { format: 'hazelcast' as const, file, setup: reading.setup } };
      const proofs = await h.prove(target, model);
      expect(proofs.map((p) => p.ok)).toEqual([true, true, true, true]);
      expect(proofs[0]!.detail).toMatch(/^read back \d+ settings into the same security/);
      expect(proofs[3]!.detail).toContain('the user is hz/127.0.0.1 (Kerberos name hz/127.0.0.1@BENCH.TEST)');
    });
  }
});

describe('"test my config" against the lab', () => {
  function context(): TestContext {
    supervisor ??= new GssSupervisor();
    const engine = { runtime: 'cli' as const, dataDir: h.dataDir, electronVersion: null, events: h.engine.events };
    return { engine, supervisor: () => supervisor!, lab: h.engine.api.lab as LabServiceImpl, labStatus: h.lab, signal: new AbortController().signal };
  }

  async function testText(file: string, text: string) {
    const reading = await hazelcastImporter.read({ file, text, onDisk: false });
    return hazelcastImporter.test(reading, context());
  }

  it('a good section (namespaced XML, full form, keytab not on this machine): every step passes, the stand-in said', async () => {
    const file = path.join(FIXTURES, 'full-with-extras.xml');
    const result = await testText(file, readFileSync(file, 'utf8'));
    expect(result.against).toBe('lab realm BENCH.TEST');
    expect(result.steps.map((s) => s.ok)).toEqual([true, true, true]);
    expect(result.steps[0]!.detail).toContain('keytab /opt/hazelcast/config/hazelcast.keytab is not on this machine');
    expect(result.steps[2]!.detail).toContain('the user is hz/127.0.0.1 (Kerberos name hz/127.0.0.1@BENCH.TEST)');
  });

  it('an identity whose keytab lacks its principal: Java\'s "Unable to obtain password from user"', async () => {
    const text = readFileSync(path.join(FIXTURES, 'simple.yaml'), 'utf8').replace(/(identity:\n\s+kerberos:\n(?:.*\n)*?\s+keytab-file: ).*/, `$1${h.lab.keytabs.client}`);
    const result = await testText('hz.yaml', text);
    expect(result.steps).toHaveLength(1);
    expect(result.steps[0]).toMatchObject({ name: 'identity login (Krb5LoginModule)', ok: false });
    expect(result.steps[0]!.detail).toMatch(/^LoginException: Unable to obtain password from user/);
  });

  it('an acceptor realm without storeKey: the ticket is got, acceptance fails with Java\'s text', async () => {
    const text = readFileSync(path.join(FIXTURES, 'full-with-extras.xml'), 'utf8').replace(
      /(<hz:realm name="krb5Acceptor">[\s\S]*?)<hz:property name="storeKey">true<\/hz:property>/,
      '$1<hz:property name="storeKey">false</hz:property>',
    );
    const result = await testText('hazelcast.xml', text);
    expect(result.steps.map((s) => s.ok)).toEqual([true, true, false]);
    expect(result.steps[2]!.detail).toMatch(/^GSSException: No valid credentials provided \(Mechanism level: Failed to find any Kerberos credentials\) \(JAAS realm krb5Acceptor: .*storeKey=false/);
  });

  it('a section with a missing security realm is refused with its line and fix', async () => {
    const file = path.join(FIXTURES, 'missing-security-realm.xml');
    const result = await testText(file, readFileSync(file, 'utf8'));
    expect(result.steps).toEqual([expect.objectContaining({ name: 'read the security section', ok: false })]);
    expect(result.steps[0]!.detail).toContain(`${file}:15: realm "kerberosRealm": the identity's security-realm "krb5Initiatr" is not defined`);
  });
});
