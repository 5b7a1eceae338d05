/**
 * PAC signatures checked with the keys at hand (MS-PAC §2.8.1–2.8.5):
 *
 *   server signature (PAC_SERVER_CHECKSUM, 6) = keyed checksum with the service's key, key usage
 *     17 (KERB_NON_KERB_CKSUM_SALT), over the whole PAC with the Signature bytes of the server and
 *     KDC signatures zeroed;
 *   KDC signature (PAC_PRIVSVR_CHECKSUM, 7) = keyed checksum with the krbtgt key, usage 17, over
 *     the server signature's Signature bytes;
 *   ticket signature (PAC_TICKET_CHECKSUM, 16) = krbtgt key, usage 17, over the EncTicketPart
 *     (DER, [APPLICATION 3] included) with the PAC's bytes replaced by one zero byte and every
 *     enclosing length fixed up (§2.8.3; Heimdal's _kdc_pac_sign_ticket) — checked once the whole
 *     EncTicketPart is decoded (verifyTicketSignatures, from the ticket's decryption);
 *   full signature (PAC_FULL_CHECKSUM, 19; "extended KDC signature", CVE-2022-37967) = krbtgt
 *     key, usage 17, over the whole PAC with the server, KDC and full signatures zeroed (the ticket
 *     signature stays) — checked against a Samba 4.17 DC's service tickets. It is made before the
 *     server signature, so the server signature covers it.
 *
 * The checksum type names the algorithm (16 hmac-sha1-96-aes256, -138 hmac-md5 …), so every key
 * of a fitting enctype on the decode's key ring is tried — the one that verifies is named. When no
 * key fits, the node says which key would: a PAC is only as trustworthy as the key that signed it.
 */
import { addChecksumVerdict, checkKeyedChecksum, type ChecksumKeys } from '../decode/checksum';
import type { TreeNode } from '../tree';
import { KeyUsage } from '../usages';
import { pacForServerChecksum, pacWithSignaturesZeroed, type Pac, type PacBuffer } from './pac';

const SERVER_SIGNATURE = 6;
const KDC_SIGNATURE = 7;
const TICKET_SIGNATURE = 16;
const FULL_SIGNATURE = 19;

const NEEDS = {
  service: "the service's key (the one that decrypted the ticket)",
  krbtgt: 'the krbtgt key of the realm (a keytab holding krbtgt/REALM)',
};

/** Checks one signature and hangs the verdict under its buffer's node. */
function verify(node: TreeNode | undefined, buffer: PacBuffer, data: Uint8Array, keys: ChecksumKeys, whose: keyof typeof NEEDS, subject = 'the PAC'): void {
  const { type, signature } = buffer.signature!;
  if (!node) return;
  // Made with long-term keys (the service's, krbtgt's: MS-PAC §2.8): a learned session key, subkey
  // or FAST key never verifies one, and a capture of many sessions would try each of them.
  const result = checkKeyedChecksum(type, KeyUsage.PAC_CHECKSUM, data, signature, keys, (key) => key.role === undefined);
  addChecksumVerdict(node, type, KeyUsage.PAC_CHECKSUM, result, NEEDS[whose], subject);
}

/**
 * Checks the server, KDC and full signatures of a decoded PAC with `keys`, and hangs the verdict
 * under each signature buffer's node (`tree` is decodePac's tree for the same bytes).
 */
export function verifyPacSignatures(bytes: Uint8Array, pac: Pac, tree: TreeNode, keys: ChecksumKeys): void {
  const signed = (type: number) => pac.buffers.find((b) => b.type === type && b.signature);
  const server = signed(SERVER_SIGNATURE);
  const kdc = signed(KDC_SIGNATURE);
  const full = signed(FULL_SIGNATURE);
  const ticket = signed(TICKET_SIGNATURE);
  const nodeOf = (buffer: PacBuffer) => tree.children?.find((c) => c.offset === tree.offset + buffer.offset && c.type === buffer.typeName);
  if (server) verify(nodeOf(server), server, pacForServerChecksum(bytes, pac), keys, 'service');
  if (kdc && server) verify(nodeOf(kdc), kdc, server.signature!.signature, keys, 'krbtgt');
  if (full) verify(nodeOf(full), full, pacWithSignaturesZeroed(bytes, pac, [SERVER_SIGNATURE, KDC_SIGNATURE, FULL_SIGNATURE]), keys, 'krbtgt');
  const ticketNode = ticket && nodeOf(ticket);
  if (ticketNode) {
    // Checked by verifyTicketSignatures when this PAC turns out to sit in a ticket's EncTicketPart.
    ticketSignatures.set(tree, { node: ticketNode, buffer: ticket, keys });
    ticketNode.children = [
      ...(ticketNode.children ?? []),
      {
        name: 'verification',
        type: 'checksum check',
        offset: ticketNode.offset,
        length: ticketNode.length,
        value: 'not checked: it is made over the EncTicketPart around the PAC (MS-PAC §2.8.3), and this PAC was not read from a decrypted ticket',
      },
    ];
  }
}

/** PAC trees (decodePac's) whose ticket signature waits for the EncTicketPart around them. */
const ticketSignatures = new WeakMap<TreeNode, { node: TreeNode; buffer: PacBuffer; keys: ChecksumKeys }>();

/**
 * Checks the ticket signature of every PAC inside a decrypted EncTicketPart: `encTicketPart` is
 * the plaintext and `tree` its decoded tree (offsets within the plaintext), as the ticket's
 * decryption hands them over. Replaces the "not checked" verdict verifyPacSignatures left.
 */
export function verifyTicketSignatures(encTicketPart: Uint8Array, tree: TreeNode): void {
  for (const pacTree of pacTrees(tree)) {
    const pending = ticketSignatures.get(pacTree);
    if (!pending) continue;
    ticketSignatures.delete(pacTree);
    pending.node.children = (pending.node.children ?? []).filter((c) => c.name !== 'verification');
    const signed = withContentReplaced(encTicketPart, 0, pacTree.offset, pacTree.offset + pacTree.length, Uint8Array.of(0));
    if (!signed) {
      pending.node.children.push({ name: 'verification', type: 'checksum check', offset: pending.node.offset, length: pending.node.length, error: 'not checked: the PAC is not where DER nesting can reach it in the EncTicketPart' });
      continue;
    }
    verify(pending.node, pending.buffer, signed, pending.keys, 'krbtgt', 'the ticket');
  }
}

/** The PAC trees under `node` (not inside other decrypted parts: those are other tickets' business). */
function pacTrees(node: TreeNode, depth = 0): TreeNode[] {
  if (depth > 64) return [];
  if (node.type === 'PACTYPE') return [node];
  return (node.children ?? []).flatMap((c) => pacTrees(c, depth + 1));
}

/** One DER TLV's header: where its content starts and where it ends (null when it runs past `limit`). */
function tlvAt(der: Uint8Array, at: number, limit: number): { contentStart: number; end: number } | null {
  let p = headerEnd(der, at);
  if (p >= limit) return null;
  let length = der[p++]!;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4 || p + count > limit) return null;
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + der[p++]!;
  }
  return p + length <= limit ? { contentStart: p, end: p + length } : null;
}

function derLength(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

/**
 * The TLV at `at` re-encoded with the bytes [start, end) — the content of a TLV nested somewhere
 * inside it, OCTET STRINGs holding DER included — replaced, every length on the way fixed up.
 */
function withContentReplaced(der: Uint8Array, at: number, start: number, end: number, replacement: Uint8Array, limit = der.length, depth = 0): Buffer | null {
  const tlv = tlvAt(der, at, limit);
  if (!tlv || depth > 32) return null;
  let content: Uint8Array;
  if (tlv.contentStart === start && tlv.end === end) {
    content = replacement;
  } else {
    let child = tlv.contentStart;
    let found: { at: number; end: number; bytes: Buffer } | null = null;
    while (child < tlv.end && !found) {
      const inner = tlvAt(der, child, tlv.end);
      if (!inner) return null;
      if (child <= start && end <= inner.end) {
        const bytes = withContentReplaced(der, child, start, end, replacement, tlv.end, depth + 1);
        if (!bytes) return null;
        found = { at: child, end: inner.end, bytes };
      }
      child = inner.end;
    }
    if (!found) return null;
    content = Buffer.concat([der.subarray(tlv.contentStart, found.at), found.bytes, der.subarray(found.end, tlv.end)]);
  }
  return Buffer.concat([der.subarray(at, headerEnd(der, at)), derLength(content.length), content]);
}

/** Where the tag bytes of the TLV at `at` end (a high tag number runs on while bit 8 is set). */
function headerEnd(der: Uint8Array, at: number): number {
  let p = at + 1;
  if ((der[at]! & 0x1f) === 0x1f) {
    while (p < der.length && der[p]! & 0x80) p++;
    p++;
  }
  return p;
}
