/**
 * Check 6 (the KDC part): does the keytab hold the key the KDC encrypts tickets with today?
 * Asking needs credentials, so this runs MIT's own `kvno PRINCIPAL` with the user's TGT — on a
 * copy of a FILE: ccache, so the user's cache is not changed — and then opens the ticket it got
 * with the keytab's key: that proves kvno, enctype and key at once, the three ways a keytab goes
 * stale ("kvno N not found in keytab", "not with enctype E", "cannot decrypt ticket").
 */
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseCcache } from '../../krb/ccache';
import { getEnctype } from '../../krb/crypto';
import { decodeDer } from '../../krb/der/schema';
import { samePrincipal } from '../../krb/keytab';
import { Ticket } from '../../krb/messages';
import { enctypeName, formatPrincipal, type Principal } from '../../krb/names';
import { KeyUsage } from '../../krb/usages';
import { findExecutable, runTool } from '../../system/exec';
import { EnvFindingId } from './catalog-map';
import type { CcacheState } from './ccache';
import type { KeytabState } from './keytab';
import { errorText, measure, type Collector } from './types';

export interface KvnoContext {
  principal: Principal;
  keytab: KeytabState;
  ccache: CcacheState;
  /** Whether a KDC of the principal's realm answered the probe (undefined: not probed). */
  kdcReachable: boolean;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
}

/** MIT kvno prints "mqtt/host@REALM: kvno = 3". */
export function parseKvnoOutput(stdout: string): { principal: string; kvno: number } | undefined {
  const match = /^(.+): kvno = (\d+)\s*$/m.exec(stdout);
  return match ? { principal: match[1]!, kvno: Number(match[2]) } : undefined;
}

interface ServiceTicket {
  kvno?: number;
  etype: number;
  cipher: Buffer;
}

export async function checkKdcKvno(ctx: KvnoContext, out: Collector): Promise<void> {
  const text = formatPrincipal(ctx.principal);
  const reason = notCheckable(ctx);
  if (reason) {
    out.record('keytab-kvno', { ok: false, detail: `the KDC's kvno of ${text} was not checked: ${reason}` });
    return;
  }
  let temp: string | undefined;
  try {
    let kdcKvno: number | undefined;
    await out.run('keytab-kvno', async () => {
      temp = ctx.ccache.path ? await ccacheCopy(ctx.ccache.path) : undefined;
      const result = await askKdc(ctx, text, temp ? `FILE:${path.join(temp, 'ccache')}` : ctx.ccache.name, out);
      if ('error' in result) return { ok: false, detail: result.error };
      kdcKvno = result.kvno;
      return compareKvno(ctx, text, result.kvno, out);
    });
    if (kdcKvno !== undefined && temp && ctx.keytab.entries.length) {
      const ccacheFile = path.join(temp, 'ccache');
      await out.run('keytab-decrypts-ticket', async () => ticketCheck(ctx, text, await serviceTicket(ccacheFile, ctx.principal), out));
    }
  } finally {
    if (temp) await rm(temp, { recursive: true, force: true });
  }
}

/** kvno stores the ticket it gets: let it store it in a private copy, not in the user's cache. */
async function ccacheCopy(file: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-kvno-'));
  try {
    await copyFile(file, path.join(dir, 'ccache'));
    return dir;
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

function notCheckable(ctx: KvnoContext): string | undefined {
  if (!ctx.kdcReachable) return `no KDC of ${ctx.principal.realm} answered`;
  if (!ctx.ccache.validTgt) return `asking the KDC needs a valid TGT and ${ctx.ccache.name} has none (kinit first)`;
  return undefined;
}

async function askKdc(ctx: KvnoContext, text: string, ccacheName: string, out: Collector): Promise<{ kvno: number } | { error: string }> {
  // The checked environment may carry no PATH of its own: look where this process would too.
  const kvno = await findExecutable('kvno', { PATH: ctx.env.PATH ?? process.env.PATH });
  if (!kvno) return { error: 'the KDC was not asked: MIT kvno is not installed (sudo apt-get install -y krb5-user)' };
  const env = { ...ctx.env, KRB5CCNAME: ccacheName };
  const run = await runTool(kvno, [text], { env, timeoutMs: Math.max(3000, ctx.timeoutMs * 2) });
  const parsed = parseKvnoOutput(run.stdout);
  if (run.ok && parsed) return { kvno: parsed.kvno };
  const why = (run.stderr.trim() || run.error || `exit code ${run.code}`).split('\n')[0]!;
  if (/not found in Kerberos database/i.test(why)) return { error: principalUnknown(ctx, text, why, out) };
  return { error: `kvno ${text} failed: ${why}` };
}

/** Records the finding and returns the check's detail. */
function principalUnknown(ctx: KvnoContext, text: string, why: string, out: Collector): string {
  out.finding({
    id: EnvFindingId.principalUnknown,
    title: `The KDC does not know ${text}`,
    confidence: 0.85,
    cause: `Asked for a ticket to ${text}, the KDC of ${ctx.principal.realm} answers "${why.replace(/^kvno: /, '')}": the service principal is not registered (or is registered under another name), so no client can get a ticket for it.`,
    fix: `Create ${text} in the KDC (MIT: addprinc -randkey; AD: setspn -S on the service account) and export its key to the service's keytab.`,
    commands: [`kadmin -q "addprinc -randkey ${text}"`, `kadmin -q "ktadd -k ${ctx.keytab.path ?? 'KEYTAB'} ${text}"`, `setspn -Q ${ctx.principal.components.join('/')}`],
    evidence: [{ source: `kvno ${text}`, text: why }],
  });
  return `kvno ${text}: ${why}`;
}

function compareKvno(ctx: KvnoContext, text: string, kdcKvno: number, out: Collector) {
  const kvnos = [...new Set(ctx.keytab.entries.map((e) => e.kvno))].sort((a, b) => a - b);
  const detail = `KDC kvno ${kdcKvno}; keytab ${ctx.keytab.path ?? ctx.keytab.name} has ${kvnos.length ? `kvno ${kvnos.join(', ')}` : 'no key'} for ${text}`;
  const inKeytab = kvnos.length === 1 ? kvnos[0]! : kvnos.join(', ') || '(none)';
  const measured = [measure('kvno at the KDC', kdcKvno, undefined, `kvno ${text}`), measure('kvno in the keytab', inKeytab, undefined, ctx.keytab.path ?? ctx.keytab.name)];
  if (!kvnos.length || kvnos.includes(kdcKvno)) return { ok: kvnos.length > 0, detail, measured };
  // Newer than some key the keytab has: a rotation the keytab missed. Older than all: the keytab is from the future.
  const behind = kdcKvno > kvnos[0]!;
  const keytabPath = ctx.keytab.path ?? ctx.keytab.name;
  out.finding({
    id: behind ? EnvFindingId.keytabKvnoBehind : EnvFindingId.keytabKvnoAhead,
    title: behind ? `The keytab is behind the KDC: kvno ${kvnos.join(', ')} vs ${kdcKvno}` : `The keytab is ahead of the KDC: kvno ${kvnos.join(', ')} vs ${kdcKvno}`,
    confidence: 0.9,
    cause: behind
      ? `The KDC encrypts tickets for ${text} with key version ${kdcKvno}, but ${keytabPath} holds only kvno ${kvnos.join(', ')}: the service's key was changed (ktadd, password change, re-join) after this keytab was exported. The acceptor fails with "Request ticket server ${text} kvno ${kdcKvno} not found in keytab; keytab is likely out of date".`
      : `${keytabPath} holds kvno ${kvnos.join(', ')} for ${text}, but the KDC still issues kvno ${kdcKvno}: the keytab was made with a key change the KDC never saw (another KDC, a replica not yet synchronised, or a ktadd against another realm).`,
    fix: behind
      ? `Export the current key to ${keytabPath} (kadmin.local ktadd -norandkey keeps the KDC's key as it is; kadmin ktadd makes a new one and makes every other copy stale).`
      : `Export the keytab from the KDC clients actually use, or wait for replication.`,
    commands: [`klist -kt ${keytabPath}`, `kvno ${text}`, `kadmin.local -q "ktadd -k ${keytabPath} -norandkey ${text}"`],
    evidence: [
      { source: `kvno ${text} (the KDC)`, text: `${text}: kvno = ${kdcKvno}` },
      { source: keytabPath, text: `${text}: kvno ${kvnos.join(', ')}` },
    ],
  });
  return { ok: false, detail, measured };
}

async function serviceTicket(ccacheFile: string, principal: Principal): Promise<ServiceTicket | string> {
  try {
    const ccache = parseCcache(await readFile(ccacheFile)).ccache;
    const cred =
      ccache.credentials.find((c) => samePrincipal(c.server, principal)) ??
      ccache.credentials.find((c) => c.server.components.join('/') === principal.components.join('/'));
    if (!cred) return 'kvno left no ticket for it in the ccache copy';
    const ticket = decodeDer(Ticket, cred.ticket, 'Ticket').value;
    return { etype: ticket.encPart.etype, cipher: ticket.encPart.cipher, ...(ticket.encPart.kvno !== undefined ? { kvno: ticket.encPart.kvno } : {}) };
  } catch (error) {
    return `the ticket could not be read: ${errorText(error)}`;
  }
}

function ticketCheck(ctx: KvnoContext, text: string, ticket: ServiceTicket | string, out: Collector) {
  if (typeof ticket === 'string') return { ok: false, detail: ticket };
  const sameKvno = ctx.keytab.entries.filter((e) => ticket.kvno === undefined || e.kvno === ticket.kvno);
  const entry = sameKvno.find((e) => e.enctype === ticket.etype);
  const what = `ticket enc-part ${enctypeName(ticket.etype)}, kvno ${ticket.kvno ?? '?'}`;
  const measured = [measure('ticket enctype', enctypeName(ticket.etype)), measure('ticket kvno', ticket.kvno ?? '?')];
  if (!sameKvno.length) return { ok: false, detail: `${what}: no key of that kvno in the keytab`, measured };
  if (!entry) {
    missingEnctypeFinding(ctx, text, ticket, sameKvno.map((e) => e.enctype), out);
    return { ok: false, detail: `${what}: the keytab has kvno ${ticket.kvno} only as ${sameKvno.map((e) => enctypeName(e.enctype)).join(', ')}`, measured };
  }
  const enctype = getEnctype(ticket.etype);
  if (!enctype) return { ok: true, detail: `${what}: key present; ${enctypeName(ticket.etype)} cannot be tried here`, measured };
  try {
    enctype.decrypt(entry.key, KeyUsage.TICKET_ENC_PART, ticket.cipher);
    return { ok: true, detail: `${what}: the keytab's key decrypts a ticket the KDC just issued`, measured: [...measured, measure('decrypts', 'yes')] };
  } catch {
    wrongKeyFinding(ctx, text, ticket, out);
    return { ok: false, detail: `${what}: the keytab's key of that kvno and enctype does not decrypt it`, measured: [...measured, measure('decrypts', 'no')] };
  }
}

function missingEnctypeFinding(ctx: KvnoContext, text: string, ticket: ServiceTicket, have: number[], out: Collector): void {
  const keytabPath = ctx.keytab.path ?? ctx.keytab.name;
  out.finding({
    id: EnvFindingId.keytabEnctypes,
    title: `The keytab lacks the ticket's enctype ${enctypeName(ticket.etype)}`,
    confidence: 0.85,
    cause: `The KDC issues tickets for ${text} in ${enctypeName(ticket.etype)} (kvno ${ticket.kvno}), but ${keytabPath} has kvno ${ticket.kvno} only as ${have.map(enctypeName).join(', ')}: "Request ticket server ${text} kvno ${ticket.kvno} found in keytab but not with enctype ${enctypeName(ticket.etype)}" (a keytab exported with too few enctypes, e.g. ktpass /crypto).`,
    fix: `Export all of the principal's enctypes (or limit the principal's keys on the KDC to the ones in the keytab).`,
    commands: [`klist -kte ${keytabPath}`, `kadmin.local -q "ktadd -k ${keytabPath} -norandkey ${text}"`],
    evidence: [
      { source: `ticket from kvno ${text}`, text: `enc-part etype ${enctypeName(ticket.etype)}, kvno ${ticket.kvno}` },
      { source: keytabPath, text: `kvno ${ticket.kvno}: ${have.map(enctypeName).join(', ')}` },
    ],
  });
}

function wrongKeyFinding(ctx: KvnoContext, text: string, ticket: ServiceTicket, out: Collector): void {
  const keytabPath = ctx.keytab.path ?? ctx.keytab.name;
  out.finding({
    id: EnvFindingId.keytabWrongKey,
    title: `The keytab's key for ${text} is not the KDC's`,
    confidence: 0.9,
    cause: `${keytabPath} has kvno ${ticket.kvno} ${enctypeName(ticket.etype)} for ${text}, but it does not decrypt a ticket the KDC just issued with that very kvno and enctype: the principal was re-created or its password set again with the same kvno, or the key was derived with a wrong salt. The acceptor says "… found in keytab but cannot decrypt ticket" / "Decrypt integrity check failed" (Java: "Checksum failed").`,
    fix: `Export the principal's current key again.`,
    commands: [`kadmin.local -q "ktadd -k ${keytabPath} -norandkey ${text}"`, `kvno -k ${keytabPath} ${text}`],
    evidence: [{ source: `ticket from kvno ${text}`, text: `enc-part ${enctypeName(ticket.etype)} kvno ${ticket.kvno}: integrity check failed with the keytab's key` }],
  });
}
