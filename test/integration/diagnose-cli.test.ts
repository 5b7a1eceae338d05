/**
 * `kbench diagnose` and `kbench scenario` as a user runs them: separate processes, real MIT tools
 * producing the errors that get diagnosed, the lab realm the commands bring up themselves.
 * Needs the build (bin/kbench.js loads out/main/cli.js).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../main/api/diagnose';
import { kdcsUnder, stopPid } from '../../main/lab/kdc-process';
import { kbenchProcess, runProgram } from '../helpers/cli';

describe('kbench diagnose and kbench scenario (separate processes)', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const kbench = (args: string[], input?: string) => kbenchProcess(args, env, { timeoutMs: 240_000, ...(input === undefined ? {} : { input }) });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-diagnose-cli-'));
    env = { ...process.env, KBENCH_DATA_DIR: path.join(dir, 'data'), NO_COLOR: '1' };
    delete env.KRB5_TRACE;
  });

  afterAll(async () => {
    await kbenchProcess(['lab', 'down', '--destroy'], env).catch(() => undefined);
    for (const { pid } of dir ? await kdcsUnder(dir) : []) await stopPid(pid);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('--message: a Java wording → the entry, with cause, fix, evidence, in the JSON contract', async () => {
    const run = await kbench(['diagnose', '--json', '--message', 'GSSException: No valid credentials provided (Mechanism level: Server not found in Kerberos database (7) - LOOKING_UP_SERVER)']);
    expect(run.code, run.stderr).toBe(0);
    const { findings } = JSON.parse(run.stdout) as { findings: Finding[] };
    expect(findings[0]).toMatchObject({ id: 'server-unknown', title: expect.any(String), confidence: expect.any(Number), cause: expect.any(String), fix: expect.any(String) });
    expect(findings[0]!.evidence[0]).toEqual({ source: 'the pasted text', text: expect.stringContaining('Server not found in Kerberos database (7)') });
    expect(findings[0]!.scenario).toBe('unknown-service');
  });

  it('--message -: what a real klist printed, piped in, is diagnosed from stdin', async () => {
    const missing = path.join(dir, 'does-not-exist.keytab');
    const klist = await runProgram('klist', ['-k', '-t', missing], { PATH: process.env.PATH, KRB5_CONFIG: '/dev/null' });
    const printed = `${klist.stdout}${klist.stderr}`; // as a user would paste it
    expect(printed).toContain(missing); // the real message names the file
    const run = await kbench(['diagnose', '--json', '--message', '-'], printed);
    expect(run.code, run.stderr).toBe(0);
    const { findings } = JSON.parse(run.stdout) as { findings: Finding[] };
    expect(findings[0]!.id, JSON.stringify(findings.map((f) => [f.id, f.confidence]))).toBe('keytab-file-missing');
  });

  it('--exchange: a failed SASL Exchange saved by `kbench sasl client` is diagnosed from its file', async () => {
    const file = path.join(dir, 'failed.exchange.json');
    // The server's first line offers GSSAPI; the client then fails before it has a token to send.
    const sasl = await kbench(['sasl', 'client', '--service', 'nosuch@localhost', '--exchange', file], `S: ${Buffer.from('GSSAPI').toString('base64')}\n`);
    expect(sasl.code).toBe(1);
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ exchange: { verdict: { outcome: 'failure' } } });
    const run = await kbench(['diagnose', '--exchange', file]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^Most likely: .*\(\d+ %\)/);
    expect(run.stdout).toContain('server-unknown');
    expect(run.stdout).toContain('reproduce it: kbench scenario run unknown-service');
  });

  it('--check: the lab setup checks out healthy for its service principal; a missing keytab entry is found', async () => {
    const healthy = await kbench(['diagnose', '--check', '--profile', 'lab', '--principal', 'mqtt/localhost@BENCH.TEST', '--json']);
    const findings = (JSON.parse(healthy.stdout) as { findings: Finding[] }).findings;
    expect(findings.map((f) => `${f.id}: ${f.cause}`)).toEqual([]);
    expect(healthy.code).toBe(0);

    const missing = await kbench(['diagnose', '--check', '--profile', 'lab', '--principal', 'nosuch/localhost@BENCH.TEST', '--json']);
    expect(missing.code).toBe(1);
    const ids = (JSON.parse(missing.stdout) as { findings: Finding[] }).findings.map((f) => f.id);
    expect(ids).toContain('env.keytab-missing-principal');
  });

  it('refuses what it cannot use, saying why', async () => {
    const garbage = path.join(dir, 'garbage.json');
    await writeFile(garbage, '{"not": "an exchange"');
    const bad = await kbench(['diagnose', '--exchange', garbage]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`--exchange ${garbage}`);
    const absent = await kbench(['diagnose', '--exchange', path.join(dir, 'absent.json')]);
    expect(absent.code).toBe(2);
    expect(absent.stderr).toMatch(/absent\.json/);
    const mixed = await kbench(['diagnose', '--profile', 'system', '--krb5-config', garbage]);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toContain('--krb5-config makes a custom profile; it cannot be combined with --profile system');
    const noScenario = await kbench(['scenario', 'run']);
    expect(noScenario.code).toBe(2);
    expect(noScenario.stderr).toContain('give one scenario ID or --all');
  });

  it('scenario list --json names each scenario and the entry it expects', async () => {
    const run = await kbench(['scenario', 'list', '--json']);
    expect(run.code).toBe(0);
    const { scenarios } = JSON.parse(run.stdout) as { scenarios: { id: string; expects: string }[] };
    expect(scenarios.length).toBeGreaterThanOrEqual(12);
    expect(scenarios).toContainEqual(expect.objectContaining({ id: 'kdc-down', expects: 'kdc-unreachable' }));
  });

  it('scenario run --all --json: every scenario passes with the real error captured, in the JSON contract', async () => {
    const run = await kbench(['scenario', 'run', '--all', '--json']);
    const { scenarios } = JSON.parse(run.stdout) as { scenarios: { id: string; passed: boolean; error: string; topFinding: string | null; problem?: string }[] };
    expect(scenarios.filter((s) => !s.passed)).toEqual([]);
    expect(run.code).toBe(0);
    for (const s of scenarios) {
      expect(Object.keys(s)).toEqual(expect.arrayContaining(['id', 'passed', 'error', 'topFinding']));
      expect(s.error.length, s.id).toBeGreaterThan(5);
    }
    const kdcDown = scenarios.find((s) => s.id === 'kdc-down')!;
    expect(kdcDown).toMatchObject({ topFinding: 'kdc-unreachable', error: expect.stringContaining('Cannot contact any KDC') });
  }, 300_000);

  it('scenario run ID prints the verdict, the real error and how long it took', async () => {
    const run = await kbench(['scenario', 'run', 'unknown-client']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^✓ unknown-client → client-unknown \(\d+\.\d s\)\n {4}error: .*not found in Kerberos database/);
  });
}, 400_000);
