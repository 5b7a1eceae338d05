import type { CcacheDocument, FileSource } from '@api/index';
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { BenchClient } from '../api/client';

/** The credential cache open in the Credential cache view. */
export const useCcacheStore = defineStore('ccache', () => {
  // shallowRef: the tree stays a plain object (no deep reactive proxies).
  const doc = shallowRef<CcacheDocument | null>(null);
  const source = ref<FileSource | null>(null);
  const busy = ref(false);
  const error = ref<string | null>(null);
  /** When the document was read: "expired" is judged against this and the clock. */
  const readAt = ref<number>(0);

  async function open(bench: BenchClient, from: FileSource): Promise<boolean> {
    busy.value = true;
    error.value = null;
    try {
      doc.value = await bench.api.ccache.read(from);
      source.value = from;
      readAt.value = Date.now();
      return true;
    } catch (e) {
      error.value = (e as Error).message;
      return false;
    } finally {
      busy.value = false;
    }
  }

  async function reload(bench: BenchClient): Promise<void> {
    if (source.value) await open(bench, source.value);
  }

  function close(): void {
    doc.value = null;
    source.value = null;
    error.value = null;
  }

  return { doc, source, busy, error, readAt, open, reload, close };
});
