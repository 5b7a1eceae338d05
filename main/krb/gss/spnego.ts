/**
 * SPNEGO (RFC 4178) and Microsoft's NegTokenInit2 ([MS-SPNG] §2.2.1):
 *
 *   NegotiationToken ::= CHOICE { negTokenInit [0] NegTokenInit, negTokenResp [1] NegTokenResp }
 *   NegTokenInit  ::= SEQUENCE { mechTypes [0] MechTypeList, reqFlags [1] ContextFlags OPTIONAL,
 *                                mechToken [2] OCTET STRING OPTIONAL, mechListMIC [3] OCTET STRING OPTIONAL }
 *   NegTokenInit2 ::= SEQUENCE { mechTypes [0], reqFlags [1], mechToken [2],
 *                                negHints [3] NegHints OPTIONAL, mechListMIC [4] OCTET STRING OPTIONAL }
 *   NegHints      ::= SEQUENCE { hintName [0] GeneralString OPTIONAL, hintAddress [1] OCTET STRING OPTIONAL }
 *   NegTokenResp  ::= SEQUENCE { negState [0] ENUMERATED OPTIONAL, supportedMech [1] MechType OPTIONAL,
 *                                responseToken [2] OCTET STRING OPTIONAL, mechListMIC [3] OCTET STRING OPTIONAL }
 *
 * The initial token is framed per RFC 2743 with the SPNEGO OID; later tokens are a bare [1]. A
 * [3] in an init token is told apart by its content: OCTET STRING (mechListMIC) or SEQUENCE (negHints).
 */
import { describeTag, UniversalTag } from '../der/reader';
import {
  decodeDer,
  decodeError,
  Enumerated,
  explicitChoice,
  flagsFrom,
  KerberosFlags,
  KerberosString,
  ObjectIdentifier,
  OctetString,
  optional,
  seq,
  seqOf,
  type Decoded,
  type Infer,
  type Schema,
} from '../der/schema';
import { KrbDecodeError } from '../errors';
import type { TreeNode } from '../tree';
import { frameInitialContextToken, isInitialContextToken, parseInitialContextToken, SPNEGO_OID } from './framing';
import { isNtlmssp } from './ntlm';

export { SPNEGO_OID };

/** RFC 4178 §4.2.1 ContextFlags, bit 0 first (bit 4 was sequenceFlag's neighbour "anonFlag"). */
export const CONTEXT_FLAGS = ['delegFlag', 'mutualFlag', 'replayFlag', 'sequenceFlag', 'anonFlag', 'confFlag', 'integFlag'] as const;

export const NegState = { ACCEPT_COMPLETED: 0, ACCEPT_INCOMPLETE: 1, REJECT: 2, REQUEST_MIC: 3 } as const;
export const NEG_STATE_NAMES: Record<number, string> = { 0: 'accept-completed', 1: 'accept-incomplete', 2: 'reject', 3: 'request-mic' };

/** The hintName Windows puts in NegTokenInit2 (and every SMB server copies). */
export const WINDOWS_HINT_NAME = 'not_defined_in_RFC4178@please_ignore';

const MechTypeList = seqOf(ObjectIdentifier, 'MechTypeList', 'MechType');
const ContextFlags = KerberosFlags('ContextFlags', CONTEXT_FLAGS);

const GeneralString: Schema<string> = {
  ...KerberosString,
  typeName: 'GeneralString',
  decode(node, ctx, name) {
    const decoded = KerberosString.decode(node, ctx, name);
    decoded.tree.type = 'GeneralString';
    return decoded;
  },
};

const NegHints = seq(
  'NegHints',
  {
    hintName: optional(0, 'hintName', GeneralString),
    hintAddress: optional(1, 'hintAddress', OctetString),
  },
  { summarize: (v) => v.hintName ?? (v.hintAddress ? v.hintAddress.toString('hex') : '') },
);
export type NegHints = Infer<typeof NegHints>;

type MicOrHints = { kind: 'mechListMIC'; value: Buffer } | { kind: 'negHints'; value: NegHints };

/** [3] of an init token: mechListMIC (RFC 4178) or negHints (NegTokenInit2), told apart by the tag inside. */
const MechListMicOrNegHints: Schema<MicOrHints> = {
  typeName: 'mechListMIC | negHints',
  decode(node, ctx): Decoded<MicOrHints> {
    if (node.tagClass === 'universal' && node.tagNumber === UniversalTag.OCTET_STRING) {
      const d = OctetString.decode(node, ctx, 'mechListMIC');
      return { value: { kind: 'mechListMIC', value: d.value }, tree: d.tree };
    }
    if (node.tagClass === 'universal' && node.tagNumber === UniversalTag.SEQUENCE) {
      const d = NegHints.decode(node, ctx, 'negHints');
      return { value: { kind: 'negHints', value: d.value }, tree: d.tree };
    }
    throw decodeError(ctx, node.offset, `[3] holds neither a mechListMIC (OCTET STRING) nor NegTokenInit2 negHints (SEQUENCE) but ${describeTag(node)}`);
  },
  encode: (v) => (v.kind === 'mechListMIC' ? OctetString.encode(v.value) : NegHints.encode(v.value)),
};

const NegTokenInitSchema = seq(
  'NegTokenInit',
  {
    mechTypes: optional(0, 'mechTypes', MechTypeList),
    reqFlags: optional(1, 'reqFlags', ContextFlags),
    mechToken: optional(2, 'mechToken', OctetString),
    micOrHints: optional(3, 'mechListMIC', MechListMicOrNegHints),
    mechListMIC: optional(4, 'mechListMIC', OctetString),
  },
  { summarize: (v) => `${v.mechTypes?.length ?? 0} mechanism(s)${v.mechToken ? ', optimistic mechToken' : ''}` },
);

const NegTokenRespSchema = seq(
  'NegTokenResp',
  {
    negState: optional(0, 'negState', Enumerated('NegState', NEG_STATE_NAMES)),
    supportedMech: optional(1, 'supportedMech', ObjectIdentifier),
    responseToken: optional(2, 'responseToken', OctetString),
    mechListMIC: optional(3, 'mechListMIC', OctetString),
  },
  { summarize: (v) => (v.negState !== undefined ? (NEG_STATE_NAMES[v.negState] ?? `negState ${v.negState}`) : 'no negState') },
);

const NegotiationToken = explicitChoice('NegotiationToken', 'context', {
  negTokenInit: { tag: 0, schema: NegTokenInitSchema },
  negTokenResp: { tag: 1, schema: NegTokenRespSchema },
});

export interface NegTokenInit {
  kind: 'negTokenInit';
  /** NegTokenInit2 when negHints or a [4] mechListMIC is present. */
  variant: 'NegTokenInit' | 'NegTokenInit2';
  mechTypes: string[];
  reqFlags?: string[];
  mechToken?: Buffer;
  mechListMIC?: Buffer;
  negHints?: NegHints;
}

export interface NegTokenResp {
  kind: 'negTokenResp';
  negState?: number;
  negStateName?: string;
  supportedMech?: string;
  responseToken?: Buffer;
  mechListMIC?: Buffer;
}

export type SpnegoToken = NegTokenInit | NegTokenResp;

/** What an embedded mechanism token looks like, so the caller knows which decoder to use. */
export type InnerTokenFormat = 'NTLMSSP' | 'NEGOEX' | 'InitialContextToken' | 'Kerberos' | 'unknown';

export interface InnerToken {
  field: 'mechToken' | 'responseToken';
  /** Absolute offset of the token's first byte. */
  offset: number;
  bytes: Buffer;
  /** The mechanism the token is for, when SPNEGO says (first mechType, or supportedMech). */
  mechOid?: string;
  format: InnerTokenFormat;
  /** The field's node in the SPNEGO tree: a decoder hangs the token's own tree under it. */
  node: TreeNode;
}

export interface DecodedSpnego {
  framed: boolean;
  value: SpnegoToken;
  tree: TreeNode;
  innerTokens: InnerToken[];
}

export function innerTokenFormat(bytes: Uint8Array): InnerTokenFormat {
  if (isNtlmssp(bytes)) return 'NTLMSSP';
  if (bytes.length >= 8 && Buffer.from(bytes.subarray(0, 8)).toString('latin1') === 'NEGOEXTS') return 'NEGOEX';
  if (isInitialContextToken(bytes)) return 'InitialContextToken';
  if (bytes.length > 0 && [0x6e, 0x6f, 0x7e].includes(bytes[0]!)) return 'Kerberos';
  return 'unknown';
}

function toInit(v: Infer<typeof NegTokenInitSchema>): NegTokenInit {
  const negHints = v.micOrHints?.kind === 'negHints' ? v.micOrHints.value : undefined;
  const mic = v.micOrHints?.kind === 'mechListMIC' ? v.micOrHints.value : v.mechListMIC;
  const out: NegTokenInit = { kind: 'negTokenInit', variant: negHints || v.mechListMIC ? 'NegTokenInit2' : 'NegTokenInit', mechTypes: v.mechTypes ?? [] };
  if (v.reqFlags) out.reqFlags = v.reqFlags.names;
  if (v.mechToken) out.mechToken = v.mechToken;
  if (mic) out.mechListMIC = mic;
  if (negHints) out.negHints = negHints;
  return out;
}

function toResp(v: Infer<typeof NegTokenRespSchema>): NegTokenResp {
  const out: NegTokenResp = { kind: 'negTokenResp' };
  if (v.negState !== undefined) {
    out.negState = v.negState;
    const name = NEG_STATE_NAMES[v.negState];
    if (name) out.negStateName = name;
  }
  if (v.supportedMech) out.supportedMech = v.supportedMech;
  if (v.responseToken) out.responseToken = v.responseToken;
  if (v.mechListMIC) out.mechListMIC = v.mechListMIC;
  return out;
}

function findChild(tree: TreeNode, name: string): TreeNode | undefined {
  return tree.children?.[0]?.children?.find((c) => c.name === name);
}

/** The OCTET STRING's content is its last `length` bytes, after the [n] and 04 headers. */
function innerToken(tree: TreeNode, field: InnerToken['field'], bytes: Buffer, mechOid: string | undefined): InnerToken | undefined {
  const node = findChild(tree, field);
  if (!node) return undefined;
  // Whatever the length forms of the [n] and OCTET STRING headers (a2 82 … 04 82 … from 256 bytes
  // on), the content is the node's last bytes.
  const token: InnerToken = { field, offset: node.offset + node.length - bytes.length, bytes, format: innerTokenFormat(bytes), node };
  if (mechOid) token.mechOid = mechOid;
  node.type = `OCTET STRING (${token.format === 'unknown' ? 'mechanism token' : token.format})`;
  return token;
}

function decodeNegotiationToken(bytes: Uint8Array, base: number): { value: SpnegoToken; tree: TreeNode; innerTokens: InnerToken[] } {
  if (bytes.length > 0 && (bytes[0]! & 0xe0) !== 0xa0) {
    throw new KrbDecodeError('NegotiationToken', '', base, `expected [0] NegTokenInit or [1] NegTokenResp (0xa0/0xa1) but the token starts with 0x${bytes[0]!.toString(16).padStart(2, '0')}`);
  }
  const decoded = decodeDer(NegotiationToken, bytes, 'NegotiationToken', { base });
  const choice = decoded.value;
  if (choice.kind === 'negTokenInit') {
    const value = toInit(choice.value);
    const tokens = value.mechToken ? [innerToken(decoded.tree, 'mechToken', value.mechToken, value.mechTypes[0])] : [];
    decoded.tree.value = value.variant;
    const initTree = decoded.tree.children?.[0];
    if (!choice.value.mechTypes && initTree) initTree.error = 'mechTypes [0] is missing: RFC 4178 requires the list of offered mechanisms';
    return { value, tree: decoded.tree, innerTokens: tokens.filter((t): t is InnerToken => t !== undefined) };
  }
  const value = toResp(choice.value);
  const tokens = value.responseToken ? [innerToken(decoded.tree, 'responseToken', value.responseToken, value.supportedMech)] : [];
  decoded.tree.value = value.negStateName ?? 'NegTokenResp';
  return { value, tree: decoded.tree, innerTokens: tokens.filter((t): t is InnerToken => t !== undefined) };
}

/**
 * Decodes a SPNEGO token: the framed initial token (0x60, SPNEGO OID, [0] NegTokenInit) or a bare
 * NegotiationToken ([1] NegTokenResp, or [0] from peers that skip the framing).
 * `innerTokens` are the mechToken/responseToken payloads for the caller to decode further.
 */
export function decodeSpnego(bytes: Uint8Array, base = 0): DecodedSpnego {
  if (!isInitialContextToken(bytes)) return { framed: false, ...decodeNegotiationToken(bytes, base) };
  const framing = parseInitialContextToken(bytes, base);
  if (framing.mechOid !== SPNEGO_OID) {
    throw new KrbDecodeError('SPNEGO', 'thisMech', base, `the token is framed for ${framing.mechOid}, not SPNEGO (${SPNEGO_OID})`);
  }
  const inner = decodeNegotiationToken(framing.inner, framing.innerOffset);
  const tree = framing.tree;
  tree.children = [...tree.children!.filter((c) => c.name !== 'innerToken'), inner.tree];
  tree.value = `SPNEGO ${inner.tree.value}`;
  return { framed: true, ...inner, tree };
}

export interface NegTokenInitOptions {
  reqFlags?: readonly (typeof CONTEXT_FLAGS)[number][];
  mechListMIC?: Uint8Array;
  /** Makes a NegTokenInit2 (then mechListMIC goes to [4]). */
  negHints?: NegHints;
}

/** The initial SPNEGO token, framed per RFC 2743: 0x60 | SPNEGO OID | [0] NegTokenInit(2). */
export function encodeNegTokenInit(mechTypes: readonly string[], mechToken?: Uint8Array, options: NegTokenInitOptions = {}): Buffer {
  const value: Infer<typeof NegTokenInitSchema> = { mechTypes: [...mechTypes] };
  if (options.reqFlags) value.reqFlags = flagsFrom(CONTEXT_FLAGS, options.reqFlags);
  if (mechToken) value.mechToken = Buffer.from(mechToken);
  if (options.negHints) {
    value.micOrHints = { kind: 'negHints', value: options.negHints };
    if (options.mechListMIC) value.mechListMIC = Buffer.from(options.mechListMIC);
  } else if (options.mechListMIC) {
    value.micOrHints = { kind: 'mechListMIC', value: Buffer.from(options.mechListMIC) };
  }
  return frameInitialContextToken(SPNEGO_OID, null, NegotiationToken.encode({ kind: 'negTokenInit', value }));
}

export interface NegTokenRespFields {
  negState?: number | 'accept-completed' | 'accept-incomplete' | 'reject' | 'request-mic';
  supportedMech?: string;
  responseToken?: Uint8Array;
  mechListMIC?: Uint8Array;
}

/** A bare [1] NegTokenResp, as servers answer (and clients continue). */
export function encodeNegTokenResp(fields: NegTokenRespFields): Buffer {
  const value: Infer<typeof NegTokenRespSchema> = {};
  if (fields.negState !== undefined) {
    const state = typeof fields.negState === 'number' ? fields.negState : Number(Object.entries(NEG_STATE_NAMES).find(([, n]) => n === fields.negState)![0]);
    value.negState = state;
  }
  if (fields.supportedMech) value.supportedMech = fields.supportedMech;
  if (fields.responseToken) value.responseToken = Buffer.from(fields.responseToken);
  if (fields.mechListMIC) value.mechListMIC = Buffer.from(fields.mechListMIC);
  return NegotiationToken.encode({ kind: 'negTokenResp', value });
}
