/**
 * Check 1: the krb5.conf files MIT would read for this environment — found, parseable, a default
 * realm, usable enctypes — and a summary of the settings the other checks depend on.
 */
import { DEFAULT_KRB5_CONFIG, loadKrb5Environment, type Krb5Environment } from '../../system/krb5-env';
import { enctypeName } from '../../krb/names';
import { isSampleRealm, SAMPLE_REALM_COMMANDS, SAMPLE_REALM_FIX, sampleRealmCause } from '../../system/sample-realm';
import { EnvFindingId } from './catalog-map';
import { Krb5Settings, parseBoolean, parseDuration, STRONG_ENCTYPES, WEAK_ENCTYPES, type Located } from './settings';
import { measure, type Collector, type CheckOutcome, type FindingEvidence } from './types';

export interface ConfigState {
  krb5: Krb5Environment;
  settings: Krb5Settings;
  defaultRealm?: Located;
  /** The file a fix should edit: the first krb5.conf MIT reads. */
  mainFile: string;
}

const BOOLEAN_SETTINGS = ['rdns', 'dns_canonicalize_hostname', 'dns_lookup_kdc', 'dns_lookup_realm', 'kdc_timesync', 'allow_weak_crypto', 'forwardable'];
const DURATION_SETTINGS = ['ticket_lifetime', 'renew_lifetime', 'clockskew'];
const ENCTYPE_SETTINGS = ['permitted_enctypes', 'default_tkt_enctypes', 'default_tgs_enctypes'];
/** The [libdefaults] the other checks depend on, with MIT's defaults. */
const SUMMARY_SETTINGS: [string, string][] = [
  ['rdns', 'true'],
  ['dns_canonicalize_hostname', 'true'],
  ['dns_lookup_kdc', 'true'],
  ['udp_preference_limit', '1465'],
  ['ticket_lifetime', '1d'],
  ['kdc_timesync', 'true'],
  ['clockskew', '300'],
];

export async function checkConfig(env: NodeJS.ProcessEnv, realmHint: string | undefined, out: Collector): Promise<ConfigState> {
  const krb5 = await loadKrb5Environment(env);
  const settings = new Krb5Settings(krb5.profiles);
  const mainFile = krb5.files[0]?.path ?? DEFAULT_KRB5_CONFIG;
  const state: ConfigState = { krb5, settings, mainFile, ...(settingDefaultRealm(settings) ?? {}) };
  await out.run('krb5-conf', () => filesCheck(krb5, out));
  await out.run('krb5-conf-syntax', () => syntaxCheck(krb5, settings, out));
  await out.run('default-realm', () => defaultRealmCheck(state, realmHint, env, out));
  await out.run('enctypes', () => enctypesCheck(state, out));
  await out.run('krb5-settings', () => settingsSummary(state));
  return state;
}

function settingDefaultRealm(settings: Krb5Settings): { defaultRealm: Located } | undefined {
  const found = settings.libdefault('default_realm');
  return found ? { defaultRealm: found } : undefined;
}

function filesCheck(krb5: Krb5Environment, out: Collector): CheckOutcome {
  const read = krb5.files.filter((f) => f.exists && !f.error);
  const variable = krb5.krb5ConfigVar === null ? `KRB5_CONFIG unset, so MIT reads ${DEFAULT_KRB5_CONFIG}` : `KRB5_CONFIG=${krb5.krb5ConfigVar}`;
  if (read.length > 0) {
    const list = read.map((f) => (f.includedFrom ? `${f.path} (included from ${f.includedFrom})` : f.path)).join(', ');
    return { ok: true, detail: `${variable}; read ${list}`, measured: [measure('read', read.map((f) => f.path).join(', '), undefined, krb5.krb5ConfigVar === null ? 'KRB5_CONFIG unset' : 'KRB5_CONFIG')] };
  }
  const missing = krb5.files.map((f) => `${f.path}: ${f.error ?? 'unreadable'}`);
  out.finding({
    id: EnvFindingId.krb5ConfMissing,
    title: 'No krb5.conf could be read',
    confidence: 0.85,
    cause: `${variable}, but none of those files can be read (${missing.join('; ')}). MIT then knows no default realm and no KDC.`,
    fix: 'Point KRB5_CONFIG at the krb5.conf of this realm, or create the file.',
    commands: [`ls -l ${krb5.files.map((f) => f.path).join(' ') || DEFAULT_KRB5_CONFIG}`],
    evidence: missing.map((text) => ({ source: 'krb5.conf files', text })),
  });
  return { ok: false, detail: `${variable}; ${missing.join('; ')}` };
}

/** Parse problems, unreadable includes, and values MIT would not understand. */
function syntaxCheck(krb5: Krb5Environment, settings: Krb5Settings, out: Collector): CheckOutcome {
  const evidence: FindingEvidence[] = [
    ...krb5.profiles.flatMap((p) => p.problems.map((problem) => ({ source: `${p.source}:${problem.line}`, text: problem.message }))),
    ...krb5.files.filter((f) => f.includedFrom && f.error).map((f) => ({ source: `include in ${f.includedFrom}`, text: `${f.path}: ${f.error}` })),
    ...valueProblems(settings),
  ];
  if (evidence.length === 0) return { ok: true, detail: `${krb5.profiles.length} file(s) parsed without problems`, measured: [measure('problems', 0)] };
  out.finding({
    id: EnvFindingId.krb5ConfParse,
    title: 'krb5.conf has lines MIT cannot use',
    confidence: 0.5,
    cause: `MIT skips or misreads what it cannot parse, so settings on these lines do not take effect: ${evidence
      .slice(0, 3)
      .map((e) => `${e.source} ${e.text}`)
      .join('; ')}${evidence.length > 3 ? ` (and ${evidence.length - 3} more)` : ''}.`,
    fix: 'Correct the lines named in the evidence (format: "[section]", "tag = value", "tag = {" … "}").',
    commands: [...new Set(evidence.map((e) => e.source.replace(/:\d+$/, '')))].filter((f) => f.startsWith('/')).map((f) => `\${EDITOR:-vi} ${f}`),
    evidence,
  });
  return { ok: false, detail: `${evidence.length} problem(s): ${evidence.map((e) => `${e.source} ${e.text}`).join('; ')}`, measured: [measure('problems', evidence.length)] };
}

function valueProblems(settings: Krb5Settings): FindingEvidence[] {
  const problems: FindingEvidence[] = [];
  for (const tag of BOOLEAN_SETTINGS) {
    const found = settings.libdefault(tag);
    if (found && parseBoolean(found.value) === undefined) problems.push({ source: found.where, text: `${tag} = ${found.value} is not a boolean (true/false); MIT uses its default` });
  }
  for (const tag of DURATION_SETTINGS) {
    const found = settings.libdefault(tag);
    if (found && parseDuration(found.value) === undefined) problems.push({ source: found.where, text: `${tag} = ${found.value} is not a duration (e.g. 10h, 1d, 300)` });
  }
  for (const tag of ENCTYPE_SETTINGS) {
    const list = settings.enctypes(tag);
    if (list.unknown.length && list.where) problems.push({ source: list.where, text: `${tag}: unknown enctype name(s) ${list.unknown.join(', ')}` });
  }
  return problems;
}

function defaultRealmCheck(state: ConfigState, realmHint: string | undefined, env: NodeJS.ProcessEnv, out: Collector): CheckOutcome {
  const found = state.defaultRealm;
  if (found && isSampleRealm(found.value)) return sampleRealm(found, realmHint, out);
  if (found) return { ok: true, detail: `default_realm = ${found.value} (${found.where})`, measured: [measure('default_realm', found.value, undefined, found.where)] };
  const realm = realmHint || state.settings.realms()[0] || 'EXAMPLE.COM';
  const read = state.krb5.files.filter((f) => f.exists).map((f) => f.path);
  out.finding({
    id: EnvFindingId.noDefaultRealm,
    title: 'No default realm',
    confidence: 0.85,
    cause: `None of the krb5.conf files MIT reads (${read.join(', ') || 'none could be read'}) sets default_realm in [libdefaults], so every name without "@REALM" fails with "Cannot locate default realm" (EMQX, kinit and GSS acceptors all need it).`,
    fix: `Add "default_realm = ${realm}" under [libdefaults] in ${state.mainFile}${env.KRB5_CONFIG ? '' : ', or point KRB5_CONFIG at the krb5.conf that has it'}.`,
    // A second [libdefaults] header is fine: MIT merges sections of the same name.
    commands: [`printf '\\n[libdefaults]\\n  default_realm = %s\\n' ${realm} >> ${state.mainFile}`],
    evidence: [{ source: read.join(', ') || 'krb5.conf', text: '[libdefaults] has no default_realm' }],
  });
  return { ok: false, detail: `no default_realm in ${read.join(', ') || 'any readable krb5.conf'}` };
}

/**
 * Debian's sample /etc/krb5.conf (ATHENA.MIT.EDU): a real realm, but MIT's. Unless the service
 * asked about is in it, that default is surely not what this setup means.
 */
function sampleRealm(found: Located, realmHint: string | undefined, out: Collector): CheckOutcome {
  const measured = [measure('default_realm', found.value, undefined, `${found.where}: Debian's sample krb5.conf`)];
  if (isSampleRealm(realmHint)) return { ok: true, detail: `default_realm = ${found.value} (${found.where})`, measured };
  out.finding({
    id: EnvFindingId.sampleDefaultRealm,
    title: `The default realm is Debian's sample ${found.value}`,
    confidence: 0.6,
    cause: sampleRealmCause(found.where),
    fix: `${SAMPLE_REALM_FIX}.`,
    commands: SAMPLE_REALM_COMMANDS,
    evidence: [{ source: found.where, text: `default_realm = ${found.value}` }],
  });
  return { ok: false, detail: `default_realm = ${found.value} (${found.where}): Debian's sample krb5.conf, not a realm of yours`, measured };
}

/** Only weak or legacy enctypes left: modern KDCs and JDKs refuse them, AD disables RC4. */
function enctypesCheck(state: ConfigState, out: Collector): CheckOutcome {
  const lists = ENCTYPE_SETTINGS.map((tag) => ({ tag, ...state.settings.enctypes(tag) }));
  const weakOnly = lists.filter((l) => l.where && l.ids.length > 0 && !l.ids.some((id) => STRONG_ENCTYPES.has(id)));
  const empty = lists.filter((l) => l.where && l.ids.length === 0);
  const detail = lists.map((l) => `${l.tag}: ${l.ids.map(enctypeName).join(' ') || '(none)'}${l.where ? ` (${l.where})` : ' (MIT default)'}`).join('; ');
  const measured = lists.map((l) => measure(l.tag, l.ids.map(enctypeName).join(', ') || '(none)', undefined, l.where ?? 'MIT default'));
  if (weakOnly.length === 0 && empty.length === 0) return { ok: true, detail, measured };
  const bad = [...weakOnly, ...empty];
  const weakInConf = bad.some((l) => l.raw && l.raw.split(/[\s,]+/).some((w) => WEAK_ENCTYPES.has(Number(w)) || /^des(-|$)/i.test(w)));
  out.finding({
    id: EnvFindingId.weakEnctypes,
    title: 'Only weak or legacy encryption types are allowed',
    confidence: 0.6,
    cause: `${bad.map((l) => `${l.tag} leaves ${l.ids.map(enctypeName).join(', ') || 'nothing'}`).join('; ')}: no AES enctype is allowed, so a KDC or service with AES keys only answers "KDC has no support for encryption type"${weakInConf ? ' (single DES is also dropped unless allow_weak_crypto = true)' : ''}.`,
    fix: 'Allow the AES enctypes (the MIT default "DEFAULT" does) and give the principals AES keys.',
    commands: [`sed -i -E 's/^(\\s*(permitted|default_tkt|default_tgs)_enctypes\\s*=).*/\\1 DEFAULT/' ${state.mainFile}`],
    evidence: bad.map((l) => ({ source: l.where ?? 'krb5.conf', text: `${l.tag} = ${l.raw ?? ''}` })),
  });
  return { ok: false, detail, measured };
}

function settingsSummary(state: ConfigState): CheckOutcome {
  const s = state.settings;
  const shown = SUMMARY_SETTINGS.map(([tag, fallback]) => {
    const found = s.libdefault(tag);
    return { tag, value: found?.value ?? fallback, where: found?.where ?? 'MIT default' };
  });
  const { keytab, ccache } = state.krb5;
  const detail = [...shown.map((v) => `${v.tag} = ${v.value} (${v.where})`), `keytab ${keytab.name} (${keytab.source})`, `ccache ${ccache.name} (${ccache.source})`].join('; ');
  const measured = [...shown.map((v) => measure(v.tag, v.value, undefined, v.where)), measure('keytab', keytab.name, undefined, keytab.source), measure('ccache', ccache.name, undefined, ccache.source)];
  return { ok: true, detail, measured };
}
