/**
 * The exported krb5.conf (MIT "krb5.conf" format) for clients and servers of the model's realm:
 * [libdefaults] with the realm, no DNS lookups, the service keytab and the settings the model kept
 * (enctypes, rdns, dns_canonicalize_hostname … as the Exchange needed them); [realms] with each KDC
 * and the admin server; [domain_realm] with the service hosts. Realm blocks of an imported
 * krb5.conf are written back too, so an import → export round trip keeps them.
 *
 * Every target's krb5.conf comes from here (EMQX's names its default keytab, Java's and
 * Elasticsearch's are read by the JVM too), so a fix to the format reaches them all.
 */
import { isIP } from 'node:net';
import type { ExportModel } from '../types';

export interface RealmBlock {
  name: string;
  tags: { tag: string; value: string }[];
}

/** The [libdefaults] tags written first, in this order; the model's other ones follow sorted. */
const LEADING = ['default_realm', 'dns_lookup_kdc', 'dns_lookup_realm', 'default_keytab_name', 'rdns', 'dns_canonicalize_hostname', 'permitted_enctypes', 'default_tkt_enctypes', 'default_tgs_enctypes'];

const COMMENTS: Record<string, string> = {
  dns_lookup_kdc: 'the KDCs are listed in [realms] below',
  default_keytab_name: "the service's keytab (acceptors, EMQX: KRB5_KTNAME overrides it)",
  rdns: 'service host names as the bench used them',
  permitted_enctypes: 'the enctypes the realm was run with',
};

/** Where the exported krb5.conf puts the service keytab when the model is a lab realm's (MIT's own default). */
export const LAB_EXPORT_KEYTAB = 'FILE:/etc/krb5.keytab';

export interface Krb5ConfOptions {
  /** Comment lines at the top, without "# " (default: what the file is and where it goes). */
  header?: string[];
  /**
   * default_keytab_name: this product's keytab path; null writes only one the model has (an
   * imported krb5.conf's); undefined picks the model's service keytab (MIT's default in the lab).
   */
  keytab?: string | null;
  /** A JVM reads the file too: relations are written as both read them (kdc_timeout with its unit). */
  java?: boolean;
  /** A comment above the [libdefaults] tags that need one, and a hint where admin_server is unknown. */
  comments?: boolean;
  /** Realm blocks of an imported krb5.conf, written back after the model's own realm. */
  imported?: RealmBlock[];
}

/** A relation value as MIT and Java both read it (Java takes a bare kdc_timeout as milliseconds, MIT as seconds). */
function javaSafe(tag: string, value: string): string {
  return tag === 'kdc_timeout' && /^\d+$/.test(value) ? `${value}s` : value;
}

function keytabOf(model: ExportModel, keytab: Krb5ConfOptions['keytab']): string | undefined {
  if (keytab === null) return model.libdefaults.default_keytab_name;
  // A lab keytab lives in the bench's data directory: the real server's goes where MIT looks by default.
  return keytab ?? model.libdefaults.default_keytab_name ?? (model.labRealm ? LAB_EXPORT_KEYTAB : model.mqtt.keytabFile);
}

export function libdefaultsOf(model: ExportModel, options: Krb5ConfOptions = {}): [string, string][] {
  const values: Record<string, string> = { dns_lookup_kdc: 'false', dns_lookup_realm: 'false', ...model.libdefaults, default_realm: model.realm };
  delete values.default_keytab_name;
  const keytab = keytabOf(model, options.keytab);
  if (keytab) values.default_keytab_name = /^[A-Z]+:/.test(keytab) ? keytab : `FILE:${keytab}`;
  if (options.java) for (const tag of Object.keys(values)) values[tag] = javaSafe(tag, values[tag]!);
  const rest = Object.keys(values).filter((k) => !LEADING.includes(k)).sort();
  return [...LEADING, ...rest].filter((k) => values[k] !== undefined).map((k) => [k, values[k]!]);
}

/** The model's realm first (its KDCs and admin server win), then every other imported realm. */
export function realmsOf(model: ExportModel, imported: RealmBlock[]): RealmBlock[] {
  const own = imported.find((r) => r.name === model.realm);
  const kept = (own?.tags ?? []).filter((t) => t.tag !== 'kdc' && !(model.adminServer && t.tag === 'admin_server'));
  const tags = [...model.kdcs.map((kdc) => ({ tag: 'kdc', value: kdc })), ...(model.adminServer ? [{ tag: 'admin_server', value: model.adminServer }] : []), ...kept];
  return [{ name: model.realm, tags }, ...imported.filter((r) => r.name !== model.realm)];
}

/** The model's [domain_realm], then each service host not mapped yet (IP addresses need none). */
export function domainRealmOf(model: ExportModel): { domain: string; realm: string }[] {
  const out: { domain: string; realm: string }[] = [];
  for (const d of model.domainRealm) if (!out.some((o) => o.domain === d.domain)) out.push(d);
  for (const host of [model.mqtt.host, model.http.host, model.hazelcast.host]) {
    if (!host || isIP(host) || out.some((o) => o.domain === host || (o.domain.startsWith('.') && host.endsWith(o.domain)))) continue;
    out.push({ domain: host, realm: model.realm });
  }
  return out;
}

export function krb5ConfText(model: ExportModel, options: Krb5ConfOptions = {}): string {
  const header = options.header ?? [`krb5.conf for realm ${model.realm}, written by Kerberos Bench from ${model.basis}.`, 'Install as /etc/krb5.conf, or point KRB5_CONFIG at this file.'];
  const lines = header.map((line) => `# ${line}`);
  if (model.knownToWork) lines.splice(1, 0, `# Known to work: Exchange ${model.knownToWork.exchangeId} (${model.knownToWork.date}): ${model.knownToWork.summary}`);
  lines.push('[libdefaults]');
  for (const [tag, value] of libdefaultsOf(model, options)) {
    if (options.comments && COMMENTS[tag]) lines.push(`  # ${COMMENTS[tag]}`);
    lines.push(`  ${tag} = ${value}`);
  }
  lines.push('[realms]');
  for (const realm of realmsOf(model, options.imported ?? [])) {
    lines.push(`  ${realm.name} = {`);
    for (const { tag, value } of realm.tags) lines.push(`    ${tag} = ${options.java ? javaSafe(tag, value) : value}`);
    if (options.comments && realm.name === model.realm && !realm.tags.some((t) => t.tag === 'admin_server')) lines.push('    # admin_server = HOST (kadmind: none is known for this realm)');
    lines.push('  }');
  }
  lines.push('[domain_realm]');
  for (const { domain, realm } of domainRealmOf(model)) lines.push(`  ${domain} = ${realm}`);
  return `${lines.join('\n')}\n`;
}

export function readmeText(model: ExportModel): string {
  return `# krb5.conf for ${model.realm}

Made by Kerberos Bench from ${model.basis}.

- **Where it goes:** \`/etc/krb5.conf\` on every client and server of the realm, or anywhere with
  \`KRB5_CONFIG=/path/to/krb5.conf\` in the environment of the programs that should use it
  (several files: \`KRB5_CONFIG=/a.conf:/b.conf\`, the first one wins for each setting).
- **Check it:** \`KRB5_CONFIG=./krb5.conf kinit ${model.client.principal}\`, then \`klist\`
  shows \`krbtgt/${model.realm}@${model.realm}\`; \`kvno ${model.mqtt.principal}\` gets a service ticket.
- **Services:** the acceptor's keytab is \`default_keytab_name\` (or \`KRB5_KTNAME\`); it must hold
  the key of its principal (\`${model.mqtt.principal}\`) at the KDC's current kvno.
- Java reads the same file with \`-Djava.security.krb5.conf=/path/to/krb5.conf\`.
`;
}
