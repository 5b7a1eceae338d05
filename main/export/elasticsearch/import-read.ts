/**
 * An elasticsearch.yml read for import. The realm itself is read by the bench's ES settings
 * reader (main/http/es/settings.ts: ES's rules and texts, file:line); this module lists every
 * setting of the file with its line — understood, or unused and why — and turns the reader's
 * problems into import problems with a fix.
 *
 * ES refuses to start with an unknown setting under the realm; the import reports it as unused
 * (with ES's text) and a warning, and reads the realm without it, so the rest can still be tried.
 */
import path from 'node:path';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import type { ImportProblem, ImportSetting, ImportUnused } from '../../api/export';
import type { EsKerberosRealmSettings } from '../../api/http';
import { parseEsKerberosSettings, type EsConfigProblem } from '../../http/es/settings';
import type { ImportReading, ImportSourceText } from '../types';
import { REALM_PREFIX } from './settings';

interface Leaf {
  key: string;
  value: string;
  line: number;
}

const USED: Record<string, string> = {
  order: 'the realm\'s place in the chain (the endpoint runs this realm alone)',
  'keytab.path': 'the service keytab the endpoint accepts tickets with (resolved against the yml\'s folder)',
  remove_realm_name: 'the user name: alice instead of alice@REALM',
  'krb.debug': 'kept for the export (the endpoint\'s Exchange has the GSS trace anyway)',
  enabled: 'this is the enabled Kerberos realm',
};
const KNOWN_UNEMULATED = new Set(['cache.ttl', 'cache.max_users', 'authorization_realms']);
const UNKNOWN = /^unknown setting \[([^\]]+)\]/;
const MAX_PASSES = 8;

/** Every scalar setting of the YAML with its line, flattened to dotted keys as ES does. */
export function settingLeaves(text: string): Leaf[] {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, uniqueKeys: false });
  if (doc.errors.length) return [];
  const leaves: Leaf[] = [];
  const walk = (node: unknown, prefix: string, keyNode: unknown) => {
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        walk(pair.value, prefix ? `${prefix}.${key}` : key, pair.key);
      }
      return;
    }
    if (!prefix) return;
    const value = isSeq(node) ? node.items.map((i) => (isScalar(i) ? String(i.value) : String(i))).join(',') : isScalar(node) ? String(node.value) : node == null ? '' : String(node);
    const at = ((node as Node | null)?.range ?? (keyNode as Node | null)?.range)?.[0] ?? 0;
    leaves.push({ key: prefix, value, line: counter.linePos(at).line });
  };
  walk(doc.contents, '', null);
  return leaves;
}

/** "elasticsearch.yml:12" → 12; a problem without a line is line 0. */
/** "elasticsearch.yml:12" → 12; a problem of the file as a whole ("elasticsearch.yml": no realm at all) is at line 1. */
function lineOf(at: string): number {
  return Math.max(1, Number(/:(\d+)$/.exec(at)?.[1] ?? 1));
}

function fixFor(message: string, realmName: string): string {
  const key = `${REALM_PREFIX}${realmName}`;
  if (message.startsWith('duplicate settings key')) return 'keep one spelling of the setting: the flat key and the nested form are the same setting to ES';
  if (message.startsWith('multiple realms')) return 'keep one Kerberos realm per node: delete the other, or give it enabled: false';
  if (message.startsWith("'order' is a mandatory")) return `add ${key}.order: 0`;
  if (/^Failed to parse value \[.*\] for setting/.test(message)) return 'order is a whole number (0, 1, …): lower numbers come first in the realm chain';
  if (message.includes('only [true] or [false] are allowed')) return 'write true or false';
  if (message.includes('is a directory (')) return `set ${key}.keytab.path: es.keytab (a file in the config directory)`;
  if (message.startsWith('configured service key tab file')) return 'put the keytab there, or change keytab.path (it is resolved against the config directory, the yml\'s folder)';
  if (message.startsWith('no enabled realm')) return `add a realm: ${REALM_PREFIX}kerb1.order: 0 and ${REALM_PREFIX}kerb1.keytab.path: es.keytab`;
  return 'fix the YAML at that line (indentation, a missing ": ", an unclosed quote)';
}

/** The realm read by the settings reader; lines holding unknown realm settings are set aside (and reported) first. */
function readRealm(text: string, file: string): { realm?: EsKerberosRealmSettings; problems: EsConfigProblem[]; unknown: EsConfigProblem[] } {
  const lines = text.split('\n');
  const unknown: EsConfigProblem[] = [];
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const result = parseEsKerberosSettings(lines.join('\n'), file);
    if (result.ok) return { realm: result.realm, problems: [], unknown };
    const unknownHere = result.problems.filter((p) => UNKNOWN.test(p.message));
    if (unknownHere.length === 0 || unknownHere.length !== result.problems.length) return { problems: result.problems.filter((p) => !UNKNOWN.test(p.message)), unknown: [...unknown, ...unknownHere] };
    for (const problem of unknownHere) {
      const index = lineOf(problem.at) - 1;
      if (index >= 0 && index < lines.length) lines[index] = `#${lines[index]!}`;
    }
    unknown.push(...unknownHere);
  }
  return { problems: [], unknown };
}

export function readElasticsearchYml(source: ImportSourceText): ImportReading {
  const label = path.basename(source.file);
  const { realm, problems: readerProblems, unknown } = readRealm(source.text, source.file);
  const problems: ImportProblem[] = readerProblems.map((p) => ({ file: source.file, line: lineOf(p.at), severity: 'error', message: p.message, fix: fixFor(p.message, realm?.name ?? 'kerb1') }));
  const unusedKeys = new Set(unknown.map((p) => UNKNOWN.exec(p.message)![1]!));
  for (const p of unknown) {
    problems.push({ file: source.file, line: lineOf(p.at), severity: 'warning', message: p.message, fix: `Elasticsearch will not start with it: remove it (a Kerberos realm knows order, enabled, keytab.path, krb.debug, remove_realm_name, cache.ttl, cache.max_users, authorization_realms)` });
  }
  const understood: ImportSetting[] = [];
  const unused: ImportUnused[] = [];
  const ownPrefix = realm ? `${REALM_PREFIX}${realm.name}.` : null;
  for (const leaf of settingLeaves(source.text)) {
    const base = { key: leaf.key, value: leaf.value, file: source.file, line: leaf.line };
    const setting = ownPrefix && leaf.key.startsWith(ownPrefix) ? leaf.key.slice(ownPrefix.length) : null;
    if (unusedKeys.has(leaf.key)) unused.push({ ...base, why: unknown.find((p) => p.message.includes(`[${leaf.key}]`))!.message });
    else if (setting !== null && USED[setting]) understood.push({ ...base, use: USED[setting] });
    else if (setting !== null && KNOWN_UNEMULATED.has(setting)) unused.push({ ...base, why: `a Kerberos realm setting the bench's endpoint does not emulate (${label}:${leaf.line})` });
    else if (leaf.key.startsWith(REALM_PREFIX)) unused.push({ ...base, why: realm ? `another Kerberos realm's setting: realm ${realm.name} is the enabled one` : 'the Kerberos realm could not be read' });
    else unused.push({ ...base, why: 'not a Kerberos realm setting' });
  }
  const setup = realm ? setupOf(realm, source, understood) : {};
  problems.sort((a, b) => a.line - b.line);
  return { files: [source.file], understood, unused, problems, setup };
}

function setupOf(realm: EsKerberosRealmSettings, source: ImportSourceText, understood: ImportSetting[]): ImportReading['setup'] {
  if (source.onDisk) return { elasticsearch: realm, serviceKeytab: realm.keytabPath };
  // A dropped file has no folder: keytab.path stays as written.
  const written = understood.find((s) => s.key.endsWith('.keytab.path'))?.value ?? realm.keytabPath;
  return { elasticsearch: { ...realm, keytabPath: written } };
}

/** Why this text is an elasticsearch.yml Kerberos realm, or null. */
export function detectElasticsearchYml(source: ImportSourceText): string | null {
  if (/^\s*xpack\.security\.authc\.realms\.kerberos\./m.test(source.text)) return 'xpack.security.authc.realms.kerberos';
  if (!/^\s*(xpack|kerberos)\s*:/m.test(source.text) && !/xpack\.security/.test(source.text)) return null;
  return settingLeaves(source.text).some((l) => l.key.startsWith(REALM_PREFIX)) ? 'xpack.security.authc.realms.kerberos' : null;
}
