import { getEnctype } from '../crypto';
import { decodeDer, type DecodeContext, type Schema } from '../der/schema';
import { KrbCryptoError, KrbDecodeError } from '../errors';
import { enctypeName } from '../names';
import { checkTreeDepth, type TreeNode } from '../tree';
import { keyUsageLabel } from '../usages';
import { sessionOf, type KeyEntry } from './keyring';

/** Key-bearing nodes (their type says so) inside a decrypted tree, not descending into nested decryptions. */
function secretRanges(node: TreeNode, out: [number, number][] = [], depth = 0): [number, number][] {
  checkTreeDepth(node, depth);
  if (node.type === 'OCTET STRING (key)') {
    // Mask the key bytes only, not the tag/length in front of them.
    const hidden = /^<(\d+) bytes hidden>$/.exec(String(node.value ?? ''));
    const keyLength = hidden ? Math.min(Number(hidden[1]), node.length) : node.length;
    out.push([node.offset + node.length - keyLength, keyLength]);
  }
  for (const child of node.children ?? []) secretRanges(child, out, depth + 1);
  return out;
}

/** The plaintext for the hex view, with key bytes zeroed unless the user revealed secrets. */
function plaintextView(plaintext: Buffer, tree: TreeNode, reveal: boolean): { plaintext: string; masked?: [number, number][] } {
  if (reveal) return { plaintext: plaintext.toString('hex') };
  const masked = secretRanges(tree);
  const copy = Buffer.from(plaintext);
  for (const [offset, length] of masked) copy.fill(0, offset, offset + length);
  return { plaintext: copy.toString('hex'), masked };
}

export interface EncryptedDataValue {
  etype: number;
  kvno?: number;
  cipher: Buffer;
}

/**
 * Tries every key on the session's ring that matches the etype; the first that decrypts wins.
 * The plaintext is decoded with `schema` and hung under the encrypted field's tree node as
 * `decrypted`, naming the key usage and the key. Failures are recorded on the node, never thrown:
 * a message whose encrypted part we cannot open is still a fine message to show.
 */
export function decryptField<T>(
  ctx: DecodeContext,
  encTree: TreeNode | undefined,
  enc: EncryptedDataValue,
  usage: number,
  schema: Schema<T>,
  structure: string,
  onDecrypted?: (value: T, key: KeyEntry) => void,
): T | undefined {
  const session = sessionOf(ctx.extra);
  if (!session || session.keyring.size === 0 || !encTree) return undefined;
  const enctype = getEnctype(enc.etype);
  if (!enctype) {
    encTree.error = `cannot decrypt: ${enctypeName(enc.etype)} is not supported`;
    return undefined;
  }
  const candidates = session.keyring.candidates(enc.etype);
  for (const candidate of candidates) {
    let plaintext: Buffer;
    try {
      plaintext = enctype.decrypt(candidate.key, usage, enc.cipher);
    } catch (error) {
      if (error instanceof KrbCryptoError) continue;
      throw error;
    }
    const part = { keyUsage: keyUsageLabel(usage), keySource: candidate.source };
    try {
      const decoded = decodeDer(schema, plaintext, structure, { base: 0, revealSecrets: ctx.revealSecrets, extra: ctx.extra, exact: false, depth: ctx.depth + 1 });
      encTree.decrypted = { ...part, tree: decoded.tree, ...plaintextView(plaintext, decoded.tree, ctx.revealSecrets) };
      onDecrypted?.(decoded.value, candidate);
      return decoded.value;
    } catch (error) {
      if (!(error instanceof KrbDecodeError)) throw error;
      encTree.decrypted = {
        ...part,
        tree: { name: structure, type: 'plaintext', offset: 0, length: plaintext.length, value: plaintext.toString('hex'), error: error.message },
      };
      return undefined;
    }
  }
  encTree.error = candidates.length
    ? `none of the ${candidates.length} ${enctypeName(enc.etype)} key(s) decrypts this (key usage ${keyUsageLabel(usage)}): tried ${candidates.map((c) => c.source).join('; ')}`
    : `no ${enctypeName(enc.etype)} key to try (have: ${session.keyring.describe()})`;
  return undefined;
}
