/**
 * The EMQX export generated from a lab realm of its own and proven as the product does: the
 * HOCON read back by com.typesafe.config (Debian libtypesafe-config-java on the JDK), MIT naming
 * the exported krb5.conf's default keytab and the KDC's kvno, and the bench's broker running the
 * principal with the exported keytab while the probe authenticates with alice's ticket.
 */
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseHoconWithJava } from '../../main/export/hocon';
import { emqxTarget } from '../../main/export/targets/emqx';
import { runKbench } from '../helpers/cli';
import { openExportHarness, type ExportHarness } from '../helpers/export-harness';

describe('export emqx (lab realm, HOCON by com.typesafe.config, the bench broker)', () => {
  let harness: ExportHarness;

  beforeAll(async () => {
    harness = await openExportHarness('export-emqx');
  }, 60_000);
  afterAll(async () => {
    await harness?.close();
  }, 60_000);

  it('generates every file and proves them all', async () => {
    const model = await harness.model();
    const { files, notes } = emqxTarget.generate(model, false);
    expect(files.map((f) => f.path)).toEqual(['emqx/authentication.conf', 'emqx/krb5.conf', 'emqx/mqtt.keytab', 'emqx/README.md']);
    const keytab = files[2]!;
    expect(keytab).toMatchObject({ mode: 0o600, language: 'binary', redacted: true });
    expect(keytab.binary).toBeUndefined();
    expect(keytab.withheld).toMatch(/--reveal-secrets/);
    expect(files[0]!.text).toContain('principal = "mqtt/localhost@BENCH.TEST"');
    expect(files[1]!.text).toContain('default_keytab_name = FILE:/etc/emqx/mqtt.keytab');
    expect(files[1]!.text).toContain(`kdc = ${harness.lab.kdc}`);
    expect(files[3]!.text).toContain('libsasl2-modules-gssapi-mit');
    expect(notes.join('\n')).toMatch(/Access Control → Authentication → Create/);

    const proofs = await harness.prove(emqxTarget, model);
    expect(proofs.map((p) => [p.name, p.ok, p.detail]).filter(([, ok]) => !ok)).toEqual([]);
    expect(proofs.map((p) => p.name)).toEqual(['HOCON parsed by com.typesafe.config 1.3.1', 'principal in the default keytab', 'broker runs the settings as EMQX reads them']);
    expect(proofs[1]!.detail).toMatch(/FILE:\/etc\/emqx\/mqtt\.keytab.*kvno \d+.*the KDC issues kvno \d+/);
    expect(proofs[2]!.detail).toMatch(/Exchange [\w-]+: success as alice@BENCH\.TEST/);
  }, 60_000);

  it('through the export service: proven, keytab revealed only when asked', async () => {
    const result = await harness.generate({ target: 'emqx', revealSecrets: true });
    expect(result.proofs.filter((p) => !p.ok)).toEqual([]);
    expect(result.proven).toBe(true);
    const keytab = result.files.find((f) => f.path === 'emqx/mqtt.keytab')!;
    expect(keytab.binary).toBeTruthy();
    const labKeytab = await readFile(harness.lab.keytabs.service);
    expect(labKeytab.length).toBeGreaterThan(Buffer.from(keytab.binary!, 'base64').length);
    expect(path.basename(keytab.path)).toBe('mqtt.keytab');
  }, 60_000);

  it('a stale keytab fails the default-keytab proof with why', async () => {
    const model = await harness.model();
    await harness.engine.api.lab.rotateKey({ name: 'mqtt/localhost', undoable: true });
    try {
      const proofs = await harness.prove(emqxTarget, model);
      expect(proofs[0]!.ok).toBe(true);
      expect(proofs[1]).toMatchObject({ ok: false });
      expect(proofs[1]!.detail).toMatch(/the KDC issues tickets with kvno \d+: the keytab is out of date/);
      // The broker proof may still pass: alice's ccache can hold a service ticket of the old kvno.
    } finally {
      await harness.engine.api.lab.undo();
    }
  }, 60_000);

  it('kbench export emqx --lab -o DIR --json: written, proven, the keytab withheld without --reveal-secrets', async () => {
    const out = path.join(await mkdtemp(path.join(harness.dataDir, 'cli-')), 'emqx-out');
    const run = await runKbench(['export', 'emqx', '--lab', '-o', out, '--json'], { ...process.env, KBENCH_DATA_DIR: harness.dataDir });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as { proofs: { name: string; ok: boolean }[]; files: { path: string }[] };
    expect(result.proofs.map((p) => p.ok)).toEqual([true, true, true]);
    expect(await readFile(path.join(out, 'emqx/authentication.conf'), 'utf8')).toContain('mechanism = gssapi');
    expect((await stat(path.join(out, 'emqx/krb5.conf'))).mode & 0o777).toBe(0o644);
    await expect(stat(path.join(out, 'emqx/mqtt.keytab'))).rejects.toThrow(/ENOENT/);
    const revealed = await runKbench(['export', 'emqx', '--lab', '-o', out, '--reveal-secrets', '--force', '--json'], { ...process.env, KBENCH_DATA_DIR: harness.dataDir });
    expect(revealed.code).toBe(0);
    expect((await stat(path.join(out, 'emqx/mqtt.keytab'))).mode & 0o777).toBe(0o600);
  }, 60_000);

  it('the HOCON checker: odd keys quoted, lists indexed, and a clear error without the jar', async () => {
    const file = path.join(await mkdtemp(path.join(harness.dataDir, 'hocon-')), 'odd.conf');
    await writeFile(file, 'a { "b.c" = 1, list = [ x, { y = null } ], empty = {} }\n');
    const parsed = await parseHoconWithJava(file);
    expect(parsed).toMatchObject({ ok: true });
    expect(parsed.ok && parsed.entries).toEqual([
      { path: 'a."b.c"', value: 1, type: 'NUMBER', line: 1 },
      { path: 'a.empty', value: null, type: 'OBJECT', line: 1 },
      { path: 'a.list[0]', value: 'x', type: 'STRING', line: 1 },
      { path: 'a.list[1].y', value: null, type: 'NULL', line: 1 },
    ]);
    await expect(parseHoconWithJava(file, { ...process.env, KBENCH_TYPESAFE_CONFIG_JAR: '/nonexistent/typesafe-config.jar' })).rejects.toThrow(
      'the reference HOCON parser is missing: no /nonexistent/typesafe-config.jar — install it: sudo apt-get install -y libtypesafe-config-java',
    );
  }, 30_000);
});

