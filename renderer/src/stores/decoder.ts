import type { DecodeInput, DecodeReport, FileSource, KeyMatchReport, KeySource } from '@api/index';
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { BenchClient } from '../api/client';
import { useBusy } from '../composables/busy';

export interface DecoderKey {
  id: number;
  key: KeySource;
  /** What the keys panel shows (no secrets). */
  label: string;
  kind: KeySource['kind'];
}

export interface ExplainResult {
  keytab: string;
  reports?: KeyMatchReport[];
  error?: string;
}

export function fileLabel(source: FileSource): string {
  return 'path' in source ? source.path : source.name;
}

/** The Decoder view: what to decode, the keys to try, and the last result. */
export const useDecoderStore = defineStore('decoder', () => {
  const text = ref('');
  /** A file to decode instead of the text. */
  const file = ref<FileSource | null>(null);
  const keys = ref<DecoderKey[]>([]);
  const revealSecrets = ref(false);
  // shallowRef: a decoded tree can hold 100,000 nodes; deep reactivity would proxy every one.
  const result = shallowRef<(DecodeReport & { base64: string }) | null>(null);
  const explained = ref<ExplainResult[] | null>(null);
  const { busy, error, run } = useBusy<'decode' | 'explain'>();
  let nextId = 1;

  const keytabs = computed(() => keys.value.filter((k): k is DecoderKey & { key: { kind: 'keytab'; source: FileSource } } => k.key.kind === 'keytab'));
  const input = computed<DecodeInput | null>(() => (file.value ? { file: file.value } : text.value.trim() ? { text: text.value } : null));

  function addKey(key: KeySource): void {
    const label =
      key.kind === 'keytab' ? `keytab ${fileLabel(key.source)}`
      : key.kind === 'password' ? `password for ${key.principal}${key.salt ? ` (salt ${key.salt})` : ''}`
      : `raw key ${key.key.split(':')[0]}`;
    keys.value = [...keys.value, { id: nextId++, key, label, kind: key.kind }];
  }

  function removeKey(id: number): void {
    keys.value = keys.value.filter((k) => k.id !== id);
  }

  async function decode(bench: BenchClient): Promise<void> {
    const what = input.value;
    if (!what || busy.value) return;
    const decoded = await run('decode', () =>
      bench.api.decoder.decode(
        what,
        keys.value.map((k) => k.key),
        revealSecrets.value,
      ),
    );
    result.value = decoded ?? null;
  }

  /** explainKey for each keytab in the keys panel (the engine takes one keytab per call). */
  async function explain(bench: BenchClient): Promise<void> {
    const what = input.value;
    if (!what || busy.value || keytabs.value.length === 0) return;
    await run('explain', async () => {
      explained.value = await Promise.all(
        keytabs.value.map(async (k): Promise<ExplainResult> => {
          try {
            return { keytab: fileLabel(k.key.source), reports: await bench.api.decoder.explainKey(what, k.key.source) };
          } catch (e) {
            return { keytab: fileLabel(k.key.source), error: (e as Error).message };
          }
        }),
      );
    });
  }

  function clearInput(): void {
    text.value = '';
    file.value = null;
    result.value = null;
    explained.value = null;
    error.value = null;
  }

  return { text, file, keys, revealSecrets, result, explained, busy, error, keytabs, input, addKey, removeKey, decode, explain, clearInput };
});
