import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KrbCryptoError } from '../../../../main/krb/errors';
import { ctsDecrypt, ctsEncrypt, keyedChecksum, requireEnctype, SUPPORTED_CHECKSUM_TYPES, SUPPORTED_ENCTYPES } from '../../../../main/krb/crypto';

const enctypeId = fc.constantFrom(...SUPPORTED_ENCTYPES);
const usage = fc.integer({ min: 0, max: 0xffffffff });
const bytes = (maxLength: number) => fc.uint8Array({ maxLength });

/** Runs f; anything thrown must be a KrbCryptoError. */
function onlyKrbCryptoErrors(f: () => unknown): boolean {
  try {
    f();
  } catch (e) {
    if (!(e instanceof KrbCryptoError)) throw e;
  }
  return true;
}

describe('crypto properties (fast-check)', () => {
  it('decrypt(encrypt(x)) = x, plus the zero padding of the DES family, for random keys, usages and plaintexts', () => {
    const enctypeAndKey = enctypeId.chain((id) =>
      fc.record({ id: fc.constant(id), key: fc.uint8Array({ minLength: requireEnctype(id).keyLength, maxLength: requireEnctype(id).keyLength }) }),
    );
    fc.assert(
      fc.property(enctypeAndKey, usage, bytes(200), ({ id, key }, u, plaintext) => {
        const e = requireEnctype(id);
        const decrypted = e.decrypt(key, u, e.encrypt(key, u, plaintext));
        const padding = decrypted.length - plaintext.length;
        expect(padding >= 0 && padding < e.messageBlockSize).toBe(true);
        expect(decrypted).toEqual(Buffer.concat([plaintext, Buffer.alloc(padding)]));
      }),
      { numRuns: 300 },
    );
  });

  it('decrypting random bytes always throws, and only KrbCryptoError', () => {
    fc.assert(
      fc.property(enctypeId, bytes(40), usage, bytes(120), (id, key, u, ciphertext) => {
        const e = requireEnctype(id);
        // Mostly keys of the right length (so the MAC check is reached), sometimes arbitrary ones.
        const candidateKey = key.length % 3 === 0 ? key : Buffer.alloc(e.keyLength, key[0] ?? 0);
        expect(() => e.decrypt(candidateKey, u, ciphertext)).toThrow(KrbCryptoError);
      }),
      { numRuns: 500 },
    );
  });

  it('keyed checksums never throw anything but KrbCryptoError, whatever the key', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SUPPORTED_CHECKSUM_TYPES, 1, 7, 0x8003), bytes(70), usage, bytes(64), (type, key, u, data) =>
        onlyKrbCryptoErrors(() => keyedChecksum(type, key, u, data)),
      ),
      { numRuns: 300 },
    );
  });

  it('AES-CTS and Camellia-CTS round-trip any input of at least one block and keep its length', () => {
    const cipher = fc.constantFrom('aes' as const, 'camellia' as const);
    fc.assert(
      fc.property(cipher, fc.constantFrom(16, 32), fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ minLength: 16, maxLength: 150 }), (c, keyLength, iv, data) => {
        const key = Buffer.alloc(keyLength, iv[0]);
        const encrypted = ctsEncrypt(c, key, iv, data);
        expect(encrypted).toHaveLength(data.length);
        expect(ctsDecrypt(c, key, iv, encrypted)).toEqual(Buffer.from(data));
      }),
      { numRuns: 300 },
    );
  });
});
