/**
 * `kbench spn predict|build|check|validate|names`: which SPN each client stack asks for; SPNs built
 * and validated in each product's words; does the KDC know an SPN and does a keytab hold its
 * current key; the user name each product derives from a principal. Every answer comes from the
 * `negotiate` and `spn` services; this file parses flags and prints.
 */
import path from 'node:path';
import type { NameMapping, SpnBuildInput, SpnBuildResult, SpnCheckResult, SpnProduct, SpnValidation } from '../../api/export';
import type { SpnPredictOptions } from '../../api/http';
import { logSafe } from '../../system/log-safe';
import { EXIT_FAILURE, EXIT_OK, UsageError, type Command, type CommandInput } from '../command';
import { json, padEnd, palette, useColour } from '../format';
import { invokeService } from '../invoke';
import { str } from '../password-options';
import { spnText } from './http-probe';

const predictCommand: Command = {
  name: 'predict',
  summary: 'which SPN MIT/curl, Java, Chromium and Firefox request for a URL; does the KDC know it, does the keytab hold its key',
  usage: [
    'spn predict URL [--profile lab|system|custom] [--realm R] [--krb5-conf F] [--ccache F] [--keytab F] [--chromium-allowlist LIST] [--chromium-port] [--no-cname-lookup] [--firefox-trusted-uris LIST] [--firefox-allow-non-fqdn] [--json]',
  ],
  details: `Follows each client stack from the URL's host to the SPN it would ask for: MIT/curl with the
profile's krb5.conf (dns_canonicalize_hostname, rdns), Java 17 (lower-cased host, an IP stays an IP),
Chromium (CNAME canonicalisation, --enable-auth-negotiate-port, --auth-server-allowlist) and Firefox
(network.negotiate-auth.trusted-uris). Each distinct SPN is then checked against the profile's KDC
(kvno) and a service keytab (--keytab; the lab's service keytab with --profile lab, the default).
Exit status 1 when a predicted SPN is unknown to the KDC or the keytab lacks its current key.`,
  options: {
    profile: { type: 'string' },
    realm: { type: 'string' },
    'krb5-conf': { type: 'string' },
    'krb5-config': { type: 'string' },
    ccache: { type: 'string' },
    keytab: { type: 'string' },
    'chromium-allowlist': { type: 'string' },
    'chromium-port': { type: 'boolean' },
    'no-cname-lookup': { type: 'boolean' },
    'firefox-trusted-uris': { type: 'string' },
    'firefox-allow-non-fqdn': { type: 'boolean' },
    json: { type: 'boolean' },
  },
  positionals: { min: 1, max: 1 },
  async run(input) {
    const { values, positionals, io } = input;
    const url = positionals[0]!;
    if (!/^https?:\/\//i.test(url)) throw new UsageError(`"${url}" is not an http:// or https:// URL`, predictCommand);
    const krb5Config = str(input, 'krb5-conf') ?? str(input, 'krb5-config');
    const profile = (str(input, 'profile') ?? (krb5Config || str(input, 'ccache') ? 'custom' : 'lab')) as NonNullable<SpnPredictOptions['profile']>;
    if (!['lab', 'system', 'custom'].includes(profile)) throw new UsageError(`--profile must be lab, system or custom, not "${profile}"`, predictCommand);
    const browsers = {
      ...(str(input, 'chromium-allowlist') !== undefined ? { chromiumAllowlist: str(input, 'chromium-allowlist')! } : {}),
      ...(values['chromium-port'] ? { chromiumPort: true } : {}),
      ...(values['no-cname-lookup'] ? { chromiumCnameLookup: false } : {}),
      ...(str(input, 'firefox-trusted-uris') !== undefined ? { firefoxTrustedUris: str(input, 'firefox-trusted-uris')! } : {}),
      ...(values['firefox-allow-non-fqdn'] ? { firefoxAllowNonFqdn: true } : {}),
    };
    const report = await invokeService(input.engine(), 'negotiate', 'predictSpn', {
      url,
      profile,
      ...(str(input, 'realm') ? { realm: str(input, 'realm')! } : {}),
      ...(krb5Config ? { krb5Config } : {}),
      ...(str(input, 'ccache') ? { ccache: str(input, 'ccache')! } : {}),
      ...(str(input, 'keytab') ? { keytab: str(input, 'keytab')! } : {}),
      ...(Object.keys(browsers).length ? { browsers } : {}),
    });
    io.stdout(values.json ? json(report) : `${spnText(report).join('\n')}\n`);
    const bad = report.checks.some((c) => c.kdcKnows === false || c.keytabHoldsCurrentKey === false);
    return bad ? EXIT_FAILURE : EXIT_OK;
  },
};

const PRODUCTS: readonly SpnProduct[] = ['emqx', 'elasticsearch', 'hazelcast', 'http', 'generic'];

function productOf(text: string | undefined, command: Command): SpnProduct | undefined {
  if (text === undefined) return undefined;
  if (!PRODUCTS.includes(text as SpnProduct)) throw new UsageError(`the product must be ${PRODUCTS.join(', ')}, not "${text}"`, command);
  return text as SpnProduct;
}

/** ✓ / ✗ marks, coloured on a terminal. */
function marks(input: CommandInput) {
  const p = palette(useColour(input.io.isTty, input.io.env));
  return { good: p.ok('✓'), bad: p.bad('✗'), dim: p.dim };
}

function buildText(result: SpnBuildResult, input: CommandInput): string[] {
  const m = marks(input);
  const width = Math.max(...result.spns.map((c) => c.spn.length), 0) + 2;
  const lines = [`${result.product} SPNs:`];
  for (const c of result.spns) {
    lines.push(`  ${c.valid ? m.good : m.bad} ${padEnd(logSafe(c.spn), width)}${logSafe(c.for)}`);
    for (const step of c.steps) lines.push(`      · ${logSafe(step)}`);
    for (const problem of c.problems) lines.push(`      ${m.bad} ${logSafe(problem)}`);
  }
  if (result.dns.length) lines.push('DNS:');
  const hostWidth = Math.max(...result.dns.map((d) => d.host.length), 0) + 2;
  for (const d of result.dns) {
    const forward = d.error ? `no address: ${d.error}` : `→ ${d.addresses.join(', ')}${d.canonical ? `  (canonical name ${d.canonical})` : ''}`;
    lines.push(`  ${padEnd(logSafe(d.host), hostWidth)}${logSafe(forward)}`);
    for (const r of d.reverse) lines.push(`  ${padEnd('', hostWidth)}${logSafe(`${r.address} ← ${r.names.length ? r.names.join(', ') : `no reverse name: ${r.error ?? ''}`}`)}`);
  }
  return lines;
}

const buildCommand: Command = {
  name: 'build',
  summary: 'the SPNs EMQX, Elasticsearch, Hazelcast or HTTP clients ask for on these hosts, checked in the product\'s words',
  usage: ['spn build emqx|elasticsearch|hazelcast|http|generic HOST… --realm R [--service S] [--prefix P] [--canonical] [--static SPN] [--no-dns] [--json]'],
  details: `emqx           mqtt/FQDN@REALM (--service for another), as EMQX's principal setting wants it
               (invalid_server_principal_string otherwise)
elasticsearch  HTTP/NODE@REALM, one per node
http           HTTP/HOST@REALM
hazelcast      [service-name-prefix][member address]@REALM: --prefix (default hz/), --canonical
               (use-canonical-hostname: the address's reverse-DNS name, as Java finds it), --static SPN
               (one spn shared by every member)
generic        --service S: S/HOST@REALM
Each host is also looked up forward and reverse (--no-dns skips DNS). Exit status 1 when a
built SPN has a problem.`,
  options: {
    realm: { type: 'string' },
    service: { type: 'string' },
    prefix: { type: 'string' },
    canonical: { type: 'boolean' },
    static: { type: 'string' },
    'no-dns': { type: 'boolean' },
    json: { type: 'boolean' },
  },
  positionals: { min: 1, max: 65 },
  async run(input) {
    const [productText, ...hosts] = input.positionals;
    const product = productOf(productText, buildCommand)!;
    const realm = str(input, 'realm');
    if (!realm) throw new UsageError('--realm R is required (the realm the SPNs live in)', buildCommand);
    const hazelcast = {
      ...(str(input, 'prefix') !== undefined ? { prefix: str(input, 'prefix')! } : {}),
      ...(input.values.canonical ? { useCanonicalHostname: true } : {}),
      ...(str(input, 'static') ? { spn: str(input, 'static')! } : {}),
    };
    if (product !== 'hazelcast' && Object.keys(hazelcast).length) throw new UsageError('--prefix, --canonical and --static are Hazelcast settings', buildCommand);
    const request: SpnBuildInput = {
      product,
      realm,
      ...(hosts.length ? { nodes: hosts } : {}),
      ...(str(input, 'service') ? { service: str(input, 'service')! } : {}),
      ...(Object.keys(hazelcast).length ? { hazelcast } : {}),
      ...(input.values['no-dns'] ? { dns: false } : {}),
    };
    const result = await invokeService(input.engine(), 'spn', 'build', request);
    input.io.stdout(input.values.json ? json(result) : `${buildText(result, input).join('\n')}\n`);
    return result.spns.every((c) => c.valid) ? EXIT_OK : EXIT_FAILURE;
  },
};

function validationLines(v: SpnValidation, input: CommandInput): string[] {
  const m = marks(input);
  const parts = v.parts ? `service ${v.parts.service}, host ${v.parts.host}, realm ${v.parts.realm ?? '(none)'}` : 'not service/host[@REALM]';
  return [`${v.valid ? m.good : m.bad} ${logSafe(v.spn)}: ${v.valid ? 'valid' : 'not valid'} (${logSafe(parts)})`, ...v.problems.map((p) => `  ${m.bad} ${logSafe(p)}`)];
}

const validateCommand: Command = {
  name: 'validate',
  summary: 'parse service/host@REALM and list what stops a product from using it',
  usage: ['spn validate SPN [--product emqx|elasticsearch|hazelcast|http|generic] [--json]'],
  details: 'Problems are said in the product\'s words (EMQX: invalid_server_principal_string). Exit status 1 when the SPN has a problem.',
  options: { product: { type: 'string' }, json: { type: 'boolean' } },
  positionals: { min: 1, max: 1 },
  async run(input) {
    const product = productOf(str(input, 'product'), validateCommand);
    const result = await invokeService(input.engine(), 'spn', 'validate', { spn: input.positionals[0]!, ...(product ? { product } : {}) });
    input.io.stdout(input.values.json ? json(result) : `${validationLines(result, input).join('\n')}\n`);
    return result.valid ? EXIT_OK : EXIT_FAILURE;
  },
};

function checkText(r: SpnCheckResult, input: CommandInput): string[] {
  const m = marks(input);
  const kdc = r.kdcKnows === null ? `${m.bad} not asked` : r.kdcKnows ? `${m.good} knows it (kvno ${r.kdcKvno})` : `${m.bad} does not know it`;
  let keytab = `${m.dim('–')} no keytab`;
  if (r.keytab) {
    const held = r.keytabKvnos.length ? `kvno ${r.keytabKvnos.join(', ')}` : 'no key for it';
    const verdict = r.keytabHoldsCurrentKey === null ? '' : r.keytabHoldsCurrentKey ? ' — the current key' : ' — not the current key';
    keytab = `${r.keytabHoldsCurrentKey === false ? m.bad : r.keytabHoldsCurrentKey ? m.good : m.dim('–')} ${r.keytab} holds ${held}${verdict}`;
  }
  const lines = [logSafe(r.spn), `  KDC     ${kdc}`, `  keytab  ${logSafe(keytab)}`, ...validationLines(r, input).slice(1).map((l) => `  name    ${l.trim()}`)];
  for (const d of r.detail) lines.push(`    · ${logSafe(d)}`);
  if (r.fix) lines.push(`  fix: ${logSafe(r.fix)}`);
  return lines;
}

const checkCommand: Command = {
  name: 'check',
  summary: 'does the KDC know this SPN, and does this keytab hold its current key?',
  usage: ['spn check SPN [--profile lab|system|custom] [--realm R] [--krb5-conf F] [--keytab F] [--ccache F] [--product P] [--json]'],
  details: `Asks the profile's KDC for a ticket to SPN (MIT's kvno) and reads the keytab for the SPN's kvnos.
--profile lab (the default; --realm picks the lab realm) asks as the lab's alice and reads the lab's
service keytab unless --keytab; system uses KRB5_CONFIG/KRB5CCNAME; custom (implied by --krb5-conf)
uses --krb5-conf and --ccache. An SPN without @REALM takes --realm, the lab realm, or krb5.conf's
[domain_realm] / default_realm. Exit status 1 when the KDC does not know it, the keytab lacks its
current key, or the KDC could not be asked.`,
  options: {
    profile: { type: 'string' },
    realm: { type: 'string' },
    'krb5-conf': { type: 'string' },
    keytab: { type: 'string' },
    ccache: { type: 'string' },
    product: { type: 'string' },
    json: { type: 'boolean' },
  },
  positionals: { min: 1, max: 1 },
  async run(input) {
    const file = (name: string) => (str(input, name) ? path.resolve(str(input, name)!) : undefined);
    const [krb5Config, keytab, ccache] = [file('krb5-conf'), file('keytab'), file('ccache')];
    const profile = str(input, 'profile') ?? (krb5Config ? 'custom' : 'lab');
    if (!['lab', 'system', 'custom'].includes(profile)) throw new UsageError(`--profile must be lab, system or custom, not "${profile}"`, checkCommand);
    const product = productOf(str(input, 'product'), checkCommand);
    const result = await invokeService(input.engine(), 'spn', 'check', {
      spn: input.positionals[0]!,
      profile: profile as 'lab' | 'system' | 'custom',
      ...(product ? { product } : {}),
      ...(str(input, 'realm') ? { realm: str(input, 'realm')! } : {}),
      ...(krb5Config ? { krb5Config } : {}),
      ...(keytab ? { keytab } : {}),
      ...(ccache ? { ccache } : {}),
    });
    input.io.stdout(input.values.json ? json(result) : `${checkText(result, input).join('\n')}\n`);
    return result.kdcKnows === true && result.keytabHoldsCurrentKey !== false ? EXIT_OK : EXIT_FAILURE;
  },
};

function namesText(mapping: NameMapping): string[] {
  const rows = mapping.names.map((n) => [n.product, n.setting, n.value, n.username]);
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length)) + 2);
  return [`user names for ${logSafe(mapping.principal)}:`, ...rows.map((r) => `  ${r.slice(0, 3).map((c, i) => padEnd(logSafe(c), widths[i]!)).join('')}→ ${logSafe(r[3]!)}`)];
}

const namesCommand: Command = {
  name: 'names',
  summary: 'the user name Elasticsearch, Hazelcast, EMQX and MIT derive from a principal, per setting',
  usage: ['spn names PRINCIPAL [--json]'],
  details: 'Elasticsearch remove_realm_name, Hazelcast use-name-without-realm, EMQX (and kbench\'s broker), MIT auth_to_local DEFAULT.',
  options: { json: { type: 'boolean' } },
  positionals: { min: 1, max: 1 },
  async run(input) {
    const result = await invokeService(input.engine(), 'spn', 'mapName', { principal: input.positionals[0]! });
    input.io.stdout(input.values.json ? json(result) : `${namesText(result).join('\n')}\n`);
    return EXIT_OK;
  },
};

export const spnCommand: Command = {
  name: 'spn',
  summary: 'SPN and name tools: predict, build, validate and check SPNs; map principals to user names',
  usage: ['spn predict URL', 'spn build PRODUCT HOST… --realm R', 'spn check SPN', 'spn validate SPN', 'spn names PRINCIPAL'],
  subcommands: [predictCommand, buildCommand, checkCommand, validateCommand, namesCommand],
};
