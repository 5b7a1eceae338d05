/**
 * The Microsoft Privilege Attribute Certificate (MS-PAC): the ad-data of AD-WIN2K-PAC (ad-type 128,
 * usually inside AD-IF-RELEVANT). Little-endian binary: a PACTYPE header (§2.3) lists buffers by
 * type, size and offset; each buffer is decoded by its type and every field is linked to its bytes.
 *
 * Bad bytes never escape as a bare exception: a broken PACTYPE header throws KrbDecodeError; a
 * broken buffer gets an `error` (on its PacBuffer and its tree node) and the others still decode.
 */
import { KrbDecodeError } from '../errors';
import { checksumTypeName, enctypeName } from '../names';
import type { TreeNode } from '../tree';
import { decodeClaimsInfo, summarizeClaimsInfo, type PacClaimsInfo } from './pac-claims';
import {
  flagNames,
  hex32,
  PAC_STRUCTURE,
  PacReader,
  readMaxCount,
  readNdrHeaders,
  readRpcSid,
  readSid,
  readUnicodeStringBody,
  readUnicodeStringHeader,
  showBlob,
  showFlags,
  showHex,
  type Shown,
  type UnicodeStringHeader,
} from './pac-ndr';

export { formatFiletime, formatSid } from './pac-ndr';

const STRUCTURE = PAC_STRUCTURE;

/** Real PACs carry fewer than 20 buffers; the cap keeps a hostile cBuffers from driving allocation. */
export const MAX_PAC_BUFFERS = 1024;

/** PAC_INFO_BUFFER is ulType (4) + cbBufferSize (4) + Offset (8). */
const PAC_INFO_BUFFER_SIZE = 16;

/** ulType values (MS-PAC §2.4). */
export const PAC_BUFFER_TYPES: Record<number, string> = {
  1: 'KERB_VALIDATION_INFO',
  2: 'PAC_CREDENTIAL_INFO',
  6: 'PAC_SERVER_CHECKSUM',
  7: 'PAC_PRIVSVR_CHECKSUM',
  10: 'PAC_CLIENT_INFO',
  11: 'S4U_DELEGATION_INFO',
  12: 'UPN_DNS_INFO',
  13: 'PAC_CLIENT_CLAIMS_INFO',
  14: 'PAC_DEVICE_INFO',
  15: 'PAC_DEVICE_CLAIMS_INFO',
  16: 'PAC_TICKET_CHECKSUM',
  17: 'PAC_ATTRIBUTES_INFO',
  18: 'PAC_REQUESTOR',
  19: 'PAC_FULL_CHECKSUM',
};

export function pacBufferTypeName(ulType: number): string {
  return PAC_BUFFER_TYPES[ulType] ?? `unknown buffer type ${ulType}`;
}

/** Buffers that are NDR (MS-RPCE type serialization version 1) streams we decode. */
const NDR_BUFFER_TYPES = new Set([1, 11, 13, 15]);

/** Buffers that are PAC_SIGNATURE_DATA (MS-PAC §2.8). */
const SIGNATURE_BUFFER_TYPES = new Set([6, 7, 16, 19]);

/** Signature length by SignatureType (RFC 3961/3962/4757/8009 checksum sizes). */
const SIGNATURE_LENGTHS: Record<number, number> = { [-138]: 16, 15: 12, 16: 12, 19: 16, 20: 24 };

/** SE_GROUP_* attributes of GROUP_MEMBERSHIP and KERB_SID_AND_ATTRIBUTES (MS-PAC §2.2.1). */
const GROUP_ATTRIBUTES: Record<number, string> = {
  0x1: 'SE_GROUP_MANDATORY',
  0x2: 'SE_GROUP_ENABLED_BY_DEFAULT',
  0x4: 'SE_GROUP_ENABLED',
  0x8: 'SE_GROUP_OWNER',
  0x10: 'SE_GROUP_USE_FOR_DENY_ONLY',
  0x20: 'SE_GROUP_INTEGRITY',
  0x40: 'SE_GROUP_INTEGRITY_ENABLED',
  0x20000000: 'SE_GROUP_RESOURCE',
};

/** KERB_VALIDATION_INFO.UserFlags (MS-PAC §2.5, as in MS-NRPC NETLOGON_VALIDATION_SAM_INFO). */
const USER_FLAGS: Record<number, string> = {
  0x1: 'guest',
  0x2: 'no-encryption',
  0x8: 'lm-key',
  0x20: 'extra-sids',
  0x40: 'sub-auth',
  0x80: 'machine-account',
  0x100: 'dc-ntlmv2',
  0x200: 'resource-groups',
  0x400: 'profile-path',
  0x800: 'ntlmv2-response',
  0x1000: 'lmv2-response',
  0x2000: 'lmv2-auth-ntlmv2-key',
};

/** UserAccountControl: MS-SAMR §2.2.1.12 USER_ACCOUNT codes. */
const USER_ACCOUNT_CONTROL: Record<number, string> = {
  0x1: 'USER_ACCOUNT_DISABLED',
  0x2: 'USER_HOME_DIRECTORY_REQUIRED',
  0x4: 'USER_PASSWORD_NOT_REQUIRED',
  0x8: 'USER_TEMP_DUPLICATE_ACCOUNT',
  0x10: 'USER_NORMAL_ACCOUNT',
  0x20: 'USER_MNS_LOGON_ACCOUNT',
  0x40: 'USER_INTERDOMAIN_TRUST_ACCOUNT',
  0x80: 'USER_WORKSTATION_TRUST_ACCOUNT',
  0x100: 'USER_SERVER_TRUST_ACCOUNT',
  0x200: 'USER_DONT_EXPIRE_PASSWORD',
  0x400: 'USER_ACCOUNT_AUTO_LOCKED',
  0x800: 'USER_ENCRYPTED_TEXT_PASSWORD_ALLOWED',
  0x1000: 'USER_SMARTCARD_REQUIRED',
  0x2000: 'USER_TRUSTED_FOR_DELEGATION',
  0x4000: 'USER_NOT_DELEGATED',
  0x8000: 'USER_USE_DES_KEY_ONLY',
  0x10000: 'USER_DONT_REQUIRE_PREAUTH',
  0x20000: 'USER_PASSWORD_EXPIRED',
  0x40000: 'USER_TRUSTED_TO_AUTHENTICATE_FOR_DELEGATION',
  0x80000: 'USER_NO_AUTH_DATA_REQUIRED',
  0x100000: 'USER_PARTIAL_SECRETS_ACCOUNT',
  0x200000: 'USER_USE_AES_KEYS',
};

/** UPN_DNS_INFO.Flags (MS-PAC §2.10). */
const UPN_DNS_FLAGS: Record<number, string> = {
  0x1: 'U (no UPN attribute: Upn was constructed)',
  0x2: 'S (extended with SamName and Sid)',
};
const UPN_DNS_EXTENDED = 0x2;

/** PAC_ATTRIBUTES_INFO.Flags (MS-PAC §2.14). */
const PAC_ATTRIBUTES: Record<number, string> = { 0x1: 'PAC_WAS_REQUESTED', 0x2: 'PAC_WAS_GIVEN_IMPLICITLY' };

// ---- Decoded values ------------------------------------------------------------------------

export interface GroupMembership {
  RelativeId: number;
  Attributes: number;
}

export interface SidAndAttributes {
  /** S-R-I-S… form; "" when the Sid pointer was NULL. */
  Sid: string;
  Attributes: number;
}

/** MS-PAC §2.5. Times are ISO-8601 UTC, "never" (0x7fffffffffffffff) or "not set" (0). */
export interface KerbValidationInfo {
  LogonTime: string;
  LogoffTime: string;
  KickOffTime: string;
  PasswordLastSet: string;
  PasswordCanChange: string;
  PasswordMustChange: string;
  EffectiveName: string;
  FullName: string;
  LogonScript: string;
  ProfilePath: string;
  HomeDirectory: string;
  HomeDirectoryDrive: string;
  LogonCount: number;
  BadPasswordCount: number;
  UserId: number;
  PrimaryGroupId: number;
  GroupIds: GroupMembership[];
  UserFlags: number;
  LogonServer: string;
  LogonDomainName: string;
  LogonDomainId?: string;
  UserAccountControl: number;
  SubAuthStatus: number;
  LastSuccessfulILogon: string;
  LastFailedILogon: string;
  FailedILogonCount: number;
  ExtraSids: SidAndAttributes[];
  ResourceGroupDomainSid?: string;
  ResourceGroupIds: GroupMembership[];
}

/** MS-PAC §2.7. */
export interface PacClientInfo {
  ClientId: string;
  Name: string;
}

/** MS-PAC §2.10. */
export interface UpnDnsInfo {
  Upn: string;
  DnsDomainName: string;
  Flags: number;
  SamName?: string;
  Sid?: string;
}

/** MS-PAC §2.8 PAC_SIGNATURE_DATA. */
export interface PacSignatureData {
  type: number;
  signature: Buffer;
  rodcIdentifier?: number;
}

/** MS-PAC §2.6.1 PAC_CREDENTIAL_INFO: SerializedData stays encrypted (AS reply key). */
export interface PacCredentialInfo {
  Version: number;
  EncryptionType: number;
  SerializedData: Buffer;
}

/** MS-PAC §2.9 S4U_DELEGATION_INFO. */
export interface S4uDelegationInfo {
  S4U2proxyTarget: string;
  S4UTransitedServices: string[];
}

/** MS-PAC §2.14 PAC_ATTRIBUTES_INFO. */
export interface PacAttributesInfo {
  /** Length of Flags in bits. */
  FlagsLength: number;
  Flags: number;
}

export interface PacBuffer {
  type: number;
  typeName: string;
  /** PAC_INFO_BUFFER.Offset: from the PAC's first byte (add `base` for the position in the input). */
  offset: number;
  size: number;
  /** The buffer's bytes (a view on the input, not a copy); empty when Offset/cbBufferSize are out of range. */
  data: Buffer;
  /** Why this buffer could not be decoded completely. */
  error?: string;
  logonInfo?: KerbValidationInfo;
  credentialInfo?: PacCredentialInfo;
  clientInfo?: PacClientInfo;
  delegationInfo?: S4uDelegationInfo;
  upnDnsInfo?: UpnDnsInfo;
  signature?: PacSignatureData;
  attributesInfo?: PacAttributesInfo;
  /** PAC_CLIENT_CLAIMS_INFO or PAC_DEVICE_CLAIMS_INFO. */
  claimsInfo?: PacClaimsInfo;
  /** PAC_REQUESTOR: the SID of the client the TGT was issued to. */
  requestorSid?: string;
}

export interface Pac {
  version: number;
  buffers: PacBuffer[];
}

const showGroupAttributes = showFlags(GROUP_ATTRIBUTES);

function readGroupMemberships(r: PacReader, out: TreeNode[], name: string, countName: string, count: number): GroupMembership[] {
  return r.group(
    out,
    name,
    'GROUP_MEMBERSHIP[]',
    (c, node) => {
      const maxCount = readMaxCount(r, c, countName, count, 8);
      node.type = `GROUP_MEMBERSHIP[${maxCount}]`;
      const groups: GroupMembership[] = [];
      for (let i = 0; i < maxCount; i++) {
        groups.push(
          r.group(
            c,
            `${name}[${i}]`,
            'GROUP_MEMBERSHIP',
            (g) => ({ RelativeId: r.u32(g, 'RelativeId'), Attributes: r.u32(g, 'Attributes', showGroupAttributes) }),
            (m) => `RID ${m.RelativeId}, ${showGroupAttributes(m.Attributes)}`,
            `[${i}]`,
          ),
        );
      }
      return groups;
    },
    (groups) => groups.map((g) => g.RelativeId).join(', ') || '(none)',
  );
}

/** KERB_SID_AND_ATTRIBUTES[]: the SIDs they point to follow the array, in order. */
function readExtraSids(r: PacReader, out: TreeNode[], sidCount: number): SidAndAttributes[] {
  return r.group(
    out,
    'ExtraSids',
    'KERB_SID_AND_ATTRIBUTES[]',
    (c, node) => {
      const maxCount = readMaxCount(r, c, 'SidCount', sidCount, 8);
      node.type = `KERB_SID_AND_ATTRIBUTES[${maxCount}]`;
      const entries = [];
      for (let i = 0; i < maxCount; i++) {
        entries.push(
          r.group(
            c,
            `ExtraSids[${i}]`,
            'KERB_SID_AND_ATTRIBUTES',
            (e, entryNode) => ({ entryNode, pointer: r.pointer(e, 'Sid'), Attributes: r.u32(e, 'Attributes', showGroupAttributes) }),
            undefined,
            `[${i}]`,
          ),
        );
      }
      return entries.map(({ entryNode, pointer, Attributes }, i): SidAndAttributes => {
        const Sid = pointer === 0 ? '' : readRpcSid(r, c, `ExtraSids[${i}].Sid`, `[${i}].Sid`);
        entryNode.value = `${Sid || 'NULL'}, ${showGroupAttributes(Attributes)}`;
        return { Sid, Attributes };
      });
    },
    (sids) => sids.map((s) => s.Sid).join(', ') || '(none)',
  );
}

// ---- Buffer decoders -----------------------------------------------------------------------

const VALIDATION_TIMES = ['LogonTime', 'LogoffTime', 'KickOffTime', 'PasswordLastSet', 'PasswordCanChange', 'PasswordMustChange'] as const;
const VALIDATION_NAMES = ['EffectiveName', 'FullName', 'LogonScript', 'ProfilePath', 'HomeDirectory', 'HomeDirectoryDrive'] as const;

/** KERB_VALIDATION_INFO (MS-PAC §2.5): the fixed part, then the pointees in pointer order. */
function readValidationInfo(r: PacReader, c: TreeNode[]): KerbValidationInfo {
  const times = Object.fromEntries(VALIDATION_TIMES.map((name) => [name, r.filetime(c, name)])) as Record<(typeof VALIDATION_TIMES)[number], string>;
  const nameHeaders = VALIDATION_NAMES.map((name) => readUnicodeStringHeader(r, c, name));
  const LogonCount = r.u16(c, 'LogonCount');
  const BadPasswordCount = r.u16(c, 'BadPasswordCount');
  const UserId = r.u32(c, 'UserId');
  const PrimaryGroupId = r.u32(c, 'PrimaryGroupId');
  const GroupCount = r.u32(c, 'GroupCount');
  const groupIdsPointer = r.pointer(c, 'GroupIds');
  const UserFlags = r.u32(c, 'UserFlags', showFlags(USER_FLAGS));
  // Unused by Kerberos (zero), but a session key all the same: hidden unless it is zero.
  r.raw(c, 'UserSessionKey', 'USER_SESSION_KEY', 16, (b) => (b.every((x) => x === 0) ? '16 zero bytes' : `<${b.length} bytes hidden>`), 4);
  const logonServerHeader = readUnicodeStringHeader(r, c, 'LogonServer');
  const logonDomainNameHeader = readUnicodeStringHeader(r, c, 'LogonDomainName');
  const logonDomainIdPointer = r.pointer(c, 'LogonDomainId');
  r.raw(c, 'Reserved1', 'ULONG[2]', 8, showHex, 4);
  const UserAccountControl = r.u32(c, 'UserAccountControl', showFlags(USER_ACCOUNT_CONTROL));
  const SubAuthStatus = r.u32(c, 'SubAuthStatus');
  const LastSuccessfulILogon = r.filetime(c, 'LastSuccessfulILogon');
  const LastFailedILogon = r.filetime(c, 'LastFailedILogon');
  const FailedILogonCount = r.u32(c, 'FailedILogonCount');
  r.u32(c, 'Reserved3');
  const SidCount = r.u32(c, 'SidCount');
  const extraSidsPointer = r.pointer(c, 'ExtraSids');
  const resourceGroupDomainSidPointer = r.pointer(c, 'ResourceGroupDomainSid');
  const ResourceGroupCount = r.u32(c, 'ResourceGroupCount');
  const resourceGroupIdsPointer = r.pointer(c, 'ResourceGroupIds');

  // NDR puts the pointees after the structure, in the order their pointers appear in it.
  const names = nameHeaders.map((header, i) => readUnicodeStringBody(r, c, VALIDATION_NAMES[i]!, header));
  const GroupIds = groupIdsPointer ? readGroupMemberships(r, c, 'GroupIds', 'GroupCount', GroupCount) : [];
  const LogonServer = readUnicodeStringBody(r, c, 'LogonServer', logonServerHeader);
  const LogonDomainName = readUnicodeStringBody(r, c, 'LogonDomainName', logonDomainNameHeader);
  const LogonDomainId = logonDomainIdPointer ? readRpcSid(r, c, 'LogonDomainId') : undefined;
  const ExtraSids = extraSidsPointer ? readExtraSids(r, c, SidCount) : [];
  const ResourceGroupDomainSid = resourceGroupDomainSidPointer ? readRpcSid(r, c, 'ResourceGroupDomainSid') : undefined;
  const ResourceGroupIds = resourceGroupIdsPointer ? readGroupMemberships(r, c, 'ResourceGroupIds', 'ResourceGroupCount', ResourceGroupCount) : [];

  const [EffectiveName, FullName, LogonScript, ProfilePath, HomeDirectory, HomeDirectoryDrive] = names as [string, string, string, string, string, string];
  return {
    ...times,
    EffectiveName,
    FullName,
    LogonScript,
    ProfilePath,
    HomeDirectory,
    HomeDirectoryDrive,
    LogonCount,
    BadPasswordCount,
    UserId,
    PrimaryGroupId,
    GroupIds,
    UserFlags,
    LogonServer,
    LogonDomainName,
    ...(LogonDomainId !== undefined && { LogonDomainId }),
    UserAccountControl,
    SubAuthStatus,
    LastSuccessfulILogon,
    LastFailedILogon,
    FailedILogonCount,
    ExtraSids,
    ...(ResourceGroupDomainSid !== undefined && { ResourceGroupDomainSid }),
    ResourceGroupIds,
  };
}

function decodeLogonInfo(r: PacReader, out: TreeNode[]): KerbValidationInfo {
  readNdrHeaders(r, out);
  return r.group(out, 'KERB_VALIDATION_INFO', 'KERB_VALIDATION_INFO', (c) => readValidationInfo(r, c), summarizeLogonInfo, '');
}

function summarizeLogonInfo(info: KerbValidationInfo): string {
  return `${info.LogonDomainName}\\${info.EffectiveName}, UserId ${info.UserId}, ${info.GroupIds.length} group(s), ${info.ExtraSids.length} extra SID(s)`;
}

function decodeDelegationInfo(r: PacReader, out: TreeNode[]): S4uDelegationInfo {
  readNdrHeaders(r, out);
  return r.group(
    out,
    'S4U_DELEGATION_INFO',
    'S4U_DELEGATION_INFO',
    (c) => {
      const targetHeader = readUnicodeStringHeader(r, c, 'S4U2proxyTarget');
      const TransitedListSize = r.u32(c, 'TransitedListSize');
      const listPointer = r.pointer(c, 'S4UTransitedServices');
      const S4U2proxyTarget = readUnicodeStringBody(r, c, 'S4U2proxyTarget', targetHeader);
      const S4UTransitedServices = listPointer ? readUnicodeStringArray(r, c, 'S4UTransitedServices', 'TransitedListSize', TransitedListSize) : [];
      return { S4U2proxyTarget, S4UTransitedServices };
    },
    (d) => `${d.S4U2proxyTarget} via ${d.S4UTransitedServices.join(', ') || '(none)'}`,
    '',
  );
}

/** A conformant array of RPC_UNICODE_STRING: headers first, then each string's characters. */
function readUnicodeStringArray(r: PacReader, out: TreeNode[], name: string, countName: string, count: number): string[] {
  return r.group(
    out,
    name,
    'RPC_UNICODE_STRING[]',
    (c, node) => {
      const maxCount = readMaxCount(r, c, countName, count, 8);
      node.type = `RPC_UNICODE_STRING[${maxCount}]`;
      const headers: UnicodeStringHeader[] = [];
      for (let i = 0; i < maxCount; i++) headers.push(readUnicodeStringHeader(r, c, `${name}[${i}]`, `[${i}]`));
      return headers.map((header, i) => readUnicodeStringBody(r, c, `${name}[${i}]`, header, `[${i}]`));
    },
    (strings) => strings.join(', ') || '(none)',
  );
}

function decodeSignature(r: PacReader, out: TreeNode[]): PacSignatureData {
  const type = r.i32(out, 'SignatureType', (v) => `${v} (${checksumTypeName(v)})`);
  const signature = r.raw(out, 'Signature', 'uint8[]', SIGNATURE_LENGTHS[type] ?? r.remaining, showHex);
  const result: PacSignatureData = { type, signature };
  // Only a read-only DC's signatures carry RODCIdentifier (MS-PAC §2.8).
  if (r.remaining >= 2) result.rodcIdentifier = r.u16(out, 'RODCIdentifier');
  return result;
}

function decodeClientInfo(r: PacReader, out: TreeNode[]): PacClientInfo {
  const ClientId = r.filetime(out, 'ClientId');
  const nameLength = r.u16(out, 'NameLength');
  return { ClientId, Name: r.utf16(out, 'Name', nameLength) };
}

/** A UPN_DNS_INFO string: UTF-16LE at an offset from the buffer start. */
function readStringAt(r: PacReader, out: TreeNode[], name: string, offset: number, length: number): string {
  if (length === 0) return '';
  if (offset + length > r.size) {
    r.failField(`${name}Offset`, `${name}Offset ${offset} + ${name}Length ${length} runs past the end of the buffer (${r.size} bytes)`);
  }
  return r.at(offset, () => r.utf16(out, name, length));
}

function decodeUpnDnsInfo(r: PacReader, out: TreeNode[]): UpnDnsInfo {
  const upnLength = r.u16(out, 'UpnLength');
  const upnOffset = r.u16(out, 'UpnOffset');
  const dnsLength = r.u16(out, 'DnsDomainNameLength');
  const dnsOffset = r.u16(out, 'DnsDomainNameOffset');
  const Flags = r.u32(out, 'Flags', showFlags(UPN_DNS_FLAGS));
  const extended = (Flags & UPN_DNS_EXTENDED) !== 0;
  const samLength = extended ? r.u16(out, 'SamNameLength') : 0;
  const samOffset = extended ? r.u16(out, 'SamNameOffset') : 0;
  const sidLength = extended ? r.u16(out, 'SidLength') : 0;
  const sidOffset = extended ? r.u16(out, 'SidOffset') : 0;
  const info: UpnDnsInfo = {
    Upn: readStringAt(r, out, 'Upn', upnOffset, upnLength),
    DnsDomainName: readStringAt(r, out, 'DnsDomainName', dnsOffset, dnsLength),
    Flags,
  };
  if (!extended) return info;
  info.SamName = readStringAt(r, out, 'SamName', samOffset, samLength);
  if (sidLength > 0) {
    if (sidOffset + sidLength > r.size) {
      r.failField('SidOffset', `SidOffset ${sidOffset} + SidLength ${sidLength} runs past the end of the buffer (${r.size} bytes)`);
    }
    info.Sid = r.at(sidOffset, () => readSid(r, out, 'Sid'));
  }
  return info;
}

function decodeCredentialInfo(r: PacReader, out: TreeNode[]): PacCredentialInfo {
  const Version = r.u32(out, 'Version');
  const EncryptionType = r.u32(out, 'EncryptionType', (v) => `${v} (${enctypeName(v)})`);
  const SerializedData = r.raw(out, 'SerializedData', 'encrypted PAC_CREDENTIAL_DATA', r.remaining, (b) => `${b.length} bytes, encrypted with the AS reply key`);
  return { Version, EncryptionType, SerializedData };
}

function decodeAttributesInfo(r: PacReader, out: TreeNode[]): PacAttributesInfo {
  const FlagsLength = r.u32(out, 'FlagsLength', (v) => `${v} bit(s)`);
  const Flags = r.u32(out, 'Flags', showFlags(PAC_ATTRIBUTES));
  return { FlagsLength, Flags };
}

/** Decodes one buffer by its ulType; returns the summary shown on its tree node. */
function decodeBufferBody(r: PacReader, out: TreeNode[], buffer: PacBuffer): Shown {
  const { type } = buffer;
  if (type === 1) return summarizeLogonInfo((buffer.logonInfo = decodeLogonInfo(r, out)));
  if (type === 2) {
    const info = (buffer.credentialInfo = decodeCredentialInfo(r, out));
    return `${enctypeName(info.EncryptionType)}, ${info.SerializedData.length} encrypted bytes`;
  }
  if (SIGNATURE_BUFFER_TYPES.has(type)) {
    const sig = (buffer.signature = decodeSignature(r, out));
    return `${checksumTypeName(sig.type)} ${sig.signature.toString('hex')}`;
  }
  if (type === 10) {
    const info = (buffer.clientInfo = decodeClientInfo(r, out));
    return `${info.Name}, ClientId ${info.ClientId}`;
  }
  if (type === 11) {
    buffer.delegationInfo = decodeDelegationInfo(r, out);
    return `S4U2proxy target ${buffer.delegationInfo.S4U2proxyTarget}`;
  }
  if (type === 12) {
    const info = (buffer.upnDnsInfo = decodeUpnDnsInfo(r, out));
    return `${info.Upn} (${info.DnsDomainName})`;
  }
  if (type === 13 || type === 15) {
    const info = (buffer.claimsInfo = decodeClaimsInfo(r, out, r.field('')));
    return summarizeClaimsInfo(info);
  }
  if (type === 17) {
    const info = (buffer.attributesInfo = decodeAttributesInfo(r, out));
    return flagNames(info.Flags, PAC_ATTRIBUTES).join(', ') || hex32(info.Flags);
  }
  if (type === 18) return (buffer.requestorSid = readSid(r, out, 'Sid'));
  r.raw(out, 'data', 'uint8[]', r.remaining, showBlob);
  return `${buffer.size} bytes, kept as bytes`;
}

// ---- PACTYPE -------------------------------------------------------------------------------

interface InfoBuffer {
  ulType: number;
  cbBufferSize: number;
  Offset: bigint;
  node: TreeNode;
  /** Absolute position of the Offset field, for range errors. */
  offsetPosition: number;
}

function readInfoBuffer(r: PacReader, out: TreeNode[], index: number): InfoBuffer {
  return r.group(
    out,
    `Buffers[${index}]`,
    'PAC_INFO_BUFFER',
    (c, node) => {
      const ulType = r.u32(c, 'ulType', (v) => `${v} (${pacBufferTypeName(v)})`);
      const cbBufferSize = r.u32(c, 'cbBufferSize');
      const offsetPosition = r.position;
      // Misaligned offsets are tolerated (MS-PAC asks for 8-byte alignment; readers do not need it).
      const Offset = r.u64(c, 'Offset', (v) => {
        const shown = v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
        return v % 8n === 0n ? shown : `${shown} (not 8-byte aligned)`;
      });
      return { ulType, cbBufferSize, Offset, node, offsetPosition };
    },
    (info) => `${pacBufferTypeName(info.ulType)}, ${info.cbBufferSize} bytes at ${info.Offset}`,
  );
}

function decodeBuffer(bytes: Uint8Array, base: number, info: InfoBuffer, index: number, out: TreeNode[]): PacBuffer {
  const typeName = pacBufferTypeName(info.ulType);
  const buffer: PacBuffer = { type: info.ulType, typeName, offset: Number(info.Offset), size: info.cbBufferSize, data: Buffer.alloc(0) };
  if (info.Offset + BigInt(info.cbBufferSize) > BigInt(bytes.length)) {
    const error = new KrbDecodeError(
      STRUCTURE,
      `Buffers[${index}].Offset`,
      info.offsetPosition,
      `Offset ${info.Offset} + cbBufferSize ${info.cbBufferSize} runs past the end of the PAC (${bytes.length} bytes)`,
    );
    info.node.error = buffer.error = error.message;
    return buffer;
  }
  const start = Number(info.Offset);
  const end = start + info.cbBufferSize;
  buffer.data = Buffer.from(bytes.buffer, bytes.byteOffset + start, info.cbBufferSize);
  const children: TreeNode[] = [];
  const node: TreeNode = { name: `buffer[${index}]`, type: typeName, offset: base + start, length: info.cbBufferSize, children };
  out.push(node);
  const r = new PacReader(bytes, base, start, end, `buffer[${index}].${typeName}`, NDR_BUFFER_TYPES.has(info.ulType));
  try {
    const summary = decodeBufferBody(r, children, buffer);
    if (summary !== undefined) node.value = summary;
  } catch (error) {
    if (!(error instanceof KrbDecodeError)) throw error;
    node.error = buffer.error = error.message;
  }
  return buffer;
}

/**
 * Decodes a PAC (the ad-data of AD-WIN2K-PAC). `base` is the offset of the PAC's first byte in
 * the enclosing input: every tree offset and error offset is absolute in that input.
 * Throws KrbDecodeError when the PACTYPE header itself is unusable.
 */
export function decodePac(bytes: Uint8Array, base = 0): { value: Pac; tree: TreeNode } {
  const r = new PacReader(bytes, base, 0, bytes.length, '', false);
  const children: TreeNode[] = [];
  const cBuffers = r.u32(children, 'cBuffers');
  if (cBuffers > MAX_PAC_BUFFERS) r.failField('cBuffers', `${cBuffers} buffers; at most ${MAX_PAC_BUFFERS} are accepted`, 0);
  const version = r.u32(children, 'Version', (v) => (v === 0 ? 0 : `${v} (MS-PAC expects 0)`));
  if (cBuffers * PAC_INFO_BUFFER_SIZE > r.remaining) {
    r.failField('cBuffers', `${cBuffers} PAC_INFO_BUFFER entries need ${cBuffers * PAC_INFO_BUFFER_SIZE} bytes but only ${r.remaining} remain`, 0);
  }
  const infos: InfoBuffer[] = [];
  for (let i = 0; i < cBuffers; i++) infos.push(readInfoBuffer(r, children, i));
  const buffers = infos.map((info, i) => decodeBuffer(bytes, base, info, i, children));
  const tree: TreeNode = {
    name: 'PAC',
    type: 'PACTYPE',
    offset: base,
    length: bytes.length,
    value: buffers.map((b) => b.typeName).join(', ') || '(no buffers)',
    children,
  };
  return { value: { version, buffers }, tree };
}

/**
 * The PAC with the signature bytes of the server (6) and KDC (7) checksum buffers zeroed: what the
 * server checksum is computed over (MS-PAC §2.8). SignatureType and RODCIdentifier stay as they are.
 */
export function pacForServerChecksum(bytes: Uint8Array, pac: Pac): Buffer {
  return pacWithSignaturesZeroed(bytes, pac, [6, 7]);
}

/** The PAC with the Signature bytes of the signature buffers of these types zeroed (the rest as it is). */
export function pacWithSignaturesZeroed(bytes: Uint8Array, pac: Pac, types: readonly number[]): Buffer {
  const out = Buffer.from(bytes);
  for (const buffer of pac.buffers) {
    if (!types.includes(buffer.type) || buffer.data.length === 0) continue;
    // Without a decoded signature, everything after SignatureType counts as the signature.
    const length = buffer.signature?.signature.length ?? buffer.size - 4;
    const start = buffer.offset + 4;
    const end = Math.min(start + length, buffer.offset + buffer.size, out.length);
    if (start < end) out.fill(0, start, end);
  }
  return out;
}
