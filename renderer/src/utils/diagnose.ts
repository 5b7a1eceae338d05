/**
 * Helpers for the Diagnose view and the Diagnose links next to failed Exchanges: catalog search,
 * matchers and Exchanges in words.
 */
import type { CatalogEntry, CatalogMatcher, Exchange } from '@api/index';

/** "92 %". */
export const percent = (confidence: number): string => `${Math.round(Math.max(0, Math.min(1, confidence)) * 100)} %`;

/** The words a catalog entry can be found by: id, title, explanation, causes, fixes, how implementations word it. */
function searchText(entry: CatalogEntry): string {
  const matchers = entry.matchers.map((m) => matcherText(m) + (m.kind === 'message' ? ` ${m.example ?? ''}` : ''));
  return [entry.id, entry.title, entry.explanation, ...entry.causes, ...entry.fixes.flatMap((f) => [f.platform, f.text, ...(f.commands ?? [])]), ...matchers, entry.reproduce.recipe, entry.reproduce.scenario ?? '']
    .join('\n')
    .toLowerCase();
}

const searchIndex = new WeakMap<CatalogEntry, string>();

/**
 * Entries matching every word of the query (case-insensitive), title and id hits first, then
 * the catalog's own order. An empty query returns the whole catalog.
 */
export function searchCatalog(entries: readonly CatalogEntry[], query: string): CatalogEntry[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return [...entries];
  const hits: { entry: CatalogEntry; score: number; order: number }[] = [];
  entries.forEach((entry, order) => {
    let text = searchIndex.get(entry);
    if (text === undefined) searchIndex.set(entry, (text = searchText(entry)));
    if (!words.every((w) => text.includes(w))) return;
    const head = `${entry.id} ${entry.title}`.toLowerCase();
    hits.push({ entry, score: words.filter((w) => head.includes(w)).length, order });
  });
  return hits.sort((a, b) => b.score - a.score || a.order - b.order).map((h) => h.entry);
}

/** A matcher in words: "MIT message /Preauthentication failed/", "KRB-ERROR 24", "GSS_S_NO_CRED". */
export function matcherText(m: CatalogMatcher): string {
  switch (m.kind) {
    case 'message':
      return `${m.dialect} message /${m.pattern}/`;
    case 'krb-error':
      return `KRB-ERROR error-code ${m.code}`;
    case 'com-err':
      return `com_err ${m.code} (${m.name})`;
    case 'gss':
      return `GSS major ${m.major}${m.minor ? `, minor /${m.minor}/` : ''}`;
    case 'mqtt-reason':
      return `MQTT reason code 0x${m.code.toString(16).padStart(2, '0')}`;
  }
}

/** The implementations whose wording an entry knows, in the order first named. */
export function dialectsOf(entry: CatalogEntry): string[] {
  return [...new Set(entry.matchers.flatMap((m) => (m.kind === 'message' ? [m.dialect] : [])))];
}

const SOURCE_NAMES: Record<Exchange['source'], string> = {
  sasl: 'SASL',
  broker: 'Broker',
  probe: 'Probe',
  http: 'HTTP',
  capture: 'Capture',
  replay: 'Replay',
  import: 'Imported',
};

/** "Broker", "Probe", "SASL" … */
export const sourceName = (exchange: Exchange): string => SOURCE_NAMES[exchange.source] ?? exchange.source;

/** Who and what, in a line: "mqtt@localhost · alice@BENCH.TEST · client kbench-probe-1f2e". */
export function exchangeWho(exchange: Exchange): string {
  const parts = [exchange.service, exchange.identity?.principal ?? exchange.meta?.client, exchange.meta?.clientId ? `client id ${exchange.meta.clientId}` : undefined];
  return parts.filter((p): p is string => !!p).join(' · ');
}
