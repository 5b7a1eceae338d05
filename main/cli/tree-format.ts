import { checkTreeDepth, type TreeNode } from '../krb/tree';
import { logSafe } from '../system/log-safe';

function valueText(value: TreeNode['value']): string {
  if (value === undefined) return '';
  if (Array.isArray(value)) return value.join(' ');
  const text = String(value);
  // Long hex blobs (ciphertext) are summarised; --json has them whole.
  return text.length > 96 && /^[0-9a-f]+$/.test(text) ? `${text.slice(0, 64)}… (${text.length / 2} bytes)` : text;
}

/** The field tree as indented text: "name: value   [type @offset+length]", decrypted parts inline. */
export function formatTree(node: TreeNode, indent = 0, out: string[] = [], depth = 0): string[] {
  checkTreeDepth(node, depth);
  const pad = '  '.repeat(indent);
  const value = valueText(node.value);
  // Names and values come from the bytes decoded (a principal name, a string in a token): escaped.
  out.push(`${pad}${logSafe(node.name)}${value ? `: ${logSafe(value)}` : ''}   [${logSafe(node.type)} @${node.offset}+${node.length}]`);
  if (node.error) out.push(`${pad}  ! ${logSafe(node.error)}`);
  else if (node.sealed) out.push(`${pad}  ~ ${logSafe(node.sealed.note)}`);
  for (const child of node.children ?? []) formatTree(child, indent + 1, out, depth + 1);
  if (node.decrypted) {
    const part = node.decrypted;
    out.push(
      part.kind === 'decompressed'
        ? `${pad}  ⤷ decompressed: ${part.keySource} (offsets in the decompressed bytes)`
        : `${pad}  ⤷ decrypted with ${part.keySource}; key usage ${part.keyUsage} (offsets in the plaintext)`,
    );
    formatTree(node.decrypted.tree, indent + 2, out, depth + 1);
  }
  return out;
}
