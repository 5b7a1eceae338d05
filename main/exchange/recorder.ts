import { randomUUID } from 'node:crypto';
import type { Exchange, ExchangeKeyFiles, ExchangeStep, ExchangeVerdict } from './model';

/**
 * Builds an Exchange as a conversation happens: steps get their index, time and elapsed time;
 * `finish` sets the verdict once. Listeners see each step as it is added (live views).
 */
export class ExchangeRecorder {
  readonly exchange: Exchange;
  private readonly started = performance.now();
  private readonly listeners = new Set<(step: ExchangeStep, exchange: Exchange) => void>();

  constructor(init: Pick<Exchange, 'source' | 'role' | 'mechanism'> & Partial<Pick<Exchange, 'service' | 'profile' | 'meta'>>) {
    this.exchange = {
      id: randomUUID(),
      startedAt: new Date().toISOString(),
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
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  add(step: Omit<ExchangeStep, 'index' | 'at' | 'elapsedMs'>): ExchangeStep {
    const full: ExchangeStep = {
      index: this.exchange.steps.length,
      at: new Date().toISOString(),
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
      this.exchange.finishedAt = new Date().toISOString();
    }
    return this.exchange;
  }
}
