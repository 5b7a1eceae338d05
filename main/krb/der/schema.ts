/**
 * Declarative ASN.1 schemas for DER, in the style of the RFC modules: one description of a
 * structure gives its decoder (value + field tree with byte offsets + typed errors) and its
 * encoder. Kerberos uses EXPLICIT context tags everywhere ([0] INTEGER …), which `seq` assumes.
 */
import { KrbDecodeError } from '../errors';
import type { TreeNode } from '../tree';
import {
  contentOf,
  contentStart,
  describeTag,
  nodeEnd,
  readChildren,
  readTlv,
  UniversalTag,
  type DerInput,
  type DerNode,
  type TagClass,
} from './reader';
import { derExplicit, derFlags, derInteger, derKerberosTime, derOctetString, derOid, derSequence, tlv } from './writer';

/** Deepest nesting accepted: far beyond any real Kerberos message, small enough to never blow the stack. */
export const MAX_DEPTH = 48;

/** What a decode carries down the tree. `hooks` let callers decrypt and look inside containers. */
export interface DecodeContext {
  input: DerInput;
  /** Top-level structure name for errors, e.g. "AP-REQ". */
  structure: string;
  path: string[];
  depth: number;
  /** Show secret values (keys) instead of "<n bytes hidden>". */
  revealSecrets: boolean;
  /** Free slot for the decryption machinery (see decode/keyring.ts); schemas pass it along. */
  extra?: unknown;
}

export interface Decoded<T> {
  value: T;
  tree: TreeNode;
}

export interface Schema<T> {
  /** Type name shown in the tree: "INTEGER", "PrincipalName", "Ticket". */
  readonly typeName: string;
  /** The tag this type carries on the wire (used to recognise CHOICE alternatives). */
  readonly tag?: { tagClass: TagClass; tagNumber: number };
  decode(node: DerNode, ctx: DecodeContext, name: string): Decoded<T>;
  encode(value: T): Buffer;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

export function fieldPath(ctx: DecodeContext): string {
  return ctx.path.join('.');
}

export function decodeError(ctx: DecodeContext, offset: number, reason: string): KrbDecodeError {
  return new KrbDecodeError(ctx.structure, fieldPath(ctx), offset, reason);
}

function treeOf(name: string, type: string, node: DerNode, extra: Partial<TreeNode> = {}): TreeNode {
  return { name, type, offset: node.offset, length: node.headerLength + node.length, ...extra };
}

function expectUniversal(node: DerNode, ctx: DecodeContext, tagNumber: number, typeName: string): void {
  if (node.tagClass !== 'universal' || node.tagNumber !== tagNumber) {
    throw decodeError(ctx, node.offset, `expected ${typeName} but found ${describeTag(node)}`);
  }
  const mustBeConstructed = tagNumber === UniversalTag.SEQUENCE;
  if (node.constructed !== mustBeConstructed) {
    throw decodeError(ctx, node.offset, `${typeName} must be ${mustBeConstructed ? 'constructed' : 'primitive'}`);
  }
}

/** A primitive universal type: check the tag, convert the content bytes. */
function primitive<T>(
  typeName: string,
  tagNumber: number,
  parse: (content: Uint8Array, ctx: DecodeContext, node: DerNode) => T,
  display: (value: T, ctx: DecodeContext) => TreeNode['value'],
  encode: (value: T) => Buffer,
): Schema<T> {
  return {
    typeName,
    tag: { tagClass: 'universal', tagNumber },
    decode(node, ctx, name) {
      expectUniversal(node, ctx, tagNumber, typeName);
      const value = parse(contentOf(ctx.input, node), ctx, node);
      const shown = display(value, ctx);
      return { value, tree: treeOf(name, typeName, node, shown === undefined ? {} : { value: shown }) };
    },
    encode,
  };
}

// ---- Primitive types ------------------------------------------------------------------------

function parseInteger(content: Uint8Array, ctx: DecodeContext, node: DerNode): number {
  if (content.length === 0) throw decodeError(ctx, node.offset, 'INTEGER with no content');
  // 6 bytes keep every value exact in a JS number; Kerberos integers are 32-bit (5 bytes with a sign pad).
  if (content.length > 6) throw decodeError(ctx, node.offset, `INTEGER of ${content.length} bytes is too large`);
  return twosComplement(content);
}

function twosComplement(content: Uint8Array): number {
  let value = 0;
  for (const byte of content) value = value * 256 + byte;
  if (content[0]! & 0x80) value -= 2 ** (8 * content.length);
  return value;
}

export const Integer: Schema<number> = primitive('INTEGER', UniversalTag.INTEGER, parseInteger, (v) => v, derInteger);

/** An Int32 whose values have names (msg-type, etype, padata-type …): shown as "AS-REQ (10)". */
export function namedInt(typeName: string, name: (value: number) => string | undefined): Schema<number> {
  return {
    ...Integer,
    typeName,
    decode(node, ctx, fieldName) {
      const decoded = Integer.decode(node, ctx, fieldName);
      const label = name(decoded.value);
      decoded.tree.type = typeName;
      decoded.tree.value = label ? `${label} (${decoded.value})` : decoded.value;
      return decoded;
    },
  };
}

/** Int32 (RFC 4120 §5.2.4): INTEGER restricted to -2^31..2^31-1. */
export const Int32: Schema<number> = { ...Integer, typeName: 'Int32' };
/** UInt32 (nonces, sequence numbers). Microsoft encodes some as negative Int32: accepted as is. */
export const UInt32: Schema<number> = { ...Integer, typeName: 'UInt32' };

export const Boolean_: Schema<boolean> = primitive(
  'BOOLEAN',
  UniversalTag.BOOLEAN,
  (c, ctx, node) => {
    if (c.length !== 1) throw decodeError(ctx, node.offset, 'BOOLEAN must be one byte');
    return c[0] !== 0;
  },
  (v) => v,
  (v) => tlv('universal', false, UniversalTag.BOOLEAN, Buffer.from([v ? 0xff : 0])),
);

export const OctetString: Schema<Buffer> = primitive(
  'OCTET STRING',
  UniversalTag.OCTET_STRING,
  (c) => Buffer.from(c),
  (v) => v.toString('hex'),
  derOctetString,
);

/** Key material: shown as "<32 bytes hidden>" unless the user asked to reveal secrets. */
export const SecretOctets: Schema<Buffer> = {
  ...OctetString,
  typeName: 'OCTET STRING (key)',
  decode(node, ctx, name) {
    const decoded = OctetString.decode(node, ctx, name);
    decoded.tree.type = 'OCTET STRING (key)';
    if (!ctx.revealSecrets) decoded.tree.value = `<${decoded.value.length} bytes hidden>`;
    return decoded;
  },
};

/** KerberosString = GeneralString (IA5 in practice); decoded as UTF-8, which MIT and AD send. */
export const KerberosString: Schema<string> = {
  typeName: 'KerberosString',
  tag: { tagClass: 'universal', tagNumber: UniversalTag.GeneralString },
  decode(node, ctx, name) {
    if (node.tagClass !== 'universal' || node.constructed || ![UniversalTag.GeneralString, UniversalTag.IA5String, UniversalTag.UTF8String].includes(node.tagNumber as 27)) {
      throw decodeError(ctx, node.offset, `expected KerberosString (GeneralString) but found ${describeTag(node)}`);
    }
    const value = Buffer.from(contentOf(ctx.input, node)).toString('utf8');
    return { value, tree: treeOf(name, 'KerberosString', node, { value }) };
  },
  encode: (v) => tlv('universal', false, UniversalTag.GeneralString, Buffer.from(v, 'utf8')),
};

/** KerberosTime: GeneralizedTime "YYYYMMDDHHMMSSZ" (fractions tolerated). Tree shows ISO-8601. */
export const KerberosTime: Schema<Date> = primitive(
  'KerberosTime',
  UniversalTag.GeneralizedTime,
  (c, ctx, node) => {
    const text = Buffer.from(c).toString('latin1');
    const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.\d+)?Z$/.exec(text);
    if (!m) throw decodeError(ctx, node.offset, `KerberosTime "${text.slice(0, 40)}" is not YYYYMMDDHHMMSSZ`);
    const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
    const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
    // Date.UTC rolls month 13 into January: a valid time must survive the round trip.
    const valid = date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d && date.getUTCHours() === h && date.getUTCMinutes() === mi && s < 61;
    if (!valid) throw decodeError(ctx, node.offset, `KerberosTime "${text}" is not a valid date`);
    return date;
  },
  (v) => v.toISOString().replace('.000Z', 'Z'),
  derKerberosTime,
);

/** Dotted OBJECT IDENTIFIER, with a name for the ones we know. */
export const OID_NAMES: Record<string, string> = {
  '1.2.840.113554.1.2.2': 'Kerberos 5 (RFC 4121)',
  '1.2.840.48018.1.2.2': 'Kerberos 5 (Microsoft legacy OID)',
  '1.2.840.113554.1.2.2.3': 'Kerberos 5 user-to-user',
  '1.3.6.1.5.5.2': 'SPNEGO (RFC 4178)',
  '1.3.6.1.4.1.311.2.2.10': 'NTLMSSP (Microsoft)',
  '1.3.6.1.4.1.311.2.2.30': 'NEGOEX (Microsoft)',
  '1.3.6.1.5.2.5': 'GSS-API IAKERB',
};

export const ObjectIdentifier: Schema<string> = primitive(
  'OBJECT IDENTIFIER',
  UniversalTag.OID,
  (c, ctx, node) => {
    if (c.length === 0 || c.length > 64) throw decodeError(ctx, node.offset, 'OBJECT IDENTIFIER length out of range');
    const arcs: number[] = [];
    let n = 0;
    for (const [i, byte] of c.entries()) {
      n = n * 128 + (byte & 0x7f);
      if (n > Number.MAX_SAFE_INTEGER / 128) throw decodeError(ctx, node.offset, 'OBJECT IDENTIFIER arc too large');
      if ((byte & 0x80) === 0) {
        if (arcs.length === 0) arcs.push(n < 80 ? Math.floor(n / 40) : 2, n < 80 ? n % 40 : n - 80);
        else arcs.push(n);
        n = 0;
      } else if (i === c.length - 1) {
        throw decodeError(ctx, node.offset, 'OBJECT IDENTIFIER ends inside an arc');
      }
    }
    return arcs.join('.');
  },
  (v) => (OID_NAMES[v] ? `${v} (${OID_NAMES[v]})` : v),
  derOid,
);

/** ENUMERATED with names for the values. */
export function Enumerated(typeName: string, names: Record<number, string>): Schema<number> {
  return primitive(
    typeName,
    UniversalTag.ENUMERATED,
    (c, ctx, node) => {
      if (c.length === 0 || c.length > 4) throw decodeError(ctx, node.offset, 'ENUMERATED length out of range');
      return twosComplement(c);
    },
    (v) => (names[v] ? `${names[v]} (${v})` : String(v)),
    (v) => tlv('universal', false, UniversalTag.ENUMERATED, derInteger(v).subarray(2)),
  );
}

/** KerberosFlags: a BIT STRING of at least 32 bits, bit 0 first; shown as flag names. */
export interface Flags {
  bits: number;
  names: string[];
}

export function KerberosFlags(typeName: string, names: readonly string[]): Schema<Flags> {
  const toNames = (bits: number) => names.flatMap((name, i) => (name && bits & (0x80000000 >>> i) ? [name] : []));
  return primitive(
    typeName,
    UniversalTag.BIT_STRING,
    (c, ctx, node) => {
      if (c.length < 1) throw decodeError(ctx, node.offset, 'BIT STRING without the unused-bits byte');
      if (c[0]! > 7) throw decodeError(ctx, node.offset, `BIT STRING unused-bits count ${c[0]} is invalid`);
      let bits = 0;
      for (let i = 0; i < 4; i++) bits = (bits * 256 + (c[1 + i] ?? 0)) >>> 0;
      return { bits, names: toNames(bits) };
    },
    (v) => [`0x${v.bits.toString(16).padStart(8, '0')}`, ...v.names],
    (v) => derFlags(v.bits),
  );
}

/** Build a Flags value from names (for encoding). */
export function flagsFrom(allNames: readonly string[], set: readonly string[]): Flags {
  let bits = 0;
  for (const name of set) {
    const i = allNames.indexOf(name);
    if (i >= 0) bits = (bits | (0x80000000 >>> i)) >>> 0;
  }
  return { bits, names: allNames.filter((n) => n && set.includes(n)) };
}

/** Any single TLV, kept as its bytes (for ANY / unknown content). */
export const RawTlv: Schema<Buffer> = {
  typeName: 'ANY',
  decode(node, ctx, name) {
    const start = node.offset - ctx.input.base;
    const value = Buffer.from(ctx.input.bytes.subarray(start, start + node.headerLength + node.length));
    return { value, tree: treeOf(name, describeTag(node), node, { value: value.toString('hex') }) };
  },
  encode: (v) => Buffer.from(v),
};

// ---- Constructed types ----------------------------------------------------------------------

export interface Field<T, Optional extends boolean = boolean> {
  /** Context tag number [n]. */
  tag: number;
  /** ASN.1 field name, e.g. "enc-part". */
  name: string;
  schema: Schema<T>;
  optional: Optional;
}

export const field = <T>(tag: number, name: string, schema: Schema<T>): Field<T, false> => ({ tag, name, schema, optional: false });
export const optional = <T>(tag: number, name: string, schema: Schema<T>): Field<T, true> => ({ tag, name, schema, optional: true });

type FieldMap = Record<string, Field<unknown, boolean>>;
export type SeqValue<F extends FieldMap> = {
  [K in keyof F as F[K] extends Field<unknown, false> ? K : never]: F[K] extends Field<infer T, boolean> ? T : never;
} & {
  [K in keyof F as F[K] extends Field<unknown, true> ? K : never]?: F[K] extends Field<infer T, boolean> ? T : never;
};

/** Lets a SEQUENCE look deeper once its fields are known (contained DER, decryption). */
export type Refine<V> = (value: V, trees: Record<string, TreeNode | undefined>, ctx: DecodeContext, self: TreeNode) => void;

/**
 * The context one level down, at field or item `part`. This runs for every field of every
 * message, so the fields are copied by name rather than spread: a new DecodeContext field must
 * be added here too.
 */
function innerContext(ctx: DecodeContext, part: string): DecodeContext {
  if (ctx.depth >= MAX_DEPTH) throw decodeError(ctx, 0, `nesting deeper than ${MAX_DEPTH} levels`);
  return { input: ctx.input, structure: ctx.structure, path: [...ctx.path, part], depth: ctx.depth + 1, revealSecrets: ctx.revealSecrets, extra: ctx.extra };
}

/** The one value an EXPLICIT [n] wrapper holds (read without building a list of one). */
function explicitContent(ctx: DecodeContext, wrapper: DerNode, tag: number): DerNode {
  if (wrapper.constructed && wrapper.length > 0) {
    const value = readTlv(ctx.input, contentStart(wrapper), nodeEnd(wrapper), ctx.structure, ctx);
    if (nodeEnd(value) === nodeEnd(wrapper)) return value;
  }
  // Not exactly one value: count them for the error (readChildren names a primitive wrapper).
  const count = readChildren(ctx.input, wrapper, ctx.structure, ctx).length;
  throw decodeError(ctx, wrapper.offset, `[${tag}] must wrap exactly one value, found ${count}`);
}

/** SEQUENCE { name [n] EXPLICIT Type, … } with fields in tag order. Unknown tags are shown, not fatal. */
export interface SeqOptions<V> {
  /** Looks deeper once the fields are known (contained DER, decryption). */
  refine?: Refine<V>;
  /** One-line summary shown as the node's value: "mqtt/localhost", "aes256-cts-hmac-sha1-96, kvno 2". */
  summarize?: (value: V) => string;
}

export function seq<F extends FieldMap>(typeName: string, fields: F, options: SeqOptions<SeqValue<F>> = {}): Schema<SeqValue<F>> {
  const { refine, summarize } = options;
  const entries = Object.entries(fields) as [string, Field<unknown, boolean>][];
  const label = `${typeName} (SEQUENCE)`;
  return {
    typeName,
    tag: { tagClass: 'universal', tagNumber: UniversalTag.SEQUENCE },
    decode(node, ctx, name) {
      expectUniversal(node, ctx, UniversalTag.SEQUENCE, label);
      const children = readChildren(ctx.input, node, ctx.structure, ctx);
      const value: Record<string, unknown> = {};
      const trees: Record<string, TreeNode | undefined> = {};
      const childTrees: TreeNode[] = [];
      let next = 0;
      for (const child of children) {
        if (child.tagClass !== 'context') {
          throw decodeError(ctx, child.offset, `${typeName}: expected a context tag [n] but found ${describeTag(child)}`);
        }
        let index = next;
        while (index < entries.length && entries[index]![1].tag !== child.tagNumber) index++;
        if (index === entries.length) {
          childTrees.push({ ...RawTlv.decode(child, ctx, `[${child.tagNumber}]`).tree, error: `unexpected field [${child.tagNumber}] in ${typeName}` });
          continue;
        }
        for (let skipped = next; skipped < index; skipped++) {
          const f = entries[skipped]![1];
          if (!f.optional) throw decodeError(ctx, child.offset, `${typeName}: required field ${f.name} [${f.tag}] is missing`);
        }
        const [key, f] = entries[index]!;
        next = index + 1;
        const inner = innerContext(ctx, f.name);
        const decoded = f.schema.decode(explicitContent(inner, child, f.tag), inner, f.name);
        // The tree node spans the whole [n] wrapper so the hex view highlights the tag too (every
        // schema's decode returns a tree of its own, so it is changed in place, not copied).
        const tree = decoded.tree;
        tree.offset = child.offset;
        tree.length = child.headerLength + child.length;
        value[key] = decoded.value;
        trees[key] = tree;
        childTrees.push(tree);
      }
      for (let rest = next; rest < entries.length; rest++) {
        const f = entries[rest]![1];
        if (!f.optional) throw decodeError(ctx, nodeEnd(node), `${typeName}: required field ${f.name} [${f.tag}] is missing`);
      }
      const self = treeOf(name, typeName, node, { children: childTrees });
      if (summarize) self.value = summarize(value as SeqValue<F>);
      if (refine) refine(value as SeqValue<F>, trees, ctx, self);
      return { value: value as SeqValue<F>, tree: self };
    },
    encode(value) {
      const record = value as Record<string, unknown>;
      const parts = entries.flatMap(([key, f]) => {
        const v = record[key];
        if (v === undefined) {
          if (!f.optional) throw new Error(`${typeName}.${f.name} is required`);
          return [];
        }
        return [derExplicit('context', f.tag, f.schema.encode(v))];
      });
      return derSequence(parts);
    },
  };
}

/** SEQUENCE OF item. */
export function seqOf<T>(item: Schema<T>, typeName = `SEQUENCE OF ${item.typeName}`, itemName = item.typeName): Schema<T[]> {
  return {
    typeName,
    tag: { tagClass: 'universal', tagNumber: UniversalTag.SEQUENCE },
    decode(node, ctx, name) {
      expectUniversal(node, ctx, UniversalTag.SEQUENCE, typeName);
      const children = readChildren(ctx.input, node, ctx.structure, ctx);
      const decoded = children.map((child, i) => item.decode(child, innerContext(ctx, `${i}`), `${itemName}[${i}]`));
      return { value: decoded.map((d) => d.value), tree: treeOf(name, typeName, node, { children: decoded.map((d) => d.tree) }) };
    },
    encode: (values) => derSequence(values.map((v) => item.encode(v))),
  };
}

/** [APPLICATION n] EXPLICIT inner — how Kerberos marks its message types. */
export function app<T>(tagNumber: number, typeName: string, inner: Schema<T>): Schema<T> {
  return {
    typeName,
    tag: { tagClass: 'application', tagNumber },
    decode(node, ctx, name) {
      if (node.tagClass !== 'application' || node.tagNumber !== tagNumber) {
        throw decodeError(ctx, node.offset, `expected ${typeName} [APPLICATION ${tagNumber}] but found ${describeTag(node)}`);
      }
      const children = readChildren(ctx.input, node, ctx.structure, ctx);
      if (children.length !== 1) throw decodeError(ctx, node.offset, `${typeName} must wrap exactly one value`);
      const decoded = inner.decode(children[0]!, ctx, name);
      return { value: decoded.value, tree: { ...decoded.tree, type: typeName, offset: node.offset, length: node.headerLength + node.length } };
    },
    encode: (value) => derExplicit('application', tagNumber, inner.encode(value)),
  };
}

/** CHOICE of EXPLICITLY tagged alternatives: value is { kind, value }. */
export type ChoiceValue<A extends Record<string, Schema<unknown>>> = { [K in keyof A]: { kind: K; value: Infer<A[K]> } }[keyof A];

export function explicitChoice<A extends Record<string, Schema<unknown>>>(
  typeName: string,
  tagClass: TagClass,
  alternatives: { [K in keyof A]: { tag: number; schema: A[K] } },
): Schema<ChoiceValue<A>> {
  const list = Object.entries(alternatives) as [string, { tag: number; schema: Schema<unknown> }][];
  return {
    typeName,
    decode(node, ctx, name) {
      const match = list.find(([, alt]) => node.tagClass === tagClass && node.tagNumber === alt.tag);
      if (!match) throw decodeError(ctx, node.offset, `${typeName}: no alternative has tag ${describeTag(node)}`);
      const [kind, alt] = match;
      const children = readChildren(ctx.input, node, ctx.structure, ctx);
      if (children.length !== 1) throw decodeError(ctx, node.offset, `${typeName} must wrap exactly one value`);
      const decoded = alt.schema.decode(children[0]!, innerContext(ctx, kind), kind);
      return {
        value: { kind, value: decoded.value } as ChoiceValue<A>,
        tree: treeOf(name, typeName, node, { children: [decoded.tree] }),
      };
    },
    encode(value) {
      const alt = alternatives[value.kind as keyof A];
      return derExplicit(tagClass, alt.tag, alt.schema.encode(value.value as never));
    },
  };
}

// ---- Entry points -----------------------------------------------------------------------------

export interface DecodeOptions {
  /** Offset of bytes[0] in the user's input (for decrypted plaintext and slices). */
  base?: number;
  revealSecrets?: boolean;
  extra?: unknown;
  /** Require the value to fill the input exactly (default true). */
  exact?: boolean;
  /** Nesting depth already used by an enclosing decode (contained DER, decrypted parts). */
  depth?: number;
}

/** Decodes one value of `schema` from `bytes`, throwing KrbDecodeError on any malformation. */
export function decodeDer<T>(schema: Schema<T>, bytes: Uint8Array, structure: string, options: DecodeOptions = {}): Decoded<T> {
  const input: DerInput = { bytes, base: options.base ?? 0 };
  const ctx: DecodeContext = { input, structure, path: [], depth: options.depth ?? 0, revealSecrets: options.revealSecrets ?? false, extra: options.extra };
  if (ctx.depth >= MAX_DEPTH) throw new KrbDecodeError(structure, '', input.base, `nesting deeper than ${MAX_DEPTH} levels`);
  const node = readTlv(input, input.base, input.base + bytes.length, structure, '');
  const decoded = schema.decode(node, ctx, structure);
  if ((options.exact ?? true) && nodeEnd(node) !== input.base + bytes.length) {
    throw new KrbDecodeError(structure, '', nodeEnd(node), `${input.base + bytes.length - nodeEnd(node)} trailing byte(s) after the value`);
  }
  return decoded;
}

/** Decodes DER nested inside an OCTET STRING field, as a child context sharing offsets. */
export function decodeContained<T>(schema: Schema<T>, ctx: DecodeContext, octetsTree: TreeNode, contentLength: number, structure: string): Decoded<T> {
  const contentOffset = octetsTree.offset + octetsTree.length - contentLength;
  const start = contentOffset - ctx.input.base;
  const bytes = ctx.input.bytes.subarray(start, start + contentLength);
  return decodeDer(schema, bytes, structure, { base: contentOffset, revealSecrets: ctx.revealSecrets, extra: ctx.extra, depth: ctx.depth + 1 });
}

export { contentStart };
