/**
 * "Check my setup": every environment check for one Kerberos environment and, optionally, one
 * service principal. krb5.conf is read first (everything else depends on it), then the local
 * keytab and ccache; then the KDC probes and DNS run concurrently, each bounded by the probe
 * timeout, so a dead network costs about one timeout, not the sum of them (the binding probe runs
 * alongside all of it). Last, with a TGT and a reachable KDC, the keytab is compared with the key
 * the KDC uses today.
 */
import { formatPrincipal, parsePrincipal, type Principal } from '../../krb/names';
import { checkBinding } from './binding';
import { checkCcache } from './ccache';
import { reportClock, type ClockWitness } from './clock';
import { checkConfig, type ConfigState } from './config';
import { checkServiceHost, serviceHostOf } from './dns';
import { checkRealmKdcs, type RealmReachability } from './kdc';
import { checkKdcKvno } from './kdc-kvno';
import { checkKeytab } from './keytab';
import { Collector, DEFAULT_TIMEOUT_MS, errorText, measure, type EnvironmentCheck, type EnvironmentCheckInput, type EnvironmentReport } from './types';

export { ENV_TO_CATALOG, EnvFindingId } from './catalog-map';
export type { EnvironmentCheck, EnvironmentCheckInput, EnvironmentReport } from './types';

/** The order checks are listed in, whatever order they finished in. */
const CHECK_ORDER = [
  'krb5-conf',
  'krb5-conf-syntax',
  'default-realm',
  'enctypes',
  'krb5-settings',
  'principal',
  'kdc-locate',
  'kdc-resolve',
  'kdc-udp',
  'kdc-tcp',
  'clock-skew',
  'service-host-form',
  'domain-realm',
  'dns-forward',
  'dns-cname',
  'dns-reverse',
  'keytab-file',
  'keytab-principal',
  'keytab-enctypes',
  'keytab-kvno',
  'keytab-decrypts-ticket',
  'ccache',
  'kerberos-binding',
];

function rank(check: EnvironmentCheck): number {
  const at = CHECK_ORDER.indexOf(check.id.split(':')[0]!);
  return at < 0 ? CHECK_ORDER.length : at;
}

export async function checkEnvironment(input: EnvironmentCheckInput): Promise<EnvironmentReport> {
  const out = new Collector();
  const binding = checkBinding(out); // a child process: runs alongside everything else
  try {
    await runChecks(input, out);
  } catch (error) {
    // A bug in the orchestration must still leave a report: what ran, and that the rest did not.
    out.record('environment', { ok: false, detail: `the checks stopped early: ${errorText(error)}` });
  } finally {
    await binding;
  }
  const checks = out.checks.map((c, i) => ({ c, i })).sort((a, b) => rank(a.c) - rank(b.c) || a.i - b.i).map(({ c }) => c);
  const findings = [...out.findings].sort((a, b) => b.confidence - a.confidence);
  return { findings, checks };
}

interface Target {
  principal: Principal;
  text: string;
}

async function runChecks(input: EnvironmentCheckInput, out: Collector): Promise<void> {
  const timeoutMs = input.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const given = input.principal?.trim() ? parsePrincipal(input.principal.trim()) : undefined;
  const config = await checkConfig(input.env, given?.realm || undefined, out);
  const target = principalTarget(input.principal, config, out);
  const realms = [...new Set([target?.principal.realm, config.defaultRealm?.value].filter((r): r is string => !!r))];
  // Local files first: a getaddrinfo stuck on a dead resolver holds a libuv pool thread past our
  // timeout, and file reads queue behind it in the same pool.
  const { ccache, keytab } = await localChecks(input, config, target, realms[0], out);
  const reach = await networkChecks(config, target, realms, timeoutMs, out);
  reportClock(clockWitnesses(reach, ccache.clock), config.settings, out);
  if (target) {
    const kdcReachable = reach.some((r) => r.realm === target.principal.realm && r.reachable);
    await checkKdcKvno({ principal: target.principal, keytab, ccache, kdcReachable, env: input.env, timeoutMs }, out);
  }
}

async function localChecks(input: EnvironmentCheckInput, config: ConfigState, target: Target | undefined, realm: string | undefined, out: Collector) {
  const { ccache: ccacheName, keytab: keytabName } = config.krb5;
  const [ccache, keytab] = await Promise.all([
    checkCcache({ name: ccacheName.name, source: ccacheName.source, env: input.env, ...(realm ? { realm } : {}) }, out),
    checkKeytab(
      {
        name: input.keytab ?? keytabName.name,
        source: input.keytab ? 'the keytab given' : keytabName.source,
        explicit: !!(input.keytab || target),
        ...(target ? { principal: target.principal, principalText: target.text } : {}),
      },
      config.settings,
      out,
    ),
  ]);
  return { ccache, keytab };
}

async function networkChecks(config: ConfigState, target: Target | undefined, realms: string[], timeoutMs: number, out: Collector): Promise<RealmReachability[]> {
  const host = target && serviceHostOf(target.principal, target.text);
  const context = { settings: config.settings, mainFile: config.mainFile, timeoutMs };
  const [reach] = await Promise.all([
    Promise.all(realms.map((realm) => checkRealmKdcs(realm, context, out))),
    host ? checkServiceHost(host, config.settings, timeoutMs, out) : Promise.resolve(),
  ]);
  return reach;
}

/** The principal with the default realm filled in, as krb5_parse_name does. */
function principalTarget(text: string | undefined, config: ConfigState, out: Collector): Target | undefined {
  if (!text?.trim()) return undefined;
  const principal = parsePrincipal(text.trim(), config.defaultRealm?.value ?? '');
  const formatted = formatPrincipal(principal);
  if (!principal.realm) {
    out.record('principal', { ok: false, detail: `${text} has no realm and there is no default realm to complete it` });
    return undefined;
  }
  const filled = text.includes('@') ? '' : ` (realm from default_realm, ${config.defaultRealm?.where})`;
  out.record('principal', { ok: true, detail: `${formatted}${filled}`, measured: [measure('principal', formatted, undefined, filled ? 'realm from default_realm' : undefined)] });
  return { principal, text: formatted };
}

function clockWitnesses(reach: RealmReachability[], ccache: ClockWitness | undefined): ClockWitness[] {
  return [...reach.flatMap((r) => r.clock), ...(ccache ? [ccache] : [])];
}
