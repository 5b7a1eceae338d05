/**
 * The diagnosis catalog: every failure the bench can name, grouped by where it happens (finding
 * the KDC, the client's own login, keytabs, tickets on the way to a service, the GSS layer, the
 * MQTT connection around it), the Java stack's own failures and wordings (java.ts), and Active
 * Directory's own (ad.ts).
 * Loading checks the catalog's own consistency, so a duplicate id or a dangling reference fails
 * at start-up, not in front of a user.
 */
import type { CatalogEntry } from '../../api/diagnose';
import { AD_ENTRIES } from './ad';
import { CLIENT_ENTRIES } from './client';
import { GSS_ENTRIES } from './gss';
import { JAVA_ENTRIES, withJavaWordings } from './java';
import { KDC_ENTRIES } from './kdc';
import { KEYTAB_ENTRIES } from './keytab';
import { MQTT_ENTRIES } from './mqtt';
import { TICKET_ENTRIES } from './tickets';

export const CATALOG: readonly CatalogEntry[] = withJavaWordings([...KDC_ENTRIES, ...CLIENT_ENTRIES, ...KEYTAB_ENTRIES, ...TICKET_ENTRIES, ...GSS_ENTRIES, ...MQTT_ENTRIES, ...JAVA_ENTRIES, ...AD_ENTRIES]);

const BY_ID = new Map(CATALOG.map((entry) => [entry.id, entry]));

export function catalogEntry(id: string): CatalogEntry | undefined {
  return BY_ID.get(id);
}

/** Problems with the catalog itself: duplicate ids, references to entries that do not exist, patterns that do not compile. */
export function catalogProblems(entries: readonly CatalogEntry[] = CATALOG): string[] {
  const problems: string[] = [];
  const ids = new Set<string>();
  for (const entry of entries) {
    if (ids.has(entry.id)) problems.push(`${entry.id}: duplicate id`);
    ids.add(entry.id);
  }
  for (const entry of entries) {
    for (const related of entry.related ?? []) if (!ids.has(related)) problems.push(`${entry.id}: related entry "${related}" does not exist`);
    for (const general of entry.refines ?? []) if (!ids.has(general)) problems.push(`${entry.id}: refines "${general}", which does not exist`);
    for (const matcher of entry.matchers) {
      if (matcher.kind !== 'message') continue;
      try {
        new RegExp(matcher.pattern, 'i');
      } catch (error) {
        problems.push(`${entry.id}: pattern /${matcher.pattern}/ does not compile: ${(error as Error).message}`);
      }
    }
  }
  return problems;
}

const PROBLEMS = catalogProblems();
if (PROBLEMS.length) throw new Error(`diagnosis catalog is inconsistent:\n${PROBLEMS.join('\n')}`);
