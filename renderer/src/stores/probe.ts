import type { Exchange, ProbeStartOptions, ProbeView } from '@api/index';
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { BenchClient } from '../api/client';
import { useBusy } from '../composables/busy';
import { useWorkspaceStore } from './workspace';

export type ProbeBusy = 'start' | 'next' | 'reauth' | 'publish' | 'close';

export interface ProbeForm {
  url: string;
  /** Empty: mqtt@<host of the URL>. */
  service: string;
  profile: ProbeStartOptions['profile'];
  method: ProbeStartOptions['method'];
  step: boolean;
  caFile: string;
  insecure: boolean;
  clientId: string;
}

/** How far a run has got: views from call responses never replace a newer one from an event. */
function progress(view: ProbeView): number {
  const steps = view.exchanges.reduce((n, e) => n + e.steps.length, 0);
  return view.exchanges.length * 10_000 + steps * 10 + (view.published ? 5 : 0) + (view.state === 'closed' ? 1 : 0);
}

/** The host of an MQTT URL, or null while it is not one. */
export function urlHost(url: string): string | null {
  try {
    const parsed = new URL(url.trim());
    return /^(mqtts?|wss?):$/.test(parsed.protocol) && parsed.hostname ? parsed.hostname.replace(/^\[|\]$/g, '') : null;
  } catch {
    return null;
  }
}

export const isTlsUrl = (url: string) => /^(mqtts|wss):/i.test(url.trim());

/**
 * The Probe view: the connection form, the probe run (its ProbeView comes back from every call
 * and from `probe.update` events as it connects in the background), which of its Exchanges is
 * shown (the connect, then one per re-authentication) and the selected step.
 */
export const useProbeStore = defineStore('probe', () => {
  const form = ref<ProbeForm>({ url: '', service: '', profile: 'lab', method: 'GSSAPI-KERBEROS', step: true, caFile: '', insecure: false, clientId: '' });
  // shallowRef: every update is a whole new view; decoded trees are large and never edited here.
  const run = shallowRef<ProbeView | null>(null);
  /** Which Exchange of the run is shown; null follows the newest. */
  const exchangeIndex = ref<number | null>(null);
  const selectedStep = ref<number | null>(null);
  const { busy, error, run: runBusy } = useBusy<ProbeBusy>();
  /** The form was filled in from the running broker (once; the user's own URL wins after that). */
  const prefilled = ref(false);
  /** Updates for runs the view has not heard back about yet (the start call still on its way). */
  const early = new Map<string, ProbeView>();
  let subscribed = false;
  /** The run shown before a reload: the engine may still hold it (reattach() asks). */
  let savedRunId: string | null = null;

  useWorkspaceStore().persist(
    'probe',
    () => ({ form: { ...form.value }, prefilled: prefilled.value, runId: run.value?.id ?? savedRunId, exchangeIndex: exchangeIndex.value, selectedStep: selectedStep.value }),
    (saved) => {
      form.value = { ...form.value, ...saved.form };
      prefilled.value = saved.prefilled;
      savedRunId = saved.runId;
      exchangeIndex.value = saved.exchangeIndex;
      selectedStep.value = saved.selectedStep;
    },
  );

  const active = computed(() => run.value !== null && (run.value.state === 'connecting' || run.value.state === 'waiting' || run.value.state === 'connected'));
  const connected = computed(() => run.value?.state === 'connected');
  const exchanges = computed<Exchange[]>(() => run.value?.exchanges ?? []);
  const shownIndex = computed(() => {
    const count = exchanges.value.length;
    if (!count) return null;
    return exchangeIndex.value !== null && exchangeIndex.value < count ? exchangeIndex.value : count - 1;
  });
  /**
   * The shown Exchange. The probe records the packet it is about to send before pausing; until it
   * is sent (step mode), that step stays out of the diagram and shows as "Next" instead.
   */
  const shown = computed<Exchange | null>(() => {
    const index = shownIndex.value;
    if (index === null) return null;
    const exchange = exchanges.value[index]!;
    const pending = run.value?.pending;
    const last = exchange.steps.at(-1);
    if (pending && index === exchanges.value.length - 1 && last && last.direction === 'client-to-server' && last.token === pending.token) {
      return { ...exchange, steps: exchange.steps.slice(0, -1) };
    }
    return exchange;
  });

  function apply(view: ProbeView, fromEvent: boolean): void {
    const current = run.value;
    if (!current || current.id !== view.id) return;
    if (!fromEvent && progress(view) < progress(current)) return;
    run.value = view;
  }

  function subscribe(bench: BenchClient): void {
    if (subscribed) return;
    subscribed = true;
    bench.on('probe.update', (view) => {
      if (run.value?.id === view.id) apply(view, true);
      else if (busy.value === 'start') {
        early.set(view.id, view);
        if (early.size > 20) early.delete(early.keys().next().value!);
      }
    });
  }

  /** One action at a time: a click while one runs is ignored. */
  async function call<T>(what: ProbeBusy, action: () => Promise<T>): Promise<T | undefined> {
    return busy.value ? undefined : runBusy(what, action);
  }

  function options(): ProbeStartOptions {
    const f = form.value;
    const tls = isTlsUrl(f.url);
    return {
      url: f.url.trim(),
      ...(f.service.trim() ? { service: f.service.trim() } : {}),
      profile: f.profile,
      method: f.method,
      step: f.step,
      ...(tls && f.caFile.trim() ? { caFile: f.caFile.trim() } : {}),
      ...(tls && f.insecure ? { insecure: true } : {}),
      ...(f.clientId.trim() ? { clientId: f.clientId.trim() } : {}),
    };
  }

  /** What is wrong with the form, in words, or null. */
  const formProblem = computed(() => {
    const f = form.value;
    if (!f.url.trim()) return 'Give the broker\'s URL: mqtt://host:port, mqtts://, ws://host:port/mqtt or wss://.';
    if (!urlHost(f.url)) return `"${f.url.trim()}" is not an mqtt://, mqtts://, ws:// or wss:// URL with a host.`;
    if (f.service.trim() && !/^[^@\s]+@[^@\s]*$/.test(f.service.trim())) return 'The service is a GSS name, service@host (for example mqtt@broker.example.com).';
    return null;
  });

  async function connect(bench: BenchClient): Promise<void> {
    subscribe(bench);
    if (formProblem.value) return void (error.value = formProblem.value);
    const previous = run.value;
    const view = await call('start', () => bench.api.probe.start(options()));
    if (!view) return;
    // The engine keeps a bounded number of runs; let the old one (and its connection) go now.
    if (previous && previous.state !== 'closed') void bench.api.probe.close(previous.id).catch(() => undefined);
    const newer = early.get(view.id);
    early.clear();
    run.value = newer && progress(newer) >= progress(view) ? newer : view;
    exchangeIndex.value = null;
    selectedStep.value = null;
  }

  async function next(bench: BenchClient): Promise<void> {
    const current = run.value;
    if (!current?.pending) return;
    const view = await call('next', () => bench.api.probe.next(current.id));
    if (view) apply(view, false);
  }

  async function reauthenticate(bench: BenchClient): Promise<void> {
    const current = run.value;
    if (!current || current.state !== 'connected') return;
    const view = await call('reauth', () => bench.api.probe.reauthenticate(current.id));
    if (!view) return;
    exchangeIndex.value = null;
    apply(view, false);
  }

  async function publish(bench: BenchClient, topic?: string): Promise<void> {
    const current = run.value;
    if (!current || current.state !== 'connected') return;
    const view = await call('publish', () => bench.api.probe.publish(current.id, topic));
    if (view) apply(view, false);
  }

  /** Disconnects and forgets the run in the engine; its Exchanges stay on screen. */
  async function disconnect(bench: BenchClient): Promise<void> {
    const current = run.value;
    if (!current) return;
    await call('close', () => bench.api.probe.close(current.id));
    if (run.value?.id === current.id) run.value = { ...run.value, state: 'closed', pending: null };
  }

  /**
   * After a reload: shows the run the view showed before, if the engine still has it (a restart
   * ends every run; its Exchanges are in History then).
   */
  async function reattach(bench: BenchClient): Promise<void> {
    subscribe(bench);
    const id = savedRunId;
    savedRunId = null;
    if (!id || run.value) return;
    const view = await bench.api.probe.view(id).catch(() => null);
    if (view && !run.value) run.value = view;
  }

  function showExchange(index: number): void {
    exchangeIndex.value = index === exchanges.value.length - 1 ? null : index;
  }

  /** Fills the form from the running broker: its URL, its service name, its certificate for TLS. */
  function useBroker(url: string, service: string | null, caFile: string | null): void {
    form.value = { ...form.value, url, service: service ?? form.value.service, caFile: isTlsUrl(url) && caFile ? caFile : form.value.caFile };
    prefilled.value = true;
  }

  return {
    form,
    run,
    reattach,
    exchangeIndex,
    selectedStep,
    busy,
    error,
    prefilled,
    active,
    connected,
    exchanges,
    shownIndex,
    shown,
    formProblem,
    subscribe,
    connect,
    next,
    reauthenticate,
    publish,
    disconnect,
    showExchange,
    useBroker,
  };
});
