import { describe, expect, it } from 'vitest';
import { KrbCryptoError } from '../../../../main/krb/errors';
import { CHECKSUM_TYPES, ENCTYPES } from '../../../../main/krb/names';
import {
  getEnctype,
  keyedChecksum,
  requireEnctype,
  SUPPORTED_CHECKSUM_TYPES,
  SUPPORTED_ENCTYPES,
  verifyKeyedChecksum,
} from '../../../../main/krb/crypto';

/** The KrbCryptoError code `f` throws, or a description of what else happened. */
function errorCode(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return e instanceof KrbCryptoError ? e.code : `not a KrbCryptoError: ${String(e)}`;
  }
  return 'no error';
}

const USAGES = [1, 2, 3, 7, 9, 11, 12, 22, 23, 1024];
const enctypes = SUPPORTED_ENCTYPES.map((id) => requireEnctype(id));
/** RFC 3961 §6.2: the single-DES enctypes derive no per-usage keys, so the key usage changes nothing. */
const USAGE_BLIND = new Set([1, 3]);
/**
 * RFC 3961 §6.2: des-cbc-crc and des-cbc-md5 encrypt an unkeyed CRC-32 or MD5 inside the
 * ciphertext; their keyed checksum (rsa-md5-des, checksumLength 24) is another thing.
 */
const INNER_CHECKSUM_LENGTH: Record<number, number> = { 1: 4, 3: 16 };
/** rsa-md5-des carries a random confounder: two checksums of the same data differ. */
const RANDOMIZED_CHECKSUM_TYPES = new Set([8]);

describe('enctype registry', () => {
  it('supports exactly 1, 3, 16, 17, 18, 19, 20, 23, 25 and 26, named as MIT names them', () => {
    expect(SUPPORTED_ENCTYPES).toEqual([1, 3, 16, 17, 18, 19, 20, 23, 25, 26]);
    for (const id of SUPPORTED_ENCTYPES) expect(getEnctype(id)?.name).toBe(ENCTYPES[id]);
  });

  it('describes each enctype', () => {
    const summary = enctypes.map((e) => [e.id, e.keyLength, e.checksumType, e.checksumLength, e.confounderLength, e.messageBlockSize]);
    expect(summary).toEqual([
      [1, 8, 8, 24, 8, 8],
      [3, 8, 8, 24, 8, 8],
      [16, 24, 12, 20, 8, 8],
      [17, 16, 15, 12, 16, 1],
      [18, 32, 16, 12, 16, 1],
      [19, 16, 19, 16, 16, 1],
      [20, 32, 20, 24, 16, 1],
      [23, 16, -138, 16, 8, 1],
      [25, 16, 17, 16, 16, 1],
      [26, 32, 18, 16, 16, 1],
    ]);
  });

  it('getEnctype returns undefined and requireEnctype names the unsupported enctype', () => {
    expect(getEnctype(2)).toBeUndefined();
    expect(() => requireEnctype(2)).toThrow(/enctype 2 \(des-cbc-md4\) is not supported/);
    expect(errorCode(() => requireEnctype(24))).toBe('unsupported-enctype');
    expect(errorCode(() => requireEnctype(99))).toBe('unsupported-enctype');
  });

  it('randomKey gives fresh keys of the right length', () => {
    for (const e of enctypes) {
      expect(e.randomKey()).toHaveLength(e.keyLength);
      expect(e.randomKey()).not.toEqual(e.randomKey());
    }
  });
});

describe.each(enctypes)('$name ($id) encrypt/decrypt', (e) => {
  const key = e.randomKey();

  it('round-trips plaintexts of 0..70 bytes under several usages', () => {
    const integrityLength = INNER_CHECKSUM_LENGTH[e.id] ?? e.checksumLength;
    for (const usage of USAGES) {
      for (let length = 0; length <= 70; length++) {
        const plaintext = Buffer.from(Array.from({ length }, (_, i) => (i * 31 + usage) & 0xff));
        const ciphertext = e.encrypt(key, usage, plaintext);
        const decrypted = e.decrypt(key, usage, ciphertext);
        // Padded enctypes return the zero padding as well (less than one message block of it).
        const padding = decrypted.length - length;
        expect(padding).toBeGreaterThanOrEqual(0);
        expect(padding).toBeLessThan(e.messageBlockSize);
        expect(decrypted).toEqual(Buffer.concat([plaintext, Buffer.alloc(padding)]));
        expect(ciphertext).toHaveLength(length + padding + e.confounderLength + integrityLength);
      }
    }
  });

  it('uses a fresh confounder each time', () => {
    expect(e.encrypt(key, 1, Buffer.from('same'))).not.toEqual(e.encrypt(key, 1, Buffer.from('same')));
  });

  it('reports the wrong key, another usage or any flipped bit as an integrity failure', () => {
    const ciphertext = e.encrypt(key, 2, Buffer.from('ticket enc-part'));
    expect(errorCode(() => e.decrypt(e.randomKey(), 2, ciphertext))).toBe('integrity');
    if (USAGE_BLIND.has(e.id)) expect(e.decrypt(key, 4, ciphertext).subarray(0, 15).toString()).toBe('ticket enc-part');
    else expect(errorCode(() => e.decrypt(key, 4, ciphertext))).toBe('integrity');
    for (let bit = 0; bit < ciphertext.length * 8; bit += 7) {
      const flipped = Buffer.from(ciphertext);
      flipped[bit >> 3]! ^= 1 << (bit & 7);
      expect(errorCode(() => e.decrypt(key, 2, flipped))).toBe('integrity');
    }
  });

  it('reports truncated ciphertext as bad-input', () => {
    const ciphertext = e.encrypt(key, 2, Buffer.alloc(0));
    for (const length of [0, 1, 15, ciphertext.length - 1]) {
      expect(errorCode(() => e.decrypt(key, 2, ciphertext.subarray(0, length)))).toBe('bad-input');
    }
  });

  it('reports keys of the wrong length as bad-key', () => {
    for (const length of [0, 8, 16, 24, 32].filter((n) => n !== e.keyLength)) {
      expect(errorCode(() => e.encrypt(Buffer.alloc(length), 1, Buffer.from('x')))).toBe('bad-key');
      expect(errorCode(() => e.decrypt(Buffer.alloc(length), 1, Buffer.alloc(64)))).toBe('bad-key');
      expect(errorCode(() => e.checksum(Buffer.alloc(length), 1, Buffer.from('x')))).toBe('bad-key');
    }
  });

  it('reports impossible usages and confounders as bad-input', () => {
    for (const usage of [-1, 1.5, 2 ** 32, Number.NaN]) {
      expect(errorCode(() => e.encrypt(key, usage, Buffer.from('x')))).toBe('bad-input');
    }
    expect(errorCode(() => e.encrypt(key, 1, Buffer.from('x'), Buffer.alloc(e.confounderLength + 1)))).toBe('bad-input');
  });

  it(USAGE_BLIND.has(e.id) ? 'checksums verify under the same key only' : 'checksums verify under the same key and usage only', () => {
    const data = Buffer.from('KRB-SAFE body');
    const checksum = e.checksum(key, 15, data);
    expect(checksum).toHaveLength(e.checksumLength);
    expect(e.verifyChecksum(key, 15, data, checksum)).toBe(true);
    expect(e.verifyChecksum(key, 16, data, checksum)).toBe(USAGE_BLIND.has(e.id));
    expect(e.verifyChecksum(e.randomKey(), 15, data, checksum)).toBe(false);
    expect(e.verifyChecksum(key, 15, data, checksum.subarray(1))).toBe(false);
    expect(e.verifyChecksum(key, 15, Buffer.from('KRB-SAFE bodY'), checksum)).toBe(false);
    if (RANDOMIZED_CHECKSUM_TYPES.has(e.checksumType)) {
      expect(keyedChecksum(e.checksumType, key, 15, data)).not.toEqual(checksum);
      expect(verifyKeyedChecksum(e.checksumType, key, 15, data, keyedChecksum(e.checksumType, key, 15, data))).toBe(true);
    } else {
      expect(keyedChecksum(e.checksumType, key, 15, data)).toEqual(checksum);
    }
    expect(verifyKeyedChecksum(e.checksumType, key, 15, data, checksum)).toBe(true);
  });
});

describe('string-to-key parameters', () => {
  const params = (count: number): Buffer => {
    const p = Buffer.alloc(4);
    p.writeUInt32BE(count, 0);
    return p;
  };

  it.each([17, 18, 19, 20, 25, 26])('etype %i refuses iteration counts 0 and > 10,000,000, and params that are not 4 bytes', (id) => {
    const e = requireEnctype(id);
    expect(errorCode(() => e.stringToKey('pw', 'SALT', params(0)))).toBe('bad-input');
    expect(errorCode(() => e.stringToKey('pw', 'SALT', params(10_000_001)))).toBe('bad-input');
    expect(errorCode(() => e.stringToKey('pw', 'SALT', params(0xffffffff)))).toBe('bad-input');
    expect(errorCode(() => e.stringToKey('pw', 'SALT', Buffer.from([1, 0])))).toBe('bad-input');
    expect(e.stringToKey('pw', 'SALT', params(1))).toHaveLength(e.keyLength);
  });

  it.each([16, 23])('etype %i takes no s2kparams', (id) => {
    expect(errorCode(() => requireEnctype(id).stringToKey('pw', 'SALT', params(4096)))).toBe('bad-input');
  });

  it('an empty params octet string means the default', () => {
    const e = requireEnctype(18);
    expect(e.stringToKey('pw', 'SALT', Buffer.alloc(0))).toEqual(e.stringToKey('pw', 'SALT'));
  });

  it('salt strings are UTF-8, like byte salts', () => {
    const e = requireEnctype(17);
    expect(e.stringToKey('pw', 'RÉALMalice', params(2))).toEqual(e.stringToKey('pw', Buffer.from('RÉALMalice', 'utf8'), params(2)));
  });
});

describe('keyed checksums by checksum type', () => {
  it('supports 8, 12, 15, 16, 17, 18, 19, 20 and -138', () => {
    expect(SUPPORTED_CHECKSUM_TYPES).toEqual([8, 12, 15, 16, 17, 18, 19, 20, -138]);
    for (const type of SUPPORTED_CHECKSUM_TYPES) expect(CHECKSUM_TYPES[type]).toBeDefined();
  });

  it('names unsupported checksum types', () => {
    expect(() => keyedChecksum(7, Buffer.alloc(16), 1, Buffer.from('x'))).toThrow(/checksum type 7 \(rsa-md5\) is not supported/);
    expect(errorCode(() => verifyKeyedChecksum(0x8003, Buffer.alloc(16), 1, Buffer.from('x'), Buffer.alloc(16)))).toBe(
      'unsupported-enctype',
    );
  });

  it('demands the key length of the checksum type’s enctype', () => {
    expect(errorCode(() => keyedChecksum(16, Buffer.alloc(16), 1, Buffer.from('x')))).toBe('bad-key');
    expect(errorCode(() => keyedChecksum(19, Buffer.alloc(32), 1, Buffer.from('x')))).toBe('bad-key');
    expect(errorCode(() => keyedChecksum(8, Buffer.alloc(24), 1, Buffer.from('x')))).toBe('bad-key');
    expect(errorCode(() => keyedChecksum(12, Buffer.alloc(16), 1, Buffer.from('x')))).toBe('bad-key');
    expect(errorCode(() => keyedChecksum(17, Buffer.alloc(32), 1, Buffer.from('x')))).toBe('bad-key');
    expect(errorCode(() => keyedChecksum(18, Buffer.alloc(16), 1, Buffer.from('x')))).toBe('bad-key');
  });
});
