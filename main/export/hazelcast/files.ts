/**
 * The files of a Hazelcast export besides the configuration itself: the krb5.conf the JVM
 * needs, the member's keytab (0600, withheld unless secrets are revealed), and the README with
 * the JVM options and the SPN of each member.
 */
import type { ExportFile } from '../../api/export';
import type { HazelcastSecurity } from '../../api/hazelcast';
import { javaKrb5ConfText } from '../java/krb5-conf';
import type { ExportModel } from '../types';
import { authenticationOptions, HAZELCAST_DIR, HAZELCAST_KEYTAB, HAZELCAST_KRB5_CONF, identityOptions, memberRealm, memberSpn } from './security';

export const KEYTAB_PATH = 'hazelcast/hazelcast.keytab';
export const KRB5_PATH = 'hazelcast/krb5.conf';
export const README_PATH = 'hazelcast/README.md';

export function krb5File(model: ExportModel): ExportFile {
  return {
    path: KRB5_PATH,
    language: 'krb5',
    text: javaKrb5ConfText(model, 'Hazelcast members'),
    mode: 0o644,
    purpose: `the realm for the members' JVM: ${HAZELCAST_KRB5_CONF}, named by -Djava.security.krb5.conf`,
    redacted: false,
  };
}

/** Principals whose keys the keytab must hold: every principal either side logs in as. */
function keytabPrincipals(security: HazelcastSecurity, fallback: string): string[] {
  const names = [identityOptions(security).options?.principal, authenticationOptions(security).options?.principal].filter((p): p is string => Boolean(p));
  return [...new Set(names.length ? names : [fallback])];
}

export function keytabFile(model: ExportModel, security: HazelcastSecurity, reveal: boolean): ExportFile {
  const principals = keytabPrincipals(security, model.hazelcast.principal);
  const make = principals.map((p) => `kadmin -q "ktadd -k hazelcast.keytab ${p}"`).join('; ');
  const file: ExportFile = {
    path: KEYTAB_PATH,
    language: 'binary',
    text: '',
    mode: 0o600,
    purpose: `the member's keys (${principals.join(', ')}): ${HAZELCAST_KEYTAB}, readable by the Hazelcast user only; to make it yourself: ${make} (ktadd gives new keys: use kadmin.local "ktadd -norandkey" to keep the current ones)`,
    redacted: !reveal,
  };
  if (!model.hazelcast.keytab) return { ...file, redacted: false, withheld: `the bench has no keytab with ${model.hazelcast.principal}: make it as the purpose says` };
  if (!reveal) return { ...file, withheld: 'holds the member\'s service key: pass --reveal-secrets' };
  return { ...file, binary: Buffer.from(model.hazelcast.keytab).toString('base64') };
}

function memberLines(model: ExportModel, security: HazelcastSecurity): string[] {
  const realm = memberRealm(security);
  const address = model.options.hazelcastSpn?.kind === 'prefix' ? (model.options.hazelcastSpn.address ?? model.hazelcast.host) : model.hazelcast.host;
  const identity = realm?.identity;
  const spn = memberSpn(identity, address, identity?.useCanonicalHostname ? (model.options.host ?? model.hazelcast.host) : undefined);
  const how = identity?.spn ? 'one static spn for every member' : identity?.useCanonicalHostname ? 'service-name-prefix + the canonical host name (reverse DNS) of the member address' : 'service-name-prefix + the member address, exactly as members and clients connect to it';
  return [`| member ${address} | \`${spn}\` |`, '', `Built as ${how}. Every member needs its own SPN in the KDC and in its keytab; add a row per member address.`];
}

export function readmeFile(model: ExportModel, security: HazelcastSecurity, configFile: string): ExportFile {
  const form = model.imported?.setup.hazelcast ? `imported from ${model.imported.file}` : (model.options.hazelcastForm ?? 'simple') === 'simple' ? 'simplified form (principal + keytab-file)' : 'full form (JAAS Krb5LoginModule realms krb5Initiator and krb5Acceptor)';
  const lines = [
    `# Hazelcast Kerberos security (${model.realm})`,
    '',
    `Made from ${model.basis}; ${form}. Kerberos authentication is a Hazelcast Enterprise feature.`,
    '',
    '## Files',
    '',
    `- \`${configFile}\`: merge its \`security\` section into each member's configuration.`,
    `- \`krb5.conf\` → \`${HAZELCAST_KRB5_CONF}\``,
    `- \`hazelcast.keytab\` → \`${HAZELCAST_KEYTAB}\` (mode 0600, owned by the user Hazelcast runs as)`,
    '',
    '## JVM options',
    '',
    '```sh',
    `JAVA_OPTS="-Djava.security.krb5.conf=${HAZELCAST_KRB5_CONF}"`,
    '# while setting up, Java\'s own Kerberos log:',
    '# JAVA_OPTS="$JAVA_OPTS -Dsun.security.krb5.debug=true"',
    '```',
    '',
    '## Member SPNs',
    '',
    '| member | SPN the identity side asks a ticket for |',
    '|---|---|',
    ...memberLines(model, security),
    '',
    `Files live in \`${HAZELCAST_DIR}\` in Hazelcast's distribution and images; change the paths in the configuration if yours differ.`,
  ];
  return { path: README_PATH, language: 'markdown', text: `${lines.join('\n')}\n`, mode: 0o644, purpose: 'where each file goes, the JVM options and the member SPNs', redacted: false };
}
