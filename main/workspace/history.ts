/**
 * The history service: every Exchange this engine saw in this session, newest first — broker
 * connections and probe runs (from their events), SASL runs and scenarios (from their results;
 * engine/index.ts taps them). An Exchange that changes (a new step, a verdict) replaces its
 * earlier copy; one with no steps yet is left out. At most MAX_EXCHANGES are kept; the oldest go first.
 */
import type { HistoryExport, HistoryFilter, HistoryService } from '../api/workspace';
import type { Exchange } from '../exchange/model';
import { EXCHANGE_VERSION, EXCHANGES_FORMAT, serializeExchange } from '../exchange/serialize';

const MAX_EXCHANGES = 1000;
export { EXCHANGES_FORMAT };

/** The text a filter's words are looked for in. */
function searchText(exchange: Exchange): string {
  return [
    exchange.source,
    exchange.role,
    exchange.mechanism,
    exchange.service,
    exchange.profile,
    exchange.identity?.principal,
    exchange.verdict.outcome,
    exchange.verdict.reason,
    exchange.verdict.code,
    ...Object.values(exchange.meta ?? {}),
  ]
    .filter(Boolean)
    .join(' ')
    .toLowerCase();
}

function matches(exchange: Exchange, filter: HistoryFilter): boolean {
  if (filter.source && exchange.source !== filter.source) return false;
  if (filter.outcome && exchange.verdict.outcome !== filter.outcome) return false;
  const words = (filter.text ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return true;
  const text = searchText(exchange);
  return words.every((word) => text.includes(word));
}

export class HistoryServiceImpl implements HistoryService {
  /** By id, in the order first seen (a Map keeps insertion order). */
  private readonly exchanges = new Map<string, Exchange>();

  /** Adds an Exchange, or replaces the earlier copy of the same one. */
  record(exchange: Exchange): void {
    // A run prepared but not started yet (a SASL run before its first step) is not history.
    if (!exchange.steps.length && !this.exchanges.has(exchange.id)) return;
    // Kept as handed over, not copied: the broker and SASL hand their live Exchange, which is then
    // always the latest; copying on every step would clone whole decoded trees per packet.
    // Readers get copies (list) or text (export).
    this.exchanges.set(exchange.id, exchange);
    while (this.exchanges.size > MAX_EXCHANGES) this.exchanges.delete(this.exchanges.keys().next().value!);
  }

  async list(filter: HistoryFilter = {}): Promise<Exchange[]> {
    return structuredClone([...this.exchanges.values()].filter((e) => matches(e, filter)).reverse());
  }

  async remove(ids: string[]): Promise<number> {
    return ids.filter((id) => this.exchanges.delete(id)).length;
  }

  async clear(): Promise<number> {
    const count = this.exchanges.size;
    this.exchanges.clear();
    return count;
  }

  async export(ids?: string[]): Promise<HistoryExport> {
    const chosen = ids ? ids.map((id) => this.exchanges.get(id)).filter((e): e is Exchange => Boolean(e)) : [...this.exchanges.values()];
    const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
    // One Exchange is written as the file every other part of the bench reads; several as a list.
    if (chosen.length === 1) return { fileName: `kbench-exchange-${chosen[0]!.source}-${stamp}.json`, json: serializeExchange(chosen[0]!), count: 1 };
    const json = `${JSON.stringify({ format: EXCHANGES_FORMAT, version: EXCHANGE_VERSION, exchanges: chosen }, null, 2)}\n`;
    return { fileName: `kbench-exchanges-${stamp}.json`, json, count: chosen.length };
  }
}
