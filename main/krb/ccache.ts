/**
 * MIT FILE credential caches, versions 1 to 4 (MIT docs "ccache file format", ccmarshal.c): header
 * tags (KDC time offset, v4), default principal, credentials — and the configuration entries MIT
 * stores as fake credentials for "krb5_ccache_conf_data/NAME[/PRINCIPAL]@X-CACHECONF:", kept apart.
 * Versions 1 and 2 (before MIT 1.0) store integers in host byte order — read little-endian, as
 * klist on x86 and ARM reads them — and version 1 stores no name type and counts the realm among
 * a principal's components; version 3 writes the enctype twice. Pure: parses bytes, does no I/O.
 */
import { BinaryReader } from './binary';
import { KrbDecodeError } from './errors';
import { TICKET_FLAG_NAMES } from './messages/common';
import { enctypeName, formatPrincipal, nameTypeName, type Principal } from './names';
import type { TreeNode } from './tree';

export const CONF_REALM = 'X-CACHECONF:';
export const CONF_NAME = 'krb5_ccache_conf_data';

export interface CcacheCredential {
  client: Principal;
  server: Principal;
  keyEnctype: number;
  key: Buffer;
  /** Unix seconds; 0 when absent. */
  authtime: number;
  starttime: number;
  endtime: number;
  renewTill: number;
  isSkey: boolean;
  flags: number;
  flagNames: string[];
  addresses: { type: number; data: Buffer }[];
  authdata: { type: number; data: Buffer }[];
  ticket: Buffer;
  secondTicket: Buffer;
  /** Absolute offset of the ticket bytes (to decode and link the Ticket). */
  ticketOffset: number;
}

export interface CcacheConfigEntry {
  /** e.g. "fast_avail", "pa_type", "start_realm", "refresh_time". */
  key: string;
  /** The principal the entry is about, when the name has a third component. */
  principal?: string;
  value: Buffer;
}

export interface Ccache {
  version: number;
  /** KDC time offset from the v4 header (DeltaTime tag 1), when present. */
  kdcTimeOffset?: { seconds: number; microseconds: number };
  defaultPrincipal: Principal;
  credentials: CcacheCredential[];
  config: CcacheConfigEntry[];
}

/** At most this many components per principal and entries per list: bad counts fail fast. */
const MAX_COMPONENTS = 64;
const MAX_LIST = 4096;

/** Versions 3 and 4, the ones MIT has written since 1.0 (1 and 2 share their first bytes with keytabs). */
export function isCcache(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x05 && (bytes[1] === 0x03 || bytes[1] === 0x04);
}

export { KLIST_FLAG_LETTERS } from './wording';

export function flagNames(flags: number): string[] {
  return TICKET_FLAG_NAMES.flatMap((name, i) => (i > 0 && name && flags & (0x80000000 >>> i) ? [name] : []));
}

class CcacheReader {
  readonly r: BinaryReader;
  /** File format version (1–4): 1 and 2 are in host byte order (little-endian here). */
  version = 4;

  constructor(bytes: Uint8Array) {
    this.r = new BinaryReader(bytes, 'ccache');
  }

  get le(): boolean {
    return this.version < 3;
  }

  u16(field: string): number {
    return this.r.uint16(field, this.le);
  }

  u32(field: string): number {
    return this.r.uint32(field, this.le);
  }

  countedOctets(field: string): { bytes: Buffer; node: TreeNode } {
    const start = this.r.position;
    const length = this.u32(`${field}.length`);
    const bytes = this.r.bytesOf(field, length);
    return { bytes, node: { name: field, type: 'counted_octet_string', offset: start, length: 4 + length } };
  }

  principal(field: string): { principal: Principal; node: TreeNode } {
    const start = this.r.position;
    const children: TreeNode[] = [];
    // Version 1 stores no name type (KRB5_NT_UNKNOWN) and counts the realm as a component.
    const nameType =
      this.version === 1 ? { value: 0 } : this.r.node('name_type', 'uint32', () => this.r.int32(`${field}.name_type`, this.le), (v) => `${nameTypeName(v)} (${v})`);
    if ('node' in nameType) children.push(nameType.node);
    const stored = this.r.node('num_components', 'uint32', () => this.u32(`${field}.num_components`), (v) => (this.version === 1 ? `${v} (the realm included)` : v));
    children.push(stored.node);
    const count = { value: this.version === 1 ? stored.value - 1 : stored.value };
    if (count.value > MAX_COMPONENTS || count.value < 0) this.r.fail(`${field}.num_components`, `${stored.value} components is not a principal`, this.r.offset - 4);
    const realm = this.countedOctets(`${field}.realm`);
    children.push({ ...realm.node, name: 'realm', value: realm.bytes.toString('utf8') });
    const components: string[] = [];
    for (let i = 0; i < count.value; i++) {
      const component = this.countedOctets(`${field}.component[${i}]`);
      components.push(component.bytes.toString('utf8'));
      children.push({ ...component.node, name: `component[${i}]`, value: components[i]! });
    }
    const principal = { nameType: nameType.value, components, realm: realm.bytes.toString('utf8') };
    return {
      principal,
      node: { name: field, type: 'principal', offset: start, length: this.r.position - start, value: formatPrincipal(principal), children },
    };
  }

  time(field: string): { value: number; node: TreeNode } {
    return this.r.node(field, 'uint32 (unix time)', () => this.u32(field), (v) => (v === 0 ? 'not set' : isoSeconds(v)));
  }
}

export function isoSeconds(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}

function readHeader(c: CcacheReader, version: number, nodes: TreeNode[]): Ccache['kdcTimeOffset'] {
  if (version !== 4) return undefined;
  const r = c.r;
  const start = r.position;
  const headerLength = r.uint16('header.length');
  r.need('header', headerLength);
  const end = r.offset + headerLength;
  const tags: TreeNode[] = [];
  let kdcTimeOffset: Ccache['kdcTimeOffset'];
  while (r.offset < end) {
    const tagStart = r.position;
    const tag = r.uint16('header.tag');
    const length = r.uint16('header.taglen');
    if (r.offset + length > end) r.fail('header.tagdata', `tag ${tag} length ${length} runs past the header`);
    if (tag === 1 && length === 8) {
      kdcTimeOffset = { seconds: r.int32('header.time_offset'), microseconds: r.int32('header.usec_offset') };
      tags.push({ name: 'DeltaTime', type: 'header tag 1', offset: tagStart, length: 12, value: `KDC time offset ${kdcTimeOffset.seconds} s ${kdcTimeOffset.microseconds} µs` });
    } else {
      const data = r.bytesOf('header.tagdata', length);
      tags.push({ name: `tag ${tag}`, type: 'header tag', offset: tagStart, length: 4 + length, value: data.toString('hex') });
    }
  }
  nodes.push({ name: 'header', type: 'v4 header', offset: start, length: r.position - start, children: tags });
  return kdcTimeOffset;
}

function readList(c: CcacheReader, field: string, itemName: string): { items: { type: number; data: Buffer }[]; node: TreeNode } {
  const r = c.r;
  const start = r.position;
  const count = c.u32(`${field}.count`);
  if (count > MAX_LIST) r.fail(`${field}.count`, `${count} entries is not plausible`, r.offset - 4);
  const items: { type: number; data: Buffer }[] = [];
  const children: TreeNode[] = [];
  for (let i = 0; i < count; i++) {
    const itemStart = r.position;
    const type = c.u16(`${field}[${i}].type`);
    const data = c.countedOctets(`${field}[${i}].data`).bytes;
    items.push({ type, data });
    children.push({ name: `${itemName}[${i}]`, type: itemName, offset: itemStart, length: r.position - itemStart, value: `type ${type}: ${data.toString('hex')}` });
  }
  return { items, node: { name: field, type: `${itemName} list`, offset: start, length: r.position - start, value: count, children } };
}

function readCredential(c: CcacheReader, index: number, version: number, revealKeys: boolean): { credential: CcacheCredential; node: TreeNode } {
  const r = c.r;
  const start = r.position;
  const f = `credential[${index}]`;
  const children: TreeNode[] = [];
  const client = c.principal(`${f}.client`);
  const server = c.principal(`${f}.server`);
  children.push({ ...client.node, name: 'client' }, { ...server.node, name: 'server' });

  const keyStart = r.position;
  const keyEnctype = c.u16(`${f}.keyblock.enctype`);
  if (version === 3) c.u16(`${f}.keyblock.enctype_repeated`);
  const key = c.countedOctets(`${f}.keyblock.data`).bytes;
  children.push({
    name: 'keyblock',
    type: 'keyblock',
    offset: keyStart,
    length: r.position - keyStart,
    value: `${enctypeName(keyEnctype)} (${keyEnctype}), ${revealKeys ? key.toString('hex') : `<${key.length} bytes hidden>`}`,
  });

  const times = ['authtime', 'starttime', 'endtime', 'renew_till'].map((name) => c.time(name));
  children.push(...times.map((t) => t.node));
  const isSkey = r.node('is_skey', 'uint8', () => r.uint8(`${f}.is_skey`));
  const flags = r.node('ticket_flags', 'uint32', () => c.u32(`${f}.ticket_flags`), (v) => [`0x${v.toString(16).padStart(8, '0')}`, ...flagNames(v)]);
  children.push(isSkey.node, flags.node);
  const addresses = readList(c, `${f}.addresses`, 'address');
  const authdata = readList(c, `${f}.authdata`, 'authdata');
  children.push({ ...addresses.node, name: 'addresses' }, { ...authdata.node, name: 'authdata' });
  const ticketOffset = r.position + 4;
  const ticket = c.countedOctets(`${f}.ticket`);
  const secondTicket = c.countedOctets(`${f}.second_ticket`);
  children.push({ ...ticket.node, name: 'ticket' }, { ...secondTicket.node, name: 'second_ticket' });

  const credential: CcacheCredential = {
    client: client.principal,
    server: server.principal,
    keyEnctype,
    key,
    authtime: times[0]!.value,
    starttime: times[1]!.value,
    endtime: times[2]!.value,
    renewTill: times[3]!.value,
    isSkey: isSkey.value !== 0,
    flags: flags.value,
    flagNames: flagNames(flags.value),
    addresses: addresses.items,
    authdata: authdata.items,
    ticket: ticket.bytes,
    secondTicket: secondTicket.bytes,
    ticketOffset,
  };
  return {
    credential,
    node: { name: f, type: 'credential', offset: start, length: r.position - start, value: `${formatPrincipal(server.principal)}`, children },
  };
}

function configEntry(credential: CcacheCredential): CcacheConfigEntry | undefined {
  const { server } = credential;
  if (server.realm !== CONF_REALM || server.components[0] !== CONF_NAME) return undefined;
  return {
    key: server.components[1] ?? '',
    ...(server.components[2] !== undefined ? { principal: server.components[2] } : {}),
    value: credential.ticket,
  };
}

/** Parses a FILE ccache (v1–v4). Throws KrbDecodeError naming the field and byte offset. */
export function parseCcache(bytes: Uint8Array, options: { revealKeys?: boolean } = {}): { ccache: Ccache; tree: TreeNode } {
  const c = new CcacheReader(bytes);
  const r = c.r;
  const nodes: TreeNode[] = [];
  const version = r.node('file_format_version', 'uint16', () => r.uint16('file_format_version'), (v) => `0x${v.toString(16).padStart(4, '0')}`);
  nodes.push(version.node);
  if (version.value < 0x0501 || version.value > 0x0504) {
    r.fail('file_format_version', `0x${version.value.toString(16)} is not a FILE ccache version (0x0501 to 0x0504)`, 0);
  }
  const v = version.value & 0xff;
  c.version = v;
  if (v < 3) version.node.value = `0x050${v} (host byte order, read little-endian)`;
  const kdcTimeOffset = readHeader(c, v, nodes);
  const defaultPrincipal = c.principal('default_principal');
  nodes.push(defaultPrincipal.node);

  const credentials: CcacheCredential[] = [];
  const config: CcacheConfigEntry[] = [];
  for (let i = 0; r.remaining > 0; i++) {
    if (i >= MAX_LIST) r.fail(`credential[${i}]`, 'too many credentials');
    const { credential, node } = readCredential(c, i, v, options.revealKeys ?? false);
    const conf = configEntry(credential);
    if (conf) {
      config.push(conf);
      node.type = 'config entry';
      node.value = `${conf.key}${conf.principal ? ` (${conf.principal})` : ''} = ${printable(conf.value)}`;
    } else {
      credentials.push(credential);
    }
    nodes.push(node);
  }
  const ccache: Ccache = { version: v, defaultPrincipal: defaultPrincipal.principal, credentials, config, ...(kdcTimeOffset ? { kdcTimeOffset } : {}) };
  return { ccache, tree: { name: 'ccache', type: `FILE ccache v${v}`, offset: 0, length: bytes.length, children: nodes } };
}

/** Whether the bytes parse completely as a ccache (of any version). */
export function parsesAsCcache(bytes: Uint8Array): boolean {
  try {
    parseCcache(bytes);
    return true;
  } catch (error) {
    if (error instanceof KrbDecodeError) return false;
    throw error;
  }
}

/** Config values are mostly text ("yes", a realm, a number); show hex otherwise. */
export function printable(value: Buffer): string {
  const text = value.toString('utf8');
  return /^[\x20-\x7e]*$/.test(text) ? text : value.toString('hex');
}

