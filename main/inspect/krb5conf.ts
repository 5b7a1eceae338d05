/**
 * A krb5.conf as the krb5.conf view shows it: main/krb/profile.ts parses the text; this adds what
 * a reader wants to know — the realms with their KDCs, [domain_realm], what each [libdefaults]
 * tag does — and the problems MIT would not tell you about (it ignores unknown sections and tags
 * silently, and falls back to DNS or fails only when a ticket is asked for).
 */
import type { Krb5ConfDocument, Krb5ConfNode, Krb5ConfProblem, Krb5ConfRealm, Krb5ConfSection, Krb5ConfValue } from '../api/profile';
import { parseBoolean } from '../diagnose/environment/settings';
import { parseProfile, type ProfileSection, type ProfileValue } from '../krb/profile';
import { DEBIAN_SAMPLE_REALM, isSampleRealm } from '../system/sample-realm';
import { FOREIGN_LIBDEFAULTS, KNOWN_SECTIONS, LIBDEFAULT_BOOLEANS, LIBDEFAULTS, REALM_TAGS } from './krb5conf-tags';

const isSection = (entry: ProfileValue | ProfileSection): entry is ProfileSection => 'relations' in entry;

/** A section's relations as nodes in file order (the parser groups them by tag). */
function nodesOf(section: ProfileSection, meanings?: Record<string, string>): Krb5ConfNode[] {
  const nodes: Krb5ConfNode[] = [];
  for (const [tag, entries] of section.relations) {
    for (const entry of entries) {
      if (isSection(entry)) nodes.push({ kind: 'section', tag, line: entry.line, children: nodesOf(entry, meanings === LIBDEFAULTS ? undefined : meanings) });
      else nodes.push({ kind: 'value', tag, value: entry.value, line: entry.line, ...(meanings?.[tag] ? { meaning: meanings[tag] } : {}) });
    }
  }
  return nodes.sort((a, b) => a.line - b.line);
}

const valuesOf = (nodes: Krb5ConfNode[]): Krb5ConfValue[] => nodes.flatMap((n) => (n.kind === 'value' ? [{ tag: n.tag, value: n.value, line: n.line, ...(n.meaning ? { meaning: n.meaning } : {}) }] : []));

function realmOf(node: Extract<Krb5ConfNode, { kind: 'section' }>): Krb5ConfRealm {
  const values = valuesOf(node.children);
  const take = (...tags: string[]) => values.filter((v) => tags.includes(v.tag));
  const named = new Set(['kdc', 'admin_server', 'kpasswd_server', 'primary_kdc', 'master_kdc']);
  return {
    name: node.tag,
    line: node.line,
    kdc: take('kdc'),
    adminServer: take('admin_server'),
    kpasswdServer: take('kpasswd_server'),
    primaryKdc: take('primary_kdc', 'master_kdc'),
    other: values.filter((v) => !named.has(v.tag)),
  };
}

/** Parses `text` (a krb5.conf or kdc.conf) read from `name`. */
export function describeProfile(text: string, name: string): Krb5ConfDocument {
  const parsed = parseProfile(text, name);
  const sections: Krb5ConfSection[] = [...parsed.sections].map(([sectionName, section]) => ({
    name: sectionName,
    line: section.line,
    known: KNOWN_SECTIONS.has(sectionName),
    children: nodesOf(section, sectionName === 'libdefaults' ? LIBDEFAULTS : sectionName === 'realms' ? REALM_TAGS : undefined),
  }));
  sections.sort((a, b) => a.line - b.line);
  const section = (wanted: string) => sections.find((s) => s.name === wanted)?.children ?? [];
  const realms = section('realms').flatMap((n) => (n.kind === 'section' ? [realmOf(n)] : []));
  const libdefaults = valuesOf(section('libdefaults'));
  const domainRealm = valuesOf(section('domain_realm')).map((v) => ({ domain: v.tag, realm: v.value, line: v.line }));
  const problems: Krb5ConfProblem[] = [
    ...parsed.problems.map((p) => ({ line: p.line, severity: 'error' as const, message: p.message })),
    ...sections.filter((s) => !s.known).map((s) => ({ line: s.line, severity: 'warning' as const, message: `MIT reads no section [${s.name}]: everything in it is ignored` })),
    ...libdefaultProblems(libdefaults),
    ...realmProblems(realms, libdefaults, section('realms'), parsed.includes.length > 0),
    ...domainRealm.filter((d) => realms.length && !realms.some((r) => r.name === d.realm)).map((d) => ({ line: d.line, severity: 'info' as const, message: `${d.domain} maps to ${d.realm}, which has no block in [realms] here` })),
  ];
  return {
    name,
    text,
    lineCount: text.split(/\r?\n/).length,
    libdefaults,
    realms,
    domainRealm,
    includes: parsed.includes.map((i) => ({ kind: i.kind, path: i.path, line: i.line })),
    sections,
    problems: problems.sort((a, b) => a.line - b.line),
  };
}

function libdefaultProblems(values: Krb5ConfValue[]): Krb5ConfProblem[] {
  const problems: Krb5ConfProblem[] = [];
  for (const v of values) {
    const foreign = FOREIGN_LIBDEFAULTS[v.tag];
    if (foreign) problems.push({ line: v.line, severity: 'info', message: `${v.tag} is a ${foreign} setting: MIT ignores it` });
    else if (!LIBDEFAULTS[v.tag] && !v.tag.startsWith('pkinit_')) problems.push({ line: v.line, severity: 'info', message: `MIT 1.20 knows no [libdefaults] ${v.tag}: it is ignored (a typo?)` });
    const fallback = LIBDEFAULT_BOOLEANS[v.tag];
    if (fallback !== undefined && parseBoolean(v.value) === undefined) {
      problems.push({ line: v.line, severity: 'warning', message: `${v.tag} = ${v.value} is not a boolean MIT reads (true/false, yes/no, 1/0, on/off): it uses its default, ${fallback}` });
    }
  }
  const realm = values.find((v) => v.tag === 'default_realm');
  if (realm && isSampleRealm(realm.value)) {
    problems.push({
      line: realm.line,
      severity: 'warning',
      message: `default_realm = ${DEBIAN_SAMPLE_REALM} is the sample krb5.conf Debian's krb5-config installs: MIT's own campus realm, not yours. Names without "@REALM" go to kerberos.mit.edu and fail`,
    });
  }
  return problems;
}

function realmProblems(realms: Krb5ConfRealm[], libdefaults: Krb5ConfValue[], realmNodes: Krb5ConfNode[], hasIncludes: boolean): Krb5ConfProblem[] {
  const problems: Krb5ConfProblem[] = [];
  const dnsText = libdefaults.find((v) => v.tag === 'dns_lookup_kdc')?.value;
  const dnsLookup = (dnsText === undefined ? undefined : parseBoolean(dnsText)) ?? true;
  for (const node of realmNodes) {
    if (node.kind === 'value') problems.push({ line: node.line, severity: 'warning', message: `[realms] holds one block per realm (${node.tag} = { kdc = … }): "${node.tag} = ${node.value}" is ignored` });
  }
  for (const realm of realms) {
    if (realm.kdc.length) continue;
    problems.push(
      dnsLookup
        ? { line: realm.line, severity: 'warning', message: `realm ${realm.name} names no kdc: MIT looks for DNS SRV records (_kerberos._udp.${realm.name}); without them it fails with 'Cannot find KDC for realm "${realm.name}"'` }
        : { line: realm.line, severity: 'error', message: `realm ${realm.name} names no kdc and dns_lookup_kdc is off: MIT fails with 'Cannot find KDC for realm "${realm.name}"'` },
    );
  }
  const defaultRealm = libdefaults.find((v) => v.tag === 'default_realm');
  if (!defaultRealm && !hasIncludes) {
    problems.push({ line: 1, severity: 'info', message: 'no default_realm: names without "@REALM" fail with "Cannot locate default realm" (unless another file MIT reads sets it)' });
  } else if (defaultRealm && !isSampleRealm(defaultRealm.value) && !realms.some((r) => r.name === defaultRealm.value)) {
    problems.push({
      line: defaultRealm.line,
      severity: dnsLookup ? 'info' : 'warning',
      message: `the default realm ${defaultRealm.value} has no block in [realms]${dnsLookup ? ': its KDCs must come from DNS SRV records' : ' and dns_lookup_kdc is off: MIT cannot find its KDC'}`,
    });
  }
  return problems;
}
