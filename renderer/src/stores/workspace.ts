import type { JsonValue, RecentFile, RecentFileKind, SavedItem, SavedItemKind, WorkspaceSnapshot } from '@api/index';
import { defineStore } from 'pinia';
import { ref, shallowRef, watch } from 'vue';
import type { BenchClient } from '../api/client';

/** How long after the last change a view's state is written (typing must not write per key). */
const SAVE_DELAY_MS = 400;
/** How long the app waits for the workspace before it opens without it (engine unreachable). */
const LOAD_TIMEOUT_MS = 3000;

/**
 * What the bench remembers between reloads and restarts, kept by the engine in the data
 * directory (the `workspace` service): each view's state, saved connections (probe targets,
 * broker listener sets, decoder key rings) and recently opened files. Loaded once before the app
 * mounts, so every store can restore its state synchronously when it is created.
 */
export const useWorkspaceStore = defineStore('workspace', () => {
  const views = shallowRef<Record<string, JsonValue>>({});
  const saved = shallowRef<SavedItem[]>([]);
  const recent = shallowRef<RecentFile[]>([]);
  const file = ref('');
  /** Why the workspace file was put aside (it could not be read), once. */
  const recovered = ref<string | null>(null);
  /** The last failure to save, in words (shown by the status line; saving goes on). */
  const saveError = ref<string | null>(null);
  let bench: BenchClient | null = null;
  /** Saves waiting for their moment, by view key: the timer and what to write then. */
  const pending = new Map<string, { timer: ReturnType<typeof setTimeout>; state: () => JsonValue }>();

  /** Reads the workspace from the engine; the app opens without it after LOAD_TIMEOUT_MS. */
  async function load(client: BenchClient): Promise<void> {
    bench = client;
    window.addEventListener('pagehide', flush);
    const timeout = new Promise<null>((resolve) => setTimeout(() => resolve(null), LOAD_TIMEOUT_MS));
    const snapshot: WorkspaceSnapshot | null = await Promise.race([client.api.workspace.load().catch(() => null), timeout]);
    if (!snapshot) return;
    views.value = snapshot.views;
    saved.value = snapshot.saved;
    recent.value = snapshot.recent;
    file.value = snapshot.file;
    recovered.value = snapshot.recovered ?? null;
  }

  /** A view's saved state (as it was loaded or last saved), or undefined. */
  function viewState<T extends JsonValue>(key: string): T | undefined {
    return views.value[key] as T | undefined;
  }

  function write(key: string, state: () => JsonValue): void {
    const value = state();
    views.value = { ...views.value, [key]: value };
    bench?.api.workspace.saveView(key, value).then(
      () => (saveError.value = null),
      (e: Error) => (saveError.value = e.message),
    );
  }

  /** Writes a view's state to the engine a moment after the last change (`state` is read then). */
  function saveLater(key: string, state: () => JsonValue): void {
    const earlier = pending.get(key);
    if (earlier) clearTimeout(earlier.timer);
    const timer = setTimeout(() => {
      pending.delete(key);
      write(key, state);
    }, SAVE_DELAY_MS);
    pending.set(key, { timer, state });
  }

  /**
   * Writes every waiting save now: the page is going (a reload, a closed window or tab), and a
   * change made in the last moment before it must not be lost.
   */
  function flush(): void {
    for (const [key, { timer, state }] of pending) {
      clearTimeout(timer);
      write(key, state);
    }
    pending.clear();
  }

  /** Saves a view's state: readable at once (viewState), written a moment after the last change. */
  function saveView(key: string, state: JsonValue): void {
    views.value = { ...views.value, [key]: state };
    saveLater(key, () => state);
  }

  /**
   * Keeps a store's state in the workspace: `restore` gets the saved state now (if there is one),
   * and `state()` is saved whenever it changes. Call it in a store's setup.
   */
  function persist<T>(key: string, state: () => T, restore: (saved: T) => void): void {
    // What was saved is what state() gave, through JSON: the store's own type, not checked here.
    const earlier = views.value[key] as T | undefined;
    if (earlier !== undefined) {
      try {
        restore(earlier);
      } catch {
        // A state written by an older version that no longer fits: start from the defaults.
      }
    }
    // (typed as unknown: a deep watch over the recursive JsonValue type is too deep for tsc)
    // The copy is made when the write is due, not on every change (a keystroke in a big paste).
    watch((): unknown => state(), () => saveLater(key, () => JSON.parse(JSON.stringify(state())) as JsonValue), { deep: true });
  }

  async function saveItem(kind: SavedItemKind, name: string, value: JsonValue, id?: string): Promise<SavedItem | null> {
    if (!bench) return null;
    const item = await bench.api.workspace.saveItem({ kind, name, value, ...(id ? { id } : {}) });
    saved.value = [...saved.value.filter((s) => s.id !== item.id), item];
    return item;
  }

  async function removeItem(id: string): Promise<void> {
    if (!bench) return;
    await bench.api.workspace.removeItem(id);
    saved.value = saved.value.filter((s) => s.id !== id);
  }

  function savedOf(kind: SavedItemKind): SavedItem[] {
    return saved.value.filter((s) => s.kind === kind);
  }

  /** Notes a file the user opened (fire and forget: a failure only loses the note). */
  function noteRecent(kind: RecentFileKind, path: string): void {
    void bench?.api.workspace.addRecent({ kind, path }).then(
      (list) => (recent.value = list),
      () => undefined,
    );
  }

  function recentOf(kind: RecentFileKind): RecentFile[] {
    return recent.value.filter((r) => r.kind === kind);
  }

  return { views, saved, recent, file, recovered, saveError, load, viewState, saveView, persist, saveItem, removeItem, savedOf, noteRecent, recentOf };
});
