/**
 * "Check my setup": shared shapes of the environment checks. Each check records what it verified
 * (a `check`, ok or not, so a UI can show what was looked at) and, when something is wrong, a
 * `Finding` with the evidence it saw. Nothing here throws for a broken setup.
 */
import type { Finding, FindingEvidence, SetupCheck, SetupMeasurement } from '../../api/diagnose';
import { checkTitle } from './titles';

export interface EnvironmentCheckInput {
  /** The environment MIT would see (KRB5_CONFIG, KRB5CCNAME, KRB5_KTNAME …). */
  env: NodeJS.ProcessEnv;
  /** The service principal clients ask for, "mqtt/broker.example.com@EXAMPLE.COM" (optional). */
  principal?: string;
  /** The acceptor's keytab (default: what KRB5_KTNAME / default_keytab_name says). */
  keytab?: string;
  /** Per-probe network timeout (default 1500 ms). */
  timeoutMs?: number;
}

export type EnvironmentCheck = SetupCheck;

export interface EnvironmentReport {
  findings: Finding[];
  checks: EnvironmentCheck[];
}

export const DEFAULT_TIMEOUT_MS = 1500;

export type { Finding, FindingEvidence, SetupMeasurement };

/** What a check function returns: its verdict in one line, and what it measured (shown even when ok). */
export interface CheckOutcome {
  ok: boolean;
  detail: string;
  measured?: SetupMeasurement[];
}

/** A measurement; `note` and `unit` only when given (JSON stays free of undefined keys). */
export function measure(label: string, value: number | string, unit?: string, note?: string): SetupMeasurement {
  return { label, value, ...(unit ? { unit } : {}), ...(note ? { note } : {}) };
}

/** Collects checks and findings from checks that run concurrently. */
export class Collector {
  readonly checks: EnvironmentCheck[] = [];
  readonly findings: Finding[] = [];

  finding(finding: Finding): void {
    this.findings.push({ ...finding, confidence: Math.max(0, Math.min(1, finding.confidence)) });
  }

  /** Records a check that needed no work of its own (its verdict was computed elsewhere). */
  record(id: string, outcome: CheckOutcome, elapsedMs = 0): void {
    const { ok, detail, measured = [] } = outcome;
    this.checks.push({ id, title: checkTitle(id), ok, detail, elapsedMs: Math.round(elapsedMs), measured });
  }

  /**
   * Runs one check and records it with its time. A bug in a check must not take the whole report
   * down, so an exception becomes a failed check that says so.
   */
  async run(id: string, check: () => Promise<CheckOutcome> | CheckOutcome): Promise<CheckOutcome> {
    const started = performance.now();
    let outcome: CheckOutcome;
    try {
      outcome = await check();
    } catch (error) {
      outcome = { ok: false, detail: `the check itself failed: ${error instanceof Error ? error.message : String(error)}` };
    }
    this.record(id, outcome, performance.now() - started);
    return outcome;
  }
}

/** Resolves with `fallback` when `promise` has not settled within `ms` (the promise is left to finish alone). */
export function withTimeout<T>(promise: Promise<T>, ms: number, fallback: () => T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Error code or message of anything thrown, in one short line. */
export function errorText(error: unknown): string {
  const err = error as NodeJS.ErrnoException;
  if (err && typeof err.code === 'string') return err.message.includes(err.code) ? err.message : `${err.code}: ${err.message}`;
  return error instanceof Error ? error.message : String(error);
}

/** `VAR=value …` prefix so a copied command runs against the same files the check looked at. */
export function envPrefix(env: NodeJS.ProcessEnv, names: readonly string[] = ['KRB5_CONFIG']): string {
  const parts = names.filter((n) => env[n]).map((n) => `${n}=${shellQuote(env[n]!)}`);
  return parts.length ? `${parts.join(' ')} ` : '';
}

export function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
