/**
 * The `system` service: what the bench needs from this machine and what it finds.
 */

/** How much a failing check matters. */
export type DoctorLevel = 'required' | 'recommended' | 'info';

/**
 * How an item is shown, the same words in the Doctor view and in `kbench doctor`: `ok`; `warn`
 * for a recommended or informational check that is not ok; `fail` for a required one.
 */
export type DoctorStatus = 'ok' | 'warn' | 'fail';

/** One line of `kbench doctor`: a thing the bench needs, and what was found. */
export interface DoctorItem {
  /** Stable identifier, e.g. `krb5kdc`, `kerberos-binding`, `default-realm`. */
  id: string;
  /** Short human title, e.g. "MIT KDC (krb5kdc)". */
  title: string;
  /** True when the bench can use what was found. */
  ok: boolean;
  level: DoctorLevel;
  /** `ok`, `warn` or `fail`: from `ok` and `level`, decided once by the engine. */
  status: DoctorStatus;
  /** What was found, in words: path, version, the real error. */
  detail: string;
  /** What to do when `ok` is false (a command where possible); empty when nothing is needed. */
  fix: string;
  version?: string;
  path?: string;
}

/** Progress of a running doctor, sent as the `system.doctorProgress` event. */
export interface DoctorProgress {
  done: number;
  total: number;
  /** The item just finished. */
  item: DoctorItem;
}

/** Where the engine runs and which versions it runs on. */
export interface AppInfo {
  name: string;
  version: string;
  /** `electron` (desktop window), `web` (browser over WebSocket) or `cli`. */
  runtime: 'electron' | 'web' | 'cli';
  platform: string;
  node: string;
  electron: string | null;
  /** Where the bench keeps its data (lab realms, saved Exchanges, settings). */
  dataDir: string;
}

export interface SystemService {
  /** Checks every tool, library and setting the bench relies on. Never throws for a missing tool. */
  doctor(): Promise<DoctorItem[]>;
  info(): Promise<AppInfo>;
}
