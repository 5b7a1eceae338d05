/**
 * The Elasticsearch export's files (pure generate) and the elasticsearch.yml importer's reading,
 * checked by the real parsers: the bench's ES settings reader, `yaml`, JSON.parse and the ES
 * role-mapping validator. The lab-backed proofs are in test/integration/export-elasticsearch.test.ts.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseRoleMapping } from '../../main/http/es/role-mapping';
import { parseEsKerberosSettings } from '../../main/http/es/settings';
import { elasticsearchImporter } from '../../main/export/import/elasticsearch';
import { elasticsearchTarget } from '../../main/export/targets/elasticsearch';
import type { ExportFile } from '../../main/api/export';
import type { ImportSourceText } from '../../main/export/types';
import { esModel, FAKE_KEYTAB as KEYTAB } from '../fixtures/export/elasticsearch/model';

const FIXTURES = path.resolve('test/fixtures/export/elasticsearch');
const fileOf = (files: ExportFile[], p: string): ExportFile => files.find((f) => f.path === p)!;

async function source(name: string): Promise<ImportSourceText> {
  const file = path.join(FIXTURES, name);
  return { file, text: await readFile(file, 'utf8'), onDisk: true };
}

describe('Elasticsearch export: generate', () => {
  it('writes the realm the settings reader and yaml read back (defaults: kerb1, order 0, es.keytab)', () => {
    const { files, notes } = elasticsearchTarget.generate(esModel(), false);
    expect(files.map((f) => f.path)).toEqual([
      'elasticsearch/elasticsearch.yml',
      'elasticsearch/jvm.options.d/krb5.options',
      'elasticsearch/krb5.conf',
      'elasticsearch/role-mapping.json',
      'elasticsearch/role-mapping.sh',
      'elasticsearch/es.keytab',
      'elasticsearch/README.md',
    ]);
    const yml = fileOf(files, 'elasticsearch/elasticsearch.yml').text;
    const read = parseEsKerberosSettings(yml, '/etc/elasticsearch/elasticsearch.yml');
    expect(read).toMatchObject({ ok: true, realm: { name: 'kerb1', order: 0, keytabPath: '/etc/elasticsearch/es.keytab', removeRealmName: false, krbDebug: false } });
    expect(parseYaml(yml)).toEqual({
      'xpack.security.authc.realms.kerberos.kerb1.order': 0,
      'xpack.security.authc.realms.kerberos.kerb1.keytab.path': 'es.keytab',
      'xpack.security.authc.realms.kerberos.kerb1.remove_realm_name': false,
    });
    expect(fileOf(files, 'elasticsearch/jvm.options.d/krb5.options').text).toContain('-Djava.security.krb5.conf=/etc/elasticsearch/krb5.conf\n');
    const krb5 = fileOf(files, 'elasticsearch/krb5.conf').text;
    expect(krb5).toMatch(/default_realm = BENCH\.TEST/);
    expect(krb5).toMatch(/BENCH\.TEST = \{\n\s+kdc = 127\.0\.0\.1:18888\n\s+\}/);
    expect(krb5).toMatch(/rdns = false/);
    expect(krb5).toMatch(/\.bench\.test = BENCH\.TEST/);
    expect(notes.join('\n')).toMatch(/HTTP\/localhost@BENCH\.TEST/);
  });

  it('withholds the keytab unless revealed, 0600 and binary either way', () => {
    const hidden = fileOf(elasticsearchTarget.generate(esModel(), false).files, 'elasticsearch/es.keytab');
    expect(hidden).toMatchObject({ mode: 0o600, language: 'binary', redacted: true, text: '' });
    expect(hidden.binary).toBeUndefined();
    expect(hidden.withheld).toMatch(/--reveal-secrets/);
    expect(hidden.purpose).toMatch(/kbench lab export-keytab es\.keytab --principal HTTP\/localhost@BENCH\.TEST/);
    expect(hidden.purpose).toMatch(/readable by the elasticsearch user/);
    const shown = fileOf(elasticsearchTarget.generate(esModel(), true).files, 'elasticsearch/es.keytab');
    expect(shown).toMatchObject({ mode: 0o600, redacted: false, binary: Buffer.from(KEYTAB).toString('base64') });
    expect(shown.withheld).toBeUndefined();
    const none = fileOf(elasticsearchTarget.generate(esModel({}, { http: { principal: 'HTTP/es1@X', host: 'es1', url: '' }, labRealm: undefined }), true).files, 'elasticsearch/es.keytab');
    expect(none.withheld).toMatch(/no keytab for HTTP\/es1@X/);
    expect(none.purpose).toMatch(/ktadd -norandkey/);
  });

  it('takes the realm name, order, remove_realm_name, roles and nodes from the options', () => {
    const model = esModel({ elasticsearch: { realmName: 'corp', order: 3, removeRealmName: true, roles: ['kibana_user', 'viewer'], nodes: ['es1.example.com', 'es2.example.com'] } });
    const { files } = elasticsearchTarget.generate(model, false);
    const yml = fileOf(files, 'elasticsearch/elasticsearch.yml').text;
    expect(parseEsKerberosSettings(yml, '/x/elasticsearch.yml')).toMatchObject({ ok: true, realm: { name: 'corp', order: 3, removeRealmName: true } });
    const json = fileOf(files, 'elasticsearch/role-mapping.json').text;
    const parsed = parseRoleMapping('kerberos-users', json);
    expect(parsed).toMatchObject({ ok: true, mapping: { enabled: true, roles: ['kibana_user', 'viewer'] } });
    expect(JSON.parse(json).rules).toEqual({ all: [{ field: { 'realm.name': 'corp' } }, { field: { 'metadata.kerberos_realm': 'BENCH.TEST' } }] });
    const readme = fileOf(files, 'elasticsearch/README.md').text;
    for (const node of ['es1.example.com', 'es2.example.com']) {
      expect(readme).toContain(`\`HTTP/${node}@BENCH.TEST\``);
      expect(readme).toContain(`ktadd -k ${node}.keytab HTTP/${node}@BENCH.TEST`);
      expect(readme).toContain(`setspn -S HTTP/${node} <es-service-account>`);
    }
    expect(readme).toContain(`curl --negotiate -u : -X PUT "http://es1.example.com:9200/_security/role_mapping/kerberos-users" -H 'Content-Type: application/json' -d @role-mapping.json`);
    expect(readme).toContain('"username": "alice"');
    const script = fileOf(files, 'elasticsearch/role-mapping.sh');
    expect(script.mode).toBe(0o755);
    expect(script.text).toContain('ES_URL="${ES_URL:-http://es1.example.com:9200}"');
    expect(script.text).toContain('-X PUT "$ES_URL/_security/role_mapping/kerberos-users" -H \'Content-Type: application/json\' -d @"$here/role-mapping.json"');
  });

  it('is pure: the same model gives the same files', () => {
    expect(elasticsearchTarget.generate(esModel(), true)).toEqual(elasticsearchTarget.generate(esModel(), true));
  });
});

describe('elasticsearch.yml importer: read', () => {
  it('detects the realm in flat and nested form, and nothing in other YAML', async () => {
    expect(elasticsearchImporter.detect(await source('elasticsearch.yml'))).toBe('xpack.security.authc.realms.kerberos');
    expect(elasticsearchImporter.detect(await source('nested.yml'))).toBe('xpack.security.authc.realms.kerberos');
    expect(elasticsearchImporter.detect({ file: 'x.yml', text: 'cluster.name: a\nxpack.security.enabled: true\n', onDisk: false })).toBeNull();
    expect(elasticsearchImporter.detect({ file: 'krb5.conf', text: '[libdefaults]\n default_realm = X\n', onDisk: false })).toBeNull();
  });

  it('puts a problem of the whole file (no realm at all) on line 1, never line 0 (fuzz finding)', async () => {
    const reading = await elasticsearchImporter.read({ file: 'elasticsearch.yml', text: '=\nc\nc', onDisk: false });
    expect(reading.problems).toEqual([expect.objectContaining({ file: 'elasticsearch.yml', line: 1, message: 'no enabled realm under xpack.security.authc.realms.kerberos.<name> in elasticsearch.yml' })]);
  });

  it('understands every realm setting with its line, and lists the rest as unused with theirs', async () => {
    const src = await source('elasticsearch.yml');
    const reading = await elasticsearchImporter.read(src);
    expect(reading.problems).toEqual([]);
    const key = (s: string) => `xpack.security.authc.realms.kerberos.kerb7.${s}`;
    expect(reading.understood.map((s) => [s.key, s.value, s.line])).toEqual([
      [key('order'), '2', 8],
      [key('enabled'), 'true', 9],
      [key('keytab.path'), 'krb/http.keytab', 10],
      [key('remove_realm_name'), 'true', 11],
      [key('krb.debug'), 'true', 12],
    ]);
    expect(reading.unused.map((u) => [u.key, u.line, u.why])).toEqual([
      ['cluster.name', 2, 'not a Kerberos realm setting'],
      ['node.name', 3, 'not a Kerberos realm setting'],
      ['network.host', 4, 'not a Kerberos realm setting'],
      ['http.port', 5, 'not a Kerberos realm setting'],
      ['xpack.security.enabled', 6, 'not a Kerberos realm setting'],
      ['xpack.security.authc.realms.native.native1.order', 7, 'not a Kerberos realm setting'],
      [key('cache.ttl'), 13, 'a Kerberos realm setting the bench\'s endpoint does not emulate (elasticsearch.yml:13)'],
    ]);
    expect(reading.setup).toEqual({
      elasticsearch: {
        name: 'kerb7',
        order: 2,
        keytabPath: path.join(FIXTURES, 'krb/http.keytab'),
        removeRealmName: true,
        krbDebug: true,
        lines: { realm: 'elasticsearch.yml:8', order: 'elasticsearch.yml:8', 'keytab.path': 'elasticsearch.yml:10', remove_realm_name: 'elasticsearch.yml:11', 'krb.debug': 'elasticsearch.yml:12' },
      },
      serviceKeytab: path.join(FIXTURES, 'krb/http.keytab'),
    });
  });

  it('reads the nested form with the lines of the nested keys', async () => {
    const reading = await elasticsearchImporter.read(await source('nested.yml'));
    expect(reading.problems).toEqual([]);
    expect(reading.setup.elasticsearch).toMatchObject({ name: 'kerb2', order: 1, removeRealmName: false, lines: { order: 'nested.yml:8', 'keytab.path': 'nested.yml:9' } });
  });

  it('a broken YAML line gives file:line and a fix', async () => {
    const src = await source('broken-quote.yml');
    const reading = await elasticsearchImporter.read(src);
    expect(reading.problems).toHaveLength(1);
    expect(reading.problems[0]).toMatchObject({ file: src.file, line: 3, severity: 'error' });
    expect(reading.problems[0]!.message).toMatch(/^Missing closing "quote.*: the string opened at line 3, column \d+ is never closed$/);
    expect(reading.problems[0]!.fix).toMatch(/unclosed quote/);
    expect(reading.setup).toEqual({});
    expect(reading.understood).toEqual([]);
  });

  it('two Kerberos realms: ES\'s "multiple realms" error at the second realm\'s line', async () => {
    const reading = await elasticsearchImporter.read(await source('two-realms.yml'));
    expect(reading.problems).toEqual([
      expect.objectContaining({
        line: 3,
        severity: 'error',
        message: 'multiple realms [kerb1, kerb2] configured of type [kerberos], [kerberos] can only have one such realm configured (kerb1 at two-realms.yml:1, kerb2 at two-realms.yml:3)',
        fix: expect.stringMatching(/enabled: false/),
      }),
    ]);
  });

  it('an unknown realm setting is unused with ES\'s text and a warning; the realm is still read', async () => {
    const reading = await elasticsearchImporter.read(await source('unknown-setting.yml'));
    const key = 'xpack.security.authc.realms.kerberos.kerb1.remove_realm_nmae';
    expect(reading.unused).toEqual([expect.objectContaining({ key, line: 3, why: expect.stringMatching(/^unknown setting \[xpack\.security\.authc\.realms\.kerberos\.kerb1\.remove_realm_nmae\] please check/) })]);
    expect(reading.problems).toEqual([expect.objectContaining({ line: 3, severity: 'warning', fix: expect.stringMatching(/will not start with it/) })]);
    expect(reading.setup.elasticsearch).toMatchObject({ name: 'kerb1', order: 0, removeRealmName: false });
  });

  it('a missing order and a bad boolean: each at its line, with a fix', async () => {
    const reading = await elasticsearchImporter.read(await source('missing-order.yml'));
    expect(reading.problems.map((p) => [p.line, p.message, p.fix])).toEqual([
      [1, "'order' is a mandatory parameter for realm config. Found invalid realm config: 'kerb1' Please see the breaking changes documentation.", 'add xpack.security.authc.realms.kerberos.kerb1.order: 0'],
      [2, 'Failed to parse value [yes] as only [true] or [false] are allowed.', 'write true or false'],
    ]);
  });

  it('round trip: import → export keeps every realm setting', async () => {
    const src = await source('elasticsearch.yml');
    const reading = await elasticsearchImporter.read(src);
    const model = esModel({}, { imported: { format: 'elasticsearch', file: src.file, setup: reading.setup }, basis: 'elasticsearch.yml (imported)' });
    const { files } = elasticsearchTarget.generate(model, true);
    const yml = fileOf(files, 'elasticsearch/elasticsearch.yml').text;
    // The exported yml, read back as if it sat where the imported one did.
    const again = parseEsKerberosSettings(yml, src.file);
    expect(again.ok).toBe(true);
    const { lines: _a, ...exported } = (again as Extract<typeof again, { ok: true }>).realm;
    const { lines: _b, ...imported } = reading.setup.elasticsearch!;
    expect(exported).toEqual(imported);
    expect(files.map((f) => f.path)).toContain('elasticsearch/krb/http.keytab');
    // And through the importer again: the same settings understood.
    const reread = await elasticsearchImporter.read({ file: src.file, text: yml, onDisk: true });
    expect(reread.understood.map((s) => [s.key, s.value])).toEqual(
      reading.understood.filter((s) => !s.key.endsWith('.enabled')).map((s) => [s.key, s.value]),
    );
  });
});
