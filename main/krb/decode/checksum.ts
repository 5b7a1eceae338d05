/**
 * Keyed checksums checked with the keys at hand: PAC signatures, KRB-SAFE, PA-FOR-USER and
 * PA-S4U-X509-USER carry a checksum but do not say which key made it. The checksum type names the
 * algorithm, so every key of a fitting enctype is tried and the one that verifies is named; when
 * none fits, the verdict says which key would (Wireshark's "not verified" is a dead end).
 */
import { verifyKeyedChecksum } from '../crypto';
import { contentStart, readTlv, type DerInput } from '../der/reader';
import { KrbCryptoError } from '../errors';
import { checksumTypeName, enctypeName } from '../names';
import type { TreeNode } from '../tree';
import { keyUsageLabel } from '../usages';
import type { KeyEntry, KeyRing } from './keyring';

/** Which enctypes' keys make each keyed checksum type (RFC 3961, 3962, 8009, 6803, 4757). */
export const CHECKSUM_KEY_ENCTYPES: Record<number, number[]> = {
  8: [1, 3],
  12: [16],
  15: [17],
  16: [18],
  17: [25],
  18: [26],
  19: [19],
  20: [20],
  // hmac-md5 (RFC 4757) is defined over any key's bytes: MS-SFU and MS-PAC use it with AES keys too.
  [-138]: [23, 17, 18, 19, 20, 25, 26, 16],
};

export interface ChecksumCheck {
  /** The key that verifies, if one does. */
  verified?: KeyEntry;
  /** How many keys of a fitting enctype were tried. */
  tried: number;
}

/** Keys to try: a list, or a session's ring (which then derives only the enctypes that fit). */
export type ChecksumKeys = readonly KeyEntry[] | Pick<KeyRing, 'forEnctypes'>;

/**
 * Tries every key that can make `type` (and that `canMake` allows: a checksum known to be made
 * with a long-term key skips learned session keys); the first that verifies wins.
 */
export function checkKeyedChecksum(type: number, usage: number, data: Uint8Array, expected: Uint8Array, keys: ChecksumKeys, canMake: (key: KeyEntry) => boolean = () => true): ChecksumCheck {
  const enctypes = CHECKSUM_KEY_ENCTYPES[type] ?? [];
  const fitting = ('forEnctypes' in keys ? keys.forEnctypes(enctypes) : keys.filter((k) => enctypes.includes(k.enctype))).filter(canMake);
  for (const key of fitting) {
    try {
      if (verifyKeyedChecksum(type, key.key, usage, data, expected)) return { verified: key, tried: fitting.length };
    } catch (error) {
      if (!(error instanceof KrbCryptoError)) throw error;
    }
  }
  return { tried: fitting.length };
}

/**
 * Hangs the verdict under `node` (the checksum's own node, whose bytes it spans): verified with
 * which key, not verified for want of a key (`needs` says which), or an error when every fitting
 * key was tried and none verifies.
 */
export function addChecksumVerdict(
  node: TreeNode,
  type: number,
  usage: number,
  result: ChecksumCheck,
  needs: string,
  /** What was checksummed, for "…, or the PAC was changed". */
  subject = 'the data',
): void {
  const base: TreeNode = { name: 'verification', type: `checksum check, key usage ${keyUsageLabel(usage)}`, offset: node.offset, length: node.length };
  let verdict: TreeNode;
  if (result.verified) verdict = { ...base, value: `verified with ${result.verified.source}` };
  else if (result.tried === 0) {
    const enctypes = (CHECKSUM_KEY_ENCTYPES[type] ?? []).map(enctypeName).join(' or ');
    verdict = { ...base, value: `not verified: no ${enctypes || checksumTypeName(type)} key to try — this checksum needs ${needs}` };
  } else {
    verdict = { ...base, error: `does not verify with any of the ${result.tried} ${checksumTypeName(type)} key(s) tried: it needs ${needs}, or ${subject} was changed` };
  }
  node.children = [...(node.children ?? []), verdict];
}

/**
 * The DER bytes of the value inside a field's explicit [n] wrapper (a seq field's tree node spans
 * the wrapper): what a checksum over "the encoding of KRB-SAFE-BODY" or "of S4UUserID" covers.
 * Taken from the input as sent, so a non-canonical encoding verifies as its sender computed it.
 */
export function wrappedValueBytes(input: DerInput, wrapper: Pick<TreeNode, 'offset' | 'length'>): Uint8Array {
  const tlv = readTlv(input, wrapper.offset, wrapper.offset + wrapper.length, 'checksummed field', '');
  const start = contentStart(tlv) - input.base;
  return input.bytes.subarray(start, wrapper.offset + wrapper.length - input.base);
}
