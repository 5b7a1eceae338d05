import type { Exchange } from '../../main/exchange/model';
import type { TreeNode } from '../../main/krb/tree';

/** A field tree `levels` deep: each node holds the next as its only child (or decrypted part). */
export function deepTree(levels: number, via: 'children' | 'decrypted' = 'children'): TreeNode {
  let node: TreeNode = { name: 'leaf', type: 'INTEGER', offset: 0, length: 1, value: 1 };
  for (let i = 0; i < levels; i++) {
    node =
      via === 'children'
        ? { name: `level-${levels - i}`, type: 'SEQUENCE', offset: 0, length: 2, children: [node] }
        : { name: `level-${levels - i}`, type: 'EncryptedData', offset: 0, length: 2, decrypted: { keyUsage: '2', keySource: 'test', tree: node } };
  }
  return node;
}

/** A failed client Exchange whose one step carries `tree` as its decoded token. */
export function exchangeWithTree(tree: TreeNode): Exchange {
  return {
    id: 'deep',
    source: 'import',
    role: 'client',
    mechanism: 'GSSAPI-KERBEROS',
    startedAt: '2026-12-06T00:00:00.000Z',
    steps: [
      {
        index: 0,
        direction: 'client-to-server',
        at: '2026-12-06T00:00:00.000Z',
        elapsedMs: 0,
        transport: { protocol: 'mqtt', packet: 'CONNECT' },
        decoded: tree,
      },
    ],
    verdict: { outcome: 'failure', reason: 'Clock skew too great' },
  };
}

/** The JSON text of deepTree(levels), built without recursion (JSON.stringify overflows first). */
export function deepTreeJson(levels: number): string {
  const open = '{"name":"n","type":"SEQUENCE","offset":0,"length":2,"children":[';
  return `${open.repeat(levels)}{"name":"leaf","type":"INTEGER","offset":0,"length":1}${']}'.repeat(levels)}`;
}

/** The JSON text of exchangeWithTree(a tree `levels` deep). */
export function deepExchangeJson(levels: number): string {
  const placeholder = { name: 'TREE', type: '', offset: 0, length: 0 };
  return JSON.stringify(exchangeWithTree(placeholder)).replace(JSON.stringify(placeholder), deepTreeJson(levels));
}

/** The JSON text of an Exchange file whose one step carries a tree `levels` deep. */
export function deepExchangeFileJson(levels: number): string {
  return `{"format":"kbench-exchange","version":1,"exchange":${deepExchangeJson(levels)}}`;
}
