/**
 * The EMQX importer on real files: read by com.typesafe.config (lines from its origins), the
 * gssapi authenticator understood and everything else reported; "test my config" runs the bench's
 * broker with the imported principal against a lab realm of its own; import → export keeps
 * mechanism, backend and principal; a principal without a host gives its line and the fix.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseHoconWithJava } from '../../main/export/hocon';
import { openExportHarness, type ExportHarness } from '../helpers/export-harness';

const FIXTURES = path.resolve(__dirname, '../fixtures/export/emqx');
const fixture = (name: string) => path.join(FIXTURES, name);

describe('import emqx (com.typesafe.config, the bench broker against the lab)', () => {
  let harness: ExportHarness;

  beforeAll(async () => {
    harness = await openExportHarness('import-emqx');
  }, 60_000);
  afterAll(async () => {
    await harness?.close();
  }, 60_000);

  it('reads an emqx.conf: the gssapi authenticator understood, the rest unused with lines', async () => {
    const result = await harness.engine.api.importer.read({ file: { path: fixture('emqx.conf') } });
    expect(result.format).toBe('emqx');
    expect(result.detectedBy).toBe('mechanism = gssapi (an EMQX authenticator)');
    expect(result.problems).toEqual([]);
    expect(result.understood.map((s) => [s.key, s.value, s.line])).toEqual([
      ['authentication[1].mechanism', 'gssapi', 17],
      ['authentication[1].backend', 'kerberos', 18],
      ['authentication[1].enable', 'true', 20],
      ['authentication[1].principal', 'mqtt/localhost@BENCH.TEST', 19],
    ]);
    expect(result.unused.map((u) => [u.key, u.line])).toEqual([
      ['listeners.tcp.default.bind', 8],
      ['node.cookie', 5],
      ['node.name', 4],
      ['authentication[0].backend', 13],
      ['authentication[0].mechanism', 12],
      ['authentication[0].user_id_type', 14],
      ['authentication[1].precondition', 21],
    ]);
    expect(result.unused.find((u) => u.key === 'node.cookie')!.value).toBe('<redacted>');
    expect(result.setup.broker).toEqual({ principal: 'mqtt/localhost@BENCH.TEST', variant: 'emqx' });
  }, 30_000);

  it('a principal without a host: its line and the fix, and test my config refuses it', async () => {
    for (const [name, line] of [['no-host.conf', 6], ['empty-host.conf', 5]] as const) {
      const result = await harness.engine.api.importer.read({ file: { path: fixture(name) } });
      expect(result.problems).toHaveLength(1);
      expect(result.problems[0]).toMatchObject({ file: fixture(name), line, severity: 'error' });
      expect(result.problems[0]!.message).toMatch(/^invalid_server_principal_string: EMQX refuses principal "mqtt\/?@BENCH\.TEST"/);
      expect(result.problems[0]!.fix).toMatch(/principal = "mqtt\/broker\.example\.com@BENCH\.TEST"/);
    }
    const tested = await harness.engine.api.importer.test({ file: { path: fixture('no-host.conf') } });
    expect(tested.ok).toBe(false);
    expect(tested.steps[0]!.detail).toContain(`${fixture('no-host.conf')}:6: invalid_server_principal_string`);
  }, 30_000);

  it('a file that is not HOCON: the parser\'s message and line', async () => {
    const result = await harness.engine.api.importer.read({ file: { path: fixture('broken.conf') }, as: 'emqx' });
    expect(result.problems).toEqual([expect.objectContaining({ line: 4, severity: 'error', fix: 'correct line 4' })]);
    expect(result.problems[0]!.message).toMatch(/^HOCON does not parse \(com\.typesafe\.config 1\.3\.1\): /);
  }, 30_000);

  it('a dropped file is parsed from a private copy', async () => {
    const text = 'authentication = [ { mechanism = gssapi, backend = kerberos, principal = "mqtt/localhost@BENCH.TEST" } ]\n';
    const result = await harness.engine.api.importer.read({ file: { name: 'dropped.conf', base64: Buffer.from(text).toString('base64') } });
    expect(result.understood.map((s) => s.key)).toEqual(['authentication[0].mechanism', 'authentication[0].backend', 'authentication[0].principal']);
  }, 30_000);

  it('test my config: the broker with the imported principal authenticates alice', async () => {
    const tested = await harness.engine.api.importer.test({ file: { path: fixture('emqx.conf') } });
    expect(tested.steps.filter((s) => !s.ok)).toEqual([]);
    expect(tested.ok).toBe(true);
    expect(tested.against).toBe('lab realm BENCH.TEST');
    expect(tested.exchange?.verdict.outcome).toBe('success');
    expect(tested.exchange?.identity?.principal).toBe('alice@BENCH.TEST');
  }, 60_000);

  it('test my config with a principal the lab does not have: what to add, and the fix works', async () => {
    const tested = await harness.engine.api.importer.test({ file: { path: fixture('unknown-host.conf') } });
    expect(tested.ok).toBe(false);
    expect(tested.steps[0]).toMatchObject({ ok: false, detail: 'lab realm BENCH.TEST has no principal mqtt/broker.example.com@BENCH.TEST: add it with its key in the lab\'s service keytab: kbench lab principal add mqtt/broker.example.com --random' });
    await harness.engine.api.lab.addPrincipal({ name: 'mqtt/broker.example.com', random: true });
    const again = await harness.engine.api.importer.test({ file: { path: fixture('unknown-host.conf') } });
    expect(again.steps.filter((s) => !s.ok)).toEqual([]);
    expect(again.exchange?.service).toBe('mqtt/broker.example.com@BENCH.TEST');
  }, 60_000);

  it('import → export keeps mechanism, backend and principal, and the export is proven', async () => {
    const result = await harness.generate({ target: 'emqx', imported: { file: fixture('emqx.conf') }, revealSecrets: true });
    expect(result.proofs.filter((p) => !p.ok)).toEqual([]);
    const hocon = result.files.find((f) => f.path === 'emqx/authentication.conf')!;
    const file = path.join(await mkdtemp(path.join(harness.dataDir, 'roundtrip-')), 'authentication.conf');
    await writeFile(file, hocon.text);
    const again = await harness.engine.api.importer.read({ file: { path: file } });
    const original = await harness.engine.api.importer.read({ file: { path: fixture('emqx.conf') } });
    const kept = (r: typeof again) => Object.fromEntries(r.understood.map((s) => [s.key.replace(/^authentication\[\d+\]\./, ''), s.value]));
    expect(kept(again)).toEqual(kept(original));
    expect(again.setup.broker).toEqual(original.setup.broker);
    const parsed = await parseHoconWithJava(file);
    expect(parsed.ok).toBe(true);
  }, 60_000);
});
