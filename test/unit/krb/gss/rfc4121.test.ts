import { describe, expect, it } from 'vitest';
import { KrbCryptoError, KrbDecodeError } from '../../../../main/krb/errors';
import { findNode } from '../../../../main/krb/tree';
import {
  CfxFlag,
  decodePerMessageToken,
  encodeWrapHeader,
  mic,
  rotateLeft,
  rotateRight,
  unwrap,
  verifyMic,
  wrap,
  type WrapOptions,
} from '../../../../main/krb/gss';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s/g, ''), 'hex');

/**
 * gokrb5 v8/gssapi/wrapToken_test.go and MICToken_test.go (jcmturner/gokrb5): aes128 session
 * key, integrity-only Wrap of 01 01 00 00 and MIC of de ad be ef, in both directions.
 */
const GOKRB5 = {
  key: hex('14f9bde6b50ec508201a97f74c4e5bd3'),
  wrongKey: hex('14f9bde6b50ec508201a97f74c4effff'),
  wrapFromAcceptor: hex('050401ff000c000000000000575e85d601010000853b728d5268525a1386c19f'),
  wrapFromInitiator: hex('050400ff000c000000000000000000000101000079a033510b6f127212242b97'),
  wrapPayload: hex('01010000'),
  micPayload: hex('deadbeef'),
  micFromAcceptor: hex('040401ffffffffff00000000575e85d6c34d12ba3e5b1b1310cd9cb3'),
  micFromInitiator: hex('040400ffffffffff00000000000000009649ca09d2f1bc51ff6e5ca3'),
};

/**
 * impacket ground truth as recorded in a public Rust DRS/KDC project's tests: aes256 subkey
 * 00..1f, initiator, AcceptorSubkey set. The MIC covers "hello" padded by impacket to a 4-byte
 * multiple ("hello" 03 03 03 — an impacket/DCE habit, not RFC 4121). The sealed token uses
 * EC 12, RRC 28 and is rotated by RRC+EC, as impacket does for Windows.
 */
const IMPACKET = {
  subkey: Buffer.from(Array.from({ length: 32 }, (_, i) => i)),
  micData: Buffer.from('hello\x03\x03\x03', 'latin1'),
  mics: [
    [0, '040404ffffffffff00000000000000009aa448c5ab6619738aed7aa3'],
    [1, '040404ffffffffff00000000000000019e66c0a6a82b4dfff2def54d'],
    [2, '040404ffffffffff0000000000000002058f63d67ae0abf837e747b5'],
  ] as const,
  sealed: Buffer.concat([
    hex('050406ff000c001c0000000000000000f94e5ae8af1c914e16a2d758e458ad80'),
    hex('618986bbf42fb83b4091214ee903bcbda88c380b98611540dbe13562fdcd48cf'),
    hex('f3f69a0788a4c001'),
    hex('adb513385a3c38fc4b7d9b93c9d1674a6546c47f'),
  ]),
};

/** rskrb5 tests/spnego (public Rust crate): sealed initiator Wrap tokens with a fixed confounder. */
const RSKRB5 = {
  confounder: hex('000102030405060708090a0b0c0d0e0f'),
  sealed: hex('050402ff000000000000000000000000debcb2b270f4152cfe1cde9c62f90d12a59afda0127a094f4b18e8d8b8fc253c63239cc38ef96b6ce3e92c754f8a97b3'),
  sealedRrc9Seq7: hex('050402ff00000009000000000000000741b1ec99c834f8c7d3debcb2b270f4152cfe1cde9c62f90d12bde6bc91659577018ad4118b1e18e27263239cc39150a9'),
};

describe('RFC 4121 known answers', () => {
  it('verifies the gokrb5 integrity-only Wrap tokens in both directions', () => {
    const fromAcceptor = unwrap(GOKRB5.key, 17, GOKRB5.wrapFromAcceptor);
    expect(fromAcceptor).toMatchObject({ format: 'rfc4121', sealed: false, sentByAcceptor: true, ec: 12, rrc: 0, sequence: 0x575e85d6n, keyUsage: 22 });
    expect(fromAcceptor.plaintext).toEqual(GOKRB5.wrapPayload);
    const fromInitiator = unwrap(GOKRB5.key, 17, GOKRB5.wrapFromInitiator);
    expect(fromInitiator).toMatchObject({ sentByAcceptor: false, sequence: 0n, keyUsage: 24 });
    expect(fromInitiator.plaintext).toEqual(GOKRB5.wrapPayload);
  });

  it('produces the gokrb5 Wrap and MIC tokens byte for byte', () => {
    expect(wrap(GOKRB5.key, 17, GOKRB5.wrapPayload, { sentByAcceptor: false, sealed: false, acceptorSubkey: false, sequence: 0 })).toEqual(GOKRB5.wrapFromInitiator);
    expect(wrap(GOKRB5.key, 17, GOKRB5.wrapPayload, { sentByAcceptor: true, sealed: false, acceptorSubkey: false, sequence: 0x575e85d6 })).toEqual(GOKRB5.wrapFromAcceptor);
    expect(mic(GOKRB5.key, 17, GOKRB5.micPayload, { sentByAcceptor: false, acceptorSubkey: false, sequence: 0 })).toEqual(GOKRB5.micFromInitiator);
    expect(mic(GOKRB5.key, 17, GOKRB5.micPayload, { sentByAcceptor: true, acceptorSubkey: false, sequence: 0x575e85d6 })).toEqual(GOKRB5.micFromAcceptor);
  });

  it('verifies the gokrb5 MIC tokens and rejects the wrong key', () => {
    expect(verifyMic(GOKRB5.key, 17, GOKRB5.micPayload, GOKRB5.micFromAcceptor)).toMatchObject({ sentByAcceptor: true, keyUsage: 23, sequence: 0x575e85d6n });
    expect(verifyMic(GOKRB5.key, 17, GOKRB5.micPayload, GOKRB5.micFromInitiator)).toMatchObject({ sentByAcceptor: false, keyUsage: 25 });
    expect(() => verifyMic(GOKRB5.wrongKey, 17, GOKRB5.micPayload, GOKRB5.micFromAcceptor)).toThrow(expect.objectContaining({ code: 'integrity' }));
    expect(() => unwrap(GOKRB5.wrongKey, 17, GOKRB5.wrapFromAcceptor)).toThrow(expect.objectContaining({ code: 'integrity' }));
  });

  it.each(IMPACKET.mics)('reproduces the impacket MIC for SND_SEQ %i', (sequence, token) => {
    expect(mic(IMPACKET.subkey, 18, IMPACKET.micData, { sentByAcceptor: false, acceptorSubkey: true, sequence }).toString('hex')).toBe(token);
    expect(verifyMic(IMPACKET.subkey, 18, IMPACKET.micData, hex(token))).toMatchObject({ acceptorSubkey: true, sequence: BigInt(sequence), keyUsage: 25 });
  });

  it('opens the impacket sealed token (EC 12, RRC 28) and reports its RRC+EC rotation', () => {
    const result = unwrap(IMPACKET.subkey, 18, IMPACKET.sealed);
    expect(result.plaintext.toString()).toBe('magnetite drs stub!!');
    expect(result).toMatchObject({ sealed: true, acceptorSubkey: true, ec: 12, rrc: 28, rotation: 'RRC+EC', keyUsage: 24 });
    expect(result.filler).toEqual(Buffer.alloc(12, 0xff));
    expect(result.problems.map((p) => p.code)).toEqual(['rotation']);
  });

  it('reproduces the rskrb5 sealed tokens with their confounder (RRC 0 and RRC 9)', () => {
    const base: WrapOptions = { sentByAcceptor: false, sealed: true, acceptorSubkey: false, sequence: 0, confounder: RSKRB5.confounder };
    expect(wrap(GOKRB5.key, 17, GOKRB5.wrapPayload, base)).toEqual(RSKRB5.sealed);
    expect(wrap(GOKRB5.key, 17, GOKRB5.wrapPayload, { ...base, sequence: 7, rrc: 9 })).toEqual(RSKRB5.sealedRrc9Seq7);
    expect(unwrap(GOKRB5.key, 17, RSKRB5.sealedRrc9Seq7)).toMatchObject({ plaintext: GOKRB5.wrapPayload, rrc: 9, sequence: 7n, rotation: 'RRC', problems: [] });
  });
});

describe('RFC 4121 token layout (§4.2.6)', () => {
  it('lays out the Wrap header octet by octet', () => {
    expect(encodeWrapHeader(CfxFlag.Sealed | CfxFlag.AcceptorSubkey, 0, 28, 2n).toString('hex')).toBe('050406ff0000001c0000000000000002');
    expect(encodeWrapHeader(0x07, 0x1234, 0xabcd, 0xdeadbeef00000001n).toString('hex')).toBe('050407ff1234abcddeadbeef00000001');
  });

  it('lays out a MIC token: 04 04, flags, five 0xFF, SND_SEQ, checksum', () => {
    const token = mic(GOKRB5.key, 17, Buffer.from('x'), { sentByAcceptor: true, acceptorSubkey: true, sequence: 0x0102030405060708n });
    expect(token.subarray(0, 16).toString('hex')).toBe('040405ffffffffff0102030405060708');
    expect(token.length).toBe(16 + 12);
  });

  it('rotates right by RRC and back', () => {
    const data = Buffer.from('0123456789');
    expect(rotateRight(data, 3).toString()).toBe('7890123456');
    expect(rotateLeft(rotateRight(data, 13), 13)).toEqual(data);
    expect(rotateRight(Buffer.alloc(0), 5)).toEqual(Buffer.alloc(0));
  });

  it('puts the checksum length in EC of an unsealed token and zeroes EC/RRC under the checksum', () => {
    const token = wrap(GOKRB5.key, 17, Buffer.from('abc'), { sentByAcceptor: false, sealed: false, acceptorSubkey: false, sequence: 1, rrc: 5 });
    expect(token.readUInt16BE(4)).toBe(12);
    expect(token.readUInt16BE(6)).toBe(5);
    expect(unwrap(GOKRB5.key, 17, token).plaintext.toString()).toBe('abc');
  });
});

const ENCTYPES = [
  [17, 16],
  [18, 32],
  [19, 16],
  [20, 32],
  [23, 16],
] as const;

function thrownBy(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

const key = (length: number, seed: number): Buffer => Buffer.from(Array.from({ length }, (_, i) => (i * 7 + seed) & 0xff));

describe('wrap/unwrap round trips', () => {
  const variants: { sealed: boolean; sentByAcceptor: boolean; acceptorSubkey: boolean; rrc: number }[] = [];
  for (const sealed of [true, false]) {
    for (const sentByAcceptor of [true, false]) {
      for (const acceptorSubkey of [true, false]) for (const rrc of [0, 28]) variants.push({ sealed, sentByAcceptor, acceptorSubkey, rrc });
    }
  }
  const messages = [Buffer.alloc(0), Buffer.from([0x01, 0x00, 0x00, 0x00]), Buffer.from('a message of some length for the security layer, more than a block or two')];

  for (const [enctype, length] of ENCTYPES) {
    describe(`enctype ${enctype}`, () => {
      const k = key(length, enctype);
      const cases = variants.filter((v) => enctype !== 23 || (v.rrc === 0 && !v.acceptorSubkey));
      it.each(cases)('sealed=$sealed sentByAcceptor=$sentByAcceptor acceptorSubkey=$acceptorSubkey rrc=$rrc', (v) => {
        for (const [i, message] of messages.entries()) {
          const token = wrap(k, enctype, message, { ...v, sequence: 1000 + i });
          const result = unwrap(k, enctype, token, { expectSentByAcceptor: v.sentByAcceptor, expectSequence: 1000 + i });
          expect(result.plaintext).toEqual(message);
          expect(result).toMatchObject({ sealed: v.sealed, sentByAcceptor: v.sentByAcceptor, sequence: BigInt(1000 + i), problems: [] });
          if (enctype !== 23) expect(result).toMatchObject({ format: 'rfc4121', acceptorSubkey: v.acceptorSubkey, rrc: v.rrc });
          if (v.sealed && message.length > 8) expect(token.includes(message.subarray(0, 8))).toBe(false);
        }
      });

      it('MIC round trips in both directions', () => {
        for (const sentByAcceptor of [true, false]) {
          const token = mic(k, enctype, Buffer.from('data'), { sentByAcceptor, acceptorSubkey: false, sequence: 42 });
          expect(verifyMic(k, enctype, Buffer.from('data'), token)).toMatchObject({ sentByAcceptor, sequence: 42n, problems: [] });
          expect(() => verifyMic(k, enctype, Buffer.from('date'), token)).toThrow(expect.objectContaining({ code: 'integrity' }));
        }
      });

      it('rejects the wrong key with an integrity error', () => {
        const other = key(length, enctype + 1);
        for (const sealed of [true, false]) {
          const token = wrap(k, enctype, Buffer.from('secret'), { sealed, sentByAcceptor: false, acceptorSubkey: false, sequence: 0 });
          expect(() => unwrap(other, enctype, token)).toThrow(KrbCryptoError);
          expect(() => unwrap(other, enctype, token)).toThrow(expect.objectContaining({ code: 'integrity' }));
        }
      });

      it('detects every modified byte (RRC aside: RFC 4121 leaves it unprotected)', () => {
        for (const sealed of [true, false]) {
          const token = wrap(k, enctype, Buffer.from('tamper me'), { sealed, sentByAcceptor: true, acceptorSubkey: false, sequence: 9 });
          for (let i = 0; i < token.length; i++) {
            if (enctype !== 23 && (i === 6 || i === 7)) continue;
            const bad = Buffer.from(token);
            bad[i]! ^= 0x01;
            if (enctype === 23 && !sealed && i >= 21 && i < 25) {
              // RFC 1964 SND_SEQ is RC4-encrypted but not checksummed: a flipped bit changes the
              // sequence number, which only the receiver's sequence check can notice.
              expect(unwrap(k, enctype, bad, { expectSequence: 9 }).problems.map((p) => p.code), `byte ${i}`).toEqual(['sequence']);
              continue;
            }
            const error = thrownBy(() => unwrap(k, enctype, bad));
            expect(error instanceof KrbCryptoError || error instanceof KrbDecodeError, `byte ${i}: ${String(error)}`).toBe(true);
            // Past the header (and the RC4 framing) nothing but the crypto can notice.
            if (i >= (enctype === 23 ? 40 : 16)) expect(error, `byte ${i}`).toMatchObject({ code: 'integrity' });
          }
        }
      });
    });
  }
});

describe('what unwrap reports', () => {
  const k = key(32, 3);
  const token = wrap(k, 18, Buffer.from('x'), { sealed: true, sentByAcceptor: true, acceptorSubkey: true, sequence: 5 });

  it('reports an unexpected SND_SEQ, direction and AcceptorSubkey as problems', () => {
    const result = unwrap(k, 18, token, { expectSequence: 4, expectSentByAcceptor: false, expectAcceptorSubkey: false });
    expect(result.plaintext.toString()).toBe('x');
    expect(result.problems.map((p) => p.code).sort()).toEqual(['acceptor-subkey', 'direction', 'sequence']);
    expect(result.problems.find((p) => p.code === 'sequence')!.message).toContain('SND_SEQ is 5, expected 4');
  });

  it('uses the key usage of the sender: a token read as the other direction does not verify', () => {
    const flipped = Buffer.from(token);
    flipped[2]! &= ~CfxFlag.SentByAcceptor;
    expect(() => unwrap(k, 18, flipped)).toThrow(/key usage 24/);
  });

  it('catches a header modified under an unchanged ciphertext (the encrypted header copy)', () => {
    const changed = Buffer.from(token);
    changed.writeBigUInt64BE(6n, 8);
    expect(() => unwrap(k, 18, changed)).toThrow(/header copy/);
  });

  it('refuses a bad filler or the wrong TOK_ID as malformed, not as a crypto failure', () => {
    const badFiller = Buffer.from(token);
    badFiller[3] = 0;
    expect(() => unwrap(k, 18, badFiller)).toThrow(KrbDecodeError);
    expect(() => unwrap(k, 18, mic(k, 18, Buffer.alloc(0), { sentByAcceptor: true, acceptorSubkey: false, sequence: 0 }))).toThrow(KrbDecodeError);
  });

  it('refuses an RRC that changes the rotation', () => {
    const changed = Buffer.from(token);
    changed.writeUInt16BE(3, 6);
    expect(() => unwrap(k, 18, changed)).toThrow(expect.objectContaining({ code: 'integrity' }));
  });

  it('accepts Windows-style RRC 28 with EC filler', () => {
    const windows = wrap(k, 18, Buffer.from('payload'), { sealed: true, sentByAcceptor: false, acceptorSubkey: false, sequence: 0, rrc: 28, ec: 9 });
    const result = unwrap(k, 18, windows);
    expect(result).toMatchObject({ ec: 9, rrc: 28, rotation: 'RRC', problems: [] });
    expect(result.filler).toEqual(Buffer.alloc(9, 0xff));
  });

  it('refuses nonsense options with typed errors', () => {
    const base = { sealed: false, sentByAcceptor: false, acceptorSubkey: false, sequence: 0 };
    expect(() => wrap(k, 18, Buffer.alloc(1), { ...base, ec: 3 })).toThrow(KrbCryptoError);
    expect(() => wrap(k, 18, Buffer.alloc(1), { ...base, rrc: 70000 })).toThrow(KrbCryptoError);
    expect(() => wrap(k, 18, Buffer.alloc(1), { ...base, sequence: -1 })).toThrow(KrbCryptoError);
    expect(() => wrap(k, 2, Buffer.alloc(1), base)).toThrow(expect.objectContaining({ code: 'unsupported-enctype' }));
    expect(() => wrap(key(16, 1), 23, Buffer.alloc(1), { ...base, rrc: 28 })).toThrow(KrbCryptoError);
    expect(() => wrap(key(16, 1), 23, Buffer.alloc(1), { ...base, sequence: 2 ** 32 })).toThrow(KrbCryptoError);
  });
});

describe('decodePerMessageToken', () => {
  it('names every header field of a Wrap token, SND_SEQ in decimal', () => {
    const { tree, format, kind } = decodePerMessageToken(GOKRB5.wrapFromAcceptor, 100);
    expect({ format, kind }).toEqual({ format: 'rfc4121', kind: 'wrap' });
    expect(tree.offset).toBe(100);
    expect(findNode(tree, 'TOK_ID')).toMatchObject({ offset: 100, length: 2, value: 'Wrap (05 04)' });
    expect(findNode(tree, 'Flags')).toMatchObject({ offset: 102, value: ['0x01', 'SentByAcceptor'] });
    expect(findNode(tree, 'EC')).toMatchObject({ offset: 104, value: 12 });
    expect(findNode(tree, 'RRC')).toMatchObject({ offset: 106, value: 0 });
    expect(findNode(tree, 'SND_SEQ')).toMatchObject({ offset: 108, length: 8, value: String(0x575e85d6) });
    expect(findNode(tree, 'plaintext data')).toMatchObject({ offset: 116, length: 4, value: '01010000' });
    expect(findNode(tree, 'checksum')).toMatchObject({ offset: 120, length: 12 });
  });

  it('hangs the verified payload under `decrypted` when a key fits, naming key usage and key', () => {
    const keys = [
      { enctype: 18, key: key(32, 9), source: 'unrelated aes256 key' },
      { enctype: 17, key: GOKRB5.key, source: 'session key from the AP-REQ' },
    ];
    const decoded = decodePerMessageToken(GOKRB5.wrapFromInitiator, 0, keys);
    const data = findNode(decoded.tree, 'Data')!;
    expect(data.decrypted).toMatchObject({ keyUsage: '24 (GSS Wrap, initiator seal)', keySource: 'session key from the AP-REQ' });
    expect(data.decrypted!.tree).toMatchObject({ name: 'plaintext data', offset: 0, length: 4, value: '01010000' });
    expect(decoded.opened?.key.source).toBe('session key from the AP-REQ');
  });

  it('shows data, filler and header copy of a sealed token', () => {
    const decoded = decodePerMessageToken(IMPACKET.sealed, 0, [{ enctype: 18, key: IMPACKET.subkey, source: 'subkey' }]);
    const plaintext = findNode(decoded.tree, 'Data')!.decrypted!.tree;
    expect(plaintext.children!.map((c) => [c.name, c.offset, c.length])).toEqual([
      ['plaintext data', 0, 20],
      ['EC filler', 20, 12],
      ['header copy', 32, 16],
    ]);
    expect(findNode(plaintext, 'RRC')).toMatchObject({ offset: 38, value: 0 });
  });

  it('says why no key fits', () => {
    const decoded = decodePerMessageToken(GOKRB5.wrapFromInitiator, 0, [{ enctype: 17, key: GOKRB5.wrongKey, source: 'stale keytab' }]);
    expect(findNode(decoded.tree, 'Data')!.error).toMatch(/none of the 1 key\(s\) opens this token \(tried aes128-cts-hmac-sha1-96 from stale keytab\)/);
    expect(decoded.opened).toBeUndefined();
    // No AES key at all is not a failure: the token is sealed with a key this side does not hold.
    const sealed = findNode(decodePerMessageToken(GOKRB5.wrapFromInitiator, 0, [{ enctype: 23, key: key(16, 0), source: 'rc4' }]).tree, 'Data')!;
    expect(sealed.error).toBeUndefined();
    expect(sealed.sealed).toEqual({ key: 'session key', note: expect.stringMatching(/^protected with the session key or a subkey \(RFC 4121: aes128\/aes256\)/) });
  });

  it('verifies a MIC only when given the message', () => {
    const keys = [{ enctype: 17, key: GOKRB5.key, source: 'session key' }];
    expect(findNode(decodePerMessageToken(GOKRB5.micFromAcceptor, 0, keys).tree, 'SGN_CKSUM')!.error).toMatch(/does not carry the message/);
    const verified = decodePerMessageToken(GOKRB5.micFromAcceptor, 0, keys, { micData: GOKRB5.micPayload });
    expect(findNode(verified.tree, 'SGN_CKSUM')!.decrypted).toMatchObject({ keyUsage: '23 (GSS MIC/Wrap, acceptor sign)', tree: { value: 'checksum verified' } });
  });

  it('marks a bad filler and reserved flags without throwing', () => {
    const odd = Buffer.from(GOKRB5.wrapFromAcceptor);
    odd[2] = 0x81;
    odd[3] = 0x00;
    const { tree } = decodePerMessageToken(odd);
    expect(findNode(tree, 'Flags')!.error).toMatch(/reserved/);
    expect(findNode(tree, 'Filler')!.error).toMatch(/0xFF/);
  });

  it('refuses what is not a per-message token', () => {
    expect(() => decodePerMessageToken(hex('0607'), 5)).toThrow(expect.objectContaining({ name: 'KrbDecodeError', offset: 5 }));
    expect(() => decodePerMessageToken(hex('05'))).toThrow(KrbDecodeError);
  });
});

describe('enctypes that do not use RFC 4121 tokens', () => {
  it.each([
    [1, 8],
    [3, 8],
    [16, 24],
  ])('refuses enctype %i: DES and triple-DES contexts use RFC 1964 tokens', (enctype, keyLength) => {
    const key = Buffer.alloc(keyLength, 1);
    expect(() => wrap(key, enctype, Buffer.from('x'), { sentByAcceptor: false, acceptorSubkey: false, sealed: true, sequence: 0n })).toThrow(/contexts use RFC 1964 tokens, not RFC 4121 Wrap\/MIC tokens/);
    expect(() => mic(key, enctype, Buffer.from('x'), { sentByAcceptor: false, acceptorSubkey: false, sequence: 0n })).toThrow(KrbCryptoError);
  });
});
