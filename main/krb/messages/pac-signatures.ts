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
import { addChecksumVerdict, checkKeyedChecksum, type ChecksumKeys } from '../decode/checksum';
import type { TreeNode } from '../tree';
import { KeyUsage } from '../usages';
import { pacForServerChecksum, type Pac, type PacBuffer } from './pac';

const SERVER_SIGNATURE = 6;
const KDC_SIGNATURE = 7;

const NEEDS = {
  service: "the service's key (the one that decrypted the ticket)",
  krbtgt: 'the krbtgt key of the realm (a keytab holding krbtgt/REALM)',
};

/** Checks one signature and hangs the verdict under its buffer's node. */
function verify(node: TreeNode | undefined, buffer: PacBuffer, data: Uint8Array, keys: ChecksumKeys, whose: keyof typeof NEEDS): void {
  const { type, signature } = buffer.signature!;
  if (!node) return;
  const result = checkKeyedChecksum(type, KeyUsage.PAC_CHECKSUM, data, signature, keys);
  addChecksumVerdict(node, type, KeyUsage.PAC_CHECKSUM, result, NEEDS[whose], 'the PAC');
}

/**
 * Checks the server and KDC signatures of a decoded PAC with `keys`, and hangs the verdict under
 * each signature buffer's node (`tree` is decodePac's tree for the same bytes).
 */
export function verifyPacSignatures(bytes: Uint8Array, pac: Pac, tree: TreeNode, keys: ChecksumKeys): void {
  const server = pac.buffers.find((b) => b.type === SERVER_SIGNATURE && b.signature);
  const kdc = pac.buffers.find((b) => b.type === KDC_SIGNATURE && b.signature);
  const nodeOf = (buffer: PacBuffer) => tree.children?.find((c) => c.offset === tree.offset + buffer.offset && c.type === buffer.typeName);
  if (server) verify(nodeOf(server), server, pacForServerChecksum(bytes, pac), keys, 'service');
  if (kdc && server) verify(nodeOf(kdc), kdc, server.signature!.signature, keys, 'krbtgt');
}
