import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keyedChecksum } from '../../../main/krb/crypto';
import { KrbDecodeError } from '../../../main/krb/errors';
import { decodePac, formatFiletime, MAX_PAC_BUFFERS, pacForServerChecksum, type Pac, type PacBuffer } from '../../../main/krb/messages/pac';
import type { TreeNode } from '../../../main/krb/tree';

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');

// ---- Real PACs -------------------------------------------------------------------------------
// All three come from gokrb5 (github.com/jcmturner/gokrb5), v8/test/testdata/test_vectors.go; the
// expected values are the ones gokrb5 asserts in v8/pac/*_test.go. Only the bytes and facts are used.

/**
 * MarshaledPAC_AD_WIN2K_PAC: the PAC of a service ticket from gokrb5's AD test realm TEST.GOKRB5
 * (user testuser1): logon info, client info, UPN_DNS_INFO, server and KDC checksums. Its server
 * checksum was made with the sysHTTP key of KEYTAB_SYSHTTP_TEST_GOKRB5 (aes256-cts, kvno 2).
 */
const GOKRB5_PAC = hex(`
    0500000000000000010000002802000058000000000000000a0000001c00000080020000000000000c00000058000000a0020000000000000600000010000000
    f8020000000000000700000014000000080300000000000001100800cccccccc180200000000000000000200058e4fdd80c6d201ffffffffffffff7fffffffff
    ffffff7fcc27969c39c6d201cce7ffc602c7d201ffffffffffffff7f12001200040002001600160008000200000000000c000200000000001000020000000000
    140002000000000018000200d80000005104000001020000050000001c000200200000000000000000000000000000000000000008000a002000020008000a00
    240002002800020000000000000000001002000000000000000000000000000000000000000000000000000000000000020000002c0002000000000000000000
    0000000009000000000000000900000074006500730074007500730065007200310000000b000000000000000b00000054006500730074003100200055007300
    65007200310000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000500000001020000
    07000000540400000700000055040000070000005b040000070000005c0400000700000005000000000000000400000041004400440043000500000000000000
    040000005400450053005400040000000104000000000005150000004c86cebca07160e63fdce887020000003000020007000020340002000700002005000000
    0105000000000005150000004c86cebca07160e63fdce8875a040000050000000105000000000005150000004c86cebca07160e63fdce8875704000000000000
    808dd1dc80c6d2011200740065007300740075007300650072003100000000002a00100016004000000000000000000074006500730074007500730065007200
    3100400074006500730074002e0067006f006b0072006200350000000000000054004500530054002e0047004f004b005200420035000000100000001e251d98
    d552be7df384f55076ffffff340be28b48765d0519ee9346cf53d82200000000
`);
const SYSHTTP_AES256_KEY = hex('43763702868978d1b6d91a36704b987e27e517250055bdfc40b8a6b3848d9aae');
/** KERB_NON_KERB_CKSUM_SALT: the key usage of the PAC server checksum (MS-PAC §2.8.1). */
const PAC_CHECKSUM_KEY_USAGE = 17;

/**
 * MarshaledPAC_AuthorizationData_MS: AuthorizationData { AD-IF-RELEVANT { AD-WIN2K-PAC (128) } }
 * around a Windows PAC (user lzhu, domain NTDEV) with hmac-md5 checksums. The PAC is the
 * OCTET STRING content after 22 bytes of DER headers.
 */
const MS_AUTHORIZATION_DATA = hex(`
    308205523082054ea00402020080a182054404820540040000000000000001000000b004000048000000000000000a00000012000000f8040000000000000600
    00001400000010050000000000000700000014000000280500000000000001100800cccccccca00400000000000000000200d186660f656ac601ffffffffffff
    ff7fffffffffffffff7f17d439fe784ac6011794a328424bc601175424977a81c60108000800040002002400240008000200120012000c000200000000001000
    0200000000001400020000000000180002005410000097792c00010200001a0000001c0002002000000000000000000000000000000000000000160018002000
    02000a000c002400020028000200000000000000000010000000000000000000000000000000000000000000000000000000000000000d0000002c0002000000
    000000000000000000000400000000000000040000006c007a00680075001200000000000000120000004c0069007100690061006e00670028004c0061007200
    72007900290020005a00680075000900000000000000090000006e0074006400730032002e006200610074000000000000000000000000000000000000000000
    0000000000000000000000000000000000001a00000061c433000700000009c32d00070000005eb4320007000000010200000700000097b92c00070000002bf1
    320007000000ce30330007000000a72e2e00070000002af132000700000098b92c000700000062c4330007000000940133000700000076c4330007000000aefe
    2d000700000032d22c00070000001608320007000000425b2e00070000005fb4320007000000ca9c35000700000085442d0007000000c2f0320007000000e9ea
    310007000000ed8e2e0007000000b6eb310007000000ab2e2e0007000000720e2e00070000000c000000000000000b0000004e0054004400450056002d004400
    43002d003000350000000600000000000000050000004e0054004400450056000000040000000104000000000005150000005951b81766725d2564633b0b0d00
    00003000020007000000340002000700002038000200070000203c000200070000204000020007000020440002000700002048000200070000204c0002000700
    00205000020007000020540002000700002058000200070000205c00020007000020600002000700002005000000010500000000000515000000b9301b2eb741
    4c6c8c3b351501020000050000000105000000000005150000005951b81766725d2564633b0b74542f00050000000105000000000005150000005951b8176672
    5d2564633b0be8383200050000000105000000000005150000005951b81766725d2564633b0bcd383200050000000105000000000005150000005951b8176672
    5d2564633b0b5db43200050000000105000000000005150000005951b81766725d2564633b0b41163500050000000105000000000005150000005951b8176672
    5d2564633b0be8ea3100050000000105000000000005150000005951b81766725d2564633b0bc1193200050000000105000000000005150000005951b8176672
    5d2564633b0b29f13200050000000105000000000005150000005951b81766725d2564633b0b0f5f2e00050000000105000000000005150000005951b8176672
    5d2564633b0b2f5b2e00050000000105000000000005150000005951b81766725d2564633b0bef8f3100050000000105000000000005150000005951b8176672
    5d2564633b0b075f2e00000000000049d90e656ac60108006c007a006800750000000000000076ffffff41edce9a34815d3aef7bc98874805d250000000076ff
    fffff7a534dab2c02986efe0fbe5110a4f3200000000
`);
const MS_PAC = MS_AUTHORIZATION_DATA.subarray(22);

/** MarshaledPAC_Kerb_Validation_Info_Trust: a logon info buffer across a trust (resource groups, S-1-18-1). */
const TRUST_LOGON_INFO = hex(`
    01100800cccccccc000200000000000000000200c30bcc79e444d301ffffffffffffff7fffffffffffffff7fc764125a0842d301c7247c84d142d301ffffffff
    ffffff7f12001200040002001600160008000200000000000c0002000000000010000200000000001400020000000000180002002e0000005204000001020000
    030000001c0002002002000000000000000000000000000000000000060008002000020008000a00240002002800020000000000000000001002000000000000
    000000000000000000000000000000000000000000000000010000002c0002003400020002000000380002000900000000000000090000007400650073007400
    7500730065007200310000000b000000000000000b00000054006500730074003100200055007300650072003100000000000000000000000000000000000000
    00000000000000000000000000000000000000000000000000000000000000000300000056040000070000000102000007000000550400000700000004000000
    000000000300000055004400430000000500000000000000040000005500530045005200040000000104000000000005150000002057308834e7d1d0a2fb0444
    010000003000020007000000010000000101000000000012010000000400000001040000000000051500000062dc8db6c8705249b5459e750200000053040000
    07000020540400000700002000000000
`);

// ---- A tiny little-endian writer for hand-built buffers ------------------------------------------

class LeWriter {
  private readonly parts: Buffer[] = [];
  private size = 0;

  private push(b: Buffer): this {
    this.parts.push(b);
    this.size += b.length;
    return this;
  }
  get length(): number {
    return this.size;
  }
  u8(v: number): this {
    return this.push(Buffer.from([v]));
  }
  u16(v: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(v);
    return this.push(b);
  }
  u32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v >>> 0);
    return this.push(b);
  }
  i32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v);
    return this.push(b);
  }
  u64(v: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(v);
    return this.push(b);
  }
  bytes(b: Uint8Array): this {
    return this.push(Buffer.from(b));
  }
  utf16(text: string): this {
    return this.push(Buffer.from(text, 'utf16le'));
  }
  align(n: number): this {
    return this.push(Buffer.alloc((n - (this.size % n)) % n));
  }
  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** PACTYPE + PAC_INFO_BUFFERs + 8-byte aligned buffers, as a KDC lays them out. */
function buildPac(buffers: Array<{ type: number; data: Uint8Array }>): Buffer {
  const w = new LeWriter().u32(buffers.length).u32(0);
  let offset = 8 + 16 * buffers.length;
  for (const { type, data } of buffers) {
    offset += (8 - (offset % 8)) % 8;
    w.u32(type).u32(data.length).u64(BigInt(offset));
    offset += data.length;
  }
  for (const { data } of buffers) w.align(8).bytes(data);
  return w.done();
}

/** A binary SID (MS-DTYP §2.4.2.2) from its string form. */
function sidBytes(sid: string): Buffer {
  const [, revision, authority, ...subs] = sid.split('-');
  const w = new LeWriter().u8(Number(revision)).u8(subs.length);
  const auth = Buffer.alloc(6);
  auth.writeUIntBE(Number(authority), 0, 6);
  w.bytes(auth);
  for (const s of subs) w.u32(Number(s));
  return w.done();
}

/** NDR type serialization v1 headers and the top-level referent; the caller writes the rest. */
function ndrStream(body: (w: LeWriter) => void): Buffer {
  const w = new LeWriter().bytes(hex('01100800cccccccc')).u32(0).u32(0).u32(0x00020000);
  body(w);
  w.align(8);
  const out = w.done();
  out.writeUInt32LE(out.length - 16, 8);
  return out;
}

/** Stream offsets: NDR alignment counts from the stream start, which is where `w` starts. */
function ndrString(w: LeWriter, text: string): void {
  w.align(4).u32(text.length).u32(0).u32(text.length).utf16(text);
}

/** 2024-01-19T01:20:00Z as FILETIME: 100 ns ticks since 1601-01-01. */
const FILETIME_2024 = (BigInt(Date.UTC(2024, 0, 19, 1, 20) / 1000) + 11_644_473_600n) * 10_000_000n;

function clientInfo(name: string, ticks = FILETIME_2024): Buffer {
  return new LeWriter().u64(ticks).u16(name.length * 2).utf16(name).done();
}

function signatureData(type: number, signature: Uint8Array, rodcIdentifier?: number): Buffer {
  const w = new LeWriter().i32(type).bytes(signature);
  if (rodcIdentifier !== undefined) w.u16(rodcIdentifier);
  return w.done();
}

function upnDnsInfo(upn: string, dns: string, extra?: { samName: string; sid: string; flags?: number }): Buffer {
  const header = extra ? 20 : 12;
  const upnBytes = Buffer.from(upn, 'utf16le');
  const dnsBytes = Buffer.from(dns, 'utf16le');
  const samBytes = Buffer.from(extra?.samName ?? '', 'utf16le');
  const sid = extra ? sidBytes(extra.sid) : Buffer.alloc(0);
  const upnOffset = header;
  const dnsOffset = upnOffset + upnBytes.length;
  const samOffset = dnsOffset + dnsBytes.length;
  const sidOffset = samOffset + samBytes.length;
  const w = new LeWriter().u16(upnBytes.length).u16(upnOffset).u16(dnsBytes.length).u16(dnsOffset);
  w.u32(extra ? (extra.flags ?? 0x2) : 0);
  if (extra) w.u16(samBytes.length).u16(samOffset).u16(sid.length).u16(sidOffset);
  return w.bytes(upnBytes).bytes(dnsBytes).bytes(samBytes).bytes(sid).done();
}

function delegationInfo(target: string, transited: string[]): Buffer {
  return ndrStream((w) => {
    w.u16(target.length * 2).u16(target.length * 2).u32(0x00020004);
    w.u32(transited.length).u32(transited.length ? 0x00020008 : 0);
    ndrString(w, target);
    if (!transited.length) return;
    w.align(4).u32(transited.length);
    transited.forEach((s, i) => w.u16(s.length * 2).u16(s.length * 2).u32(0x0002000c + 4 * i));
    for (const s of transited) ndrString(w, s);
  });
}

// ---- Tree and error helpers ---------------------------------------------------------------

function* walk(node: TreeNode): Generator<TreeNode> {
  yield node;
  for (const child of node.children ?? []) yield* walk(child);
}

function findAll(tree: TreeNode, name: string, type?: string): TreeNode[] {
  return [...walk(tree)].filter((n) => n.name === name && (type === undefined || n.type.startsWith(type)));
}

function find(tree: TreeNode, name: string, type?: string): TreeNode {
  const [node] = findAll(tree, name, type);
  if (!node) throw new Error(`no node ${name}${type ? ` of type ${type}` : ''}`);
  return node;
}

function child(node: TreeNode, name: string): TreeNode {
  const found = node.children?.find((c) => c.name === name);
  if (!found) throw new Error(`${node.name} has no child ${name}`);
  return found;
}

/** Every node points into the input: [base, base + length). Plain checks: this runs in fuzz loops. */
function expectTreeInRange(tree: TreeNode, base: number, length: number): void {
  for (const node of walk(tree)) {
    if (node.offset < base || node.length < 0 || node.offset + node.length > base + length) {
      throw new Error(`${node.name} [${node.offset}, +${node.length}] is outside the input [${base}, +${length}]`);
    }
  }
}

/** Decodes like an untrusted input: only KrbDecodeError may come out, and what comes out is sound. */
function decodeHostile(bytes: Uint8Array, base = 0): Pac | undefined {
  try {
    const { value, tree } = decodePac(bytes, base);
    expectTreeInRange(tree, base, bytes.length);
    if (pacForServerChecksum(bytes, value).length !== bytes.length) throw new Error('pacForServerChecksum changed the length');
    const stray = value.buffers.find((b) => b.error !== undefined && !/^PAC\.(Buffers|buffer)\[\d+\]\./.test(b.error));
    if (stray) throw new Error(`error without a PAC field path: ${stray.error}`);
    return value;
  } catch (error) {
    if (!(error instanceof KrbDecodeError) || error.structure !== 'PAC') throw error;
    return undefined;
  }
}

function buffersByType(pac: Pac): Map<number, PacBuffer> {
  return new Map(pac.buffers.map((b) => [b.type, b]));
}

/** A copy of `pac` with one buffer's cbBufferSize replaced. */
function withBufferSize(pac: Buffer, index: number, size: number): Buffer {
  const copy = Buffer.from(pac);
  copy.writeUInt32LE(size, 8 + 16 * index + 4);
  return copy;
}

// ---- Tests ------------------------------------------------------------------------------------

describe('decodePac: gokrb5 TEST.GOKRB5 PAC (testuser1)', () => {
  const BASE = 37;
  const { value: pac, tree } = decodePac(GOKRB5_PAC, BASE);
  const byType = buffersByType(pac);

  it('reads the PACTYPE header and the five buffers', () => {
    expect(pac.version).toBe(0);
    expect(pac.buffers.map((b) => [b.type, b.typeName, b.offset, b.size])).toEqual([
      [1, 'KERB_VALIDATION_INFO', 88, 552],
      [10, 'PAC_CLIENT_INFO', 640, 28],
      [12, 'UPN_DNS_INFO', 672, 88],
      [6, 'PAC_SERVER_CHECKSUM', 760, 16],
      [7, 'PAC_PRIVSVR_CHECKSUM', 776, 20],
    ]);
    expect(pac.buffers.every((b) => b.error === undefined)).toBe(true);
    expect([...walk(tree)].filter((n) => n.error)).toEqual([]);
    expect(tree).toMatchObject({ name: 'PAC', type: 'PACTYPE', offset: BASE, length: GOKRB5_PAC.length });
  });

  it('decodes KERB_VALIDATION_INFO', () => {
    expect(byType.get(1)?.logonInfo).toEqual({
      LogonTime: '2017-05-06T15:53:11.8257669Z',
      LogoffTime: 'never',
      KickOffTime: 'never',
      PasswordLastSet: '2017-05-06T07:23:08.9687500Z',
      PasswordCanChange: '2017-05-07T07:23:08.9687500Z',
      PasswordMustChange: 'never',
      EffectiveName: 'testuser1',
      FullName: 'Test1 User1',
      LogonScript: '',
      ProfilePath: '',
      HomeDirectory: '',
      HomeDirectoryDrive: '',
      LogonCount: 216,
      BadPasswordCount: 0,
      UserId: 1105,
      PrimaryGroupId: 513,
      GroupIds: [513, 1108, 1109, 1115, 1116].map((RelativeId) => ({ RelativeId, Attributes: 7 })),
      UserFlags: 32,
      LogonServer: 'ADDC',
      LogonDomainName: 'TEST',
      LogonDomainId: 'S-1-5-21-3167651404-3865080224-2280184895',
      UserAccountControl: 528,
      SubAuthStatus: 0,
      LastSuccessfulILogon: 'not set',
      LastFailedILogon: 'not set',
      FailedILogonCount: 0,
      ExtraSids: [
        { Sid: 'S-1-5-21-3167651404-3865080224-2280184895-1114', Attributes: 536870919 },
        { Sid: 'S-1-5-21-3167651404-3865080224-2280184895-1111', Attributes: 536870919 },
      ],
      ResourceGroupIds: [],
    });
  });

  it('decodes PAC_CLIENT_INFO, UPN_DNS_INFO and both signatures', () => {
    expect(byType.get(10)?.clientInfo).toEqual({ ClientId: '2017-05-06T15:53:11Z', Name: 'testuser1' });
    expect(byType.get(12)?.upnDnsInfo).toEqual({ Upn: 'testuser1@test.gokrb5', DnsDomainName: 'TEST.GOKRB5', Flags: 0 });
    expect(byType.get(6)?.signature).toEqual({ type: 16, signature: hex('1e251d98d552be7df384f550') });
    expect(byType.get(7)?.signature).toEqual({ type: -138, signature: hex('340be28b48765d0519ee9346cf53d822') });
  });

  it('links fields to their absolute byte ranges', () => {
    expectTreeInRange(tree, BASE, GOKRB5_PAC.length);
    const at = (node: TreeNode): Buffer => GOKRB5_PAC.subarray(node.offset - BASE, node.offset - BASE + node.length);
    const effectiveName = find(tree, 'EffectiveName', 'WCHAR[]');
    expect(at(child(effectiveName, 'Buffer')).toString('utf16le')).toBe('testuser1');
    expect(find(tree, 'EffectiveName', 'RPC_UNICODE_STRING').value).toBe('testuser1');
    // A deferred string starts at its MaxCount, after the previous string's alignment padding.
    const fullName = find(tree, 'FullName', 'WCHAR[]');
    expect(fullName.offset).toBe(child(fullName, 'MaxCount').offset);
    expect(fullName.offset - BASE).toBe(88 + 268);
    const userId = find(tree, 'UserId');
    expect(at(userId).readUInt32LE(0)).toBe(1105);
    expect(userId.offset - BASE).toBe(88 + 20 + 48 + 48 + 4);
    const groupIds = find(tree, 'GroupIds', 'GROUP_MEMBERSHIP[');
    expect(groupIds.type).toBe('GROUP_MEMBERSHIP[5]');
    expect(at(child(child(groupIds, 'GroupIds[4]'), 'RelativeId')).readUInt32LE(0)).toBe(1116);
    expect(find(tree, 'LogonDomainId', 'RPC_SID').value).toBe('S-1-5-21-3167651404-3865080224-2280184895');
    expect(find(tree, 'ExtraSids[1].Sid').value).toBe('S-1-5-21-3167651404-3865080224-2280184895-1111');
    expect(find(tree, 'UserAccountControl').value).toBe('0x00000210 (USER_NORMAL_ACCOUNT, USER_DONT_EXPIRE_PASSWORD)');
    expect(find(tree, 'Upn').offset - BASE).toBe(672 + 16);
    expect(find(tree, 'buffer[3]')).toMatchObject({ type: 'PAC_SERVER_CHECKSUM', offset: BASE + 760, length: 16 });
    expect(child(find(tree, 'Buffers[0]'), 'Offset')).toMatchObject({ offset: BASE + 16, length: 8, value: 88 });
  });

  it('pacForServerChecksum zeroes both signatures, and the server checksum verifies with the sysHTTP key', () => {
    const zeroed = pacForServerChecksum(GOKRB5_PAC, pac);
    expect(zeroed.subarray(760, 776).toString('hex')).toBe('10000000' + '00'.repeat(12));
    expect(zeroed.subarray(776, 796).toString('hex')).toBe('76ffffff' + '00'.repeat(16));
    expect(zeroed.subarray(0, 760).equals(GOKRB5_PAC.subarray(0, 760))).toBe(true);
    expect(GOKRB5_PAC.subarray(764, 776).toString('hex')).toBe('1e251d98d552be7df384f550'); // input untouched
    const checksum = keyedChecksum(16, SYSHTTP_AES256_KEY, PAC_CHECKSUM_KEY_USAGE, zeroed);
    expect(checksum.toString('hex')).toBe('1e251d98d552be7df384f550');
  });
});

describe('decodePac: Windows PAC (lzhu@NTDEV)', () => {
  it('is the ad-data of AD-WIN2K-PAC inside AD-IF-RELEVANT', () => {
    // AuthorizationData SEQUENCE { SEQUENCE { ad-type 1 (AD-IF-RELEVANT) ... { ad-type 128, ad-data OCTET STRING (1344) } } }
    expect(MS_AUTHORIZATION_DATA.subarray(0, 22).toString('hex')).toBe('308205523082054ea00402020080a182054404820540');
    expect(MS_PAC.length).toBe(1344);
  });

  const { value: pac, tree } = decodePac(MS_PAC, 22);
  const byType = buffersByType(pac);
  const info = byType.get(1)?.logonInfo;

  it('decodes the logon info', () => {
    expect(pac.buffers.map((b) => b.type)).toEqual([1, 10, 6, 7]);
    expect([...walk(tree)].filter((n) => n.error)).toEqual([]);
    expect(info).toMatchObject({
      LogonTime: '2006-04-28T01:42:50.9256401Z',
      LogoffTime: 'never',
      KickOffTime: 'never',
      PasswordLastSet: '2006-03-18T10:44:54.8371479Z',
      PasswordCanChange: '2006-03-19T10:44:54.8371479Z',
      EffectiveName: 'lzhu',
      FullName: 'Liqiang(Larry) Zhu',
      LogonScript: 'ntds2.bat',
      ProfilePath: '',
      HomeDirectory: '',
      HomeDirectoryDrive: '',
      LogonCount: 4180,
      BadPasswordCount: 0,
      UserId: 2914711,
      PrimaryGroupId: 513,
      UserFlags: 32,
      LogonServer: 'NTDEV-DC-05',
      LogonDomainName: 'NTDEV',
      LogonDomainId: 'S-1-5-21-397955417-626881126-188441444',
      UserAccountControl: 16,
      SubAuthStatus: 0,
      FailedILogonCount: 0,
      ResourceGroupIds: [],
    });
    expect(info?.ResourceGroupDomainSid).toBeUndefined();
    expect(info?.GroupIds.map((g) => g.RelativeId)).toEqual([
      3392609, 2999049, 3322974, 513, 2931095, 3338539, 3354830, 3026599, 3338538, 2931096, 3392610, 3342740, 3392630, 3014318, 2937394,
      3278870, 3038018, 3322975, 3513546, 2966661, 3338434, 3271401, 3051245, 3271606, 3026603, 3018354,
    ]);
    expect(info?.GroupIds.every((g) => g.Attributes === 7)).toBe(true);
  });

  it('decodes the 13 ExtraSids with their attributes', () => {
    const domain = 'S-1-5-21-397955417-626881126-188441444';
    expect(info?.ExtraSids).toHaveLength(13);
    expect(info?.ExtraSids[0]).toEqual({ Sid: 'S-1-5-21-773533881-1816936887-355810188-513', Attributes: 7 });
    const rids = [3101812, 3291368, 3291341, 3322973, 3479105, 3271400, 3283393, 3338537, 3038991, 3037999, 3248111];
    expect(info?.ExtraSids.slice(1, 12)).toEqual(rids.map((rid) => ({ Sid: `${domain}-${rid}`, Attributes: 536870919 })));
    expect(find(tree, 'ExtraSids[1]').value).toBe(`${domain}-3101812, 0x20000007 (SE_GROUP_MANDATORY, SE_GROUP_ENABLED_BY_DEFAULT, SE_GROUP_ENABLED, SE_GROUP_RESOURCE)`);
  });

  it('decodes the client info and the hmac-md5 signatures', () => {
    expect(byType.get(10)?.clientInfo?.Name).toBe('lzhu');
    expect(byType.get(6)?.signature).toEqual({ type: -138, signature: hex('41edce9a34815d3aef7bc98874805d25') });
    expect(byType.get(7)?.signature).toEqual({ type: -138, signature: hex('f7a534dab2c02986efe0fbe5110a4f32') });
    expect(find(tree, 'SignatureType').value).toBe('-138 (hmac-md5-arcfour)');
    expectTreeInRange(tree, 22, MS_PAC.length);
  });
});

describe('decodePac: KERB_VALIDATION_INFO across a trust (resource groups)', () => {
  const pacBytes = buildPac([{ type: 1, data: TRUST_LOGON_INFO }]);
  const { value, tree } = decodePac(pacBytes);

  it('decodes ExtraSids, ResourceGroupDomainSid and ResourceGroupIds', () => {
    expect(value.buffers[0]?.error).toBeUndefined();
    expect(value.buffers[0]?.logonInfo).toMatchObject({
      LogonTime: '2017-10-14T12:03:41.0524099Z',
      PasswordLastSet: '2017-10-10T20:42:56.2202823Z',
      PasswordCanChange: '2017-10-11T20:42:56.2202823Z',
      EffectiveName: 'testuser1',
      FullName: 'Test1 User1',
      LogonCount: 46,
      UserId: 1106,
      PrimaryGroupId: 513,
      GroupIds: [1110, 513, 1109].map((RelativeId) => ({ RelativeId, Attributes: 7 })),
      UserFlags: 544,
      LogonServer: 'UDC',
      LogonDomainName: 'USER',
      LogonDomainId: 'S-1-5-21-2284869408-3503417140-1141177250',
      UserAccountControl: 528,
      ExtraSids: [{ Sid: 'S-1-18-1', Attributes: 7 }],
      ResourceGroupDomainSid: 'S-1-5-21-3062750306-1230139592-1973306805',
      ResourceGroupIds: [1107, 1108].map((RelativeId) => ({ RelativeId, Attributes: 536870919 })),
    });
    expect(find(tree, 'UserFlags').value).toBe('0x00000220 (extra-sids, resource-groups)');
    expect(find(tree, 'buffer[0]').value).toBe('USER\\testuser1, UserId 1106, 3 group(s), 1 extra SID(s)');
  });

  /** A copy of the trust PAC with uint32s patched at fields found through the tree. */
  function patched(...patches: Array<[TreeNode, number]>): Buffer {
    const copy = Buffer.from(pacBytes);
    for (const [node, v] of patches) copy.writeUInt32LE(v, node.offset);
    return copy;
  }
  const groupCount = find(tree, 'GroupCount');
  const groupIdsMaxCount = child(find(tree, 'GroupIds', 'GROUP_MEMBERSHIP['), 'MaxCount');

  it('refuses a huge GroupIds count before looping, naming the field and its byte', () => {
    const { value: bad } = decodePac(patched([groupCount, 0x10000000], [groupIdsMaxCount, 0x10000000]), 500);
    expect(bad.buffers[0]?.error).toMatch(
      new RegExp(`^PAC\\.buffer\\[0\\]\\.KERB_VALIDATION_INFO\\.GroupIds\\.MaxCount at byte ${groupIdsMaxCount.offset + 500}: 268435456 element\\(s\\)`),
    );
    expect(bad.buffers[0]?.logonInfo).toBeUndefined();
  });

  it('reports a MaxCount that disagrees with GroupCount, keeping the fields decoded so far', () => {
    const result = decodePac(patched([groupIdsMaxCount, 4]));
    expect(result.value.buffers[0]?.error).toContain(`GroupIds.MaxCount at byte ${groupIdsMaxCount.offset}: 4 differs from GroupCount 3`);
    const node = find(result.tree, 'buffer[0]');
    expect(node.error).toBe(result.value.buffers[0]?.error);
    expect(find(node, 'EffectiveName', 'WCHAR[]').value).toBe('testuser1');
  });

  it('reports a SID with too many sub-authorities', () => {
    const sid = find(tree, 'ExtraSids[0].Sid');
    const copy = Buffer.from(pacBytes);
    copy[child(sid, 'SubAuthorityCount').offset] = 200;
    expect(decodePac(copy).value.buffers[0]?.error).toMatch(/ExtraSids\[0\]\.Sid\.SubAuthorityCount at byte \d+: 200 sub-authorities/);
  });

  it('reports a big-endian NDR stream instead of misreading it', () => {
    const copy = Buffer.from(pacBytes);
    copy[find(tree, 'Endianness').offset] = 0x00;
    expect(decodePac(copy).value.buffers[0]?.error).toMatch(/CommonHeader\.Endianness at byte \d+: 0x0: only little-endian/);
  });

  it('reports a string whose ActualCount disagrees with its Length', () => {
    const actual = child(find(tree, 'FullName', 'WCHAR[]'), 'ActualCount');
    expect(decodePac(patched([actual, 10])).value.buffers[0]?.error).toContain('KERB_VALIDATION_INFO.FullName.ActualCount');
  });
});

describe('decodePac: hand-built buffers of every decoded type', () => {
  const BASE = 1000;
  const REQUESTOR = 'S-1-5-21-1004336348-1177238915-682003330-1105';
  const pacBytes = buildPac([
    { type: 10, data: clientInfo('alice') },
    { type: 12, data: upnDnsInfo('alice@bench.test', 'BENCH.TEST', { samName: 'alice', sid: REQUESTOR, flags: 0x3 }) },
    { type: 6, data: signatureData(16, Buffer.alloc(12, 0xaa), 0x1234) },
    { type: 7, data: signatureData(-138, Buffer.alloc(16, 0xbb)) },
    { type: 16, data: signatureData(20, Buffer.alloc(24, 0xcc)) },
    { type: 19, data: signatureData(19, Buffer.alloc(16, 0xdd)) },
    { type: 17, data: new LeWriter().u32(2).u32(1).done() },
    { type: 18, data: sidBytes(REQUESTOR) },
    { type: 2, data: new LeWriter().u32(0).u32(18).bytes(Buffer.alloc(40, 0xee)).done() },
    { type: 11, data: delegationInfo('cifs/files.bench.test', ['HTTP/web.bench.test', 'mqtt/broker']) },
    { type: 99, data: hex('0102030405') },
    { type: 14, data: hex('00') },
  ]);
  const { value: pac, tree } = decodePac(pacBytes, BASE);
  const get = (type: number): PacBuffer => pac.buffers.find((b) => b.type === type)!;

  it('decodes every buffer without error, inside the input', () => {
    expect(pac.buffers.filter((b) => b.error)).toEqual([]);
    expectTreeInRange(tree, BASE, pacBytes.length);
  });

  it('PAC_CLIENT_INFO', () => {
    expect(get(10).clientInfo).toEqual({ ClientId: '2024-01-19T01:20:00Z', Name: 'alice' });
  });

  it('UPN_DNS_INFO with the S (extended) and U flags', () => {
    expect(get(12).upnDnsInfo).toEqual({ Upn: 'alice@bench.test', DnsDomainName: 'BENCH.TEST', Flags: 3, SamName: 'alice', Sid: REQUESTOR });
    expect(find(tree, 'Flags').value).toBe('0x00000003 (U (no UPN attribute: Upn was constructed), S (extended with SamName and Sid))');
  });

  it('PAC_SIGNATURE_DATA: lengths by type, RODCIdentifier when bytes remain', () => {
    expect(get(6).signature).toEqual({ type: 16, signature: Buffer.alloc(12, 0xaa), rodcIdentifier: 0x1234 });
    expect(get(7).signature).toEqual({ type: -138, signature: Buffer.alloc(16, 0xbb) });
    expect(get(16).signature).toEqual({ type: 20, signature: Buffer.alloc(24, 0xcc) });
    expect(get(19).signature).toEqual({ type: 19, signature: Buffer.alloc(16, 0xdd) });
    expect(get(16).typeName).toBe('PAC_TICKET_CHECKSUM');
    expect(get(19).typeName).toBe('PAC_FULL_CHECKSUM');
  });

  it('an unknown SignatureType takes the rest of the buffer as the signature', () => {
    const { value } = decodePac(buildPac([{ type: 6, data: signatureData(-999, hex('0102030405')) }]));
    expect(value.buffers[0]?.signature).toEqual({ type: -999, signature: hex('0102030405') });
  });

  it('PAC_ATTRIBUTES_INFO and PAC_REQUESTOR', () => {
    expect(get(17).attributesInfo).toEqual({ FlagsLength: 2, Flags: 1 });
    expect(find(tree, 'buffer[6]').value).toBe('PAC_WAS_REQUESTED');
    expect(get(18).requestorSid).toBe(REQUESTOR);
  });

  it('PAC_CREDENTIAL_INFO keeps SerializedData encrypted', () => {
    expect(get(2).credentialInfo).toEqual({ Version: 0, EncryptionType: 18, SerializedData: Buffer.alloc(40, 0xee) });
  });

  it('S4U_DELEGATION_INFO (NDR, odd-length strings padded to 4 bytes)', () => {
    expect(get(11).delegationInfo).toEqual({ S4U2proxyTarget: 'cifs/files.bench.test', S4UTransitedServices: ['HTTP/web.bench.test', 'mqtt/broker'] });
    const empty = decodePac(buildPac([{ type: 11, data: delegationInfo('host/a', []) }])).value.buffers[0];
    expect(empty?.delegationInfo).toEqual({ S4U2proxyTarget: 'host/a', S4UTransitedServices: [] });
  });

  it('keeps unknown and undecoded buffer types as bytes', () => {
    expect(get(99)).toMatchObject({ typeName: 'unknown buffer type 99', data: hex('0102030405') });
    expect(get(99).data.equals(pacBytes.subarray(get(99).offset, get(99).offset + 5))).toBe(true);
    expect(child(find(tree, 'buffer[10]'), 'data').value).toBe('0102030405');
    expect(get(14)).toMatchObject({ typeName: 'PAC_DEVICE_INFO', data: hex('00') });
  });

  it('pacForServerChecksum zeroes only the signature bytes, not RODCIdentifier', () => {
    const zeroed = pacForServerChecksum(pacBytes, pac);
    const server = get(6);
    expect(zeroed.subarray(server.offset, server.offset + server.size).toString('hex')).toBe('10000000' + '00'.repeat(12) + '3412');
    const kdc = get(7);
    expect(zeroed.subarray(kdc.offset + 4, kdc.offset + kdc.size).every((b) => b === 0)).toBe(true);
    const ticket = get(16);
    expect(zeroed.subarray(ticket.offset, ticket.offset + ticket.size).equals(pacBytes.subarray(ticket.offset, ticket.offset + ticket.size))).toBe(true);
  });
});

describe('decodePac: malformed PACTYPE and buffers', () => {
  function thrown(run: () => unknown): KrbDecodeError {
    try {
      run();
    } catch (error) {
      if (error instanceof KrbDecodeError) return error;
      throw error;
    }
    throw new Error('expected a KrbDecodeError');
  }

  it('throws on a truncated or absurd PACTYPE header', () => {
    expect(thrown(() => decodePac(new Uint8Array(0), 7))).toMatchObject({ structure: 'PAC', field: 'cBuffers', offset: 7 });
    expect(thrown(() => decodePac(hex('01000000'), 7))).toMatchObject({ field: 'Version', offset: 11 });
    const tooMany = new LeWriter().u32(MAX_PAC_BUFFERS + 1).u32(0).done();
    expect(thrown(() => decodePac(tooMany, 3))).toMatchObject({ field: 'cBuffers', offset: 3 });
    const short = new LeWriter().u32(3).u32(0).bytes(Buffer.alloc(20)).done();
    expect(thrown(() => decodePac(short)).reason).toBe('3 PAC_INFO_BUFFER entries need 48 bytes but only 20 remain');
  });

  it('marks a buffer that runs past the end, and decodes the others', () => {
    const copy = Buffer.from(GOKRB5_PAC);
    copy.writeBigUInt64LE(10_000n, 8 + 16 * 2 + 8);
    const { value, tree } = decodePac(copy, 5);
    expect(value.buffers[2]?.error).toBe(`PAC.Buffers[2].Offset at byte ${5 + 48}: Offset 10000 + cbBufferSize 88 runs past the end of the PAC (800 bytes)`);
    expect(value.buffers[2]?.data.length).toBe(0);
    expect(find(tree, 'Buffers[2]').error).toBe(value.buffers[2]?.error);
    expect(value.buffers[0]?.logonInfo?.EffectiveName).toBe('testuser1');
    expect(value.buffers[4]?.signature?.type).toBe(-138);
  });

  it('tolerates a misaligned Offset, and says so', () => {
    const pacBytes = buildPac([{ type: 10, data: clientInfo('bob') }]);
    const shifted = Buffer.concat([pacBytes.subarray(0, 24), Buffer.alloc(1), pacBytes.subarray(24)]);
    shifted.writeBigUInt64LE(25n, 16);
    const { value, tree } = decodePac(shifted);
    expect(value.buffers[0]?.clientInfo?.Name).toBe('bob');
    expect(child(find(tree, 'Buffers[0]'), 'Offset').value).toBe('25 (not 8-byte aligned)');
  });

  it('names the field and absolute byte of a truncated logon info', () => {
    const { value, tree } = decodePac(withBufferSize(GOKRB5_PAC, 0, 300), 100);
    expect(value.buffers[0]?.error).toMatch(/^PAC\.buffer\[0\]\.KERB_VALIDATION_INFO\.\S+ at byte \d+: .* only \d+ remain$/);
    expect(find(tree, 'UserId').value).toBe(1105);
    expect(value.buffers[1]?.clientInfo?.Name).toBe('testuser1');
  });

  it('reports UPN_DNS_INFO string offsets outside the buffer', () => {
    const upn = upnDnsInfo('a@b', 'B');
    upn.writeUInt16LE(500, 2);
    const { value } = decodePac(buildPac([{ type: 12, data: upn }]));
    expect(value.buffers[0]?.error).toMatch(/^PAC\.buffer\[0\]\.UPN_DNS_INFO\.UpnOffset at byte \d+: UpnOffset 500 \+ UpnLength 6 runs past the end of the buffer/);
  });

  it('formats FILETIME edge values without throwing', () => {
    expect(formatFiletime(0n)).toBe('not set');
    expect(formatFiletime(0x7fffffffffffffffn)).toBe('never');
    expect(formatFiletime(1n)).toBe('1601-01-01T00:00:00.0000001Z');
    expect(formatFiletime(0xffffffffffffffffn)).toMatch(/^\+060056-/);
  });
});

describe('decodePac: hostile input', () => {
  const REAL = [
    ['gokrb5', GOKRB5_PAC],
    ['Windows', MS_PAC],
  ] as const;

  it.each(REAL)('every truncation of the %s PAC gives a KrbDecodeError or error-marked buffers', (_name, pac) => {
    for (let n = 0; n < pac.length; n++) decodeHostile(pac.subarray(0, n), 9);
  });

  it.each(REAL)('every shorter cbBufferSize in the %s PAC marks only that buffer', (_name, pac) => {
    const { value } = decodePac(pac);
    value.buffers.forEach((buffer, index) => {
      for (let size = 0; size < buffer.size; size++) {
        const result = decodeHostile(withBufferSize(pac, index, size));
        expect(result?.buffers.filter((b, i) => i !== index && b.error)).toEqual([]);
      }
    });
  });

  it('random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1500 }), fc.nat(1 << 20), (bytes, base) => {
        decodeHostile(bytes, base);
      }),
      { numRuns: 1500 },
    );
  });

  it('random well-formed PACTYPE headers around random buffers', () => {
    const TYPES = [1, 2, 6, 7, 10, 11, 12, 16, 17, 18, 19, 99];
    const buffer = fc.record({ type: fc.constantFrom(...TYPES), data: fc.uint8Array({ maxLength: 300 }) });
    fc.assert(
      fc.property(fc.array(buffer, { maxLength: 8 }), (buffers) => {
        decodeHostile(buildPac(buffers));
      }),
      { numRuns: 1500 },
    );
  });

  it.each(REAL)('random mutations of the %s PAC', (_name, pac) => {
    const mutation = fc.tuple(fc.nat(pac.length - 1), fc.constantFrom(0x00, 0x01, 0x7f, 0x80, 0xff), fc.nat(255));
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 6 }), fc.boolean(), (mutations, useRandomByte) => {
        const copy = Buffer.from(pac);
        for (const [at, special, random] of mutations) copy[at] = useRandomByte ? random : special;
        decodeHostile(copy);
      }),
      { numRuns: 2000 },
    );
  });
});
