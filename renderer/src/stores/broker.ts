import type { BrokerStartOptions, BrokerStatus, Exchange } from '@api/index';
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { BenchClient } from '../api/client';
import { useBusy } from '../composables/busy';
import { useWorkspaceStore } from './workspace';

/** How many connections the view keeps (the engine keeps 200 too). */
const MAX_CONNECTIONS = 200;

export interface BrokerForm {
  tcp: boolean;
  tls: boolean;
  ws: boolean;
  credentials: BrokerStartOptions['credentials'];
  principal: string;
  keytab: string;
  variant: BrokerStartOptions['variant'];
  allowAnonymous: boolean;
  /** Empty: the broker's default (10 rounds, 10 000 ms). */
  maxAuthRounds: number | '' | null;
  authDeadlineMs: number | '' | null;
  /** A bench probe on this machine that steps gets up to 10 minutes instead of the deadline. */
  holdDeadlineWhileStepping: boolean;
}

const newestFirst = (a: Exchange, b: Exchange) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0);

/**
 * The Broker view: the start form, the running broker's status (refreshed by every call and by
 * the `broker.status` event), and its connections — one Exchange each, newest first, kept live by
 * `broker.exchange` (an Exchange after every step and verdict) — with the one selected.
 */
export const useBrokerStore = defineStore('broker', () => {
  const form = ref<BrokerForm>({
    tcp: true,
    tls: true,
    ws: true,
    credentials: 'lab',
    principal: '',
    keytab: '',
    variant: 'emqx',
    allowAnonymous: false,
    maxAuthRounds: null,
    authDeadlineMs: null,
    // The service's listeners are all on 127.0.0.1, where the broker holds it by default too.
    holdDeadlineWhileStepping: true,
  });
  const status = shallowRef<BrokerStatus | null>(null);
  // shallowRef: every event brings a whole new Exchange; decoded trees are large and never edited here.
  const connections = shallowRef<Exchange[]>([]);
  const selectedId = ref<string | null>(null);
  /** The selected step in the selected connection's Exchange. */
  const selectedStep = ref<number | null>(null);
  const { busy, error, run } = useBusy<'start' | 'stop'>();
  const loaded = ref(false);
  let subscribed = false;

  // The form and the selected connection survive a reload and a restart (the connections
  // themselves come back from the engine while the broker runs).
  useWorkspaceStore().persist(
    'broker',
    () => ({ form: { ...form.value }, selectedId: selectedId.value, selectedStep: selectedStep.value }),
    (saved) => {
      form.value = { ...form.value, ...saved.form };
      selectedId.value = saved.selectedId;
      selectedStep.value = saved.selectedStep;
    },
  );

  const running = computed(() => status.value?.running === true);
  const selected = computed(() => connections.value.find((e) => e.id === selectedId.value) ?? null);
  /** The TCP listener's URL, for the probe's default. */
  const tcpUrl = computed(() => status.value?.listeners.find((l) => l.protocol === 'tcp')?.url ?? null);
  /** mqtt/localhost@BENCH.TEST → mqtt@localhost: the GSS service name a client asks for. */
  const serviceName = computed(() => {
    const match = /^([^/@]+)\/([^@]+)(?:@.*)?$/.exec(status.value?.principal ?? '');
    return match ? `${match[1]}@${match[2]}` : null;
  });

  /** A new connection goes in by start time; a known one is replaced (a new step, a verdict). */
  function upsert(exchange: Exchange): void {
    const list = connections.value;
    const at = list.findIndex((e) => e.id === exchange.id);
    if (at >= 0) {
      const next = list.slice();
      next[at] = exchange;
      connections.value = next;
      return;
    }
    connections.value = [exchange, ...list].sort(newestFirst).slice(0, MAX_CONNECTIONS);
  }

  function subscribe(bench: BenchClient): void {
    if (subscribed) return;
    subscribed = true;
    bench.on('broker.exchange', (exchange) => upsert(exchange));
    bench.on('broker.status', (next) => (status.value = next));
  }

  async function load(bench: BenchClient): Promise<void> {
    subscribe(bench);
    try {
      const [next, recent] = await Promise.all([bench.api.broker.status(), bench.api.broker.exchanges()]);
      status.value = next;
      // Events that came in meanwhile are newer than this snapshot: keep them.
      const known = new Set(connections.value.map((e) => e.id));
      const missing = recent.filter((e) => !known.has(e.id));
      if (missing.length) connections.value = [...connections.value, ...missing].sort(newestFirst).slice(0, MAX_CONNECTIONS);
      error.value = null;
    } catch (e) {
      error.value = (e as Error).message;
    } finally {
      loaded.value = true;
    }
  }

  function options(): BrokerStartOptions {
    const f = form.value;
    const rounds = typeof f.maxAuthRounds === 'number' && Number.isFinite(f.maxAuthRounds) ? f.maxAuthRounds : undefined;
    const deadline = typeof f.authDeadlineMs === 'number' && Number.isFinite(f.authDeadlineMs) ? f.authDeadlineMs : undefined;
    return {
      tcp: f.tcp,
      tls: f.tls,
      ws: f.ws,
      credentials: f.credentials,
      ...(f.credentials === 'custom' ? { principal: f.principal.trim(), keytab: f.keytab.trim() } : {}),
      variant: f.variant,
      allowAnonymous: f.allowAnonymous,
      ...(rounds !== undefined ? { maxAuthRounds: rounds } : {}),
      ...(deadline !== undefined ? { authDeadlineMs: deadline } : {}),
      holdDeadlineWhileStepping: f.holdDeadlineWhileStepping,
    };
  }

  /** What is wrong with the form, in words, or null. */
  const formProblem = computed(() => {
    const f = form.value;
    if (!f.tcp && !f.tls && !f.ws) return 'Choose at least one listener.';
    if (f.credentials === 'custom') {
      if (!/^[^/@\s]+\/[^@\s]+@[^@\s]+$/.test(f.principal.trim())) return 'The principal is service/FQDN@REALM, for example mqtt/broker.example.com@EXAMPLE.COM.';
      if (!f.keytab.trim()) return 'Give the path of the keytab with that principal\'s keys.';
    }
    if (f.maxAuthRounds !== null && f.maxAuthRounds !== '' && !(Number.isInteger(f.maxAuthRounds) && f.maxAuthRounds >= 1 && f.maxAuthRounds <= 100)) return 'The round cap is a whole number from 1 to 100.';
    if (f.authDeadlineMs !== null && f.authDeadlineMs !== '' && !(Number.isInteger(f.authDeadlineMs) && f.authDeadlineMs >= 100 && f.authDeadlineMs <= 600_000)) return 'The deadline is 100 to 600 000 ms.';
    return null;
  });

  /** `extra`: options beyond the form (the chain editor's chainFile). */
  async function start(bench: BenchClient, extra: Partial<BrokerStartOptions> = {}): Promise<void> {
    subscribe(bench);
    if (busy.value) return;
    if (formProblem.value) return void (error.value = formProblem.value);
    await run('start', async () => {
      status.value = await bench.api.broker.start({ ...options(), ...extra });
      // A new broker: the previous one's connections are gone from the engine too.
      connections.value = (await bench.api.broker.exchanges().catch(() => [])).sort(newestFirst);
      selectedId.value = null;
      selectedStep.value = null;
    });
  }

  async function stop(bench: BenchClient): Promise<void> {
    if (busy.value) return;
    await run('stop', async () => {
      status.value = await bench.api.broker.stop();
    });
  }

  function select(id: string | null): void {
    if (id === selectedId.value) return;
    selectedId.value = id;
    selectedStep.value = null;
  }

  return {
    form,
    status,
    connections,
    selectedId,
    selectedStep,
    busy,
    error,
    loaded,
    running,
    selected,
    tcpUrl,
    serviceName,
    formProblem,
    load,
    start,
    stop,
    select,
  };
});
