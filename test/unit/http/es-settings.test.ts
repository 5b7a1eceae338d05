import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadEsKerberosSettings, parseEsKerberosSettings } from '../../../main/http/es/settings';

const fixtures = path.resolve(__dirname, '../../fixtures/http');
const fixture = async (name: string) => parseEsKerberosSettings(await readFile(path.join(fixtures, name), 'utf8'), path.join(fixtures, name));

describe('parseEsKerberosSettings', () => {
  it('reads the flat form with the line of every setting', async () => {
    const result = await fixture('elasticsearch-flat.yml');
    expect(result).toEqual({
      ok: true,
      warnings: [],
      realm: {
        name: 'kerb1',
        order: 3,
        keytabPath: path.join(fixtures, 'es.keytab'),
        removeRealmName: true,
        krbDebug: false,
        lines: {
          realm: 'elasticsearch-flat.yml:4',
          order: 'elasticsearch-flat.yml:4',
          'keytab.path': 'elasticsearch-flat.yml:5',
          remove_realm_name: 'elasticsearch-flat.yml:6',
          'krb.debug': 'elasticsearch-flat.yml:7',
        },
      },
    });
  });

  it('reads the nested (and half-nested) form as the same realm', async () => {
    const flat = await fixture('elasticsearch-flat.yml');
    const nested = await fixture('elasticsearch-nested.yml');
    if (!flat.ok || !nested.ok) throw new Error('both fixtures should parse');
    expect({ ...nested.realm, lines: {} }).toEqual({ ...flat.realm, lines: {} });
    expect(nested.realm.lines).toMatchObject({ order: 'elasticsearch-nested.yml:9', 'keytab.path': 'elasticsearch-nested.yml:10', 'krb.debug': 'elasticsearch-nested.yml:13' });
  });

  it('refuses a second Kerberos realm, naming both and their lines', async () => {
    const result = await fixture('elasticsearch-two-realms.yml');
    expect(result).toEqual({
      ok: false,
      problems: [
        {
          at: 'elasticsearch-two-realms.yml:6',
          message:
            'multiple realms [kerb1, kerb2] configured of type [kerberos], [kerberos] can only have one such realm configured ' +
            '(kerb1 at elasticsearch-two-realms.yml:2, kerb2 at elasticsearch-two-realms.yml:6)',
        },
      ],
    });
  });

  it('lets a disabled second realm be', () => {
    const text = 'xpack.security.authc.realms.kerberos:\n  kerb1: {order: 0, keytab.path: a.keytab}\n  kerb2: {order: 1, keytab.path: b.keytab, enabled: false}\n';
    expect(parseEsKerberosSettings(text, '/etc/es/elasticsearch.yml')).toMatchObject({ ok: true, realm: { name: 'kerb1', keytabPath: '/etc/es/a.keytab' } });
  });

  it('reports a YAML syntax error at its line', async () => {
    const result = await fixture('elasticsearch-syntax-error.yml');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual([
      { at: 'elasticsearch-syntax-error.yml:3', message: 'Missing closing "quote: the string opened at line 3, column 16 is never closed' },
    ]);
    expect(parseEsKerberosSettings('a: [\nb: c\n', 'es.yml')).toMatchObject({ ok: false, problems: [{ at: 'es.yml:2' }] });
  });

  it('reports unknown settings and bad booleans at file:line', async () => {
    const unknown = await fixture('elasticsearch-unknown.yml');
    expect(unknown).toEqual({
      ok: false,
      problems: [
        {
          at: 'elasticsearch-unknown.yml:4',
          message:
            'unknown setting [xpack.security.authc.realms.kerberos.kerb1.keytab_path] please check that any required plugins are installed, ' +
            'or check the breaking changes documentation for removed settings',
        },
      ],
    });
    const text = 'xpack.security.authc.realms.kerberos.kerb1:\n  order: 0\n  keytab.path: es.keytab\n  remove_realm_name: yes\n';
    expect(parseEsKerberosSettings(text, 'es.yml')).toEqual({
      ok: false,
      problems: [{ at: 'es.yml:4', message: 'Failed to parse value [yes] as only [true] or [false] are allowed.' }],
    });
  });

  it('refuses the same key written flat and nested (ES’s duplicate settings key)', () => {
    const text = 'xpack.security.authc.realms.kerberos.kerb1.order: 0\nxpack.security.authc.realms.kerberos.kerb1:\n  order: 1\n';
    expect(parseEsKerberosSettings(text, 'es.yml')).toEqual({
      ok: false,
      problems: [
        {
          at: 'es.yml:3',
          message: 'duplicate settings key [xpack.security.authc.realms.kerberos.kerb1.order] found at line number [3], column number [10], previous value [0], current value [1]',
        },
      ],
    });
  });

  it('requires order and keytab.path on an enabled realm', () => {
    const result = parseEsKerberosSettings('xpack.security.authc.realms.kerberos.kerb9.krb.debug: true\n', '/etc/es/elasticsearch.yml');
    expect(result).toEqual({
      ok: false,
      problems: [
        {
          at: 'elasticsearch.yml:1',
          message: "'order' is a mandatory parameter for realm config. Found invalid realm config: 'kerb9' Please see the breaking changes documentation.",
        },
        {
          at: 'elasticsearch.yml:1',
          message: 'configured service key tab file [/etc/es] is a directory (xpack.security.authc.realms.kerberos.kerb9.keytab.path is not set)',
        },
      ],
    });
    expect(parseEsKerberosSettings('xpack.security.authc.realms.kerberos.k.order: first\nxpack.security.authc.realms.kerberos.k.keytab.path: x\n', 'es.yml')).toMatchObject({
      ok: false,
      problems: [{ at: 'es.yml:1', message: 'Failed to parse value [first] for setting [xpack.security.authc.realms.kerberos.k.order]' }],
    });
  });

  it('says when the file has no Kerberos realm', () => {
    expect(parseEsKerberosSettings('cluster.name: x\n', 'es.yml')).toEqual({ ok: false, problems: [{ at: 'es.yml', message: 'no enabled realm under xpack.security.authc.realms.kerberos.<name> in es.yml' }] });
  });
});

describe('loadEsKerberosSettings', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-es-settings-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('gives ES’s defaults without a file', async () => {
    expect(await loadEsKerberosSettings()).toEqual({
      ok: true,
      warnings: [],
      realm: { name: 'kerb1', order: 0, keytabPath: '', removeRealmName: false, krbDebug: false, lines: {} },
    });
  });

  it('checks the keytab as the realm does, relative to the config directory', async () => {
    const yml = path.join(dir, 'elasticsearch.yml');
    await writeFile(yml, 'xpack.security.authc.realms.kerberos.kerb1:\n  order: 0\n  keytab.path: es.keytab\n');
    expect(await loadEsKerberosSettings(yml)).toEqual({
      ok: false,
      problems: [{ at: 'elasticsearch.yml:3', message: `configured service key tab file [${path.join(dir, 'es.keytab')}] does not exist` }],
    });
    await writeFile(path.join(dir, 'es.keytab'), Buffer.from([5, 2]));
    expect(await loadEsKerberosSettings(yml)).toMatchObject({ ok: true, realm: { keytabPath: path.join(dir, 'es.keytab') } });
    expect(await loadEsKerberosSettings(path.join(dir, 'missing.yml'))).toEqual({ ok: false, problems: [{ at: path.join(dir, 'missing.yml'), message: 'no such file' }] });
  });
});
