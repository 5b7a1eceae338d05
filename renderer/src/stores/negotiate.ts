import type { GssRuntime, NegotiateProbeOptions, NegotiateProbeView, SpnPredictionReport } from '@api/index';
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { BenchClient } from '../api/client';
import { useBusy } from '../composables/busy';
import { useWorkspaceStore } from './workspace';

export type NegotiateBusy = 'start' | 'next' | 'close';

export interface NegotiateForm {
  url: string;
  profile: 'lab' | 'system' | 'custom';
  /** profile 'custom': paths on the engine's machine (empty: MIT's default for that file). */
  krb5Config: string;
  ccache: string;
  clientKeytab: string;
  /** Basic credentials to fall back to when the server offers Basic (empty user: none). */
  basicUser: string;
  engine: GssRuntime;
  /** Empty: HTTP/<host> as MIT builds it. */
  spn: string;
  mech: 'spnego' | 'krb5';
  step: boolean;
}

/** How long after the last keystroke the SPN predictions are asked for. */
const PREDICT_DELAY_MS = 350;

/** The URL is an http(s) URL with a host: then it can be probed and its SPNs predicted. */
export function isHttpUrl(url: string): boolean {
  try {
    const parsed = new URL(url.trim());
    return (parsed.protocol === 'http:' || parsed.protocol === 'https:') && parsed.hostname !== '';
  } catch {
    return false;
  }
}

/** The custom profile's files as the service takes them: only those given. */
function customPaths(f: NegotiateForm): Pick<NegotiateProbeOptions, 'krb5Config' | 'ccache' | 'clientKeytab'> {
  return {
    ...(f.krb5Config.trim() ? { krb5Config: f.krb5Config.trim() } : {}),
    ...(f.ccache.trim() ? { ccache: f.ccache.trim() } : {}),
    ...(f.clientKeytab.trim() ? { clientKeytab: f.clientKeytab.trim() } : {}),
  };
}

const STATE_ORDER: Record<NegotiateProbeView['state'], number> = { running: 0, waiting: 0, done: 1, failed: 1, closed: 2 };
/** How far a run has got: a view from a call never replaces a newer one from an event. */
const progress = (view: NegotiateProbeView) => view.exchange.steps.length * 100 + view.hops.length * 10 + (view.pending ? 0 : 1) + STATE_ORDER[view.state] * 10_000;

/**
 * The Negotiate probe panel: the form, the SPN predictions for the URL (asked for as it is typed),
 * and the probe run — its NegotiateProbeView from every call and from `negotiate.update` events.
 */
export const useNegotiateStore = defineStore('http-negotiate', () => {
  const form = ref<NegotiateForm>({ url: '', profile: 'lab', krb5Config: '', ccache: '', clientKeytab: '', basicUser: '', engine: 'mit', spn: '', mech: 'spnego', step: true });
  /** Never persisted: typed for each run (the workspace keeps the user name only). */
  const basicPassword = ref('');
  const run = shallowRef<NegotiateProbeView | null>(null);
  const selectedStep = ref<number | null>(null);
  const prediction = shallowRef<SpnPredictionReport | null>(null);
  const predictionError = ref<string | null>(null);
  const predicting = ref(false);
  const { busy, error, run: runBusy } = useBusy<NegotiateBusy>();
  /** Updates for a run whose start call has not come back yet. */
  const early = new Map<string, NegotiateProbeView>();
  let subscribed = false;
  let savedRunId: string | null = null;
  let predictTimer: ReturnType<typeof setTimeout> | undefined;
  let predictSeq = 0;

  useWorkspaceStore().persist(
    'http-negotiate',
    () => ({ form: { ...form.value }, runId: run.value?.id ?? savedRunId, selectedStep: selectedStep.value }),
    (saved) => {
      form.value = { ...form.value, ...saved.form };
      savedRunId = saved.runId;
      selectedStep.value = saved.selectedStep;
    },
  );

  const active = computed(() => run.value?.state === 'running' || run.value?.state === 'waiting');
  const formProblem = computed(() => {
    const f = form.value;
    if (!f.url.trim()) return 'Give the URL to GET: http://localhost:9200/_security/_authenticate, for example.';
    if (!isHttpUrl(f.url)) return `"${f.url.trim()}" is not an http:// or https:// URL with a host.`;
    if (f.spn.trim() && !/^[^/@\s]+\/[^@\s]+(@[^@\s]+)?$/.test(f.spn.trim())) return 'The SPN is HTTP/host (or HTTP/host@REALM).';
    return null;
  });

  function apply(view: NegotiateProbeView, fromEvent: boolean): void {
    const current = run.value;
    if (!current || current.id !== view.id) return;
    if (!fromEvent && progress(view) < progress(current)) return;
    run.value = view;
    if (view.spn) prediction.value = view.spn;
  }

  function subscribe(bench: BenchClient): void {
    if (subscribed) return;
    subscribed = true;
    bench.on('negotiate.update', (view) => {
      if (run.value?.id === view.id) apply(view, true);
      else if (busy.value === 'start') {
        early.set(view.id, view);
        if (early.size > 20) early.delete(early.keys().next().value!);
      }
    });
  }

  function options(): NegotiateProbeOptions {
    const f = form.value;
    const custom = f.profile === 'custom' ? customPaths(f) : {};
    return {
      url: f.url.trim(),
      profile: f.profile,
      engine: f.engine,
      step: f.step,
      mech: f.mech,
      ...custom,
      ...(f.spn.trim() ? { spn: f.spn.trim() } : {}),
      ...(f.basicUser.trim() ? { basic: { user: f.basicUser.trim(), password: basicPassword.value } } : {}),
    };
  }

  /** Asks for the SPN predictions of the form's URL a moment after the last change. */
  function predictLater(bench: BenchClient): void {
    clearTimeout(predictTimer);
    if (!isHttpUrl(form.value.url)) {
      predictionError.value = null;
      return;
    }
    predictTimer = setTimeout(() => void predict(bench), PREDICT_DELAY_MS);
  }

  async function predict(bench: BenchClient): Promise<void> {
    const url = form.value.url.trim();
    if (!isHttpUrl(url)) return;
    const seq = ++predictSeq;
    predicting.value = true;
    try {
      const f = form.value;
      const custom = f.profile === 'custom' ? { ...(f.krb5Config.trim() ? { krb5Config: f.krb5Config.trim() } : {}), ...(f.ccache.trim() ? { ccache: f.ccache.trim() } : {}) } : {};
      const report = await bench.api.negotiate.predictSpn({ url, profile: f.profile, ...custom });
      if (seq === predictSeq) {
        prediction.value = report;
        predictionError.value = null;
      }
    } catch (e) {
      if (seq === predictSeq) predictionError.value = (e as Error).message;
    } finally {
      if (seq === predictSeq) predicting.value = false;
    }
  }

  async function start(bench: BenchClient): Promise<void> {
    subscribe(bench);
    if (busy.value) return;
    if (formProblem.value) return void (error.value = formProblem.value);
    const previous = run.value;
    const view = await runBusy('start', () => bench.api.negotiate.start(options()));
    if (!view) return;
    if (previous && previous.state !== 'closed' && previous.id !== view.id) void bench.api.negotiate.close(previous.id).catch(() => undefined);
    const newer = early.get(view.id);
    early.clear();
    run.value = newer && progress(newer) >= progress(view) ? newer : view;
    prediction.value = run.value.spn ?? prediction.value;
    selectedStep.value = null;
  }

  async function next(bench: BenchClient): Promise<void> {
    const current = run.value;
    if (!current?.pending || busy.value) return;
    const view = await runBusy('next', () => bench.api.negotiate.next(current.id));
    if (view) apply(view, false);
  }

  /** Stops a run (its Exchange stays on screen) and goes back to the form. */
  async function close(bench: BenchClient): Promise<void> {
    const current = run.value;
    if (!current || busy.value) return;
    await runBusy('close', () => bench.api.negotiate.close(current.id));
    if (run.value?.id === current.id) run.value = { ...run.value, state: 'closed', pending: null };
  }

  /** After a reload: the run shown before, if the engine still has it. */
  async function reattach(bench: BenchClient): Promise<void> {
    subscribe(bench);
    const id = savedRunId;
    savedRunId = null;
    if (id && !run.value) {
      const view = await bench.api.negotiate.view(id).catch(() => null);
      if (view && !run.value) {
        run.value = view;
        prediction.value = view.spn;
      }
    }
    if (!prediction.value) predictLater(bench);
  }

  function useEndpoint(url: string): void {
    form.value = { ...form.value, url };
  }

  return { form, basicPassword, run, selectedStep, prediction, predictionError, predicting, busy, error, active, formProblem, subscribe, predictLater, predict, start, next, close, reattach, useEndpoint };
});
