import type { Exchange, ExchangeOutcome, HistoryExport, HistoryFilter } from '@api/index';
import { defineStore } from 'pinia';
import { computed, ref, shallowRef, watch } from 'vue';
import type { BenchClient } from '../api/client';
import { useBusy } from '../composables/busy';
import { useWorkspaceStore } from './workspace';

/** How long after the last event (or keystroke in the text filter) the list is read again. */
const REFRESH_DELAY_MS = 250;

export type HistorySource = Exchange['source'];
export type HistoryFilters = { source: HistorySource | ''; outcome: ExchangeOutcome | ''; text: string };

const SOURCES: readonly string[] = ['sasl', 'broker', 'probe', 'http', 'capture', 'replay', 'import'];
const OUTCOMES: readonly string[] = ['success', 'failure', 'pending'];

/** The filters as the history service takes them (empty ones left out). */
export function filterFor(filters: HistoryFilters): HistoryFilter {
  const text = filters.text.trim();
  return { ...(filters.source ? { source: filters.source } : {}), ...(filters.outcome ? { outcome: filters.outcome } : {}), ...(text ? { text } : {}) };
}

/**
 * The History view: this session's Exchanges as the engine's history service holds them (broker
 * connections, probe runs, SASL runs), newest first, narrowed by source, outcome and words; the one
 * shown and its selected step; the ones ticked for export or delete. Filters and the shown
 * Exchange are kept in the workspace. While the view is open, `broker.exchange` and
 * `probe.update` events read the list again (a moment after the last one: a connection sends one
 * per step).
 */
export const useHistoryStore = defineStore('history', () => {
  const workspace = useWorkspaceStore();
  const filters = ref<HistoryFilters>({ source: '', outcome: '', text: '' });
  // shallowRef: Exchanges carry decoded trees; every read replaces the list.
  const exchanges = shallowRef<Exchange[]>([]);
  /** How many Exchanges the session has, filters aside. */
  const total = ref(0);
  const selectedId = ref<string | null>(null);
  const selectedStep = ref<number | null>(null);
  /** Ticked in the list, for Export and Delete. */
  const checked = ref<string[]>([]);
  const loaded = ref(false);
  const { busy, error, run } = useBusy<'load' | 'export' | 'delete'>();
  const notice = ref<string | null>(null);
  let open = false;
  let subscribed = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let generation = 0;
  let client: BenchClient | null = null;

  workspace.persist(
    'history',
    () => ({ filters: { ...filters.value }, selectedId: selectedId.value }),
    (saved) => {
      const f = saved.filters;
      filters.value = {
        source: SOURCES.includes(f?.source) ? f.source : '',
        outcome: OUTCOMES.includes(f?.outcome) ? f.outcome : '',
        text: typeof f?.text === 'string' ? f.text : '',
      };
      selectedId.value = typeof saved.selectedId === 'string' ? saved.selectedId : null;
    },
  );

  const filtered = computed(() => Object.keys(filterFor(filters.value)).length > 0);
  const selected = computed(() => exchanges.value.find((e) => e.id === selectedId.value) ?? null);

  /** Reads the list (and the unfiltered count) again; an answer overtaken by a newer read is dropped. */
  async function refresh(bench: BenchClient): Promise<void> {
    const mine = ++generation;
    const filter = filterFor(filters.value);
    try {
      const [list, all] = await Promise.all([bench.api.history.list(filter), Object.keys(filter).length ? bench.api.history.list() : null]);
      if (mine !== generation) return;
      exchanges.value = list;
      total.value = all ? all.length : list.length;
      const ids = new Set(list.map((e) => e.id));
      checked.value = checked.value.filter((id) => ids.has(id));
      error.value = null;
    } catch (e) {
      if (mine === generation) error.value = (e as Error).message;
    } finally {
      if (mine === generation) loaded.value = true;
    }
  }

  function later(): void {
    clearTimeout(timer);
    timer = setTimeout(() => client && open && void refresh(client), REFRESH_DELAY_MS);
  }

  /** The view opened: read the list now and follow new Exchanges until close(). */
  async function openView(bench: BenchClient): Promise<void> {
    client = bench;
    open = true;
    if (!subscribed) {
      subscribed = true;
      bench.on('broker.exchange', later);
      bench.on('probe.update', later);
    }
    await refresh(bench);
  }

  function closeView(): void {
    open = false;
    clearTimeout(timer);
  }

  watch(filters, later, { deep: true });

  function select(id: string | null): void {
    if (id === selectedId.value) return;
    selectedId.value = id;
    selectedStep.value = null;
  }

  function toggleChecked(id: string): void {
    checked.value = checked.value.includes(id) ? checked.value.filter((c) => c !== id) : [...checked.value, id];
  }

  /** Ticks every listed Exchange, or none when all are ticked already. */
  function toggleAll(): void {
    checked.value = checked.value.length === exchanges.value.length ? [] : exchanges.value.map((e) => e.id);
  }

  /** The Exchanges as a file: these ids, or every one of the session when omitted. */
  async function exportFile(bench: BenchClient, ids?: string[]): Promise<HistoryExport | undefined> {
    notice.value = null;
    const file = await run('export', () => bench.api.history.export(ids));
    if (file) notice.value = `Exported ${file.count} Exchange${file.count === 1 ? '' : 's'} as ${file.fileName}.`;
    return file;
  }

  /** Deletes these Exchanges, or every one of the session when `ids` is 'all'. */
  async function remove(bench: BenchClient, ids: string[] | 'all'): Promise<void> {
    notice.value = null;
    const count = await run('delete', () => (ids === 'all' ? bench.api.history.clear() : bench.api.history.remove(ids)));
    if (count === undefined) return;
    notice.value = `Deleted ${count} Exchange${count === 1 ? '' : 's'}.`;
    if (ids === 'all' || (selectedId.value && ids.includes(selectedId.value))) select(null);
    checked.value = ids === 'all' ? [] : checked.value.filter((id) => !ids.includes(id));
    await refresh(bench);
  }

  function clearFilters(): void {
    filters.value = { source: '', outcome: '', text: '' };
  }

  /** Another view's "show this Exchange": selected, and the filters cleared so it is in the list. */
  function reveal(id: string): void {
    clearFilters();
    select(id);
  }

  return {
    filters,
    exchanges,
    total,
    selectedId,
    selectedStep,
    checked,
    loaded,
    busy,
    error,
    notice,
    filtered,
    selected,
    refresh,
    openView,
    closeView,
    select,
    toggleChecked,
    toggleAll,
    exportFile,
    remove,
    clearFilters,
    reveal,
  };
});
