/**
 * The KDC probe's request and the reading of its reply. The request is a real AS-REQ (RFC 4120
 * §5.4.1) without pre-authentication, for a client name that surely does not exist and the
 * realm's TGS krbtgt/REALM@REALM: any KDC of the realm must answer it with a KRB-ERROR
 * (C_PRINCIPAL_UNKNOWN, or WRONG_REALM from a KDC of another realm) that carries its own time
 * (stime/susec). No ticket is ever issued and no account is touched, so it is safe against
 * production KDCs, Active Directory included.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { flagsFrom } from '../../krb/der/schema';
import { KrbDecodeError } from '../../krb/errors';
import { AsReq, decodeKerberosMessage, errorCodeName, KDC_OPTION_NAMES, type KrbError } from '../../krb/messages';
import { NameType } from '../../krb/names';

/** aes256/aes128 (SHA-1 and SHA-2) and RC4: offered so no KDC rejects the probe for its enctypes. */
const PROBE_ENCTYPES = [18, 17, 20, 19, 23];

export interface ProbeRequest {
  bytes: Buffer;
  client: string;
  nonce: number;
}

/** A fresh AS-REQ for `realm`; `client` defaults to a random name no realm has. */
export function buildProbeAsReq(realm: string, options: { client?: string; now?: Date; nonce?: number } = {}): ProbeRequest {
  const client = options.client ?? `kbench-probe-${randomBytes(6).toString('hex')}`;
  const nonce = options.nonce ?? randomInt(1, 0x7fffffff);
  const now = options.now ?? new Date();
  const bytes = AsReq.encode({
    pvno: 5,
    msgType: 10,
    reqBody: {
      kdcOptions: flagsFrom(KDC_OPTION_NAMES, []),
      cname: { nameType: NameType.PRINCIPAL, nameString: [client] },
      realm,
      sname: { nameType: NameType.SRV_INST, nameString: ['krbtgt', realm] },
      till: new Date(now.getTime() + 3600_000),
      nonce,
      etype: PROBE_ENCTYPES,
    },
  });
  return { bytes, client, nonce };
}

export type KdcReply =
  | { kind: 'KRB-ERROR'; errorCode: number; errorName: string; realm: string; stime: Date; susec: number; eText?: string }
  | { kind: 'AS-REP'; realm: string }
  | { kind: 'other'; description: string };

/** What came back; `other` when the bytes are not a KDC reply (some other service on the port). */
export function readKdcReply(bytes: Uint8Array): KdcReply {
  try {
    const message = decodeKerberosMessage(bytes);
    if (message.kind === 'KRB-ERROR') {
      const error = message.value as KrbError;
      return {
        kind: 'KRB-ERROR',
        errorCode: error.errorCode,
        errorName: errorCodeName(error.errorCode) ?? `error ${error.errorCode}`,
        realm: error.realm,
        stime: error.stime,
        susec: error.susec,
        ...(error.eText ? { eText: error.eText } : {}),
      };
    }
    if (message.kind === 'AS-REP') return { kind: 'AS-REP', realm: (message.value as { crealm: string }).crealm };
    return { kind: 'other', description: `a Kerberos ${message.kind}, not a KDC reply` };
  } catch (error) {
    if (!(error instanceof KrbDecodeError)) throw error;
    return { kind: 'other', description: `${bytes.length} byte(s) that are not a Kerberos message (${error.message})` };
  }
}
