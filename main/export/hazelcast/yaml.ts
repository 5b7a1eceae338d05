/**
 * hazelcast.yaml: the security section written from a HazelcastSecurity (the YAML Hazelcast's
 * docs show: realms as a list of maps with "name", jaas as a list of login modules, properties
 * as a map), and any hazelcast.yaml read into the ConfigNode tree with each key's line
 * (the yaml package's LineCounter).
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, stringify, type Node } from 'yaml';
import type { HazelcastLoginModule, HazelcastRealm, HazelcastSecurity } from '../../api/hazelcast';
import { AUTHENTICATION_FIELDS, IDENTITY_FIELDS, setFields, type ConfigNode } from './schema';

type Plain = Record<string, unknown>;

function scalar(value: string, type: 'string' | 'boolean'): unknown {
  return type === 'boolean' ? value === 'true' : value;
}

/** Krb5LoginModule options are strings to Hazelcast; "true"/"false" are written bare, as its docs do. */
function propertyValue(value: string): unknown {
  return value === 'true' ? true : value === 'false' ? false : value;
}

function kerberos(fields: Array<{ element: string; value: string; type: 'string' | 'boolean' }>): Plain {
  return Object.fromEntries(fields.map((f) => [f.element, scalar(f.value, f.type)]));
}

function loginModule(m: HazelcastLoginModule): Plain {
  return { 'class-name': m.className, usage: m.usage, properties: Object.fromEntries(Object.entries(m.properties).map(([k, v]) => [k, propertyValue(v)])) };
}

function realmYaml(realm: HazelcastRealm): Plain {
  const out: Plain = { name: realm.name };
  if (realm.authentication) out.authentication = { kerberos: kerberos(setFields(realm.authentication, AUTHENTICATION_FIELDS)) };
  else if (realm.jaas?.length) out.authentication = { jaas: realm.jaas.map(loginModule) };
  if (realm.identity) out.identity = { kerberos: kerberos(setFields(realm.identity, IDENTITY_FIELDS)) };
  return out;
}

export function securityYaml(security: HazelcastSecurity): Plain {
  const out: Plain = { enabled: security.enabled, realms: security.realms.map(realmYaml) };
  if (security.memberAuthentication !== undefined) out['member-authentication'] = { realm: security.memberAuthentication };
  if (security.clientAuthentication !== undefined) out['client-authentication'] = { realm: security.clientAuthentication };
  return out;
}

/** A whole hazelcast.yaml holding only the security section; `comment` lines go on top. */
export function hazelcastYaml(security: HazelcastSecurity, comment: string[]): string {
  const body = stringify({ hazelcast: { security: securityYaml(security) } }, { lineWidth: 0 });
  return `${comment.map((c) => `# ${c}`.trimEnd()).join('\n')}${comment.length ? '\n' : ''}${body}`;
}

// ---- reading ------------------------------------------------------------------------------------

export type YamlRead = { root: ConfigNode } | { error: { line: number; message: string } };

/** List items are named after their list, as the XML elements are (<realms><realm>, <jaas><login-module>). */
const ITEM_NAMES: Record<string, string> = { realms: 'realm', jaas: 'login-module' };

function toNode(name: string, keyNode: Node | null, value: unknown, lines: LineCounter): ConfigNode {
  const at = (keyNode ?? (value as Node | null))?.range?.[0] ?? 0;
  const node: ConfigNode = { name, line: lines.linePos(at).line, attrs: {}, children: [] };
  if (isMap(value)) {
    for (const pair of value.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      node.children.push(toNode(key, pair.key as Node, pair.value, lines));
    }
  } else if (isSeq(value)) {
    for (const item of value.items) node.children.push(toNode(ITEM_NAMES[name] ?? 'item', null, item, lines));
  } else if (isScalar(value)) {
    node.value = value.value === null ? '' : String(value.value);
  } else if (value === null || value === undefined) {
    node.value = '';
  }
  return node;
}

/** The document's first error with its line, else the tree under a nameless root. */
export function readYaml(text: string): YamlRead {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  const first = doc.errors[0];
  if (first) return { error: { line: first.linePos?.[0]?.line ?? lines.linePos(first.pos[0]).line, message: first.message } };
  const root = toNode('', null, doc.contents, lines);
  root.line = 1;
  return { root };
}
