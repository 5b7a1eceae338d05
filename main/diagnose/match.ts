/**
 * Observations → catalog entries → ranked findings. Every matcher that fires adds evidence; an
 * entry's confidence combines its pieces of evidence (noisy-or: independent hints add up, never
 * past certainty), and a longer, more specific message pattern weighs more than a short one — so
 * "… kvno 3 not found in keytab; keytab is likely out of date" beats a bare "not found in keytab".
 */
import type { CatalogEntry, CatalogFix, CatalogMatcher, Dialect, Finding, FindingEvidence, FixPlatform } from '../api/diagnose';
import type { Observation } from './observations';

interface Hit {
  weight: number;
  /** Seen in a trace line, not in the reported error. */
  trace: boolean;
  evidence: FindingEvidence;
  /** Length of the message pattern that fired (0 for codes): ties go to the more specific entry. */
  specificity: number;
  dialect?: Dialect;
}

/** The most any finding's confidence gets: text matching is never proof. */
const MAX_CONFIDENCE = 0.97;
/** Entries that only say "something failed in GSS" rank below anything specific. */
const WRAPPER_ENTRIES = new Set(['gss-generic']);
const WRAPPER_FACTOR = 0.35;
/**
 * The most a finding seen only in KRB5_TRACE lines gets: MIT traces non-fatal errors (a missing
 * default client keytab, a cache miss) on the way to the real failure, which the reported error names.
 */
const TRACE_ONLY_CONFIDENCE = 0.5;
/** The weight of evidence that only supports a finding (an MQTT reason code): never enough alone. */
const SUPPORTING_WEIGHT = 0.05;
const substantive = (hit: Hit) => hit.weight > SUPPORTING_WEIGHT;

const compiled = new Map<string, RegExp | null>();
function regex(source: string): RegExp | null {
  if (!compiled.has(source)) {
    try {
      compiled.set(source, new RegExp(source, 'i'));
    } catch {
      compiled.set(source, null); // the catalog test keeps this from happening; never crash on it
    }
  }
  return compiled.get(source)!;
}

/** A message pattern's weight: 0.55 for a short one, up to 0.85 for a long, specific one. */
function messageWeight(pattern: string): number {
  return 0.55 + Math.min(0.3, pattern.length / 250);
}

function hitFor(matcher: CatalogMatcher, observation: Observation): Hit | undefined {
  // Most pairs differ in kind: decide that before anything is allocated (a long log makes millions of pairs).
  const kind = matcher.kind === 'gss' ? 'message' : matcher.kind;
  if (kind !== observation.kind) return undefined;
  const found = weigh(matcher, observation);
  if (!found) return undefined;
  const text = matcher.kind === 'com-err' ? `${observation.text} (${matcher.name})` : observation.text;
  const step = observation.step !== undefined ? { step: observation.step } : {};
  return { ...found, evidence: { source: observation.source, text, ...step }, trace: observation.trace === true };
}

/** How much one matcher says about one observation of its kind; undefined when it does not fire. */
function weigh(matcher: CatalogMatcher, observation: Observation): Pick<Hit, 'weight' | 'specificity' | 'dialect'> | undefined {
  switch (matcher.kind) {
    case 'message':
      return regex(matcher.pattern)?.test(observation.text) ? { weight: messageWeight(matcher.pattern), specificity: matcher.pattern.length, dialect: matcher.dialect } : undefined;
    case 'com-err':
      return 'code' in observation && observation.code === matcher.code ? { weight: 0.8, specificity: 0 } : undefined;
    case 'krb-error':
      return 'code' in observation && observation.code === matcher.code ? { weight: 0.75, specificity: 0 } : undefined;
    case 'gss': {
      const minor = matcher.minor ? regex(matcher.minor) : null;
      if (matcher.minor && !minor?.test(observation.text)) return undefined;
      return observation.text.includes(matcher.major) || minor ? { weight: 0.6, specificity: 0 } : undefined;
    }
    case 'mqtt-reason':
      // Supporting only: an MQTT code alone says "refused", not why.
      return 'code' in observation && observation.code === matcher.code ? { weight: SUPPORTING_WEIGHT, specificity: 0 } : undefined;
  }
}

/**
 * Every message pattern of the catalog as one alternation: most lines of a long log match none of
 * them, and one scan of a line rules it out far faster than a scan per pattern.
 */
const anyMessage = new WeakMap<readonly CatalogEntry[], RegExp | null>();
function anyMessageOf(catalog: readonly CatalogEntry[]): RegExp | null {
  if (!anyMessage.has(catalog)) {
    const sources = catalog.flatMap((e) => e.matchers.flatMap((m) => (m.kind === 'message' && regex(m.pattern) ? [`(?:${m.pattern})`] : [])));
    anyMessage.set(catalog, sources.length ? regex(sources.join('|')) : null);
  }
  return anyMessage.get(catalog)!;
}

function hitsFor(entry: CatalogEntry, observations: readonly Observation[], messageMayMatch: ReadonlySet<Observation>): Hit[] {
  const hits: Hit[] = [];
  const seen = new Set<string>();
  for (const observation of observations) {
    for (const matcher of entry.matchers) {
      if (matcher.kind === 'message' && !messageMayMatch.has(observation)) continue;
      const hit = hitFor(matcher, observation);
      if (!hit) continue;
      // One piece of evidence per distinct text and kind: a line matching three wordings of the
      // same message, or the same message logged five times, is still one piece of evidence.
      const key = `${observation.kind}|${observation.text}`;
      if (seen.has(key)) continue;
      seen.add(key);
      hits.push(hit);
    }
  }
  return hits;
}

function confidenceOf(entry: CatalogEntry, hits: readonly Hit[]): number {
  const weighty = hits.filter(substantive);
  if (weighty.length === 0) return 0;
  const combined = 1 - hits.reduce((rest, hit) => rest * (1 - hit.weight), 1);
  const capped = Math.min(MAX_CONFIDENCE, combined, weighty.every((h) => h.trace) ? TRACE_ONLY_CONFIDENCE : 1);
  return WRAPPER_ENTRIES.has(entry.id) ? capped * WRAPPER_FACTOR : capped;
}

const DIALECT_PLATFORM: Partial<Record<Dialect, FixPlatform>> = {
  MIT: 'MIT',
  Heimdal: 'Heimdal',
  Java: 'Java',
  Windows: 'Active Directory',
  EMQX: 'EMQX',
  Elasticsearch: 'Elasticsearch',
  Hazelcast: 'Hazelcast',
};

/** The fix for the platform whose wording was seen, else MIT's (the bench's own realm), else the first. */
function chooseFix(entry: CatalogEntry, hits: readonly Hit[]): CatalogFix | undefined {
  const platforms = hits.map((h) => (h.dialect ? DIALECT_PLATFORM[h.dialect] : undefined)).filter((p): p is FixPlatform => Boolean(p));
  for (const platform of [...platforms, 'any', 'MIT'] as FixPlatform[]) {
    const fix = entry.fixes.find((f) => f.platform === platform);
    if (fix) return fix;
  }
  return entry.fixes[0];
}

/** Principal and realm named in the evidence, to fill the fix commands' placeholders. */
function namesIn(evidence: readonly FindingEvidence[]): { PRINCIPAL?: string; REALM?: string } {
  const text = evidence.map((e) => e.text).join('\n');
  const principals = [...new Set([...text.matchAll(/(?<![\w/.@-])([\w.$-]+(?:\/[\w.-]+)?@[A-Z0-9][A-Z0-9.-]*[A-Z0-9])(?![\w.-])/g)].map((m) => m[1]!))];
  const realms = [...new Set(principals.map((p) => p.slice(p.lastIndexOf('@') + 1)))];
  const quotedRealm = /realm ["']([A-Z0-9][A-Z0-9.-]*)["']/i.exec(text)?.[1];
  return {
    ...(principals.length === 1 ? { PRINCIPAL: principals[0]! } : {}),
    ...(realms.length === 1 ? { REALM: realms[0]! } : quotedRealm ? { REALM: quotedRealm } : {}),
  };
}

function fillPlaceholders(command: string, names: Record<string, string | undefined>): string {
  return command.replace(/\b(PRINCIPAL|REALM)\b/g, (placeholder) => names[placeholder] ?? placeholder);
}

function causeText(entry: CatalogEntry): string {
  const [first, ...rest] = entry.causes.map((c) => c.replace(/\.$/, ''));
  if (!first) return entry.explanation;
  return rest.length ? `Most likely: ${first}. Also possible: ${rest.join('; ')}.` : `${first}.`;
}

/** The most pieces of evidence one finding quotes: a log repeating a line 5000 times proves no more than 20 of them. */
const MAX_EVIDENCE = 20;

export function findingFor(entry: CatalogEntry, hits: readonly Hit[], confidence: number): Finding {
  const ordered = hits.filter(substantive).concat(hits.filter((h) => !substantive(h)));
  const evidence = ordered.slice(0, MAX_EVIDENCE).map((h) => h.evidence);
  if (ordered.length > MAX_EVIDENCE) evidence.push({ source: 'and more', text: `${ordered.length - MAX_EVIDENCE} more lines like these` });
  const fix = chooseFix(entry, hits);
  const names = namesIn(evidence);
  return {
    id: entry.id,
    title: entry.title,
    confidence: Math.round(confidence * 100) / 100,
    cause: causeText(entry),
    fix: fix?.text ?? 'See the explanation.',
    ...(fix?.commands?.length ? { commands: fix.commands.map((c) => fillPlaceholders(c, names)) } : {}),
    evidence,
    ...(entry.reproduce.scenario ? { scenario: entry.reproduce.scenario } : {}),
  };
}

/** Every catalog entry the observations support, best first. */
export function matchCatalog(catalog: readonly CatalogEntry[], observations: readonly Observation[]): Finding[] {
  const prefilter = anyMessageOf(catalog);
  const messageMayMatch = new Set(observations.filter((o) => o.kind === 'message' && prefilter?.test(o.text)));
  const hitsById = new Map(catalog.map((entry) => [entry.id, hitsFor(entry, observations, messageMayMatch)]));
  const ranked: { finding: Finding; specificity: number; order: number }[] = [];
  catalog.forEach((entry, order) => {
    const own = hitsById.get(entry.id)!;
    // A specific cause with evidence of its own also gets the evidence of the general failure it explains.
    const inherited = own.some(substantive) ? (entry.refines ?? []).flatMap((id) => hitsById.get(id) ?? []) : [];
    const hits = [...own, ...inherited.filter((h) => !own.some((o) => o.evidence.text === h.evidence.text))];
    const confidence = confidenceOf(entry, hits);
    if (confidence <= 0) return;
    ranked.push({ finding: findingFor(entry, hits, confidence), specificity: Math.max(0, ...hits.map((h) => h.specificity)), order });
  });
  ranked.sort((a, b) => b.finding.confidence - a.finding.confidence || b.specificity - a.specificity || a.order - b.order);
  return ranked.map((r) => r.finding);
}
