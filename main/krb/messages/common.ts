/**
 * RFC 4120 §5.2 basic types: the building blocks every Kerberos message uses.
 */
import { field, Int32, KerberosFlags, KerberosString, namedInt, OctetString, optional, SecretOctets, seq, seqOf, UInt32, type Infer } from '../der/schema';
import { checksumTypeName, enctypeName, formatName, nameTypeName } from '../names';

export const Realm = { ...KerberosString, typeName: 'Realm' };

export const NameTypeInt = namedInt('NameType', (v) => nameTypeName(v));
export const EtypeInt = namedInt('Int32 (etype)', (v) => enctypeName(v));
export const ChecksumTypeInt = namedInt('Int32 (cksumtype)', (v) => checksumTypeName(v));

export const PrincipalName = seq(
  'PrincipalName',
  {
    nameType: field(0, 'name-type', NameTypeInt),
    nameString: field(1, 'name-string', seqOf(KerberosString, 'SEQUENCE OF KerberosString', 'KerberosString')),
  },
  { summarize: (v) => formatName(v.nameString) },
);
export type PrincipalName = Infer<typeof PrincipalName>;

export const HostAddress = seq(
  'HostAddress',
  {
    addrType: field(0, 'addr-type', namedInt('Int32 (addr-type)', (v) => ({ 2: 'IPv4', 24: 'IPv6', 20: 'NetBIOS', 12: 'DECnet' })[v])),
    address: field(1, 'address', OctetString),
  },
  { summarize: (v) => (v.addrType === 2 && v.address.length === 4 ? [...v.address].join('.') : v.address.toString('hex')) },
);
export const HostAddresses = seqOf(HostAddress, 'HostAddresses', 'HostAddress');

export const EncryptionKey = seq(
  'EncryptionKey',
  {
    keytype: field(0, 'keytype', EtypeInt),
    keyvalue: field(1, 'keyvalue', SecretOctets),
  },
  { summarize: (v) => `${enctypeName(v.keytype)}, ${v.keyvalue.length}-byte key` },
);
export type EncryptionKey = Infer<typeof EncryptionKey>;

export const Checksum = seq(
  'Checksum',
  {
    cksumtype: field(0, 'cksumtype', ChecksumTypeInt),
    checksum: field(1, 'checksum', OctetString),
  },
  { summarize: (v) => checksumTypeName(v.cksumtype) },
);
export type Checksum = Infer<typeof Checksum>;

export const EncryptedData = seq(
  'EncryptedData',
  {
    etype: field(0, 'etype', EtypeInt),
    kvno: optional(1, 'kvno', UInt32),
    cipher: field(2, 'cipher', OctetString),
  },
  { summarize: (v) => `${enctypeName(v.etype)}${v.kvno !== undefined ? `, kvno ${v.kvno}` : ''}, ${v.cipher.length} bytes` },
);
export type EncryptedData = Infer<typeof EncryptedData>;

/** RFC 4120 §5.3 TicketFlags (+ RFC 6806 enc-pa-rep (15), RFC 6112 anonymous (16); bit 14 is unused). */
export const TICKET_FLAG_NAMES = [
  'reserved',
  'forwardable',
  'forwarded',
  'proxiable',
  'proxy',
  'may-postdate',
  'postdated',
  'invalid',
  'renewable',
  'initial',
  'pre-authent',
  'hw-authent',
  'transited-policy-checked',
  'ok-as-delegate',
  '',
  'enc-pa-rep',
  'anonymous',
] as const;
export const TicketFlags = KerberosFlags('TicketFlags', TICKET_FLAG_NAMES);

/** RFC 4120 §5.4.1 KDCOptions (+ RFC 6806 canonicalize, S4U cname-in-addl-tkt). */
export const KDC_OPTION_NAMES = [
  'reserved',
  'forwardable',
  'forwarded',
  'proxiable',
  'proxy',
  'allow-postdate',
  'postdated',
  '',
  'renewable',
  '',
  '',
  'opt-hardware-auth',
  '',
  '',
  'cname-in-addl-tkt',
  'canonicalize',
  'request-anonymous',
  '', '', '', '', '', '', '', '', '',
  'disable-transited-check',
  'renewable-ok',
  'enc-tkt-in-skey',
  '',
  'renew',
  'validate',
] as const;
export const KDCOptions = KerberosFlags('KDCOptions', KDC_OPTION_NAMES);

export const AP_OPTION_NAMES = ['reserved', 'use-session-key', 'mutual-required'] as const;
export const APOptions = KerberosFlags('APOptions', AP_OPTION_NAMES);

/** Microseconds ::= INTEGER (0..999999). */
export const Microseconds = { ...Int32, typeName: 'Microseconds' };

/** Kerberos message types (msg-type). */
export const MESSAGE_TYPES: Record<number, string> = {
  10: 'AS-REQ',
  11: 'AS-REP',
  12: 'TGS-REQ',
  13: 'TGS-REP',
  14: 'AP-REQ',
  15: 'AP-REP',
  20: 'KRB-SAFE',
  21: 'KRB-PRIV',
  22: 'KRB-CRED',
  30: 'KRB-ERROR',
};
export const MsgType = namedInt('INTEGER (msg-type)', (v) => MESSAGE_TYPES[v]);
export const Pvno = { ...Int32, typeName: 'INTEGER (pvno)' };
