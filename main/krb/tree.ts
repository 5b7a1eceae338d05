/**
 * The decoded-field tree every decoder produces (Wireshark style): each node names a field,
 * says what it is and where its bytes are. The CLI prints it, `--json` emits it as is, and the
 * renderer links each node to its byte range in a hex dump.
 */
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
}

export interface DecryptedPart {
  /** RFC 4120 key usage number, with its meaning: "2 (Ticket enc-part, service key)". */
  keyUsage: string;
  /** Where the key came from: "keytab svc.keytab: mqtt/localhost@BENCH.TEST kvno 2 aes256-cts-hmac-sha1-96". */
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

/** Finds the first node with this name, depth first (handy in tests and the UI). */
export function findNode(node: TreeNode, name: string): TreeNode | undefined {
  if (node.name === name) return node;
  for (const child of node.children ?? []) {
    const found = findNode(child, name);
    if (found) return found;
  }
  if (node.decrypted) return findNode(node.decrypted.tree, name);
  return undefined;
}
