/** Ticket and EncTicketPart (RFC 4120 §5.3). */
import { app, field, Int32, KerberosTime, OctetString, optional, seq, type Infer } from '../der/schema';
import { decryptField } from '../decode/decrypt';
import { learn, sessionOf, sessionRole } from '../decode/keyring';
import { enctypeName, formatName, formatPrincipal } from '../names';
import { KeyUsage } from '../usages';
import { AuthorizationData } from './authdata';
import { EncryptedData, EncryptionKey, HostAddresses, PrincipalName, Realm, TicketFlags } from './common';

export const TransitedEncoding = seq('TransitedEncoding', {
  trType: field(0, 'tr-type', Int32),
  contents: field(1, 'contents', OctetString),
});

export const EncTicketPart = app(
  3,
  'EncTicketPart',
  seq(
    'EncTicketPart',
    {
      flags: field(0, 'flags', TicketFlags),
      key: field(1, 'key', EncryptionKey),
      crealm: field(2, 'crealm', Realm),
      cname: field(3, 'cname', PrincipalName),
      transited: field(4, 'transited', TransitedEncoding),
      authtime: field(5, 'authtime', KerberosTime),
      starttime: optional(6, 'starttime', KerberosTime),
      endtime: field(7, 'endtime', KerberosTime),
      renewTill: optional(8, 'renew-till', KerberosTime),
      caddr: optional(9, 'caddr', HostAddresses),
      authorizationData: optional(10, 'authorization-data', AuthorizationData),
    },
    { summarize: (v) => `client ${formatPrincipal({ components: v.cname.nameString, realm: v.crealm })}` },
  ),
);
export type EncTicketPart = Infer<typeof EncTicketPart>;

export const Ticket = app(
  1,
  'Ticket',
  seq(
    'Ticket',
    {
      tktVno: field(0, 'tkt-vno', Int32),
      realm: field(1, 'realm', Realm),
      sname: field(2, 'sname', PrincipalName),
      encPart: field(3, 'enc-part', EncryptedData),
    },
    {
      summarize: (v) => `${formatName(v.sname.nameString)}@${v.realm}, ${enctypeName(v.encPart.etype)}, kvno ${v.encPart.kvno ?? '?'}`,
      refine(value, trees, ctx) {
        const service = `${formatName(value.sname.nameString)}@${value.realm}`;
        const onPart = (part: EncTicketPart) => {
          const entry = learn(ctx.extra, {
            enctype: part.key.keytype,
            key: part.key.keyvalue,
            source: `session key of the ticket for ${service} (client ${formatPrincipal({ components: part.cname.nameString, realm: part.crealm })})`,
            role: sessionRole(value.sname.nameString),
          });
          // The authenticator that comes with the ticket is sealed with it: tried first there.
          if (entry) sessionOf(ctx.extra)?.keyring.noteTicketKey(value.encPart.cipher, entry);
        };
        // Closed without the service's key: the note names the service it is encrypted for.
        decryptField(ctx, trees.encPart, value.encPart, KeyUsage.TICKET_ENC_PART, EncTicketPart, 'EncTicketPart', onPart, service);
      },
    },
  ),
);
export type Ticket = Infer<typeof Ticket>;
