import type { Exchange, GssRuntime, HttpEndpointStatus, HttpMode, HttpServeOptions, RoleMapping, RoleMappingTestResult } from '@api/index';
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { BenchClient } from '../api/client';
import { useBusy } from '../composables/busy';
import { parseRoleMapping, roleMappingNameProblem, roleMappingText, ROLE_MAPPING_TEMPLATE, type RoleMappingProblem } from '../utils/role-mapping';
import { useWorkspaceStore } from './workspace';

/** How many requests the view keeps (newest first). */
const MAX_REQUESTS = 200;

export type HttpTab = 'endpoint' | 'mappings' | 'probe';
export type HttpBusy = 'serve' | 'stop' | 'sso' | 'save' | 'delete' | 'test' | 'mappings';

export interface HttpForm {
  mode: HttpMode;
  credentials: HttpServeOptions['credentials'];
  /** Empty: HTTP/localhost@REALM (lab), "*" for any key in the keytab. */
  spn: string;
  keytab: string;
  engine: GssRuntime;
  /** Empty: 9200 (elasticsearch) or 8090 (sso), a free one when taken. */
  port: number | '' | null;
  removeRealmName: boolean;
  basic: boolean;
  esConfig: string;
  ssoEnabled: boolean;
}

/** The role-mapping editor: a new mapping (original null) or an existing one by name. */
export interface RoleMappingDraft {
  name: string;
  original: string | null;
  text: string;
}

const newestFirst = (a: Exchange, b: Exchange) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0);

/**
 * The HTTP view's endpoint side: the serve form, the endpoint's status (every call and the
 * `http.status` event), its requests — one Exchange each, newest first, kept live by
 * `http.exchange` — the stored role mappings with the editor and the "test a user" result.
 */
export const useHttpStore = defineStore('http', () => {
  const tab = ref<HttpTab>('endpoint');
  const form = ref<HttpForm>({ mode: 'elasticsearch', credentials: 'lab', spn: '', keytab: '', engine: 'mit', port: null, removeRealmName: false, basic: false, esConfig: '', ssoEnabled: true });
  const status = shallowRef<HttpEndpointStatus | null>(null);
  // shallowRef: each event brings a whole new Exchange; decoded trees are large and never edited here.
  const requests = shallowRef<Exchange[]>([]);
  const selectedId = ref<string | null>(null);
  const selectedStep = ref<number | null>(null);
  const mappings = shallowRef<Record<string, RoleMapping>>({});
  const draft = ref<RoleMappingDraft | null>(null);
  /** What the engine said about the last save (ES's reason), shown under the editor. */
  const saveError = ref<string | null>(null);
  const testPrincipal = ref('alice@BENCH.TEST');
  const testResult = shallowRef<RoleMappingTestResult | null>(null);
  const { busy, error, run: runBusy } = useBusy<HttpBusy>();
  /** Which action the error belongs to: each panel shows its own. */
  const failed = ref<HttpBusy | null>(null);
  const loaded = ref(false);
  let subscribed = false;

  // The form, the tab, the selection and an unsaved draft survive a reload; requests and mappings
  // come back from the engine.
  useWorkspaceStore().persist(
    'http',
    () => ({ tab: tab.value, form: { ...form.value }, selectedId: selectedId.value, selectedStep: selectedStep.value, draft: draft.value ? { ...draft.value } : null, testPrincipal: testPrincipal.value }),
    (saved) => {
      tab.value = saved.tab ?? 'endpoint';
      form.value = { ...form.value, ...saved.form };
      selectedId.value = saved.selectedId;
      selectedStep.value = saved.selectedStep;
      draft.value = saved.draft;
      testPrincipal.value = saved.testPrincipal ?? testPrincipal.value;
    },
  );

  async function run<T>(what: HttpBusy, action: () => Promise<T>): Promise<T | undefined> {
    const result = await runBusy(what, action);
    failed.value = error.value ? what : null;
    return result;
  }
  /** The endpoint panel's error (serve, stop, SSO) and the role-mapping panel's. */
  const endpointError = computed(() => (failed.value === 'serve' || failed.value === 'stop' || failed.value === 'sso' ? error.value : null));
  const mappingError = computed(() => (failed.value === 'delete' || failed.value === 'test' || failed.value === 'mappings' ? error.value : null));

  const running = computed(() => status.value?.running === true);
  const selected = computed(() => requests.value.find((e) => e.id === selectedId.value) ?? requests.value[0] ?? null);
  const mappingNames = computed(() => Object.keys(mappings.value).sort());
  const draftParse = computed(() => (draft.value ? parseRoleMapping(draft.value.text) : null));
  const draftProblems = computed<RoleMappingProblem[]>(() => {
    const d = draft.value;
    if (!d) return [];
    const nameProblem = roleMappingNameProblem(d.name);
    const parsed = draftParse.value;
    return [...(nameProblem ? [{ path: 'name', message: nameProblem }] : []), ...(parsed && !parsed.ok ? parsed.problems : [])];
  });

  function upsert(exchange: Exchange): void {
    const list = requests.value;
    const at = list.findIndex((e) => e.id === exchange.id);
    if (at >= 0) {
      const next = list.slice();
      next[at] = exchange;
      requests.value = next;
    } else {
      requests.value = [exchange, ...list].sort(newestFirst).slice(0, MAX_REQUESTS);
    }
  }

  function subscribe(bench: BenchClient): void {
    if (subscribed) return;
    subscribed = true;
    bench.on('http.exchange', (exchange) => upsert(exchange));
    bench.on('http.status', (next) => (status.value = next));
  }

  async function load(bench: BenchClient): Promise<void> {
    subscribe(bench);
    try {
      const [next, recent, stored] = await Promise.all([bench.api.http.status(), bench.api.http.exchanges(), bench.api.http.roleMappings()]);
      status.value = next;
      mappings.value = stored;
      // Events that came in meanwhile are newer than this snapshot: keep them.
      const known = new Set(requests.value.map((e) => e.id));
      const missing = recent.filter((e) => !known.has(e.id));
      if (missing.length) requests.value = [...requests.value, ...missing].sort(newestFirst).slice(0, MAX_REQUESTS);
      error.value = null;
    } catch (e) {
      error.value = (e as Error).message;
      failed.value = 'serve';
    } finally {
      loaded.value = true;
    }
  }

  function options(): HttpServeOptions {
    const f = form.value;
    const port = typeof f.port === 'number' && Number.isInteger(f.port) ? f.port : undefined;
    const es = f.mode === 'elasticsearch';
    return {
      mode: f.mode,
      credentials: f.credentials,
      engine: f.engine,
      ...(port !== undefined ? { port } : {}),
      ...(f.spn.trim() ? { spn: f.spn.trim() } : {}),
      ...(f.credentials === 'custom' && f.keytab.trim() ? { keytab: f.keytab.trim() } : {}),
      ...(es ? { removeRealmName: f.removeRealmName, basic: f.basic } : { ssoEnabled: f.ssoEnabled }),
      ...(es && f.esConfig.trim() ? { esConfig: f.esConfig.trim() } : {}),
    };
  }

  /** What is wrong with the form, in words, or null. */
  const formProblem = computed(() => {
    const f = form.value;
    if (f.port !== null && f.port !== '' && !(Number.isInteger(f.port) && f.port >= 0 && f.port <= 65535)) return 'The port is 0 to 65535 (0: any free port).';
    const spn = f.spn.trim();
    if (spn && spn !== '*' && !/^[^/@\s]+\/[^@\s]+(@[^@\s]+)?$/.test(spn)) return 'The SPN is HTTP/host@REALM (or * for any key the keytab holds).';
    if (f.credentials === 'custom' && !f.keytab.trim() && !(f.mode === 'elasticsearch' && f.esConfig.trim())) return 'Give the service keytab\'s path (or an elasticsearch.yml with keytab.path).';
    return null;
  });

  async function serve(bench: BenchClient): Promise<void> {
    subscribe(bench);
    if (busy.value) return;
    if (formProblem.value) {
      error.value = formProblem.value;
      failed.value = 'serve';
      return;
    }
    await run('serve', async () => {
      status.value = await bench.api.http.serve(options());
      requests.value = (await bench.api.http.exchanges().catch(() => [])).sort(newestFirst);
      selectedId.value = null;
      selectedStep.value = null;
    });
  }

  async function stop(bench: BenchClient): Promise<void> {
    if (busy.value) return;
    await run('stop', async () => void (status.value = await bench.api.http.stop()));
  }

  /** The console users' initial passwords, once revealed (never persisted; hidden again by hidePasswords). */
  const passwords = shallowRef<Record<string, string> | null>(null);

  async function revealPasswords(bench: BenchClient): Promise<void> {
    const revealed = await run('sso', () => bench.api.http.revealUserPasswords());
    if (revealed) passwords.value = revealed;
  }

  function hidePasswords(): void {
    passwords.value = null;
  }

  async function setSso(bench: BenchClient, enabled: boolean): Promise<void> {
    if (busy.value) return;
    await run('sso', async () => void (status.value = await bench.api.http.setSso(enabled)));
  }

  function select(id: string | null): void {
    if (id === selectedId.value) return;
    selectedId.value = id;
    selectedStep.value = null;
  }

  // ---- role mappings ----------------------------------------------------------------------------

  async function loadMappings(bench: BenchClient): Promise<void> {
    await run('mappings', async () => void (mappings.value = await bench.api.http.roleMappings()));
  }

  function edit(name: string | null): void {
    saveError.value = null;
    const existing = name ? mappings.value[name] : undefined;
    draft.value = existing && name ? { name, original: name, text: roleMappingText(existing) } : { name: '', original: null, text: roleMappingText(ROLE_MAPPING_TEMPLATE) };
  }

  function cancelEdit(): void {
    draft.value = null;
    saveError.value = null;
  }

  /** PUT the draft (a rename deletes the old name after the new one is stored). */
  async function saveDraft(bench: BenchClient): Promise<void> {
    const d = draft.value;
    const parsed = draftParse.value;
    if (!d || !parsed?.ok || draftProblems.value.length || busy.value) return;
    saveError.value = null;
    const name = d.name.trim();
    const done = await run('save', async () => {
      await bench.api.http.putRoleMapping(name, parsed.mapping);
      if (d.original && d.original !== name) await bench.api.http.deleteRoleMapping(d.original);
      mappings.value = await bench.api.http.roleMappings();
      return true;
    });
    if (done) draft.value = null;
    else saveError.value = error.value;
  }

  async function remove(bench: BenchClient, name: string): Promise<void> {
    await run('delete', async () => {
      await bench.api.http.deleteRoleMapping(name);
      mappings.value = await bench.api.http.roleMappings();
      if (draft.value?.original === name) draft.value = null;
    });
  }

  async function testUser(bench: BenchClient): Promise<void> {
    const principal = testPrincipal.value.trim();
    if (!principal || busy.value) return;
    const result = await run('test', () => bench.api.http.testRoleMapping({ principal }));
    if (result) testResult.value = result;
  }

  return {
    tab,
    form,
    status,
    passwords,
    revealPasswords,
    hidePasswords,
    requests,
    selectedId,
    selectedStep,
    mappings,
    mappingNames,
    draft,
    draftProblems,
    saveError,
    testPrincipal,
    testResult,
    busy,
    error,
    endpointError,
    mappingError,
    loaded,
    running,
    selected,
    formProblem,
    load,
    serve,
    stop,
    setSso,
    select,
    loadMappings,
    edit,
    cancelEdit,
    saveDraft,
    remove,
    testUser,
  };
});
