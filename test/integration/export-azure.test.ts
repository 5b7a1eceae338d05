/**
 * The Azure IoT MQ export and importer on the bench's own chain, against a lab realm of this
 * file's own: the exported YAML, clients.toml and keytab loaded by the chain and two real clients
 * authenticated through it (MQTT.js with the password, the bench probe's GSSAPI-KERBEROS with
 * alice's ticket); an imported chain tested the same way, the lab standing in for its Kerberos key.
 */
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GssSupervisor } from '../../main/gss/supervisor';
import { azureImporter } from '../../main/export/import/azure';
import { azureTarget } from '../../main/export/targets/azure';
import type { TestContext } from '../../main/export/types';
import type { LabServiceImpl } from '../../main/lab/service';
import { openExportHarness, type ExportHarness } from '../helpers/export-harness';

const FIXTURES = path.join(__dirname, '../fixtures/export/azure');

describe('Azure IoT MQ export and import (lab realm, bench chain)', () => {
  let h: ExportHarness;
  let dir: string;
  let supervisor: GssSupervisor;

  beforeAll(async () => {
    h = await openExportHarness('export-azure');
    supervisor = new GssSupervisor();
    dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-export-azure-'));
  }, 60_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await supervisor?.dispose();
    await h?.close();
  });

  const testContext = (): TestContext => ({
    engine: { runtime: 'cli', dataDir: h.dataDir, electronVersion: null, events: h.engine.events },
    supervisor: () => supervisor,
    lab: h.engine.api.lab as LabServiceImpl,
    labStatus: h.lab,
    signal: new AbortController().signal,
  });

  it('files generated from the lab: a password client and a Kerberos client authenticated through the chain', async () => {
    const proofs = await h.prove(azureTarget, await h.model());
    expect(proofs.map((p) => [p.name, p.ok])).toEqual([
      ['YAML read back by the bench Azure loader', true],
      ['TOML parsed by smol-toml', true],
      ['apply.sh checked by sh -n', true],
      ['chain loaded by the bench', true],
      ['usernamePassword client authenticated through the chain', true],
      ['GSSAPI-KERBEROS client authenticated through the chain (lab ticket)', true],
    ]);
    expect(proofs[3]!.detail).toBe('methods in order: kerberos → usernamePassword');
    expect(proofs[4]!.detail).toMatch(/^allowed: .*usernamePassword: relevant: username present; valid: password matches/);
    expect(proofs[5]!.detail).toMatch(/^allowed/);
    expect(proofs[5]!.detail).toMatch(/kerberos: relevant: Authentication Method is GSSAPI-KERBEROS/);
  }, 60_000);

  it('a keytab without the key of the chain principal fails the Kerberos proof with the acceptor error', async () => {
    const model = await h.model();
    const other = (await h.model()).http.keytab!; // HTTP/localhost's keys only
    const proofs = await h.prove(azureTarget, { ...model, mqtt: { ...model.mqtt, keytab: other } });
    const kerberos = proofs.find((p) => p.name.startsWith('GSSAPI-KERBEROS'))!;
    expect(kerberos.ok).toBe(false);
    expect(kerberos.detail).toMatch(/^refused: kerberos ends the chain: denied .*No key table entry found|credentials were unavailable/);
    expect(proofs.find((p) => p.name.startsWith('usernamePassword'))!.ok).toBe(true);
    const foreign = await h.prove(azureTarget, { ...model, mqtt: { ...model.mqtt, principal: 'mqtt/broker.corp.example@CORP.EXAMPLE' } });
    expect(foreign.find((p) => p.name.startsWith('GSSAPI-KERBEROS'))).toMatchObject({ ok: false, detail: expect.stringMatching(/^not run: the chain's principal mqtt\/broker\.corp\.example@CORP\.EXAMPLE/) });
  }, 60_000);

  it('the export service offers it proven, with the secrets redacted', async () => {
    const result = await h.generate({ target: 'azure' });
    expect(result.proofs.filter((p) => !p.ok)).toEqual([]);
    expect(result.proven).toBe(true);
    expect(result.files.find((f) => f.path === 'azure/clients.toml')!.text).toContain('<redacted: --reveal-secrets>');
    expect(result.files.find((f) => f.path === 'azure/mqtt-keytab/krb5.keytab')!.withheld).toBeDefined();
  }, 60_000);

  it("test my config: the user's chain with the lab standing in for its key; the export's own files with their password", async () => {
    const src = path.join(dir, 'user');
    await cp(FIXTURES, src, { recursive: true });
    const file = path.join(src, 'chain.yaml');
    const reading = await azureImporter.read({ file, text: await readFile(file, 'utf8'), onDisk: true });
    const result = await azureImporter.test(reading, testContext());
    expect(result.against).toBe(`lab realm ${h.lab.realm}`);
    expect(result.steps.map((s) => [s.name, s.ok])).toEqual([
      ['chain loaded by the bench', true],
      [`GSSAPI-KERBEROS client (alice@${h.lab.realm})`, true],
      ['usernamePassword client client1 (no password known)', true],
    ]);
    expect(result.steps[0]!.detail).toContain("the lab's mqtt/localhost and its keytab stand in for mqtt/localhost@BENCH.TEST");
    expect(result.steps[2]!.detail).toMatch(/no password in the CONNECT for client1/);

    const { files } = azureTarget.generate(await h.model(), true);
    const out = path.join(dir, 'exported');
    for (const f of files) {
      await mkdir(path.dirname(path.join(out, f.path)), { recursive: true });
      await writeFile(path.join(out, f.path), f.binary ? Buffer.from(f.binary, 'base64') : f.text);
    }
    const own = path.join(out, 'azure/broker-authentication.yaml');
    const again = await azureImporter.test(await azureImporter.read({ file: own, text: await readFile(own, 'utf8'), onDisk: true }), testContext());
    expect(again.steps.map((s) => [s.name, s.ok])).toEqual([
      ['chain loaded by the bench', true],
      [`GSSAPI-KERBEROS client (alice@${h.lab.realm})`, true],
      ['usernamePassword client alice', true],
    ]);
  }, 60_000);
});
