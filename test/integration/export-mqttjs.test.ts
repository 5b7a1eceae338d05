/**
 * The exported MQTT.js program, as the product proves it: compiled by the repo's TypeScript
 * (strict) and run with node against the bench's broker (EMQX's GSSAPI-KERBEROS) with the lab's
 * ticket — it connects, re-authenticates once (AUTH 0x19 → AUTH 0x00) and exits 0. A broker
 * without the key refuses it, and the proof says so with MIT's text.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mqttjsTarget } from '../../main/export/targets/mqttjs';
import { openExportHarness, type ExportHarness } from '../helpers/export-harness';

describe('export mqttjs (tsc, node, the bench broker)', () => {
  let harness: ExportHarness;

  beforeAll(async () => {
    harness = await openExportHarness('export-mqttjs');
  }, 60_000);
  afterAll(async () => {
    await harness?.close();
  }, 60_000);

  it('the program compiles and authenticates against the local broker, re-authenticating once', async () => {
    const model = await harness.model();
    const { files } = mqttjsTarget.generate(model, false);
    expect(files.map((f) => f.path)).toEqual(['mqttjs/client.ts', 'mqttjs/package.json', 'mqttjs/tsconfig.json']);
    expect(files[0]!.text).toContain('?? "mqtt@localhost"');
    const proofs = await harness.prove(mqttjsTarget, model);
    expect(proofs.map((p) => [p.name, p.ok, p.detail]).filter(([, ok]) => !ok)).toEqual([]);
    expect(proofs[0]!.detail).toMatch(/^Version 5\.\d+\.\d+: mqttjs\/client\.ts compiled \(strict\)/);
    expect(proofs[1]!.detail).toContain('re-authenticated (AUTH 0x19 → AUTH 0x00)');
    expect(proofs[1]!.detail).toMatch(/the broker: Exchange [\w-]+: success as alice@BENCH\.TEST \(.*re-authenticated 1 time\(s\)\)/);
  }, 60_000);

  it('a stale service keytab: the run fails and says why', async () => {
    const model = await harness.model();
    await harness.engine.api.lab.rotateKey({ name: 'mqtt/localhost', undoable: true });
    try {
      // The lab keeps the old keytab aside; the model's keytab file now has the new key too, so point the broker at the old copy.
      const stale = (await harness.engine.api.lab.status()).staleKeytabs.at(-1)!.path;
      await harness.engine.api.lab.refreshTicket();
      const proofs = await harness.prove(mqttjsTarget, { ...model, mqtt: { ...model.mqtt, keytabFile: stale } });
      expect(proofs[0]!.ok).toBe(true);
      expect(proofs[1]!.ok).toBe(false);
      expect(proofs[1]!.detail).toMatch(/exit code 1 — .*failed: .*Not authorized/);
      expect(proofs[1]!.detail).toMatch(/not found in keytab/);
    } finally {
      await harness.engine.api.lab.undo();
    }
  }, 60_000);
});
