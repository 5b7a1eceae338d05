/**
 * PAC signatures checked with the keys at hand (MS-PAC §2.8.1–2.8.2):
 *
 *   server signature (PAC_SERVER_CHECKSUM, 6) = keyed checksum with the service's key, key usage
 *     17 (KERB_NON_KERB_CKSUM_SALT), over the whole PAC with the Signature bytes of the server and
 *     KDC signatures zeroed;
 *   KDC signature (PAC_PRIVSVR_CHECKSUM, 7) = keyed checksum with the krbtgt key, usage 17, over
 *     the server signature's Signature bytes.
 *
 * The checksum type names the algorithm (16 hmac-sha1-96-aes256, -138 hmac-md5 …), so every key
 * of a fitting enctype on the decode's key ring is tried — the one that verifies is named. When no
 * key fits, the node says which key would: a PAC is only as trustworthy as the key that signed it.
 */
import { verifyKeyedChecksum } from '../crypto';
import type { KeyEntry } from '../decode/keyring';
import { KrbCryptoError } from '../errors';
import { checksumTypeName, enctypeName } from '../names';
import type { TreeNode } from '../tree';
import { KeyUsage } from '../usages';
import { pacForServerChecksum, type Pac, type PacBuffer } from './pac';

/** Which enctypes' keys make each keyed checksum type (RFC 3961, RFC 3962, RFC 8009, RFC 6803, RFC 4757). */
const CHECKSUM_KEY_ENCTYPES: Record<number, number[]> = {
  8: [1, 3],
  12: [16],
  15: [17],
  16: [18],
  17: [25],
  18: [26],
  19: [19],
  20: [20],
  [-138]: [23, 17, 18, 19, 20, 25, 26, 16],
};

const SERVER_SIGNATURE = 6;
const KDC_SIGNATURE = 7;

interface Check {
  verified?: KeyEntry;
  tried: number;
}

function check(type: number, data: Uint8Array, signature: Uint8Array, keys: readonly KeyEntry[]): Check {
  const fitting = keys.filter((k) => CHECKSUM_KEY_ENCTYPES[type]?.includes(k.enctype));
  for (const key of fitting) {
    try {
      if (verifyKeyedChecksum(type, key.key, KeyUsage.PAC_CHECKSUM, data, signature)) return { verified: key, tried: fitting.length };
    } catch (error) {
      if (!(error instanceof KrbCryptoError)) throw error;
    }
  }
  return { tried: fitting.length };
}

/** The verdict as a node under the signature buffer: verified with which key, or why not. */
function verdictNode(node: TreeNode, buffer: PacBuffer, result: Check, whose: 'service' | 'krbtgt'): TreeNode {
  const type = buffer.signature!.type;
  const base: TreeNode = { name: 'verification', type: 'signature check', offset: node.offset, length: node.length };
  if (result.verified) return { ...base, value: `verified with ${result.verified.source}` };
  const wanted = whose === 'service' ? "the service's key (the one that decrypted the ticket)" : 'the krbtgt key of the realm (a keytab holding krbtgt/REALM)';
  if (result.tried === 0) {
    const enctypes = (CHECKSUM_KEY_ENCTYPES[type] ?? []).map(enctypeName).join(' or ');
    return { ...base, value: `not verified: no ${enctypes || checksumTypeName(type)} key to try — this signature needs ${wanted}` };
  }
  return { ...base, error: `does not verify with any of the ${result.tried} ${checksumTypeName(type)} key(s) tried: it needs ${wanted}, or the PAC was changed` };
}

/**
 * Checks the server and KDC signatures of a decoded PAC with `keys`, and hangs the verdict under
 * each signature buffer's node (`tree` is decodePac's tree for the same bytes).
 */
export function verifyPacSignatures(bytes: Uint8Array, pac: Pac, tree: TreeNode, keys: readonly KeyEntry[]): void {
  const server = pac.buffers.find((b) => b.type === SERVER_SIGNATURE && b.signature);
  const kdc = pac.buffers.find((b) => b.type === KDC_SIGNATURE && b.signature);
  const nodeOf = (buffer: PacBuffer) => tree.children?.find((c) => c.offset === tree.offset + buffer.offset && c.type === buffer.typeName);
  if (server) {
    const node = nodeOf(server);
    const result = check(server.signature!.type, pacForServerChecksum(bytes, pac), server.signature!.signature, keys);
    if (node) node.children = [...(node.children ?? []), verdictNode(node, server, result, 'service')];
  }
  if (kdc && server) {
    const node = nodeOf(kdc);
    const result = check(kdc.signature!.type, server.signature!.signature, kdc.signature!.signature, keys);
    if (node) node.children = [...(node.children ?? []), verdictNode(node, kdc, result, 'krbtgt')];
  }
}
