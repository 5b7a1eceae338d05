/**
 * `kbench export` and `kbench import` through the CLI adapter, in-process, against a lab realm of
 * this file's own: the files written with their modes, no overwrite without --force, --json
 * shapes, and an import shown and tested.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKbench } from '../helpers/cli';

describe('kbench export / import', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-export-cli-'));
    env = { ...process.env, KBENCH_DATA_DIR: path.join(dir, 'data'), NO_COLOR: '1' };
    delete env.KRB5_TRACE;
  });
  afterAll(async () => {
    await runKbench(['lab', 'down', '--destroy'], env);
    await rm(dir, { recursive: true, force: true });
  });

  it('export krb5 --json: files and proofs, every proof ok, krb5.conf written under -o as named', async () => {
    const out = path.join(dir, 'krb5-out');
    const run = await runKbench(['export', 'krb5', '--lab', '-o', out, '--json'], env);
    expect(run.stderr).toBe('');
    const result = JSON.parse(run.stdout) as { files: { path: string; mode: number }[]; proofs: { name: string; ok: boolean; detail: string }[]; written: { path: string }[] };
    expect(result.files.map((f) => f.path)).toContain('krb5.conf');
    expect(result.proofs.length).toBeGreaterThanOrEqual(2);
    for (const proof of result.proofs) expect(Object.keys(proof).sort()).toEqual(expect.arrayContaining(['detail', 'name', 'ok']));
    expect(result.proofs.filter((p) => !p.ok)).toEqual([]);
    expect(run.code).toBe(0);
    const conf = await readFile(path.join(out, 'krb5.conf'), 'utf8');
    expect(conf).toMatch(/default_realm = BENCH\.TEST/);
    expect((await stat(path.join(out, 'krb5.conf'))).mode & 0o777).toBe(0o644);
  });

  it('refuses to overwrite without --force, naming the file, and replaces with --force', async () => {
    const out = path.join(dir, 'again');
    expect((await runKbench(['export', 'krb5', '-o', out, '--no-prove'], env)).code).toBe(0);
    await writeFile(path.join(out, 'krb5.conf'), 'edited by hand\n');
    const refused = await runKbench(['export', 'krb5', '-o', out, '--no-prove'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/files? exists?.*--force.*krb5\.conf/s);
    expect(await readFile(path.join(out, 'krb5.conf'), 'utf8')).toBe('edited by hand\n');
    const forced = await runKbench(['export', 'krb5', '-o', out, '--no-prove', '--force'], env);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toMatch(/Written under .*again:\n {2}krb5\.conf {2}0644/);
    expect(await readFile(path.join(out, 'krb5.conf'), 'utf8')).toMatch(/\[libdefaults\]/);
  });

  it('without -o prints the files and writes nothing; bad targets and options are usage errors', async () => {
    const run = await runKbench(['export', 'krb5', '--no-prove'], env);
    expect(run.stdout).toMatch(/──── krb5\.conf ────\n.*\[libdefaults\]/s);
    expect(run.stdout).toMatch(/Nothing written: pass -o DIR/);
    const bad = await runKbench(['export', 'kafka'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown export target "kafka": one of emqx, krb5/);
    expect((await runKbench(['export', 'hazelcast-xml', '--hazelcast-form', 'huge'], env)).stderr).toMatch(/--hazelcast-form is simple or full/);
    expect((await runKbench(['export', 'krb5', '--from', 'a.json', '--exchange', 'x'], env)).stderr).toMatch(/not both/);
  });

  it('export krb5 --profile custom: the realm and KDC come from your krb5.conf, kinit proves it with your client keytab', async () => {
    const lab = path.join(dir, 'data', 'lab', 'BENCH.TEST');
    const run = await runKbench(
      ['export', 'krb5', '--profile', 'custom', '--krb5-conf', path.join(lab, 'krb5.conf'), '--client-principal', 'alice@BENCH.TEST', '--client-keytab', path.join(lab, 'alice.keytab'), '--json'],
      env,
    );
    const result = JSON.parse(run.stdout) as { basis: string; proofs: { name: string; ok: boolean; detail: string }[]; files: { path: string; text: string }[] };
    expect(result.basis).toMatch(/^custom profile \(.*krb5\.conf\), realm BENCH\.TEST/);
    expect(result.proofs.find((p) => p.name.startsWith('kinit'))).toMatchObject({ ok: true });
    expect(result.files.find((f) => f.path === 'krb5.conf')!.text).toMatch(/kdc = 127\.0\.0\.1:\d+/);
    expect(run.code).toBe(0);
    const missing = await runKbench(['export', 'krb5', '--profile', 'custom', '--no-prove'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/a custom profile needs its krb5\.conf/);
  });

  it('export --from a failed Exchange is refused with its verdict', async () => {
    const file = path.join(dir, 'failed.json');
    const exchange = {
      format: 'kbench-exchange',
      version: 1,
      exchange: { id: 'e1', source: 'broker', role: 'server', mechanism: 'GSSAPI-KERBEROS', startedAt: new Date().toISOString(), steps: [], verdict: { outcome: 'failure', reason: 'Clock skew too great' } },
    };
    await writeFile(file, JSON.stringify(exchange));
    const run = await runKbench(['export', 'krb5', '--from', file, '--no-prove'], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/did not succeed \(failure: Clock skew too great\)/);
  });

  it('import shows what was understood and not used, with lines; --json lists them', async () => {
    const fixture = path.resolve('test/fixtures/export/krb5/corp.conf');
    const text = await runKbench(['import', fixture], env);
    expect(text.stdout).toMatch(/corp\.conf: krb5 \(/);
    expect(text.stdout).toMatch(/Understood \(\d+\):\n(.*\n)*? {2}corp\.conf:3 +libdefaults\.default_realm = CORP\.EXAMPLE/);
    expect(text.stdout).toMatch(/Not used \(\d+\):/);
    const run = await runKbench(['import', fixture, '--as', 'krb5', '--json'], env);
    const result = JSON.parse(run.stdout) as { format: string; understood: { key: string; value: string; line: number }[]; unused: { key: string; line: number; why: string }[] };
    expect(result.format).toBe('krb5');
    expect(result.understood.find((s) => s.key.endsWith('default_realm'))).toMatchObject({ value: 'CORP.EXAMPLE', line: 3 });
    expect(result.unused.length).toBeGreaterThan(0);
    for (const u of result.unused) expect(u.line).toBeGreaterThan(0);
  });

  it('import --test runs the flow against the lab and says it works', async () => {
    const fixture = path.resolve('test/fixtures/export/krb5/corp.conf');
    const run = await runKbench(['import', fixture, '--test'], env);
    expect(run.stdout).toMatch(/Test against lab realm BENCH\.TEST/);
    expect(run.stdout).toMatch(/Your configuration works\./);
    expect(run.code).toBe(0);
    expect((await runKbench(['import', fixture, '--against', 'own'], env)).stderr).toMatch(/go with --test/);
  });
});
