import type { CatalogEntry, Diagnosis, DiagnosisInput, Exchange, ScenarioInfo, ScenarioResult } from '@api/index';
import type { LabStatus } from '@api/lab';
import { defineStore } from 'pinia';
import { computed, ref, shallowRef, watch } from 'vue';
import type { BenchClient } from '../api/client';
import { parseExchangeFile } from '../utils/exchange';
import { useExchangeDiagnosisStore } from './exchange-diagnosis';
import { useWorkspaceStore } from './workspace';

/** A value kept in the workspace only while its JSON stays under this many characters. */
const MAX_KEPT_CHARS = 150_000;
function keptIfSmall<T>(value: T): T | null {
  return value !== null && JSON.stringify(value).length <= MAX_KEPT_CHARS ? value : null;
}

export type DiagnosePanel = 'diagnose' | 'catalog' | 'scenarios';
/** The three ways in: a pasted error, a failed Exchange, a setup to check. */
export type DiagnoseMode = 'paste' | 'exchange' | 'setup';

export interface SetupForm {
  profile: 'lab' | 'system' | 'custom';
  krb5Config: string;
  ccache: string;
  keytab: string;
  principal: string;
}

/** A diagnosis with what it was made of, in words. */
export interface DiagnoseResult {
  diagnosis: Diagnosis;
  /** "the pasted text (3 lines)", "Probe Exchange: nosuch@localhost", "the lab profile, mqtt/localhost@BENCH.TEST". */
  subject: string;
  /** Counts diagnoses made in this session: a new result, even for the same input, has a new number. */
  seq: number;
}

/** The Exchange picked in "Pick an Exchange", with where it came from. */
export interface PickedExchange {
  exchange: Exchange;
  label: string;
}

/** One scenario's last run: running, its result, or why it could not be run at all. */
export interface ScenarioRun {
  state: 'running' | 'done' | 'error';
  result: ScenarioResult | null;
  error: string | null;
  startedAt: number;
}

/**
 * The Diagnose view: which panel and input mode are shown, each mode's input and last result,
 * the catalog with its search, the scenarios and their runs (one at a time: each breaks and
 * restores the same lab realm), and the lab's state for the "scenarios need the lab" note.
 */
export const useDiagnoseStore = defineStore('diagnose', () => {
  const panel = ref<DiagnosePanel>('diagnose');
  const mode = ref<DiagnoseMode>('paste');
  const message = ref('');
  const picked = shallowRef<PickedExchange | null>(null);
  const setup = ref<SetupForm>({ profile: 'lab', krb5Config: '', ccache: '', keytab: '', principal: '' });
  const results = shallowRef<Record<DiagnoseMode, DiagnoseResult | null>>({ paste: null, exchange: null, setup: null });
  const errors = ref<Record<DiagnoseMode, string | null>>({ paste: null, exchange: null, setup: null });
  const busy = ref<DiagnoseMode | null>(null);

  const catalog = shallowRef<CatalogEntry[] | null>(null);
  const catalogError = ref<string | null>(null);
  const query = ref('');
  /** Catalog entries shown expanded, by id. */
  const expanded = ref<string[]>([]);

  const scenarios = shallowRef<ScenarioInfo[] | null>(null);
  const scenariosError = ref<string | null>(null);
  const runs = ref<Record<string, ScenarioRun>>({});
  /** The scenario running now (one at a time), or null. */
  const running = ref<string | null>(null);
  const runAll = ref<{ ids: string[]; startedAt: number; finishedAt: number | null; stopping: boolean } | null>(null);
  const lab = shallowRef<LabStatus | null>(null);

  // What the view shows survives a reload and a restart: the panel, the inputs, the last results
  // and the picked Exchange (each only while small: a workspace entry is bounded). Restored before
  // the watches below exist, so restoring the setup form does not clear the setup's result.
  useWorkspaceStore().persist(
    'diagnose',
    () => ({
      panel: panel.value,
      mode: mode.value,
      message: keptIfSmall(message.value) ?? '',
      setup: { ...setup.value },
      query: query.value,
      expanded: [...expanded.value],
      picked: keptIfSmall(picked.value),
      results: { paste: keptIfSmall(results.value.paste), exchange: keptIfSmall(results.value.exchange), setup: keptIfSmall(results.value.setup) },
    }),
    (saved) => {
      panel.value = saved.panel;
      mode.value = saved.mode;
      message.value = saved.message;
      setup.value = { ...setup.value, ...saved.setup };
      query.value = saved.query;
      expanded.value = saved.expanded;
      picked.value = saved.picked;
      results.value = { paste: saved.results.paste, exchange: saved.results.exchange, setup: saved.results.setup };
    },
  );

  const result = computed(() => results.value[mode.value]);
  const error = computed(() => errors.value[mode.value]);
  const catalogById = computed(() => new Map((catalog.value ?? []).map((e) => [e.id, e])));
  const scenarioById = computed(() => new Map((scenarios.value ?? []).map((s) => [s.id, s])));
  const labRunning = computed(() => lab.value?.state === 'running');

  /** What is wrong with the setup form, in words, or null. */
  const setupProblem = computed(() => {
    const s = setup.value;
    const principal = s.principal.trim();
    if (principal && !/^[^\s@/]+\/[^\s@]+(@[^\s@]+)?$/.test(principal)) {
      return /^[^\s@/]+@[^\s@/]+$/.test(principal) && !/[A-Z]/.test(principal.split('@')[1]!)
        ? `"${principal}" is a GSS service name (service@host); the principal is service/host@REALM, for example ${principal.replace('@', '/')}@EXAMPLE.COM.`
        : 'The service principal is service/host@REALM, for example mqtt/broker.example.com@EXAMPLE.COM.';
    }
    if (s.profile === 'custom' && !s.krb5Config.trim() && !s.ccache.trim() && !s.keytab.trim()) return 'A custom profile needs at least one path: krb5.conf, the ticket cache or the keytab.';
    return null;
  });

  // Numbers go on from the results a reload brought back.
  let seq = Math.max(0, ...Object.values(results.value).map((r) => r?.seq ?? 0));
  const made = (diagnosis: Diagnosis, subject: string): DiagnoseResult => ({ diagnosis, subject, seq: ++seq });

  function setResult(which: DiagnoseMode, next: DiagnoseResult | null, problem: string | null = null): void {
    results.value = { ...results.value, [which]: next };
    errors.value = { ...errors.value, [which]: problem };
  }

  /** `current` says whether the answer still belongs to what is shown (a setup check whose profile changed meanwhile does not). */
  async function run(bench: BenchClient, which: DiagnoseMode, subject: string, input: DiagnosisInput, current: () => boolean = () => true): Promise<void> {
    if (busy.value) return;
    busy.value = which;
    errors.value = { ...errors.value, [which]: null };
    try {
      const diagnosis = await bench.api.diagnose.diagnose(input);
      if (current()) setResult(which, made(diagnosis, subject));
    } catch (e) {
      if (current()) setResult(which, null, (e as Error).message);
    } finally {
      busy.value = null;
    }
  }

  async function diagnoseMessage(bench: BenchClient): Promise<void> {
    const text = message.value.trim();
    if (!text) return setResult('paste', null, 'Paste an error message or a log excerpt first.');
    const lines = text.split(/\r?\n/).filter((l) => l.trim()).length;
    await run(bench, 'paste', lines === 1 ? 'the pasted message' : `the pasted text (${lines} lines)`, { message: text });
  }

  /** Picks an Exchange and diagnoses it — through the per-Exchange cache, so a diagnosis already made is not made again. */
  async function diagnoseExchange(bench: BenchClient, next: PickedExchange): Promise<void> {
    picked.value = next;
    mode.value = 'exchange';
    panel.value = 'diagnose';
    const cache = useExchangeDiagnosisStore();
    const known = cache.lookup(next.exchange);
    if (known?.state === 'done' && known.diagnosis) return setResult('exchange', made(known.diagnosis, next.label));
    if (busy.value) return;
    busy.value = 'exchange';
    setResult('exchange', null);
    try {
      const diagnosis = await cache.ensure(bench, next.exchange);
      if (picked.value !== next) return;
      // The engine's refusal (an invalid Exchange file, a lost connection) is in the cache entry.
      if (diagnosis) setResult('exchange', made(diagnosis, next.label));
      else setResult('exchange', null, cache.lookup(next.exchange)?.error ?? 'The diagnosis failed.');
    } finally {
      busy.value = null;
    }
  }

  /** An Exchange file's text: parsed here (the envelope), validated by the engine. */
  async function openExchangeFile(bench: BenchClient, text: string, name: string): Promise<void> {
    let exchange: Exchange;
    try {
      exchange = parseExchangeFile(text, name);
    } catch (e) {
      mode.value = 'exchange';
      picked.value = null;
      return setResult('exchange', null, (e as Error).message);
    }
    await diagnoseExchange(bench, { exchange, label: `${name} (file)` });
  }

  /**
   * Which profile a setup result belongs to: choosing another one (or other custom paths) drops
   * the result and error of the old one, and an answer still on its way for it.
   */
  let setupGeneration = 0;
  watch(
    () => [setup.value.profile, setup.value.krb5Config.trim(), setup.value.ccache.trim()].join('\n'),
    () => {
      setupGeneration++;
      setResult('setup', null);
    },
  );

  async function checkSetup(bench: BenchClient): Promise<void> {
    if (setupProblem.value) return setResult('setup', null, setupProblem.value);
    const s = setup.value;
    const principal = s.principal.trim();
    const input: NonNullable<DiagnosisInput['setup']> = {
      profile: s.profile,
      ...(s.profile === 'custom' && s.krb5Config.trim() ? { krb5Config: s.krb5Config.trim() } : {}),
      ...(s.profile === 'custom' && s.ccache.trim() ? { ccache: s.ccache.trim() } : {}),
      ...(s.keytab.trim() ? { keytab: s.keytab.trim() } : {}),
      ...(principal ? { principal } : {}),
    };
    const profile = s.profile === 'lab' ? 'the lab profile' : s.profile === 'system' ? 'the system profile' : 'the custom profile';
    const generation = setupGeneration;
    await run(bench, 'setup', principal ? `${profile}, service ${principal}` : profile, { setup: input }, () => generation === setupGeneration);
  }

  async function loadCatalog(bench: BenchClient): Promise<void> {
    if (catalog.value) return;
    try {
      catalog.value = await bench.api.diagnose.catalog();
      catalogError.value = null;
    } catch (e) {
      catalogError.value = (e as Error).message;
    }
  }

  async function loadScenarios(bench: BenchClient): Promise<void> {
    if (scenarios.value) return;
    try {
      scenarios.value = await bench.api.diagnose.scenarios();
      scenariosError.value = null;
    } catch (e) {
      scenariosError.value = (e as Error).message;
    }
  }

  /** The lab realm's state, for the scenarios' note; quiet when it cannot be read. */
  async function loadLab(bench: BenchClient): Promise<void> {
    try {
      lab.value = await bench.api.lab.status();
    } catch {
      lab.value = null;
    }
  }

  function toggle(id: string, open?: boolean): void {
    const isOpen = expanded.value.includes(id);
    const want = open ?? !isOpen;
    if (want && !isOpen) expanded.value = [...expanded.value, id];
    else if (!want && isOpen) expanded.value = expanded.value.filter((e) => e !== id);
  }

  /** Runs one scenario (not while another one runs: they share the lab realm). */
  async function runScenario(bench: BenchClient, id: string): Promise<ScenarioResult | null> {
    if (running.value) return null;
    running.value = id;
    const startedAt = Date.now();
    runs.value = { ...runs.value, [id]: { state: 'running', result: null, error: null, startedAt } };
    try {
      const result = await bench.api.diagnose.runScenario({ id });
      runs.value = { ...runs.value, [id]: { state: 'done', result, error: null, startedAt } };
      return result;
    } catch (e) {
      runs.value = { ...runs.value, [id]: { state: 'error', result: null, error: (e as Error).message, startedAt } };
      return null;
    } finally {
      running.value = null;
      void loadLab(bench);
    }
  }

  /**
   * Every scenario of one lab kind, one after another; each row shows its result as it completes.
   * The MIT lab's by default; 'ad' runs the AD lab's (ad-…: a Samba DC, root only) — kept apart so
   * "Run all" never starts a domain controller the user did not ask for.
   */
  async function runAllScenarios(bench: BenchClient, kind: 'mit' | 'ad' = 'mit'): Promise<void> {
    await loadScenarios(bench);
    const list = scenarios.value?.filter((s) => s.id.startsWith('ad-') === (kind === 'ad'));
    if (!list?.length || running.value || runAll.value?.finishedAt === null) return;
    const ids = list.map((s) => s.id);
    const state = { ids, startedAt: Date.now(), finishedAt: null as number | null, stopping: false };
    runAll.value = state;
    const left = { ...runs.value };
    for (const id of ids) delete left[id];
    runs.value = left;
    for (const id of ids) {
      if (runAll.value?.stopping) break;
      await runScenario(bench, id);
    }
    runAll.value = { ...runAll.value!, finishedAt: Date.now() };
  }

  /** Stops "Run all" after the scenario running now (a scenario itself always restores the lab). */
  function stopAll(): void {
    if (runAll.value && runAll.value.finishedAt === null) runAll.value = { ...runAll.value, stopping: true };
  }

  return {
    panel,
    mode,
    message,
    picked,
    setup,
    results,
    errors,
    busy,
    catalog,
    catalogError,
    query,
    expanded,
    scenarios,
    scenariosError,
    runs,
    running,
    runAll,
    lab,
    result,
    error,
    catalogById,
    scenarioById,
    labRunning,
    setupProblem,
    diagnoseMessage,
    diagnoseExchange,
    openExchangeFile,
    checkSetup,
    loadCatalog,
    loadScenarios,
    loadLab,
    toggle,
    runScenario,
    runAllScenarios,
    stopAll,
  };
});
