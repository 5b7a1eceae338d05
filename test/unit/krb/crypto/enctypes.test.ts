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

describe('enctype registry', () => {
  it('supports exactly 17, 18, 19, 20 and 23, named as MIT names them', () => {
    expect(SUPPORTED_ENCTYPES).toEqual([17, 18, 19, 20, 23]);
    for (const id of SUPPORTED_ENCTYPES) expect(getEnctype(id)?.name).toBe(ENCTYPES[id]);
  });

  it('describes each enctype', () => {
    const summary = enctypes.map((e) => [e.id, e.keyLength, e.checksumType, e.checksumLength, e.confounderLength]);
    expect(summary).toEqual([
      [17, 16, 15, 12, 16],
      [18, 32, 16, 12, 16],
      [19, 16, 19, 16, 16],
      [20, 32, 20, 24, 16],
      [23, 16, -138, 16, 8],
    ]);
  });

  it('getEnctype returns undefined and requireEnctype names the unsupported enctype', () => {
    expect(getEnctype(3)).toBeUndefined();
    expect(() => requireEnctype(3)).toThrow(/enctype 3 \(des-cbc-md5\) is not supported/);
    expect(errorCode(() => requireEnctype(16))).toBe('unsupported-enctype');
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
    for (const usage of USAGES) {
      for (let length = 0; length <= 70; length++) {
        const plaintext = Buffer.from(Array.from({ length }, (_, i) => (i * 31 + usage) & 0xff));
        const ciphertext = e.encrypt(key, usage, plaintext);
        expect(ciphertext).toHaveLength(length + e.confounderLength + e.checksumLength);
        expect(e.decrypt(key, usage, ciphertext)).toEqual(plaintext);
      }
    }
  });

  it('uses a fresh confounder each time', () => {
    expect(e.encrypt(key, 1, Buffer.from('same'))).not.toEqual(e.encrypt(key, 1, Buffer.from('same')));
  });

  it('reports the wrong key, another usage or any flipped bit as an integrity failure', () => {
    const ciphertext = e.encrypt(key, 2, Buffer.from('ticket enc-part'));
    expect(errorCode(() => e.decrypt(e.randomKey(), 2, ciphertext))).toBe('integrity');
    expect(errorCode(() => e.decrypt(key, 4, ciphertext))).toBe('integrity');
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
    for (const length of [0, 8, e.keyLength === 16 ? 32 : 16, 24]) {
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

  it('checksums verify under the same key and usage only', () => {
    const data = Buffer.from('KRB-SAFE body');
    const checksum = e.checksum(key, 15, data);
    expect(checksum).toHaveLength(e.checksumLength);
    expect(e.verifyChecksum(key, 15, data, checksum)).toBe(true);
    expect(e.verifyChecksum(key, 16, data, checksum)).toBe(false);
    expect(e.verifyChecksum(e.randomKey(), 15, data, checksum)).toBe(false);
    expect(e.verifyChecksum(key, 15, data, checksum.subarray(1))).toBe(false);
    expect(keyedChecksum(e.checksumType, key, 15, data)).toEqual(checksum);
  });
});

describe('string-to-key parameters', () => {
  const params = (count: number): Buffer => {
    const p = Buffer.alloc(4);
    p.writeUInt32BE(count, 0);
    return p;
  };

  it.each([17, 18, 19, 20])('etype %i refuses iteration counts 0 and > 10,000,000, and params that are not 4 bytes', (id) => {
    const e = requireEnctype(id);
    expect(errorCode(() => e.stringToKey('pw', 'SALT', params(0)))).toBe('bad-input');
    expect(errorCode(() => e.stringToKey('pw', 'SALT', params(10_000_001)))).toBe('bad-input');
    expect(errorCode(() => e.stringToKey('pw', 'SALT', params(0xffffffff)))).toBe('bad-input');
    expect(errorCode(() => e.stringToKey('pw', 'SALT', Buffer.from([1, 0])))).toBe('bad-input');
    expect(e.stringToKey('pw', 'SALT', params(1))).toHaveLength(e.keyLength);
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
  it('supports 15, 16, 19, 20 and -138', () => {
    expect(SUPPORTED_CHECKSUM_TYPES).toEqual([15, 16, 19, 20, -138]);
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
  });
});
