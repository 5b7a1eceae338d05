/**
 * Running one proof (or one "test my config" step): timed, and never throwing — an error thrown
 * by the proof becomes its failed result, so one broken proof does not hide the others.
 */
import { performance } from 'node:perf_hooks';

/** A proof's result without its name and time. */
export type Outcome = { ok: boolean; detail: string };

export interface TimedOutcome extends Outcome {
  name: string;
  ms: number;
}

/** `failedPrefix` goes before the message of an error the proof threw ("the proof itself failed: "). */
export async function runProof(name: string, run: () => Promise<Outcome> | Outcome, failedPrefix = ''): Promise<TimedOutcome> {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  try {
    const outcome = await run();
    return { name, ok: outcome.ok, detail: outcome.detail, ms: ms() };
  } catch (error) {
    return { name, ok: false, detail: `${failedPrefix}${(error as Error).message}`, ms: ms() };
  }
}
