/** AS-REQ/TGS-REQ, AS-REP/TGS-REP and EncKDCRepPart (RFC 4120 §5.4). */
import { app, decodeError, field, Int32, KerberosTime, optional, seq, seqOf, UInt32, type Infer, type Schema } from '../der/schema';
import { decryptField } from '../decode/decrypt';
import { learn, sessionOf, sessionRole } from '../decode/keyring';
import { enctypeName, formatName, formatPrincipal } from '../names';
import { KeyUsage } from '../usages';
import { TgsApReq } from './ap';
import { EncryptedData, EncryptionKey, EtypeInt, HostAddresses, KDCOptions, MsgType, PrincipalName, Pvno, Realm, TicketFlags } from './common';
import { fastLate } from './fast';
import { late, PaDataList } from './padata';
import { Ticket } from './ticket';

late.tgsApReq = TgsApReq as Schema<unknown>;

export const KdcReqBody = seq(
  'KDC-REQ-BODY',
  {
    kdcOptions: field(0, 'kdc-options', KDCOptions),
    cname: optional(1, 'cname', PrincipalName),
    realm: field(2, 'realm', Realm),
    sname: optional(3, 'sname', PrincipalName),
    from: optional(4, 'from', KerberosTime),
    till: field(5, 'till', KerberosTime),
    rtime: optional(6, 'rtime', KerberosTime),
    nonce: field(7, 'nonce', UInt32),
    etype: field(8, 'etype', seqOf(EtypeInt, 'SEQUENCE OF Int32', 'etype')),
    addresses: optional(9, 'addresses', HostAddresses),
    encAuthorizationData: optional(10, 'enc-authorization-data', EncryptedData),
    additionalTickets: optional(11, 'additional-tickets', seqOf(Ticket, 'SEQUENCE OF Ticket', 'Ticket')),
  },
  {
    summarize: (v) =>
      `${v.cname ? `client ${formatName(v.cname.nameString)}, ` : ''}service ${v.sname ? formatName(v.sname.nameString) : '?'}@${v.realm}, etypes ${v.etype.join(',')}`,
  },
);

fastLate.kdcReqBody = KdcReqBody as Schema<unknown>;

const kdcReqFields = {
  pvno: field(1, 'pvno', Pvno),
  msgType: field(2, 'msg-type', MsgType),
  padata: optional(3, 'padata', PaDataList),
  reqBody: field(4, 'req-body', KdcReqBody),
};

export const AsReq = app(10, 'AS-REQ', seq('AS-REQ', kdcReqFields, { summarize: (v) => KdcReqBody.typeName && `AS-REQ for ${v.reqBody.cname ? formatName(v.reqBody.cname.nameString) : '?'}@${v.reqBody.realm}` }));
export const TgsReq = app(12, 'TGS-REQ', seq('TGS-REQ', kdcReqFields, { summarize: (v) => `TGS-REQ for ${v.reqBody.sname ? formatName(v.reqBody.sname.nameString) : '?'}@${v.reqBody.realm}` }));
export type KdcReq = Infer<typeof AsReq>;

const LastReq = seqOf(
  seq('LastReq entry', {
    lrType: field(0, 'lr-type', Int32),
    lrValue: field(1, 'lr-value', KerberosTime),
  }),
  'LastReq',
  'entry',
);

const encKdcRepPartBody = seq(
  'EncKDCRepPart',
  {
    key: field(0, 'key', EncryptionKey),
    lastReq: field(1, 'last-req', LastReq),
    nonce: field(2, 'nonce', UInt32),
    keyExpiration: optional(3, 'key-expiration', KerberosTime),
    flags: field(4, 'flags', TicketFlags),
    authtime: field(5, 'authtime', KerberosTime),
    starttime: optional(6, 'starttime', KerberosTime),
    endtime: field(7, 'endtime', KerberosTime),
    renewTill: optional(8, 'renew-till', KerberosTime),
    srealm: field(9, 'srealm', Realm),
    sname: field(10, 'sname', PrincipalName),
    caddr: optional(11, 'caddr', HostAddresses),
    encryptedPaData: optional(12, 'encrypted-pa-data', PaDataList),
  },
  { summarize: (v) => `session key for ${formatName(v.sname.nameString)}@${v.srealm}` },
);
export type EncKdcRepPart = Infer<typeof encKdcRepPartBody>;

const EncAsRepPart = app(25, 'EncASRepPart', encKdcRepPartBody);
const EncTgsRepPart = app(26, 'EncTGSRepPart', encKdcRepPartBody);

/**
 * The plaintext of a KDC reply: [APPLICATION 25] for AS, [26] for TGS — but MIT and others have
 * long sent [26] in AS replies too, so either tag is accepted.
 */
export const EncKdcRepPart: Schema<EncKdcRepPart> = {
  typeName: 'EncKDCRepPart',
  decode(node, ctx, name) {
    if (node.tagClass === 'application' && node.tagNumber === 25) return EncAsRepPart.decode(node, ctx, name);
    if (node.tagClass === 'application' && node.tagNumber === 26) return EncTgsRepPart.decode(node, ctx, name);
    throw decodeError(ctx, node.offset, 'expected EncASRepPart [APPLICATION 25] or EncTGSRepPart [APPLICATION 26]');
  },
  encode: (value) => EncTgsRepPart.encode(value),
};

const kdcRepFields = {
  pvno: field(0, 'pvno', Pvno),
  msgType: field(1, 'msg-type', MsgType),
  padata: optional(2, 'padata', PaDataList),
  crealm: field(3, 'crealm', Realm),
  cname: field(4, 'cname', PrincipalName),
  ticket: field(5, 'ticket', Ticket),
  encPart: field(6, 'enc-part', EncryptedData),
};

/** Learns the reply's session key, as the key of the ticket the reply carries (its AP-REQs' authenticators). */
function learnReplyKey(extra: unknown, part: EncKdcRepPart, ticket: Ticket): void {
  const entry = learn(extra, {
    enctype: part.key.keytype,
    key: part.key.keyvalue,
    source: `session key for ${formatName(part.sname.nameString)}@${part.srealm}, from the KDC reply`,
    role: sessionRole(part.sname.nameString),
  });
  if (entry) sessionOf(extra)?.keyring.noteTicketKey(ticket.encPart.cipher, entry);
}

export const AsRep = app(
  11,
  'AS-REP',
  seq('AS-REP', kdcRepFields, {
    summarize: (v) => `${formatPrincipal({ components: v.cname.nameString, realm: v.crealm })}, enc-part ${enctypeName(v.encPart.etype)}`,
    refine(value, trees, ctx) {
      decryptField(ctx, trees.encPart, value.encPart, KeyUsage.AS_REP_ENC_PART, EncKdcRepPart, 'EncASRepPart', (part) => learnReplyKey(ctx.extra, part, value.ticket));
    },
  }),
);

export const TgsRep = app(
  13,
  'TGS-REP',
  seq('TGS-REP', kdcRepFields, {
    summarize: (v) => `${formatPrincipal({ components: v.cname.nameString, realm: v.crealm })}, ticket for ${formatName(v.ticket.sname.nameString)}`,
    refine(value, trees, ctx) {
      // The TGS-REP is encrypted in the TGT session key (usage 8) or the request's subkey (usage 9).
      const onPart = (part: EncKdcRepPart) => learnReplyKey(ctx.extra, part, value.ticket);
      if (decryptField(ctx, trees.encPart, value.encPart, KeyUsage.TGS_REP_ENC_PART_SESSION_KEY, EncKdcRepPart, 'EncTGSRepPart', onPart)) return;
      const firstError = trees.encPart?.error;
      if (decryptField(ctx, trees.encPart, value.encPart, KeyUsage.TGS_REP_ENC_PART_SUBKEY, EncKdcRepPart, 'EncTGSRepPart', onPart)) {
        if (trees.encPart) delete trees.encPart.error;
      } else if (trees.encPart && firstError) {
        trees.encPart.error = firstError;
      }
    },
  }),
);
export type KdcRep = Infer<typeof AsRep>;

