/**
 * Every scenario against a real MIT lab realm: it breaks the realm, runs the real flow (kinit,
 * our SASL peers over GSS workers, the MQTT probe against the broker), captures the real error,
 * diagnoses it — the expected catalog entry must come first — and restores the lab, which must
 * still work for the next scenario. The error texts come from the runs, never from this file.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScenarioInfo, ScenarioResult } from '../../main/api/diagnose';
import { catalogEntry } from '../../main/diagnose/catalog';
import { DiagnoseServiceImpl } from '../../main/diagnose/service';
import { BenchEventBus } from '../../main/engine/events';
import { GssSupervisor } from '../../main/gss/supervisor';
import { kdcsUnder, stopPid } from '../../main/lab/kdc-process';
import { LabServiceImpl } from '../../main/lab/service';

/** Every file and folder under `dir`, as paths relative to it ('' when it does not exist). */
async function filesUnder(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true }).catch(() => [] as string[])).sort();
}

describe('diagnosis scenarios against the lab realm', () => {
  let root: string;
  let lab: LabServiceImpl;
  let gss: GssSupervisor;
  let service: DiagnoseServiceImpl;
  let scenarios: ScenarioInfo[];
  const results = new Map<string, ScenarioResult>();

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'kbench-scenarios-'));
    const context = { runtime: 'cli' as const, dataDir: path.join(root, 'data'), electronVersion: null, events: new BenchEventBus() };
    lab = new LabServiceImpl(context);
    gss = new GssSupervisor();
    service = new DiagnoseServiceImpl(context, () => gss, lab);
    scenarios = await service.scenarios();
    await lab.up();
  }, 60_000);

  afterAll(async () => {
    await gss?.dispose();
    await lab?.down({ destroy: true }).catch(() => undefined);
    await lab?.dispose();
    for (const { pid } of root ? await kdcsUnder(root) : []) await stopPid(pid);
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('lists at least 12 scenarios, each expecting a catalog entry that names it back', async () => {
    expect(scenarios.length).toBeGreaterThanOrEqual(12);
    for (const s of scenarios) {
      const entry = catalogEntry(s.expects);
      expect(entry, `${s.id} expects ${s.expects}`).toBeDefined();
      // AD scenarios (ad-*) of a failure the MIT lab reproduces too leave the entry naming the MIT one.
      if (!s.id.startsWith('ad-')) expect(entry!.reproduce.scenario, `${s.expects} should name scenario ${s.id}`).toBe(s.id);
    }
  });

  // One after another on the same realm: each must leave the lab working for the next.
  it.each([
    'no-suitable-keys',
    'realm-unknown',
    'kdc-down',
    'kdc-host-unresolvable',
    'no-default-realm',
    'wrong-password',
    'unknown-client',
    'unknown-service',
    'stale-keytab',
    'ticket-out-of-date',
    'acceptor-not-in-keytab',
    'missing-enctype',
    'same-kvno-other-key',
    'clock-skew',
    'ticket-not-yet-valid',
    'tgt-expired',
    'replay',
    'base64-token',
    'no-ccache',
    'client-revoked',
    'password-expired',
    'principal-expired',
    'keytab-file-missing',
    'no-common-enctype',
    'invalid-principal-string',
    'auth-deadline',
  ])('%s: the real error is diagnosed as expected, the lab works afterwards and holds no file it did not hold before', async (id) => {
    const dataDir = path.join(root, 'data');
    const before = await filesUnder(dataDir);
    const result = await service.runScenario({ id });
    // Scratch keytabs, ccaches, krb5.conf copies, the keytab a rotation keeps: all gone again; and
    // nothing in the user's undo list (a scenario reverts its own changes). The replay cache is the
    // lab's own state (rcache/, made by MIT at the first AP-REQ the lab's acceptor takes).
    const labState = (file: string) => /\/rcache\/[^/]+$/.test(file);
    const left = (await filesUnder(dataDir)).filter((file) => !before.includes(file) && !labState(file));
    expect(left, `${id} left files behind in ${dataDir}`).toEqual([]);
    results.set(id, result);
    const expected = scenarios.find((s) => s.id === id)!.expects;
    expect(result.error, 'the broken flow must fail with a real error').not.toBe('');
    expect(result, JSON.stringify({ error: result.error, problem: result.problem, findings: result.findings.map((f) => [f.id, f.confidence]) })).toMatchObject({ passed: true, topFinding: expected });
    expect(result.findings[0]!.evidence.length).toBeGreaterThan(0);
  }, 90_000);

  it('every scenario is covered above (the Java ones in diagnose-java-scenarios.test.ts, the AD ones in ad-scenarios.test.ts)', () => {
    expect([...results.keys()].sort()).toEqual(scenarios.filter((s) => !s.id.startsWith('java-') && !s.id.startsWith('ad-')).map((s) => s.id).sort());
  });

  it('runs scenarios asked for at the same time one after the other (a stopped KDC must not break the next)', async () => {
    const [down, client] = await Promise.all([service.runScenario({ id: 'kdc-down' }), service.runScenario({ id: 'unknown-client' })]);
    expect(down).toMatchObject({ passed: true, topFinding: 'kdc-unreachable' });
    expect(client, client.problem).toMatchObject({ passed: true, topFinding: 'client-unknown' });
  }, 90_000);

  it('refuses an unknown scenario', async () => {
    await expect(service.runScenario({ id: 'nosuch' })).rejects.toThrow(/no scenario "nosuch"/);
  });
});
