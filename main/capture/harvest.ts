/**
 * What the scan reads off a decoded token beyond its tree: the tickets it carries (to link an
 * application exchange to the KDC exchange that issued its ticket), the principal names it
 * names (in clear, or once a key opened the part that holds them), and the keys that opened it.
 */
import { createHash } from 'node:crypto';
import type { CaptureTicket } from '../exchange/model';
import { childNode, ticketNodeFields, type TreeNode } from '../krb/tree';

export interface TokenHarvest {
  /** Tickets in the token's own bytes (not inside decrypted parts: those have their own offsets). */
  tickets: CaptureTicket[];
  /** Client principals ("alice@BENCH.TEST"), in clear or decrypted. */
  clients: string[];
  /** Service principals ("mqtt/localhost@BENCH.TEST"). */
  services: string[];
  /** The key source of every part a key opened, once per part. */
  keysUsed: string[];
}

/** A ticket's identity in clear: who it is for, under which key, and its cipher's fingerprint. */
function ticketOf(node: TreeNode, token: Uint8Array): CaptureTicket | undefined {
  const fields = ticketNodeFields(node);
  const cipher = fields?.cipher;
  if (!fields || !cipher || fields.etype === undefined) return undefined;
  if (cipher.offset < 0 || cipher.offset + cipher.length > token.length) return undefined;
  // The node spans the OCTET STRING's tag and length: hash its content only, as the KDC extractor does.
  const lengthByte = token[cipher.offset + 1] ?? 0;
  const header = lengthByte < 0x80 ? 2 : 2 + (lengthByte & 0x7f);
  const content = token.subarray(cipher.offset + header, cipher.offset + cipher.length);
  const fingerprint = createHash('sha256').update(content).digest('hex').slice(0, 32);
  return { sname: fields.sname, realm: fields.realm, kvno: fields.kvno, etype: fields.etype, fingerprint };
}

/** Walks the tree (decrypted parts included) without recursion: trees from captures can be deep. */
export function harvestToken(tree: TreeNode, token: Uint8Array): TokenHarvest {
  const out: TokenHarvest = { tickets: [], clients: [], services: [], keysUsed: [] };
  const stack: { node: TreeNode; decrypted: boolean }[] = [{ node: tree, decrypted: false }];
  while (stack.length > 0) {
    const { node, decrypted } = stack.pop()!;
    if (node.type === 'Ticket' && !decrypted) {
      const ticket = ticketOf(node, token);
      if (ticket) out.tickets.push(ticket);
    }
    const cname = childNode(node, 'cname')?.value;
    const crealm = (childNode(node, 'crealm') ?? childNode(node, 'realm'))?.value;
    if (typeof cname === 'string' && typeof crealm === 'string') out.clients.push(`${cname}@${crealm}`);
    const sname = childNode(node, 'sname')?.value;
    const srealm = childNode(node, 'realm')?.value;
    if (typeof sname === 'string' && typeof srealm === 'string') out.services.push(`${sname}@${srealm}`);
    if (node.decrypted) {
      if (node.decrypted.kind !== 'decompressed') out.keysUsed.push(node.decrypted.keySource);
      stack.push({ node: node.decrypted.tree, decrypted: true });
    }
    for (const c of node.children ?? []) stack.push({ node: c, decrypted });
  }
  return out;
}
