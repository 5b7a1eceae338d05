/**
 * What an `Authorization: Negotiate` token is, before any GSS-API call sees it: SPNEGO (RFC 4178,
 * what browsers, curl and Java's HttpURLConnection send), a raw Kerberos GSS-API token (RFC 4121
 * §4.1, mechanism 1.2.840.113554.1.2.2: what a client built on raw GSS with the krb5 OID sends), or
 * NTLM (bare NTLMSSP, or SPNEGO offering only NTLM). Elasticsearch's Kerberos realm acquires its
 * acceptor credential for the SPNEGO mechanism only, so it takes nothing but SPNEGO; the endpoint
 * checks here and says why in words. SPNEGO bytes are read only by main/krb/gss/spnego.ts.
 */
import { KrbDecodeError } from '../krb/errors';
import { isInitialContextToken, isKerberosMech, KERBEROS_OIDS, NTLMSSP_OID, parseInitialContextToken, SPNEGO_OID } from '../krb/gss/framing';
import { isNtlmssp } from '../krb/gss/ntlm';
import { decodeSpnego } from '../krb/gss/spnego';

export type NegotiateTokenKind =
  /** A framed NegTokenInit that offers a Kerberos mechanism. */
  | { kind: 'spnego-init'; mechTypes: string[] }
  /** A bare NegTokenResp: the client's next round in a SPNEGO exchange under way. */
  | { kind: 'spnego-resp' }
  | { kind: 'krb5'; mechOid: string }
  | { kind: 'ntlm'; why: string }
  | { kind: 'malformed'; why: string };

const MECH_NAMES: Record<string, string> = {
  [KERBEROS_OIDS.krb5]: 'Kerberos 5',
  [KERBEROS_OIDS.msKrb5]: 'Kerberos 5 (Microsoft OID)',
  [NTLMSSP_OID]: 'NTLM',
  [SPNEGO_OID]: 'SPNEGO',
};

export function mechName(oid: string): string {
  return MECH_NAMES[oid] ? `${MECH_NAMES[oid]} (${oid})` : oid;
}

const NTLM_WHY =
  'the client sent NTLM, not Kerberos: it had no Kerberos ticket for this server (no SPN HTTP/<host> it could get a ticket for, an IP address instead of a host name, or a host its browser does not trust for Negotiate), and this endpoint accepts Kerberos only';

function spnegoKind(bytes: Buffer): NegotiateTokenKind {
  const decoded = decodeSpnego(bytes);
  if (decoded.value.kind === 'negTokenResp') return { kind: 'spnego-resp' };
  const { mechTypes } = decoded.value;
  if (mechTypes.some(isKerberosMech)) return { kind: 'spnego-init', mechTypes };
  if (mechTypes.includes(NTLMSSP_OID)) return { kind: 'ntlm', why: `SPNEGO offers only ${mechTypes.map(mechName).join(', ')}: ${NTLM_WHY}` };
  return { kind: 'malformed', why: `SPNEGO offers no Kerberos mechanism (mechTypes: ${mechTypes.map(mechName).join(', ') || 'none'})` };
}

export function negotiateTokenKind(bytes: Buffer): NegotiateTokenKind {
  try {
    if (isNtlmssp(bytes)) return { kind: 'ntlm', why: `a bare NTLMSSP message: ${NTLM_WHY}` };
    if (!isInitialContextToken(bytes)) return spnegoKind(bytes);
    const framing = parseInitialContextToken(bytes);
    if (framing.mechOid === SPNEGO_OID) return spnegoKind(bytes);
    if (isKerberosMech(framing.mechOid)) return { kind: 'krb5', mechOid: framing.mechOid };
    if (framing.mechOid === NTLMSSP_OID) return { kind: 'ntlm', why: `a GSS-API token of the NTLM mechanism: ${NTLM_WHY}` };
    return { kind: 'malformed', why: `a GSS-API token of mechanism ${framing.mechOid}, neither SPNEGO nor Kerberos` };
  } catch (error) {
    if (!(error instanceof KrbDecodeError)) throw error;
    return { kind: 'malformed', why: `not a GSS-API token: ${error.message}` };
  }
}

/** Why Elasticsearch mode refuses a raw Kerberos token, in words. */
export function rawKrb5Explanation(mechOid: string): string {
  return (
    `the Negotiate token is a raw Kerberos GSS-API token (mechanism ${mechName(mechOid)}), not SPNEGO (${SPNEGO_OID}): ` +
    'an Elasticsearch node acquires its acceptor credential for the SPNEGO mechanism only, so it refuses it. ' +
    'Send the AP-REQ inside a SPNEGO NegTokenInit, as curl --negotiate, browsers and Java\'s HttpURLConnection do (with raw GSS-API, initiate with the SPNEGO OID)'
  );
}
