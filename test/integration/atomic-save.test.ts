/**
 * Nothing the user saved is lost: a child process saves through the engine's own save paths
 * (workspace — settings, profiles, saved items —, keytab, Azure chain, ES role mappings, export
 * files, saved Exchanges) in a loop, and is killed with SIGKILL at a random moment, again and
 * again. After each kill, every file must be one whole version: it parses, and the version marks
 * it carries in several places agree. A torn or truncated file fails (the first test proves the
 * checks see one).
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadChainYaml } from '../../main/broker/chain/azure-yaml';
import { parseKeytab } from '../../main/krb/keytab';
import { SAVE_KINDS, type SaveKind } from '../helpers/save-loop';

const root = mkdtempSync(path.join(os.tmpdir(), 'kbench-atomic-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const JITI = path.resolve('node_modules/jiti/lib/jiti-cli.mjs');
const SAVE_LOOP = path.resolve('test/helpers/save-loop.ts');
const KILLS = 8;

/** The version a saved file holds; throws when it is not one whole version. */
async function versionOf(kind: SaveKind, dir: string): Promise<number> {
  const read = (name: string) => readFileSync(path.join(dir, name));
  const agree = (versions: number[]) => {
    if (!versions.every((v) => v === versions[0] && Number.isInteger(v))) throw new Error(`${kind}: versions disagree: ${versions.join(', ')}`);
    return versions[0]!;
  };
  switch (kind) {
    case 'workspace': {
      const data = JSON.parse(read('workspace.json').toString()) as { views: { settings: { version: number } }; saved: Array<{ value: { version: number } }> };
      return agree([data.views.settings.version, data.saved[0]!.value.version]);
    }
    case 'keytab': {
      const { keytab } = parseKeytab(read('service.keytab'));
      if (keytab.entries.length !== 400) throw new Error(`keytab: ${keytab.entries.length} entries, not 400`);
      return agree(keytab.entries.map((e) => e.kvno));
    }
    case 'chain': {
      const loaded = await loadChainYaml(path.join(dir, 'chain.yaml'));
      if (!loaded.document) throw new Error(`chain: ${JSON.stringify(loaded.problems)}`);
      return agree([...loaded.document.authentications, ...loaded.document.listeners].map((item) => Number(item.namespace?.slice(1))));
    }
    case 'role-mappings': {
      const { bench } = JSON.parse(read('role-mappings.json').toString()) as { bench: { roles: string[]; metadata: { version: number } } };
      return agree([Number(bench.roles[0]!.slice(1)), bench.metadata.version]);
    }
    case 'export': {
      const text = read('emqx/emqx.conf').toString();
      return agree([Number(/^# version (\d+)\n/.exec(text)?.[1]), Number(/\n# version (\d+)\n$/.exec(text)?.[1])]);
    }
    case 'exchanges': {
      const data = JSON.parse(read('exchanges.json').toString()) as { version: number; end: number };
      return agree([data.version, data.end]);
    }
  }
}

/** Runs the save loop until every kind has saved `atLeast` times, then kills it with SIGKILL after a random pause. */
function runAndKill(dir: string, atLeast: number): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [JITI, SAVE_LOOP, 'all', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    const saved: Record<string, number> = {};
    let stderr = '';
    let killing = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      for (const [, kind, n] of chunk.toString().matchAll(/saved (\S+) (\d+)/g)) saved[kind!] = Number(n);
      if (killing || !SAVE_KINDS.every((kind) => (saved[kind] ?? 0) >= atLeast)) return;
      killing = true;
      setTimeout(() => child.kill('SIGKILL'), Math.random() * 40);
    });
    child.on('exit', (_code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL' && killing) resolve(saved);
      else reject(new Error(`the save loop ended on its own (${signal ?? 'exit'}): ${stderr}`));
    });
  });
}

describe('saves survive kill -9', () => {
  it('the checks see a torn file', async () => {
    const dir = path.join(root, 'torn');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'exchanges.json');
    writeFileSync(file, JSON.stringify({ version: 3, padding: 'x'.repeat(100), end: 3 }));
    await expect(versionOf('exchanges', dir)).resolves.toBe(3);
    truncateSync(file, 40);
    await expect(versionOf('exchanges', dir)).rejects.toThrow();
    writeFileSync(path.join(dir, 'service.keytab'), Buffer.from([5, 2, 0, 0, 0, 90, 0, 1]));
    await expect(versionOf('keytab', dir)).rejects.toThrow();
  });

  it(`every saved file is one whole version after each of ${KILLS} kills`, async () => {
    const dir = path.join(root, 'loop');
    cpSync('test/fixtures/chain/full', path.join(dir, 'chain'), { recursive: true });
    let last: Record<string, number> = {};
    for (let kill = 0; kill < KILLS; kill++) {
      const saved = await runAndKill(dir, kill === 0 ? 2 : 1);
      for (const kind of SAVE_KINDS) {
        const version = await versionOf(kind, path.join(dir, kind));
        // The file is the last save it reported or the one after (killed between rename and print).
        expect(version, kind).toBeGreaterThanOrEqual(saved[kind]!);
        expect(version, kind).toBeLessThanOrEqual(saved[kind]! + 1);
        // Each run starts over at version 1, so a new run's file replaced the last run's.
        if (kill > 0) expect(version, kind).toBeGreaterThanOrEqual(1);
      }
      last = saved;
    }
    expect(Object.keys(last).sort()).toEqual([...SAVE_KINDS].sort());
    // A kill between write and rename leaves a temp file behind, never in place of the file.
    const leftovers = SAVE_KINDS.flatMap((kind) => readdirSync(path.join(dir, kind)).filter((name) => name.endsWith('.tmp')));
    expect(leftovers.length).toBeLessThanOrEqual(KILLS * SAVE_KINDS.length);
  }, 240_000);
});
