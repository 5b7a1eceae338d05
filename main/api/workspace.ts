/**
 * The `workspace` and `history` services: what the bench remembers for the user.
 *
 * Workspace: each view's state (what was open, pane sizes, form fields), saved connections
 * (probe targets, broker listener sets, decoder key rings — as MQTTX keeps its connections) and
 * recently opened files, in one file in the data directory, so a reload or a restart brings the
 * views back. Passwords and raw keys are never written there: a saved key ring keeps keytab
 * paths and principal names, and says which secrets it left out.
 *
 * History: every Exchange of this engine session (broker connections, probe runs, SASL runs,
 * scenarios) in one list, with filters, export and delete.
 */
import type { Exchange, ExchangeOutcome } from '../exchange/model';

/** Plain JSON: what a view's state may hold. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export type SavedItemKind = 'probe-target' | 'broker-listeners' | 'decoder-keyring';

export interface SavedItem {
  id: string;
  kind: SavedItemKind;
  /** The name the user gave it ("lab broker, step mode"). */
  name: string;
  value: JsonValue;
  savedAt: string;
}

export type RecentFileKind = 'keytab' | 'ccache' | 'krb5.conf' | 'decoder';

export interface RecentFile {
  kind: RecentFileKind;
  path: string;
  openedAt: string;
}

export interface WorkspaceSnapshot {
  /** Each view's state by view key ("decoder", "probe", "panes", "route" …). */
  views: Record<string, JsonValue>;
  saved: SavedItem[];
  /** Most recent first, per kind at most 10. */
  recent: RecentFile[];
  /** The file all this lives in. */
  file: string;
  /** Set when the file could not be read: where the unreadable copy was put aside, and why. */
  recovered?: string;
}

export interface WorkspaceService {
  load(): Promise<WorkspaceSnapshot>;
  /** Replaces one view's state (the UI calls it a moment after a change). */
  saveView(view: string, state: JsonValue): Promise<void>;
  /** Saves a new item, or replaces the one with the same id. */
  saveItem(item: { id?: string; kind: SavedItemKind; name: string; value: JsonValue }): Promise<SavedItem>;
  removeItem(id: string): Promise<void>;
  /** Notes a file the user opened; returns the recent list. */
  addRecent(file: { kind: RecentFileKind; path: string }): Promise<RecentFile[]>;
}

export interface HistoryFilter {
  source?: Exchange['source'];
  outcome?: ExchangeOutcome;
  /** Words that must all appear in the mechanism, service, principal, verdict or meta. */
  text?: string;
}

export interface HistoryExport {
  /** A suggested file name: "kbench-exchanges-2026-12-06T07-30-00.json". */
  fileName: string;
  /** `{ format: 'kbench-exchanges', version: 1, exchanges: [...] }`, or one kbench-exchange file. */
  json: string;
  count: number;
}

export interface HistoryService {
  /** This session's Exchanges, newest first. */
  list(filter?: HistoryFilter): Promise<Exchange[]>;
  /** Removes these Exchanges from the list; returns how many were removed. */
  remove(ids: string[]): Promise<number>;
  clear(): Promise<number>;
  /** The Exchanges as a file (all of them when ids is omitted). */
  export(ids?: string[]): Promise<HistoryExport>;
}
