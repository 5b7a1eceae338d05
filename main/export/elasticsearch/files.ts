/**
 * The files of the Elasticsearch export, under elasticsearch/ as they go in ES's config directory:
 *
 *   elasticsearch.yml            the realm xpack.security.authc.realms.kerberos.NAME (flat keys, as ES's docs write them)
 *   jvm.options.d/krb5.options   -Djava.security.krb5.conf=… (ES's JVM reads no KRB5_CONFIG)
 *   krb5.conf                    the realm and its KDCs, for the node's JVM
 *   <keytab.path>                HTTP/host@REALM's keys (0600, withheld unless revealed)
 *   role-mapping.json / .sh      PUT /_security/role_mapping/kerberos-users, as JSON and as curl
 *   README.md                    where each goes, one SPN per node, and how to test
 */
import type { ExportFile } from '../../api/export';
import { krb5ConfText } from '../krb5/write';
import type { ExportModel } from '../types';
import { ES_CONFIG_DIR, esUsername, REALM_PREFIX, ROLE_MAPPING_NAME, type EsExportSettings } from './settings';

export const YML = 'elasticsearch/elasticsearch.yml';
export const JVM_OPTIONS = 'elasticsearch/jvm.options.d/krb5.options';
export const KRB5_CONF = 'elasticsearch/krb5.conf';
export const ROLE_MAPPING_JSON = 'elasticsearch/role-mapping.json';
export const ROLE_MAPPING_SH = 'elasticsearch/role-mapping.sh';
export const README = 'elasticsearch/README.md';

const text = (path: string, language: ExportFile['language'], body: string, purpose: string, mode = 0o644): ExportFile => ({ path, language, text: body, mode, purpose, redacted: false });

export function elasticsearchYml(model: ExportModel, s: EsExportSettings): string {
  const key = (setting: string) => `${REALM_PREFIX}${s.name}.${setting}`;
  return [
    `# Kerberos (SPNEGO) realm for Elasticsearch — realm ${model.realm}, made by kbench from ${model.basis}.`,
    '# Add these lines to elasticsearch.yml on every node; keytab.path is resolved against the config',
    `# directory (${ES_CONFIG_DIR} for the deb/rpm packages, ES_PATH_CONF otherwise).`,
    `${key('order')}: ${s.order}`,
    `${key('keytab.path')}: ${yamlScalar(s.keytabPath)}`,
    `${key('remove_realm_name')}: ${s.removeRealmName}`,
    ...(s.krbDebug ? [`${key('krb.debug')}: true`] : []),
    '',
  ].join('\n');
}

/** A plain scalar when YAML keeps it a string; quoted otherwise. */
function yamlScalar(value: string): string {
  return /^[\w./-]+$/.test(value) && !/^(true|false|null|~|yes|no|on|off|[-+.\d][\d.eE+-]*)$/i.test(value) ? value : JSON.stringify(value);
}

export function jvmOptions(): string {
  return [
    '# Elasticsearch reads JVM options from every file in jvm.options.d/: the node\'s Kerberos configuration.',
    `-Djava.security.krb5.conf=${ES_CONFIG_DIR}/krb5.conf`,
    '',
  ].join('\n');
}

export function nodeKrb5Conf(model: ExportModel): string {
  const header = ["krb5.conf for the Elasticsearch node(s): the JVM reads it through -Djava.security.krb5.conf (jvm.options.d/krb5.options)."];
  return krb5ConfText(model, { header, keytab: null, java: true });
}

/** The mapping grants the roles to every user this realm authenticates from the Kerberos realm, whatever remove_realm_name does to the name. */
export function roleMapping(model: ExportModel, s: EsExportSettings): { enabled: boolean; roles: string[]; rules: unknown; metadata: Record<string, string> } {
  return {
    enabled: true,
    roles: s.roles,
    rules: { all: [{ field: { 'realm.name': s.name } }, { field: { 'metadata.kerberos_realm': model.realm } }] },
    metadata: { generated_by: 'kbench export elasticsearch' },
  };
}

export function roleMappingScript(model: ExportModel, s: EsExportSettings): string {
  const url = `http://${s.nodes[0] ?? 'localhost'}:9200`;
  return [
    '#!/bin/sh',
    `# Creates (or replaces) the role mapping "${ROLE_MAPPING_NAME}": users of realm ${s.name} from ${model.realm} get ${s.roles.join(', ')}.`,
    '# The caller needs the manage_security privilege: by default your own Kerberos ticket (kinit first),',
    '# or ES_USER=elastic to use a native/file user instead. ES_URL names the node (https:// when TLS is on).',
    'set -eu',
    `ES_URL="\${ES_URL:-${url}}"`,
    'here=$(dirname "$0")',
    'if [ -n "${ES_USER:-}" ]; then set -- -u "$ES_USER"; else set -- --negotiate -u :; fi',
    `curl -sS "$@" -X PUT "$ES_URL/_security/role_mapping/${ROLE_MAPPING_NAME}" -H 'Content-Type: application/json' -d @"$here/role-mapping.json" -w '\\nHTTP %{http_code}\\n'`,
    '',
  ].join('\n');
}

export function keytabFile(model: ExportModel, s: EsExportSettings, reveal: boolean): ExportFile {
  const principal = model.http.principal;
  const make = model.labRealm
    ? `kbench lab export-keytab es.keytab --principal ${principal}`
    : `kadmin.local -q "ktadd -norandkey -k es.keytab ${principal}" (MIT) or ktpass /princ ${principal} /mapuser <es-service-account> /out es.keytab (AD)`;
  const purpose = `the keytab of ${principal}: into ${ES_CONFIG_DIR}/${s.keytabPath} (keytab.path is resolved against the config directory), readable by the elasticsearch user (chown root:elasticsearch, chmod 640); make it with ${make}`;
  const base = { path: s.keytabFile, language: 'binary' as const, text: '', mode: 0o600, purpose };
  if (!model.http.keytab) return { ...base, redacted: false, withheld: `there is no keytab for ${principal} in what the export was made from: make it as its purpose says` };
  if (!reveal) return { ...base, redacted: true, withheld: `holds the service key of ${principal}: pass --reveal-secrets to write it, or make it as its purpose says` };
  return { ...base, redacted: false, binary: Buffer.from(model.http.keytab).toString('base64') };
}

export function readme(model: ExportModel, s: EsExportSettings): string {
  const example = esUsername(model.client.principal, s.removeRealmName);
  return [
    `# Elasticsearch Kerberos realm \`${s.name}\` (realm ${model.realm})`,
    '',
    `Made by kbench from ${model.basis}.`,
    '',
    '## Where each file goes (on every node)',
    '',
    `- \`elasticsearch.yml\`: append to \`${ES_CONFIG_DIR}/elasticsearch.yml\` (one Kerberos realm per node: ES refuses two).`,
    `- \`jvm.options.d/krb5.options\`: copy to \`${ES_CONFIG_DIR}/jvm.options.d/\`; it points the JVM at \`${ES_CONFIG_DIR}/krb5.conf\`.`,
    `- \`krb5.conf\`: copy to \`${ES_CONFIG_DIR}/krb5.conf\` (the realm ${model.realm} and its KDCs ${model.kdcs.join(', ') || '(found through DNS)'}).`,
    `- \`${s.keytabPath}\`: the keytab must be at \`${ES_CONFIG_DIR}/${s.keytabPath}\` — keytab.path is resolved against the config directory — and readable by the elasticsearch user: \`chown root:elasticsearch\`, \`chmod 640\`.`,
    '- Restart the node; then create the role mapping (below).',
    '',
    '## One SPN per node',
    '',
    'Browsers and curl ask for `HTTP/<the host name in the URL>`; each node needs its own principal in its keytab:',
    '',
    ...s.spns.flatMap((spn, i) => [
      `- node \`${s.nodes[i]}\`: \`${spn}\``,
      `  - MIT: \`kadmin -q "addprinc -randkey ${spn}"\`, then \`kadmin -q "ktadd -k ${s.nodes[i]}.keytab ${spn}"\` (copy it to that node as ${s.keytabPath})`,
      `  - Active Directory: \`setspn -S HTTP/${s.nodes[i]} <es-service-account>\`, then \`ktpass /princ ${spn} /mapuser <es-service-account> /crypto AES256-SHA1 /ptype KRB5_NT_PRINCIPAL /pass * /out ${s.nodes[i]}.keytab\``,
    ]),
    '',
    '## Role mapping',
    '',
    `\`role-mapping.sh\` sends \`role-mapping.json\`: users of realm \`${s.name}\` from ${model.realm} get ${s.roles.map((r) => `\`${r}\``).join(', ')}.`,
    '',
    '```sh',
    `curl --negotiate -u : -X PUT "http://${s.nodes[0]}:9200/_security/role_mapping/${ROLE_MAPPING_NAME}" -H 'Content-Type: application/json' -d @role-mapping.json`,
    '```',
    '',
    'The caller needs the `manage_security` privilege (`ES_USER=elastic ./role-mapping.sh` uses a native user instead of your ticket).',
    '',
    '## Test',
    '',
    '```sh',
    `kinit ${model.client.principal}`,
    `curl --negotiate -u : http://${s.nodes[0]}:9200/_security/_authenticate`,
    '```',
    '',
    `answers \`"username": "${example}"\` (remove_realm_name: ${s.removeRealmName}) with roles ${JSON.stringify(s.roles)}.`,
    '',
  ].join('\n');
}

/** Every file, the keytab last but one. */
export function elasticsearchFiles(model: ExportModel, s: EsExportSettings, reveal: boolean): ExportFile[] {
  return [
    text(YML, 'yaml', elasticsearchYml(model, s), `the Kerberos realm: append to ${ES_CONFIG_DIR}/elasticsearch.yml on every node`),
    text(JVM_OPTIONS, 'text', jvmOptions(), `the JVM option naming the node's krb5.conf: copy to ${ES_CONFIG_DIR}/jvm.options.d/`),
    text(KRB5_CONF, 'krb5', nodeKrb5Conf(model), `the node's Kerberos configuration: copy to ${ES_CONFIG_DIR}/krb5.conf`),
    text(ROLE_MAPPING_JSON, 'json', `${JSON.stringify(roleMapping(model, s), null, 2)}\n`, `the body of PUT /_security/role_mapping/${ROLE_MAPPING_NAME}`),
    text(ROLE_MAPPING_SH, 'shell', roleMappingScript(model, s), 'sends role-mapping.json with curl (ES_URL, ES_USER)', 0o755),
    keytabFile(model, s, reveal),
    text(README, 'markdown', readme(model, s), 'where each file goes, the SPN of every node, how to test'),
  ];
}
