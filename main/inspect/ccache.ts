/**
 * `kbench ccache show` and the Credential cache view: a FILE ccache as klist -e -f shows it, with
 * each ticket's enctype and kvno read from the ticket itself.
 */
import { parseCcache, isoSeconds, type CcacheCredential } from '../krb/ccache';
import { decodeDer } from '../krb/der/schema';
import { KrbDecodeError } from '../krb/errors';
import { Ticket } from '../krb/messages/ticket';
import { enctypeName, formatPrincipal } from '../krb/names';
import type { CcacheReport, CcacheReportCredential } from '../api/inspect';

const time = (seconds: number): string | null => (seconds === 0 ? null : isoSeconds(seconds));

function credentialReport(c: CcacheCredential): CcacheReportCredential {
  let ticketEnctypeId: number | null = null;
  let ticketKvno: number | null = null;
  let ticketError: string | undefined;
  try {
    const ticket = decodeDer(Ticket, c.ticket, 'Ticket', { base: c.ticketOffset }).value;
    ticketEnctypeId = ticket.encPart.etype;
    ticketKvno = ticket.encPart.kvno ?? null;
  } catch (error) {
    if (!(error instanceof KrbDecodeError)) throw error;
    ticketError = error.message;
  }
  return {
    client: formatPrincipal(c.client),
    server: formatPrincipal(c.server),
    sessionKeyEnctype: enctypeName(c.keyEnctype),
    sessionKeyEnctypeId: c.keyEnctype,
    ticketEnctype: ticketEnctypeId === null ? null : enctypeName(ticketEnctypeId),
    ticketEnctypeId,
    ticketKvno,
    authtime: time(c.authtime),
    // A ticket without starttime has none: klist's habit of showing authtime there is for its text.
    ...(c.starttime ? { starttime: isoSeconds(c.starttime) } : {}),
    endtime: time(c.endtime),
    renewTill: time(c.renewTill),
    flags: c.flagNames,
    ...(ticketError ? { ticketError } : {}),
  };
}

export function ccacheReport(bytes: Uint8Array): CcacheReport {
  const { ccache } = parseCcache(bytes);
  return {
    version: ccache.version,
    defaultPrincipal: formatPrincipal(ccache.defaultPrincipal),
    credentials: ccache.credentials.map(credentialReport),
    config: ccache.config.map((e) => ({
      key: e.key,
      ...(e.principal !== undefined ? { principal: e.principal } : {}),
      value: /^[\x20-\x7e]*$/.test(e.value.toString('utf8')) ? e.value.toString('utf8') : e.value.toString('hex'),
    })),
    ...(ccache.kdcTimeOffset ? { kdcTimeOffset: ccache.kdcTimeOffset } : {}),
  };
}
