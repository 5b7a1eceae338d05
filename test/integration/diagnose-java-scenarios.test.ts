/**
 * The Java scenarios against a real MIT lab realm with the JVM's own Kerberos stack (a Java GSS
 * worker: JAAS Krb5LoginModule + Java GSS on the installed JDK): each breaks the realm, runs the
 * real Java login or accept, diagnoses Java's error — the expected Java entry must come first —
 * and restores the lab. The error texts come from the JVM, never from this file: the test only
 * checks that they are Java's (an exception class name, sun.security.krb5.debug lines in the trace).
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScenarioResult } from '../../main/api/diagnose';
import { JAVA_SCENARIOS } from '../../main/diagnose/java-scenarios';
import { removeScenarioDir, scenarioDir } from '../../main/diagnose/scenarios';
import { DiagnoseServiceImpl } from '../../main/diagnose/service';
import { BenchEventBus } from '../../main/engine/events';
import { findJdk } from '../../main/gss/java/launcher';
import { GssSupervisor } from '../../main/gss/supervisor';
import { kdcsUnder, stopPid } from '../../main/lab/kdc-process';
import { LabServiceImpl } from '../../main/lab/service';

const jdk = await findJdk();

/** A Java exception's simple or qualified class name, as the Java worker reports failures. */
const JAVA_EXCEPTION = /\b(?:LoginException|GSSException|KrbException|(?:javax|java|org\.ietf|sun)\.[\w.]+Exception)\b/;
/** Lines only the JVM's Kerberos debug output has (sun.security.krb5.debug, JAAS debug=true). */
const JAVA_DEBUG_LINE = /^(?:>>> |Debug is\s+true|Looking for keys for: |Found unsupported keytype|Added key: |\[Krb5LoginModule\]|Java config name: |Loaded from Java config)/;

async function filesUnder(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true }).catch(() => [] as string[])).sort();
}

describe.skipIf(!jdk.java || !jdk.javac)('Java scenarios against the lab realm (skipped: no javac on PATH or in JAVA_HOME — install openjdk-17-jdk-headless)', () => {
  let root: string;
  let lab: LabServiceImpl;
  let gss: GssSupervisor;
  let service: DiagnoseServiceImpl;

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'kbench-java-scenarios-'));
    const context = { runtime: 'cli' as const, dataDir: path.join(root, 'data'), electronVersion: null, events: new BenchEventBus() };
    lab = new LabServiceImpl(context);
    gss = new GssSupervisor();
    service = new DiagnoseServiceImpl(context, () => gss, lab);
    await lab.up();
  }, 60_000);

  afterAll(async () => {
    await gss?.dispose();
    await lab?.down({ destroy: true }).catch(() => undefined);
    await lab?.dispose();
    for (const { pid } of root ? await kdcsUnder(root) : []) await stopPid(pid);
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('lists the four Java scenarios', async () => {
    const ids = (await service.scenarios()).map((s) => s.id);
    for (const id of ['java-rc4-only-keytab', 'java-unable-to-obtain-password', 'java-checksum-failed-stale-kvno', 'java-acceptor-is-initiator-kdc-down']) expect(ids).toContain(id);
  });

  // One after another on the same realm: each must leave the lab working for the next.
  it.each([
    ['java-rc4-only-keytab', 'java-weak-enctype-disabled'],
    ['java-unable-to-obtain-password', 'java-unable-to-obtain-password'],
    ['java-checksum-failed-stale-kvno', 'java-checksum-failed'],
    ['java-acceptor-is-initiator-kdc-down', 'java-acceptor-is-initiator'],
  ])('%s: the JVM\'s error is diagnosed as %s, and the lab works afterwards', async (id, expected) => {
    const dataDir = path.join(root, 'data');
    const before = await filesUnder(dataDir);
    const result: ScenarioResult = await service.runScenario({ id });
    const context = JSON.stringify({ error: result.error, problem: result.problem, findings: result.findings.map((f) => [f.id, f.confidence]) });
    expect(result.error, `the broken Java flow must fail with a real error: ${context}`).not.toBe('');
    // Java's own words: an exception class name in the error, never MIT's wording.
    expect(result.error, context).toMatch(JAVA_EXCEPTION);
    expect(result.error).not.toMatch(/Minor code may provide more information|while getting initial credentials/);
    expect(result, context).toMatchObject({ passed: true, topFinding: expected });
    expect(result.findings[0]!.evidence.length).toBeGreaterThan(0);
    const labState = (file: string) => /\/rcache\/[^/]+$/.test(file);
    expect((await filesUnder(dataDir)).filter((file) => !before.includes(file) && !labState(file)), `${id} left files behind`).toEqual([]);
  }, 90_000);

  it('the Exchange of a Java failure carries the JVM\'s Kerberos debug output as its trace', async () => {
    // The scenario run by hand (the service keeps Exchanges to itself): run, look, restore.
    const scenario = JAVA_SCENARIOS.find((s) => s.id === 'java-checksum-failed-stale-kvno')!;
    await lab.up();
    const ctx = { lab, gss, status: await lab.status(), profile: await lab.profile(), dir: await scenarioDir(path.join(root, 'data'), scenario.id) };
    try {
      const attempt = await scenario.run(ctx);
      const step = attempt.exchanges[0]?.steps.find((s) => s.error);
      expect(step?.error, JSON.stringify(attempt.exchanges)).toMatch(JAVA_EXCEPTION);
      expect(step!.trace?.filter((line) => JAVA_DEBUG_LINE.test(line)).length, JSON.stringify(step!.trace)).toBeGreaterThan(3);
      expect(step!.trace!.join('\n')).not.toMatch(/Minor code may provide more information/);
    } finally {
      await scenario.restore?.(ctx);
      await removeScenarioDir(ctx.dir);
    }
  }, 90_000);
});
