/**
 * Every Kerberos message by its [APPLICATION n] tag, and one entry point that recognises and
 * decodes whichever it is given.
 */
import { decodeDer, type Decoded, type Schema } from '../der/schema';
import { KrbDecodeError } from '../errors';
import type { DecodeSession } from '../decode/keyring';
import { ApRep, ApReq, Authenticator, EncAPRepPart } from './ap';
import { EncKrbCredPart, KrbCred } from './cred';
import { KrbError } from './error';
import { AsRep, AsReq, EncKdcRepPart, TgsRep, TgsReq } from './kdc';
import { EncKrbPrivPart, KrbPriv, KrbSafe } from './safe-priv';
import { EncTicketPart, Ticket } from './ticket';

export const MESSAGE_BY_TAG: Record<number, { name: string; schema: Schema<unknown> }> = {
  1: { name: 'Ticket', schema: Ticket as Schema<unknown> },
  2: { name: 'Authenticator', schema: Authenticator as Schema<unknown> },
  3: { name: 'EncTicketPart', schema: EncTicketPart as Schema<unknown> },
  10: { name: 'AS-REQ', schema: AsReq as Schema<unknown> },
  11: { name: 'AS-REP', schema: AsRep as Schema<unknown> },
  12: { name: 'TGS-REQ', schema: TgsReq as Schema<unknown> },
  13: { name: 'TGS-REP', schema: TgsRep as Schema<unknown> },
  14: { name: 'AP-REQ', schema: ApReq as Schema<unknown> },
  15: { name: 'AP-REP', schema: ApRep as Schema<unknown> },
  20: { name: 'KRB-SAFE', schema: KrbSafe as Schema<unknown> },
  21: { name: 'KRB-PRIV', schema: KrbPriv as Schema<unknown> },
  22: { name: 'KRB-CRED', schema: KrbCred as Schema<unknown> },
  25: { name: 'EncASRepPart', schema: EncKdcRepPart as Schema<unknown> },
  26: { name: 'EncTGSRepPart', schema: EncKdcRepPart as Schema<unknown> },
  27: { name: 'EncAPRepPart', schema: EncAPRepPart as Schema<unknown> },
  28: { name: 'EncKrbPrivPart', schema: EncKrbPrivPart as Schema<unknown> },
  29: { name: 'EncKrbCredPart', schema: EncKrbCredPart as Schema<unknown> },
  30: { name: 'KRB-ERROR', schema: KrbError as Schema<unknown> },
};

/** The Kerberos message type a buffer starts with (by its [APPLICATION n] tag), if any. */
export function kerberosMessageName(bytes: Uint8Array): string | undefined {
  const first = bytes[0];
  if (first === undefined || (first & 0xe0) !== 0x60) return undefined;
  return MESSAGE_BY_TAG[first & 0x1f]?.name;
}

export interface MessageDecodeOptions {
  /** Absolute offset of bytes[0] in the user's input. */
  base?: number;
  session?: DecodeSession;
  revealSecrets?: boolean;
  /** Allow bytes after the message (GSS tokens may pad). Default false. */
  allowTrailing?: boolean;
}

/** Decodes any Kerberos message; throws KrbDecodeError when the bytes are not one. */
export function decodeKerberosMessage(bytes: Uint8Array, options: MessageDecodeOptions = {}): Decoded<unknown> & { kind: string } {
  const base = options.base ?? 0;
  const first = bytes[0];
  const entry = first !== undefined && (first & 0xe0) === 0x60 ? MESSAGE_BY_TAG[first & 0x1f] : undefined;
  if (!entry) {
    throw new KrbDecodeError('Kerberos message', '', base, first === undefined ? 'empty input' : `first byte 0x${first.toString(16).padStart(2, '0')} is not a Kerberos message tag`);
  }
  const decoded = decodeDer(entry.schema, bytes, entry.name, {
    base,
    revealSecrets: options.revealSecrets ?? false,
    extra: options.session,
    exact: !options.allowTrailing,
  });
  return { ...decoded, kind: entry.name };
}

export * from './common';
export { ApRep, ApReq, Authenticator, EncAPRepPart, TgsApReq } from './ap';
export { EncKrbCredPart, KrbCred } from './cred';
export { KrbError } from './error';
export { errorCodeName, errorCodeText, ERROR_CODES } from './error-codes';
export { AsRep, AsReq, EncKdcRepPart, KdcReqBody, TgsRep, TgsReq } from './kdc';
export { EtypeInfo2, MethodData, PaData } from './padata';
export { EncKrbPrivPart, KrbPriv, KrbSafe } from './safe-priv';
export { EncTicketPart, Ticket } from './ticket';
export { AuthorizationData } from './authdata';
