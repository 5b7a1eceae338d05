/**
 * A child process that saves, again and again, through the engine's own save paths, each save a
 * new version of the same file: the workspace (settings, profiles, saved Exchanges), a keytab, an
 * Azure chain, the ES role mappings, an export's files, a capture's saved Exchanges. The parent
 * (test/integration/atomic-save.test.ts) kills it with SIGKILL at random moments and checks that
 * every file on disk is one whole version. Run with jiti:
 *   jiti test/helpers/save-loop.ts <kind|all> <dir>
 * Each kind saves into <dir>/<kind> and prints "saved <kind> <n>" after each save, so the parent
 * knows a whole first version exists before it kills.
 */
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { loadChainYaml, saveChainYaml } from '../../main/broker/chain/azure-yaml';
import { saveExport } from '../../main/export/save';
import { RoleMappingStore } from '../../main/http/es/role-store';
import { writeKeytabFile } from '../../main/system/keytab-file';
import { writeFileAtomic } from '../../main/system/files';
import { WorkspaceFile } from '../../main/workspace/store';

export const SAVE_KINDS = ['workspace', 'keytab', 'chain', 'role-mappings', 'export', 'exchanges'] as const;
export type SaveKind = (typeof SAVE_KINDS)[number];

/** Big enough that a write takes several system calls: a kill lands inside one often. */
const PADDING = 'x'.repeat(256 * 1024);

/** The keytab of version n: every entry's kvno is n, so a mix of two versions shows. */
function keytabOf(n: number) {
  const entries = Array.from({ length: 400 }, (_, i) => ({
    principal: { nameType: 1, components: ['svc', `host-${i}.example.com`], realm: 'SAVE.TEST' },
    timestamp: n,
    kvno: n,
    enctype: 18,
    key: randomBytes(32),
  }));
  return { version: 0x502 as const, entries };
}

async function saveOnce(kind: SaveKind, dir: string, n: number): Promise<void> {
  switch (kind) {
    case 'workspace':
      return new WorkspaceFile(dir).update((data) => {
        data.views = { settings: { version: n, padding: PADDING } };
        data.saved = [{ id: 'target', kind: 'probe-target', name: `v${n}`, savedAt: new Date().toISOString(), value: { version: n } }];
      });
    case 'keytab':
      await writeKeytabFile(path.join(dir, 'service.keytab'), keytabOf(n), { replace: true });
      return;
    case 'chain': {
      const file = path.join(dir, 'chain.yaml');
      const loaded = await loadChainYaml(file);
      if (!loaded.document) throw new Error(`the chain does not load: ${JSON.stringify(loaded.problems)}`);
      const document = loaded.document;
      for (const item of [...document.authentications, ...document.listeners]) item.namespace = `v${n}`;
      const saved = await saveChainYaml(document);
      if (!saved.document) throw new Error(`the chain was not saved: ${JSON.stringify(saved.problems)}`);
      return;
    }
    case 'role-mappings': {
      const store = new RoleMappingStore(path.join(dir, 'role-mappings.json'));
      await store.put('bench', { enabled: true, roles: [`v${n}`], rules: { field: { username: '*' } }, metadata: { version: n, padding: PADDING } });
      return;
    }
    case 'export':
      await saveExport([{ path: 'emqx/emqx.conf', language: 'hocon', text: `# version ${n}\n${PADDING}\n# version ${n}\n`, mode: 0o644, purpose: 'save-loop', redacted: false }], dir, true);
      return;
    case 'exchanges':
      await writeFileAtomic(path.join(dir, 'exchanges.json'), Buffer.from(JSON.stringify({ version: n, padding: PADDING, end: n })));
      return;
  }
}

async function saveForever(kind: SaveKind, dir: string): Promise<never> {
  await mkdir(path.join(dir, kind), { recursive: true });
  for (let n = 1; ; n++) {
    await saveOnce(kind, path.join(dir, kind), n);
    process.stdout.write(`saved ${kind} ${n}\n`);
  }
}

async function main(): Promise<void> {
  const [which, dir] = process.argv.slice(2) as [string, string];
  const kinds = which === 'all' ? SAVE_KINDS : SAVE_KINDS.filter((kind) => kind === which);
  if (!kinds.length || !dir) throw new Error(`usage: save-loop.ts <${SAVE_KINDS.join('|')}|all> <dir>`);
  await Promise.all(kinds.map((kind) => saveForever(kind, dir)));
}

if (process.argv[1]?.endsWith('save-loop.ts')) {
  main().catch((error: Error) => {
    process.stderr.write(`${error.stack}\n`);
    process.exit(1);
  });
}
