/**
 * The browser export generated from a lab realm of its own and proven as the product does: the
 * policy JSON, the flags and the Firefox files read back, and Debian's Chromium launched headless
 * with the exported flags and alice's ticket signing in to a throwaway ES-mode endpoint. Without
 * the flags, the same Chromium does not answer Negotiate: the proof can fail.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumDumpDom, preText } from '../../main/export/browser/chromium';
import { clientEnv } from '../../main/export/elasticsearch/curl';
import { startThrowawayEsEndpoint } from '../../main/export/elasticsearch/endpoint';
import { browserTarget } from '../../main/export/targets/browser';
import { findChromium } from '../../main/system/chromium';
import { runKbench } from '../helpers/cli';
import { openExportHarness, type ExportHarness } from '../helpers/export-harness';

const executable = await findChromium();

describe('export browser (lab realm, Chromium)', () => {
  let harness: ExportHarness;

  beforeAll(async () => {
    harness = await openExportHarness('export-browser');
  }, 60_000);
  afterAll(async () => {
    await harness?.close();
  }, 60_000);

  it.skipIf(!executable)('proves the files: Chromium with the exported flags signs in as alice', async () => {
    const proofs = await harness.prove(browserTarget, await harness.model());
    expect(proofs.map((p) => [p.name, p.ok, p.detail]).filter(([, ok]) => !ok)).toEqual([]);
    expect(proofs).toHaveLength(3);
    expect(proofs[0]!.detail).toMatch(/^AuthServerAllowlist "localhost" \(covers localhost\), AuthNegotiateDelegateAllowlist "" \(no delegation\)/);
    expect(proofs[2]!.detail).toMatch(/^chromium --headless --auth-server-allowlist=localhost --dump-dom http:\/\/localhost:\d+\/_security\/_authenticate → \{"username":"alice@BENCH\.TEST"/);
  }, 90_000);

  it('fails the policy proof when the allowlist does not cover the service\'s host', async () => {
    const proofs = await harness.prove(browserTarget, await harness.model({ browser: { allow: ['*.example.com'] } }));
    expect(proofs[0]).toMatchObject({ ok: false });
    expect(proofs[0]!.detail).toMatch(/does not cover localhost, the service's host: Chrome would never answer its Negotiate challenge/);
    expect(proofs[2]).toMatchObject({ name: 'Chromium sign-in: not run', ok: false });
  }, 90_000);

  it.skipIf(!executable)('the same Chromium without the allowlist flag does not sign in', async () => {
    const scratch = await mkdtemp(path.join(os.tmpdir(), 'kbench-browser-neg-'));
    const model = await harness.model();
    const keytab = path.join(scratch, 'http.keytab');
    await writeFile(keytab, model.http.keytab!);
    const profile = await harness.engine.api.lab.profile();
    const start = await startThrowawayEsEndpoint({ keytab, profile, runtime: 'mit', kerberosRealm: model.realm });
    if (!start.ok) throw new Error(JSON.stringify(start.problems));
    try {
      const run = await chromiumDumpDom({ executable: executable!, flags: [], url: `${start.endpoint.url}/_security/_authenticate`, env: clientEnv(profile) });
      const text = preText(run.dom) ?? '';
      expect(text).not.toContain('"username"');
      expect(text).toContain('missing authentication credentials');
    } finally {
      await start.endpoint.close();
      await rm(scratch, { recursive: true, force: true });
    }
  }, 90_000);

  it('kbench export browser --lab -o DIR --json: the files written, the proofs listed', async () => {
    const out = await mkdtemp(path.join(os.tmpdir(), 'kbench-browser-cli-'));
    try {
      const run = await runKbench(['export', 'browser', '--lab', '-o', out, '--allow', 'localhost,*.bench.test', '--json'], { ...process.env, KBENCH_DATA_DIR: harness.dataDir });
      expect(run.code, run.stderr).toBe(0);
      const printed = JSON.parse(run.stdout) as { files: { path: string }[]; proofs: { name: string; ok: boolean; detail: string }[] };
      expect(printed.proofs.filter((p) => !p.ok)).toEqual([]);
      expect(printed.files.map((f) => f.path)).toContain('browser/chrome-policy.json');
      expect(JSON.parse(await readFile(path.join(out, 'browser/chrome-policy.json'), 'utf8'))).toEqual({ AuthServerAllowlist: 'localhost,*.bench.test', AuthNegotiateDelegateAllowlist: '' });
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 90_000);
});
