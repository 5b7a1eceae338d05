import { describe, expect, it } from 'vitest';
import { KrbDecodeError } from '../../../../main/krb/errors';
import { findNode } from '../../../../main/krb/tree';
import { frameInitialContextToken, KERBEROS_OIDS, parseInitialContextToken, readKerberosToken, TokId } from '../../../../main/krb/gss';

/**
 * A real "WWW-Authenticate: Negotiate …" answer from a Kerberized Hadoop/Solr server, published
 * in the Hue blog (cloudera/hue docs): MIT frames its AP-REP (60 … OID, TOK_ID 02 00, then 6f …).
 */
const HUE_AP_REP = Buffer.from(
  'YGwGCSqGSIb3EgECAgIAb10wW6ADAgEFoQMCAQ+iTzBNoAMCARCiRgRE62zOpPwr+KLoFKdUX2I6FtbN0DyxSA5a8n4BSZRJMTf413TEXzJbVh3/G7jWiMasIIzeETrd0Bv8suBsuKS/HdqG068=',
  'base64',
);

describe('RFC 2743 InitialContextToken framing', () => {
  it('parses a real framed AP-REP: mech OID, TOK_ID, inner DER message', () => {
    const parsed = parseInitialContextToken(HUE_AP_REP, 1000);
    expect(parsed).toMatchObject({ mechOid: '1.2.840.113554.1.2.2', tokId: 0x0200, tokIdName: 'KRB_AP_REP', innerOffset: 1015 });
    expect(parsed.inner[0]).toBe(0x6f); // [APPLICATION 15] AP-REP
    expect(parsed.inner.length).toBe(HUE_AP_REP.length - 15);
    expect(parsed.tree).toMatchObject({ name: 'InitialContextToken', offset: 1000, length: HUE_AP_REP.length });
    expect(findNode(parsed.tree, 'thisMech')).toMatchObject({ offset: 1002, length: 11, value: '1.2.840.113554.1.2.2 (Kerberos 5 (RFC 4121))' });
    expect(findNode(parsed.tree, 'TOK_ID')).toMatchObject({ offset: 1013, length: 2, value: 'KRB_AP_REP (02 00)' });
    expect(findNode(parsed.tree, 'innerToken')).toMatchObject({ offset: 1015, length: parsed.inner.length, type: 'KRB_AP_REP' });
  });

  it('round trips frame → parse for both Kerberos OIDs, and leaves other mechanisms without TOK_ID', () => {
    const inner = Buffer.from([0x6e, 0x03, 0x02, 0x01, 0x05]);
    for (const oid of [KERBEROS_OIDS.krb5, KERBEROS_OIDS.msKrb5]) {
      const framed = frameInitialContextToken(oid, TokId.KRB_AP_REQ, inner);
      expect(framed[0]).toBe(0x60);
      expect(parseInitialContextToken(framed)).toMatchObject({ mechOid: oid, tokId: 0x0100, tokIdName: 'KRB_AP_REQ', inner });
    }
    const other = parseInitialContextToken(frameInitialContextToken('1.3.6.1.5.5.2', null, Buffer.from([0xa0, 0x00])));
    expect(other.tokId).toBeUndefined();
    expect(other.inner).toEqual(Buffer.from([0xa0, 0x00]));
  });

  it('uses long-form lengths for big tokens', () => {
    const inner = Buffer.alloc(1000, 0x6e);
    const framed = frameInitialContextToken(KERBEROS_OIDS.krb5, TokId.KRB_AP_REQ, inner);
    expect(framed.subarray(0, 4).toString('hex')).toBe('608203f5');
    expect(parseInitialContextToken(framed).inner.length).toBe(1000);
  });

  it('names what is wrong with bad framing', () => {
    expect(() => parseInitialContextToken(Buffer.from([0x30, 0x00]))).toThrow(/expected \[APPLICATION 0\] \(0x60\)/);
    expect(() => parseInitialContextToken(Buffer.from([0x60, 0x02, 0x04, 0x00]))).toThrow(/mechanism OBJECT IDENTIFIER/);
    expect(() => parseInitialContextToken(Buffer.concat([HUE_AP_REP, Buffer.from([0])]))).toThrow(/1 trailing byte/);
    const noTokId = frameInitialContextToken(KERBEROS_OIDS.krb5, null, Buffer.from([0x01]));
    expect(() => parseInitialContextToken(noTokId)).toThrow(expect.objectContaining({ field: 'TOK_ID' }));
    // MIT t_invalid.c test_short_encapsulation inputs
    for (const bytes of [[0x60], [0x60, 0x84], [0x60, 0x40, 0x06], [0x60, 0x40, 0x06, 0x09]]) {
      expect(() => parseInitialContextToken(Buffer.from(bytes))).toThrow(KrbDecodeError);
    }
  });
});

describe('readKerberosToken: framed, TOK_ID only, or bare', () => {
  const apReq = Buffer.from([0x6e, 0x03, 0x02, 0x01, 0x05]);

  it('accepts the framed form', () => {
    expect(readKerberosToken(HUE_AP_REP)).toMatchObject({ framed: true, tokId: 0x0200, innerOffset: 15 });
  });

  it('accepts TOK_ID + message without framing', () => {
    const token = Buffer.concat([Buffer.from([0x01, 0x00]), apReq]);
    const read = readKerberosToken(token, 10);
    expect(read).toMatchObject({ framed: false, tokId: 0x0100, tokIdName: 'KRB_AP_REQ', innerOffset: 12, inner: apReq });
    expect(findNode(read.tree, 'TOK_ID')).toMatchObject({ offset: 10 });
  });

  it('accepts the bare DER message', () => {
    expect(readKerberosToken(apReq, 4)).toMatchObject({ framed: false, tokIdName: 'KRB_AP_REQ', innerOffset: 4, inner: apReq });
    expect(readKerberosToken(Buffer.from([0x7e, 0x00])).tokIdName).toBe('KRB_ERROR');
  });

  it('refuses SPNEGO and garbage', () => {
    expect(() => readKerberosToken(frameInitialContextToken('1.3.6.1.5.5.2', null, Buffer.from([0xa0, 0x00])))).toThrow(/not Kerberos/);
    expect(() => readKerberosToken(Buffer.from('NTLMSSP\0'))).toThrow(KrbDecodeError);
    expect(() => readKerberosToken(Buffer.alloc(0))).toThrow(KrbDecodeError);
  });
});
