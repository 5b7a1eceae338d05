/**
 * Pseudo-random functions (RFC 3961 §3) and KRB-FX-CF2 (RFC 6113 §5.1): what FAST uses to
 * derive its armor key from the TGT session key and the authenticator subkey, and to strengthen
 * reply keys.
 */
import { KrbCryptoError } from '../errors';
import { enctypeName } from '../names';
import { aesCtsEncrypt } from './aes-cts';
import { digest, hmac } from './mac';
import { cachedDerivation, derivedKey } from './rfc3961';

const PRF_CONSTANT = Buffer.from('prf', 'ascii');

/**
 * DK(key, "prf"), cached like the per-usage keys: a capture's FAST replies run KRB-FX-CF2 with
 * every reply key on the ring (issue 18). Filed under the negated enctype, since the cache's
 * slots are (enctype, key usage) and "prf" is no key usage.
 */
function prfKey(enctype: number, key: Uint8Array): Buffer {
  return cachedDerivation(-enctype, key, 0, () => derivedKey(key, PRF_CONSTANT));
}

/** RFC 3962 §6: E(DK(key, "prf"), truncate-to-block(SHA-1(input))) with a zero IV. */
function prfAesSha1(enctype: 17 | 18, key: Uint8Array, input: Uint8Array): Buffer {
  const tmp = digest('sha1', input).subarray(0, 16);
  return aesCtsEncrypt(prfKey(enctype, key), undefined, tmp);
}

/** RFC 8009 §5: KDF-HMAC-SHA2(key, "prf", input) of 256 (etype 19) or 384 (etype 20) bits. */
function prfAesSha2(hash: 'sha256' | 'sha384', key: Uint8Array, input: Uint8Array): Buffer {
  const bits = hash === 'sha256' ? 256 : 384;
  const k = Buffer.alloc(4);
  k.writeUInt32BE(bits, 0);
  return hmac(hash, key, Buffer.from([0, 0, 0, 1]), PRF_CONSTANT, Buffer.from([0]), input, k).subarray(0, bits / 8);
}

/** The enctype's PRF (RC4: HMAC-SHA1, as Microsoft and MIT define it). */
export function prf(enctype: number, key: Uint8Array, input: Uint8Array): Buffer {
  switch (enctype) {
    case 17:
    case 18:
      return prfAesSha1(enctype, key, input);
    case 19:
      return prfAesSha2('sha256', key, input);
    case 20:
      return prfAesSha2('sha384', key, input);
    case 23:
      return hmac('sha1', key, input);
    default:
      throw new KrbCryptoError('unsupported-enctype', `no PRF for ${enctypeName(enctype)}`);
  }
}

/** RFC 6113 §5.1 PRF+: PRF(key, 1 | pepper) | PRF(key, 2 | pepper) | … truncated to `length`. */
export function prfPlus(enctype: number, key: Uint8Array, pepper: string, length: number): Buffer {
  const parts: Buffer[] = [];
  for (let counter = 1, produced = 0; produced < length; counter++) {
    const block = prf(enctype, key, Buffer.concat([Buffer.from([counter]), Buffer.from(pepper, 'utf8')]));
    parts.push(block);
    produced += block.length;
  }
  return Buffer.concat(parts).subarray(0, length);
}

/**
 * KRB-FX-CF2(key1, key2, pepper1, pepper2) = random-to-key(PRF+(key1, pepper1) XOR
 * PRF+(key2, pepper2)), with key1's enctype and key length (random-to-key is the identity for AES).
 */
export function krbFxCf2(enctype1: number, key1: Uint8Array, enctype2: number, key2: Uint8Array, pepper1: string, pepper2: string): Buffer {
  const length = key1.length;
  const a = prfPlus(enctype1, key1, pepper1, length);
  const b = prfPlus(enctype2, key2, pepper2, length);
  return Buffer.from(a.map((byte, i) => byte ^ b[i]!));
}
