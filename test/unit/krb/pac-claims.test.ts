import { describe, expect, it } from 'vitest';
import { decompressXpressHuffman } from '../../../main/krb/compression/xpress-huffman';
import { KrbDecodeError } from '../../../main/krb/errors';
import { decodePac, type PacBuffer } from '../../../main/krb/messages/pac';
import type { TreeNode } from '../../../main/krb/tree';
import { formatTree } from '../../../main/cli/tree-format';

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');

// PAC_CLIENT_CLAIMS_INFO buffers made by a Windows Server domain controller, as published in gokrb5
// (github.com/jcmturner/gokrb5, v8/test/testdata/test_vectors.go, MarshaledPAC_ClientClaimsInfo*);
// the claims each holds are the ones gokrb5 asserts in v8/pac/client_claims_test.go. Only the bytes
// and those facts are used. No KDC here issues claims: the AD lab (Samba) will add our own.
const CLAIMS_STRING = hex(`
  01100800cccccccc000100000000000000000200d80000000400020000000000d8000000000000000000000000000000d800000001100800ccccccccc800
  0000000000000000020001000000040002000000000000000000000000000100000001000000010000000800020001000000 0c000200030003000100000010
  000200290000000000000029000000610064003a002f002f006500780074002f00730041004d004100630063006f0075006e0074004e0061006d0065003a00
  38003800640035006400390030003800350065006100350063003000630030000000000001000000140002000a000000000000000a00000074006500730074
  007500730065007200310000000000000000000000`);
const CLAIMS_INT = hex(`
  01100800cccccccce00000000000000000000200b80000000400020000000000b8000000000000000000000000000000b800000001100800cccccccca800
  00000000000000000200010000000400020000000000000000000000000001000000010000000100000008000200010000000c0002000100010001000000
  100002002a000000000000002a000000610064003a002f002f006500780074002f006d007300440053002d0053007500700070006f00720074006500640045
  003a0038003800640035006400650061003800660031006100660035006600310039000000010000001c0000000000000000000000`);
const CLAIMS_MULTI = hex(`
  01100800cccccccc780100000000000000000200500100000400020000000000500100000000000000000000000000005001000001100800cccccccc4001
  00000000000000000200010000000400020000000000000000000000000001000000010000000200000008000200020000000c0002000100010001000000
  10000200140002000300030001000000180002002a000000000000002a000000610064003a002f002f006500780074002f006d007300440053002d005300
  7500700070006f00720074006500640045003a0038003800640035006400650061003800660031006100660035006600310039000000010000001c000000
  00000000290000000000000029000000610064003a002f002f006500780074002f00730041004d004100630063006f0075006e0074004e0061006d006500
  3a00380038006400350064003900300038003500650061003500630030006300300000000000010000001c0002000a000000000000000a00000074006500
  7300740075007300650072003100000000000000`);
const CLAIMS_MULTI_UINT = hex(`
  01100800ccccccccf00000000000000000000200c80000000400020000000000c8000000000000000000000000000000c800000001100800ccccccccb800
  00000000000000000200010000000400020000000000000000000000000001000000010000000100000008000200010000000c0002000200020004000000
  1000020026000000000000002600000061006400 3a002f002f006500780074002f006f0062006a0065006300740043006c006100730073003a003800380064
  00350064006500370039003100650037006200320037006500360000000400000009000a00000000000700010000000000060001000000000000000100
  000000000000000000`);
const CLAIMS_MULTI_STRING = hex(`
  01100800cccccccc480100000000000000000200200100000400020000000000200100000000000000000000000000002001000001100800cccccccc1001
  00000000000000000200010000000400020000000000000000000000000001000000010000000100000008000200010000000c0002000300030004000000
  10000200270000000000000027000000610064003a002f002f006500780074002f006f00740068006500720049007000500068006f006e0065003a003800
  3800640035006400650039006600360062003400610066003900380035000000000004000000140002001800020 01c0002002000020005000000000000000500
  00007300740072003100000000000500000000000000050000007300740072003200000000000500000000000000050000007300740072003300000000000500
  000000000000050000007300740072003400000000000000000000000000`);
/** The same kind of buffer, its claims set compressed with XPRESS_HUFF: 424 bytes holding 480. */
const CLAIMS_XPRESS_HUFF = hex(`
  01100800ccccccccd00100000000000000000200a80100000400020004000000e0010000000000000000000000000000a801000072780788870808000700
  0800080008000800080880000080870870887807000080800000000080080000080000000000605767070007777707677700770000000000000000000000
  0000000000000000000000000000000000000000000000000000000000000700070000000000000000000000000000000000000000000000760007007000
  0000760000000000000075070000000000006477070000000000760700000000000006070000000000007706070000000070777070007000077000770000
  0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001a85
  652950bb9d8bae030b2212b90df95764d1b182da22f2c848b23b3cc4efc8e3499701e481cf938e490986a384c3d572250aaab2446572fc26be279c263e4a
  4c9c2c24f9649e2444d8ddb3277373c600363beb73200baaa783da183dd85830af863e1a00d5cf718aac4879519fbf0745bcc59214493a330f940bf99a44
  6f1ade6df2610c5f154b432eaba964d7ad1f1182e522019fc21ce498a204d06b96a476f7386e6003000000000000`);

const SAM_ACCOUNT_NAME = 'ad://ext/sAMAccountName:88d5d9085ea5c0c0';
const SUPPORTED_ENCTYPES = 'ad://ext/msDS-SupportedE:88d5dea8f1af5f19';
const OBJECT_CLASS = 'ad://ext/objectClass:88d5de791e7b27e6';

/** A PAC of one buffer of `type`, at offset 24 (right after the header and its PAC_INFO_BUFFER). */
function pacWith(type: number, data: Buffer): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(1, 0);
  header.writeUInt32LE(type, 8);
  header.writeUInt32LE(data.length, 12);
  header.writeBigUInt64LE(24n, 16);
  return Buffer.concat([header, data]);
}

function claimsBuffer(data: Buffer, type = 13): { buffer: PacBuffer; tree: TreeNode } {
  const { value, tree } = decodePac(pacWith(type, data));
  return { buffer: value.buffers[0]!, tree };
}

function* walk(node: TreeNode): Generator<TreeNode> {
  yield node;
  for (const c of node.children ?? []) yield* walk(c);
  if (node.decrypted) yield* walk(node.decrypted.tree);
}

const claims = (buffer: PacBuffer) => buffer.claimsInfo?.claimsArrays?.flatMap((a) => a.claims.map((c) => ({ id: c.id, type: c.typeName, values: c.values })));

describe('PAC claims (MS-PAC §2.11, MS-ADTS §2.2.18)', () => {
  it('decodes a STRING claim: sAMAccountName = testuser1, from an AD claims source', () => {
    const { buffer } = claimsBuffer(CLAIMS_STRING);
    expect(buffer.error).toBeUndefined();
    expect(buffer.claimsInfo).toMatchObject({ compressionName: 'COMPRESSION_FORMAT_NONE', claimsSetSize: 216, uncompressedClaimsSetSize: 216 });
    expect(buffer.claimsInfo?.claimsArrays?.[0]?.sourceTypeName).toBe('CLAIMS_SOURCE_TYPE_AD');
    expect(claims(buffer)).toEqual([{ id: SAM_ACCOUNT_NAME, type: 'CLAIM_TYPE_STRING', values: ['testuser1'] }]);
  });

  it('decodes INT64 and UINT64 claims (8-byte aligned values after their conformance)', () => {
    expect(claims(claimsBuffer(CLAIMS_INT).buffer)).toEqual([{ id: SUPPORTED_ENCTYPES, type: 'CLAIM_TYPE_INT64', values: [28] }]);
    expect(claims(claimsBuffer(CLAIMS_MULTI_UINT).buffer)).toEqual([{ id: OBJECT_CLASS, type: 'CLAIM_TYPE_UINT64', values: [655369, 65543, 65542, 65536] }]);
  });

  it('decodes several entries and several string values, each referent after its array', () => {
    expect(claims(claimsBuffer(CLAIMS_MULTI).buffer)).toEqual([
      { id: SUPPORTED_ENCTYPES, type: 'CLAIM_TYPE_INT64', values: [28] },
      { id: SAM_ACCOUNT_NAME, type: 'CLAIM_TYPE_STRING', values: ['testuser1'] },
    ]);
    expect(claims(claimsBuffer(CLAIMS_MULTI_STRING).buffer)).toEqual([
      { id: 'ad://ext/otherIpPhone:88d5de9f6b4af985', type: 'CLAIM_TYPE_STRING', values: ['str1', 'str2', 'str3', 'str4'] },
    ]);
  });

  it('decompresses an XPRESS_HUFF claims set and links its fields to the decompressed bytes', () => {
    const { buffer, tree } = claimsBuffer(CLAIMS_XPRESS_HUFF);
    expect(buffer.error).toBeUndefined();
    expect(buffer.claimsInfo).toMatchObject({ compressionName: 'COMPRESSION_FORMAT_XPRESS_HUFF', claimsSetSize: 424, uncompressedClaimsSetSize: 480 });
    expect(claims(buffer)).toEqual([
      { id: OBJECT_CLASS, type: 'CLAIM_TYPE_UINT64', values: [655369, 65543, 65542, 65536] },
      { id: SAM_ACCOUNT_NAME, type: 'CLAIM_TYPE_STRING', values: ['testuser1'] },
      { id: 'ad://ext/sAMAccountType:88d5de79a7ecf8c7', type: 'CLAIM_TYPE_INT64', values: [805306368] },
    ]);
    const set = [...walk(tree)].find((n) => n.decrypted?.kind === 'decompressed')!;
    expect(set.decrypted).toMatchObject({ keyUsage: '', keySource: 'COMPRESSION_FORMAT_XPRESS_HUFF, 424 → 480 bytes' });
    const plain = Buffer.from(set.decrypted!.plaintext!, 'hex');
    expect(plain.length).toBe(480);
    // Every field of the decompressed part lies inside the decompressed bytes, and the ID is where it says.
    const inner = [...walk(set.decrypted!.tree)];
    for (const node of inner) expect(node.offset + node.length).toBeLessThanOrEqual(480);
    const id = inner.find((n) => n.name === 'Buffer' && n.value === `${SAM_ACCOUNT_NAME}\0`)!;
    expect(plain.subarray(id.offset, id.offset + id.length).toString('utf16le')).toBe(`${SAM_ACCOUNT_NAME}\0`);
    expect(formatTree(tree).join('\n')).toContain('⤷ decompressed: COMPRESSION_FORMAT_XPRESS_HUFF, 424 → 480 bytes (offsets in the decompressed bytes)');
  });

  it('reads device claims (buffer 15) the same way', () => {
    const { buffer } = claimsBuffer(CLAIMS_STRING, 15);
    expect(buffer.typeName).toBe('PAC_DEVICE_CLAIMS_INFO');
    expect(claims(buffer)?.[0]?.values).toEqual(['testuser1']);
  });

  it('links uncompressed claim fields to their bytes in the input', () => {
    const pac = pacWith(13, CLAIMS_STRING);
    const { tree } = decodePac(pac);
    const value = [...walk(tree)].find((n) => n.name === 'Buffer' && n.value === 'testuser1\0')!;
    expect(pac.subarray(value.offset, value.offset + value.length).toString('utf16le')).toBe('testuser1\0');
  });

  it('says what is wrong with a damaged claims set, keeping the metadata and other buffers', () => {
    const broken = Buffer.from(CLAIMS_STRING);
    // CLAIM_ENTRY[0].Type 3 → 9: no such claim type.
    const at = broken.indexOf(hex('0c0002000300030001000000'));
    broken.writeUInt16LE(9, at + 4);
    broken.writeUInt16LE(9, at + 6);
    const { buffer } = claimsBuffer(broken);
    expect(buffer.claimsInfo?.compressionName).toBe('COMPRESSION_FORMAT_NONE');
    expect(buffer.claimsInfo?.problem).toMatch(/ClaimsSet\.ClaimsArrays\[0\]\.ClaimEntries\[0\]\.Type at byte \d+: claim type 9 is none of/);
  });

  it('names a compression it does not read instead of guessing', () => {
    const lznt1 = Buffer.from(CLAIMS_STRING);
    lznt1.writeUInt16LE(2, 28); // usCompressionFormat
    const { buffer } = claimsBuffer(lznt1);
    expect(buffer.claimsInfo?.problem).toMatch(/COMPRESSION_FORMAT_LZNT1 is not decompressed here/);
  });

  it('turns every truncation and bit flip of the compressed set into a typed error or a result, never a throw', () => {
    for (let cut = 0; cut < CLAIMS_XPRESS_HUFF.length; cut += 7) {
      expect(() => claimsBuffer(CLAIMS_XPRESS_HUFF.subarray(0, cut))).not.toThrow();
    }
    for (let i = 52; i < CLAIMS_XPRESS_HUFF.length; i += 3) {
      const flipped = Buffer.from(CLAIMS_XPRESS_HUFF);
      flipped[i]! ^= 0x5a;
      expect(() => claimsBuffer(flipped)).not.toThrow();
    }
  });
});

describe('decompressXpressHuffman (MS-XCA §2.2.4)', () => {
  const compressed = CLAIMS_XPRESS_HUFF.subarray(52, 52 + 424);

  it('refuses a code-length table that is not a complete Huffman code', () => {
    const bad = Buffer.from(compressed);
    bad.fill(0, 0, 256);
    expect(() => decompressXpressHuffman(bad, 480, 52)).toThrow(/XPRESS_HUFF\.code lengths at byte 52: the code lengths fill 0 of 32768/);
    bad.fill(0x11, 0, 256);
    expect(() => decompressXpressHuffman(bad, 480)).toThrow(/oversubscribe/);
  });

  it('refuses a short table and a stream cut short, naming the byte', () => {
    expect(() => decompressXpressHuffman(compressed.subarray(0, 100), 480)).toThrow(KrbDecodeError);
    expect(() => decompressXpressHuffman(compressed.subarray(0, 300), 480)).toThrow(/XPRESS_HUFF\.(bit stream|match offset|match length)/);
  });

  it('decodes only single-block streams and says so', () => {
    expect(() => decompressXpressHuffman(compressed, 70000)).toThrow(/several 64 KiB blocks/);
  });
});
