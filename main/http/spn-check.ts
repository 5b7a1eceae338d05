/**
 * The I/O half of SPN prediction: the krb5.conf relations that shape MIT's host-based names, the
 * system's resolver (getaddrinfo AI_CANONNAME through `getent ahosts`, getnameinfo through
 * dns.lookupService), and each predicted SPN checked against a profile's KDC (MIT's `kvno`: is the
 * name known, what is its current kvno) and a service keytab (does it hold that kvno).
 */
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import dns from 'node:dns';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { SpnCheck, SpnPredictionReport } from '../api/http';
import { fileOf, profileEnv, systemProfile } from '../gss/profiles';
import type { KerberosProfile } from '../gss/types';
import { parseProfile, profileValue, profileValues, type ParsedProfile } from '../krb/profile';
import { findExecutable, runTool } from '../system/exec';
import { keytabKeysOf } from '../system/keytab-file';
import { MIT_NAME_DEFAULTS, predictSpns, type BrowserSettings, type DnsCanonicalize, type HostResolver, type Krb5NameSettings } from './spn';

const LOOKUP_TIMEOUT_MS = 3_000;
const KVNO_TIMEOUT_MS = 10_000;

/** The krb5.conf files MIT reads for a profile: KRB5_CONFIG's list, else /etc/krb5.conf. */
export function krb5ConfigFiles(profile: KerberosProfile, env: NodeJS.ProcessEnv = process.env): string[] {
  const list = profile.krb5Config ?? (profile.kind === 'system' ? env.KRB5_CONFIG : undefined) ?? '/etc/krb5.conf';
  return list.split(':').filter(Boolean);
}

/** The files that exist, parsed (includes are not followed: the relations that matter sit in [libdefaults]). */
export async function readKrb5Profiles(files: readonly string[]): Promise<ParsedProfile[]> {
  const parsed: ParsedProfile[] = [];
  for (const file of files) {
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text !== undefined) parsed.push(parseProfile(text, file));
  }
  return parsed;
}

/** MIT's profile booleans: y, yes, true, t, 1, on (and their opposites), case-insensitive. */
function mitBoolean(value: string): boolean | undefined {
  const v = value.trim().toLowerCase();
  if (['y', 'yes', 'true', 't', '1', 'on'].includes(v)) return true;
  if (['n', 'no', 'false', 'nil', '0', 'off'].includes(v)) return false;
  return undefined;
}

/** dns_canonicalize_hostname and rdns from the profiles, MIT's defaults where they are not set. */
export function krb5NameSettings(profiles: readonly ParsedProfile[]): Krb5NameSettings {
  const settings: Krb5NameSettings = { ...MIT_NAME_DEFAULTS, lines: {} };
  const where = (name: string) => {
    const found = profileValues(profiles, ['libdefaults', name])[0];
    if (!found) return undefined;
    const source = profiles.find((p) => p.sections.get('libdefaults')?.relations.get(name)?.some((v) => 'value' in v && v.line === found.line))?.source ?? 'krb5.conf';
    return { value: found.value, at: `${source}:${found.line}` };
  };
  const canon = where('dns_canonicalize_hostname');
  if (canon) {
    const value = canon.value.trim().toLowerCase();
    const bool = mitBoolean(value);
    settings.dnsCanonicalizeHostname = value === 'fallback' ? 'fallback' : bool === undefined ? 'true' : (String(bool) as DnsCanonicalize);
    settings.lines!.dns_canonicalize_hostname = canon.at;
  }
  const rdns = where('rdns');
  if (rdns) {
    settings.rdns = mitBoolean(rdns.value) ?? true;
    settings.lines!.rdns = rdns.at;
  }
  return settings;
}

/** The realm MIT maps `host` to: [domain_realm] (exact host, then the longest ".suffix"), else default_realm. */
export function realmForHost(profiles: readonly ParsedProfile[], host: string): string | undefined {
  const lower = host.toLowerCase();
  const exact = profileValue(profiles, ['domain_realm', lower]);
  if (exact) return exact;
  const labels = lower.split('.');
  for (let i = 1; i < labels.length; i++) {
    const mapped = profileValue(profiles, ['domain_realm', `.${labels.slice(i).join('.')}`]);
    if (mapped) return mapped;
  }
  return profileValue(profiles, ['libdefaults', 'default_realm']);
}

/** The first line of `getent ahosts NAME` is "ADDRESS STREAM CANONICAL-NAME" (getaddrinfo with AI_CANONNAME). */
async function getentCanonical(host: string): Promise<{ canonical: string; address: string } | undefined> {
  const getent = await findExecutable('getent');
  if (!getent) {
    const found = await dns.promises.lookup(host).catch(() => undefined);
    return found ? { canonical: host, address: found.address } : undefined;
  }
  const run = await runTool(getent, ['ahosts', host], { timeoutMs: LOOKUP_TIMEOUT_MS });
  const first = run.ok ? run.stdout.split('\n')[0]?.trim().split(/\s+/) : undefined;
  if (!first || first.length < 2) return undefined;
  return { address: first[0]!, canonical: first[2] ?? host };
}

/** The system's resolver, as the C libraries see it (/etc/hosts, nsswitch, DNS), each lookup time-boxed. */
export const systemResolver: HostResolver = {
  async forward(host) {
    if (net.isIP(host)) return { canonical: host, address: host };
    return getentCanonical(host);
  },
  async reverse(address) {
    const timeout = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), LOOKUP_TIMEOUT_MS).unref());
    const lookup = dns.promises.lookupService(address, 0).then(
      (r) => (r.hostname && r.hostname !== address ? r.hostname : undefined),
      () => undefined,
    );
    return Promise.race([lookup, timeout]);
  },
};

/** The FILE ccache copied to a private temp file, so `kvno` does not add tickets to the user's cache. */
async function privateCcache(profile: KerberosProfile, env: NodeJS.ProcessEnv): Promise<{ name?: string; cleanUp: () => Promise<void> }> {
  const file = fileOf(env.KRB5CCNAME ?? profile.ccache);
  if (!file) return { cleanUp: async () => {} };
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-kvno-'));
  const copy = path.join(dir, 'ccache');
  const copied = await copyFile(file, copy).then(
    () => true,
    () => false,
  );
  return { ...(copied ? { name: `FILE:${copy}` } : {}), cleanUp: () => rm(dir, { recursive: true, force: true }) };
}

interface KdcAnswer {
  principal: string;
  known?: boolean;
  kvno?: number;
  note: string;
}

/** `kvno SPN@REALM` with the profile's environment: the KDC's current kvno, or its refusal in MIT's words. */
async function askKdc(kvno: string, principal: string, env: NodeJS.ProcessEnv): Promise<KdcAnswer> {
  const run = await runTool(kvno, [principal], { env, timeoutMs: KVNO_TIMEOUT_MS });
  const ok = /^(\S+): kvno = (\d+)/m.exec(run.stdout);
  if (ok) return { principal: ok[1]!, known: true, kvno: Number(ok[2]), note: `the KDC issues a ticket for ${ok[1]} with kvno ${ok[2]}` };
  const text = (run.stderr || run.error || run.stdout).trim().replace(/^kvno: /, '');
  if (/^Server .*not found in Kerberos database/.test(text)) return { principal, known: false, note: `the KDC does not know ${principal}: "${text}"` };
  return { principal, note: `could not ask the KDC: ${text}` };
}

/** The kvnos the keytab holds for `principal` (same name and realm), or why it could not be read. */
async function keytabKvnos(keytab: string, principal: string): Promise<{ kvnos?: number[]; note?: string }> {
  try {
    return { kvnos: (await keytabKeysOf(keytab, principal)).kvnos };
  } catch (error) {
    // readKeytabFile's message names the file already.
    return { note: `cannot read the keytab ${(error as Error).message}` };
  }
}

function keytabVerdict(check: SpnCheck, principal: string, keytab: string, kvnos: number[]): void {
  check.keytabKvnos = kvnos;
  if (!kvnos.length) {
    check.keytabHoldsCurrentKey = false;
    check.notes.push(`the keytab ${keytab} holds no key for ${principal}`);
  } else if (check.kdcKvno !== undefined) {
    check.keytabHoldsCurrentKey = kvnos.includes(check.kdcKvno);
    check.notes.push(check.keytabHoldsCurrentKey ? `the keytab holds kvno ${check.kdcKvno}, the KDC's current key` : `keytab has kvno ${kvnos.join(', ')}, KDC issues kvno ${check.kdcKvno}: the keytab is out of date`);
  } else check.notes.push(`the keytab holds kvno ${kvnos.join(', ')} for ${principal}`);
}

/** Checks each SPN ("HTTP/localhost") against the profile's KDC and, when given, a service keytab. */
export async function checkSpns(spns: readonly string[], options: { profile: KerberosProfile; profiles: readonly ParsedProfile[]; keytab?: string; realm?: string }): Promise<SpnCheck[]> {
  const kvno = await findExecutable('kvno');
  const env = profileEnv(options.profile);
  const ccache = await privateCcache(options.profile, env);
  if (ccache.name) env.KRB5CCNAME = ccache.name;
  try {
    const checks: SpnCheck[] = [];
    for (const spn of spns) {
      const host = spn.split('/')[1]?.replace(/:\d+$/, '') ?? '';
      const realm = options.realm ?? realmForHost(options.profiles, host);
      const principal = realm ? `${spn}@${realm}` : spn;
      const check: SpnCheck = { spn, notes: [] };
      if (!kvno) check.notes.push('kvno is not installed (Debian krb5-user): the KDC was not asked');
      else {
        const answer = await askKdc(kvno, principal, env);
        if (answer.known !== undefined) check.kdcKnows = answer.known;
        if (answer.kvno !== undefined) check.kdcKvno = answer.kvno;
        check.notes.push(answer.note);
      }
      if (options.keytab) {
        const held = await keytabKvnos(options.keytab, principal);
        if (held.kvnos) keytabVerdict(check, principal, options.keytab, held.kvnos);
        else if (held.note) check.notes.push(held.note);
      }
      checks.push(check);
    }
    return checks;
  } finally {
    await ccache.cleanUp();
  }
}

/** Predictions for every stack, then each distinct SPN (and `extraSpns`) checked against the KDC and the keytab. */
export async function spnReport(
  url: string,
  options: { profile?: KerberosProfile; keytab?: string; realm?: string; browsers?: BrowserSettings; extraSpns?: string[]; resolver?: HostResolver },
): Promise<SpnPredictionReport> {
  const profile = options.profile ?? systemProfile();
  const profiles = await readKrb5Profiles(krb5ConfigFiles(profile));
  const { target, predictions } = await predictSpns(url, krb5NameSettings(profiles), options.browsers ?? {}, options.resolver ?? systemResolver);
  const spns = [...new Set([...predictions.map((p) => p.spn), ...(options.extraSpns ?? [])])];
  const checks = options.profile ? await checkSpns(spns, { profile, profiles, ...(options.keytab ? { keytab: options.keytab } : {}), ...(options.realm ? { realm: options.realm } : {}) }) : [];
  return { url, host: target.host, port: target.port, hostIsAddress: target.hostIsAddress, nonDefaultPort: target.nonDefaultPort, predictions, checks };
}
