/**
 * The Kerberos crypto layer: the RFC 3961 framework for the enctypes the bench reads and writes
 * (17, 18 RFC 3962; 19, 20 RFC 8009; 23 RFC 4757), keyed checksums by checksum type, and the
 * primitives OpenSSL 3 no longer offers by default (MD4, RC4, AES-CTS).
 */
import { KrbCryptoError } from '../errors';
import { checksumTypeName, ENCTYPES, enctypeName } from '../names';
import { aes128CtsHmacSha196, aes256CtsHmacSha196 } from './aes-sha1';
import { aes128CtsHmacSha256128, aes256CtsHmacSha384192 } from './aes-sha2';
import { macEquals } from './mac';
import { arcfourHmac, hmacMd5Checksum } from './rc4-hmac';
import type { EncryptionType } from './types';

export type { EncryptionType } from './types';
export { aesCtsDecrypt, aesCtsEncrypt } from './aes-cts';
export { md4 } from './md4';
export { nfold } from './nfold';
export { rc4 } from './rc4';
export { rc4Usage } from './rc4-hmac';
export { KEY_USAGE_SEED, type UsageKeys } from './rfc3961';
export { aesSha1UsageKeys } from './aes-sha1';
export { aesSha2UsageKeys, kdfHmacSha2 } from './aes-sha2';

const ENCTYPE_TABLE = new Map<number, EncryptionType>(
  [aes256CtsHmacSha196, aes128CtsHmacSha196, aes256CtsHmacSha384192, aes128CtsHmacSha256128, arcfourHmac].map((e) => [e.id, e]),
);

/** Enctype numbers this layer implements, ascending. */
export const SUPPORTED_ENCTYPES: number[] = [17, 18, 19, 20, 23];

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

type KeyedChecksum = (key: Uint8Array, usage: number, data: Uint8Array) => Buffer;

/**
 * Keyed checksums by checksum type: Authenticator checksums, PAC signatures and KRB-SAFE carry
 * the checksum type, not the enctype. -138 (hmac-md5) accepts keys of any enctype, as in MIT.
 */
const CHECKSUM_TABLE = new Map<number, KeyedChecksum>([
  [15, aes128CtsHmacSha196.checksum],
  [16, aes256CtsHmacSha196.checksum],
  [19, aes128CtsHmacSha256128.checksum],
  [20, aes256CtsHmacSha384192.checksum],
  [-138, hmacMd5Checksum],
]);

/** Keyed checksum types this layer implements. */
export const SUPPORTED_CHECKSUM_TYPES: number[] = [15, 16, 19, 20, -138];

function requireChecksumType(checksumType: number): KeyedChecksum {
  const compute = CHECKSUM_TABLE.get(checksumType);
  if (compute) return compute;
  const supported = SUPPORTED_CHECKSUM_TYPES.map(checksumTypeName).join(', ');
  throw new KrbCryptoError(
    'unsupported-enctype',
    `checksum type ${checksumType} (${checksumTypeName(checksumType)}) is not supported; supported: ${supported}`,
  );
}

export function keyedChecksum(checksumType: number, key: Uint8Array, usage: number, data: Uint8Array): Buffer {
  return requireChecksumType(checksumType)(key, usage, data);
}

/** Constant-time check of a received checksum; false on mismatch (including a wrong length). */
export function verifyKeyedChecksum(checksumType: number, key: Uint8Array, usage: number, data: Uint8Array, expected: Uint8Array): boolean {
  return macEquals(expected, keyedChecksum(checksumType, key, usage, data));
}
export { krbFxCf2, prf, prfPlus } from './prf';
