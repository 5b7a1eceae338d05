import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DoctorItem } from '../../main/api/system';
import { createEngine } from '../../main/engine';
import { DoctorContext, doctorChecks, doctorStatus, runDoctor } from '../../main/system/doctor';
import { probeKerberosBinding } from '../../main/system/kerberos-binding';
import { runKbench } from '../helpers/cli';

/** Oracles: what the system's own tools say, asked independently of the doctor's code. */
const sh = (command: string): string => execFileSync('bash', ['-c', command], { encoding: 'utf8' }).trim();
const byId = (items: DoctorItem[], id: string): DoctorItem => {
  const item = items.find((i) => i.id === id);
  if (!item) throw new Error(`no doctor item ${id}`);
  return item;
};

describe('doctor on this machine', () => {
  let items: DoctorItem[];
  const progress: number[] = [];

  beforeAll(async () => {
    const engine = createEngine({ runtime: 'cli' });
    engine.events.subscribe((event) => {
      if (event.name === 'system.doctorProgress') progress.push(event.payload.done);
    });
    items = await engine.api.system.doctor();
  });

  it('reports every check with id, title, ok, level, detail and fix', () => {
    expect(items.map((i) => i.id)).toEqual(doctorChecks.map((c) => c.id));
    expect(items.length).toBeGreaterThanOrEqual(8);
    for (const item of items) {
      expect(item).toEqual(expect.objectContaining({ id: expect.any(String), title: expect.any(String), ok: expect.any(Boolean), detail: expect.any(String), fix: expect.any(String) }));
      if (!item.ok) expect(item.fix, `${item.id} failed without a fix`).not.toBe('');
    }
  });

  it('gives every item the status the view and the CLI show: fail for a required check, warn for any other that is not ok', () => {
    for (const item of items) expect(item.status, item.id).toBe(item.ok ? 'ok' : item.level === 'required' ? 'fail' : 'warn');
    expect(doctorStatus(false, 'info')).toBe('warn');
    expect(doctorStatus(false, 'required')).toBe('fail');
  });

  it('emits one progress event per check', () => {
    expect(progress.sort((a, b) => a - b)).toEqual(doctorChecks.map((_c, i) => i + 1));
  });

  it('finds the MIT library at the version klist reports', () => {
    const klistVersion = /version (\S+)/.exec(sh('klist -V'))![1];
    const item = byId(items, 'krb5-library');
    expect(item.ok).toBe(true);
    expect(item.version).toBe(klistVersion);
    expect(item.detail).toContain(sh("ldconfig -p | awk '/libgssapi_krb5.so.2 /{print $NF; exit}'"));
  });

  it.each(['krb5kdc', 'kdb5_util', 'kadmin.local', 'kinit', 'klist', 'kvno'])('finds %s where the shell finds it', (tool) => {
    const item = byId(items, tool);
    expect(item.ok).toBe(true);
    expect(item.path).toBe(sh(`PATH=$PATH:/usr/sbin:/sbin command -v ${tool}`));
    expect(item.detail).toContain(`package ${sh(`dpkg-query -S $(readlink -f ${item.path}) | cut -d: -f1`)}`);
  });

  it('loads the kerberos binding and names the GSSAPI library it opened', () => {
    const item = byId(items, 'kerberos-binding');
    expect(item.ok).toBe(true);
    const require = createRequire(import.meta.url);
    expect(item.version).toBe((require('kerberos/package.json') as { version: string }).version);
    expect(item.path).toMatch(/libgssapi_krb5\.so/);
  });

  it('finds the Cyrus SASL GSSAPI plugin and sample peers', () => {
    expect(byId(items, 'cyrus-sasl-gssapi')).toMatchObject({ ok: true, path: expect.stringMatching(/sasl2\/libgssapiv2\.so/) });
    expect(byId(items, 'cyrus-sasl-samples').ok).toBe(true);
  });

  it('reports tshark and Chromium at the versions they print', () => {
    expect(byId(items, 'tshark').version).toBe(/TShark \(Wireshark\) ([\d.]+)/.exec(sh('tshark --version 2>/dev/null | head -1'))![1]);
    expect(byId(items, 'chromium').version).toBe(/(\d+\.\d+\.\d+\.\d+)/.exec(sh('chromium --version 2>/dev/null'))![1]);
  });

  it('reports Node and the Electron runtime state', () => {
    expect(byId(items, 'node')).toMatchObject({ ok: true, version: process.versions.node });
    const electron = byId(items, 'electron');
    const require = createRequire(import.meta.url);
    expect(electron.version).toBe((require('electron/package.json') as { version: string }).version);
  });
});

describe('doctor with a prepared environment', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-doctor-'));
    await writeFile(path.join(dir, 'krb5.conf'), '[libdefaults]\n default_realm = DOCTOR.TEST\n default_keytab_name = FILE:' + dir + '/svc.keytab\n');
    await writeFile(path.join(dir, 'svc.keytab'), Buffer.from([5, 2]));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const run = (env: NodeJS.ProcessEnv, ids: string[]) =>
    runDoctor(new DoctorContext(env), () => {}, doctorChecks.filter((c) => ids.includes(c.id)));

  it('reads the default realm, keytab and ccache from KRB5_CONFIG and KRB5CCNAME', async () => {
    const env = { ...process.env, KRB5_CONFIG: path.join(dir, 'krb5.conf'), KRB5CCNAME: `FILE:${dir}/nocache` };
    const items = await run(env, ['krb5-config', 'default-realm', 'krb5-keytab', 'krb5-ccache']);
    expect(byId(items, 'default-realm')).toMatchObject({ ok: true, detail: 'DOCTOR.TEST' });
    expect(byId(items, 'krb5-config').detail).toContain(`KRB5_CONFIG=${dir}/krb5.conf`);
    expect(byId(items, 'krb5-keytab')).toMatchObject({ path: `${dir}/svc.keytab`, detail: expect.stringContaining('2 bytes') });
    // A ccache that does not exist is no "ok": a warning that says where it looked and how to get one.
    expect(byId(items, 'krb5-ccache')).toMatchObject({ ok: false, status: 'warn', detail: expect.stringContaining(`${dir}/nocache does not exist`), fix: expect.stringContaining('kinit') });
    expect(byId(items, 'krb5-ccache').detail).toContain('KRB5CCNAME');
  });

  it('says ok for a ccache that exists, and warns for a missing keytab', async () => {
    await writeFile(path.join(dir, 'cache'), Buffer.from([5, 4, 0, 0]));
    const env = { ...process.env, KRB5_CONFIG: path.join(dir, 'krb5.conf'), KRB5CCNAME: `FILE:${dir}/cache`, KRB5_KTNAME: `FILE:${dir}/absent.keytab` };
    const items = await run(env, ['krb5-ccache', 'krb5-keytab']);
    expect(byId(items, 'krb5-ccache')).toMatchObject({ ok: true, status: 'ok', fix: '', path: `${dir}/cache` });
    expect(byId(items, 'krb5-keytab')).toMatchObject({ ok: false, status: 'warn', detail: expect.stringContaining(`${dir}/absent.keytab does not exist`), fix: expect.stringContaining('KRB5_KTNAME') });
  });

  it("explains Debian's sample default realm ATHENA.MIT.EDU and what to do instead", async () => {
    // The file krb5-config copies to /etc/krb5.conf when nobody answers its questions.
    const template = '/usr/share/kerberos-configs/krb5.conf.template';
    const conf = path.join(dir, 'debian.conf');
    await writeFile(conf, existsSync(template) ? sh(`cat ${template}`) : '[libdefaults]\n\tdefault_realm = ATHENA.MIT.EDU\n');
    const [item] = await run({ ...process.env, KRB5_CONFIG: conf }, ['default-realm']);
    expect(item).toMatchObject({ ok: false, status: 'warn', level: 'recommended' });
    expect(item!.detail).toMatch(/^ATHENA\.MIT\.EDU: the sample .*debian\.conf Debian's krb5-config package installs/);
    expect(item!.fix).toContain('eval "$(kbench lab up --env)"');
    expect(item!.fix).toContain('KRB5_CONFIG');
    expect(item!.fix).toContain('/etc/krb5.conf');
  });

  it('says what is missing and which package brings it', async () => {
    const env = { ...process.env, PATH: dir, KRB5_CONFIG: `${dir}/missing.conf` };
    const items = await run(env, ['kinit', 'klist', 'default-realm', 'krb5-config']);
    expect(byId(items, 'kinit')).toMatchObject({ ok: false, fix: expect.stringContaining('krb5-user') });
    expect(byId(items, 'default-realm')).toMatchObject({ ok: false, fix: expect.stringContaining('default_realm') });
    expect(byId(items, 'krb5-config')).toMatchObject({ ok: false, detail: expect.stringContaining('missing') });
  });
});

describe('kbench doctor', () => {
  it('prints each item with the status word and level the Doctor view shows, and the same counts', async () => {
    const json = await runKbench(['doctor', '--json'], { ...process.env, NO_COLOR: '1' });
    const items = JSON.parse(json.stdout) as DoctorItem[];
    const text = await runKbench(['doctor'], { ...process.env, NO_COLOR: '1' });
    expect(text.code).toBe(json.code);
    for (const item of items) {
      const line = text.stdout.split('\n').find((l) => l.split(/\s+/)[2] === item.id);
      expect(line, item.id).toBeDefined();
      expect(line!.split(/\s+/).slice(0, 3)).toEqual([item.status, item.level, item.id]);
    }
    for (const level of ['required', 'recommended', 'info'] as const) {
      const of = items.filter((i) => i.level === level);
      expect(text.stdout).toContain(`${of.filter((i) => i.ok).length}/${of.length} ${level} checks pass`);
    }
  }, 60_000);
});

describe('kerberos binding probe', () => {
  let broken: string;
  beforeAll(async () => {
    // A copy of the package whose native build is gone: what a failed `npm ci` leaves behind.
    broken = await mkdtemp(path.join(os.tmpdir(), 'kbench-kerberos-'));
    const source = path.dirname(createRequire(import.meta.url).resolve('kerberos/package.json'));
    await cp(path.join(source, 'lib'), path.join(broken, 'lib'), { recursive: true });
    await cp(path.join(source, 'package.json'), path.join(broken, 'package.json'));
  });
  afterAll(() => rm(broken, { recursive: true, force: true }));

  it('reports the real cause, not the loader fallback about build/Debug', async () => {
    const status = await probeKerberosBinding({ packageDir: broken });
    expect(status.loads).toBe(false);
    expect(status.error).toContain('build/Release/kerberos.node');
    expect(status.error).not.toContain('Debug');
    expect(status.fix).toContain('npm rebuild kerberos');
  });
});
