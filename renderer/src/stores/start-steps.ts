/**
 * The Start-here path as data: its six steps in order, what counts as done, which step is next,
 * and where in a probe Exchange the AP-REQ is. Kept apart from the store so it can be tested
 * without an engine.
 */
import type { Exchange, ExchangeStep } from '@api/index';

export const START_STEPS = ['lab', 'broker', 'probe', 'token', 'scenario', 'diagnose'] as const;
export type StartStepId = (typeof START_STEPS)[number];

/** The scenario "break something" runs: a key rotation that leaves the broker a stale keytab. */
export const START_SCENARIO = 'stale-keytab';
/** The GSS service name of the lab broker's principal mqtt/localhost. */
export const START_SERVICE = 'mqtt@localhost';

/** When each step was done (ISO-8601), or null. */
export type StartTicks = Record<StartStepId, string | null>;

export const noTicks = (): StartTicks => ({ lab: null, broker: null, probe: null, token: null, scenario: null, diagnose: null });

/** A step is done when it was ticked, or when the real state shows it (the lab is up already). */
export function doneSteps(ticks: StartTicks, live: Partial<Record<StartStepId, boolean>>): Record<StartStepId, boolean> {
  return Object.fromEntries(START_STEPS.map((id) => [id, ticks[id] !== null || live[id] === true])) as Record<StartStepId, boolean>;
}

/** The first step not done yet, or null when the path is complete. */
export function nextStep(done: Record<StartStepId, boolean>): StartStepId | null {
  return START_STEPS.find((id) => !done[id]) ?? null;
}

/**
 * The step carrying the client's AP-REQ: the first client-to-server token the recorder called an
 * AP-REQ (the GSS initial context token in CONNECT), else the first client token at all.
 */
export function apReqStep(exchange: Exchange): ExchangeStep | null {
  const sent = exchange.steps.filter((s) => s.direction === 'client-to-server' && !!s.token);
  return sent.find((s) => /AP-REQ/.test(s.tokenKind ?? '')) ?? sent[0] ?? null;
}

/** Saved ticks from an older or hand-edited workspace: only known steps, only strings. */
export function ticksFrom(saved: unknown): StartTicks {
  const ticks = noTicks();
  if (!saved || typeof saved !== 'object') return ticks;
  for (const id of START_STEPS) {
    const at = (saved as Record<string, unknown>)[id];
    if (typeof at === 'string') ticks[id] = at;
  }
  return ticks;
}
