/**
 * The decoded-field tree as the viewers use it: every node gets a stable id, its parent and the
 * byte context its offsets refer to — the input, or the plaintext of an encrypted field whose
 * `decrypted` part the engine filled in (offsets inside a decrypted subtree are relative to that
 * plaintext).
 */
import type { DecryptedPart, TreeNode } from '@api/index';

export interface TreeItem {
  /** "0", "0/2/1", "0/2/1/d/0" — "d" steps into a decrypted part. */
  id: string;
  node: TreeNode;
  depth: number;
  parent: TreeItem | null;
  children: TreeItem[];
  /** The encrypted field whose plaintext holds this node's bytes; null when they are input bytes. */
  plainOwner: TreeItem | null;
  /** Set on the root of a decrypted subtree: how it was decrypted. */
  decrypted?: DecryptedPart;
}

export interface ItemIndex {
  root: TreeItem;
  byId: Map<string, TreeItem>;
  count: number;
}

/**
 * Deepest level shown (the engine's MAX_TREE_DEPTH): a tree from a hand-made Exchange file can be
 * nested deeper than any decoder makes one, and must not exhaust the page's stack.
 */
export const MAX_TREE_DEPTH = 128;

export function indexTree(root: TreeNode): ItemIndex {
  const byId = new Map<string, TreeItem>();
  const build = (node: TreeNode, id: string, depth: number, parent: TreeItem | null, plainOwner: TreeItem | null, decrypted?: DecryptedPart): TreeItem => {
    if (depth >= MAX_TREE_DEPTH && (node.children?.length || node.decrypted)) {
      node = { name: node.name, type: node.type, offset: node.offset, length: node.length, error: `nested deeper than ${MAX_TREE_DEPTH} levels: the rest is not shown` };
    }
    const item: TreeItem = { id, node, depth, parent, children: [], plainOwner, ...(decrypted ? { decrypted } : {}) };
    byId.set(id, item);
    (node.children ?? []).forEach((child, i) => item.children.push(build(child, `${id}/${i}`, depth + 1, item, plainOwner)));
    if (node.decrypted) item.children.push(build(node.decrypted.tree, `${id}/d`, depth + 1, item, item, node.decrypted));
    return item;
  };
  const rootItem = build(root, '0', 0, null, null);
  return { root: rootItem, byId, count: byId.size };
}

/** The id of the byte context an item's offsets refer to: "input" or the owner's id. */
export const contextOf = (item: TreeItem): string => item.plainOwner?.id ?? 'input';

/** The root item of a byte context (the whole tree for "input", a decrypted root otherwise). */
export function contextRoot(index: ItemIndex, context: string): TreeItem | undefined {
  return context === 'input' ? index.root : index.byId.get(`${context}/d`);
}

/** The deepest node of `context` whose bytes contain `offset` (not descending into other contexts). */
export function deepestAt(index: ItemIndex, context: string, offset: number): TreeItem | undefined {
  const root = contextRoot(index, context);
  if (!root || !contains(root.node, offset)) return root && offset >= 0 ? root : undefined;
  let current = root;
  for (;;) {
    const next = current.children.find((c) => !c.decrypted && contains(c.node, offset));
    if (!next) return current;
    current = next;
  }
}

const contains = (node: TreeNode, offset: number) => offset >= node.offset && offset < node.offset + node.length;

/** Children shown per parent before a "show more" row: keeps a 1 MiB keytab's tree light. */
export const CHILD_PAGE = 200;

export type TreeRow =
  | { kind: 'node'; id: string; item: TreeItem }
  | { kind: 'more'; id: string; parent: TreeItem; depth: number; hidden: number };

/** The rows shown with these expanded ids and per-parent child limits, in display order. */
export function visibleRows(root: TreeItem, expanded: ReadonlySet<string>, limits: ReadonlyMap<string, number>): TreeRow[] {
  const out: TreeRow[] = [];
  const walk = (item: TreeItem) => {
    out.push({ kind: 'node', id: item.id, item });
    if (!expanded.has(item.id)) return;
    const limit = limits.get(item.id) ?? CHILD_PAGE;
    item.children.slice(0, limit).forEach(walk);
    if (item.children.length > limit) out.push({ kind: 'more', id: `${item.id}/more`, parent: item, depth: item.depth + 1, hidden: item.children.length - limit });
  };
  walk(root);
  return out;
}

/**
 * Ids to expand initially: level by level while at most `budget` rows show (everything for an
 * AP-REQ; the top of a huge keytab), and always the way down to decrypted parts.
 */
export function initialExpansion(index: ItemIndex, budget = 400): Set<string> {
  const open = new Set<string>();
  let shown = 1;
  let level: TreeItem[] = [index.root];
  // A whole level opens or none of it, so siblings look alike.
  while (level.length) {
    const parents = level.filter((item) => item.children.length > 0);
    const adds = parents.reduce((n, item) => n + Math.min(item.children.length, CHILD_PAGE), 0);
    if (parents.length === 0 || (shown + adds > budget && open.size > 0)) break;
    parents.forEach((item) => open.add(item.id));
    shown += adds;
    level = parents.flatMap((item) => item.children.slice(0, CHILD_PAGE));
  }
  // Decrypted parts open, and the place of a sealed part is shown (its note says who opens it).
  for (const item of index.byId.values()) {
    if (!item.decrypted && !item.node.sealed) continue;
    for (const a of ancestors(item)) open.add(a.id);
    if (item.decrypted && item.children.length) open.add(item.id);
  }
  return open;
}

export function ancestors(item: TreeItem): TreeItem[] {
  const out: TreeItem[] = [];
  for (let p = item.parent; p; p = p.parent) out.push(p);
  return out;
}

/** A node's value as text (lists joined with ", "). */
export function valueText(value: TreeNode['value']): string | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return value.join(', ');
  return String(value);
}

const HIDDEN = /<(\d+) bytes? hidden>$/;

/**
 * Byte ranges of a context that hold secrets the tree hides ("<32 bytes hidden>" values: keytab
 * keys, ccache session keys): the hex dump masks them too, or it would show what the tree hides.
 * The hidden bytes are the last N bytes of such a node (a keyblock ends with its key).
 */
export function hiddenRanges(index: ItemIndex, context: string): [number, number][] {
  const out: [number, number][] = [];
  for (const item of index.byId.values()) {
    if (contextOf(item) !== context || typeof item.node.value !== 'string') continue;
    const match = HIDDEN.exec(item.node.value);
    if (!match) continue;
    const n = Math.min(Number(match[1]), item.node.length);
    if (n > 0) out.push([item.node.offset + item.node.length - n, n]);
  }
  return out;
}
