/**
 * `kbench ccache show` and the Credential cache view: a FILE ccache (any version) as klist -e -f
 * shows it, with each ticket's enctype and kvno read from the ticket itself — or a KRB-CRED
 * (.kirbi, as Mimikatz, Rubeus and Java export tickets) as the cache of the tickets it carries.
 */
import { parseCcache, isoSeconds, type Ccache, type CcacheCredential } from '../krb/ccache';
import { decodeDer } from '../krb/der/schema';
import { KrbDecodeError } from '../krb/errors';
import { Ticket } from '../krb/messages/ticket';
import { enctypeName, formatPrincipal } from '../krb/names';
import type { CcacheReport, CcacheReportCredential } from '../api/inspect';
import { isKrbCred, KrbCred, EncKrbCredPart } from '../krb/messages/cred';
import type { TreeNode } from '../krb/tree';

const time = (seconds: number): string | null => (seconds === 0 ? null : isoSeconds(seconds));

/** A ticket's own enctype and kvno (or why it cannot be read). */
function ticketFacts(ticket: Uint8Array, base: number): Pick<CcacheReportCredential, 'ticketEnctype' | 'ticketEnctypeId' | 'ticketKvno' | 'ticketError'> {
  try {
    const { encPart } = decodeDer(Ticket, ticket, 'Ticket', { base }).value;
    return { ticketEnctype: enctypeName(encPart.etype), ticketEnctypeId: encPart.etype, ticketKvno: encPart.kvno ?? null };
  } catch (error) {
    if (!(error instanceof KrbDecodeError)) throw error;
    return { ticketEnctype: null, ticketEnctypeId: null, ticketKvno: null, ticketError: error.message };
  }
}

function credentialReport(c: CcacheCredential): CcacheReportCredential {
  const { ticketEnctypeId, ticketKvno, ticketError } = ticketFacts(c.ticket, c.ticketOffset);
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
    ticket: Buffer.from(c.ticket).toString('base64'),
  };
}

const seconds = (date: Date | undefined): string | null => (date ? isoSeconds(Math.floor(date.getTime() / 1000)) : null);

/**
 * A KRB-CRED as a cache: one credential per ticket, described by its KrbCredInfo when the
 * enc-part is in the clear (etype 0, as .kirbi files are); otherwise only what the tickets say.
 */
function krbCredReport(bytes: Uint8Array): { report: CcacheReport; tree: TreeNode } {
  const decoded = decodeDer(KrbCred, bytes, 'KRB-CRED', { exact: false });
  const { tickets, encPart } = decoded.value;
  const infos = encPart.etype === 0 ? decodeDer(EncKrbCredPart, encPart.cipher, 'EncKrbCredPart', { exact: false }).value.ticketInfo : [];
  const ticketNodes = decoded.tree.children?.find((c) => c.name === 'tickets')?.children ?? [];
  const credentials = tickets.map((ticket, i): CcacheReportCredential => {
    const info = infos[i];
    const node = ticketNodes[i];
    const ticketBytes = node ? bytes.subarray(node.offset, node.offset + node.length) : new Uint8Array();
    const facts = node ? ticketFacts(ticketBytes, node.offset) : ticketFacts(ticketBytes, 0);
    const client = info?.pname ? formatPrincipal({ components: info.pname.nameString, realm: info.prealm ?? '' }) : '';
    return {
      client,
      server: formatPrincipal({ components: (info?.sname ?? ticket.sname).nameString, realm: info?.srealm ?? ticket.realm }),
      sessionKeyEnctype: info ? enctypeName(info.key.keytype) : 'unknown (the KRB-CRED is encrypted)',
      sessionKeyEnctypeId: info?.key.keytype ?? 0,
      ...facts,
      authtime: seconds(info?.authtime),
      ...(info?.starttime ? { starttime: seconds(info.starttime)! } : {}),
      endtime: seconds(info?.endtime),
      renewTill: seconds(info?.renewTill),
      flags: info?.flags?.names ?? [],
      ticket: Buffer.from(ticketBytes).toString('base64'),
    };
  });
  const report: CcacheReport = { version: 0, format: 'KRB-CRED', defaultPrincipal: credentials.find((c) => c.client)?.client ?? '', credentials, config: [] };
  return { report, tree: decoded.tree };
}

/** A ccache (any version) or a KRB-CRED: its report and its field tree. */
export function credentialStore(bytes: Uint8Array, options: { revealKeys?: boolean } = {}): { report: CcacheReport; tree: TreeNode } {
  if (isKrbCred(bytes)) return krbCredReport(bytes);
  const { ccache, tree } = parseCcache(bytes, options);
  return { report: fileCcacheReport(ccache), tree };
}

export function ccacheReport(bytes: Uint8Array): CcacheReport {
  return fileCcacheReport(parseCcache(bytes).ccache);
}

function fileCcacheReport(ccache: Ccache): CcacheReport {
  return {
    format: 'FILE',
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
