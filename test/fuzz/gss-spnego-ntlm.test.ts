/**
 * GSS-API framing, SPNEGO, NTLMSSP, RFC 1964 and RFC 4121 per-message tokens, the 0x8003
 * authenticator checksum, context-key recovery and the XPRESS_HUFF decompressor under hostile
 * input. Seeds: a real MIT GSS conversation (AP-REQ, AP-REP, Wrap) from the lab realm, the world
 * fixture's SPNEGO tokens (curl, a JVM), Windows NTLM messages, and the checksums inside the real
 * authenticators. Only KrbDecodeError (and KrbCryptoError where a key is applied) may escape.
 */
import { readFile } from 'node:fs/promises';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decompressXpressHuffman } from '../../main/krb/compression/xpress-huffman';
import { KrbCryptoError, KrbDecodeError } from '../../main/krb/errors';
import {
  decodeGssChecksum,
  decodeNtlmssp,
  decodePerMessageToken,
  decodeRfc1964Token,
  decodeSpnego,
  encodeGssChecksum,
  encodeNegTokenInit,
  encodeNegTokenResp,
  KERBEROS_OIDS,
  mic,
  parseInitialContextToken,
  readCfxHeader,
  readKerberosToken,
  unwrap,
  unwrapRc4,
  verifyMic,
  verifyMicRc4,
  wrap,
  type GssKey,
} from '../../main/krb/gss';
import { contextKeysFrom, perMessageKey } from '../../main/krb/gss/context';
import { parseKeytab, type KeytabEntry } from '../../main/krb/keytab';
import { ntlmIn, offeredMechs } from '../../main/http/ntlm-detect';
import { negotiateTokenKind } from '../../main/http/token-kind';
import type { TreeNode } from '../../main/krb/tree';
import { runGssConversation } from '../helpers/gss-peer';
import { createTestRealm, type TestRealm } from '../helpers/lab';
import { worldKeytab } from '../helpers/world';
import { assertInBounds, namesOffset } from './binary-checks';
import { worldPlaintexts, worldTokens } from './binary-seeds';
import { fuzz, fuzzRuns, fuzzTimeout, mutatedBytes } from './harness';

const b64 = (s: string): Buffer => Buffer.from(s, 'base64');
const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** Windows NTLM messages (from the public captures test/unit/krb/gss/ntlm.test.ts cites): NEGOTIATE, CHALLENGE and AUTHENTICATE, bare and in SPNEGO. */
const NTLM = [
  b64('TlRMTVNTUAABAAAAl4II4gAAAAAAAAAAAAAAAAAAAAAKAGFKAAAADw=='),
  b64('TlRMTVNTUAABAAAAFYIIYgAAAAAAAAAAAAAAAAAAAAAGAbAdAAAAD1dPUktHUk9VUA=='),
  b64(
    'oYHOMIHLoAMKAQGhDAYKKwYBBAGCNwICCqKBtQSBsk5UTE1TU1AAAgAAABIAEgA4AAAAFYKKYhEj+2kAdCOsAAAAAAAAAABoAGgASgAAAAoAYUoAAAAPUgBPAE8ATABJAEMALQBaADkAAgASAFIATwBPAEwASQBDAC0AWgA5AAEAEgBSAE8ATwBMAEkAQwAtAFoAOQAEABIAUgBvAG8AbABpAGMALQBaADkAAwASAFIAbwBvAGwAaQBjAC0AWgA5AAcACACg/7A0qQ3cAQAAAAA=',
  ),
  b64(
    'oYIBrjCCAaqiggGmBIIBok5UTE1TU1AAAwAAABgAGABYAAAADgEOAXAAAAAAAAAAfgEAABQAFAB+AQAAAAAAAJIBAAAQABAAkgEAABWCiGIGAQAAAAAAD1yvIkMadc/BJYGcu56iwtAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAGkVGR4J3vpsrTlXMnDbsJAQEAAAAAAACg/7A0qQ3cASeQaaPJjBhOAAAAAAIAEgBSAE8ATwBMAEkAQwAtAFoAOQABABIAUgBPAE8ATABJAEMALQBaADkABAASAFIAbwBvAGwAaQBjAC0AWgA5AAMAEgBSAG8AbwBsAGkAYwAtAFoAOQAGAAQAAgAAAAcACACg/7A0qQ3cAQkAIgBjAGkAZgBzAC8AMQA5ADIALgAxADYAOAAuADEALgA2ADkACgAQAAAAAAAAAAAAAAAAAAAAAAAIADAAMAAAAAAAAAAAAAAAAAAAALEWbpn752SUazU1BX3inwfgE9Y1Zog+0rVvR/GlRLM+AAAAAAAAAABKAEMASQBGAFMARwBVAEUAUwBUACA9dK9sC/abiQgSD7m5xLM=',
  ),
  b64('YEgGBisGAQUFAqA+MDygDjAMBgorBgEEAYI3AgIKoioEKE5UTE1TU1AAAQAAAJeCCOIAAAAAAAAAAAAAAAAAAAAACgBhSgAAAA8='),
];

/** An AD claims set compressed with XPRESS_HUFF (test/unit/krb/pac-claims.test.ts): 424 bytes holding 480. */
const XPRESS = hex(`
  72780788870808000700
  0800080008000800080880000080870870887807000080800000000080080000080000000000605767070007777707677700770000000000000000000000
  0000000000000000000000000000000000000000000000000000000000000700070000000000000000000000000000000000000000000000760007007000
  0000760000000000000075070000000000006477070000000000760700000000000006070000000000007706070000000070777070007000077000770000
  0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001a85
  652950bb9d8bae030b2212b90df95764d1b182da22f2c848b23b3cc4efc8e3499701e481cf938e490986a384c3d572250aaab2446572fc26be279c263e4a
  4c9c2c24f9649e2444d8ddb3277373c600363beb73200baaa783da183dd85830af863e1a00d5cf718aac4879519fbf0745bcc59214493a330f940bf99a44
  6f1ade6df2610c5f154b432eaba964d7ad1f1182e522019fc21ce498a204d06b96a476f7386e60030000`);

/** The 0x8003 checksums inside the real authenticators: OCTET STRINGs whose content starts with Lgth = 16. */
function gssChecksums(plaintexts: readonly Buffer[]): Buffer[] {
  const found: Buffer[] = [];
  for (const p of plaintexts) {
    for (let i = 0; i + 6 < p.length; i++) {
      if (p[i] !== 0x04) continue;
      const [length, header] = p[i + 1]! < 0x80 ? [p[i + 1]!, 2] : p[i + 1] === 0x81 ? [p[i + 2]!, 3] : p[i + 1] === 0x82 ? [p.readUInt16BE(i + 2), 4] : [0, 0];
      const content = p.subarray(i + header, i + header + length);
      if (length >= 24 && content.length === length && content.readUInt32LE(0) === 16) found.push(content);
    }
  }
  return found;
}

describe('fuzz: GSS-API, SPNEGO, NTLMSSP', () => {
  let lab: TestRealm;
  let conversation: { apReq: Buffer; apRep: Buffer; clientWrap: Buffer };
  let serviceKeytab: KeytabEntry[];
  let keys: GssKey[];
  let tokens: Buffer[];
  let perMessage: Buffer[];
  let checksums: Buffer[];

  beforeAll(async () => {
    lab = await createTestRealm();
    const c = await runGssConversation(lab.env);
    conversation = { apReq: b64(c.apReq), apRep: b64(c.apRep), clientWrap: b64(c.clientWrap) };
    serviceKeytab = parseKeytab(await readFile(lab.serviceKeytab)).keytab.entries;
    const context = contextKeysFrom(conversation.apReq, conversation.apRep, { keytab: serviceKeytab });
    const { key } = perMessageKey(context);
    const aes = Buffer.alloc(32, 3);
    const rc4 = Buffer.alloc(16, 4);
    keys = [{ ...key, source: 'MIT context' }, { enctype: 18, key: aes, source: 'aes' }, { enctype: 23, key: rc4, source: 'rc4' }];
    perMessage = [
      conversation.clientWrap,
      wrap(key.key, key.enctype, Buffer.from('sealed payload'), { sealed: true, sentByAcceptor: true, acceptorSubkey: true, sequence: 3, rrc: 28, ec: 4 }),
      wrap(key.key, key.enctype, Buffer.from('integrity payload'), { sealed: false, sentByAcceptor: false, acceptorSubkey: true, sequence: 4 }),
      mic(key.key, key.enctype, Buffer.from('m'), { sentByAcceptor: true, acceptorSubkey: true, sequence: 5 }),
      wrap(rc4, 23, Buffer.from('rc4 payload'), { sealed: true, sentByAcceptor: true, acceptorSubkey: false, sequence: 6 }),
      mic(rc4, 23, Buffer.from('m'), { sentByAcceptor: false, acceptorSubkey: false, sequence: 7 }),
    ];
    tokens = [
      conversation.apReq,
      conversation.apRep,
      ...worldTokens,
      ...NTLM,
      encodeNegTokenInit([KERBEROS_OIDS.krb5, '1.3.6.1.4.1.311.2.2.10'], conversation.apReq, { negHints: { hintName: 'x' }, mechListMIC: Buffer.from([1]) }),
      encodeNegTokenResp({ negState: 0, supportedMech: KERBEROS_OIDS.krb5, responseToken: conversation.apRep, mechListMIC: Buffer.from([2]) }),
    ];
    checksums = [...gssChecksums(worldPlaintexts()), encodeGssChecksum({ flags: 0x3e, delegation: Buffer.from([0x76, 0x00]), exts: [{ type: 2, data: Buffer.from('x') }] })];
  });
  afterAll(() => lab?.destroy());

  it('has real seeds', () => {
    expect(checksums.length).toBeGreaterThanOrEqual(3);
    expect(decompressXpressHuffman(XPRESS, 480)).toHaveLength(480);
    expect(decodePerMessageToken(conversation.clientWrap, 0, keys).opened).toBeDefined();
  });

  /** Every framing and context-token decoder, picked per input, at an offset. */
  const DECODERS: [string, (bytes: Uint8Array, base: number) => { tree: TreeNode } | undefined][] = [
    ['parseInitialContextToken', (b, base) => parseInitialContextToken(b, base)],
    ['readKerberosToken', (b, base) => (readKerberosToken(b, base), undefined)],
    ['decodeSpnego', (b, base) => decodeSpnego(b, base)],
    ['decodeNtlmssp', (b, base) => decodeNtlmssp(b, base)],
    ['decodeRfc1964Token', (b, base) => decodeRfc1964Token(b, base)],
    ['readCfxHeader', (b, base) => (readCfxHeader(b, base), undefined)],
  ];

  it(
    'framing, SPNEGO, NTLMSSP and RFC 1964 decoders',
    () =>
      fuzz({
        name: 'gss.decoders',
        input: fc.tuple(fc.nat(), fc.integer({ min: 0, max: 3000 }), mutatedBytes([...tokens, ...perMessage])),
        run: ([pick, base, bytes]) => {
          const [, decode] = DECODERS[pick % DECODERS.length]!;
          const decoded = decode(bytes, base);
          if (decoded) assertInBounds(decoded.tree, base, base + bytes.length);
        },
        typed: [KrbDecodeError],
        checkTyped: (error, [, base, bytes]) => {
          namesOffset(error);
          const offset = (error as KrbDecodeError).offset;
          if (offset < base || offset > base + bytes.length) throw new Error(`offset ${offset} outside [${base}, ${base + bytes.length}]: ${error.message}`);
        },
      }),
    fuzzTimeout(),
  );

  it(
    'NTLM and Negotiate token sniffing (HTTP client side) never throws',
    () =>
      fuzz({
        name: 'gss.negotiate-sniff',
        input: mutatedBytes([...tokens]),
        run: (bytes) => {
          ntlmIn(bytes);
          offeredMechs(bytes);
          negotiateTokenKind(bytes);
        },
        typed: [],
      }),
    fuzzTimeout(),
  );

  it(
    'RFC 4121 / RFC 4757 per-message tokens with keys: decode, unwrap, verifyMic',
    () =>
      fuzz({
        name: 'gss.per-message',
        input: fc.tuple(fc.nat(), mutatedBytes(perMessage)),
        run: ([pick, bytes]) => {
          const key = keys[pick % keys.length]!;
          const decoded = decodePerMessageToken(bytes, 0, keys, { micData: Buffer.from('m') });
          assertInBounds(decoded.tree, 0, bytes.length);
          if (pick % 4 === 0) unwrap(key.key, key.enctype, bytes, { expectSentByAcceptor: pick % 8 === 0 });
          else if (pick % 4 === 1) verifyMic(key.key, key.enctype, Buffer.from('m'), bytes);
          else if (pick % 4 === 2) unwrapRc4(keys[2]!.key, bytes);
          else verifyMicRc4(keys[2]!.key, Buffer.from('m'), bytes);
        },
        typed: [KrbDecodeError, KrbCryptoError],
        checkTyped: (error) => error instanceof KrbDecodeError && namesOffset(error),
      }),
    fuzzTimeout(),
  );

  it(
    'the 0x8003 authenticator checksum',
    () =>
      fuzz({
        name: 'gss.checksum8003',
        input: fc.tuple(fc.integer({ min: 0, max: 3000 }), mutatedBytes(checksums)),
        run: ([base, bytes]) => assertInBounds(decodeGssChecksum(bytes, base).tree, base, base + bytes.length),
        typed: [KrbDecodeError],
        checkTyped: namesOffset,
      }),
    fuzzTimeout(),
  );

  it(
    'context keys from a mutated AP-REQ / AP-REP (acceptor with keytab, initiator with session keys)',
    () =>
      fuzz(
        {
          name: 'gss.contextKeysFrom',
          input: fc.tuple(fc.boolean(), fc.boolean(), mutatedBytes([conversation.apReq]), mutatedBytes([conversation.apRep])),
          run: ([acceptor, withRep, apReq, apRep]) => {
            const source = acceptor ? { keytab: [...serviceKeytab, ...worldKeytab] } : { sessionKeys: keys.map((k) => ({ enctype: k.enctype, key: Buffer.from(k.key), source: k.source })) };
            contextKeysFrom(apReq, withRep ? apRep : undefined, source);
          },
          typed: [KrbDecodeError, KrbCryptoError],
          checkTyped: (error) => error instanceof KrbDecodeError && namesOffset(error),
        },
        fuzzRuns(1000),
      ),
    fuzzTimeout(),
  );

  it(
    'XPRESS_HUFF decompression (PAC claims)',
    () =>
      fuzz({
        name: 'krb.xpress-huffman',
        input: fc.tuple(fc.integer({ min: 0, max: 70_000 }), fc.integer({ min: 0, max: 100 }), mutatedBytes([XPRESS], 12)),
        run: ([size, base, bytes]) => {
          const out = decompressXpressHuffman(bytes, size % 3 === 0 ? 480 : size, base);
          if (out.length !== (size % 3 === 0 ? 480 : size)) throw new Error(`asked for ${size} bytes, got ${out.length}`);
        },
        typed: [KrbDecodeError],
        checkTyped: namesOffset,
      }),
    fuzzTimeout(),
  );
});
