/**
 * The `kbench` command loads only what its command uses: the engine's heavy services (broker,
 * probe, chain, import/export, SPN …) load at their first call (main/engine/lazy.ts). Each run
 * here is a real `node bin/kbench.js` with a module hook that lists every module it resolved.
 * Needs the build.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProgram } from '../helpers/cli';

/** Packages only the services that need them may load. */
const HEAVY = ['aedes', 'mqtt', 'ldapts', 'jose', 'fast-xml-parser', 'smol-toml', 'ws'];
let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'kbench-cli-startup-'));
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** The packages under node_modules that `kbench ARGS` resolved, by name. */
async function packagesLoadedBy(args: string[]): Promise<{ code: number; stdout: string; packages: Set<string> }> {
  const list = path.join(scratch, `imports-${args.join('-').replace(/[^a-z0-9.-]/gi, '_')}.txt`);
  const env = { ...process.env, KBENCH_TRACE_IMPORTS: list, KBENCH_DATA_DIR: path.join(scratch, 'data') };
  const run = await runProgram(process.execPath, ['--import', path.resolve('test/helpers/trace-imports.mjs'), path.resolve('bin/kbench.js'), ...args], env);
  const urls = (await readFile(list, 'utf8')).split('\n');
  const packages = new Set(urls.map((url) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1]).filter((name): name is string => Boolean(name)));
  return { code: run.code, stdout: run.stdout, packages };
}

describe('kbench loads a service’s modules only when a command uses it', () => {
  it('`kbench --version` loads none of the heavy packages', async () => {
    const { code, stdout, packages } = await packagesLoadedBy(['--version']);
    expect(code).toBe(0);
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(HEAVY.filter((name) => packages.has(name))).toEqual([]);
  });

  it('`kbench capture scan` loads the capture code only: no broker, probe, web host or LDAP', async () => {
    const { code, stdout, packages } = await packagesLoadedBy(['capture', 'scan', path.resolve('test/fixtures/capture/base.pcapng'), '--json']);
    expect(code).toBe(0);
    expect((JSON.parse(stdout) as { packets: number }).packets).toBeGreaterThan(0);
    expect(HEAVY.filter((name) => packages.has(name))).toEqual([]);
  });

  it('a command on the broker service loads aedes, and still not MQTT.js or the LDAP client', async () => {
    const { code, packages } = await packagesLoadedBy(['call', 'broker.status']);
    expect(code).toBe(0);
    expect(packages.has('aedes')).toBe(true);
    expect(packages.has('mqtt')).toBe(false);
    expect(packages.has('ldapts')).toBe(false);
  });
});
