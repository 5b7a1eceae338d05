/**
 * The decoded-field tree every decoder produces (Wireshark style): each node names a field,
 * says what it is and where its bytes are. The CLI prints it, `--json` emits it as is, and the
 * renderer links each node to its byte range in a hex dump.
 */
import { KrbDecodeError } from './errors';

export interface TreeNode {
  /** Field name as the spec spells it: "enc-part", "sname", "kvno", "TOK_ID". */
  name: string;
  /** What the field is: an ASN.1 or structure type ("Ticket", "INTEGER", "KerberosTime", "uint32"). */
  type: string;
  /** Absolute byte offset of the field (including its tag/length header) in the input. */
  offset: number;
  /** Length in bytes of the field (including header). */
  length: number;
  /** A display value for leaves and well-known composites: numbers, strings, ISO-8601 times, hex. */
  value?: string | number | boolean | string[];
  children?: TreeNode[];
  /** The plaintext of an encrypted field, when a key decrypted it. */
  decrypted?: DecryptedPart;
  /** Why this node could not be decoded (or decrypted) completely. */
  error?: string;
  /**
   * An encrypted part left closed because no key that could open it was there to try: not an
   * error (a client never holds the service's key), so views show it muted, saying who can.
   */
  sealed?: SealedPart;
}

/**
 * Whose key an encrypted part needs: the service's long-term key (a Ticket's enc-part), the
 * ticket's session key or a subkey (authenticator, AP-REP, GSS tokens), the client's long-term
 * key (AS-REP, PA-ENC-TIMESTAMP), or another (FAST armor, KRB-CRED, KRB-PRIV).
 */
export type SealedKey = 'service key' | 'session key' | 'client key' | 'other key';

export interface SealedPart {
  key: SealedKey;
  /** For whom, in words: "encrypted for mqtt/localhost@BENCH.TEST (kvno 2, aes256-cts-hmac-sha1-96)". */
  note: string;
}

export interface DecryptedPart {
  /** What opened the bytes: a key (the default) or a decompressor (PAC claims), whose keyUsage is ''. */
  kind?: 'decrypted' | 'decompressed';
  /** RFC 4120 key usage number, with its meaning: "2 (Ticket enc-part, service key)". */
  keyUsage: string;
  /** Where the key came from: "keytab svc.keytab: mqtt/localhost@BENCH.TEST kvno 2 aes256-cts-hmac-sha1-96"; for a decompressed part, the format and sizes. */
  keySource: string;
  /** The decoded plaintext; offsets are within the plaintext. */
  tree: TreeNode;
  /** The plaintext bytes (hex) for the hex view; key bytes zeroed unless secrets are revealed. */
  plaintext?: string;
  /** [offset, length] ranges of `plaintext` that were zeroed because they hold keys. */
  masked?: [number, number][];
}

export function leaf(name: string, type: string, offset: number, length: number, value?: TreeNode['value']): TreeNode {
  return value === undefined ? { name, type, offset, length } : { name, type, offset, length, value };
}

/**
 * Deepest field tree accepted. Our decoders stay far below it (DER nesting stops at 48 levels);
 * trees that come from outside — saved Exchanges, Bench API input — are checked against it
 * before anything walks them, so a hostile file cannot exhaust the stack.
 */
export const MAX_TREE_DEPTH = 128;

/** A field tree nested deeper than MAX_TREE_DEPTH: named like every decode error. */
export class TreeDepthError extends KrbDecodeError {
  constructor(node: Pick<TreeNode, 'name' | 'offset'>) {
    super('field tree', String(node.name), Number(node.offset) || 0, `nested deeper than ${MAX_TREE_DEPTH} levels`);
    this.name = 'TreeDepthError';
  }
}

/** For recursive walkers: throws TreeDepthError once `depth` passes the limit. */
export function checkTreeDepth(node: TreeNode, depth: number): void {
  if (depth > MAX_TREE_DEPTH) throw new TreeDepthError(node);
}

/**
 * Whether an untrusted value shaped like a TreeNode nests deeper than `limit` through `children`
 * and `decrypted.tree`. Iterative, so any depth is measured without recursion; anything that is
 * not a tree node is left to the schema that checks shapes.
 */
export function treeTooDeep(value: unknown, limit = MAX_TREE_DEPTH): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [node, depth] = stack.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    if (depth > limit) return true;
    const { children, decrypted } = node as { children?: unknown; decrypted?: { tree?: unknown } };
    if (Array.isArray(children)) for (const child of children) stack.push([child, depth + 1]);
    if (typeof decrypted === 'object' && decrypted !== null) stack.push([decrypted.tree, depth + 1]);
  }
  return false;
}

/** Finds the first node with this name, depth first, children before the decrypted part (handy in tests and the UI). */
export function findNode(node: TreeNode, name: string): TreeNode | undefined {
  // Iterative: a tree from a file is walked without recursion, whatever its depth.
  const stack: TreeNode[] = [node];
  while (stack.length) {
    const current = stack.pop()!;
    if (current.name === name) return current;
    if (current.decrypted) stack.push(current.decrypted.tree);
    for (let i = (current.children?.length ?? 0) - 1; i >= 0; i--) stack.push(current.children![i]!);
  }
  return undefined;
}

/** A direct child of a node by its field name (not a deep search: see findNode). */
export function childNode(node: TreeNode | undefined, name: string): TreeNode | undefined {
  return node?.children?.find((c) => c.name === name);
}

/** The number a display value names: 18, "18", or "aes256-cts-hmac-sha1-96 (18)". */
export function numberIn(value: TreeNode['value']): number | undefined {
  if (typeof value === 'number') return value;
  const match = typeof value === 'string' ? (/\((-?\d+)\)\s*$/.exec(value) ?? /^(-?\d+)$/.exec(value)) : null;
  return match ? Number(match[1]) : undefined;
}

/** What a decoded Ticket says in clear: the service, its realm, the key's kvno and etype, the cipher node. */
export interface TicketNodeFields {
  /** The service's PrincipalName without the realm: "mqtt/localhost". */
  sname: string;
  realm: string;
  kvno: number | null;
  etype: number | undefined;
  cipher: TreeNode | undefined;
}

/** The clear fields of a node of type Ticket; undefined when its sname or realm did not decode. */
export function ticketNodeFields(node: TreeNode): TicketNodeFields | undefined {
  const sname = childNode(node, 'sname')?.value;
  const realm = childNode(node, 'realm')?.value;
  if (typeof sname !== 'string' || typeof realm !== 'string') return undefined;
  const encPart = childNode(node, 'enc-part');
  return {
    sname,
    realm,
    kvno: numberIn(childNode(encPart, 'kvno')?.value) ?? null,
    etype: numberIn(childNode(encPart, 'etype')?.value),
    cipher: childNode(encPart, 'cipher'),
  };
}
