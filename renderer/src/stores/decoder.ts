import type { DecodedMessage, DecodeInput, FileSource, KeyMatchReport, KeySource, SavedItem } from '@api/index';
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { BenchClient } from '../api/client';
import { useBusy } from '../composables/busy';
import { utf8ToBase64 } from '../utils/bytes';
import { fileLabel, keyLabel, keptKeys, keySourcesOf } from '../utils/key-ring';
import type { DecoderHandoff } from './handoff';
import { useWorkspaceStore } from './workspace';

export { fileLabel } from '../utils/key-ring';

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

/** Pasted text longer than this is not kept across reloads (the workspace keeps small states). */
const MAX_KEPT_TEXT = 200_000;

/**
 * The Decoder view: what to decode, the keys to try, and the last result. It decodes again by
 * itself when the keys change; what it holds (the input, a file by path, the message shown, the
 * keytab and ccache files of the ring) survives a reload; key rings can be saved by name.
 */
export const useDecoderStore = defineStore('decoder', () => {
  const workspace = useWorkspaceStore();
  const text = ref('');
  /** A file to decode instead of the text. */
  const file = ref<FileSource | null>(null);
  const keys = ref<DecoderKey[]>([]);
  const revealSecrets = ref(false);
  /** The message a MIC token protects (text): a MIC does not carry it, and is verified with it. */
  const micMessage = ref('');
  /** Where the input came from when another view sent it: "Broker Exchange (broker's view) · step 1 (CONNECT)". */
  const origin = ref<string | null>(null);
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
    keys.value = [...keys.value, { id: nextId++, key, label: keyLabel(key), kind: key.kind }];
    if ((key.kind === 'keytab' || key.kind === 'ccache') && 'path' in key.source) workspace.noteRecent(key.kind, key.source.path);
  }

  function removeKey(id: number): void {
    keys.value = keys.value.filter((k) => k.id !== id);
  }

  function replaceKeys(next: readonly KeySource[]): void {
    keys.value = next.map((key) => ({ id: nextId++, key, label: keyLabel(key), kind: key.kind }));
  }

  /** Set while a decode runs and the keys or the secrets setting changed: decode once more after it. */
  let again = false;
  /** Which keys the last decode used (their ids): a change of the ring decodes again. */
  const keySignature = computed(() => keys.value.map((k) => k.id).join(','));
  let decodedWith: string | null = null;

  /** One input decodes alone; several decode in order as one session (keys learned early open later ones). */
  async function decode(bench: BenchClient): Promise<void> {
    const what = inputs.value;
    if (!what.length) return;
    if (busy.value) return void (again = true);
    decodedWith = keySignature.value;
    const keySources = keys.value.map((k) => k.key);
    const decoded = await run('decode', async () =>
      what.length === 1
        ? [await bench.api.decoder.decode(what[0]!, keySources, revealSecrets.value, micMessage.value ? { micMessage: utf8ToBase64(micMessage.value) } : undefined)]
        : (await bench.api.decoder.decodeSession(what, keySources, revealSecrets.value)).messages,
    );
    results.value = decoded ?? [];
    if (selected.value >= results.value.length) selected.value = 0;
    if (again) {
      again = false;
      await decode(bench);
    }
  }

  /** The key ring changed (a key added or removed): decode the input again with it, if there is one. */
  function keysChanged(bench: BenchClient): void {
    if (inputs.value.length && keySignature.value !== decodedWith) void decode(bench);
  }

  /** explainKey for each keytab in the keys panel (the engine takes one keytab per call). */
  async function explain(bench: BenchClient): Promise<void> {
    const what = input.value;
    if (!what || busy.value || keytabs.value.length === 0) return;
    // A password in the keys panel lets the explanation name the salt an AES entry was made with.
    const password = keys.value.map((k) => k.key).find((k): k is Extract<KeySource, { kind: 'password' }> => k.kind === 'password');
    const salts = password ? { password: password.password } : undefined;
    await run('explain', async () => {
      explained.value = await Promise.all(
        keytabs.value.map(async (k): Promise<ExplainResult> => {
          try {
            return { keytab: fileLabel(k.key.source), reports: await bench.api.decoder.explainKey(what, k.key.source, salts) };
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
    origin.value = null;
  }

  /** A file to decode; a path is noted among the recent Decoder files. */
  function openFile(source: FileSource): void {
    file.value = source;
    origin.value = null;
    if ('path' in source) workspace.noteRecent('decoder', source.path);
  }

  /** Work another view sent ("Open in Decoder"): its token and the keys that side holds, decoded at once. */
  async function receive(bench: BenchClient, sent: DecoderHandoff): Promise<void> {
    clearInput();
    if (sent.file) openFile(sent.file);
    else text.value = sent.text ?? '';
    replaceKeys(sent.keys);
    origin.value = sent.keys.length ? sent.label : `${sent.label}, which recorded no key files`;
    await decode(bench);
  }

  // ---- saved key rings: keytab and ccache files by path, never passwords or raw keys ---------------
  const savedRings = computed<SavedItem[]>(() => workspace.savedOf('decoder-keyring'));
  /** How many keys of the ring a save would leave out (passwords, raw keys, files picked as bytes). */
  const unsavable = computed(() => keptKeys(keys.value.map((k) => k.key)).left);

  async function saveRing(name: string): Promise<SavedItem | null> {
    const { kept, left } = keptKeys(keys.value.map((k) => k.key));
    return workspace.saveItem('decoder-keyring', name, { keys: kept.map((k) => ({ ...k })), leftOut: left });
  }

  function loadRing(item: SavedItem): void {
    const value = item.value as { keys?: unknown } | null;
    replaceKeys(keySourcesOf(value?.keys));
  }

  // ---- what survives a reload -----------------------------------------------------------------------
  workspace.persist(
    'decoder',
    () => ({
      text: text.value.length <= MAX_KEPT_TEXT ? text.value : '',
      file: file.value && 'path' in file.value ? file.value.path : null,
      selected: selected.value,
      keys: keptKeys(keys.value.map((k) => k.key)).kept.map((k) => ({ ...k })),
      origin: origin.value,
    }),
    (saved) => {
      text.value = typeof saved.text === 'string' ? saved.text : '';
      file.value = typeof saved.file === 'string' && saved.file ? { path: saved.file } : null;
      selected.value = typeof saved.selected === 'number' ? saved.selected : 0;
      origin.value = typeof saved.origin === 'string' ? saved.origin : null;
      replaceKeys(keySourcesOf(saved.keys));
    },
  );

  return {
    text,
    file,
    keys,
    revealSecrets,
    micMessage,
    origin,
    results,
    selected,
    result,
    explained,
    busy,
    error,
    keytabs,
    input,
    inputs,
    savedRings,
    unsavable,
    addKey,
    removeKey,
    replaceKeys,
    decode,
    explain,
    clearInput,
    openFile,
    receive,
    saveRing,
    loadRing,
    keySignature,
    keysChanged,
  };
});
