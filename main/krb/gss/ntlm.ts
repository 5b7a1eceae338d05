/**
 * NTLMSSP message headers ([MS-NLMP] §2.2.1): enough to recognise that a "Negotiate" exchange
 * fell back to NTLM (no SPN, no ticket, the client not in the domain) and to show who tried.
 * Nothing here verifies NTLM responses. All integers are little-endian; payload strings are
 * described by (Len, MaxLen, BufferOffset) "security buffers" relative to the message start.
 */
import { BinaryReader } from '../binary';
import type { TreeNode } from '../tree';
import { bitNames, hexByte, readField } from './fields';

export const NTLMSSP_SIGNATURE = Buffer.from('NTLMSSP\0', 'latin1');

export const NtlmMessageType = { NEGOTIATE: 1, CHALLENGE: 2, AUTHENTICATE: 3 } as const;
const MESSAGE_NAMES: Record<number, string> = { 1: 'NEGOTIATE_MESSAGE', 2: 'CHALLENGE_MESSAGE', 3: 'AUTHENTICATE_MESSAGE' };

/** [MS-NLMP] §2.2.2.5 NegotiateFlags. */
export const NTLM_FLAGS: Record<number, string> = {
  0x00000001: 'NTLMSSP_NEGOTIATE_UNICODE',
  0x00000002: 'NTLM_NEGOTIATE_OEM',
  0x00000004: 'NTLMSSP_REQUEST_TARGET',
  0x00000010: 'NTLMSSP_NEGOTIATE_SIGN',
  0x00000020: 'NTLMSSP_NEGOTIATE_SEAL',
  0x00000040: 'NTLMSSP_NEGOTIATE_DATAGRAM',
  0x00000080: 'NTLMSSP_NEGOTIATE_LM_KEY',
  0x00000200: 'NTLMSSP_NEGOTIATE_NTLM',
  0x00000800: 'NTLMSSP_ANONYMOUS',
  0x00001000: 'NTLMSSP_NEGOTIATE_OEM_DOMAIN_SUPPLIED',
  0x00002000: 'NTLMSSP_NEGOTIATE_OEM_WORKSTATION_SUPPLIED',
  0x00008000: 'NTLMSSP_NEGOTIATE_ALWAYS_SIGN',
  0x00010000: 'NTLMSSP_TARGET_TYPE_DOMAIN',
  0x00020000: 'NTLMSSP_TARGET_TYPE_SERVER',
  0x00080000: 'NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY',
  0x00100000: 'NTLMSSP_NEGOTIATE_IDENTIFY',
  0x00400000: 'NTLMSSP_REQUEST_NON_NT_SESSION_KEY',
  0x00800000: 'NTLMSSP_NEGOTIATE_TARGET_INFO',
  0x02000000: 'NTLMSSP_NEGOTIATE_VERSION',
  0x20000000: 'NTLMSSP_NEGOTIATE_128',
  0x40000000: 'NTLMSSP_NEGOTIATE_KEY_EXCH',
  0x80000000: 'NTLMSSP_NEGOTIATE_56',
};

const NEGOTIATE_UNICODE = 0x00000001;
const NEGOTIATE_VERSION = 0x02000000;

/** [MS-NLMP] §2.2.2.1 AV_PAIR ids in TargetInfo. */
const AV_IDS: Record<number, string> = {
  0: 'MsvAvEOL',
  1: 'MsvAvNbComputerName',
  2: 'MsvAvNbDomainName',
  3: 'MsvAvDnsComputerName',
  4: 'MsvAvDnsDomainName',
  5: 'MsvAvDnsTreeName',
  6: 'MsvAvFlags',
  7: 'MsvAvTimestamp',
  8: 'MsvAvSingleHost',
  9: 'MsvAvTargetName',
  10: 'MsvAvChannelBindings',
};
const STRING_AV_IDS = new Set([1, 2, 3, 4, 5, 9]);
const MAX_AV_PAIRS = 64;

export function isNtlmssp(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && NTLMSSP_SIGNATURE.equals(bytes.subarray(0, 8));
}

export interface NtlmVersion {
  major: number;
  minor: number;
  build: number;
  ntlmRevision: number;
}

export interface AvPair {
  id: number;
  name: string;
  value: string;
}

interface NtlmCommon {
  flags: number;
  flagNames: string[];
  version?: NtlmVersion;
}

export interface NtlmNegotiate extends NtlmCommon {
  messageType: 1;
  domain?: string;
  workstation?: string;
}

export interface NtlmChallenge extends NtlmCommon {
  messageType: 2;
  targetName: string;
  serverChallenge: Buffer;
  targetInfo: AvPair[];
}

export interface NtlmAuthenticate extends NtlmCommon {
  messageType: 3;
  domain: string;
  user: string;
  workstation: string;
  lmResponseLength: number;
  ntResponseLength: number;
  /** NTLMv2 when the NT response is longer than 24 bytes; anonymous when both responses are empty. */
  responseVersion: 'NTLMv2' | 'NTLMv1' | 'anonymous';
  encryptedRandomSessionKeyLength: number;
  /** Present when the fixed header leaves room for it (Windows Vista and later). */
  mic?: Buffer;
}

export type NtlmMessage = NtlmNegotiate | NtlmChallenge | NtlmAuthenticate;

const STRUCTURE = 'NTLMSSP';

/** One security buffer: read its (Len, MaxLen, BufferOffset) and fetch the bytes it points to. */
interface SecurityBuffer {
  bytes: Buffer;
  offset: number;
  fieldNode: TreeNode;
  payloadNode?: TreeNode;
}

class NtlmReader {
  readonly r: BinaryReader;
  /** Where the payload starts: the lowest offset a non-empty security buffer points to. */
  payloadStart: number;

  constructor(
    readonly bytes: Uint8Array,
    readonly base: number,
  ) {
    this.r = new BinaryReader(bytes, STRUCTURE, 0, base);
    this.payloadStart = bytes.length;
  }

  /** True when `size` more header bytes fit before the payload (old peers send shorter headers). */
  fits(size: number): boolean {
    return this.r.offset + size <= this.payloadStart;
  }

  securityBuffer(name: string, payloadType: string): SecurityBuffer {
    const r = this.r;
    const start = r.position;
    const len = r.node('Len', 'uint16', () => r.uint16(`${name}Fields.Len`, true));
    const maxLen = r.node('MaxLen', 'uint16', () => r.uint16(`${name}Fields.MaxLen`, true));
    const offset = r.node('BufferOffset', 'uint32', () => r.uint32(`${name}Fields.BufferOffset`, true));
    const fieldNode: TreeNode = { name: `${name}Fields`, type: 'security buffer', offset: start, length: 8, children: [len.node, maxLen.node, offset.node] };
    if (len.value === 0) return { bytes: Buffer.alloc(0), offset: offset.value, fieldNode };
    if (offset.value + len.value > this.bytes.length) {
      r.fail(`${name}Fields`, `${name} points at bytes ${offset.value}..${offset.value + len.value} but the message has ${this.bytes.length}`, start - this.base);
    }
    this.payloadStart = Math.min(this.payloadStart, offset.value);
    const bytes = Buffer.from(this.bytes.subarray(offset.value, offset.value + len.value));
    return { bytes, offset: offset.value, fieldNode, payloadNode: { name, type: payloadType, offset: this.base + offset.value, length: len.value } };
  }

  version(nodes: TreeNode[], flags: number): NtlmVersion | undefined {
    if (!(flags & NEGOTIATE_VERSION) || !this.fits(8)) return undefined;
    const r = this.r;
    const v = readField(r, 'Version', 'VERSION', () => {
      const major = r.uint8('Version.ProductMajorVersion');
      const minor = r.uint8('Version.ProductMinorVersion');
      const build = r.uint16('Version.ProductBuild', true);
      r.bytesOf('Version.Reserved', 3);
      return { major, minor, build, ntlmRevision: r.uint8('Version.NTLMRevisionCurrent') };
    }, (v) => `${v.major}.${v.minor} build ${v.build}, NTLM revision ${v.ntlmRevision}`);
    nodes.push(v.node);
    return v.value;
  }
}

function text(buffer: SecurityBuffer, unicode: boolean): string {
  const value = buffer.bytes.toString(unicode ? 'utf16le' : 'latin1');
  if (buffer.payloadNode) buffer.payloadNode.value = value;
  return value;
}

function readFlags(n: NtlmReader): { value: number; node: TreeNode } {
  return n.r.node('NegotiateFlags', 'uint32', () => n.r.uint32('NegotiateFlags', true), (v) => [hexByte(v, 8), ...bitNames(v, NTLM_FLAGS)]);
}

function negotiate(n: NtlmReader, nodes: TreeNode[], payload: TreeNode[]): NtlmNegotiate {
  const flags = readFlags(n);
  nodes.push(flags.node);
  const out: NtlmNegotiate = { messageType: 1, flags: flags.value, flagNames: bitNames(flags.value, NTLM_FLAGS) };
  if (!n.fits(16)) return out;
  // Domain and workstation in a NEGOTIATE_MESSAGE are always OEM ([MS-NLMP] §2.2.1.1).
  const domain = n.securityBuffer('DomainName', 'OEM string');
  const workstation = n.securityBuffer('Workstation', 'OEM string');
  nodes.push(domain.fieldNode, workstation.fieldNode);
  if (domain.bytes.length) out.domain = text(domain, false);
  if (workstation.bytes.length) out.workstation = text(workstation, false);
  payload.push(...[domain.payloadNode, workstation.payloadNode].filter((p): p is TreeNode => p !== undefined));
  const version = n.version(nodes, flags.value);
  if (version) out.version = version;
  return out;
}

function avPairs(buffer: SecurityBuffer, base: number): AvPair[] {
  const r = new BinaryReader(buffer.bytes, `${STRUCTURE} TargetInfo`, 0, base + buffer.offset);
  const pairs: AvPair[] = [];
  const nodes: TreeNode[] = [];
  while (r.remaining > 0 && pairs.length < MAX_AV_PAIRS) {
    const start = r.position;
    const id = r.uint16('AvId', true);
    const length = r.uint16('AvLen', true);
    const data = r.bytesOf(AV_IDS[id] ?? `AvId ${id}`, length);
    const pair: AvPair = { id, name: AV_IDS[id] ?? `AvId ${id}`, value: avValue(id, data) };
    nodes.push({ name: pair.name, type: 'AV_PAIR', offset: start, length: 4 + length, value: pair.value });
    if (id === 0) break;
    pairs.push(pair);
  }
  if (buffer.payloadNode) buffer.payloadNode.children = nodes;
  return pairs;
}

function avValue(id: number, data: Buffer): string {
  if (STRING_AV_IDS.has(id)) return data.toString('utf16le');
  if (id === 6 && data.length === 4) return hexByte(data.readUInt32LE(0), 8);
  if (id === 7 && data.length === 8) {
    // FILETIME: 100-ns ticks since 1601-01-01.
    const ms = Number(data.readBigUInt64LE(0) / 10_000n) - 11_644_473_600_000;
    const date = new Date(ms);
    return Number.isNaN(date.getTime()) ? data.toString('hex') : date.toISOString();
  }
  return data.toString('hex');
}

function challenge(n: NtlmReader, nodes: TreeNode[], payload: TreeNode[]): NtlmChallenge {
  const r = n.r;
  const target = n.securityBuffer('TargetName', 'string');
  const flags = readFlags(n);
  const serverChallenge = readField(r, 'ServerChallenge', '8 bytes', () => r.bytesOf('ServerChallenge', 8), (v) => v.toString('hex'));
  nodes.push(target.fieldNode, flags.node, serverChallenge.node);
  const out: NtlmChallenge = {
    messageType: 2,
    flags: flags.value,
    flagNames: bitNames(flags.value, NTLM_FLAGS),
    targetName: text(target, (flags.value & NEGOTIATE_UNICODE) !== 0),
    serverChallenge: serverChallenge.value,
    targetInfo: [],
  };
  if (target.payloadNode) payload.push(target.payloadNode);
  if (!n.fits(16)) return out;
  nodes.push(readField(r, 'Reserved', '8 bytes', () => r.bytesOf('Reserved', 8), (v) => v.toString('hex')).node);
  const info = n.securityBuffer('TargetInfo', 'AV_PAIR list');
  nodes.push(info.fieldNode);
  out.targetInfo = avPairs(info, n.base);
  if (info.payloadNode) payload.push(info.payloadNode);
  const version = n.version(nodes, flags.value);
  if (version) out.version = version;
  return out;
}

function authenticate(n: NtlmReader, nodes: TreeNode[], payload: TreeNode[]): NtlmAuthenticate {
  const r = n.r;
  const lm = n.securityBuffer('LmChallengeResponse', 'LM response');
  const nt = n.securityBuffer('NtChallengeResponse', 'NT response');
  const domain = n.securityBuffer('DomainName', 'string');
  const user = n.securityBuffer('UserName', 'string');
  const workstation = n.securityBuffer('Workstation', 'string');
  nodes.push(lm.fieldNode, nt.fieldNode, domain.fieldNode, user.fieldNode, workstation.fieldNode);
  let sessionKeyLength = 0;
  let flags = NEGOTIATE_UNICODE; // NTLM before the flags field existed: Unicode is the safe guess.
  if (n.fits(8)) {
    const key = n.securityBuffer('EncryptedRandomSessionKey', 'encrypted session key');
    nodes.push(key.fieldNode);
    sessionKeyLength = key.bytes.length;
    if (key.payloadNode) payload.push(key.payloadNode);
  }
  if (n.fits(4)) {
    const f = readFlags(n);
    nodes.push(f.node);
    flags = f.value;
  }
  const unicode = (flags & NEGOTIATE_UNICODE) !== 0;
  const out: NtlmAuthenticate = {
    messageType: 3,
    flags,
    flagNames: bitNames(flags, NTLM_FLAGS),
    domain: text(domain, unicode),
    user: text(user, unicode),
    workstation: text(workstation, unicode),
    lmResponseLength: lm.bytes.length,
    ntResponseLength: nt.bytes.length,
    responseVersion: nt.bytes.length > 24 ? 'NTLMv2' : nt.bytes.length === 0 && lm.bytes.length <= 1 ? 'anonymous' : 'NTLMv1',
    encryptedRandomSessionKeyLength: sessionKeyLength,
  };
  if (nt.payloadNode) nt.payloadNode.value = `${nt.bytes.length} bytes (${out.responseVersion})`;
  payload.unshift(...[lm.payloadNode, nt.payloadNode, domain.payloadNode, user.payloadNode, workstation.payloadNode].filter((p): p is TreeNode => p !== undefined));
  const version = n.version(nodes, flags);
  if (version) out.version = version;
  if (version && n.fits(16)) {
    const micField = readField(r, 'MIC', '16 bytes', () => r.bytesOf('MIC', 16), (v) => v.toString('hex'));
    nodes.push(micField.node);
    out.mic = micField.value;
  }
  return out;
}

function summary(m: NtlmMessage): string {
  if (m.messageType === 1) return `NEGOTIATE${m.domain || m.workstation ? ` from ${m.domain ?? ''}\\${m.workstation ?? ''}` : ''}`;
  if (m.messageType === 2) return `CHALLENGE from ${m.targetName || 'an unnamed target'}`;
  return `AUTHENTICATE ${m.domain}\\${m.user} from ${m.workstation || 'an unnamed workstation'} (${m.responseVersion})`;
}

/**
 * Decodes an NTLMSSP NEGOTIATE, CHALLENGE or AUTHENTICATE message; throws KrbDecodeError for a
 * missing signature, an unknown MessageType, a cut-short header or a buffer pointing outside.
 */
export function decodeNtlmssp(bytes: Uint8Array, base = 0): { value: NtlmMessage; tree: TreeNode } {
  const n = new NtlmReader(bytes, base);
  const r = n.r;
  const signature = readField(r, 'Signature', '8 bytes', () => r.bytesOf('Signature', 8), (v) => JSON.stringify(v.toString('latin1')));
  if (!signature.value.equals(NTLMSSP_SIGNATURE)) r.fail('Signature', 'an NTLMSSP message starts with "NTLMSSP\\0"', 0);
  const type = r.node('MessageType', 'uint32', () => r.uint32('MessageType', true), (v) => `${MESSAGE_NAMES[v] ?? 'unknown'} (${v})`);
  const nodes = [signature.node, type.node];
  const payload: TreeNode[] = [];
  let value: NtlmMessage;
  if (type.value === NtlmMessageType.NEGOTIATE) value = negotiate(n, nodes, payload);
  else if (type.value === NtlmMessageType.CHALLENGE) value = challenge(n, nodes, payload);
  else if (type.value === NtlmMessageType.AUTHENTICATE) value = authenticate(n, nodes, payload);
  else return r.fail('MessageType', `MessageType ${type.value} is not 1 (NEGOTIATE), 2 (CHALLENGE) or 3 (AUTHENTICATE)`, 8);
  const tree: TreeNode = {
    name: 'NTLMSSP',
    type: `NTLMSSP ${MESSAGE_NAMES[type.value]} (type ${type.value})`,
    offset: base,
    length: bytes.length,
    value: summary(value),
    children: [...nodes, ...payload.sort((a, b) => a.offset - b.offset)],
  };
  return { value, tree };
}
