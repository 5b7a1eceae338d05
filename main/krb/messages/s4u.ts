/**
 * S4U2self (MS-SFU §2.2.1–2.2.2): a service asks the KDC for a ticket to itself on behalf of a
 * user, naming the user in padata of its TGS-REQ.
 *
 * PA-FOR-USER (129): userName, userRealm, a checksum and "Kerberos". The checksum is hmac-md5
 *   (-138) with key usage 17, keyed with the session key of the service's TGT, over the name type
 *   (4 bytes, little-endian), every name component, the realm and the auth-package, concatenated.
 * PA-S4U-X509-USER (130): S4UUserID (nonce, cname, crealm, certificate, options) and a checksum
 *   over its DER, key usage 26 in the request and 27 in the reply (26 in replies of KDCs that do
 *   not honour USE_REPLY_KEY_USAGE). MIT keys it with the TGS-REQ subkey, Windows with what its
 *   reply key is: so every learnt key is tried, and the verdict names the one that fits.
 */
import { field, KerberosFlags, KerberosString, OctetString, optional, seq, UInt32, type DecodeContext, type Infer } from '../der/schema';
import { addChecksumVerdict, checkKeyedChecksum, wrappedValueBytes, type ChecksumCheck } from '../decode/checksum';
import { sessionOf } from '../decode/keyring';
import { KrbDecodeError } from '../errors';
import { formatPrincipal } from '../names';
import { KeyUsage } from '../usages';
import { Checksum, PrincipalName, Realm } from './common';

const TGT_SESSION_KEY = "the session key of the service's TGT (decrypt the PA-TGS-REQ ticket with the krbtgt key, or give the TGS exchange before it)";

/** PA-FOR-USER's checksummed bytes (MS-SFU §2.2.1). */
export function forUserChecksumData(value: { userName: Infer<typeof PrincipalName>; userRealm: string; authPackage: string }): Buffer {
  const nameType = Buffer.alloc(4);
  nameType.writeInt32LE(value.userName.nameType);
  return Buffer.concat([nameType, ...value.userName.nameString.map((s) => Buffer.from(s, 'utf8')), Buffer.from(value.userRealm, 'utf8'), Buffer.from(value.authPackage, 'utf8')]);
}

export const PaForUser = seq(
  'PA-FOR-USER',
  {
    userName: field(0, 'userName', PrincipalName),
    userRealm: field(1, 'userRealm', Realm),
    cksum: field(2, 'cksum', Checksum),
    authPackage: field(3, 'auth-package', KerberosString),
  },
  {
    summarize: (v) => `on behalf of ${formatPrincipal({ components: v.userName.nameString, realm: v.userRealm })}`,
    refine: (value, trees, ctx) => {
      if (!trees.cksum) return;
      const keys = sessionOf(ctx.extra)?.keyring ?? [];
      const { cksumtype, checksum } = value.cksum;
      const result = checkKeyedChecksum(cksumtype, KeyUsage.PAC_CHECKSUM, forUserChecksumData(value), checksum, keys);
      addChecksumVerdict(trees.cksum, cksumtype, KeyUsage.PAC_CHECKSUM, result, TGT_SESSION_KEY, 'PA-FOR-USER');
    },
  },
);

/** S4UUserID options (MS-SFU §2.2.2; MIT KRB5_S4U_OPTS_*). */
const S4U_OPTION_NAMES = ['', 'check-logon-hour-restrictions', 'use-reply-key-usage'] as const;

export const S4uUserId = seq(
  'S4UUserID',
  {
    nonce: field(0, 'nonce', UInt32),
    cname: optional(1, 'cname', PrincipalName),
    crealm: field(2, 'crealm', Realm),
    subjectCertificate: optional(3, 'subject-certificate', OctetString),
    options: optional(4, 'options', KerberosFlags('S4UUserID options', S4U_OPTION_NAMES)),
  },
  {
    summarize: (v) =>
      v.cname ? formatPrincipal({ components: v.cname.nameString, realm: v.crealm }) : `the holder of a ${v.subjectCertificate?.length ?? 0}-byte certificate in ${v.crealm}`,
  },
);

/** Request (26) first, then reply (27): the padata does not say which side sent it. */
function checkS4uChecksum(data: Uint8Array, cksum: Infer<typeof Checksum>, ctx: DecodeContext): { usage: number; result: ChecksumCheck } {
  const keys = sessionOf(ctx.extra)?.keyring ?? [];
  let result: ChecksumCheck = { tried: 0 };
  for (const usage of [KeyUsage.S4U_X509_USER_REQ_CKSUM, KeyUsage.S4U_X509_USER_REP_CKSUM]) {
    result = checkKeyedChecksum(cksum.cksumtype, usage, data, cksum.checksum, keys);
    if (result.verified) return { usage, result };
  }
  return { usage: KeyUsage.S4U_X509_USER_REQ_CKSUM, result };
}

export const PaS4uX509User = seq(
  'PA-S4U-X509-USER',
  {
    userId: field(0, 'user-id', S4uUserId),
    checksum: field(1, 'checksum', Checksum),
  },
  {
    summarize: (v) => `on behalf of ${v.userId.cname ? formatPrincipal({ components: v.userId.cname.nameString, realm: v.userId.crealm }) : 'a certificate holder'}`,
    refine: (value, trees, ctx) => {
      const checksumTree = trees.checksum;
      if (!trees.userId || !checksumTree) return;
      try {
        const { usage, result } = checkS4uChecksum(wrappedValueBytes(ctx.input, trees.userId), value.checksum, ctx);
        addChecksumVerdict(checksumTree, value.checksum.cksumtype, usage, result, 'the TGS-REQ subkey or the session key of the TGS exchange', 'S4UUserID');
      } catch (error) {
        if (!(error instanceof KrbDecodeError)) throw error;
        checksumTree.error = error.message;
      }
    },
  },
);
