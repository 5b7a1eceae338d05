import { randomUUID } from 'node:crypto';
import type { Exchange, ExchangeKeyFiles, ExchangeStep, ExchangeVerdict } from './model';

/** "000Z" … "999Z": what follows the seconds in an ISO-8601 time. */
const MILLISECONDS = Array.from({ length: 1000 }, (_, ms) => `${String(ms).padStart(3, '0')}Z`);
let second = NaN;
let secondPrefix = '';
let lastMs = NaN;
let lastIso = '';

/**
 * The time now as ISO-8601 ("2026-12-07T09:05:33.123Z", as `toISOString` writes it). A broker
 * records several steps per connection: the date and time are formatted once per second, and
 * one string serves every step of the same millisecond.
 */
export function isoNow(): string {
  const ms = Date.now();
  if (ms === lastMs) return lastIso;
  const start = ms - (ms % 1000);
  if (start !== second) {
    second = start;
    secondPrefix = new Date(start).toISOString().slice(0, 20);
  }
  lastMs = ms;
  lastIso = secondPrefix + MILLISECONDS[ms - start]!;
  return lastIso;
}

/**
 * Builds an Exchange as a conversation happens: steps get their index, time and elapsed time;
 * `finish` sets the verdict once. Listeners see each step as it is added (live views).
 */
export class ExchangeRecorder {
  readonly exchange: Exchange;
  private readonly started = performance.now();
  /** Most recorders have one listener or none: a list, not a Set. */
  private readonly listeners: Array<(step: ExchangeStep, exchange: Exchange) => void> = [];

  constructor(init: Pick<Exchange, 'source' | 'role' | 'mechanism'> & Partial<Pick<Exchange, 'service' | 'profile' | 'meta'>>) {
    this.exchange = {
      id: randomUUID(),
      startedAt: isoNow(),
      steps: [],
      verdict: { outcome: 'pending', reason: 'in progress' },
      ...init,
    };
  }

  /** Notes a file whose keys this side decodes its steps with (the Exchange's keyFiles). */
  noteKeyFile(kind: keyof ExchangeKeyFiles, path: string): void {
    this.exchange.keyFiles = { ...this.exchange.keyFiles, [kind]: path };
  }

  onStep(listener: (step: ExchangeStep, exchange: Exchange) => void): () => void {
    this.listeners.push(listener);
    return () => {
      const at = this.listeners.indexOf(listener);
      if (at >= 0) this.listeners.splice(at, 1);
    };
  }

  add(step: Omit<ExchangeStep, 'index' | 'at' | 'elapsedMs'>): ExchangeStep {
    const full: ExchangeStep = {
      index: this.exchange.steps.length,
      at: isoNow(),
      elapsedMs: Math.round((performance.now() - this.started) * 1000) / 1000,
      ...step,
    };
    this.exchange.steps.push(full);
    for (const listener of this.listeners) listener(full, this.exchange);
    return full;
  }

  finish(verdict: ExchangeVerdict): Exchange {
    if (this.exchange.verdict.outcome === 'pending') {
      this.exchange.verdict = verdict;
      this.exchange.finishedAt = isoNow();
    }
    return this.exchange;
  }
}
