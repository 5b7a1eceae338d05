/**
 * The Kerberos realm's settings from an elasticsearch.yml (fragment).
 *
 * ES flattens YAML into dotted keys, so the flat form and the nested form are the same setting:
 *   xpack.security.authc.realms.kerberos.kerb1.order: 0
 *   xpack: { security: { authc: { realms: { kerberos: { kerb1: { order: 0 } } } } } }
 * and both spelled in one file is ES's "duplicate settings key [k] found at line number [L],
 * column number [C], previous value [a], current value [b]".
 *
 * Kerberos realm settings (KerberosRealmSettings + the common realm settings): order, enabled,
 * keytab.path, krb.debug, remove_realm_name, cache.ttl, cache.max_users, authorization_realms.
 * Anything else under the realm is ES's "unknown setting [k] please check that any required plugins
 * are installed, or check the breaking changes documentation for removed settings".
 * ES's rules enforced here, each reported as file:line:
 *   - one enabled Kerberos realm per node (Realms: "multiple realms [a, b] configured of type
 *     [kerberos], [kerberos] can only have one such realm configured");
 *   - `order` is required on an enabled realm (ES 8 RealmConfig: "'order' is a mandatory parameter
 *     for realm config. …");
 *   - keytab.path is resolved against the config directory (the yml's folder); unset, it resolves to
 *     that directory itself ("configured service key tab file [DIR] is a directory").
 * The keytab file's existence is not checked here (loadEsKerberosSettings does, with ES's texts).
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import type { EsKerberosRealmSettings } from '../../api/http';
import { fsMessage } from '../../system/files';

/** A problem in the yml, at file:line. */
export interface EsConfigProblem {
  /** "elasticsearch.yml:12" (or just the file when there is no line). */
  at: string;
  message: string;
}

export type EsSettingsResult = { ok: true; realm: EsKerberosRealmSettings; warnings: EsConfigProblem[] } | { ok: false; problems: EsConfigProblem[] };

export const DEFAULT_ES_REALM: EsKerberosRealmSettings = { name: 'kerb1', order: 0, keytabPath: '', removeRealmName: false, krbDebug: false, lines: {} };

const PREFIX = 'xpack.security.authc.realms.';
const KERBEROS_PREFIX = `${PREFIX}kerberos.`;
const KNOWN = new Set(['order', 'enabled', 'keytab.path', 'krb.debug', 'remove_realm_name', 'cache.ttl', 'cache.max_users', 'authorization_realms']);
type Leaf = { key: string; value: string | null; line: number; col: number };

/** Reads the realm from yml text. `file` names the file in messages and anchors a relative keytab.path. */
export function parseEsKerberosSettings(text: string, file: string): EsSettingsResult {
  const label = path.basename(file);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    return { ok: false, problems: doc.errors.map((e) => yamlProblem(text, e.pos[0], firstLine(e.message), lineCounter, label)) };
  }
  const problems: EsConfigProblem[] = [];
  const leaves = flatten(doc.contents, '', lineCounter, label, problems);
  if (problems.length > 0) return { ok: false, problems };
  return realmFrom(leaves, file, label);
}

/** Reads the realm from a file; no file → the defaults (kerb1, order 0). Also checks the keytab as the realm does. */
export async function loadEsKerberosSettings(file?: string): Promise<EsSettingsResult> {
  if (!file) return { ok: true, realm: { ...DEFAULT_ES_REALM, lines: {} }, warnings: [] };
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    return { ok: false, problems: [{ at: file, message: fsMessage(error) }] };
  }
  const result = parseEsKerberosSettings(text, file);
  if (!result.ok) return result;
  const keytabProblem = await checkKeytab(result.realm.keytabPath);
  if (!keytabProblem) return result;
  return { ok: false, problems: [{ at: result.realm.lines['keytab.path'] ?? path.basename(file), message: keytabProblem }] };
}

/** KerberosRealm.validateKeytab's texts. */
async function checkKeytab(keytab: string): Promise<string | null> {
  const info = await stat(keytab).catch(() => null);
  if (!info) return `configured service key tab file [${keytab}] does not exist`;
  if (info.isDirectory()) return `configured service key tab file [${keytab}] is a directory`;
  return null;
}

/**
 * A YAML error at its line. The parser notices an unclosed quote only at the end of the file (a
 * quoted scalar may span lines), so that one is reported where the quote opened.
 */
function yamlProblem(text: string, offset: number, message: string, counter: LineCounter, label: string): EsConfigProblem {
  const quote = /^Missing closing (["'])quote/.exec(message)?.[1];
  const opened = quote ? text.lastIndexOf(quote, offset - 1) : -1;
  if (opened < 0) return { at: `${label}:${counter.linePos(offset).line}`, message };
  const { line, col } = counter.linePos(opened);
  return { at: `${label}:${line}`, message: `${message}: the string opened at line ${line}, column ${col} is never closed` };
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.trim();
}

function flatten(node: unknown, prefix: string, counter: LineCounter, label: string, problems: EsConfigProblem[], seen = new Map<string, Leaf>()): Leaf[] {
  if (isMap(node)) {
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      flatten(pair.value ?? null, prefix ? `${prefix}.${key}` : key, counter, label, problems, seen);
      if (pair.value === null || pair.value === undefined) addLeaf(leafAt(prefix ? `${prefix}.${key}` : key, null, pair.key, counter), seen, label, problems);
    }
  } else if (node !== null && node !== undefined && prefix) {
    const value = isSeq(node) ? node.items.map((i) => (isScalar(i) ? String(i.value) : String(i))).join(',') : isScalar(node) ? scalarText(node.value) : String(node);
    addLeaf(leafAt(prefix, value, node, counter), seen, label, problems);
  }
  return [...seen.values()];
}

const scalarText = (value: unknown) => (value === null ? null : String(value));

function leafAt(key: string, value: string | null, node: unknown, counter: LineCounter): Leaf {
  const offset = (node as Node | null)?.range?.[0] ?? 0;
  const { line, col } = counter.linePos(offset);
  return { key, value, line, col };
}

function addLeaf(leaf: Leaf, seen: Map<string, Leaf>, label: string, problems: EsConfigProblem[]): void {
  const previous = seen.get(leaf.key);
  if (previous) {
    problems.push({
      at: `${label}:${leaf.line}`,
      message: `duplicate settings key [${leaf.key}] found at line number [${leaf.line}], column number [${leaf.col}], previous value [${previous.value}], current value [${leaf.value}]`,
    });
    return;
  }
  seen.set(leaf.key, leaf);
}

function realmFrom(leaves: Leaf[], file: string, label: string): EsSettingsResult {
  const realms = new Map<string, Map<string, Leaf>>();
  const problems: EsConfigProblem[] = [];
  for (const leaf of leaves) {
    if (!leaf.key.startsWith(KERBEROS_PREFIX)) continue;
    const rest = leaf.key.slice(KERBEROS_PREFIX.length);
    const dot = rest.indexOf('.');
    const [name, setting] = dot < 0 ? [rest, ''] : [rest.slice(0, dot), rest.slice(dot + 1)];
    if (!KNOWN.has(setting)) problems.push({ at: `${label}:${leaf.line}`, message: unknownSetting(leaf.key) });
    if (!realms.has(name)) realms.set(name, new Map());
    realms.get(name)!.set(setting, leaf);
  }
  if (problems.length > 0) return { ok: false, problems };
  const enabled = [...realms].filter(([, settings]) => settings.get('enabled')?.value !== 'false');
  if (enabled.length === 0) return { ok: false, problems: [{ at: label, message: `no enabled realm under ${KERBEROS_PREFIX}<name> in ${label}` }] };
  if (enabled.length > 1) return { ok: false, problems: [multipleRealms(enabled, label)] };
  const [name, settings] = enabled[0]!;
  return readRealm(name, settings, file, label);
}

const unknownSetting = (key: string) =>
  `unknown setting [${key}] please check that any required plugins are installed, or check the breaking changes documentation for removed settings`;

function multipleRealms(realms: [string, Map<string, Leaf>][], label: string): EsConfigProblem {
  const names = realms.map(([name]) => name);
  const where = realms.map(([name, settings]) => `${name} at ${label}:${Math.min(...[...settings.values()].map((l) => l.line))}`);
  return { at: where[1]!.split(' at ')[1]!, message: `multiple realms [${names.join(', ')}] configured of type [kerberos], [kerberos] can only have one such realm configured (${where.join(', ')})` };
}

function readRealm(name: string, settings: Map<string, Leaf>, file: string, label: string): EsSettingsResult {
  const problems: EsConfigProblem[] = [];
  const lines: EsKerberosRealmSettings['lines'] = { realm: `${label}:${Math.min(...[...settings.values()].map((l) => l.line))}` };
  const at = (leaf: Leaf) => `${label}:${leaf.line}`;
  const bool = (setting: 'krb.debug' | 'remove_realm_name'): boolean => {
    const leaf = settings.get(setting);
    if (!leaf) return false;
    lines[setting] = at(leaf);
    if (leaf.value === 'true' || leaf.value === 'false') return leaf.value === 'true';
    problems.push({ at: at(leaf), message: `Failed to parse value [${leaf.value}] as only [true] or [false] are allowed.` });
    return false;
  };
  const order = readOrder(name, settings.get('order'), label, lines, problems);
  const configDir = path.dirname(path.resolve(file));
  const keytabLeaf = settings.get('keytab.path');
  if (keytabLeaf) lines['keytab.path'] = at(keytabLeaf);
  const keytabPath = path.resolve(configDir, keytabLeaf?.value ?? '');
  if (!keytabLeaf?.value) {
    problems.push({ at: lines.realm!, message: `configured service key tab file [${configDir}] is a directory (${KERBEROS_PREFIX}${name}.keytab.path is not set)` });
  }
  const realm: EsKerberosRealmSettings = { name, order, keytabPath, removeRealmName: bool('remove_realm_name'), krbDebug: bool('krb.debug'), lines };
  return problems.length > 0 ? { ok: false, problems } : { ok: true, realm, warnings: [] };
}

function readOrder(name: string, leaf: Leaf | undefined, label: string, lines: EsKerberosRealmSettings['lines'], problems: EsConfigProblem[]): number {
  if (!leaf) {
    problems.push({
      at: lines.realm!,
      message: `'order' is a mandatory parameter for realm config. Found invalid realm config: '${name}' Please see the breaking changes documentation.`,
    });
    return 0;
  }
  lines.order = `${label}:${leaf.line}`;
  const order = Number(leaf.value);
  if (leaf.value === null || !/^-?\d+$/.test(leaf.value) || !Number.isSafeInteger(order)) {
    problems.push({ at: lines.order, message: `Failed to parse value [${leaf.value}] for setting [${KERBEROS_PREFIX}${name}.order]` });
  }
  return order;
}
