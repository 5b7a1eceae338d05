/**
 * Small helpers for the fixed-layout GSS token headers (RFC 4121, RFC 1964, NTLMSSP, the 0x8003
 * checksum): read a field with a bounds-checked BinaryReader and record it as a tree leaf.
 */
import type { BinaryReader } from '../binary';
import type { TreeNode } from '../tree';

/** Reads one field of any type and records it as a leaf with a display value. */
export function readField<T>(r: BinaryReader, name: string, type: string, read: () => T, display: (value: T) => TreeNode['value']): { value: T; node: TreeNode } {
  const offset = r.position;
  const value = read();
  const node: TreeNode = { name, type, offset, length: r.position - offset };
  const shown = display(value);
  if (shown !== undefined) node.value = shown;
  return { value, node };
}

/** Names of the bits set in `value`, then "0x…" for any bits without a name. */
export function bitNames(value: number, names: Record<number, string>): string[] {
  const out: string[] = [];
  let unknown = 0;
  for (let bit = 1; bit !== 0 && bit <= value; bit = (bit << 1) >>> 0) {
    if ((value & bit) === 0) continue;
    const name = names[bit];
    if (name) out.push(name);
    else unknown = (unknown | bit) >>> 0;
  }
  if (unknown) out.push(`unknown bits 0x${unknown.toString(16)}`);
  return out;
}

export const hexByte = (value: number, digits = 2): string => `0x${value.toString(16).padStart(digits, '0')}`;
