import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WorkspaceServiceImpl, withoutSecrets } from '../../../main/workspace/service';
import type { JsonValue } from '../../../main/api/workspace';
import { dispatch } from '../../../main/engine/dispatch';
import { createEngine } from '../../../main/engine';

/** Every folder tempDir made, removed after each test (one test leaves an unreadable file aside in its own). */
const made: string[] = [];
const tempDir = async (): Promise<string> => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-ws-'));
  made.push(dir);
  return dir;
};

describe('workspace service', () => {
  afterEach(async () => {
    await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('keeps view states, saved items and recent files across instances (a restart)', async () => {
    const dir = await tempDir();
    const first = new WorkspaceServiceImpl(dir);
    await first.saveView('decoder', { text: 'YIIB', selected: 2 });
    const saved = await first.saveItem({ kind: 'probe-target', name: 'lab broker', value: { url: 'mqtt://127.0.0.1:1883', step: true } });
    await first.addRecent({ kind: 'keytab', path: '/tmp/a.keytab' });
    await first.addRecent({ kind: 'keytab', path: '/tmp/b.keytab' });
    await first.addRecent({ kind: 'keytab', path: '/tmp/a.keytab' });

    const second = await new WorkspaceServiceImpl(dir).load();
    expect(second.views.decoder).toEqual({ text: 'YIIB', selected: 2 });
    expect(second.saved).toEqual([saved]);
    expect(second.recent.map((r) => r.path)).toEqual(['/tmp/a.keytab', '/tmp/b.keytab']);
    expect((await stat(second.file)).mode & 0o777).toBe(0o600);
  });

  it('never writes a password or a raw key, and says which it left out', async () => {
    const dir = await tempDir();
    const service = new WorkspaceServiceImpl(dir);
    const ring: JsonValue[] = [
      { kind: 'keytab', source: { path: '/x/mqtt.keytab' } },
      { kind: 'password', principal: 'alice', password: 'hunter2' },
      { kind: 'raw', key: 'aes256-cts:00112233' },
    ];
    await service.saveItem({ kind: 'decoder-keyring', name: 'alice', value: ring });
    await service.saveView('lab', { form: { password: 'secret-pw', principal: 'bob' } });
    const text = await readFile(path.join(dir, 'workspace.json'), 'utf8');
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('00112233');
    expect(text).not.toContain('secret-pw');
    expect(withoutSecrets(ring)).toEqual([
      { kind: 'keytab', source: { path: '/x/mqtt.keytab' } },
      { kind: 'password', principal: 'alice', omittedSecrets: ['password'] },
      { kind: 'raw', omittedSecrets: ['key'] },
    ]);
  });

  it('puts an unreadable file aside instead of losing it, and starts afresh', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'workspace.json'), '{"format":"kbench-workspace","version":1,"views":');
    const service = new WorkspaceServiceImpl(dir);
    const snapshot = await service.load();
    expect(snapshot.views).toEqual({});
    expect(snapshot.recovered).toMatch(/was not a workspace file .*kept as .*unreadable-/);
    const files = await readdir(dir);
    const aside = files.find((f) => f.startsWith('workspace.json.unreadable-'))!;
    expect(await readFile(path.join(dir, aside), 'utf8')).toContain('"views":');
    await service.saveView('probe', { url: 'mqtt://x' });
    expect((await new WorkspaceServiceImpl(dir).load()).views.probe).toEqual({ url: 'mqtt://x' });
  });

  it('names the bad field of a file of the wrong shape', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'workspace.json'), JSON.stringify({ format: 'kbench-workspace', version: 1, views: {}, saved: [{ id: 1 }], recent: [] }));
    expect((await new WorkspaceServiceImpl(dir).load()).recovered).toMatch(/saved\.0\.id/);
  });

  it('refuses a view state that is too big, and keeps writing one change at a time', async () => {
    const service = new WorkspaceServiceImpl(await tempDir());
    await expect(service.saveView('decoder', { text: 'x'.repeat(600 * 1024) })).rejects.toThrow(/at most 524288/);
    await Promise.all(Array.from({ length: 20 }, (_, i) => service.saveView(`v${i}`, i)));
    expect(Object.keys((await service.load()).views)).toHaveLength(20);
  });

  it('validates input through dispatch (view keys, item kinds)', async () => {
    const engine = createEngine({ runtime: 'cli', dataDir: await tempDir() });
    try {
      const bad = await dispatch(engine.api, { service: 'workspace', method: 'saveView', args: ['../etc', {}] });
      expect(bad.ok).toBe(false);
      const wrongKind = await engine.invoke({ service: 'workspace', method: 'saveItem', args: [{ kind: 'password', name: 'x', value: 1 }] });
      expect(wrongKind.ok).toBe(false);
      const ok = await engine.invoke({ service: 'workspace', method: 'saveView', args: ['route', { path: '/decoder' }] });
      expect(ok.ok).toBe(true);
    } finally {
      await engine.dispose();
    }
  });
});
