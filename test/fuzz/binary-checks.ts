/** Checks the binary-parser fuzz targets share: where a typed error points, where decoded nodes lie. */
import type { TreeNode } from '../../main/krb/tree';

/** A typed refusal names where: "… at byte N: …". */
export function namesOffset(error: Error): void {
  if (!/ at byte \d+/.test(error.message)) throw new Error(`typed error without a byte offset: ${error.message}`);
}

/** Every node (and every decrypted part's tree, against its plaintext) lies inside its bytes. */
export function assertInBounds(node: TreeNode, start: number, end: number, path = node.name): void {
  if (!(node.offset >= start && node.length >= 0 && node.offset + node.length <= end)) {
    throw new Error(`node ${path} [${node.offset}, +${node.length}] lies outside [${start}, ${end})`);
  }
  const d = node.decrypted;
  if (d?.plaintext !== undefined) assertInBounds(d.tree, 0, d.plaintext.length / 2, `${path}→plaintext`);
  for (const child of node.children ?? []) assertInBounds(child, start, end, `${path}.${child.name}`);
}
