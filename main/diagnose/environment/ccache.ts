/**
 * Check 7: the client's credential cache. FILE: (and DIR:) caches are parsed here: default
 * principal, a TGT, its end time against the KDC's clock, the KDC time offset kinit stored in the
 * header. KEYRING:, KCM:, API: and MEMORY: caches live outside the file system: `klist` is the
 * oracle for those.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isoSeconds, parseCcache, type Ccache, type CcacheCredential } from '../../krb/ccache';
import { KrbDecodeError } from '../../krb/errors';
import { formatPrincipal } from '../../krb/names';
import { findExecutable, runTool } from '../../system/exec';
import { fsMessage } from '../../system/files';
import { EnvFindingId } from './catalog-map';
import type { ClockWitness } from './clock';
import { envPrefix, measure, shellQuote, type Collector, type SetupMeasurement } from './types';

/** A TGT that ends sooner than this is reported as a warning: long jobs will hit "Ticket expired". */
export const EXPIRING_SOON_SECONDS = 600;

export interface CcacheState {
  name: string;
  source: string;
  kind: string;
  /** The file, for FILE: and DIR: caches. */
  path?: string;
  defaultPrincipal?: string;
  /** A TGT that has not expired (by the KDC's clock) is in the cache. */
  validTgt: boolean;
  clock?: ClockWitness;
}

export interface CcacheTarget {
  name: string;
  source: string;
  env: NodeJS.ProcessEnv;
  realm?: string;
}

/** "FILE:/tmp/x" → FILE; a bare path is FILE too (MIT's default type). */
export function ccacheKind(name: string): string {
  const match = /^([A-Za-z]+):/.exec(name);
  return match ? match[1]!.toUpperCase() : 'FILE';
}

/** The file a FILE: or DIR: cache name points at (DIR: through its "primary" file). */
export async function ccacheFile(name: string): Promise<string | undefined> {
  const kind = ccacheKind(name);
  const rest = name.replace(/^[A-Za-z]+:/, '');
  if (kind === 'FILE') return rest;
  if (kind !== 'DIR') return undefined;
  if (rest.startsWith(':')) return rest.slice(1); // DIR::/dir/tktXXXX names one cache of the collection
  const primary = (await readFile(path.join(rest, 'primary'), 'utf8').catch(() => 'tkt')).trim() || 'tkt';
  return path.join(rest, primary);
}

export async function checkCcache(target: CcacheTarget, out: Collector): Promise<CcacheState> {
  const state: CcacheState = { name: target.name, source: target.source, kind: ccacheKind(target.name), validTgt: false };
  const file = await ccacheFile(target.name);
  if (file) {
    state.path = file;
    await out.run('ccache', () => fileCcache(state, target, file, out));
  } else {
    await out.run('ccache', () => klistCcache(state, target, out));
  }
  return state;
}

async function fileCcache(state: CcacheState, target: CcacheTarget, file: string, out: Collector) {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    missingFinding(target, `${file}: ${fsMessage(error)}`, out);
    return { ok: false, detail: `${target.name} (${target.source}): ${fsMessage(error)}` };
  }
  let ccache: Ccache;
  try {
    ccache = parseCcache(bytes).ccache;
  } catch (error) {
    if (!(error instanceof KrbDecodeError)) throw error;
    unreadableFinding(target, file, error, out);
    return { ok: false, detail: `${file}: not a credential cache (${error.message})` };
  }
  return inspectCredentials(state, target, file, ccache, out);
}

/** The TGT for the client's own realm, else any TGT. */
function findTgt(ccache: Ccache): CcacheCredential | undefined {
  const tgts = ccache.credentials.filter((c) => c.server.components[0] === 'krbtgt' && c.server.components.length === 2);
  return tgts.find((c) => c.server.components[1] === ccache.defaultPrincipal.realm) ?? tgts[0];
}

function inspectCredentials(state: CcacheState, target: CcacheTarget, file: string, ccache: Ccache, out: Collector) {
  const principal = formatPrincipal(ccache.defaultPrincipal);
  state.defaultPrincipal = principal;
  const offset = ccache.kdcTimeOffset ? ccache.kdcTimeOffset.seconds + ccache.kdcTimeOffset.microseconds / 1e6 : undefined;
  if (offset !== undefined) state.clock = { offsetSeconds: offset, source: `ccache header (${file})`, text: `KDC time offset ${offset.toFixed(1)} s stored by kinit` };
  // Ticket times are the KDC's: compare them with the KDC's "now" (kdc_timesync stored the offset).
  const kdcNow = Date.now() / 1000 + (offset ?? 0);
  const tgt = findTgt(ccache);
  const head = `${file}: default principal ${principal}, ${ccache.credentials.length} ticket(s)${offset !== undefined ? `, KDC time offset ${offset.toFixed(1)} s` : ''}`;
  const measured: SetupMeasurement[] = [measure('default principal', principal, undefined, file), measure('tickets', ccache.credentials.length)];
  if (offset !== undefined) measured.push(measure('KDC time offset', Math.round(offset * 10) / 10, 's', 'stored by kinit'));
  if (!tgt) {
    noTgtFinding(target, file, principal, ccache, out);
    return { ok: false, detail: `${head}, no TGT`, measured };
  }
  const tgtText = `TGT ${formatPrincipal(tgt.server)} valid until ${isoSeconds(tgt.endtime)}`;
  const left = tgt.endtime - kdcNow;
  measured.push(measure('TGT left', Math.round(left / 60), 'min', `until ${isoSeconds(tgt.endtime)}`));
  if (left <= 0) {
    expiredFinding(target, file, principal, tgt, kdcNow, out);
    return { ok: false, detail: `${head}, ${tgtText}: expired ${Math.round(-left)} s ago`, measured };
  }
  state.validTgt = true;
  if (left < EXPIRING_SOON_SECONDS) {
    expiringFinding(target, file, principal, tgt, left, out);
    return { ok: false, detail: `${head}, ${tgtText}: expires in ${Math.round(left)} s`, measured };
  }
  return { ok: true, detail: `${head}, ${tgtText} (${Math.round(left / 60)} min left)`, measured };
}

function kinitCommand(target: CcacheTarget, principal: string | undefined): string {
  const who = principal ?? `USER@${target.realm ?? 'REALM'}`;
  return `${envPrefix(target.env, ['KRB5_CONFIG', 'KRB5CCNAME'])}kinit ${shellQuote(who)}`;
}

function missingFinding(target: CcacheTarget, what: string, out: Collector): void {
  out.finding({
    id: EnvFindingId.ccacheMissing,
    title: 'No credential cache',
    confidence: 0.75,
    cause: `The client's ccache is ${target.name} (${target.source}) and it does not exist (${what}): nobody ran kinit for this environment, or KRB5CCNAME points elsewhere. Clients fail with "No Kerberos credentials available (default cache: ${target.name})".`,
    fix: 'Get a TGT into this cache with kinit (a password or the client keytab), or point KRB5CCNAME at the cache that has one.',
    commands: [kinitCommand(target, undefined), `${envPrefix(target.env, ['KRB5_CONFIG', 'KRB5CCNAME'])}klist`],
    evidence: [{ source: target.source, text: what }],
  });
}

function unreadableFinding(target: CcacheTarget, file: string, error: KrbDecodeError, out: Collector): void {
  out.finding({
    id: EnvFindingId.ccacheUnreadable,
    title: `${file} is not a credential cache`,
    confidence: 0.7,
    cause: `${file} (${target.source}) does not parse as a ccache at byte ${error.offset}: ${error.reason}. MIT treats it as no credentials.`,
    fix: 'Remove it and run kinit again.',
    commands: [`rm ${shellQuote(file)}`, kinitCommand(target, undefined)],
    evidence: [{ source: `${file}, byte ${error.offset}`, text: error.message }],
  });
}

function noTgtFinding(target: CcacheTarget, file: string, principal: string, ccache: Ccache, out: Collector): void {
  out.finding({
    id: EnvFindingId.ccacheNoTgt,
    title: `No TGT in ${file}`,
    confidence: 0.55,
    cause: `The ccache holds ${ccache.credentials.length} ticket(s) for ${principal} but no krbtgt ticket, so no new service ticket can be fetched.`,
    fix: 'Run kinit again.',
    commands: [kinitCommand(target, principal)],
    evidence: [{ source: file, text: ccache.credentials.map((c) => formatPrincipal(c.server)).join(', ') || 'no credentials' }],
  });
}

function expiredFinding(target: CcacheTarget, file: string, principal: string, tgt: CcacheCredential, kdcNow: number, out: Collector): void {
  const renewable = tgt.renewTill > kdcNow;
  out.finding({
    id: EnvFindingId.ccacheExpired,
    title: `The TGT of ${principal} has expired`,
    confidence: 0.8,
    cause: `The TGT in ${file} ended at ${isoSeconds(tgt.endtime)} (KDC time now ${isoSeconds(Math.floor(kdcNow))}): clients fail with "Ticket expired" or "No Kerberos credentials available".`,
    fix: renewable ? `Renew it (renewable until ${isoSeconds(tgt.renewTill)}) or kinit again; long-running clients should re-login from a keytab.` : 'kinit again; long-running clients should re-login from a keytab.',
    commands: renewable ? [`${envPrefix(target.env, ['KRB5_CONFIG', 'KRB5CCNAME'])}kinit -R`, kinitCommand(target, principal)] : [kinitCommand(target, principal)],
    evidence: [{ source: file, text: `${formatPrincipal(tgt.server)} endtime ${isoSeconds(tgt.endtime)}` }],
  });
}

function expiringFinding(target: CcacheTarget, file: string, principal: string, tgt: CcacheCredential, left: number, out: Collector): void {
  out.finding({
    id: EnvFindingId.ccacheExpiring,
    title: `The TGT of ${principal} expires in ${Math.round(left / 60)} min`,
    confidence: 0.3,
    cause: `The TGT in ${file} ends at ${isoSeconds(tgt.endtime)}: anything that runs longer will fail with "Ticket expired".`,
    fix: 'Renew or kinit again before long tests; services should log in from a keytab.',
    commands: [kinitCommand(target, principal)],
    evidence: [{ source: file, text: `${formatPrincipal(tgt.server)} endtime ${isoSeconds(tgt.endtime)}` }],
  });
}

/** KEYRING:, KCM:, API:, MEMORY:: ask MIT's klist, which can read them. */
async function klistCcache(state: CcacheState, target: CcacheTarget, out: Collector) {
  const klist = await findExecutable('klist', { PATH: target.env.PATH ?? process.env.PATH });
  const kind = `${state.kind}: caches are not files; klist is the oracle`;
  if (!klist) return { ok: false, detail: `${target.name} (${target.source}): ${kind}, and klist is not installed (sudo apt-get install -y krb5-user)` };
  const env = { ...target.env, KRB5CCNAME: target.name };
  const [list, valid] = await Promise.all([runTool(klist, [], { env, timeoutMs: 3000 }), runTool(klist, ['-s'], { env, timeoutMs: 3000 })]);
  const principal = /^Default principal: (.+)$/m.exec(list.stdout)?.[1]?.trim();
  if (principal) state.defaultPrincipal = principal;
  state.validTgt = valid.ok;
  if (!principal) {
    missingFinding(target, (list.stderr || list.error || 'klist found no cache').trim(), out);
    return { ok: false, detail: `${target.name}: ${kind}; klist: ${(list.stderr || list.error || '').trim()}` };
  }
  if (!valid.ok) {
    out.finding({
      id: EnvFindingId.ccacheExpired,
      title: `No valid tickets for ${principal}`,
      confidence: 0.7,
      cause: `${target.name} holds tickets for ${principal}, but klist -s says none is valid (expired or not yet valid).`,
      fix: 'kinit again.',
      commands: [kinitCommand(target, principal)],
      evidence: [{ source: `klist (${target.name})`, text: list.stdout.trim().split('\n').slice(0, 8).join(' | ') }],
    });
    return { ok: false, detail: `${target.name}: ${kind}; default principal ${principal}, no valid ticket` };
  }
  return { ok: true, detail: `${target.name}: ${kind}; default principal ${principal}, klist -s: valid tickets`, measured: [measure('default principal', principal, undefined, target.name)] };
}
