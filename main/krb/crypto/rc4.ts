/**
 * RC4 (ARCFOUR) stream cipher, as used by RC4-HMAC (RFC 4757). OpenSSL 3 has it only in the
 * legacy provider, which we do not enable. Encryption and decryption are the same operation.
 * RC4 is broken; it is here only to read what Windows and old realms still produce.
 */
import { KrbCryptoError } from '../errors';

/** Key-scheduling algorithm: permutes 0..255 under the key. */
function schedule(key: Uint8Array): Uint8Array {
  const s = Uint8Array.from({ length: 256 }, (_, i) => i);
  let j = 0;
  for (let i = 0; i < 256; i++) {
    j = (j + s[i]! + key[i % key.length]!) & 0xff;
    [s[i], s[j]] = [s[j]!, s[i]!];
  }
  return s;
}

export function rc4(key: Uint8Array, data: Uint8Array): Buffer {
  if (key.length < 1 || key.length > 256) {
    throw new KrbCryptoError('bad-key', `RC4 needs a key of 1..256 bytes, got ${key.length}`);
  }
  const s = schedule(key);
  const out = Buffer.alloc(data.length);
  let i = 0;
  let j = 0;
  for (let n = 0; n < data.length; n++) {
    i = (i + 1) & 0xff;
    j = (j + s[i]!) & 0xff;
    [s[i], s[j]] = [s[j]!, s[i]!];
    out[n] = data[n]! ^ s[(s[i]! + s[j]!) & 0xff]!;
  }
  return out;
}
