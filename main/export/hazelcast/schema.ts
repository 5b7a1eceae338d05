/**
 * The parts of Hazelcast's configuration schema (hazelcast-config-5.x.xsd, and the YAML that
 * mirrors it) the bench reads and writes: the <kerberos> elements of a realm's identity and
 * authentication, each with its HazelcastSecurity field. Both writers and the reader walk these
 * lists, so a setting cannot be written that is not read back.
 */
import type { HazelcastKerberosAuthentication, HazelcastKerberosIdentity } from '../../api/hazelcast';

export interface Field<T> {
  /** The element (XML) and key (YAML) name. */
  element: string;
  key: keyof T & string;
  type: 'string' | 'boolean';
}

/** <identity><kerberos> (type kerberos-identity, an xs:all). */
export const IDENTITY_FIELDS: Field<HazelcastKerberosIdentity>[] = [
  { element: 'realm', key: 'realm', type: 'string' },
  { element: 'security-realm', key: 'securityRealm', type: 'string' },
  { element: 'principal', key: 'principal', type: 'string' },
  { element: 'keytab-file', key: 'keytabFile', type: 'string' },
  { element: 'service-name-prefix', key: 'serviceNamePrefix', type: 'string' },
  { element: 'spn', key: 'spn', type: 'string' },
  { element: 'use-canonical-hostname', key: 'useCanonicalHostname', type: 'boolean' },
];

/** <authentication><kerberos> (type kerberos-authentication, extending basic-authentication). */
export const AUTHENTICATION_FIELDS: Field<HazelcastKerberosAuthentication>[] = [
  { element: 'relax-flags-check', key: 'relaxFlagsCheck', type: 'boolean' },
  { element: 'use-name-without-realm', key: 'useNameWithoutRealm', type: 'boolean' },
  { element: 'security-realm', key: 'securityRealm', type: 'string' },
  { element: 'principal', key: 'principal', type: 'string' },
  { element: 'keytab-file', key: 'keytabFile', type: 'string' },
  { element: 'skip-identity', key: 'skipIdentity', type: 'boolean' },
  { element: 'skip-endpoint', key: 'skipEndpoint', type: 'boolean' },
  { element: 'skip-role', key: 'skipRole', type: 'boolean' },
];

/** The fields of `side` that are set, in schema order, as strings. */
export function setFields<T extends object>(side: T | undefined, fields: Field<T>[]): Array<{ element: string; value: string; type: Field<T>['type'] }> {
  if (!side) return [];
  const out: Array<{ element: string; value: string; type: Field<T>['type'] }> = [];
  for (const field of fields) {
    const value = side[field.key];
    if (value !== undefined && value !== null) out.push({ element: field.element, value: String(value), type: field.type });
  }
  return out;
}

/** An element or key of the file as read, with its line: the same tree for XML and YAML. */
export interface ConfigNode {
  name: string;
  line: number;
  /** XML attributes (YAML has none: its keys are children). */
  attrs: Record<string, string>;
  /** Text content (XML) or a scalar (YAML). */
  value?: string;
  children: ConfigNode[];
}

/** An attribute (XML) or a child key (YAML) of the same name, with the line it is on. */
export function attrOrChild(node: ConfigNode, name: string): { value: string; line: number } | undefined {
  if (node.attrs[name] !== undefined) return { value: node.attrs[name]!, line: node.line };
  const child = node.children.find((c) => c.name === name);
  return child?.value !== undefined ? { value: child.value, line: child.line } : undefined;
}

export function child(node: ConfigNode | undefined, name: string): ConfigNode | undefined {
  return node?.children.find((c) => c.name === name);
}
