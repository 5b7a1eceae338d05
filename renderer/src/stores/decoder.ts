import type { DecodedMessage, DecodeInput, FileSource, KeyMatchReport, KeySource } from '@api/index';
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { BenchClient } from '../api/client';
import { useBusy } from '../composables/busy';
import { utf8ToBase64 } from '../utils/bytes';

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
  /** The message a MIC token protects (text): a MIC does not carry it, and is verified with it. */
  const micMessage = ref('');
  // shallowRef: a decoded tree can hold 100,000 nodes; deep reactivity would proxy every one.
  /** Every message decoded (several pastes, separated by blank lines, are one session), and the one shown. */
  const results = shallowRef<DecodedMessage[]>([]);
  const selected = ref(0);
  const result = computed<DecodedMessage | null>(() => results.value[selected.value] ?? results.value[0] ?? null);
  const explained = ref<ExplainResult[] | null>(null);
  const { busy, error, run } = useBusy<'decode' | 'explain'>();
  let nextId = 1;

  const keytabs = computed(() => keys.value.filter((k): k is DecoderKey & { key: { kind: 'keytab'; source: FileSource } } => k.key.kind === 'keytab'));
  /** The pasted messages: separated by blank lines (a token wrapped over several lines stays one). */
  const pastes = computed(() =>
    text.value
      .split(/\n\s*\n/)
      .map((part) => part.trim())
      .filter(Boolean),
  );
  const inputs = computed<DecodeInput[]>(() => (file.value ? [{ file: file.value }] : pastes.value.map((part) => ({ text: part }))));
  /** What Explain keys reads: the file, the one paste, or the message shown. */
  const input = computed<DecodeInput | null>(() => inputs.value[inputs.value.length > 1 ? Math.min(selected.value, inputs.value.length - 1) : 0] ?? null);

  function addKey(key: KeySource): void {
    const label =
      key.kind === 'keytab' ? `keytab ${fileLabel(key.source)}`
      : key.kind === 'password' ? `password for ${key.principal ?? 'the client the input names'}${key.salt ? ` (salt ${key.salt})` : ''}`
      : `raw key ${key.key.split(':')[0]}`;
    keys.value = [...keys.value, { id: nextId++, key, label, kind: key.kind }];
  }

  function removeKey(id: number): void {
    keys.value = keys.value.filter((k) => k.id !== id);
  }

  /** One input decodes alone; several decode in order as one session (keys learned early open later ones). */
  async function decode(bench: BenchClient): Promise<void> {
    const what = inputs.value;
    if (!what.length || busy.value) return;
    const keySources = keys.value.map((k) => k.key);
    const decoded = await run('decode', async () =>
      what.length === 1
        ? [await bench.api.decoder.decode(what[0]!, keySources, revealSecrets.value, micMessage.value ? { micMessage: utf8ToBase64(micMessage.value) } : undefined)]
        : (await bench.api.decoder.decodeSession(what, keySources, revealSecrets.value)).messages,
    );
    results.value = decoded ?? [];
    if (selected.value >= results.value.length) selected.value = 0;
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
    results.value = [];
    selected.value = 0;
    explained.value = null;
    error.value = null;
  }

  return { text, file, keys, revealSecrets, micMessage, results, selected, result, explained, busy, error, keytabs, input, inputs, addKey, removeKey, decode, explain, clearInput };
});
