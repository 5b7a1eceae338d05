import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KrbDecodeError } from '../../../main/krb/errors';
import {
  checkPassword,
  defaultSalt,
  isKeytab,
  keytabEntryFromPassword,
  keytabEntryRandom,
  mergeKeytabs,
  parseKeytab,
  summarizeEntry,
  writeKeytab,
  type Keytab,
  type KeytabEntry,
} from '../../../main/krb/keytab';
import { SUPPORTED_ENCTYPES } from '../../../main/krb/crypto';
import { NameType, parsePrincipal } from '../../../main/krb/names';
import { findNode, type TreeNode } from '../../../main/krb/tree';

const hex = (h: string) => Buffer.from(h, 'hex');

/**
 * Real MIT 1.20 output, captured once with the tools (the integration tests check the live ones):
 * ktutil: addent -password -p alice@BENCH.TEST -k 1 -e aes256-cts-hmac-sha1-96 ("secret pw"),
 *         addent -key -p svc/host@BENCH.TEST -k 300 -e aes128-cts-hmac-sha1-96 (0011…eeff); wkt
 */
const MIT_KTUTIL = hex(
  '0502000000460001000a42454e43482e544553540005616c696365000000016b02801901001200207601cd0afb102029b517221ef9c0a2cb37ace5027696d3bd76960bb933c81857000000010000003a0002000a42454e43482e5445535400037376630004686f7374000000016b0280192c0011001000112233445566778899aabbccddeeff0000012c',
);
/** kadmin.local ktadd svc/x, ktadd bob, ktremove svc/x: a zero-filled 53-byte hole, then bob kvno 6. */
const MIT_HOLE = hex(
  '0502ffffffcb000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000032000100084558502e544553540003626f62000000016b02810d0600110010c08b0c8de1af5423627b6906159933a100000006',
);
/** kadmin.local reused a 53-byte hole for a 52-byte entry (alice): size 53, one byte of zero fill. */
const MIT_PADDED = hex(
  '050200000035000100084558502e544553540005616c696365000000016b02802c0200130010c79c5488782ab9a1b609b3944b162186000000020000000042000100084558502e544553540003626f62000000016b02802c040012002089e55ef596d85c71ddb156d9226b05d4bace46a3bcb8844e77315d336a9dd08c00000004',
);

interface RawEntry {
  components: string[];
  realm: string;
  nameType?: number;
  timestamp?: number;
  vno8: number;
  enctype: number;
  key: Buffer;
  /** Omitted: no kvno32 field at all. */
  kvno32?: number;
  trailer?: Buffer;
  /** Declared size minus the real one (padding the declared size does not cover is not allowed). */
  pad?: number;
}

/** Builds entry bytes by hand, in either version and byte order, to test what MIT never writes. */
function rawEntry(e: RawEntry, version: 0x501 | 0x502 = 0x502, le = false): Buffer {
  const parts: Buffer[] = [];
  const u16 = (v: number) => {
    const b = Buffer.alloc(2);
    if (le) b.writeUInt16LE(v);
    else b.writeUInt16BE(v);
    parts.push(b);
  };
  const u32 = (v: number) => {
    const b = Buffer.alloc(4);
    if (le) b.writeUInt32LE(v >>> 0);
    else b.writeUInt32BE(v >>> 0);
    parts.push(b);
  };
  const counted = (s: string) => {
    u16(Buffer.byteLength(s));
    parts.push(Buffer.from(s));
  };
  u16(e.components.length + (version === 0x501 ? 1 : 0));
  counted(e.realm);
  e.components.forEach(counted);
  if (version === 0x502) u32(e.nameType ?? 1);
  u32(e.timestamp ?? 1_700_000_000);
  parts.push(Buffer.from([e.vno8]));
  u16(e.enctype);
  u16(e.key.length);
  parts.push(e.key);
  if (e.kvno32 !== undefined) u32(e.kvno32);
  if (e.trailer) parts.push(e.trailer);
  if (e.pad) parts.push(Buffer.alloc(e.pad));
  const body = Buffer.concat(parts);
  const size = Buffer.alloc(4);
  if (le) size.writeInt32LE(body.length);
  else size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

function keytabBytes(version: 0x501 | 0x502, records: Buffer[]): Buffer {
  return Buffer.concat([Buffer.from([0x05, version & 0xff]), ...records]);
}

function hole(length: number, le = false): Buffer {
  const b = Buffer.alloc(4 + length);
  if (le) b.writeInt32LE(-length);
  else b.writeInt32BE(-length);
  return b;
}

const KEY16 = hex('00112233445566778899aabbccddeeff');

function decodeError(run: () => unknown): KrbDecodeError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(KrbDecodeError);
    return error as KrbDecodeError;
  }
  throw new Error('expected a KrbDecodeError');
}

/** Every child lies inside its parent and children follow each other without gaps or overlaps. */
function expectTiled(node: TreeNode): void {
  if (!node.children?.length) return;
  let at = node.offset;
  for (const child of node.children) {
    expect(child.offset, `${node.name} → ${child.name}`).toBe(at);
    at += child.length;
    expectTiled(child);
  }
  expect(at, `${node.name} children cover it`).toBe(node.offset + node.length);
}

describe('parseKeytab on MIT-written files', () => {
  it('reads ktutil output like klist -kteK', () => {
    const { keytab, tree } = parseKeytab(MIT_KTUTIL);
    expect(keytab.version).toBe(0x502);
    expect(keytab.entries.map((e) => summarizeEntry(e, true))).toEqual([
      {
        principal: 'alice@BENCH.TEST',
        kvno: 1,
        timestamp: '2026-11-22T05:39:37Z',
        enctype: 'aes256-cts-hmac-sha1-96',
        enctypeId: 18,
        key: '7601cd0afb102029b517221ef9c0a2cb37ace5027696d3bd76960bb933c81857',
      },
      {
        principal: 'svc/host@BENCH.TEST',
        kvno: 300,
        timestamp: '2026-11-22T05:39:37Z',
        enctype: 'aes128-cts-hmac-sha1-96',
        enctypeId: 17,
        key: '00112233445566778899aabbccddeeff',
      },
    ]);
    expect(keytab.entries[1]!.vno8).toBe(300 & 0xff); // MIT keeps the low byte in vno8
    expect(keytab.entries[0]!.principal.nameType).toBe(NameType.PRINCIPAL);
    expectTiled(tree);
  });

  it.each([
    ['ktutil', MIT_KTUTIL],
    ['kadmin hole reuse with padding', MIT_PADDED],
  ])('round-trips %s byte for byte (read → write)', (_name, bytes) => {
    expect(writeKeytab(parseKeytab(bytes).keytab).equals(bytes)).toBe(true);
  });

  it('skips a hole left by ktremove and shows it in the tree', () => {
    const { keytab, tree } = parseKeytab(MIT_HOLE);
    expect(keytab.entries).toHaveLength(1);
    expect(keytab.entries[0]).toMatchObject({ kvno: 6, enctype: 17 });
    const holeNode = tree.children![1]!;
    expect(holeNode).toMatchObject({ name: 'hole', offset: 2, length: 4 + 53, value: '53 bytes left by a deleted entry' });
    expect(tree.value).toBe('1 entry, 1 hole(s)');
    expectTiled(tree);
    // Writing drops the hole, nothing else.
    expect(writeKeytab(keytab).equals(Buffer.concat([Buffer.from([5, 2]), MIT_HOLE.subarray(2 + 57)]))).toBe(true);
  });

  it('keeps the zero fill of a reused hole as extra', () => {
    const { keytab, tree } = parseKeytab(MIT_PADDED);
    expect(keytab.entries[0]).toMatchObject({ kvno: 2, enctype: 19, extra: Buffer.from([0]) });
    expect(findNode(tree, 'extra')).toMatchObject({ offset: 2 + 4 + 52, length: 1 });
    expectTiled(tree);
  });
});

describe('the keytab tree', () => {
  it('names every field with its byte range and hides keys by default', () => {
    const { tree } = parseKeytab(MIT_KTUTIL);
    expect(tree).toMatchObject({ name: 'keytab', offset: 0, length: MIT_KTUTIL.length });
    expect(tree.children!.map((c) => c.name)).toEqual(['version', 'entry', 'entry']);
    const entry = tree.children![1]!;
    expect(entry.children!.map((c) => c.name)).toEqual(['size', 'num_components', 'realm', 'components', 'name_type', 'timestamp', 'vno8', 'keyblock', 'kvno32']);
    expect(entry).toMatchObject({ offset: 2, length: 4 + 0x46, value: 'alice@BENCH.TEST kvno 1 aes256-cts-hmac-sha1-96' });
    expect(findNode(entry, 'timestamp')!.value).toBe('2026-11-22T05:39:37Z');
    expect(findNode(entry, 'name_type')!.value).toBe('KRB5_NT_PRINCIPAL (1)');
    expect(findNode(entry, 'enctype')!.value).toBe('aes256-cts-hmac-sha1-96 (18)');
    expect(findNode(entry, 'key')).toMatchObject({ value: '<32 bytes hidden>', length: 32, offset: 2 + 4 + 0x46 - 4 - 32 });
    expect(JSON.stringify(tree)).not.toContain('7601cd0a');
  });

  it('shows key bytes with revealKeys', () => {
    const { tree } = parseKeytab(MIT_KTUTIL, { revealKeys: true });
    expect(findNode(tree, 'key')!.value).toBe('7601cd0afb102029b517221ef9c0a2cb37ace5027696d3bd76960bb933c81857');
  });
});

describe('formats MIT does not write', () => {
  const alice: Omit<RawEntry, 'vno8' | 'enctype' | 'key'> = { components: ['alice'], realm: 'EXAMPLE.COM' };

  it.each([
    ['big-endian', false],
    ['little-endian', true],
  ] as const)('reads version 0x0501 in %s host order (num_components counts the realm)', (order, le) => {
    const bytes = keytabBytes(0x501, [
      rawEntry({ ...alice, components: ['host', 'h.example.com'], vno8: 7, enctype: 18, key: Buffer.alloc(32, 1) }, 0x501, le),
      hole(10, le),
      rawEntry({ ...alice, vno8: 3, enctype: 17, key: KEY16, kvno32: 300 }, 0x501, le),
    ]);
    const { keytab, tree } = parseKeytab(bytes);
    expect(keytab.version).toBe(0x501);
    expect(keytab.byteOrder).toBe(order);
    expect(keytab.entries.map((e) => [formatP(e), e.kvno, e.enctype])).toEqual([
      ['host/h.example.com@EXAMPLE.COM', 7, 18],
      ['alice@EXAMPLE.COM', 300, 17],
    ]);
    expect(keytab.entries[0]!.principal.nameType).toBe(NameType.UNKNOWN);
    expect(tree.children![0]!.value).toBe(`0x0501 (host byte order, read as ${order})`);
    expect(findNode(tree, 'name_type')).toBeUndefined();
    expectTiled(tree);
    // Written back as MIT writes today: 0x0502, big-endian.
    const again = parseKeytab(writeKeytab(keytab)).keytab;
    expect(again.version).toBe(0x502);
    expect(again.entries.map((e) => [formatP(e), e.kvno, e.enctype, e.key.toString('hex')])).toEqual(
      keytab.entries.map((e) => [formatP(e), e.kvno, e.enctype, e.key.toString('hex')]),
    );
  });

  it('rejects a 0x0501 entry whose num_components is 0 (it must count the realm)', () => {
    const body = rawEntry({ ...alice, vno8: 1, enctype: 17, key: KEY16 }, 0x501);
    body.writeUInt16BE(0, 4);
    const error = decodeError(() => parseKeytab(keytabBytes(0x501, [body])));
    expect(error.field).toMatch(/^entry\[0\]\./);
  });

  it('takes the kvno from kvno32 when vno8 is 0 (Windows ktpass)', () => {
    const bytes = keytabBytes(0x502, [rawEntry({ components: ['HTTP', 'web.corp.example'], realm: 'CORP.EXAMPLE', nameType: 1, vno8: 0, enctype: 23, key: KEY16, kvno32: 1000 })]);
    const { keytab } = parseKeytab(bytes);
    expect(keytab.entries[0]).toMatchObject({ kvno: 1000, vno8: 0, enctype: 23 });
    expect(writeKeytab(keytab).equals(bytes)).toBe(true); // ktpass's vno8 byte survives
  });

  it('uses vno8 when kvno32 is absent or zero', () => {
    const without = parseKeytab(keytabBytes(0x502, [rawEntry({ ...alice, vno8: 9, enctype: 17, key: KEY16 })]));
    expect(without.keytab.entries[0]!.kvno).toBe(9);
    expect(findNode(without.tree, 'kvno32')).toBeUndefined();
    const zero = parseKeytab(keytabBytes(0x502, [rawEntry({ ...alice, vno8: 9, enctype: 17, key: KEY16, kvno32: 0 })]));
    expect(zero.keytab.entries[0]!.kvno).toBe(9);
    expect(findNode(zero.tree, 'kvno32')!.value).toBe('0 (zero fill: vno8 applies)');
  });

  it('keeps Heimdal trailing flags and padding from an oversized size field', () => {
    const heimdal = rawEntry({ ...alice, vno8: 2, enctype: 18, key: Buffer.alloc(32, 7), kvno32: 2, trailer: hex('00000001') });
    const padded = rawEntry({ ...alice, vno8: 4, enctype: 17, key: KEY16, kvno32: 4, pad: 7 });
    const bytes = keytabBytes(0x502, [heimdal, padded]);
    const { keytab, tree } = parseKeytab(bytes);
    expect(keytab.entries[0]!.extra).toEqual(hex('00000001'));
    expect(keytab.entries[1]!.extra).toEqual(Buffer.alloc(7));
    const extras = tree.children!.map((c) => c.children?.find((n) => n.name === 'extra')?.value);
    expect(extras).toEqual([undefined, 'Heimdal flags (uint32) or padding: 00000001', 'zero padding: 00000000000000']);
    expectTiled(tree);
    expect(writeKeytab(keytab).equals(bytes)).toBe(true);
  });

  it('stops at a size of 0 as MIT does and shows what follows', () => {
    const entry = rawEntry({ ...alice, vno8: 1, enctype: 17, key: KEY16, kvno32: 1 });
    const { keytab, tree } = parseKeytab(keytabBytes(0x502, [entry, Buffer.alloc(12)]));
    expect(keytab.entries).toHaveLength(1);
    expect(tree.children!.at(-1)).toMatchObject({ name: 'end', length: 12, value: 'size 0 ends the keytab; 8 byte(s) after it ignored' });
    expectTiled(tree);
  });

  it('reads an empty keytab (version only)', () => {
    expect(parseKeytab(hex('0502')).keytab.entries).toEqual([]);
  });
});

describe('malformed keytabs', () => {
  it('names the version field', () => {
    expect(decodeError(() => parseKeytab(hex('0504'))).message).toBe('keytab.version at byte 0: 0x0504 is not a keytab version (0x0501 or 0x0502)');
    expect(decodeError(() => parseKeytab(new Uint8Array()))).toMatchObject({ structure: 'keytab', field: 'version', offset: 0 });
  });

  it('fails fast on huge declared lengths without allocating them', () => {
    const huge = hex('05027fffffff0001');
    const t0 = performance.now();
    expect(decodeError(() => parseKeytab(huge))).toMatchObject({ field: 'entry[0].size', offset: 2 });
    const entry = rawEntry({ components: ['a'], realm: 'R', vno8: 1, enctype: 17, key: KEY16, kvno32: 1 });
    entry.writeUInt16BE(0xffff, 4 + 2 + 2 + 1 + 2 + 1 + 4 + 4 + 1 + 2); // keyblock.length
    expect(decodeError(() => parseKeytab(keytabBytes(0x502, [entry])))).toMatchObject({ field: 'entry[0].keyblock.key', offset: 2 + 25 });
    const components = rawEntry({ components: ['a'], realm: 'R', vno8: 1, enctype: 17, key: KEY16 });
    components.writeUInt16BE(0xffff, 4); // num_components: 65535 components in a 40-byte entry
    expect(decodeError(() => parseKeytab(keytabBytes(0x502, [components]))).field).toMatch(/^entry\[0\]\.components\[\d+\]\./);
    expect(decodeError(() => parseKeytab(hex('0502' + '80000000')))).toMatchObject({ field: 'hole[0].size' });
    expect(decodeError(() => parseKeytab(hex('0502' + 'ffffff00' + '0000')))).toMatchObject({ field: 'hole[0].size', offset: 2 });
    expect(performance.now() - t0).toBeLessThan(200);
  });

  it('names the entry index and field for the third entry', () => {
    const good = rawEntry({ components: ['a'], realm: 'R', vno8: 1, enctype: 17, key: KEY16, kvno32: 1 });
    const bad = Buffer.from(good);
    bad.writeUInt16BE(200, 4 + 2 + 2 + 1 + 2 + 1 + 4 + 4 + 1 + 2);
    const error = decodeError(() => parseKeytab(keytabBytes(0x502, [good, hole(3), good, bad])));
    expect(error.field).toBe('entry[2].keyblock.key');
    expect(error.offset).toBe(2 + good.length + 7 + good.length + 25);
    expect(error.message).toMatch(/^keytab\.entry\[2\]\.keyblock\.key at byte \d+: needs 200 byte\(s\)/);
  });

  it.each([
    ['ktutil', MIT_KTUTIL],
    ['padded', MIT_PADDED],
    ['hole', MIT_HOLE],
  ])('truncating the %s keytab at every byte offset gives a KrbDecodeError or, at record boundaries, fewer entries', (_name, bytes) => {
    const boundaries = recordBoundaries(bytes);
    for (let cut = 0; cut < bytes.length; cut++) {
      const slice = bytes.subarray(0, cut);
      if (boundaries.has(cut)) {
        expect(() => parseKeytab(slice), `cut at ${cut}`).not.toThrow();
        continue;
      }
      const error = decodeError(() => parseKeytab(slice));
      expect(error.structure).toBe('keytab');
      expect(error.offset, `cut at ${cut}`).toBeLessThanOrEqual(cut);
    }
  });
});

/** Offsets where a record (entry or hole) ends: a file cut there is a shorter, valid keytab. */
function recordBoundaries(bytes: Buffer): Set<number> {
  const ends = new Set([2]);
  for (const child of parseKeytab(bytes).tree.children!.slice(1)) ends.add(child.offset + child.length);
  return ends;
}

describe('random and mutated input (fast-check)', () => {
  const onlyDecodeErrors = (bytes: Uint8Array) => {
    try {
      const { tree } = parseKeytab(bytes);
      expectTiled(tree);
    } catch (error) {
      if (!(error instanceof KrbDecodeError)) throw error;
      expect(error.offset).toBeGreaterThanOrEqual(0);
      expect(error.offset).toBeLessThanOrEqual(bytes.length);
    }
  };

  it('never throws anything but KrbDecodeError on random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), onlyDecodeErrors), { numRuns: 3000 });
  });

  it('never throws anything but KrbDecodeError after a keytab header', () => {
    const header = fc.constantFrom(hex('0502'), hex('0501'));
    fc.assert(fc.property(header, fc.uint8Array({ maxLength: 400 }), (h, body) => onlyDecodeErrors(Buffer.concat([h, body]))), { numRuns: 3000 });
  });

  it('never throws anything but KrbDecodeError on mutated real keytabs, and never hangs', () => {
    const real = fc.constantFrom(MIT_KTUTIL, MIT_HOLE, MIT_PADDED);
    const mutation = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(real, mutation, (bytes, edits) => {
        const copy = Buffer.from(bytes);
        for (const [at, value] of edits) copy[at % copy.length] = value;
        const t0 = performance.now();
        onlyDecodeErrors(copy);
        expect(performance.now() - t0).toBeLessThan(1000);
      }),
      { numRuns: 3000 },
    );
  });

  it('round-trips arbitrary entries (write → read → write gives the same bytes)', () => {
    const text = fc.string({ maxLength: 20 });
    const entry = fc.record({
      principal: fc.record({ nameType: fc.integer({ min: -128, max: 11 }), components: fc.array(text, { maxLength: 4 }), realm: text }),
      timestamp: fc.integer({ min: 0, max: 0xffffffff }),
      kvno: fc.integer({ min: 1, max: 0xffffffff }),
      enctype: fc.constantFrom(17, 18, 19, 20, 23, 16, -128),
      key: fc.uint8Array({ maxLength: 48 }).map((k) => Buffer.from(k)),
    });
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 5 }), (entries) => {
        const bytes = writeKeytab({ version: 0x502, entries });
        const { keytab } = parseKeytab(bytes);
        expect(keytab.entries.map(({ vno8: _v, ...rest }) => rest)).toEqual(entries);
        expect(writeKeytab(keytab).equals(bytes)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe('writeKeytab', () => {
  const entry = (kvno: number): KeytabEntry => ({ principal: parsePrincipal('svc/host@R'), timestamp: 1_700_000_000, kvno, enctype: 18, key: Buffer.alloc(32, 5) });

  it('writes version 0x0502, vno8 = kvno & 0xff and always the 32-bit kvno, like MIT', () => {
    const bytes = writeKeytab({ version: 0x502, entries: [entry(258)] });
    expect(bytes.subarray(0, 2)).toEqual(hex('0502'));
    const { tree, keytab } = parseKeytab(bytes);
    expect(findNode(tree, 'vno8')!.value).toBe(2);
    expect(findNode(tree, 'kvno32')!.value).toBe(258);
    expect(keytab.entries[0]!.kvno).toBe(258);
  });

  it('refuses values the format cannot hold', () => {
    expect(() => writeKeytab({ version: 0x502, entries: [entry(-1)] })).toThrow(RangeError);
    expect(() => writeKeytab({ version: 0x502, entries: [{ ...entry(1), key: Buffer.alloc(70000) }] })).toThrow(/key length/);
  });
});

describe('keys from passwords', () => {
  const alice = parsePrincipal('alice@BENCH.TEST');

  it('derives the same key as MIT ktutil (normal salt: realm + components)', () => {
    expect(defaultSalt(parsePrincipal('svc/host@R.EXAMPLE'))).toBe('R.EXAMPLEsvchost');
    const mit = parseKeytab(MIT_KTUTIL).keytab.entries[0]!;
    const ours = keytabEntryFromPassword(alice, 'secret pw', 18, 1, undefined, mit.timestamp);
    expect(ours.key.toString('hex')).toBe(mit.key.toString('hex'));
    expect(writeKeytab({ version: 0x502, entries: [ours] }).equals(MIT_KTUTIL.subarray(0, 2 + 4 + 0x46))).toBe(true);
  });

  it('checks a password against every entry; an unsupported enctype gives null', () => {
    const keytab: Keytab = {
      version: 0x502,
      // des-cbc-md4 (2): an enctype the crypto layer does not implement.
      entries: [...parseKeytab(MIT_KTUTIL).keytab.entries, { ...keytabEntryFromPassword(alice, 'x', 17, 1), enctype: 2, key: Buffer.alloc(8) }],
    };
    expect(checkPassword(keytab, 'secret pw').map((r) => r.match)).toEqual([true, false, null]);
    expect(checkPassword(keytab, 'wrong').map((r) => r.match)).toEqual([false, false, null]);
    expect(checkPassword(keytab, 'secret pw', 'OTHER.SALT')[0]!.match).toBe(false);
  });

  it.each(SUPPORTED_ENCTYPES)('makes entries for enctype %i that check against their password', (enctype) => {
    const entry = keytabEntryFromPassword(alice, 'pässword', enctype, 5);
    const keytab: Keytab = { version: 0x502, entries: [entry, keytabEntryRandom(alice, enctype, 6)] };
    expect(checkPassword(keytab, 'pässword').map((r) => r.match)).toEqual([true, false]);
    expect(keytab.entries[1]!.key.length).toBe(entry.key.length);
  });
});

describe('helpers', () => {
  it('detects keytabs by their version bytes', () => {
    expect(isKeytab(MIT_KTUTIL)).toBe(true);
    expect(isKeytab(hex('0501'))).toBe(true);
    expect(isKeytab(hex('0504'))).toBe(false); // a ccache
    expect(isKeytab(hex('05'))).toBe(false);
  });

  it('merges keytabs: a later entry replaces an earlier one with the same principal, kvno and enctype', () => {
    const a = parseKeytab(MIT_KTUTIL).keytab;
    const replacement: KeytabEntry = { ...a.entries[1]!, key: Buffer.alloc(16, 9) };
    const extra: KeytabEntry = { ...a.entries[1]!, kvno: 301 };
    const merged = mergeKeytabs([a, { version: 0x502, entries: [replacement, extra] }]);
    expect(merged.entries.map((e) => [formatP(e), e.kvno, e.key[0]])).toEqual([
      ['alice@BENCH.TEST', 1, 0x76],
      ['svc/host@BENCH.TEST', 300, 9],
      ['svc/host@BENCH.TEST', 301, 0x00],
    ]);
  });
});

function formatP(e: KeytabEntry): string {
  return `${e.principal.components.join('/')}@${e.principal.realm}`;
}
