import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expandKrb5Tokens, loadKrb5Environment, locationFilePath, systemKrb5Config } from '../../../main/system/krb5-env';

describe('loadKrb5Environment', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-krb5env-'));
    await mkdir(path.join(dir, 'conf.d'));
    await writeFile(path.join(dir, 'main.conf'), `include ${dir}/extra.conf\nincludedir ${dir}/conf.d\n[libdefaults]\n dns_lookup_kdc = false\n`);
    await writeFile(path.join(dir, 'extra.conf'), '[libdefaults]\n default_realm = INCLUDED.TEST\n');
    await writeFile(path.join(dir, 'conf.d', 'ccache'), '[libdefaults]\n default_ccache_name = FILE:/tmp/cc_%{uid}\n');
    await writeFile(path.join(dir, 'conf.d', 'ignored.bak'), '[libdefaults]\n default_keytab_name = FILE:/never\n');
    await writeFile(path.join(dir, 'loop.conf'), `include ${dir}/loop.conf\n[libdefaults]\n default_realm = LOOP.TEST\n`);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('follows include and includedir (skipping names MIT skips)', async () => {
    const krb5 = await loadKrb5Environment({ KRB5_CONFIG: path.join(dir, 'main.conf') });
    expect(krb5.defaultRealm).toBe('INCLUDED.TEST');
    expect(krb5.files.map((f) => path.basename(f.path))).toEqual(['main.conf', 'extra.conf', 'ccache']);
    expect(krb5.ccache).toEqual({ name: `FILE:/tmp/cc_${process.getuid!()}`, source: 'default_ccache_name in krb5.conf' });
    expect(krb5.keytab).toEqual({ name: 'FILE:/etc/krb5.keytab', source: 'MIT built-in default' });
  });

  it('lets KRB5CCNAME and KRB5_KTNAME win over krb5.conf', async () => {
    const krb5 = await loadKrb5Environment({ KRB5_CONFIG: path.join(dir, 'main.conf'), KRB5CCNAME: 'FILE:/x/cc', KRB5_KTNAME: '/x/kt' });
    expect(krb5.ccache).toEqual({ name: 'FILE:/x/cc', source: 'KRB5CCNAME' });
    expect(krb5.keytab).toEqual({ name: '/x/kt', source: 'KRB5_KTNAME' });
  });

  it('reports missing files and survives include loops', async () => {
    const missing = await loadKrb5Environment({ KRB5_CONFIG: `${dir}/nope.conf:${dir}/loop.conf` });
    expect(missing.files[0]).toMatchObject({ exists: false, error: 'no such file' });
    expect(missing.defaultRealm).toBe('LOOP.TEST');
  });

  it('expands MIT tokens and recognises file locations', () => {
    expect(expandKrb5Tokens('%{TEMP}/krb5cc_%{uid}', { TMPDIR: '/var/tmp' })).toBe(`/var/tmp/krb5cc_${process.getuid!()}`);
    expect(expandKrb5Tokens('%{unknown}', {})).toBe('%{unknown}');
    expect(locationFilePath('FILE:/tmp/x')).toBe('/tmp/x');
    expect(locationFilePath('/tmp/y')).toBe('/tmp/y');
    expect(locationFilePath('KEYRING:persistent:0')).toBeNull();
    expect(locationFilePath('KCM:')).toBeNull();
  });
});

describe('systemKrb5Config', () => {
  it("is KRB5_CONFIG's first file, else /etc/krb5.conf (an empty or unset variable included)", () => {
    expect(systemKrb5Config({ KRB5_CONFIG: '/a/krb5.conf:/b/krb5.conf' })).toBe('/a/krb5.conf');
    expect(systemKrb5Config({ KRB5_CONFIG: ':/b/krb5.conf' })).toBe('/b/krb5.conf');
    expect(systemKrb5Config({ KRB5_CONFIG: '' })).toBe('/etc/krb5.conf');
    expect(systemKrb5Config({})).toBe('/etc/krb5.conf');
  });
});
