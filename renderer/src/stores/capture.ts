import type {
  CaptureExportFormat,
  CaptureProgress,
  CaptureReport,
  CaptureRow,
  CaptureVerdict,
  Exchange,
  FileSource,
  JsonValue,
  KeySource,
  ReplayMode,
  ReplayResult,
} from '@api/index';
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import { BenchCallError, type BenchClient } from '../api/client';
import { useBusy } from '../composables/busy';
import { formatSize, readPickedFile } from '../utils/bytes';
import { keyLabel, keptKeys, keySourcesOf } from '../utils/key-ring';
import { useWorkspaceStore } from './workspace';

export type CaptureProtocol = CaptureRow['protocol'];
export const CAPTURE_PROTOCOLS: readonly CaptureProtocol[] = ['mqtt', 'kerberos', 'http', 'ldap', 'gss'];
const VERDICTS: readonly string[] = ['success', 'failure', 'incomplete'];

export type CaptureSortKey = 'protocol' | 'method' | 'client' | 'principals' | 'ticket' | 'rounds' | 'verdict' | 'diagnosis' | 'frames' | 'startedAt';
const SORT_KEYS: readonly string[] = ['protocol', 'method', 'client', 'principals', 'ticket', 'rounds', 'verdict', 'diagnosis', 'frames', 'startedAt'];

export interface CaptureFilters {
  protocol: CaptureProtocol | '';
  verdict: CaptureVerdict | '';
  principal: string;
  server: string;
}

export interface RingKey {
  id: number;
  key: KeySource;
  /** What the ring shows (no secrets). */
  label: string;
}

export type CaptureTab = 'conversations' | 'timelines' | 'tls' | 'warnings';
const TABS: readonly string[] = ['conversations', 'timelines', 'tls', 'warnings'];

export interface ReplayForm {
  to: string;
  mode: ReplayMode;
  profile: 'lab' | 'system';
  service: string;
}

/** A scan on its way: the id it was started with (Cancel sends it), and the last progress event. */
export interface RunningScan {
  id: string;
  name: string;
  progress: CaptureProgress | null;
  startedAt: number;
  cancelling: boolean;
}

/**
 * The biggest capture read in the browser (drag and drop, "Choose file…"): it travels to the
 * engine in one message. Web mode's WebSocket takes messages up to 64 MiB, and base64 makes a
 * file a third bigger, so there the file itself may be 47 MiB; bigger files go by path.
 */
export const MAX_PICKED_BYTES = 64 * 1024 * 1024;
export const MAX_PICKED_BYTES_WEB = Math.floor(((MAX_PICKED_BYTES - 64 * 1024) * 3) / 4);
/** The largest file this runtime takes as bytes, and how to say so. */
export function pickLimit(runtime: 'electron' | 'web'): { bytes: number; text: string } {
  return runtime === 'web'
    ? { bytes: MAX_PICKED_BYTES_WEB, text: `${Math.floor(MAX_PICKED_BYTES_WEB / 1024 / 1024)} MiB (web mode sends the file in one 64 MiB message)` }
    : { bytes: MAX_PICKED_BYTES, text: '64 MiB' };
}

/** A file picked or dropped, as bytes for the engine — or why it cannot be (too big: give its path instead). */
export async function readCaptureFile(file: File, runtime: 'electron' | 'web'): Promise<FileSource> {
  const limit = pickLimit(runtime);
  if (file.size > limit.bytes) {
    throw new Error(`${file.name} is ${formatSize(file.size)}: files picked or dropped here are read up to ${limit.text}. Type its path on the engine's machine instead — the engine reads it from disk, whatever its size.`);
  }
  return readPickedFile(file);
}

/** A report's table is kept across a reload when its JSON is at most this big (the workspace keeps 512 KiB per view). */
const MAX_KEPT_REPORT = 400_000;


/** "mqtt/localhost@BENCH.TEST kvno 2 aes256-cts-hmac-sha1-96". */
export function ticketText(ticket: CaptureRow['ticket']): string {
  if (!ticket) return '';
  return `${ticket.sname}${ticket.kvno === null ? '' : ` kvno ${ticket.kvno}`} ${ticket.enctype}`;
}

/** "08:50:47.123" in local time: within a capture, milliseconds tell conversations apart. */
export function clockTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/** ✓ success, ✗ failure, … incomplete (the verdict marks of utils/exchange, for a table row). */
export const rowMark = (verdict: CaptureVerdict): string => (verdict === 'success' ? '✓' : verdict === 'failure' ? '✗' : '…');

function sortValue(row: CaptureRow, key: CaptureSortKey): string | number {
  switch (key) {
    case 'client':
      return `${row.client} ${row.server}`;
    case 'principals':
      return row.principals.join(' ');
    case 'ticket':
      return ticketText(row.ticket);
    case 'diagnosis':
      return row.diagnosisTitle ?? row.diagnosis ?? '';
    case 'verdict':
      return `${row.verdict} ${row.code ?? ''}`;
    case 'rounds':
    case 'frames':
      return row[key];
    default:
      return row[key];
  }
}

/** The rows that pass the filters, sorted (ties keep the capture's order). */
export function visibleRows(rows: readonly CaptureRow[], filters: CaptureFilters, sort: { key: CaptureSortKey; dir: 'asc' | 'desc' }): CaptureRow[] {
  const principal = filters.principal.trim().toLowerCase();
  const server = filters.server.trim().toLowerCase();
  const shown = rows.filter(
    (r) =>
      (!filters.protocol || r.protocol === filters.protocol) &&
      (!filters.verdict || r.verdict === filters.verdict) &&
      (!principal || r.principals.some((p) => p.toLowerCase().includes(principal)) || (r.ticket?.sname.toLowerCase().includes(principal) ?? false)) &&
      (!server || r.server.toLowerCase().includes(server)),
  );
  const sign = sort.dir === 'asc' ? 1 : -1;
  const at = new Map(rows.map((r, i) => [r.id, i]));
  return shown.sort((a, b) => {
    const x = sortValue(a, sort.key);
    const y = sortValue(b, sort.key);
    const order = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y), undefined, { numeric: true });
    return order !== 0 ? sign * order : at.get(a.id)! - at.get(b.id)!;
  });
}

/** The engine no longer holds this capture (it restarted, or dropped the scan): the rows are kept, the Exchanges are not. */
export function isUnknownCapture(error: unknown): boolean {
  if (!(error instanceof BenchCallError)) return false;
  const details = error.details as { reason?: string } | undefined;
  if (details?.reason === 'unknown-capture') return true;
  return error.code === 'failed' && /capture/i.test(error.message) && /unknown|no longer|not found|no such|expired/i.test(error.message);
}

function newId(): string {
  return typeof crypto.randomUUID === 'function' ? crypto.randomUUID() : `scan-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

/**
 * The Captures view: the capture to open (a path on the engine's machine, or bytes picked or
 * dropped in the browser), the TLS key log and the key ring; the running scan (its id, so Cancel
 * can stop it, and its `capture.progress` events); the report — the conversation table, the
 * per-client timelines, TLS connections, what each key opened, warnings — with its filters, sort
 * and selected row; the selected Exchange, fully decoded (capture.exchange); export; replay.
 *
 * What survives a reload: the path, the key log and keytab/ccache files by path, filters, sort,
 * the selected row, the replay form, and the report's table when it is small enough. Passwords
 * and raw keys are never written. The Exchanges themselves live in the engine's memory: after an
 * engine restart the table is still shown, and selecting a row says to open the file again.
 */
export const useCaptureStore = defineStore('capture', () => {
  const workspace = useWorkspaceStore();

  // ---- what to open --------------------------------------------------------------------------------
  /** The path field (the engine's machine). */
  const path = ref('');
  /** The capture last scanned (a path, or bytes picked in the browser — bytes are not kept across a reload). */
  const source = shallowRef<FileSource | null>(null);
  const keylog = shallowRef<FileSource | null>(null);
  const keys = ref<RingKey[]>([]);
  let nextKeyId = 1;

  // ---- the scan and its report ---------------------------------------------------------------------
  const scan = ref<RunningScan | null>(null);
  // shallowRef: a report can hold thousands of rows; it is replaced, never edited.
  const report = shallowRef<CaptureReport | null>(null);
  /** The report came from saved Exchange JSON (capture.open), not from a scan: its Exchanges are here. */
  const opened = shallowRef<Map<string, Exchange> | null>(null);
  /** The engine no longer knows the report's capture id (restarted): open the file again. */
  const stale = ref(false);
  /** The report's table was too big to keep across the reload that just happened. */
  const lost = ref<string | null>(null);

  // ---- the table -----------------------------------------------------------------------------------
  const filters = ref<CaptureFilters>({ protocol: '', verdict: '', principal: '', server: '' });
  const sort = ref<{ key: CaptureSortKey; dir: 'asc' | 'desc' }>({ key: 'startedAt', dir: 'asc' });
  const tab = ref<CaptureTab>('conversations');
  const keysOpen = ref(false);
  const selectedId = ref<string | null>(null);
  const selectedStep = ref<number | null>(null);
  const checked = ref<string[]>([]);
  const exchange = shallowRef<Exchange | null>(null);
  const exchangeError = ref<string | null>(null);
  const loadingExchange = ref(false);

  // ---- replay --------------------------------------------------------------------------------------
  const replayForm = ref<ReplayForm>({ to: '', mode: 'verbatim', profile: 'lab', service: '' });
  const replay = shallowRef<ReplayResult | null>(null);
  /** Which Exchange the replay result belongs to. */
  const replayOf = ref<string | null>(null);
  const replayStep = ref<number | null>(null);

  const { busy, error, run } = useBusy<'scan' | 'export' | 'open' | 'replay'>();
  const notice = ref<string | null>(null);

  const rows = computed(() => report.value?.exchanges ?? []);
  const shown = computed(() => visibleRows(rows.value, filters.value, sort.value));
  const filtered = computed(() => !!(filters.value.protocol || filters.value.verdict || filters.value.principal.trim() || filters.value.server.trim()));
  const selectedRow = computed(() => rows.value.find((r) => r.id === selectedId.value) ?? null);
  const rowById = computed(() => new Map(rows.value.map((r) => [r.id, r])));

  // ---- the key ring: keytabs and ccaches by path are kept; passwords and raw keys never are ---------
  function addKey(key: KeySource): void {
    keys.value = [...keys.value, { id: nextKeyId++, key, label: keyLabel(key) }];
    if ((key.kind === 'keytab' || key.kind === 'ccache') && 'path' in key.source) workspace.noteRecent(key.kind, key.source.path);
  }
  function removeKey(id: number): void {
    keys.value = keys.value.filter((k) => k.id !== id);
  }
  /** Keys added since the last scan (or removed): "Rescan with these keys" is worth it. */
  const scannedWith = ref<string | null>(null);
  const keySignature = computed(() => `${keys.value.map((k) => k.id).join(',')}|${keylog.value ? ('path' in keylog.value ? keylog.value.path : keylog.value.name) : ''}`);
  const keysChanged = computed(() => !!report.value && !opened.value && scannedWith.value !== null && scannedWith.value !== keySignature.value);

  // ---- scanning ------------------------------------------------------------------------------------
  let subscribed = false;
  function subscribe(bench: BenchClient): void {
    if (subscribed) return;
    subscribed = true;
    bench.on('capture.progress', (p) => {
      if (scan.value && p.id === scan.value.id) scan.value = { ...scan.value, progress: p };
    });
  }

  const sourceName = (s: FileSource) => ('path' in s ? s.path : s.name);

  /** Reads the capture with the key ring and the key log; progress arrives as events until it resolves. */
  async function open(bench: BenchClient, what: FileSource): Promise<void> {
    subscribe(bench);
    if (scan.value) return;
    const id = newId();
    scan.value = { id, name: sourceName(what), progress: null, startedAt: Date.now(), cancelling: false };
    notice.value = null;
    const signature = keySignature.value;
    const result = await run('scan', () =>
      bench.api.capture.scan({ id, source: what, ...(keys.value.length ? { keys: keys.value.map((k) => k.key) } : {}), ...(keylog.value ? { keylog: keylog.value } : {}) }),
    );
    scan.value = null;
    if (!result) return;
    source.value = what;
    if ('path' in what) path.value = what.path;
    scannedWith.value = signature;
    setReport(result, null);
  }

  async function rescan(bench: BenchClient): Promise<void> {
    if (source.value) await open(bench, source.value);
    else if (path.value.trim()) await open(bench, { path: path.value.trim() });
  }

  async function cancel(bench: BenchClient): Promise<void> {
    const running = scan.value;
    if (!running || running.cancelling) return;
    scan.value = { ...running, cancelling: true };
    try {
      await bench.api.capture.cancel(running.id);
    } catch (e) {
      error.value = `Could not cancel: ${(e as Error).message}`;
    }
  }

  function setReport(next: CaptureReport, local: Map<string, Exchange> | null): void {
    report.value = next;
    opened.value = local;
    stale.value = false;
    lost.value = null;
    replay.value = null;
    replayOf.value = null;
    const ids = new Set(next.exchanges.map((r) => r.id));
    checked.value = checked.value.filter((id) => ids.has(id));
    exchange.value = null;
    exchangeError.value = null;
    if (selectedId.value && !ids.has(selectedId.value)) selectedId.value = null;
    keepReport();
  }

  /** The report's table, for the next reload (when it fits the workspace); opened files are not kept. */
  function keepReport(): void {
    const r = report.value;
    if (!r || opened.value) return void workspace.saveView('captures.report', null);
    const text = JSON.stringify(r);
    const kept = sourceKept();
    // (through JSON: a report is plain data, the workspace's JsonValue type does not know its shape)
    if (text.length <= MAX_KEPT_REPORT) workspace.saveView('captures.report', { report: JSON.parse(text) as JsonValue, source: kept });
    else workspace.saveView('captures.report', { file: r.file, exchanges: r.exchanges.length, source: kept });
  }
  const sourceKept = (): { path: string } | { name: string } | null => (source.value ? ('path' in source.value ? { path: source.value.path } : { name: source.value.name }) : null);

  // ---- the selected Exchange -----------------------------------------------------------------------
  let loadGeneration = 0;
  /** Selects a row and loads its Exchange, fully decoded (from the engine, or from the opened file). */
  async function select(bench: BenchClient, id: string | null): Promise<void> {
    if (id !== selectedId.value) {
      selectedId.value = id;
      selectedStep.value = null;
    }
    await loadSelected(bench);
  }

  async function loadSelected(bench: BenchClient): Promise<void> {
    const id = selectedId.value;
    const r = report.value;
    const mine = ++loadGeneration;
    exchangeError.value = null;
    if (!id || !r) return void (exchange.value = null);
    if (exchange.value?.id === id) return;
    const local = opened.value?.get(id);
    if (local) return void (exchange.value = local);
    if (stale.value) return void (exchange.value = null);
    loadingExchange.value = true;
    try {
      const next = await bench.api.capture.exchange(r.id, id);
      if (mine === loadGeneration) exchange.value = next;
    } catch (e) {
      if (mine !== loadGeneration) return;
      exchange.value = null;
      if (isUnknownCapture(e)) stale.value = true;
      else exchangeError.value = (e as Error).message;
    } finally {
      if (mine === loadGeneration) loadingExchange.value = false;
    }
  }

  function toggleChecked(id: string): void {
    checked.value = checked.value.includes(id) ? checked.value.filter((c) => c !== id) : [...checked.value, id];
  }
  function toggleAll(): void {
    const ids = shown.value.map((r) => r.id);
    checked.value = ids.every((id) => checked.value.includes(id)) ? checked.value.filter((id) => !ids.includes(id)) : [...new Set([...checked.value, ...ids])];
  }
  function clearFilters(): void {
    filters.value = { protocol: '', verdict: '', principal: '', server: '' };
  }
  function sortBy(key: CaptureSortKey): void {
    sort.value = sort.value.key === key ? { key, dir: sort.value.dir === 'asc' ? 'desc' : 'asc' } : { key, dir: 'asc' };
  }

  // ---- export and open -----------------------------------------------------------------------------
  /** The selection as a file to download: { base64 | text, name }. */
  async function exportSelection(bench: BenchClient, ids: string[], format: CaptureExportFormat): Promise<{ base64?: string; text?: string; name: string } | undefined> {
    const r = report.value;
    if (!r || !ids.length) return undefined;
    notice.value = null;
    const local = opened.value;
    if (local) {
      const list = ids.map((id) => local.get(id)).filter((e): e is Exchange => !!e);
      const text = `${JSON.stringify(list.length === 1 ? { format: 'kbench-exchange', version: 1, exchange: list[0] } : list, null, 2)}\n`;
      notice.value = `Exported ${list.length} Exchange${list.length === 1 ? '' : 's'} as JSON.`;
      return { text, name: `${r.file.replace(/\.[^.]*$/, '')}-${list.length === 1 ? list[0]!.id : `${list.length}-exchanges`}.json` };
    }
    const file = await run('export', () => bench.api.capture.export(r.id, ids, format));
    if (!file) {
      if (error.value && /capture/i.test(error.value) && /unknown|no longer|not found|no such|expired/i.test(error.value)) stale.value = true;
      return undefined;
    }
    notice.value = `Exported ${ids.length} Exchange${ids.length === 1 ? '' : 's'} as ${file.name} (${file.bytes} bytes).`;
    return { base64: file.base64 ?? '', name: file.name };
  }

  /** Saved Exchange JSON (one, an array, or a bundle) as a table of its own. */
  async function openSaved(bench: BenchClient, what: FileSource): Promise<void> {
    notice.value = null;
    const result = await run('open', () => bench.api.capture.open(what));
    if (!result) return;
    const local = new Map(result.exchanges.map((e) => [e.id, e]));
    const name = sourceName(what);
    setReport(
      { id: `saved:${name}`, file: name, packets: 0, bytes: 0, durationMs: 0, exchanges: result.rows, timelines: [], tls: [], keys: [], warnings: [] },
      local,
    );
    tab.value = 'conversations';
    if (result.exchanges.length === 1) await select(bench, result.exchanges[0]!.id);
  }

  // ---- replay --------------------------------------------------------------------------------------
  async function runReplay(bench: BenchClient): Promise<void> {
    const e = exchange.value;
    const f = replayForm.value;
    if (!e || !f.to.trim()) return;
    replay.value = null;
    replayStep.value = null;
    const result = await run('replay', () =>
      bench.api.capture.replay({ exchange: e, to: f.to.trim(), mode: f.mode, ...(f.mode === 'fresh' ? { profile: f.profile } : {}), ...(f.mode !== 'verbatim' && f.service.trim() ? { service: f.service.trim() } : {}) }),
    );
    if (result) {
      replay.value = result;
      replayOf.value = e.id;
    }
  }

  // ---- what survives a reload ----------------------------------------------------------------------
  workspace.persist(
    'captures',
    () => ({
      path: path.value,
      source: sourceKept(),
      keylog: keylog.value && 'path' in keylog.value ? keylog.value.path : null,
      keys: keptKeys(keys.value.map((k) => k.key)).kept.map((k) => ({ ...k })),
      filters: { ...filters.value },
      sort: { ...sort.value },
      tab: tab.value,
      keysOpen: keysOpen.value,
      selectedId: selectedId.value,
      replay: { ...replayForm.value },
    }),
    (saved) => {
      path.value = typeof saved.path === 'string' ? saved.path : '';
      const s = saved.source as { path?: unknown; name?: unknown } | null;
      // A file picked in the browser comes back by name only: its bytes are gone ("Open the file again").
      source.value = s && typeof s.path === 'string' ? { path: s.path } : null;
      keylog.value = typeof saved.keylog === 'string' && saved.keylog ? { path: saved.keylog } : null;
      keys.value = keySourcesOf(saved.keys).map((key) => ({ id: nextKeyId++, key, label: keyLabel(key) }));
      const f = saved.filters ?? ({} as Partial<CaptureFilters>);
      filters.value = {
        protocol: CAPTURE_PROTOCOLS.includes(f.protocol as CaptureProtocol) ? (f.protocol as CaptureProtocol) : '',
        verdict: VERDICTS.includes(f.verdict ?? '') ? (f.verdict as CaptureVerdict) : '',
        principal: typeof f.principal === 'string' ? f.principal : '',
        server: typeof f.server === 'string' ? f.server : '',
      };
      if (saved.sort && SORT_KEYS.includes(saved.sort.key)) sort.value = { key: saved.sort.key, dir: saved.sort.dir === 'desc' ? 'desc' : 'asc' };
      tab.value = TABS.includes(saved.tab) ? saved.tab : 'conversations';
      keysOpen.value = saved.keysOpen === true;
      selectedId.value = typeof saved.selectedId === 'string' ? saved.selectedId : null;
      const r = saved.replay as Partial<ReplayForm> | undefined;
      if (r) {
        replayForm.value = {
          to: typeof r.to === 'string' ? r.to : '',
          mode: r.mode === 'fresh' || r.mode === 'lab' ? r.mode : 'verbatim',
          profile: r.profile === 'system' ? 'system' : 'lab',
          service: typeof r.service === 'string' ? r.service : '',
        };
      }
    },
  );
  // The report's table, kept apart (written when a report arrives, not on every change).
  const keptReport = workspace.viewState('captures.report') as { report?: CaptureReport; file?: string; exchanges?: number; source?: { path?: string; name?: string } | null } | null | undefined;
  if (keptReport?.report && Array.isArray(keptReport.report.exchanges)) {
    report.value = keptReport.report;
    // The engine may still hold it (only the page reloaded): the first selection finds out.
    scannedWith.value = keySignature.value;
  } else if (keptReport?.file) {
    lost.value = `${keptReport.file} (${keptReport.exchanges ?? 0} conversations)`;
    selectedId.value = null;
  } else {
    selectedId.value = null;
  }

  /** The name the file came back with after a reload, when its bytes are gone. */
  const keptName = computed(() => keptReport?.source?.name ?? null);

  return {
    path,
    source,
    keylog,
    keys,
    scan,
    report,
    opened,
    stale,
    lost,
    keptName,
    filters,
    sort,
    tab,
    keysOpen,
    selectedId,
    selectedStep,
    checked,
    exchange,
    exchangeError,
    loadingExchange,
    replayForm,
    replay,
    replayOf,
    replayStep,
    busy,
    error,
    notice,
    rows,
    shown,
    filtered,
    selectedRow,
    rowById,
    keysChanged,
    subscribe,
    addKey,
    removeKey,
    open,
    rescan,
    cancel,
    select,
    loadSelected,
    toggleChecked,
    toggleAll,
    clearFilters,
    sortBy,
    exportSelection,
    openSaved,
    runReplay,
  };
});
