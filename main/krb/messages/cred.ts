/** KRB-CRED (RFC 4120 §5.8): forwarded/delegated tickets with their session keys. */
import { app, decodeDer, field, KerberosTime, optional, seq, seqOf, UInt32, type DecodeContext, type Infer } from '../der/schema';
import { decryptField } from '../decode/decrypt';
import { learn, sessionRole } from '../decode/keyring';
import { KrbDecodeError } from '../errors';
import { formatName, formatPrincipal } from '../names';
import type { TreeNode } from '../tree';
import { KeyUsage } from '../usages';
import { EncryptedData, EncryptionKey, HostAddress, HostAddresses, Microseconds, MsgType, PrincipalName, Pvno, Realm, TicketFlags } from './common';
import { Ticket } from './ticket';

export const KrbCredInfo = seq(
  'KrbCredInfo',
  {
    key: field(0, 'key', EncryptionKey),
    prealm: optional(1, 'prealm', Realm),
    pname: optional(2, 'pname', PrincipalName),
    flags: optional(3, 'flags', TicketFlags),
    authtime: optional(4, 'authtime', KerberosTime),
    starttime: optional(5, 'starttime', KerberosTime),
    endtime: optional(6, 'endtime', KerberosTime),
    renewTill: optional(7, 'renew-till', KerberosTime),
    srealm: optional(8, 'srealm', Realm),
    sname: optional(9, 'sname', PrincipalName),
    caddr: optional(10, 'caddr', HostAddresses),
  },
  { summarize: (v) => (v.sname ? `${formatName(v.sname.nameString)}@${v.srealm ?? ''}` : 'KrbCredInfo') },
);

export const EncKrbCredPart = app(
  29,
  'EncKrbCredPart',
  seq('EncKrbCredPart', {
    ticketInfo: field(0, 'ticket-info', seqOf(KrbCredInfo, 'SEQUENCE OF KrbCredInfo', 'KrbCredInfo')),
    nonce: optional(1, 'nonce', UInt32),
    timestamp: optional(2, 'timestamp', KerberosTime),
    usec: optional(3, 'usec', Microseconds),
    sAddress: optional(4, 's-address', HostAddress),
    rAddress: optional(5, 'r-address', HostAddress),
  }),
);

type EncKrbCredPart = Infer<typeof EncKrbCredPart>;

function learnCredKeys(ctx: DecodeContext, part: EncKrbCredPart): void {
  for (const info of part.ticketInfo) {
    const service = info.sname ? `${formatName(info.sname.nameString)}@${info.srealm ?? ''}` : 'a forwarded ticket';
    const client = info.pname ? ` (client ${formatPrincipal({ components: info.pname.nameString, realm: info.prealm ?? '' })})` : '';
    learn(ctx.extra, { enctype: info.key.keytype, key: info.key.keyvalue, source: `delegated session key of ${service}${client}, from KRB-CRED`, ...(info.sname ? { role: sessionRole(info.sname.nameString) } : {}) });
  }
}

/**
 * enc-part with etype 0 carries EncKrbCredPart in the clear: what GSS delegation does when the
 * AP-REQ already protects it (Heimdal, Windows).
 */
function refineKrbCred(value: { encPart: Infer<typeof EncryptedData> }, trees: Record<string, TreeNode | undefined>, ctx: DecodeContext): void {
  const encTree = trees.encPart;
  if (!encTree) return;
  if (value.encPart.etype === 0) {
    const cipherTree = encTree.children?.find((c) => c.name === 'cipher');
    if (!cipherTree) return;
    try {
      const base = cipherTree.offset + cipherTree.length - value.encPart.cipher.length;
      const inner = decodeDer(EncKrbCredPart, value.encPart.cipher, 'EncKrbCredPart', { base, revealSecrets: ctx.revealSecrets, extra: ctx.extra, exact: false, depth: ctx.depth + 1 });
      cipherTree.children = [inner.tree];
      learnCredKeys(ctx, inner.value);
    } catch (error) {
      if (!(error instanceof KrbDecodeError)) throw error;
      cipherTree.error = error.message;
    }
    return;
  }
  decryptField(ctx, encTree, value.encPart, KeyUsage.KRB_CRED_ENC_PART, EncKrbCredPart, 'EncKrbCredPart', (part) => learnCredKeys(ctx, part));
}

/** KRB-CRED's APPLICATION 22 tag (0x76): a .kirbi file, or a forwarded credential someone saved. */
export const isKrbCred = (bytes: Uint8Array): boolean => bytes[0] === 0x76;

export const KrbCred = app(
  22,
  'KRB-CRED',
  seq(
    'KRB-CRED',
    {
      pvno: field(0, 'pvno', Pvno),
      msgType: field(1, 'msg-type', MsgType),
      tickets: field(2, 'tickets', seqOf(Ticket, 'SEQUENCE OF Ticket', 'Ticket')),
      encPart: field(3, 'enc-part', EncryptedData),
    },
    { refine: refineKrbCred, summarize: (v) => `${v.tickets.length} ticket(s)` },
  ),
);
export type KrbCred = Infer<typeof KrbCred>;
