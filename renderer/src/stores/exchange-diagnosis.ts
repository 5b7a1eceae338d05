import type { Diagnosis, Exchange } from '@api/index';
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { BenchClient } from '../api/client';

/** How many Exchanges' diagnoses are kept (the broker keeps 200 connections; most succeed). */
const MAX_CACHED = 100;

export interface ExchangeDiagnosis {
  state: 'pending' | 'done' | 'error';
  diagnosis: Diagnosis | null;
  error: string | null;
  /** What the diagnosis was made of: an Exchange that changed since (a new step) is diagnosed again. */
  version: string;
}

/** An Exchange on its way to the Diagnose view, with where it came from in words. */
export interface ExchangeHandoff {
  exchange: Exchange;
  label: string;
}

const versionOf = (exchange: Exchange) => `${exchange.steps.length}|${exchange.verdict.outcome}|${exchange.verdict.code ?? ''}|${exchange.verdict.reason}`;

/**
 * Diagnoses of failed Exchanges, one per Exchange id, made once when a failed Exchange is first
 * shown (ExchangeViewer puts its top finding next to the Diagnose button) — and the hand-off of
 * an Exchange to the Diagnose view, which opens with it picked and diagnosed.
 */
export const useExchangeDiagnosisStore = defineStore('exchange-diagnosis', () => {
  const byId = ref<Record<string, ExchangeDiagnosis>>({});
  const handoff = shallowRef<ExchangeHandoff | null>(null);
  const inflight = new Map<string, Promise<Diagnosis | null>>();

  /** The cached diagnosis of this very Exchange (same id, same steps and verdict), if any. */
  function lookup(exchange: Exchange): ExchangeDiagnosis | null {
    const entry = byId.value[exchange.id];
    return entry && entry.version === versionOf(exchange) ? entry : null;
  }

  /** Diagnoses the Exchange unless it already was (or is being): one engine call per Exchange. */
  function ensure(bench: BenchClient, exchange: Exchange): Promise<Diagnosis | null> {
    const known = lookup(exchange);
    const version = versionOf(exchange);
    const key = `${exchange.id}|${version}`;
    if (known?.state === 'done') return Promise.resolve(known.diagnosis);
    if (known?.state === 'error') return Promise.resolve(null);
    const running = inflight.get(key);
    if (running) return running;
    byId.value = { ...trimmed(), [exchange.id]: { state: 'pending', diagnosis: null, error: null, version } };
    const call = bench.api.diagnose
      .diagnose({ exchange })
      .then((diagnosis) => {
        if (byId.value[exchange.id]?.version === version) byId.value = { ...byId.value, [exchange.id]: { state: 'done', diagnosis, error: null, version } };
        return diagnosis;
      })
      .catch((error: Error) => {
        if (byId.value[exchange.id]?.version === version) byId.value = { ...byId.value, [exchange.id]: { state: 'error', diagnosis: null, error: error.message, version } };
        return null;
      })
      .finally(() => inflight.delete(key));
    inflight.set(key, call);
    return call;
  }

  /** The cache without its oldest entries, leaving room for one more. */
  function trimmed(): Record<string, ExchangeDiagnosis> {
    const entries = Object.entries(byId.value);
    return entries.length < MAX_CACHED ? byId.value : Object.fromEntries(entries.slice(entries.length - MAX_CACHED + 1));
  }

  /** Sends an Exchange to the Diagnose view (which takes it when it opens). */
  function send(exchange: Exchange, label: string): void {
    handoff.value = { exchange, label };
  }

  /** The Exchange sent to the Diagnose view, once: null when there is none. */
  function take(): ExchangeHandoff | null {
    const next = handoff.value;
    handoff.value = null;
    return next;
  }

  return { byId, handoff, lookup, ensure, send, take };
});
