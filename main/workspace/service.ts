/**
 * The workspace service: view states, saved connections and recent files, kept in the data
 * directory (store.ts). Nothing secret is written: every password and raw key in what the UI
 * hands over is replaced by a note that it was left out (withoutSecrets).
 */
import { randomUUID } from 'node:crypto';
import type { JsonValue, RecentFile, RecentFileKind, SavedItem, SavedItemKind, WorkspaceService, WorkspaceSnapshot } from '../api/workspace';
import { BenchFailure } from '../engine/failure';
import { WorkspaceFile } from './store';

/** A view's state beyond this is a bug in the view, not something to keep. */
const MAX_VIEW_BYTES = 512 * 1024;
const MAX_VIEWS = 64;
const MAX_SAVED = 200;
const RECENT_PER_KIND = 10;

/** Object fields that hold secrets, whatever the view: they are never written to disk. */
const SECRET_FIELDS = new Set(['password', 'key', 'secret', 'token']);

/**
 * The value with every secret field's content dropped. An object that had one gets
 * `omittedSecrets: [names]`, so the UI can say "the password was not saved".
 * (`token` is dropped only beside `kind: 'raw' | 'password'`: a decoder paste is not a secret.)
 */
export function withoutSecrets(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(withoutSecrets);
  if (value === null || typeof value !== 'object') return value;
  const isKeySource = value.kind === 'password' || value.kind === 'raw';
  const out: Record<string, JsonValue> = {};
  const omitted: string[] = [];
  for (const [name, field] of Object.entries(value)) {
    if (SECRET_FIELDS.has(name) && (name !== 'token' || isKeySource) && (name !== 'key' || isKeySource)) omitted.push(name);
    else out[name] = withoutSecrets(field);
  }
  if (omitted.length) out.omittedSecrets = omitted;
  return out;
}

export class WorkspaceServiceImpl implements WorkspaceService {
  private readonly store: WorkspaceFile;

  constructor(dataDir: string) {
    this.store = new WorkspaceFile(dataDir);
  }

  async load(): Promise<WorkspaceSnapshot> {
    const data = await this.store.read();
    return structuredClone({ ...data, file: this.store.file, ...(this.store.recovered ? { recovered: this.store.recovered } : {}) });
  }

  async saveView(view: string, state: JsonValue): Promise<void> {
    const clean = withoutSecrets(state);
    const size = Buffer.byteLength(JSON.stringify(clean));
    if (size > MAX_VIEW_BYTES) throw new BenchFailure(`the ${view} view's state is ${size} bytes; at most ${MAX_VIEW_BYTES} are kept`);
    await this.store.update((data) => {
      if (!(view in data.views) && Object.keys(data.views).length >= MAX_VIEWS) throw new BenchFailure(`at most ${MAX_VIEWS} view states are kept`);
      data.views[view] = clean;
    });
  }

  async saveItem(item: { id?: string; kind: SavedItemKind; name: string; value: JsonValue }): Promise<SavedItem> {
    const saved: SavedItem = { id: item.id ?? randomUUID(), kind: item.kind, name: item.name.trim() || 'unnamed', value: withoutSecrets(item.value), savedAt: new Date().toISOString() };
    await this.store.update((data) => {
      const index = data.saved.findIndex((s) => s.id === saved.id);
      if (index >= 0) data.saved[index] = saved;
      else if (data.saved.length >= MAX_SAVED) throw new BenchFailure(`at most ${MAX_SAVED} saved items are kept: remove some first`);
      else data.saved.push(saved);
    });
    return structuredClone(saved);
  }

  async removeItem(id: string): Promise<void> {
    await this.store.update((data) => {
      data.saved = data.saved.filter((s) => s.id !== id);
    });
  }

  async addRecent(file: { kind: RecentFileKind; path: string }): Promise<RecentFile[]> {
    let recent: RecentFile[] = [];
    await this.store.update((data) => {
      const others = data.recent.filter((r) => !(r.kind === file.kind && r.path === file.path));
      const entry: RecentFile = { kind: file.kind, path: file.path, openedAt: new Date().toISOString() };
      const sameKind = others.filter((r) => r.kind === file.kind).slice(0, RECENT_PER_KIND - 1);
      data.recent = [entry, ...others.filter((r) => r.kind !== file.kind), ...sameKind].sort((a, b) => b.openedAt.localeCompare(a.openedAt));
      recent = data.recent;
    });
    return structuredClone(recent);
  }
}
