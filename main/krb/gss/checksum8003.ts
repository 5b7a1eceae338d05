/**
 * The GSS-API Authenticator checksum, checksum type 0x8003 (RFC 4121 §4.1.1). It is not a
 * checksum at all but a little structure in the AP-REQ Authenticator's cksum field:
 *
 *   Lgth (4, LE) = 16 | Bnd (16) | Flags (4, LE)
 *   [if GSS_C_DELEG_FLAG: DlgOpt (2, LE) = 1 | Dlgth (2, LE) | Deleg (Dlgth bytes: a KRB-CRED)]
 *   [Exts: type (4, BE) | length (4, BE) | data, repeated]
 *
 * Bnd is the MD5 of the channel bindings (RFC 4121 §4.1.1.2) or zeros when there are none; a
 * mismatch there is what "channel binding" failures (HTTP EPA, TLS) come down to.
 */
import { createHash } from 'node:crypto';
import { BinaryReader } from '../binary';
import type { TreeNode } from '../tree';
import { bitNames, hexByte, readField } from './fields';

export const GSS_CHECKSUM_TYPE = 0x8003;
const BND_LENGTH = 16;

/** Context flags (RFC 2744 values; RFC 4121 §4.1.1.1, plus the Microsoft ones of [MS-KILE]). */
export const GssFlag = {
  DELEG: 0x1,
  MUTUAL: 0x2,
  REPLAY: 0x4,
  SEQUENCE: 0x8,
  CONF: 0x10,
  INTEG: 0x20,
  ANON: 0x40,
  DCE_STYLE: 0x1000,
  IDENTIFY: 0x2000,
  EXTENDED_ERROR: 0x4000,
} as const;

export const GSS_FLAG_NAMES: Record<number, string> = {
  0x1: 'GSS_C_DELEG_FLAG',
  0x2: 'GSS_C_MUTUAL_FLAG',
  0x4: 'GSS_C_REPLAY_FLAG',
  0x8: 'GSS_C_SEQUENCE_FLAG',
  0x10: 'GSS_C_CONF_FLAG',
  0x20: 'GSS_C_INTEG_FLAG',
  0x40: 'GSS_C_ANON_FLAG',
  0x1000: 'GSS_C_DCE_STYLE',
  0x2000: 'GSS_C_IDENTIFY_FLAG',
  0x4000: 'GSS_C_EXTENDED_ERROR_FLAG',
};

/** Known Exts types (MIT: KRB5_GSS_EXTS_IAKERB_FINISHED). */
const EXTENSION_NAMES: Record<number, string> = { 2: 'IAKERB finished' };
const MAX_EXTENSIONS = 64;

export interface GssChecksumExtension {
  type: number;
  data: Buffer;
}

export interface GssChecksum {
  lgth: number;
  bnd: Buffer;
  flags: number;
  flagNames: string[];
  dlgOpt?: number;
  dlgth?: number;
  exts: GssChecksumExtension[];
}

const STRUCTURE = 'GSS checksum (0x8003)';

/** MD5 over the RFC 4121 §4.1.1.2 layout: each part as LE32 length-prefixed data, addresses typed. */
export function channelBindingsHash(
  initiatorAddrType: number,
  initiatorAddress: Uint8Array,
  acceptorAddrType: number,
  acceptorAddress: Uint8Array,
  applicationData: Uint8Array,
): Buffer {
  const le32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n >>> 0);
    return b;
  };
  return createHash('md5')
    .update(le32(initiatorAddrType))
    .update(le32(initiatorAddress.length))
    .update(initiatorAddress)
    .update(le32(acceptorAddrType))
    .update(le32(acceptorAddress.length))
    .update(acceptorAddress)
    .update(le32(applicationData.length))
    .update(applicationData)
    .digest();
}

/** Bnd of a client that passed channel bindings with nothing in them (distinct from "none": zeros). */
const EMPTY_BINDINGS_HASH = channelBindingsHash(0, Buffer.alloc(0), 0, Buffer.alloc(0), Buffer.alloc(0));

function describeBnd(bnd: Buffer): string {
  if (bnd.equals(Buffer.alloc(BND_LENGTH))) return 'zeros: no channel bindings';
  if (bnd.equals(EMPTY_BINDINGS_HASH)) return `${bnd.toString('hex')} (MD5 of empty channel bindings)`;
  return `${bnd.toString('hex')} (MD5 of the channel bindings)`;
}

function readExtensions(r: BinaryReader, nodes: TreeNode[]): GssChecksumExtension[] {
  const exts: GssChecksumExtension[] = [];
  while (r.remaining > 0) {
    if (exts.length === MAX_EXTENSIONS) r.fail('Exts', `more than ${MAX_EXTENSIONS} extensions`);
    const start = r.position;
    const type = r.uint32('Exts.type');
    const length = r.uint32('Exts.length');
    const data = r.bytesOf('Exts.data', length);
    exts.push({ type, data });
    nodes.push({ name: 'Exts', type: `extension ${type}`, offset: start, length: 8 + length, value: `${EXTENSION_NAMES[type] ?? `type ${type}`}: ${data.toString('hex')}` });
  }
  return exts;
}

/**
 * Decodes the checksum bytes of an Authenticator cksum of type 0x8003. The delegated KRB-CRED is
 * left as a placeholder node "Deleg" (and returned as `delegation`) for the caller to decode.
 */
export function decodeGssChecksum(bytes: Uint8Array, base = 0): { value: GssChecksum; tree: TreeNode; delegation?: { offset: number; bytes: Buffer } } {
  const r = new BinaryReader(bytes, STRUCTURE, 0, base);
  const lgth = r.node('Lgth', 'uint32 (LE)', () => r.uint32('Lgth', true));
  if (lgth.value !== BND_LENGTH) r.fail('Lgth', `Lgth is ${lgth.value}; RFC 4121 §4.1.1 requires 16 (the MD5 channel-binding hash)`, 0);
  const bnd = readField(r, 'Bnd', '16 bytes', () => r.bytesOf('Bnd', BND_LENGTH), describeBnd);
  const flags = r.node('Flags', 'uint32 (LE)', () => r.uint32('Flags', true), (v) => [hexByte(v, 8), ...bitNames(v, GSS_FLAG_NAMES)]);
  const nodes = [lgth.node, bnd.node, flags.node];
  const value: GssChecksum = { lgth: lgth.value, bnd: bnd.value, flags: flags.value, flagNames: bitNames(flags.value, GSS_FLAG_NAMES), exts: [] };
  let delegation: { offset: number; bytes: Buffer } | undefined;
  if (flags.value & GssFlag.DELEG) {
    if (r.remaining === 0) r.fail('DlgOpt', 'GSS_C_DELEG_FLAG is set but DlgOpt, Dlgth and Deleg are missing');
    const dlgOpt = r.node('DlgOpt', 'uint16 (LE)', () => r.uint16('DlgOpt', true));
    if (dlgOpt.value !== 1) dlgOpt.node.error = `DlgOpt must be 1, found ${dlgOpt.value}`;
    const dlgth = r.node('Dlgth', 'uint16 (LE)', () => r.uint16('Dlgth', true));
    const offset = r.position;
    const deleg = r.bytesOf('Deleg', dlgth.value);
    nodes.push(dlgOpt.node, dlgth.node, { name: 'Deleg', type: 'KRB-CRED (delegated TGT)', offset, length: deleg.length });
    value.dlgOpt = dlgOpt.value;
    value.dlgth = dlgth.value;
    delegation = { offset, bytes: deleg };
  }
  value.exts = readExtensions(r, nodes);
  const tree: TreeNode = { name: 'checksum', type: 'GSS-API checksum (RFC 4121 §4.1.1)', offset: base, length: bytes.length, value: value.flagNames.join(' '), children: nodes };
  return delegation ? { value, tree, delegation } : { value, tree };
}

export interface GssChecksumFields {
  /** Channel-binding hash; zeros (no bindings) when absent. */
  bnd?: Uint8Array;
  flags: number;
  /** A DER KRB-CRED to delegate; sets GSS_C_DELEG_FLAG. */
  delegation?: Uint8Array;
  exts?: readonly GssChecksumExtension[];
}

/** Builds the checksum bytes (the Authenticator cksum's `checksum` field for type 0x8003). */
export function encodeGssChecksum(fields: GssChecksumFields): Buffer {
  const bnd = fields.bnd ? Buffer.from(fields.bnd) : Buffer.alloc(BND_LENGTH);
  if (bnd.length !== BND_LENGTH) throw new RangeError(`Bnd must be ${BND_LENGTH} bytes, got ${bnd.length}`);
  const head = Buffer.alloc(24);
  head.writeUInt32LE(BND_LENGTH, 0);
  bnd.copy(head, 4);
  const flags = (fields.delegation ? fields.flags | GssFlag.DELEG : fields.flags & ~GssFlag.DELEG) >>> 0;
  head.writeUInt32LE(flags, 20);
  const parts: Buffer[] = [head];
  if (fields.delegation) {
    if (fields.delegation.length > 0xffff) throw new RangeError(`a delegated KRB-CRED of ${fields.delegation.length} bytes does not fit in the 16-bit Dlgth`);
    const dlg = Buffer.alloc(4);
    dlg.writeUInt16LE(1, 0);
    dlg.writeUInt16LE(fields.delegation.length, 2);
    parts.push(dlg, Buffer.from(fields.delegation));
  }
  for (const ext of fields.exts ?? []) {
    const h = Buffer.alloc(8);
    h.writeUInt32BE(ext.type >>> 0, 0);
    h.writeUInt32BE(ext.data.length, 4);
    parts.push(h, ext.data);
  }
  return Buffer.concat(parts);
}
