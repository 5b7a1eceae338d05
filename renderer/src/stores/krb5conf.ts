import type { FileSource, Krb5ConfDocument } from '@api/index';
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { BenchClient } from '../api/client';
import { useBusy } from '../composables/busy';
import { useWorkspaceStore } from './workspace';

/**
 * The krb5.conf open in the krb5.conf view: the parsed document, the line the user picked (value
 * ↔ line, as Wireshark links a field to its bytes). A file opened by path is kept in the
 * workspace, with the picked line, so a reload or a restart shows it again.
 */
export const useKrb5ConfStore = defineStore('krb5conf', () => {
  const workspace = useWorkspaceStore();
  const doc = shallowRef<Krb5ConfDocument | null>(null);
  const source = ref<FileSource | null>(null);
  /** The path to open again after a reload (bytes picked in the browser are not kept). */
  const savedPath = ref<string | null>(null);
  /** The line picked in the listing or through a value, 1-based. */
  const line = ref<number | null>(null);
  const { busy, error, run } = useBusy<string>();

  workspace.persist(
    'krb5conf',
    () => ({ path: source.value && 'path' in source.value ? source.value.path : savedPath.value, line: line.value }),
    (saved: { path?: string | null; line?: number | null }) => {
      savedPath.value = typeof saved.path === 'string' ? saved.path : null;
      line.value = typeof saved.line === 'number' ? saved.line : null;
    },
  );

  /** Opens are numbered: a late answer (a reload's reopen) never replaces a file opened since. */
  let opens = 0;
  async function open(bench: BenchClient, from: FileSource, keepLine = false): Promise<boolean> {
    const mine = ++opens;
    const next = await run('Reading…', () => bench.api.profile.read(from));
    if (!next || mine !== opens) return false;
    doc.value = next;
    source.value = from;
    if (!keepLine || (line.value !== null && line.value > next.lineCount)) line.value = null;
    if ('path' in from) {
      savedPath.value = from.path;
      workspace.noteRecent('krb5.conf', from.path);
    }
    return true;
  }

  async function reload(bench: BenchClient): Promise<void> {
    if (source.value) await open(bench, source.value, true);
  }

  function pick(next: number | null): void {
    line.value = next;
  }

  function close(): void {
    doc.value = null;
    source.value = null;
    savedPath.value = null;
    line.value = null;
    error.value = null;
  }

  return { doc, source, savedPath, line, busy, error, open, reload, pick, close };
});
