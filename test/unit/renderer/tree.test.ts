import { describe, expect, it } from 'vitest';
import { indexTree, MAX_TREE_DEPTH } from '../../../renderer/src/utils/tree';
import { MAX_TREE_DEPTH as ENGINE_MAX_TREE_DEPTH } from '../../../main/krb/tree';
import { deepTree } from '../../helpers/deep-tree';

describe('the viewers’ tree index', () => {
  it('shows a hand-made tree deeper than the engine allows down to the limit, and says the rest is not shown', () => {
    expect(MAX_TREE_DEPTH).toBe(ENGINE_MAX_TREE_DEPTH);
    const index = indexTree(deepTree(50_000));
    expect(index.count).toBe(MAX_TREE_DEPTH + 1);
    const deepest = [...index.byId.values()].find((item) => item.depth === MAX_TREE_DEPTH)!;
    expect(deepest.children).toEqual([]);
    expect(deepest.node.error).toBe(`nested deeper than ${MAX_TREE_DEPTH} levels: the rest is not shown`);
  });

  it('indexes a tree within the limit completely', () => {
    const index = indexTree(deepTree(MAX_TREE_DEPTH, 'decrypted'));
    expect(index.count).toBe(MAX_TREE_DEPTH + 1);
    expect([...index.byId.values()].some((item) => item.node.error)).toBe(false);
  });
});
