/**
 * The per-key state the crypto layer keeps between messages (crypto/cts.ts CtsDecipher: one
 * OpenSSL CBC context per derived key; crypto/mac.ts HmacKey: the HMAC pads per derived key)
 * must give every message the result a fresh computation gives, whatever came before it. So must
 * the usage keys (crypto/rfc3961.ts: derived through one ECB context, kept in a bounded cache).
 */
import { createCipheriv, createHmac, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KrbCryptoError } from '../../../../main/krb/errors';
import { ctsEncrypt, requireEnctype } from '../../../../main/krb/crypto';
import { CtsDecipher } from '../../../../main/krb/crypto/cts';
import { HmacKey, type HashName } from '../../../../main/krb/crypto/mac';
import { nfold } from '../../../../main/krb/crypto/nfold';
import { cachedUsageKeys, KEY_USAGE_SEED, simplifiedProfileKeys, usageConstant, type UsageKeys } from '../../../../main/krb/crypto/rfc3961';

describe('CtsDecipher reused across messages', () => {
  it('decrypts a random sequence of messages (any IV, length and headroom) as fresh CTS decryption would', () => {
    const message = fc.record({
      iv: fc.uint8Array({ minLength: 16, maxLength: 16 }),
      data: fc.uint8Array({ minLength: 16, maxLength: 120 }),
      headroom: fc.constantFrom(0, 16, 64, 128),
    });
    fc.assert(
      fc.property(fc.constantFrom('aes' as const, 'camellia' as const), fc.constantFrom(16, 32), fc.array(message, { minLength: 1, maxLength: 8 }), (cipher, keyLength, messages) => {
        const key = randomBytes(keyLength);
        const decipher = new CtsDecipher(cipher, key);
        for (const { iv, data, headroom } of messages) {
          const encrypted = ctsEncrypt(cipher, key, iv, data);
          const out = decipher.decrypt(iv, encrypted, headroom);
          expect(out).toHaveLength(headroom + data.length);
          expect(out.subarray(headroom)).toEqual(Buffer.from(data));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('is not thrown off by a caller that changes its ciphertext buffer afterwards', () => {
    const key = randomBytes(32);
    const decipher = new CtsDecipher('aes', key);
    const first = ctsEncrypt('aes', key, undefined, Buffer.alloc(40, 1));
    expect(decipher.decrypt(undefined, first)).toEqual(Buffer.alloc(40, 1));
    first.fill(0xee); // the context chained from a copy of the last block, not from this buffer
    expect(decipher.decrypt(undefined, ctsEncrypt('aes', key, undefined, Buffer.alloc(33, 2)))).toEqual(Buffer.alloc(33, 2));
  });

  it('rejects headroom that is not whole blocks', () => {
    expect(() => new CtsDecipher('aes', randomBytes(16)).decrypt(undefined, Buffer.alloc(32), 8)).toThrow(RangeError);
  });
});

describe('HmacKey', () => {
  const hashes: HashName[] = ['md5', 'sha1', 'sha256', 'sha384'];

  it('equals createHmac for every hash, key length and message, and leaves no pad in the caller buffer', () => {
    fc.assert(
      fc.property(fc.constantFrom(...hashes), fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.uint8Array({ maxLength: 300 }), (hash, key, data) => {
        const hmacKey = new HmacKey(hash, key);
        const expected = createHmac(hash, key).update(data).digest();
        expect(hmacKey.of(data)).toEqual(expected);
        const padded = Buffer.concat([Buffer.alloc(hmacKey.block, 0xaa), data]);
        expect(hmacKey.ofPadded(padded)).toEqual(expected);
        expect(padded.subarray(0, hmacKey.block)).toEqual(Buffer.alloc(hmacKey.block));
        expect(hmacKey.of(data)).toEqual(expected); // and again: the outer scratch is reused
      }),
      { numRuns: 200 },
    );
  });
});

describe('enctypes with cached per-key state', () => {
  it.each([17, 18, 19, 20, 23, 25, 26])('etype %i: a failed decryption (wrong key, corrupted MAC) does not disturb the next one', (id) => {
    const e = requireEnctype(id);
    const key = e.randomKey();
    const good = e.encrypt(key, 2, Buffer.from('EncTicketPart bytes, thirty-odd of them'));
    const corrupted = Buffer.from(good);
    corrupted[corrupted.length - 1]! ^= 1;
    for (let i = 0; i < 3; i++) {
      expect(() => e.decrypt(key, 2, corrupted)).toThrow(KrbCryptoError);
      expect(() => e.decrypt(e.randomKey(), 2, good)).toThrow(KrbCryptoError);
      expect(e.decrypt(key, 2, good).toString()).toBe('EncTicketPart bytes, thirty-odd of them');
    }
  });
});

describe('derived-key cache', () => {
  it('serves a key buffer changed in place the new key\'s derived keys, not the old one\'s', () => {
    for (const id of [18, 20, 23]) {
      const e = requireEnctype(id);
      const [a, b] = [e.randomKey(), e.randomKey()];
      const sealedForA = e.encrypt(a, 2, Buffer.from('for a'));
      const sealedForB = e.encrypt(b, 2, Buffer.from('for b'));
      const ring = Buffer.from(a);
      expect(e.decrypt(ring, 2, sealedForA).toString()).toBe('for a');
      b.copy(ring); // the same buffer object, now holding b
      expect(e.decrypt(ring, 2, sealedForB).toString()).toBe('for b');
      expect(() => e.decrypt(ring, 2, sealedForA)).toThrow(KrbCryptoError);
    }
  });

  it('still answers for a key after more keys than the cache holds went through it', () => {
    const e = requireEnctype(18);
    const key = e.randomKey();
    const sealed = e.encrypt(key, 7, Buffer.from('kept'));
    expect(e.decrypt(key, 7, sealed).toString()).toBe('kept');
    for (let i = 0; i < 600; i++) e.encrypt(e.randomKey(), 7, Buffer.alloc(1)); // each derives and caches its keys
    expect(e.decrypt(key, 7, sealed).toString()).toBe('kept');
  });
});


describe('usage-key derivation and its cache (crypto/rfc3961.ts)', () => {
  /** DK as RFC 3961 §5.1 writes it: one block encrypted at a time, each with a fresh cipher. */
  function referenceDk(key: Uint8Array, constant: Uint8Array): Buffer {
    const blocks: Buffer[] = [];
    let block: Uint8Array = nfold(constant, 16);
    while (blocks.length * 16 < key.length) {
      const cipher = createCipheriv(`aes-${key.length * 8}-ecb`, key, null).setAutoPadding(false);
      block = cipher.update(block);
      blocks.push(Buffer.from(block));
    }
    return Buffer.concat(blocks).subarray(0, key.length);
  }

  it('derives Kc, Ke and Ki through one ECB context exactly as block-by-block DK does (AES-128 and AES-256)', () => {
    fc.assert(
      fc.property(fc.constantFrom(16, 32), fc.integer({ min: 0, max: 2 ** 32 - 1 }), (keyLength, usage) => {
        const key = randomBytes(keyLength);
        const keys = simplifiedProfileKeys(key, usage);
        expect(keys.Kc).toEqual(referenceDk(key, usageConstant(usage, KEY_USAGE_SEED.Kc)));
        expect(keys.Ke).toEqual(referenceDk(key, usageConstant(usage, KEY_USAGE_SEED.Ke)));
        expect(keys.Ki).toEqual(referenceDk(key, usageConstant(usage, KEY_USAGE_SEED.Ki)));
      }),
      { numRuns: 100 },
    );
  });

  /** The derivation `cachedUsageKeys` runs on a miss, counting how often it ran. */
  function countedDerivation(key: Uint8Array, usage: number): { derive: () => UsageKeys; count: () => number } {
    let derivations = 0;
    const derive = () => {
      derivations++;
      return simplifiedProfileKeys(key, usage);
    };
    return { derive, count: () => derivations };
  }

  it('keeps a key that is used again while many new keys pass through, and gives every key its own', () => {
    const hot = randomBytes(32);
    const { derive: deriveHot, count: hotDerivations } = countedDerivation(hot, 11);
    // A fresh copy each time: the per-buffer shortcut cannot answer, only the shared cache can.
    expect(cachedUsageKeys(18, Buffer.from(hot), 11, deriveHot)).toEqual(simplifiedProfileKeys(hot, 11));
    for (let i = 0; i < 3000; i++) {
      // New session keys, as every broker handshake brings: far more than the cache holds.
      const key = randomBytes(32);
      expect(cachedUsageKeys(18, key, 12, () => simplifiedProfileKeys(key, 12)).Ke).toEqual(simplifiedProfileKeys(key, 12).Ke);
      if (i % 50 === 0) expect(cachedUsageKeys(18, Buffer.from(hot), 11, deriveHot).Ki).toEqual(simplifiedProfileKeys(hot, 11).Ki);
    }
    expect(hotDerivations()).toBe(1);
  });

  it('evicts a key nobody asks for again, and derives it afresh when it comes back', () => {
    const cold = randomBytes(16);
    const { derive, count: derivations } = countedDerivation(cold, 2);
    cachedUsageKeys(17, Buffer.from(cold), 2, derive);
    for (let i = 0; i < 2000; i++) {
      const key = randomBytes(16);
      cachedUsageKeys(17, key, 2, () => simplifiedProfileKeys(key, 2));
    }
    expect(cachedUsageKeys(17, Buffer.from(cold), 2, derive)).toEqual(simplifiedProfileKeys(cold, 2));
    expect(derivations()).toBe(2);
  });
});
