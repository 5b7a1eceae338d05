/** RFC 4120 §7.5.1 key usage numbers (and the GSS ones of RFC 4121 §2), with what they protect. */
export const KeyUsage = {
  AS_REQ_PA_ENC_TIMESTAMP: 1,
  TICKET_ENC_PART: 2,
  AS_REP_ENC_PART: 3,
  TGS_REQ_AUTHDATA_SESSION_KEY: 4,
  TGS_REQ_AUTHDATA_SUBKEY: 5,
  TGS_REQ_PA_AUTHENTICATOR_CKSUM: 6,
  TGS_REQ_PA_AUTHENTICATOR: 7,
  TGS_REP_ENC_PART_SESSION_KEY: 8,
  TGS_REP_ENC_PART_SUBKEY: 9,
  AP_REQ_AUTHENTICATOR_CKSUM: 10,
  AP_REQ_AUTHENTICATOR: 11,
  AP_REP_ENC_PART: 12,
  KRB_PRIV_ENC_PART: 13,
  KRB_CRED_ENC_PART: 14,
  KRB_SAFE_CKSUM: 15,
  PAC_CHECKSUM: 17,
  GSS_ACCEPTOR_SEAL: 22,
  GSS_ACCEPTOR_SIGN: 23,
  GSS_INITIATOR_SEAL: 24,
  GSS_INITIATOR_SIGN: 25,
} as const;

const LABELS: Record<number, string> = {
  1: 'AS-REQ PA-ENC-TIMESTAMP, client key',
  2: 'Ticket enc-part, service key',
  3: 'AS-REP enc-part, client key',
  4: 'TGS-REQ authorization-data, session key',
  5: 'TGS-REQ authorization-data, subkey',
  6: 'TGS-REQ PA-TGS-REQ authenticator checksum, session key',
  7: 'TGS-REQ PA-TGS-REQ authenticator, TGT session key',
  8: 'TGS-REP enc-part, TGT session key',
  9: 'TGS-REP enc-part, authenticator subkey',
  10: 'AP-REQ authenticator checksum, session key',
  11: 'AP-REQ authenticator, ticket session key',
  12: 'AP-REP enc-part, ticket session key',
  13: 'KRB-PRIV enc-part',
  14: 'KRB-CRED enc-part',
  15: 'KRB-SAFE checksum',
  17: 'PAC signature',
  22: 'GSS Wrap, acceptor seal',
  23: 'GSS MIC/Wrap, acceptor sign',
  24: 'GSS Wrap, initiator seal',
  25: 'GSS MIC/Wrap, initiator sign',
};

/** "2 (Ticket enc-part, service key)". */
export function keyUsageLabel(usage: number): string {
  return LABELS[usage] ? `${usage} (${LABELS[usage]})` : String(usage);
}
