import type { Exchange, ProbeView } from '@api/index';
import { defineStore } from 'pinia';
import { computed, ref, shallowRef, watch } from 'vue';
import type { BenchClient } from '../api/client';
import { useBrokerStore } from './broker';
import { useDiagnoseStore } from './diagnose';
import { useHandoffStore } from './handoff';
import { useLabStore } from './lab';
import { apReqStep, doneSteps, nextStep, noTicks, START_SCENARIO, START_SERVICE, START_STEPS, ticksFrom, type StartStepId, type StartTicks } from './start-steps';
import { useWorkspaceStore } from './workspace';

/** How long the probe may take to connect (MQTT.js gives up after 15 s itself). */
const PROBE_TIMEOUT_MS = 40_000;
const PROBE_POLL_MS = 250;

/** What "break something" captured: the real error of the broken flow and the scenario's own verdict. */
export type BrokenFlow = { error: string; topFinding: string | null; passed: boolean };
/** The finding the diagnosis put first. */
export type TopFinding = { id: string; title: string };

const settled = (view: ProbeView) => view.state === 'connected' || view.state === 'failed' || view.state === 'closed';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The Start-here path: six steps, each done for real through the stores and services the other
 * views use — the lab realm up, the broker started with the lab's key, the probe connecting as
 * alice, her AP-REQ opened in the Decoder, a scenario that breaks the lab, and the diagnosis of
 * what it broke. A step is done when the real state shows it (the lab is running, the broker
 * listens, a successful probe Exchange is in the history) or when it was done before: ticks are
 * kept in the workspace, so a reload or a restart keeps them.
 */
export const useStartStore = defineStore('start', () => {
  const workspace = useWorkspaceStore();
  const lab = useLabStore();
  const broker = useBrokerStore();
  const diagnose = useDiagnoseStore();

  const ticks = ref<StartTicks>(noTicks());
  const probeExchangeId = ref<string | null>(null);
  // shallowRef: an Exchange carries decoded trees; it is replaced, never edited.
  const probeExchange = shallowRef<Exchange | null>(null);
  /** The probe's Exchange when it failed: the view offers to diagnose it. */
  const failedExchange = shallowRef<Exchange | null>(null);
  /** A successful probe Exchange is in this session's history. */
  const probeSeen = ref(false);
  const broken = ref<BrokenFlow | null>(null);
  const diagnosed = ref<TopFinding | null>(null);
  const running = ref<StartStepId | null>(null);
  const since = ref<number | null>(null);
  const errors = ref<Partial<Record<StartStepId, string>>>({});

  workspace.persist(
    'start',
    () => ({ ticks: { ...ticks.value }, probeExchangeId: probeExchangeId.value, broken: broken.value && { ...broken.value }, diagnosed: diagnosed.value && { ...diagnosed.value } }),
    (saved) => {
      ticks.value = ticksFrom(saved.ticks);
      probeExchangeId.value = typeof saved.probeExchangeId === 'string' ? saved.probeExchangeId : null;
      broken.value = saved.broken && typeof saved.broken.error === 'string' ? saved.broken : null;
      diagnosed.value = saved.diagnosed && typeof saved.diagnosed.id === 'string' ? saved.diagnosed : null;
    },
  );

  const live = computed<Partial<Record<StartStepId, boolean>>>(() => ({
    lab: lab.status?.state === 'running',
    broker: broker.running && !!broker.tcpUrl,
    probe: probeSeen.value,
  }));
  const done = computed(() => doneSteps(ticks.value, live.value));
  const next = computed(() => nextStep(done.value));
  const complete = computed(() => next.value === null);
  const doneCount = computed(() => START_STEPS.filter((id) => done.value[id]).length);

  function tick(id: StartStepId): void {
    if (!ticks.value[id]) ticks.value = { ...ticks.value, [id]: new Date().toISOString() };
  }
  // What the real state shows done stays ticked, even after the engine restarts.
  watch(live, (now) => START_STEPS.forEach((id) => now[id] && tick(id)), { immediate: true });

  /** Runs one step (one at a time); a failure is kept, in words, next to its button. */
  async function step(id: StartStepId, action: () => Promise<void>): Promise<boolean> {
    if (running.value) return false;
    running.value = id;
    since.value = Date.now();
    errors.value = { ...errors.value, [id]: undefined };
    try {
      await action();
      return true;
    } catch (e) {
      errors.value = { ...errors.value, [id]: (e as Error).message };
      return false;
    } finally {
      running.value = null;
      since.value = null;
    }
  }

  function refuse(id: StartStepId, why: string): false {
    errors.value = { ...errors.value, [id]: why };
    return false;
  }

  /** The real state of each step: the lab, the broker, successful probe Exchanges in the history. */
  async function load(bench: BenchClient): Promise<void> {
    await Promise.all([lab.load(bench), broker.load(bench), findProbeExchange(bench)]);
  }

  async function findProbeExchange(bench: BenchClient): Promise<void> {
    const found = await bench.api.history.list({ source: 'probe', outcome: 'success' }).catch(() => null);
    if (!found) return;
    probeSeen.value = found.length > 0;
    probeExchange.value = found.find((e) => e.id === probeExchangeId.value) ?? found[0] ?? null;
  }

  const bringLabUp = (bench: BenchClient) =>
    step('lab', async () => {
      await lab.up(bench);
      if (lab.status?.state !== 'running') throw new Error(lab.error ?? 'The lab realm did not come up.');
      tick('lab');
    });

  const startBroker = (bench: BenchClient) =>
    step('broker', async () => {
      const status = await bench.api.broker.start({ tcp: true, tls: false, ws: false, credentials: 'lab', variant: 'emqx', allowAnonymous: false });
      await broker.load(bench);
      if (!status.listeners.some((l) => l.protocol === 'tcp')) throw new Error('The broker started without a TCP listener.');
      tick('broker');
    });

  /** The probe run once it connected or failed (events first, a poll as a fallback). */
  async function settledProbe(bench: BenchClient, started: ProbeView): Promise<ProbeView> {
    let latest = started;
    const stop = bench.on('probe.update', (view) => {
      if (view.id === started.id) latest = view;
    });
    try {
      for (const deadline = Date.now() + PROBE_TIMEOUT_MS; !settled(latest); ) {
        if (Date.now() > deadline) throw new Error(`The probe got no answer from ${started.options.url} within ${PROBE_TIMEOUT_MS / 1000} s.`);
        await sleep(PROBE_POLL_MS);
        if (!settled(latest)) latest = await bench.api.probe.view(started.id).catch(() => latest);
      }
      return latest;
    } finally {
      stop();
    }
  }

  const probe = (bench: BenchClient) =>
    step('probe', async () => {
      failedExchange.value = null;
      const url = broker.running ? broker.tcpUrl : null;
      if (!url) throw new Error('The broker is not running with a TCP listener: start it first (step 2).');
      const started = await bench.api.probe.start({ url, service: START_SERVICE, profile: 'lab', method: 'GSSAPI-KERBEROS', step: false });
      const view = await settledProbe(bench, started);
      // The Exchange stays in the history; the connection itself is not needed any more.
      void bench.api.probe.close(view.id).catch(() => undefined);
      const exchange = view.exchanges.at(-1) ?? null;
      if (view.state !== 'connected' || exchange?.verdict.outcome !== 'success') {
        failedExchange.value = exchange;
        throw new Error(exchange?.verdict.reason || view.error || `The probe ended ${view.state}.`);
      }
      probeExchange.value = exchange;
      probeExchangeId.value = exchange.id;
      probeSeen.value = true;
      tick('probe');
    });

  /**
   * Hands the probe's AP-REQ to the Decoder with the key its receiver knows — the broker's
   * service keytab — and ticks the step; the view then opens the Decoder.
   */
  function openToken(): boolean {
    if (running.value) return false;
    errors.value = { ...errors.value, token: undefined };
    const exchange = probeExchange.value;
    if (!exchange) return refuse('token', 'There is no successful probe Exchange in this session yet: probe the broker first (step 3).');
    const apReq = apReqStep(exchange);
    if (!apReq?.token) return refuse('token', 'The probe Exchange carries no AP-REQ token.');
    const status = lab.status;
    if (!status || status.state === 'absent') return refuse('token', 'The lab realm is not there, and with it the broker\'s keytab: bring it up first (step 1).');
    useHandoffStore().sendToDecoder({
      text: apReq.token,
      keys: [{ kind: 'keytab', source: { path: status.keytabs.service } }],
      label: `probe Exchange · step ${apReq.index + 1} (${apReq.transport.packet}), with the broker's keytab`,
    });
    tick('token');
    return true;
  }

  const breakSomething = (bench: BenchClient) =>
    step('scenario', async () => {
      if (diagnose.running) throw new Error(`Another scenario (${diagnose.running}) is running in the lab: wait for it to finish.`);
      const result = await diagnose.runScenario(bench, START_SCENARIO);
      if (!result) throw new Error(diagnose.runs[START_SCENARIO]?.error ?? 'The scenario could not run.');
      if (!result.error) throw new Error(result.problem ?? 'The broken flow did not fail.');
      broken.value = { error: result.error, topFinding: result.topFinding, passed: result.passed };
      tick('scenario');
    });

  /** Puts the captured error into the Diagnose view's paste box; the view then opens it. */
  function prepareDiagnosis(): boolean {
    if (running.value) return false;
    errors.value = { ...errors.value, diagnose: undefined };
    if (!broken.value) return refuse('diagnose', 'Break something first (step 5): its error is what gets diagnosed.');
    diagnose.panel = 'diagnose';
    diagnose.mode = 'paste';
    diagnose.message = broken.value.error;
    return true;
  }

  const diagnoseIt = (bench: BenchClient) =>
    step('diagnose', async () => {
      const before = diagnose.results.paste?.seq;
      await diagnose.diagnoseMessage(bench);
      const result = diagnose.results.paste;
      if (!result || result.seq === before) throw new Error(diagnose.errors.paste ?? 'The Diagnose view is busy with another diagnosis: try again in a moment.');
      const top = result.diagnosis.findings[0];
      if (!top) throw new Error(`No known cause found: ${result.diagnosis.summary}`);
      diagnosed.value = { id: top.id, title: top.title };
      tick('diagnose');
    });

  /** Forgets the ticks (not the lab or the broker: what is still running shows done again). */
  function startOver(): void {
    ticks.value = noTicks();
    probeExchangeId.value = null;
    broken.value = null;
    diagnosed.value = null;
    failedExchange.value = null;
    errors.value = {};
  }

  return {
    ticks,
    probeExchange,
    failedExchange,
    broken,
    diagnosed,
    running,
    since,
    errors,
    done,
    next,
    complete,
    doneCount,
    load,
    bringLabUp,
    startBroker,
    probe,
    openToken,
    breakSomething,
    prepareDiagnosis,
    diagnoseIt,
    startOver,
  };
});
