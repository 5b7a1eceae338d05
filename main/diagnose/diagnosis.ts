/**
 * Findings from observations alone — text and Exchanges, no I/O: what the diagnosis service, the
 * capture scan (a verdict's likely cause per conversation) and the replay share. Kept apart from
 * the service so a scan does not load the service's scenarios (a broker, a probe) with it.
 */
import type { Finding } from '../api/diagnose';
import { CATALOG } from './catalog';
import { matchCatalog } from './match';
import type { Observation } from './observations';

/** Findings below this confidence are noise: a word in common, nothing more. */
const MIN_CONFIDENCE = 0.2;

/** Two lists of findings as one: the same id keeps its best confidence and all its evidence. */
export function mergeFindings(...lists: Finding[][]): Finding[] {
  const byId = new Map<string, Finding>();
  for (const finding of lists.flat()) {
    const known = byId.get(finding.id);
    if (!known) byId.set(finding.id, finding);
    else byId.set(finding.id, { ...(finding.confidence > known.confidence ? finding : known), evidence: [...known.evidence, ...finding.evidence] });
  }
  return [...byId.values()].filter((f) => f.confidence >= MIN_CONFIDENCE).sort((a, b) => b.confidence - a.confidence);
}

/** Findings for text and Exchanges alone (no I/O): what the CLI, the views and the scenarios share. */
export function diagnoseObservations(observations: readonly Observation[]): Finding[] {
  return mergeFindings(matchCatalog(CATALOG, observations));
}
