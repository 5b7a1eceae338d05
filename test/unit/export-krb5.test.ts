/**
 * krb5.conf import and export without a realm: includes followed as MIT follows them (MIT's own
 * kinit is the oracle for what it refuses), the loop and missing-file problems with their line and
 * fix, what is understood and what is not, and the import → export round trip.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { krb5Importer } from '../../main/export/import/krb5-conf';
import { applyImport, profileModel } from '../../main/export/model';
import { generateKrb5, krb5Target } from '../../main/export/targets/krb5-conf';
import type { ExportModel } from '../../main/export/types';
import { parseProfile } from '../../main/krb/profile';
import { runTool } from '../../main/system/exec';

const FIXTURES = path.join(__dirname, '../fixtures/export/krb5');

function model(overrides: Partial<ExportModel> = {}): ExportModel {
  const service = (principal: string, host: string) => ({ principal, host });
  return {
    realm: 'BENCH.TEST',
    kdcs: ['127.0.0.1:40088'],
    libdefaults: { rdns: 'false', dns_canonicalize_hostname: 'false', permitted_enctypes: 'aes256-cts-hmac-sha1-96', udp_preference_limit: '1' },
    domainRealm: [{ domain: '.localhost', realm: 'BENCH.TEST' }],
    mqtt: { ...service('mqtt/localhost@BENCH.TEST', 'localhost'), url: 'mqtt://localhost:1883', keytabFile: '/srv/lab/service.keytab' },
    http: { ...service('HTTP/www.bench.test@BENCH.TEST', 'www.bench.test'), url: 'http://www.bench.test:9200/' },
    hazelcast: service('hz/127.0.0.1@BENCH.TEST', '127.0.0.1'),
    client: { principal: 'alice@BENCH.TEST' },
    knownToWork: null,
    basis: 'lab realm BENCH.TEST',
    options: {},
    ...overrides,
  };
}

const read = (file: string, text: string, onDisk = true) => krb5Importer.read({ file, text, onDisk });

describe('krb5.conf export', () => {
  it('writes libdefaults, realms and domain_realm that the profile parser reads back', () => {
    const { files } = krb5Target.generate(model(), false);
    expect(files.map((f) => f.path)).toEqual(['krb5.conf', 'README.md']);
    const text = files[0]!.text;
    const parsed = parseProfile(text, 'krb5.conf');
    expect(parsed.problems).toEqual([]);
    const lib = parsed.sections.get('libdefaults')!.relations;
    const first = (tag: string) => (lib.get(tag)?.[0] as { value: string } | undefined)?.value;
    expect(first('default_realm')).toBe('BENCH.TEST');
    expect(first('dns_lookup_kdc')).toBe('false');
    expect(first('default_keytab_name')).toBe('FILE:/srv/lab/service.keytab');
    expect(first('rdns')).toBe('false');
    expect(first('permitted_enctypes')).toBe('aes256-cts-hmac-sha1-96');
    expect(text).toMatch(/BENCH\.TEST = \{\n\s+kdc = 127\.0\.0\.1:40088\n/);
    // The service hosts map to the realm; the IP address of hz/ needs no mapping.
    expect(text).toMatch(/\[domain_realm\]\n\s+\.localhost = BENCH\.TEST\n\s+localhost = BENCH\.TEST\n\s+www\.bench\.test = BENCH\.TEST\n$/);
    expect(files[1]!.text).toContain('KRB5_CONFIG');
  });

  it('writes the admin server when one is known, and keeps the imported settings on a round trip', async () => {
    const file = path.join(FIXTURES, 'corp.conf');
    const text = await readFile(file, 'utf8');
    const first = await read(file, text);
    const base = await profileModel({ kind: 'profile', profile: 'custom', krb5Config: file });
    const m = await applyImport(base, { format: 'krb5', file, setup: first.setup });
    const out = generateKrb5(m).files[0]!.text;
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-krb5-rt-'));
    try {
      const exported = path.join(dir, 'krb5.conf');
      await writeFile(exported, out);
      const again = await read(exported, out);
      expect(again.problems).toEqual([]);
      const pairs = (r: typeof first) => r.understood.map((u) => `${u.key} = ${u.value}`);
      for (const pair of pairs(first)) expect(pairs(again)).toContain(pair);
      expect(again.setup.kdcs).toEqual(['kdc1.corp.example:88', 'kdc2.corp.example:88']);
      expect(out).toContain('admin_server = kdc1.corp.example:749');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('krb5.conf import', () => {
  it('understands the settings the bench uses and lists the rest with their line', async () => {
    const file = path.join(FIXTURES, 'corp.conf');
    const r = await read(file, await readFile(file, 'utf8'));
    const setting = (key: string) => r.understood.filter((u) => u.key === key);
    expect(setting('libdefaults.default_realm')).toMatchObject([{ value: 'CORP.EXAMPLE', line: 3 }]);
    expect(setting('libdefaults.rdns')[0]!.use).toMatch(/lab test/);
    expect(setting('realms.CORP.EXAMPLE.kdc').map((s) => s.value)).toEqual(['kdc1.corp.example:88', 'kdc2.corp.example:88']);
    expect(setting('domain_realm..corp.example')).toMatchObject([{ value: 'CORP.EXAMPLE' }]);
    const unused = (key: string) => r.unused.find((u) => u.key === key);
    expect(unused('libdefaults.default_realm')).toMatchObject({ line: 17, why: expect.stringContaining('MIT uses the first value: CORP.EXAMPLE') });
    expect(unused('libdefaults.kdc_timeout')?.why).toMatch(/Heimdal/);
    expect(unused('libdefaults.default_ccache_name')?.why).toMatch(/the bench does not use it/);
    expect(unused('realms.CORP.EXAMPLE.auth_to_local')?.line).toBe(26);
    expect(unused('capaths.CORP.EXAMPLE.PARTNER.EXAMPLE')?.why).toMatch(/\[capaths\]/);
    expect(unused('logging.default')?.line).toBe(44);
    expect(r.setup).toMatchObject({
      realm: 'CORP.EXAMPLE',
      kdcs: ['kdc1.corp.example:88', 'kdc2.corp.example:88'],
      krb5Config: file,
      libdefaults: { rdns: 'false', dns_canonicalize_hostname: 'fallback', default_keytab_name: 'FILE:/etc/mqtt/mqtt.keytab' },
    });
    expect(r.setup.domainRealm).toContainEqual({ domain: '.partner.example', realm: 'PARTNER.EXAMPLE' });
    expect(krb5Importer.detect({ file, text: '[libdefaults]\n', onDisk: false })).toBe('a [libdefaults] section');
    expect(krb5Importer.detect({ file, text: 'apiVersion: v1\n', onDisk: false })).toBeNull();
  });

  describe('includes', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-krb5-inc-'));
    });
    afterAll(async () => rm(dir, { recursive: true, force: true }));
    const put = async (name: string, text: string) => {
      const file = path.join(dir, name);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, text);
      return file;
    };
    // MIT follows a loop until it runs out of file descriptors: a low limit keeps that quick.
    const kinitSays = async (file: string) =>
      (await runTool('/bin/sh', ['-c', 'ulimit -n 64; exec kinit -k -t /nonexistent x@X'], { env: { ...process.env, KRB5_CONFIG: file } })).stderr.trim();

    it('follows include and includedir (MIT names only) in reading order', async () => {
      await put('d/10-enctypes.conf', '[libdefaults]\n  permitted_enctypes = aes256-cts-hmac-sha1-96\n  rdns = true\n');
      await put('d/20_realm', '[realms]\n  INC.TEST = {\n    kdc = kdc.inc.test:88\n  }\n');
      await put('d/.hidden.conf', 'not a profile = {\n');
      await put('d/backup.conf~', 'not a profile = {\n');
      await put('d/notes.txt', 'not a profile = {\n');
      await put('extra.conf', '[domain_realm]\n  .inc.test = INC.TEST\n');
      const main = await put('main.conf', `[libdefaults]\n  default_realm = INC.TEST\n  dns_lookup_kdc = false\n  rdns = false\ninclude ${dir}/extra.conf\nincludedir ${dir}/d\n`);
      const r = await read(main, await readFile(main, 'utf8'));
      expect(r.problems).toEqual([]);
      expect(r.files).toEqual([main, `${dir}/extra.conf`, `${dir}/d/10-enctypes.conf`, `${dir}/d/20_realm`]);
      expect(r.setup).toMatchObject({ realm: 'INC.TEST', kdcs: ['kdc.inc.test:88'], domainRealm: [{ domain: '.inc.test', realm: 'INC.TEST' }] });
      // rdns: the main file's line comes before the includedir, so it wins (and the fragment's is reported).
      expect(r.setup.libdefaults).toMatchObject({ rdns: 'false', permitted_enctypes: 'aes256-cts-hmac-sha1-96' });
      expect(r.unused.find((u) => u.key === 'libdefaults.rdns')).toMatchObject({ file: `${dir}/d/10-enctypes.conf`, line: 3 });
      const skipped = r.unused.filter((u) => u.key === 'includedir').map((u) => path.basename(u.value!));
      expect(skipped.sort()).toEqual(['.hidden.conf', 'backup.conf~', 'notes.txt']);
      expect(await kinitSays(main)).not.toMatch(/profile/); // MIT reads the same files without a problem
    });

    it('reports an include loop at the line that closes it, with a fix; MIT refuses the file', async () => {
      const a = await put('loop-a.conf', `[libdefaults]\n  default_realm = LOOP.TEST\ninclude ${dir}/loop-b.conf\n`);
      await put('loop-b.conf', `[libdefaults]\n  rdns = false\n\ninclude ${dir}/loop-a.conf\n`);
      const r = await read(a, await readFile(a, 'utf8'));
      const loop = r.problems.find((p) => p.message.startsWith('include loop'));
      expect(loop).toMatchObject({ file: `${dir}/loop-b.conf`, line: 4, severity: 'error' });
      expect(loop!.message).toContain('loop-a.conf → loop-b.conf → loop-a.conf');
      expect(loop!.fix).toMatch(/remove line 4 of .*loop-b\.conf/);
      expect(await kinitSays(a)).toBe('kinit: Included profile file could not be read while initializing Kerberos 5 library');
      expect(loop!.message).toContain('Included profile file could not be read while initializing Kerberos 5 library');
    });

    it("reports a missing include with MIT's text and its line", async () => {
      const file = await put('missing.conf', `[libdefaults]\n  default_realm = M.TEST\ninclude ${dir}/nope.conf\nincludedir ${dir}/nodir\n`);
      const r = await read(file, await readFile(file, 'utf8'));
      expect(r.problems.map((p) => [p.line, p.severity])).toEqual([
        [3, 'error'],
        [4, 'error'],
      ]);
      expect(r.problems[0]!.message).toContain('Included profile file could not be read');
      expect(r.problems[1]!.message).toContain('Included profile directory could not be read');
      expect(r.problems[0]!.fix).toContain(`create ${dir}/nope.conf`);
      expect(await kinitSays(file)).toContain('Included profile file could not be read');
    });

    it('does not follow includes of a dropped file, and says so per include', async () => {
      const r = await read('dropped.conf', '[libdefaults]\n  default_realm = D.TEST\ninclude /etc/krb5.conf.d/x.conf\nincludedir /etc/krb5.conf.d\n', false);
      expect(r.files).toEqual(['dropped.conf']);
      expect(r.problems).toEqual([]);
      expect(r.unused.map((u) => [u.key, u.line, u.why])).toEqual([
        ['include', 3, expect.stringContaining('cannot be followed for a dropped file')],
        ['includedir', 4, expect.stringContaining('cannot be followed for a dropped file')],
      ]);
      expect(r.setup.krb5Config).toBeUndefined();
    });

    it('warns about a relative include (MIT opens it from the working directory)', async () => {
      await put('rel/part.conf', '[libdefaults]\n  forwardable = true\n');
      const file = await put('rel/main.conf', '[libdefaults]\n  default_realm = R.TEST\ninclude part.conf\n');
      const r = await read(file, await readFile(file, 'utf8'));
      expect(r.problems).toMatchObject([{ line: 3, severity: 'warning', fix: `write the absolute path: include ${dir}/rel/part.conf` }]);
      expect(r.setup.libdefaults).toMatchObject({ forwardable: 'true' });
    });
  });
});
