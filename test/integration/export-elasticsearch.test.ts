/**
 * The Elasticsearch export generated from a lab realm of its own and proven as the product does:
 * the yml read back, the role mapping validated, and a throwaway ES-mode endpoint loaded with the
 * exported files (Java GSS, the exported krb5.conf and keytab) that role-mapping.sh and
 * `curl --negotiate -u :` talk to — for both remove_realm_name values. Then the importer on the
 * exported yml (round trip), its "test my config", and a broken yml.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { elasticsearchTarget } from '../../main/export/targets/elasticsearch';
import { openExportHarness, type ExportHarness } from '../helpers/export-harness';

describe('export elasticsearch (lab realm, Java GSS endpoint, curl --negotiate)', () => {
  let harness: ExportHarness;

  beforeAll(async () => {
    harness = await openExportHarness('export-es');
  }, 60_000);
  afterAll(async () => {
    await harness?.close();
  }, 60_000);

  it.each([false, true])('proves the files with remove_realm_name %s: alice signs in with the mapped roles', async (removeRealmName) => {
    const model = await harness.model({ elasticsearch: { removeRealmName, roles: ['monitoring_user', 'bench_reader'] } });
    const proofs = await harness.prove(elasticsearchTarget, model);
    expect(proofs.map((p) => [p.name, p.ok, p.detail]).filter(([, ok]) => !ok)).toEqual([]);
    expect(proofs).toHaveLength(6);
    expect(proofs[2]!.detail).toMatch(/^kinit -k alice@BENCH\.TEST through the exported krb5\.conf, then kvno -k elasticsearch\/es\.keytab HTTP\/localhost@BENCH\.TEST: HTTP\/localhost@BENCH\.TEST: kvno = \d+, keytab entry valid$/);
    const username = removeRealmName ? 'alice' : 'alice@BENCH.TEST';
    const curl = proofs.at(-1)!;
    expect(curl.name).toBe(`curl --negotiate authenticated as ${username} with roles [monitoring_user, bench_reader]`);
    expect(curl.detail).toMatch(/^curl --negotiate -u : http:\/\/localhost:\d+\/_security\/_authenticate → HTTP 200: /);
    expect(curl.detail).toContain(`"username":"${username}"`);
    expect(curl.detail).toContain('"roles":["bench_reader","monitoring_user"]');
    expect(proofs[3]!.detail).toMatch(/Java GSS/);
    expect(proofs[4]!.detail).toContain('{"role_mapping":{"created":true}}');
  }, 60_000);

  it('fails the sign-in proof when the keytab holds another service\'s key, with the endpoint\'s reason', async () => {
    const model = await harness.model();
    const wrong = { ...model, http: { ...model.http, keytab: model.mqtt.keytab! } };
    const proofs = await harness.prove(elasticsearchTarget, wrong);
    expect(proofs.map((p) => p.ok)).toEqual([true, true, false, true, false, false]);
    // MIT 1.20's words for a keytab without the SPN's key.
    expect(proofs[2]!.detail).toMatch(/kvno -k elasticsearch\/es\.keytab HTTP\/localhost@BENCH\.TEST: .*keytab entry invalid kvno: Wrong principal in request while decrypting ticket for HTTP\/localhost@BENCH\.TEST — fix: the keytab must hold the KDC's current key/);
    const curl = proofs[5]!;
    expect(curl.ok).toBe(false);
    expect(curl.detail).toMatch(/→ HTTP 401: /);
    // Java's acceptor with any-principal credentials: the wrong key shows as a checksum failure (FACTS).
    expect(curl.detail).toMatch(/the endpoint: Kerberos refused the token: GSSException: Failure unspecified at GSS-API level \(Mechanism level: Checksum failed\)/);
    expect(curl.detail).toMatch(/fix: .*does not hold the current key of HTTP\/localhost@BENCH\.TEST/);
  }, 60_000);

  it('exports through the engine\'s export service with every proof passed, the keytab withheld', async () => {
    const result = await harness.generate({ target: 'elasticsearch' });
    expect(result.proofs.filter((p) => !p.ok)).toEqual([]);
    expect(result.proven).toBe(true);
    expect(result.files.find((f) => f.path === 'elasticsearch/es.keytab')).toMatchObject({ redacted: true, mode: 0o600 });
  }, 60_000);

  describe('import and "test my config"', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-es-import-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('tests the fixture yml against the lab: its keytab is missing, the lab\'s stands in; alice per remove_realm_name', async () => {
      const file = path.resolve('test/fixtures/export/elasticsearch/elasticsearch.yml');
      const result = await harness.engine.api.importer.test({ file: { path: file } });
      expect(result.import).toMatchObject({ format: 'elasticsearch', detectedBy: 'xpack.security.authc.realms.kerberos' });
      expect(result.steps.map((s) => [s.name, s.ok])).toEqual([
        [`keytab.path → ${path.resolve('test/fixtures/export/elasticsearch/krb/http.keytab')}`, true],
        [expect.stringMatching(/^elasticsearch\.yml loaded by the bench's Elasticsearch-mode endpoint/), true],
        ['curl --negotiate -u : /_security/_authenticate', true],
      ]);
      expect(result.steps[0]!.detail).toMatch(/is not on this machine: the lab's service keytab .* \(HTTP\/localhost@BENCH\.TEST\) stands in for it/);
      expect(result.steps[2]!.detail).toMatch(/→ HTTP 200: username alice, roles \[\]/);
      expect(result).toMatchObject({ ok: true, against: 'lab realm BENCH.TEST' });
      expect(result.exchange).toMatchObject({ source: 'http', identity: { principal: 'alice@BENCH.TEST', mapped: 'alice' } });
    }, 60_000);

    it('against the realm as configured, a missing keytab stops the test with ES\'s text', async () => {
      const file = path.resolve('test/fixtures/export/elasticsearch/elasticsearch.yml');
      const result = await harness.engine.api.importer.test({ file: { path: file }, against: { kind: 'own' } });
      expect(result.ok).toBe(false);
      expect(result.steps).toEqual([expect.objectContaining({ ok: false, detail: `configured service key tab file [${path.resolve('test/fixtures/export/elasticsearch/krb/http.keytab')}] does not exist` })]);
    }, 60_000);

    it('tests a yml whose keytab holds the wrong key: the endpoint\'s own error', async () => {
      await writeFile(path.join(dir, 'elasticsearch.yml'), 'xpack.security.authc.realms.kerberos.kerb1.order: 0\nxpack.security.authc.realms.kerberos.kerb1.keytab.path: wrong.keytab\n');
      await harness.engine.api.lab.exportKeytab({ path: path.join(dir, 'wrong.keytab'), principals: ['mqtt/localhost@BENCH.TEST'] });
      const result = await harness.engine.api.importer.test({ file: { path: path.join(dir, 'elasticsearch.yml') } });
      expect(result.ok).toBe(false);
      expect(result.steps[0]).toMatchObject({ ok: true, detail: 'the yml\'s keytab is used' });
      const last = result.steps.at(-1)!;
      expect(last).toMatchObject({ name: 'curl --negotiate -u : /_security/_authenticate', ok: false });
      expect(last.detail).toMatch(/HTTP 401/);
      expect(last.detail).toMatch(/\nthe endpoint: .+/);
    }, 60_000);

    it('round trip on disk: the exported files imported and tested with their own keytab', async () => {
      const model = await harness.model({ elasticsearch: { realmName: 'corp', order: 4, removeRealmName: true } });
      const { files } = elasticsearchTarget.generate(model, true);
      const out = path.join(dir, 'export');
      for (const f of files) {
        await mkdir(path.dirname(path.join(out, f.path)), { recursive: true });
        await writeFile(path.join(out, f.path), f.binary ? Buffer.from(f.binary, 'base64') : f.text);
      }
      const yml = path.join(out, 'elasticsearch/elasticsearch.yml');
      const result = await harness.engine.api.importer.test({ file: { path: yml } });
      expect(result.import.setup.elasticsearch).toMatchObject({ name: 'corp', order: 4, removeRealmName: true, keytabPath: path.join(out, 'elasticsearch/es.keytab') });
      expect(result.steps.map((s) => s.ok)).toEqual([true, true, true]);
      expect(result.steps[2]!.detail).toMatch(/username alice, roles/);
    }, 60_000);
  });
});
