/**
 * What the bench does with each relation of a krb5.conf (and the files it includes): the settings
 * it understands and uses — in the exported krb5.conf and in "test my config" — and those MIT reads
 * that the bench does not use, each with its file and line. Relations are taken in MIT's reading
 * order (includes where they stand); for a single-valued tag the first one wins, as in MIT.
 */
import type { ImportProblem, ImportSetting, ImportSetup, ImportUnused } from '../../api/export';
import type { Krb5ConfNode } from '../../api/profile';
import { FOREIGN_LIBDEFAULTS, LIBDEFAULTS, REALM_TAGS } from '../../inspect/krb5conf-tags';
import { compareOrder, type Krb5Files, type Krb5Fragment } from './includes';

/** [libdefaults] tags the bench uses, and how. */
export const UNDERSTOOD_LIBDEFAULTS: Record<string, string> = {
  default_realm: 'the realm of the setup and of the exported krb5.conf',
  dns_lookup_kdc: 'kept in the exported krb5.conf (the lab test turns it off: the lab has no DNS records)',
  dns_lookup_realm: 'kept in the exported krb5.conf (the lab test turns it off)',
  default_keytab_name: 'the service keytab: the acceptor default (EMQX reads only this or KRB5_KTNAME)',
  permitted_enctypes: 'kept, also in the lab test: the enctypes MIT allows for keys and session keys',
  default_tkt_enctypes: 'kept, also in the lab test: enctypes asked for in AS requests',
  default_tgs_enctypes: 'kept, also in the lab test: enctypes asked for in TGS requests',
  rdns: 'kept, also in the lab test: whether service host names are reverse-resolved',
  dns_canonicalize_hostname: 'kept, also in the lab test: whether service host names are forward-resolved',
  qualify_shortname: 'kept, also in the lab test: the domain added to short host names',
  ignore_acceptor_hostname: 'kept: acceptors take tickets for any host name in the keytab',
  udp_preference_limit: 'kept, also in the lab test: when MIT uses TCP',
  ticket_lifetime: 'kept, also in the lab test',
  renew_lifetime: 'kept, also in the lab test',
  forwardable: 'kept, also in the lab test',
  proxiable: 'kept, also in the lab test',
  noaddresses: 'kept, also in the lab test',
  canonicalize: 'kept, also in the lab test',
  clockskew: 'kept, also in the lab test',
  kdc_timesync: 'kept, also in the lab test',
  allow_weak_crypto: 'kept, also in the lab test',
  allow_rc4: 'kept, also in the lab test',
  dns_uri_lookup: 'kept in the exported krb5.conf',
  request_timeout: 'kept, also in the lab test',
};

/** Tags MIT must not take from the user's file when the lab is the realm (paths and DNS of their machine). */
export const LAB_TEST_DROPS = new Set(['default_realm', 'dns_lookup_kdc', 'dns_lookup_realm', 'default_keytab_name', 'dns_uri_lookup']);

/** Realm tags the bench uses. */
export const UNDERSTOOD_REALM_TAGS: Record<string, string> = {
  kdc: 'a KDC of the realm (the setup keeps them in order)',
  admin_server: 'kadmind, kept in the exported krb5.conf',
  primary_kdc: 'kept in the exported krb5.conf',
  master_kdc: 'kept in the exported krb5.conf',
  kpasswd_server: 'kept in the exported krb5.conf',
};
const MULTI_VALUED_REALM_TAGS = new Set(['kdc', 'admin_server', 'kpasswd_server']);

const SECTION_USES: Record<string, string> = {
  capaths: 'cross-realm paths',
  appdefaults: 'application defaults',
  plugins: 'plugin modules',
  logging: 'KDC and kadmind logging',
  dbdefaults: 'KDC database defaults',
  dbmodules: 'KDC database modules',
  kdcdefaults: 'KDC defaults',
  otp: 'OTP pre-authentication',
};

interface Located {
  node: Extract<Krb5ConfNode, { kind: 'value' }>;
  file: string;
  order: number[];
}

export interface Krb5Settings {
  understood: ImportSetting[];
  unused: ImportUnused[];
  problems: ImportProblem[];
  setup: ImportSetup;
  /** Every realm block with the understood tags, in reading order (the export target writes them back). */
  realms: { name: string; tags: { tag: string; value: string }[] }[];
}

export function krb5Settings(files: Krb5Files, krb5Config: string | undefined): Krb5Settings {
  const out: Krb5Settings = { understood: [], unused: [...files.unused], problems: [...files.problems], setup: {}, realms: [] };
  const seen = new Map<string, Located>();
  const take = (key: string, at: Located, use: string | undefined, single: boolean): boolean => {
    const first = seen.get(key);
    if (single && first) {
      out.unused.push({ key, value: at.node.value, file: at.file, line: at.node.line, why: `MIT uses the first value: ${first.node.value} (${first.file}:${first.node.line})` });
      return false;
    }
    if (single) seen.set(key, at);
    out.understood.push({ key, value: at.node.value, file: at.file, line: at.node.line, ...(use ? { use } : {}) });
    return true;
  };
  for (const at of located(files.fragments, 'libdefaults')) libdefault(at, take, out.unused);
  for (const at of located(files.fragments, 'realms')) realmTag(at, take, out);
  for (const at of located(files.fragments, 'domain_realm')) {
    if (at.path.length !== 1) out.unused.push({ key: `domain_realm.${at.path.join('.')}`, value: at.node.value, file: at.file, line: at.node.line, why: '[domain_realm] holds host = REALM lines only' });
    else take(`domain_realm.${at.node.tag}`, at, 'maps the host (or .domain) to its realm', true);
  }
  for (const fragment of files.fragments) out.unused.push(...otherSections(fragment));
  for (const fragment of files.fragments) out.problems.push(...fragmentProblems(fragment, out.realms));
  out.setup = setupOf(out, krb5Config);
  return out;
}

/** Each value of a section across the files, in MIT's reading order, with its tag path inside the section. */
function located(fragments: Krb5Fragment[], section: string): (Located & { path: string[] })[] {
  const out: (Located & { path: string[] })[] = [];
  for (const fragment of fragments) {
    for (const s of fragment.doc.sections.filter((x) => x.name === section)) {
      for (const { node, path } of flatten(s.children, [])) out.push({ node, path, file: fragment.file, order: [...fragment.order, node.line] });
    }
  }
  return out.sort((a, b) => compareOrder(a.order, b.order));
}

function flatten(nodes: Krb5ConfNode[], prefix: string[]): { node: Extract<Krb5ConfNode, { kind: 'value' }>; path: string[] }[] {
  return nodes.flatMap((n) => (n.kind === 'value' ? [{ node: n, path: [...prefix, n.tag] }] : flatten(n.children, [...prefix, n.tag])));
}

type Take = (key: string, at: Located, use: string | undefined, single: boolean) => boolean;

function libdefault(at: Located & { path: string[] }, take: Take, unused: ImportUnused[]): void {
  const tag = at.node.tag;
  const key = `libdefaults.${at.path.join('.')}`;
  const base = { key, value: at.node.value, file: at.file, line: at.node.line };
  if (at.path.length > 1) unused.push({ ...base, why: `a per-realm [libdefaults] block (${at.path[0]}): the bench uses the top-level settings only` });
  else if (UNDERSTOOD_LIBDEFAULTS[tag]) take(key, at, UNDERSTOOD_LIBDEFAULTS[tag], true);
  else if (FOREIGN_LIBDEFAULTS[tag]) unused.push({ ...base, why: `a ${FOREIGN_LIBDEFAULTS[tag]} setting: MIT ignores it` });
  else if (LIBDEFAULTS[tag] || tag.startsWith('pkinit_')) unused.push({ ...base, why: `MIT reads it (${LIBDEFAULTS[tag] ?? 'PKINIT'}); the bench does not use it` });
  else unused.push({ ...base, why: `MIT 1.20 knows no [libdefaults] ${tag}: it is ignored (a typo?)` });
}

function realmTag(at: Located & { path: string[] }, take: Take, out: Krb5Settings): void {
  const [realm, ...rest] = at.path;
  const tag = rest.join('.');
  const key = `realms.${at.path.join('.')}`;
  const base = { key, value: at.node.value, file: at.file, line: at.node.line };
  if (rest.length === 0) return; // "[realms] X = value": describeProfile reports it
  if (rest.length === 1 && UNDERSTOOD_REALM_TAGS[tag]) {
    if (!take(key, at, UNDERSTOOD_REALM_TAGS[tag], !MULTI_VALUED_REALM_TAGS.has(tag))) return;
    let block = out.realms.find((r) => r.name === realm);
    if (!block) out.realms.push((block = { name: realm!, tags: [] }));
    block.tags.push({ tag, value: at.node.value });
    return;
  }
  const meaning = REALM_TAGS[rest[0]!];
  out.unused.push({ ...base, why: meaning ? `MIT reads it (${meaning}); the bench does not use it` : `MIT knows no realm tag ${rest[0]}: it is ignored` });
}

/** Relations of sections the bench does not use: read by MIT (or not), listed with their line. */
function otherSections(fragment: Krb5Fragment): ImportUnused[] {
  const out: ImportUnused[] = [];
  for (const section of fragment.doc.sections) {
    if (['libdefaults', 'realms', 'domain_realm'].includes(section.name)) continue;
    const use = SECTION_USES[section.name];
    const why = use ? `[${section.name}] (${use}) is read by MIT; the bench does not use it` : `MIT reads no section [${section.name}]: it is ignored`;
    for (const { node, path } of flatten(section.children, [])) out.push({ key: `${section.name}.${path.join('.')}`, value: node.value, file: fragment.file, line: node.line, why });
  }
  return out;
}

/**
 * describeProfile's errors and warnings (its notes are the unused list here), less those about a
 * realm block or KDC that another file of the set provides (it sees one file at a time).
 */
function fragmentProblems(fragment: Krb5Fragment, realms: Krb5Settings['realms']): ImportProblem[] {
  const provided = (message: string): boolean => {
    const realm = /^the default realm (\S+) has no block in \[realms\]|^realm (\S+) names no kdc/.exec(message);
    const name = realm?.[1] ?? realm?.[2];
    return name !== undefined && realms.some((r) => r.name === name && r.tags.some((t) => t.tag === 'kdc'));
  };
  return fragment.doc.problems.filter((p) => p.severity !== 'info' && !provided(p.message)).map((p) => ({ file: fragment.file, line: p.line, severity: p.severity === 'error' ? 'error' : 'warning', message: p.message }));
}

function setupOf(s: Krb5Settings, krb5Config: string | undefined): ImportSetup {
  const value = (key: string) => s.understood.find((u) => u.key === key)?.value;
  const realm = value('libdefaults.default_realm') ?? (s.realms.length === 1 ? s.realms[0]!.name : undefined);
  const libdefaults: Record<string, string> = {};
  for (const u of s.understood) if (u.key.startsWith('libdefaults.') && u.key !== 'libdefaults.default_realm') libdefaults[u.key.slice('libdefaults.'.length)] = u.value;
  const domainRealm = s.understood.filter((u) => u.key.startsWith('domain_realm.')).map((u) => ({ domain: u.key.slice('domain_realm.'.length), realm: u.value }));
  const kdcs = s.realms.find((r) => r.name === realm)?.tags.filter((t) => t.tag === 'kdc').map((t) => t.value) ?? [];
  return {
    ...(realm ? { realm } : {}),
    ...(kdcs.length ? { kdcs } : {}),
    ...(krb5Config ? { krb5Config } : {}),
    libdefaults,
    domainRealm,
    ...(s.realms.length ? { realms: s.realms.map((r) => ({ name: r.name, tags: r.tags.map((t) => ({ tag: t.tag, value: t.value })) })) } : {}),
  };
}
