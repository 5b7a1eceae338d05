/**
 * Nothing a user opens may crash or hang the bench: every decoder, fed truncated, mutated or
 * random bytes, either decodes or throws KrbDecodeError; unwrap/verifyMic also KrbCryptoError.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KrbCryptoError, KrbDecodeError } from '../../../../main/krb/errors';
import {
  decodeGssChecksum,
  decodeNtlmssp,
  decodePerMessageToken,
  decodeRfc1964Token,
  decodeSpnego,
  encodeGssChecksum,
  encodeNegTokenInit,
  encodeNegTokenResp,
  frameInitialContextToken,
  KERBEROS_OIDS,
  mic,
  parseInitialContextToken,
  readCfxHeader,
  readKerberosToken,
  unwrap,
  verifyMic,
  wrap,
  type GssKey,
} from '../../../../main/krb/gss';

const b64 = (s: string): Buffer => Buffer.from(s, 'base64');
const aes = Buffer.alloc(32, 3);
const rc4 = Buffer.alloc(16, 4);
const KEYS: GssKey[] = [
  { enctype: 18, key: aes, source: 'aes' },
  { enctype: 23, key: rc4, source: 'rc4' },
];

const SAMPLES = {
  framedApRep: b64('YGwGCSqGSIb3EgECAgIAb10wW6ADAgEFoQMCAQ+iTzBNoAMCARCiRgRE62zOpPwr+KLoFKdUX2I6FtbN0DyxSA5a8n4BSZRJMTf413TEXzJbVh3/G7jWiMasIIzeETrd0Bv8suBsuKS/HdqG068='),
  spnegoNtlm: b64('YEgGBisGAQUFAqA+MDygDjAMBgorBgEEAYI3AgIKoioEKE5UTE1TU1AAAQAAAJeCCOIAAAAAAAAAAAAAAAAAAAAACgBhSgAAAA8='),
  spnegoInit2: encodeNegTokenInit([KERBEROS_OIDS.krb5, '1.3.6.1.4.1.311.2.2.10'], Buffer.from([0x60, 0x00]), { negHints: { hintName: 'x' }, mechListMIC: Buffer.from([1]) }),
  spnegoResp: encodeNegTokenResp({ negState: 1, supportedMech: KERBEROS_OIDS.krb5, responseToken: Buffer.from([0x6f, 0x00]), mechListMIC: Buffer.from([2]) }),
  ntlmChallenge: b64(
    'TlRMTVNTUAACAAAAEgASADgAAAAVgopiESP7aQB0I6wAAAAAAAAAAGgAaABKAAAACgBhSgAAAA9SAE8ATwBMAEkAQwAtAFoAOQACABIAUgBPAE8ATABJAEMALQBaADkAAQASAFIATwBPAEwASQBDAC0AWgA5AAQAEgBSAG8AbwBsAGkAYwAtAFoAOQADABIAUgBvAG8AbABpAGMALQBaADkABwAIAKD/sDSpDdwBAAAAAA==',
  ),
  ntlmNegotiate: b64('TlRMTVNTUAABAAAAl4II4gAAAAAAAAAAAAAAAAAAAAAKAGFKAAAADw=='),
  sealedWrap: wrap(aes, 18, Buffer.from('sealed payload'), { sealed: true, sentByAcceptor: false, acceptorSubkey: true, sequence: 3, rrc: 28, ec: 4 }),
  unsealedWrap: wrap(aes, 18, Buffer.from('integrity payload'), { sealed: false, sentByAcceptor: true, acceptorSubkey: false, sequence: 4 }),
  micToken: mic(aes, 18, Buffer.from('m'), { sentByAcceptor: true, acceptorSubkey: true, sequence: 5 }),
  rc4Wrap: wrap(rc4, 23, Buffer.from('rc4 payload'), { sealed: true, sentByAcceptor: true, acceptorSubkey: false, sequence: 6 }),
  rc4Mic: mic(rc4, 23, Buffer.from('m'), { sentByAcceptor: false, acceptorSubkey: false, sequence: 7 }),
  checksum: encodeGssChecksum({ flags: 0x3e, delegation: Buffer.from([0x76, 0x00]), exts: [{ type: 2, data: Buffer.from('x') }] }),
};

type Decoder = (bytes: Uint8Array, base: number) => unknown;

const DECODERS: Record<string, Decoder> = {
  parseInitialContextToken,
  readKerberosToken,
  decodeRfc1964Token,
  readCfxHeader,
  decodeSpnego,
  decodeNtlmssp,
  decodeGssChecksum,
  decodePerMessageToken: (bytes, base) => decodePerMessageToken(bytes, base),
  'decodePerMessageToken with keys': (bytes, base) => decodePerMessageToken(bytes, base, KEYS, { micData: Buffer.from('m') }),
};

/** Runs a decoder; anything thrown must be a KrbDecodeError. */
function expectOnlyDecodeErrors(decode: Decoder, bytes: Uint8Array, base = 0): void {
  try {
    decode(bytes, base);
  } catch (error) {
    if (!(error instanceof KrbDecodeError)) throw new Error(`not a KrbDecodeError for ${Buffer.from(bytes).toString('hex')}: ${String(error)}`);
    expect(error.offset).toBeGreaterThanOrEqual(base);
    expect(error.offset).toBeLessThanOrEqual(base + bytes.length);
  }
}

function expectOnlyTypedErrors(run: () => unknown): void {
  try {
    run();
  } catch (error) {
    if (!(error instanceof KrbDecodeError || error instanceof KrbCryptoError)) throw error;
  }
}

describe('truncation at every byte offset', () => {
  for (const [decoderName, decode] of Object.entries(DECODERS)) {
    it(decoderName, () => {
      for (const sample of Object.values(SAMPLES)) {
        for (let length = 0; length < sample.length; length++) expectOnlyDecodeErrors(decode, sample.subarray(0, length), 17);
      }
    });
  }

  it('unwrap and verifyMic', () => {
    for (const sample of Object.values(SAMPLES)) {
      for (let length = 0; length < sample.length; length++) {
        const cut = sample.subarray(0, length);
        for (const [enctype, key] of [[18, aes], [23, rc4]] as const) {
          expectOnlyTypedErrors(() => unwrap(key, enctype, cut));
          expectOnlyTypedErrors(() => verifyMic(key, enctype, Buffer.from('m'), cut));
        }
      }
    }
  });
});

describe('random input (fast-check)', () => {
  const anyBytes = fc.uint8Array({ maxLength: 300 });
  /** Random bytes behind a plausible first byte or two, so the decoders get past their first check. */
  const prefixed = fc.tuple(fc.constantFrom(0x60, 0xa0, 0xa1, 0x04, 0x05, 0x01, 0x02, 0x4e, 0x10, 0x6e), fc.constantFrom(0x00, 0x01, 0x04, 0x30, 0x54, 0x81), anyBytes).map(([a, b, rest]) => Uint8Array.from([a, b, ...rest]));
  const mutated = fc
    .tuple(fc.constantFrom(...Object.values(SAMPLES)), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }))
    .map(([sample, flips]) => {
      const out = Buffer.from(sample);
      for (const [at, mask] of flips) out[at % out.length]! ^= mask;
      return out;
    });

  for (const [decoderName, decode] of Object.entries(DECODERS)) {
    it(decoderName, () => {
      fc.assert(fc.property(fc.oneof(anyBytes, prefixed, mutated), fc.nat({ max: 1000 }), (bytes, base) => expectOnlyDecodeErrors(decode, bytes, base)), { numRuns: 400 });
    });
  }

  it('unwrap and verifyMic never throw anything but typed errors', () => {
    fc.assert(
      fc.property(fc.oneof(anyBytes, prefixed, mutated), fc.constantFrom(17, 18, 19, 20, 23), (bytes, enctype) => {
        const key = enctype === 17 || enctype === 19 || enctype === 23 ? aes.subarray(0, 16) : aes;
        expectOnlyTypedErrors(() => unwrap(key, enctype, bytes));
        expectOnlyTypedErrors(() => verifyMic(key, enctype, Buffer.from('m'), bytes));
      }),
      { numRuns: 400 },
    );
  });

  it('a framed random inner token parses, and its inner bytes come back', () => {
    fc.assert(
      fc.property(anyBytes, (inner) => {
        const parsed = parseInitialContextToken(frameInitialContextToken('1.2.3.4', null, inner), 0);
        expect(parsed.inner).toEqual(Buffer.from(inner));
      }),
      { numRuns: 200 },
    );
  });
});
