/**
 * The Kerberos crypto layer: the RFC 3961 framework for the enctypes the bench reads and writes
 * (1, 3 and 16 RFC 3961 §6.2-6.3; 17, 18 RFC 3962; 19, 20 RFC 8009; 23 RFC 4757; 25, 26 RFC 6803),
 * keyed checksums by checksum type, and the primitives OpenSSL 3 no longer offers by default
 * (MD4, RC4, single DES, CTS, CMAC).
 */
import { KrbCryptoError } from '../errors';
import { checksumTypeName, ENCTYPES, enctypeName } from '../names';
import { aes128CtsHmacSha196, aes256CtsHmacSha196 } from './aes-sha1';
import { aes128CtsHmacSha256128, aes256CtsHmacSha384192 } from './aes-sha2';
import { camellia128CtsCmac, camellia256CtsCmac } from './camellia';
import { desCbcCrc, desCbcMd5, rsaMd5DesChecksum, verifyRsaMd5Des } from './des';
import { des3CbcSha1 } from './des3';
import { macEquals } from './mac';
import { arcfourHmac, hmacMd5Checksum } from './rc4-hmac';
import type { EncryptionType } from './types';

export type { EncryptionType } from './types';
export { aesCtsDecrypt, aesCtsEncrypt } from './aes-cts';
export { ctsDecrypt, ctsEncrypt, type CtsCipher } from './cts';
export { cmac } from './cmac';
export { modCrc32 } from './crc32';
export { md4 } from './md4';
export { nfold } from './nfold';
export { rc4 } from './rc4';
export { rc4Usage } from './rc4-hmac';
export { KEY_USAGE_SEED, type UsageKeys } from './rfc3961';
export { aesSha1UsageKeys } from './aes-sha1';
export { aesSha2UsageKeys, kdfHmacSha2 } from './aes-sha2';
export { desFanFold, mitDesStringToKey } from './des';
export { des3DerivedKey, des3DerivedRandom, des3UsageKeys } from './des3';
export { camelliaUsageKeys, kdfFeedbackCmac } from './camellia';

const ENCTYPE_TABLE = new Map<number, EncryptionType>(
  [
    desCbcCrc,
    desCbcMd5,
    des3CbcSha1,
    aes256CtsHmacSha196,
    aes128CtsHmacSha196,
    aes256CtsHmacSha384192,
    aes128CtsHmacSha256128,
    arcfourHmac,
    camellia128CtsCmac,
    camellia256CtsCmac,
  ].map((e) => [e.id, e]),
);

/** Enctype numbers this layer implements, ascending. */
export const SUPPORTED_ENCTYPES: number[] = [1, 3, 16, 17, 18, 19, 20, 23, 25, 26];

export function getEnctype(id: number): EncryptionType | undefined {
  return ENCTYPE_TABLE.get(id);
}

/** Like getEnctype, but an unsupported enctype is a KrbCryptoError that names it the MIT way. */
export function requireEnctype(id: number): EncryptionType {
  const enctype = ENCTYPE_TABLE.get(id);
  if (enctype) return enctype;
  const supported = SUPPORTED_ENCTYPES.map((e) => ENCTYPES[e]).join(', ');
  throw new KrbCryptoError('unsupported-enctype', `enctype ${id} (${enctypeName(id)}) is not supported; supported: ${supported}`);
}

interface KeyedChecksum {
  compute(key: Uint8Array, usage: number, data: Uint8Array): Buffer;
  verify(key: Uint8Array, usage: number, data: Uint8Array, expected: Uint8Array): boolean;
}

/** A deterministic checksum is verified by computing it again. */
function deterministic(compute: KeyedChecksum['compute']): KeyedChecksum {
  return { compute, verify: (key, usage, data, expected) => macEquals(expected, compute(key, usage, data)) };
}

/**
 * Keyed checksums by checksum type: Authenticator checksums, PAC signatures and KRB-SAFE carry
 * the checksum type, not the enctype. -138 (hmac-md5) accepts keys of any enctype, as in MIT.
 * rsa-md5-des (8) takes any single-DES key and hides a random confounder, so it is verified by
 * decryption. Unkeyed checksums (crc32 1, rsa-md5 7) prove nothing and are not listed.
 */
const CHECKSUM_TABLE = new Map<number, KeyedChecksum>([
  [8, { compute: (key, usage, data) => rsaMd5DesChecksum(key, usage, data), verify: verifyRsaMd5Des }],
  [12, deterministic(des3CbcSha1.checksum)],
  [15, deterministic(aes128CtsHmacSha196.checksum)],
  [16, deterministic(aes256CtsHmacSha196.checksum)],
  [17, deterministic(camellia128CtsCmac.checksum)],
  [18, deterministic(camellia256CtsCmac.checksum)],
  [19, deterministic(aes128CtsHmacSha256128.checksum)],
  [20, deterministic(aes256CtsHmacSha384192.checksum)],
  [-138, deterministic(hmacMd5Checksum)],
]);

/** Keyed checksum types this layer implements. */
export const SUPPORTED_CHECKSUM_TYPES: number[] = [8, 12, 15, 16, 17, 18, 19, 20, -138];

function requireChecksumType(checksumType: number): KeyedChecksum {
  const compute = CHECKSUM_TABLE.get(checksumType);
  if (compute) return compute;
  const supported = SUPPORTED_CHECKSUM_TYPES.map(checksumTypeName).join(', ');
  throw new KrbCryptoError(
    'unsupported-enctype',
    `checksum type ${checksumType} (${checksumTypeName(checksumType)}) is not supported; supported: ${supported}`,
  );
}

/** A fresh keyed checksum (rsa-md5-des differs every time: compare with verifyKeyedChecksum). */
export function keyedChecksum(checksumType: number, key: Uint8Array, usage: number, data: Uint8Array): Buffer {
  return requireChecksumType(checksumType).compute(key, usage, data);
}

/** Constant-time check of a received checksum; false on mismatch (including a wrong length). */
export function verifyKeyedChecksum(checksumType: number, key: Uint8Array, usage: number, data: Uint8Array, expected: Uint8Array): boolean {
  return requireChecksumType(checksumType).verify(key, usage, data, expected);
}
export { krbFxCf2, prf, prfPlus } from './prf';
