import type { Exchange, FileSource, SaslLayerName, SaslRunOptions, SaslRunView } from '@api/index';
import type { LabStatus } from '@api/lab';
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { BenchClient } from '../api/client';
import { useWorkspaceStore } from './workspace';

export type SaslRole = 'client' | 'server';

/** Transcripts up to this many characters are kept in the workspace. */
const MAX_KEPT_TRANSCRIPT = 200_000;
export type SaslBusy = 'start' | 'step' | 'finish' | 'send' | 'close' | 'decode';

export interface SaslForm {
  service: string;
  profile: SaslRunOptions['profile'];
  offer: SaslRunOptions['offer'];
  layer: SaslLayerName;
  authzid: string;
}

/** What the last action did to each side's Exchange, in words for the notice line. */
export interface SaslStepNote {
  action: 'step' | 'finish' | 'send';
  did: string;
  client: number;
  server: number;
}

/**
 * The SASL view: the run form, the run being stepped (both sides' Exchanges come back with every
 * call), whose Exchange is shown, and the "Decode a transcript" panel's input and result.
 */
export const useSaslStore = defineStore('sasl', () => {
  const tab = ref<'run' | 'transcript'>('run');
  const form = ref<SaslForm>({ service: 'mqtt@localhost', profile: 'lab', offer: 'cyrus', layer: 'integrity', authzid: '' });
  // shallowRef: every call returns a new view; decoded trees are large and never edited here.
  const run = shallowRef<SaslRunView | null>(null);
  /** Whose Exchange is shown: the server's decrypts everything (service keytab). */
  const role = ref<SaslRole>('server');
  const selected = ref<number | null>(null);
  const busy = ref<SaslBusy | null>(null);
  const error = ref<string | null>(null);
  const note = ref<SaslStepNote | null>(null);
  const lab = shallowRef<LabStatus | null>(null);

  const transcriptText = ref('');
  const transcriptKeytab = ref<FileSource | null>(null);
  const transcript = shallowRef<Exchange | null>(null);
  const transcriptSelected = ref<number | null>(null);
  const transcriptError = ref<string | null>(null);

  // The form and the transcript panel survive a reload and a restart (a run lives in the engine
  // and ends with it; its Exchanges stay in History). A huge transcript is not kept.
  useWorkspaceStore().persist(
    'sasl',
    () => ({
      tab: tab.value,
      form: { ...form.value },
      role: role.value,
      transcriptText: transcriptText.value.length <= MAX_KEPT_TRANSCRIPT ? transcriptText.value : '',
      transcriptKeytab: transcriptKeytab.value && 'path' in transcriptKeytab.value ? transcriptKeytab.value.path : null,
    }),
    (saved) => {
      tab.value = saved.tab === 'transcript' ? 'transcript' : 'run';
      form.value = { ...form.value, ...saved.form };
      role.value = saved.role === 'client' ? 'client' : 'server';
      transcriptText.value = saved.transcriptText;
      transcriptKeytab.value = saved.transcriptKeytab ? { path: saved.transcriptKeytab } : null;
    },
  );

  const shown = computed<Exchange | null>(() => (run.value ? run.value[role.value] : null));
  const active = computed(() => run.value !== null && (run.value.state === 'ready' || run.value.state === 'running'));
  const established = computed(() => run.value?.state === 'established');

  async function call<T>(what: SaslBusy, action: () => Promise<T>, onError: (message: string) => void = (m) => (error.value = m)): Promise<T | undefined> {
    if (busy.value) return undefined;
    busy.value = what;
    try {
      return await action();
    } catch (e) {
      onError((e as Error).message);
      return undefined;
    } finally {
      busy.value = null;
    }
  }

  /** The lab realm's state, for the "bring the lab up first" hint; quiet when it cannot be read. */
  async function loadLab(bench: BenchClient): Promise<void> {
    try {
      lab.value = await bench.api.lab.status();
    } catch {
      lab.value = null;
    }
  }

  /** Applies a new view and notes how many steps each side gained. */
  function apply(next: SaslRunView, action: SaslStepNote['action'], did: string): void {
    const before = run.value;
    const client = next.client.steps.length - (before?.client.steps.length ?? 0);
    const server = next.server.steps.length - (before?.server.steps.length ?? 0);
    run.value = next;
    note.value = { action, did, client, server };
  }

  async function start(bench: BenchClient): Promise<void> {
    error.value = null;
    const f = form.value;
    const options: SaslRunOptions = {
      service: f.service.trim(),
      profile: f.profile,
      offer: f.offer,
      layer: f.layer,
      ...(f.authzid.trim() ? { authzid: f.authzid.trim() } : {}),
    };
    const previous = run.value;
    const view = await call('start', () => bench.api.sasl.start(options));
    if (!view) return;
    // The engine keeps a bounded number of runs; let it drop the old one now.
    if (previous) void bench.api.sasl.close(previous.id).catch(() => undefined);
    run.value = view;
    selected.value = null;
    note.value = null;
  }

  async function step(bench: BenchClient): Promise<void> {
    const current = run.value;
    if (!current || !active.value) return;
    error.value = null;
    const did = current.next ?? 'step';
    const view = await call('step', () => bench.api.sasl.step(current.id));
    if (view) apply(view, 'step', did);
  }

  async function finish(bench: BenchClient): Promise<void> {
    const current = run.value;
    if (!current || !active.value) return;
    error.value = null;
    const view = await call('finish', () => bench.api.sasl.finish(current.id));
    if (view) apply(view, 'finish', 'ran to the end');
  }

  async function send(bench: BenchClient, from: SaslRole, text: string): Promise<boolean> {
    const current = run.value;
    if (!current || !established.value) return false;
    error.value = null;
    const view = await call('send', () => bench.api.sasl.send(current.id, from, text));
    if (!view) return false;
    apply(view, 'send', `the ${from} sent "${text}"`);
    return true;
  }

  /** Closes the run in the engine and goes back to the form. */
  async function close(bench: BenchClient): Promise<void> {
    const current = run.value;
    if (!current) return;
    error.value = null;
    await call('close', () => bench.api.sasl.close(current.id));
    run.value = null;
    selected.value = null;
    note.value = null;
  }

  async function decode(bench: BenchClient): Promise<void> {
    const keytab = transcriptKeytab.value;
    if (!transcriptText.value.trim()) return void (transcriptError.value = 'Paste the "C:"/"S:" lines of a SASL conversation first.');
    if (!keytab) return void (transcriptError.value = 'Choose the service keytab: without it the AP-REQ and everything after it stay encrypted.');
    transcriptError.value = null;
    const exchange = await call('decode', () => bench.api.sasl.decodeTranscript(transcriptText.value, keytab), (m) => (transcriptError.value = m));
    if (exchange) {
      transcript.value = exchange;
      transcriptSelected.value = null;
    }
  }

  return {
    tab,
    form,
    run,
    role,
    selected,
    busy,
    error,
    note,
    lab,
    transcriptText,
    transcriptKeytab,
    transcript,
    transcriptSelected,
    transcriptError,
    shown,
    active,
    established,
    loadLab,
    start,
    step,
    finish,
    send,
    close,
    decode,
  };
});
