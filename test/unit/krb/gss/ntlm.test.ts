import { describe, expect, it } from 'vitest';
import { KrbDecodeError } from '../../../../main/krb/errors';
import { findNode } from '../../../../main/krb/tree';
import { decodeNtlmssp, decodeSpnego, isNtlmssp, type NtlmAuthenticate, type NtlmChallenge } from '../../../../main/krb/gss';

const b64 = (s: string): Buffer => Buffer.from(s, 'base64');

/** NTLM NEGOTIATE of a Windows 10 19041 client (the raw "Negotiate TlRMTVNT…" header; see spnego.test.ts). */
const NEGOTIATE = b64('TlRMTVNTUAABAAAAl4II4gAAAAAAAAAAAAAAAAAAAAAKAGFKAAAADw==');
/** cryptomator/jsmb NegotiationTokenTest mechToken: a NEGOTIATE (Windows 7 version) followed by "WORKGROUP". */
const NEGOTIATE_WITH_DOMAIN = b64('TlRMTVNTUAABAAAAFYIIYgAAAAAAAAAAAAAAAAAAAAAGAbAdAAAAD1dPUktHUk9VUA==');

/** The CHALLENGE and AUTHENTICATE of the Java SMB SpnegoCodecUtilsTest exchange (inside NegTokenResp). */
const RESP_CHALLENGE = b64(
  'oYHOMIHLoAMKAQGhDAYKKwYBBAGCNwICCqKBtQSBsk5UTE1TU1AAAgAAABIAEgA4AAAAFYKKYhEj+2kAdCOsAAAAAAAAAABoAGgASgAAAAoAYUoAAAAPUgBPAE8ATABJAEMALQBaADkAAgASAFIATwBPAEwASQBDAC0AWgA5AAEAEgBSAE8ATwBMAEkAQwAtAFoAOQAEABIAUgBvAG8AbABpAGMALQBaADkAAwASAFIAbwBvAGwAaQBjAC0AWgA5AAcACACg/7A0qQ3cAQAAAAA=',
);
const RESP_AUTHENTICATE = b64(
  'oYIBrjCCAaqiggGmBIIBok5UTE1TU1AAAwAAABgAGABYAAAADgEOAXAAAAAAAAAAfgEAABQAFAB+AQAAAAAAAJIBAAAQABAAkgEAABWCiGIGAQAAAAAAD1yvIkMadc/BJYGcu56iwtAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAGkVGR4J3vpsrTlXMnDbsJAQEAAAAAAACg/7A0qQ3cASeQaaPJjBhOAAAAAAIAEgBSAE8ATwBMAEkAQwAtAFoAOQABABIAUgBPAE8ATABJAEMALQBaADkABAASAFIAbwBvAGwAaQBjAC0AWgA5AAMAEgBSAG8AbwBsAGkAYwAtAFoAOQAGAAQAAgAAAAcACACg/7A0qQ3cAQkAIgBjAGkAZgBzAC8AMQA5ADIALgAxADYAOAAuADEALgA2ADkACgAQAAAAAAAAAAAAAAAAAAAAAAAIADAAMAAAAAAAAAAAAAAAAAAAALEWbpn752SUazU1BX3inwfgE9Y1Zog+0rVvR/GlRLM+AAAAAAAAAABKAEMASQBGAFMARwBVAEUAUwBUACA9dK9sC/abiQgSD7m5xLM=',
);

const inner = (spnego: Buffer) => decodeSpnego(spnego).innerTokens[0]!;

describe('NTLMSSP', () => {
  it('recognises the signature', () => {
    expect(isNtlmssp(NEGOTIATE)).toBe(true);
    expect(isNtlmssp(Buffer.from('NTLMSSP'))).toBe(false);
    expect(isNtlmssp(Buffer.from([0x60, 0x00]))).toBe(false);
  });

  it('decodes a NEGOTIATE: flags by name and the client version', () => {
    const { value, tree } = decodeNtlmssp(NEGOTIATE, 10);
    expect(value).toMatchObject({ messageType: 1, flags: 0xe2088297, version: { major: 10, minor: 0, build: 19041, ntlmRevision: 15 } });
    expect(value.flagNames).toEqual([
      'NTLMSSP_NEGOTIATE_UNICODE',
      'NTLM_NEGOTIATE_OEM',
      'NTLMSSP_REQUEST_TARGET',
      'NTLMSSP_NEGOTIATE_SIGN',
      'NTLMSSP_NEGOTIATE_LM_KEY',
      'NTLMSSP_NEGOTIATE_NTLM',
      'NTLMSSP_NEGOTIATE_ALWAYS_SIGN',
      'NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY',
      'NTLMSSP_NEGOTIATE_VERSION',
      'NTLMSSP_NEGOTIATE_128',
      'NTLMSSP_NEGOTIATE_KEY_EXCH',
      'NTLMSSP_NEGOTIATE_56',
    ]);
    expect(findNode(tree, 'NegotiateFlags')).toMatchObject({ offset: 22, length: 4 });
    expect(findNode(tree, 'Version')).toMatchObject({ offset: 42, value: '10.0 build 19041, NTLM revision 15' });
    expect(tree.type).toBe('NTLMSSP NEGOTIATE_MESSAGE (type 1)');
  });

  it('reads only what the security buffers point at (jsmb’s token appends an unreferenced "WORKGROUP")', () => {
    const { value } = decodeNtlmssp(NEGOTIATE_WITH_DOMAIN);
    expect(value).toMatchObject({ messageType: 1, flags: 0x62088215, version: { major: 6, minor: 1, build: 7600, ntlmRevision: 15 } });
    expect(value).not.toHaveProperty('domain');
  });

  it('reads the OEM domain and workstation a NEGOTIATE supplies', () => {
    const header = Buffer.from('NTLMSSP\0\x01\0\0\0', 'latin1');
    const fields = Buffer.alloc(20);
    fields.writeUInt32LE(0x00003207, 0); // UNICODE | OEM | REQUEST_TARGET | NTLM | OEM_DOMAIN_SUPPLIED | OEM_WORKSTATION_SUPPLIED
    fields.writeUInt16LE(6, 4);
    fields.writeUInt16LE(6, 6);
    fields.writeUInt32LE(32, 8);
    fields.writeUInt16LE(2, 12);
    fields.writeUInt16LE(2, 14);
    fields.writeUInt32LE(38, 16);
    const { value, tree } = decodeNtlmssp(Buffer.concat([header, fields, Buffer.from('DOMAINPC', 'latin1')]));
    expect(value).toMatchObject({ domain: 'DOMAIN', workstation: 'PC' });
    expect(value.flagNames).toContain('NTLMSSP_NEGOTIATE_OEM_DOMAIN_SUPPLIED');
    expect(findNode(tree, 'DomainName')).toMatchObject({ offset: 32, length: 6, value: 'DOMAIN' });
  });

  it('decodes a CHALLENGE: TargetName, ServerChallenge, TargetInfo', () => {
    const token = inner(RESP_CHALLENGE);
    const { value, tree } = decodeNtlmssp(token.bytes, token.offset);
    const challenge = value as NtlmChallenge;
    expect(challenge).toMatchObject({ messageType: 2, targetName: 'ROOLIC-Z9', version: { major: 10, build: 19041 } });
    expect(challenge.serverChallenge.toString('hex')).toBe('1123fb69007423ac');
    expect(challenge.flagNames).toContain('NTLMSSP_NEGOTIATE_TARGET_INFO');
    expect(challenge.targetInfo.map((p) => [p.name, p.value])).toEqual([
      ['MsvAvNbDomainName', 'ROOLIC-Z9'],
      ['MsvAvNbComputerName', 'ROOLIC-Z9'],
      ['MsvAvDnsDomainName', 'Roolic-Z9'],
      ['MsvAvDnsComputerName', 'Roolic-Z9'],
      ['MsvAvTimestamp', expect.stringMatching(/^\d{4}-\d\d-\d\dT/)],
    ]);
    expect(findNode(tree, 'TargetName')).toMatchObject({ offset: token.offset + 56, length: 18, value: 'ROOLIC-Z9' });
  });

  it('decodes an AUTHENTICATE: user, domain, workstation, NTLMv2, MIC', () => {
    const token = inner(RESP_AUTHENTICATE);
    const value = decodeNtlmssp(token.bytes).value as NtlmAuthenticate;
    expect(value).toMatchObject({
      messageType: 3,
      domain: '',
      user: 'JCIFSGUEST',
      workstation: '',
      lmResponseLength: 24,
      ntResponseLength: 270,
      responseVersion: 'NTLMv2',
      encryptedRandomSessionKeyLength: 16,
    });
    expect(value.mic?.length).toBe(16);
  });

  it('refuses bad signatures, unknown types and buffers that point outside', () => {
    expect(() => decodeNtlmssp(Buffer.from('NTLMSSX\0\x01\0\0\0', 'latin1'))).toThrow(expect.objectContaining({ field: 'Signature' }));
    expect(() => decodeNtlmssp(Buffer.from('NTLMSSP\0\x04\0\0\0', 'latin1'))).toThrow(/MessageType 4/);
    const bad = Buffer.from(NEGOTIATE_WITH_DOMAIN);
    bad.writeUInt16LE(200, 16);
    expect(() => decodeNtlmssp(bad)).toThrow(KrbDecodeError);
  });
});
