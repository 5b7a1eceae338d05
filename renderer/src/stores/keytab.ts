import type { FileSource, KeytabCheckReport, KeytabDocument, KeytabSaltChoice, NewKeytabEntries, NotAKeytabDetails } from '@api/index';
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import { BenchCallError, type BenchClient } from '../api/client';
import { useBusy } from '../composables/busy';
import { useWorkspaceStore } from './workspace';

/**
 * The keytab open in the Keytab view. Edits (add, remove) happen in the engine on the bytes the
 * view shows and are not written anywhere until the user saves: after an edit the current
 * document travels as `{ base64, name }`. The workspace keeps the path of the file (not its keys,
 * nor whether they were revealed) and whether the bytes were shown; keytabs opened by path are
 * noted as recent files.
 */
export const useKeytabStore = defineStore('keytab', () => {
  const workspace = useWorkspaceStore();
  // shallowRef: a document's tree can hold 100,000 nodes; deep reactivity would proxy every one.
  const doc = shallowRef<KeytabDocument | null>(null);
  /** What the engine reads for the next call: the opened file, or the edited bytes. */
  const source = ref<FileSource | null>(null);
  /** A path on the engine machine the bytes came from or were last saved to. */
  const enginePath = ref<string | null>(null);
  const modified = ref(false);
  const revealed = ref(false);
  const { busy, error, run: runBusy } = useBusy<string>();
  const notice = ref<string | null>(null);
  const check = ref<(KeytabCheckReport & { salt?: string }) | null>(null);
  /** A save the engine refused because the file there is not a keytab: the user decides. */
  const confirmReplace = ref<{ path: string; message: string } | null>(null);
  /** The bytes panel is open. */
  const showBytes = ref(false);
  /** The path to open again after a reload or a restart. */
  const savedPath = ref<string | null>(null);

  workspace.persist(
    'keytab',
    () => ({ path: enginePath.value ?? savedPath.value, showBytes: showBytes.value }),
    (saved: { path?: string | null; showBytes?: boolean }) => {
      savedPath.value = typeof saved.path === 'string' ? saved.path : null;
      showBytes.value = saved.showBytes === true;
    },
  );

  function run<T>(what: string, call: () => Promise<T>): Promise<T | undefined> {
    notice.value = null;
    return runBusy(what, call);
  }

  function show(next: KeytabDocument, nextSource: FileSource, isModified: boolean): void {
    doc.value = next;
    source.value = nextSource;
    modified.value = isModified;
    check.value = null;
  }

  /** Opens are numbered: a late answer (a reload's reopen) never replaces a file opened since. */
  let opens = 0;
  async function open(bench: BenchClient, from: FileSource): Promise<boolean> {
    const mine = ++opens;
    const next = await run('Opening…', () => bench.api.keytab.read(from, revealed.value));
    if (!next || mine !== opens) return false;
    show(next, from, false);
    enginePath.value = 'path' in from ? next.name : null;
    // Bytes picked in the browser are not kept: after a reload the view starts empty.
    savedPath.value = enginePath.value;
    if ('path' in from) workspace.noteRecent('keytab', next.name);
    return true;
  }

  async function reload(bench: BenchClient): Promise<void> {
    if (source.value) await open(bench, source.value);
  }

  async function setRevealed(bench: BenchClient, on: boolean): Promise<void> {
    if (!doc.value || !source.value) {
      revealed.value = on;
      return;
    }
    const current = source.value;
    const next = await run(on ? 'Revealing keys…' : 'Hiding keys…', () => bench.api.keytab.read(current, on));
    if (!next) return;
    revealed.value = on;
    // Re-reading keeps the check results: the entries did not change.
    const kept = check.value;
    show(next, current, modified.value);
    check.value = kept;
  }

  /** Adds entries to the open keytab, or to a new empty one when `fresh`. */
  async function add(bench: BenchClient, entries: NewKeytabEntries, fresh: boolean): Promise<boolean> {
    const base = fresh ? null : source.value;
    const before = fresh ? 0 : (doc.value?.entries.length ?? 0);
    const next = await run('Adding…', () => bench.api.keytab.add(base, entries, revealed.value));
    if (!next) return false;
    show(next, { base64: next.base64, name: next.name }, true);
    if (fresh) enginePath.value = savedPath.value = null;
    const n = next.entries.length - before + next.replaced;
    notice.value = `Added ${n} entr${n === 1 ? 'y' : 'ies'} for ${entries.principal} kvno ${entries.kvno} — not saved yet.`;
    return true;
  }

  async function remove(bench: BenchClient, indexes: number[]): Promise<boolean> {
    if (!source.value) return false;
    const current = source.value;
    const next = await run('Removing…', () => bench.api.keytab.remove(current, indexes, revealed.value));
    if (!next) return false;
    show(next, { base64: next.base64, name: next.name }, true);
    notice.value = `Removed ${indexes.length} entr${indexes.length === 1 ? 'y' : 'ies'} — not saved yet.`;
    return true;
  }

  /** `salt`: a salt string, or an AD salt choice (the engine then also names the salt each key was made with). */
  async function checkPassword(bench: BenchClient, password: string, salt?: string | KeytabSaltChoice): Promise<void> {
    if (!source.value) return;
    const current = source.value;
    // No salt → no third argument at all (undefined would travel as null over JSON).
    const report = await run('Checking…', () => (salt ? bench.api.keytab.check(current, password, salt) : bench.api.keytab.check(current, password)));
    const shown = typeof salt === 'string' ? salt : salt?.account ? `AD ${salt.saltType === 'ad-computer' ? 'computer' : 'account'} ${salt.account}` : undefined;
    if (report) check.value = { ...report, ...(shown ? { salt: shown } : {}) };
  }

  /** Saves the document to `path`; `replace` only after the user confirmed replacing a file that is not a keytab. */
  async function saveTo(bench: BenchClient, path: string, replace = false): Promise<boolean> {
    const current = doc.value;
    if (!current) return false;
    confirmReplace.value = null;
    const saved = await run('Saving…', async () => {
      try {
        return await bench.api.keytab.save(path, current.base64, replace ? { replace: true } : undefined);
      } catch (error) {
        const details = error instanceof BenchCallError ? (error.details as Partial<NotAKeytabDetails> | undefined) : undefined;
        if (details?.reason !== 'not-a-keytab' || !details.path) throw error;
        confirmReplace.value = { path: details.path, message: (error as Error).message };
        return undefined;
      }
    });
    if (!saved) return false;
    enginePath.value = saved.path;
    savedPath.value = saved.path;
    workspace.noteRecent('keytab', saved.path);
    modified.value = false;
    source.value = { path: saved.path };
    doc.value = { ...current, name: saved.path };
    notice.value = `Saved ${saved.bytes} bytes to ${saved.path} (readable by you only).`;
    return true;
  }

  function close(): void {
    doc.value = null;
    source.value = null;
    enginePath.value = null;
    savedPath.value = null;
    modified.value = false;
    check.value = null;
    error.value = null;
    notice.value = null;
    confirmReplace.value = null;
  }

  return {
    doc,
    source,
    enginePath,
    savedPath,
    modified,
    revealed,
    showBytes,
    busy,
    error,
    notice,
    check,
    confirmReplace,
    open,
    reload,
    setRevealed,
    add,
    remove,
    checkPassword,
    saveTo,
    close,
  };
});
