import { describe, expect, it } from 'vitest';
import { KrbCryptoError, KrbDecodeError } from '../../../../main/krb/errors';
import { findNode } from '../../../../main/krb/tree';
import {
  decodePerMessageToken,
  decodeRfc1964Token,
  micRc4,
  parseInitialContextToken,
  RFC1964_SUMMARY,
  unwrap,
  unwrapRc4,
  verifyMic,
  verifyMicRc4,
  wrap,
  wrapRc4,
} from '../../../../main/krb/gss';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s/g, ''), 'hex');

/**
 * MIT krb5 src/tests/gssapi/t_invalid.c: "otherwise valid seal tokens where the plain text is
 * padded with byte value 100 instead of the proper value 1", with the context keys.
 */
const MIT_T_INVALID = {
  des: hex('603306092A864886F712010202 0201 0000 0000 FFFF F00B907BC4FCEBF4 849C5AA856413EE1 62EE38D1349AE3FB C9FD0ADC83E14AE4'),
  des3: hex(
    '603F06092A864886F712010202 0201 0400 0200 FFFF EBF39A892457B863 9525E86E8E79E62ECAD3FF579F8CABEFDD28102F 93212EF252B66FA8 BB8A6DAA6FB7F4D4',
  ),
  rc4: {
    key: hex('66644164557821D0D0FD056AFF6FE809'),
    token: hex('603306092A864886F712010202 0201 1100 1000 FFFF 35D479F38C478F6E 236F3ECC5E575C6A 89F0A2034F0B5111 EE897ED6F6B5D651'),
  },
};

describe('RFC 1964 token headers', () => {
  it('names the fields of MIT’s DES Wrap token', () => {
    const { value, tree } = decodeRfc1964Token(MIT_T_INVALID.des, 0);
    expect(value).toMatchObject({ framed: true, tokId: 0x0201, sgnAlg: 0x0000, sealAlg: 0x0000, headerOffset: 13 });
    expect(value.sgnCksum.toString('hex')).toBe('849c5aa856413ee1');
    expect(findNode(tree, 'SGN_ALG')).toMatchObject({ offset: 15, value: 'DES MAC MD5 (00 00)' });
    expect(findNode(tree, 'SEAL_ALG')).toMatchObject({ offset: 17, value: 'DES (00 00)' });
    expect(findNode(tree, 'RFC 1964 Wrap token')!.value).toBe(RFC1964_SUMMARY);
    expect(findNode(tree, 'Data')).toMatchObject({ offset: 37, length: 16 });
  });

  it('knows DES3’s 20-byte SGN_CKSUM', () => {
    const { value, tree } = decodeRfc1964Token(MIT_T_INVALID.des3, 0);
    expect(value).toMatchObject({ sgnAlg: 0x0004, sealAlg: 0x0002 });
    expect(value.sgnCksum.length).toBe(20);
    expect(findNode(tree, 'SGN_ALG')!.value).toBe('HMAC SHA1 DES3-KD (04 00)');
    expect(findNode(tree, 'Data')).toMatchObject({ offset: 49, length: 16 });
  });

  it('decodes a bare (unframed) MIC and a delete-context token', () => {
    const micToken = hex('0101 1100 FFFFFFFF 0102030405060708 1112131415161718');
    expect(decodeRfc1964Token(micToken, 7).tree).toMatchObject({ name: 'RFC 1964 MIC token', offset: 7, value: RFC1964_SUMMARY });
    const del = Buffer.from(micToken);
    del[1] = 0x02;
    expect(decodeRfc1964Token(del).value.tokId).toBe(0x0102);
    const decoded = decodePerMessageToken(del, 0, [{ enctype: 23, key: Buffer.alloc(16), source: 'k' }]);
    expect(decoded).toMatchObject({ format: 'rfc1964', kind: 'delete' });
  });

  it('marks a bad filler and refuses other TOK_IDs', () => {
    const bad = Buffer.from(MIT_T_INVALID.des);
    bad[19] = 0;
    expect(findNode(decodeRfc1964Token(bad).tree, 'Filler')!.error).toMatch(/0xFF/);
    expect(() => decodeRfc1964Token(hex('0404 00ff'))).toThrow(KrbDecodeError);
  });

  it('leaves DES/DES3 tokens closed even with keys', () => {
    const decoded = decodePerMessageToken(MIT_T_INVALID.des3, 0, [{ enctype: 18, key: Buffer.alloc(32), source: 'k' }]);
    expect(findNode(decoded.tree, 'RFC 1964 Wrap token')!.value).toBe(RFC1964_SUMMARY);
    expect(decoded.opened).toBeUndefined();
  });
});

describe('RFC 4757 RC4-HMAC tokens', () => {
  it('opens MIT’s RC4 token: SND_SEQ and checksum verify, then the bad padding (100) is refused', () => {
    const error = (() => {
      try {
        unwrapRc4(MIT_T_INVALID.rc4.key, MIT_T_INVALID.rc4.token);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    // A wrong Kseq, Kcrypt or checksum would fail as 'integrity'; only a right one reaches the padding.
    expect(error).toBeInstanceOf(KrbCryptoError);
    expect(error).toMatchObject({ code: 'bad-input', message: expect.stringMatching(/checksum is valid but the padding .* last byte 100/) });
    expect(() => unwrapRc4(Buffer.alloc(16, 1), MIT_T_INVALID.rc4.token)).toThrow(expect.objectContaining({ code: 'integrity' }));
  });

  it('frames its tokens with the Kerberos OID and RFC 1964 TOK_IDs', () => {
    const k = Buffer.alloc(16, 7);
    const token = wrapRc4(k, Buffer.from('hi'), { sentByAcceptor: false, sealed: true, sequence: 3, confounder: Buffer.alloc(8) });
    const framing = parseInitialContextToken(token);
    expect(framing).toMatchObject({ mechOid: '1.2.840.113554.1.2.2', tokId: 0x0201, tokIdName: 'RFC 1964 Wrap' });
    expect(framing.inner.subarray(0, 6).toString('hex')).toBe('11001000ffff');
    // 8-byte header + SND_SEQ + SGN_CKSUM + confounder + "hi" + one 0x01 pad byte
    expect(token.length).toBe(13 + 8 + 8 + 8 + 8 + 2 + 1);
    const m = micRc4(k, Buffer.from('hi'), { sentByAcceptor: true, sequence: 3 });
    expect(parseInitialContextToken(m).inner.subarray(0, 6).toString('hex')).toBe('1100ffffffff');
  });

  it('carries the direction inside SND_SEQ', () => {
    const k = Buffer.alloc(16, 9);
    for (const sentByAcceptor of [true, false]) {
      const token = wrap(k, 23, Buffer.from('x'), { sentByAcceptor, sealed: false, acceptorSubkey: false, sequence: 0xfffffffe });
      expect(unwrap(k, 23, token)).toMatchObject({ format: 'rfc4757', sentByAcceptor, sequence: 0xfffffffen, keyUsage: 13 });
      const micToken = micRc4(k, Buffer.from('x'), { sentByAcceptor, sequence: 1 });
      expect(verifyMicRc4(k, Buffer.from('x'), micToken, { expectSentByAcceptor: !sentByAcceptor }).problems.map((p) => p.code)).toEqual(['direction']);
      expect(verifyMic(k, 23, Buffer.from('x'), micToken)).toMatchObject({ format: 'rfc4757', keyUsage: 15 });
    }
  });

  it('is opened by decodePerMessageToken with an arcfour-hmac key', () => {
    const k = Buffer.alloc(16, 5);
    const token = wrap(k, 23, Buffer.from('layer'), { sentByAcceptor: true, sealed: true, acceptorSubkey: false, sequence: 12 });
    const decoded = decodePerMessageToken(token, 0, [
      { enctype: 23, key: Buffer.alloc(16, 6), source: 'wrong rc4 key' },
      { enctype: 23, key: k, source: 'session key' },
    ]);
    expect(decoded.format).toBe('rfc1964');
    expect(findNode(decoded.tree, 'RFC 1964 Wrap token')!.value).toBe('RFC 4757 RC4-HMAC sealed Wrap from the acceptor, SND_SEQ 12');
    expect(findNode(decoded.tree, 'Data')!.decrypted).toMatchObject({ keySource: 'session key', tree: { value: Buffer.from('layer').toString('hex') } });
    const micToken = micRc4(k, Buffer.from('m'), { sentByAcceptor: false, sequence: 1 });
    const verified = decodePerMessageToken(micToken, 0, [{ enctype: 23, key: k, source: 'session key' }], { micData: Buffer.from('m') });
    expect(findNode(verified.tree, 'SGN_CKSUM')!.decrypted!.tree.value).toBe('checksum verified');
    const failed = decodePerMessageToken(token, 0, [{ enctype: 23, key: Buffer.alloc(16, 6), source: 'wrong rc4 key' }]);
    expect(findNode(failed.tree, 'Data')!.error).toMatch(/none of the 1 key\(s\) opens this token/);
  });

  it('refuses DES/DES3 algorithms and a wrong key length with typed errors', () => {
    expect(() => unwrapRc4(Buffer.alloc(16), MIT_T_INVALID.des)).toThrow(expect.objectContaining({ code: 'unsupported-enctype' }));
    expect(() => unwrapRc4(Buffer.alloc(15), MIT_T_INVALID.rc4.token)).toThrow(expect.objectContaining({ code: 'bad-key' }));
    expect(() => verifyMicRc4(Buffer.alloc(16), Buffer.alloc(0), MIT_T_INVALID.rc4.token)).toThrow(expect.objectContaining({ code: 'bad-input' }));
  });
});
