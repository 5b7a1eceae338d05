import { describe, expect, it } from 'vitest';
import { KrbDecodeError } from '../../../main/krb/errors';
import { checkTreeDepth, findNode, MAX_TREE_DEPTH, TreeDepthError, treeTooDeep, type TreeNode } from '../../../main/krb/tree';
import { formatTree } from '../../../main/cli/tree-format';
import { deepTree } from '../../helpers/deep-tree';

describe('field tree depth', () => {
  it('measures depth through children and decrypted parts without recursion', () => {
    expect(treeTooDeep(deepTree(MAX_TREE_DEPTH))).toBe(false);
    expect(treeTooDeep(deepTree(MAX_TREE_DEPTH + 1))).toBe(true);
    expect(treeTooDeep(deepTree(MAX_TREE_DEPTH + 1, 'decrypted'))).toBe(true);
    // Far beyond what recursion survives: still an answer.
    expect(treeTooDeep(deepTree(200_000))).toBe(true);
  });

  it('leaves what is not a tree node to the shape check', () => {
    for (const value of [null, 7, 'x', [], { children: 'no' }, { decrypted: null }, { children: [null, 3] }]) expect(treeTooDeep(value)).toBe(false);
  });

  it('stops recursive walkers with a typed error naming the node', () => {
    const node: TreeNode = { name: 'enc-part', type: 'EncryptedData', offset: 42, length: 9 };
    expect(() => checkTreeDepth(node, MAX_TREE_DEPTH)).not.toThrow();
    const error = (() => {
      try {
        checkTreeDepth(node, MAX_TREE_DEPTH + 1);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(TreeDepthError);
    expect(error).toBeInstanceOf(KrbDecodeError);
    expect((error as Error).message).toBe(`field tree.enc-part at byte 42: nested deeper than ${MAX_TREE_DEPTH} levels`);
    expect(() => formatTree(deepTree(MAX_TREE_DEPTH + 5))).toThrow(TreeDepthError);
  });
});

describe('findNode', () => {
  const tree: TreeNode = {
    name: 'root',
    type: 'SEQUENCE',
    offset: 0,
    length: 10,
    children: [
      { name: 'a', type: 'X', offset: 0, length: 1, children: [{ name: 'target', type: 'first', offset: 0, length: 1 }] },
      { name: 'target', type: 'second', offset: 1, length: 1 },
    ],
    decrypted: { keyUsage: '2', keySource: 'k', tree: { name: 'target', type: 'decrypted', offset: 0, length: 1 } },
  };

  it('finds the first match depth first, children before the decrypted part', () => {
    expect(findNode(tree, 'target')?.type).toBe('first');
    expect(findNode({ ...tree, children: [] }, 'target')?.type).toBe('decrypted');
    expect(findNode(tree, 'nothing')).toBeUndefined();
  });

  it('walks a tree of any depth', () => {
    expect(findNode(deepTree(100_000), 'leaf')?.value).toBe(1);
  });
});
