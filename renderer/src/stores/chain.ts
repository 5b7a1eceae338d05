import type { AzureAuthenticationMethod, ChainDocument, ChainMethodKind, ChainProblem, ChainTestInput, ChainTestResult } from '@api/index';
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { BenchClient } from '../api/client';
import { useBusy } from '../composables/busy';
import { useWorkspaceStore } from './workspace';

/** How the "Try a connection" panel authenticates. */
export type ChainTryMode = 'password' | 'kerberos';

export interface ChainTryForm {
  mode: ChainTryMode;
  /** The listener whose chain runs; '' = the first. */
  listener: string;
  username: string;
  /** Never persisted: secrets stay out of the workspace file. */
  password: string;
  certFile: string;
  keyFile: string;
}

export const METHOD_KINDS: ChainMethodKind[] = ['custom', 'sat', 'usernamePassword', 'x509', 'kerberos'];

/** The one key of an Azure method entry: `{ sat: {...} }` → 'sat'. */
export function methodKind(method: AzureAuthenticationMethod): ChainMethodKind {
  return Object.keys(method)[0] as ChainMethodKind;
}

/** A new method entry with the fields Azure requires, empty. */
export function newMethod(kind: ChainMethodKind): AzureAuthenticationMethod {
  switch (kind) {
    case 'custom':
      return { custom: { endpoint: 'https://' } };
    case 'sat':
      return { sat: { audiences: [] } };
    case 'usernamePassword':
      return { usernamePassword: { secretName: 'credentials' } };
    case 'x509':
      return { x509: { trustedClientCaCert: 'client-ca' } };
    case 'kerberos':
      return { kerberos: {} };
  }
}

/**
 * The chain editor in the Broker view: the YAML file on the engine's machine (BrokerAuthentication
 * + BrokerListener), as loaded and edited, its problems, and the last "Try a connection". The path,
 * the edited document and the try form (without the password) survive a reload.
 */
export const useChainStore = defineStore('chain', () => {
  /** The chain section of the Broker view is open. */
  const shown = ref(false);
  const path = ref('');
  const document = ref<ChainDocument | null>(null);
  const problems = shallowRef<ChainProblem[]>([]);
  /** The document differs from the file (edited since the last load or save). */
  const dirty = ref(false);
  const tryForm = ref<ChainTryForm>({ mode: 'password', listener: '', username: '', password: '', certFile: '', keyFile: '' });
  const result = shallowRef<ChainTestResult | null>(null);
  const { busy, error, run } = useBusy<'load' | 'save' | 'test'>();

  useWorkspaceStore().persist(
    'chain',
    () => ({ shown: shown.value, path: path.value, document: document.value, dirty: dirty.value, tryForm: { ...tryForm.value, password: '' } }),
    (saved) => {
      shown.value = saved.shown ?? false;
      path.value = saved.path ?? '';
      document.value = saved.document ?? null;
      dirty.value = saved.dirty ?? false;
      tryForm.value = { ...tryForm.value, ...saved.tryForm, password: '' };
    },
  );

  const listenerNames = computed(() => document.value?.listeners.map((l) => l.name) ?? []);

  async function open(bench: BenchClient, file = path.value.trim()): Promise<void> {
    if (!file) return void (error.value = 'Give the path of a YAML file on the machine the bench runs on.');
    path.value = file;
    await run('load', async () => {
      const loaded = await bench.api.chain.load(file);
      problems.value = loaded.problems;
      result.value = null;
      // A file with problems is not usable, but what could be read is still shown to fix it.
      document.value = loaded.document ?? null;
      dirty.value = false;
    });
  }

  async function save(bench: BenchClient): Promise<boolean> {
    const doc = document.value;
    if (!doc) return false;
    const saved = await run('save', async () => {
      const answer = await bench.api.chain.save(JSON.parse(JSON.stringify(doc)) as ChainDocument);
      problems.value = answer.problems;
      if (answer.problems.length) return false;
      if (answer.document) document.value = answer.document;
      dirty.value = false;
      return true;
    });
    return saved === true;
  }

  function testInput(): ChainTestInput {
    const f = tryForm.value;
    const input: ChainTestInput = { file: document.value?.file ?? path.value };
    if (f.listener) input.listener = f.listener;
    if (f.mode === 'kerberos') return { ...input, method: 'GSSAPI-KERBEROS' };
    if (f.username) input.username = f.username;
    if (f.password) input.password = f.password;
    if (f.certFile.trim()) input.certFile = f.certFile.trim();
    if (f.keyFile.trim()) input.keyFile = f.keyFile.trim();
    return input;
  }

  /** Runs one connection through the chain as it is on disk (saving the edits first). */
  async function test(bench: BenchClient): Promise<void> {
    if (dirty.value && !(await save(bench))) return;
    await run('test', async () => {
      result.value = null;
      result.value = await bench.api.chain.test(testInput());
    });
  }

  function methodsOf(auth: number): AzureAuthenticationMethod[] {
    return document.value?.authentications[auth]?.authenticationMethods ?? [];
  }

  /** Moves a method within its chain (drag and drop, Alt+↑/↓, the arrow buttons). */
  function move(auth: number, from: number, to: number): void {
    const methods = methodsOf(auth);
    if (from === to || from < 0 || to < 0 || from >= methods.length || to >= methods.length) return;
    const [moved] = methods.splice(from, 1);
    methods.splice(to, 0, moved!);
    dirty.value = true;
  }

  function add(auth: number, kind: ChainMethodKind): void {
    methodsOf(auth).push(newMethod(kind));
    dirty.value = true;
  }

  function remove(auth: number, index: number): void {
    methodsOf(auth).splice(index, 1);
    dirty.value = true;
  }

  return { shown, path, document, problems, dirty, tryForm, result, busy, error, listenerNames, open, save, test, move, add, remove };
});
