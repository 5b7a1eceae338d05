import { describe, expect, it } from 'vitest';
import { KrbDecodeError } from '../../../../main/krb/errors';
import { findNode } from '../../../../main/krb/tree';
import {
  decodeNtlmssp,
  decodeSpnego,
  encodeNegTokenInit,
  encodeNegTokenResp,
  frameInitialContextToken,
  isNtlmssp,
  KERBEROS_OIDS,
  NegState,
  WINDOWS_HINT_NAME,
} from '../../../../main/krb/gss';

const b64 = (s: string): Buffer => Buffer.from(s, 'base64');
const NTLMSSP_OID = '1.3.6.1.4.1.311.2.2.10';

/**
 * A Windows 10 (build 19041) client's SPNEGO NegTokenInit that offers only NTLM, with an NTLMSSP
 * NEGOTIATE as mechToken: the fallback a Windows client makes when it cannot get a ticket.
 * Source: Suricata eve.json SMB payload from the malware-traffic-analysis.net 2022-02-23 exercise,
 * as printed in freeCodeCamp's "Home network security with Suricata, Raspberry Pi 4 and Python".
 */
const WINDOWS_NTLM_INIT = b64('YEgGBisGAQUFAqA+MDygDjAMBgorBgEEAYI3AgIKoioEKE5UTE1TU1AAAQAAAJeCCOIAAAAAAAAAAAAAAAAAAAAACgBhSgAAAA8=');

/**
 * The same client's raw "Authorization: Negotiate TlRMTVNT…" (NTLMSSP with no SPNEGO around it),
 * which Windows browsers send when Negotiate falls back to NTLM. Source: KrbProbeProviderTest in
 * a public Keycloak Kerberos-probe extension (eu.kylian.kc.krb).
 */
const BROWSER_NEGOTIATE_NTLM = b64('TlRMTVNTUAABAAAAl4II4gAAAAAAAAAAAAAAAAAAAAAKAGFKAAAADw==');

/** Linux ksmbd NEGOTIATE_GSS_HEADER (fs/smb/server/auth.c): NegTokenInit2 with Windows' negHints. */
const KSMBD_NEG_TOKEN_INIT2 = Buffer.from(
  '605e06062b0601050502a0543052a0243022' +
    '06092a864886f712010202' +
    '06092a864882f712010202' +
    '060a2b06010401823702020a' +
    'a32a3028a0261b246e6f745f646566696e65645f696e5f5246433431373840706c656173655f69676e6f7265',
  'hex',
);

/**
 * NTLM over SPNEGO from a public Java SMB project's SpnegoCodecUtilsTest (netty SMB server):
 * a NegTokenInit with an NTLM NEGOTIATE, the server's NegTokenResp with the CHALLENGE, the
 * client's NegTokenResp with the AUTHENTICATE, and a NEGOEX NegTokenInit.
 */
const JAVA_SMB = {
  init: b64('YEgGBisGAQUFAqA+MDygDjAMBgorBgEEAYI3AgIKoioEKE5UTE1TU1AAAQAAABWCCGIAAAAAKAAAAAAAAAAoAAAABgEAAAAAAA8='),
  challenge: b64(
    'oYHOMIHLoAMKAQGhDAYKKwYBBAGCNwICCqKBtQSBsk5UTE1TU1AAAgAAABIAEgA4AAAAFYKKYhEj+2kAdCOsAAAAAAAAAABoAGgASgAAAAoAYUoAAAAPUgBPAE8ATABJAEMALQBaADkAAgASAFIATwBPAEwASQBDAC0AWgA5AAEAEgBSAE8ATwBMAEkAQwAtAFoAOQAEABIAUgBvAG8AbABpAGMALQBaADkAAwASAFIAbwBvAGwAaQBjAC0AWgA5AAcACACg/7A0qQ3cAQAAAAA=',
  ),
  negoex: b64(
    'YIIBPAYGKwYBBQUCoIIBMDCCASygGjAYBgorBgEEAYI3AgIeBgorBgEEAYI3AgIKooIBDASCAQhORUdPRVhUUwEAAAAAAAAAYAAAAHAAAABmoqbU3wIqY4uvcviYiI+WV9ijr+VZaWWhRiFb8nXvN2cVNGDr7lL+j3QDrBLxTBEAAAAAAAAAAGAAAAABAAAAAAAAAAAAAABcM1MN6vkNTbLsSuN4bsMITkVHT0VYVFMDAAAAAQAAAEAAAACYAAAAZqKm1N8CKmOLr3L4mIiPllwzUw3q+Q1NsuxK43huwwhAAAAAWAAAADBWoFQwUjAngCUwIzEhMB8GA1UEAxMYVG9rZW4gU2lnbmluZyBQdWJsaWMgS2V5MCeAJTAjMSEwHwYDVQQDExhUb2tlbiBTaWduaW5nIFB1YmxpYyBLZXk=',
  ),
};

/** cryptomator/jsmb NegotiationTokenTest: a NegTokenInit and the mechToken it must yield. */
const JSMB = {
  token: b64('YFEGBisGAQUFAqBHMEWgDjAMBgorBgEEAYI3AgIKojMEMU5UTE1TU1AAAQAAABWCCGIAAAAAAAAAAAAAAAAAAAAABgGwHQAAAA9XT1JLR1JPVVA='),
  mechToken: b64('TlRMTVNTUAABAAAAFYIIYgAAAAAAAAAAAAAAAAAAAAAGAbAdAAAAD1dPUktHUk9VUA=='),
};

describe('SPNEGO from the wild', () => {
  it('recognises a Windows NegTokenInit whose mechToken is NTLMSSP: an NTLM fallback', () => {
    const decoded = decodeSpnego(WINDOWS_NTLM_INIT);
    expect(decoded.framed).toBe(true);
    expect(decoded.value).toMatchObject({ kind: 'negTokenInit', variant: 'NegTokenInit', mechTypes: [NTLMSSP_OID] });
    expect(decoded.innerTokens).toHaveLength(1);
    const [inner] = decoded.innerTokens;
    expect(inner).toMatchObject({ field: 'mechToken', format: 'NTLMSSP', mechOid: NTLMSSP_OID, offset: 34 });
    expect(WINDOWS_NTLM_INIT.subarray(inner!.offset, inner!.offset + 8).toString('latin1')).toBe('NTLMSSP\0');
    const ntlm = decodeNtlmssp(inner!.bytes, inner!.offset);
    expect(ntlm.value).toMatchObject({ messageType: 1, flags: 0xe2088297, version: { major: 10, minor: 0, build: 19041, ntlmRevision: 15 } });
    expect(findNode(decoded.tree, 'mechToken')!.type).toBe('OCTET STRING (NTLMSSP)');
    expect(decoded.tree.value).toBe('SPNEGO NegTokenInit');
  });

  it('tells a raw NTLMSSP "Negotiate" header from SPNEGO', () => {
    expect(isNtlmssp(BROWSER_NEGOTIATE_NTLM)).toBe(true);
    expect(isNtlmssp(WINDOWS_NTLM_INIT)).toBe(false);
    expect(() => decodeSpnego(BROWSER_NEGOTIATE_NTLM)).toThrow(KrbDecodeError);
    expect(decodeNtlmssp(BROWSER_NEGOTIATE_NTLM).value).toMatchObject({ messageType: 1, flags: 0xe2088297 });
  });

  it('reads ksmbd’s NegTokenInit2 with negHints', () => {
    const decoded = decodeSpnego(KSMBD_NEG_TOKEN_INIT2);
    expect(decoded.value).toEqual({
      kind: 'negTokenInit',
      variant: 'NegTokenInit2',
      mechTypes: [KERBEROS_OIDS.krb5, KERBEROS_OIDS.msKrb5, NTLMSSP_OID],
      negHints: { hintName: WINDOWS_HINT_NAME },
    });
    expect(findNode(decoded.tree, 'negHints')).toMatchObject({ offset: 52, length: 44 });
    expect(findNode(decoded.tree, 'hintName')).toMatchObject({ type: 'GeneralString', value: WINDOWS_HINT_NAME });
    expect(decoded.innerTokens).toEqual([]);
  });

  it('yields jsmb’s expected mechToken', () => {
    const decoded = decodeSpnego(JSMB.token, 500);
    expect(decoded.innerTokens[0]!.bytes).toEqual(JSMB.mechToken);
    expect(decoded.innerTokens[0]!.offset).toBe(500 + JSMB.token.length - JSMB.mechToken.length);
  });

  it('reads the NTLM NegTokenResp exchange', () => {
    const challenge = decodeSpnego(JAVA_SMB.challenge);
    expect(challenge.framed).toBe(false);
    expect(challenge.value).toMatchObject({ kind: 'negTokenResp', negState: 1, negStateName: 'accept-incomplete', supportedMech: NTLMSSP_OID });
    expect(challenge.innerTokens[0]).toMatchObject({ field: 'responseToken', format: 'NTLMSSP', mechOid: NTLMSSP_OID });
    expect(challenge.tree.value).toBe('accept-incomplete');
    expect(findNode(challenge.tree, 'negState')!.value).toBe('accept-incomplete (1)');
  });

  it('labels a NEGOEX mechToken', () => {
    const decoded = decodeSpnego(JAVA_SMB.negoex);
    expect(decoded.value).toMatchObject({ mechTypes: ['1.3.6.1.4.1.311.2.2.30', NTLMSSP_OID] });
    expect(decoded.innerTokens[0]).toMatchObject({ format: 'NEGOEX', mechOid: '1.3.6.1.4.1.311.2.2.30' });
  });

  it('reads the init token of the Java NTLM exchange', () => {
    expect(decodeSpnego(JAVA_SMB.init).innerTokens[0]!.format).toBe('NTLMSSP');
  });
});

describe('SPNEGO encoders round trip', () => {
  const apReq = frameInitialContextToken(KERBEROS_OIDS.krb5, 0x0100, Buffer.from([0x6e, 0x00]));

  it('NegTokenInit with an optimistic Kerberos mechToken', () => {
    const token = encodeNegTokenInit([KERBEROS_OIDS.krb5, KERBEROS_OIDS.msKrb5], apReq, { reqFlags: ['mutualFlag', 'integFlag'] });
    const decoded = decodeSpnego(token);
    expect(decoded.value).toEqual({
      kind: 'negTokenInit',
      variant: 'NegTokenInit',
      mechTypes: [KERBEROS_OIDS.krb5, KERBEROS_OIDS.msKrb5],
      reqFlags: ['mutualFlag', 'integFlag'],
      mechToken: apReq,
    });
    expect(decoded.innerTokens[0]).toMatchObject({ format: 'InitialContextToken', mechOid: KERBEROS_OIDS.krb5 });
    expect(token.subarray(decoded.innerTokens[0]!.offset, decoded.innerTokens[0]!.offset + apReq.length)).toEqual(apReq);
  });

  it('NegTokenInit with a mechListMIC, and NegTokenInit2 with negHints and [4] mechListMIC', () => {
    const mic = Buffer.from('0404', 'hex');
    expect(decodeSpnego(encodeNegTokenInit([KERBEROS_OIDS.krb5], undefined, { mechListMIC: mic })).value).toEqual({
      kind: 'negTokenInit',
      variant: 'NegTokenInit',
      mechTypes: [KERBEROS_OIDS.krb5],
      mechListMIC: mic,
    });
    const init2 = encodeNegTokenInit([KERBEROS_OIDS.krb5], undefined, { negHints: { hintName: WINDOWS_HINT_NAME, hintAddress: Buffer.from([1, 2]) }, mechListMIC: mic });
    expect(decodeSpnego(init2).value).toEqual({
      kind: 'negTokenInit',
      variant: 'NegTokenInit2',
      mechTypes: [KERBEROS_OIDS.krb5],
      mechListMIC: mic,
      negHints: { hintName: WINDOWS_HINT_NAME, hintAddress: Buffer.from([1, 2]) },
    });
    expect(encodeNegTokenInit([KERBEROS_OIDS.krb5, KERBEROS_OIDS.msKrb5, NTLMSSP_OID], undefined, { negHints: { hintName: WINDOWS_HINT_NAME } })).toEqual(KSMBD_NEG_TOKEN_INIT2);
  });

  it.each([
    [{ negState: NegState.ACCEPT_COMPLETED }, { negState: 0, negStateName: 'accept-completed' }],
    [{ negState: 'accept-incomplete' as const, supportedMech: KERBEROS_OIDS.krb5, responseToken: Buffer.from([0x6f, 0x00]) }, { negState: 1, supportedMech: KERBEROS_OIDS.krb5 }],
    [{ negState: 'reject' as const }, { negState: 2, negStateName: 'reject' }],
    [{ negState: 'request-mic' as const, mechListMIC: Buffer.from([4, 4]) }, { negState: 3, mechListMIC: Buffer.from([4, 4]) }],
    [{ responseToken: Buffer.from('NTLMSSP\0\x03\0\0\0', 'latin1') }, { responseToken: Buffer.from('NTLMSSP\0\x03\0\0\0', 'latin1') }],
  ])('NegTokenResp %o', (fields, expected) => {
    const token = encodeNegTokenResp(fields);
    expect(token[0]).toBe(0xa1);
    const decoded = decodeSpnego(token, 3);
    expect(decoded.value).toMatchObject({ kind: 'negTokenResp', ...expected });
    for (const inner of decoded.innerTokens) expect(token.subarray(inner.offset - 3, inner.offset - 3 + inner.bytes.length)).toEqual(inner.bytes);
  });

  it('flags a NegTokenInit without mechTypes instead of refusing it', () => {
    const decoded = decodeSpnego(Buffer.from('a0023000', 'hex'));
    expect(decoded.value).toEqual({ kind: 'negTokenInit', variant: 'NegTokenInit', mechTypes: [] });
    expect(findNode(decoded.tree, 'negTokenInit')!.error).toMatch(/mechTypes \[0\] is missing/);
  });

  it('refuses other framing and junk with KrbDecodeError', () => {
    expect(() => decodeSpnego(frameInitialContextToken(KERBEROS_OIDS.krb5, 0x0100, Buffer.from([0x6e, 0])))).toThrow(/not SPNEGO/);
    expect(() => decodeSpnego(Buffer.from([0x30, 0x00]))).toThrow(/\[0\] NegTokenInit or \[1\] NegTokenResp/);
    expect(() => decodeSpnego(Buffer.from([0xa2, 0x02, 0x30, 0x00]))).toThrow(KrbDecodeError);
    expect(() => decodeSpnego(Buffer.from('a0053003a30100', 'hex'))).toThrow(KrbDecodeError);
  });
});
