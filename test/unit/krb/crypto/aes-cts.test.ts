import { createCipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KrbCryptoError } from '../../../../main/krb/errors';
import { aesCtsDecrypt, aesCtsEncrypt } from '../../../../main/krb/crypto';

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');

// RFC 3962 Appendix B, "CBC with ciphertext stealing, using an initial vector of all-zero".
const KEY = hex('63 68 69 63 6b 65 6e 20 74 65 72 69 79 61 6b 69'); // "chicken teriyaki"
const RFC3962_CTS: [input: string, output: string][] = [
  ['49 20 77 6f 75 6c 64 20 6c 69 6b 65 20 74 68 65 20', 'c6 35 35 68 f2 bf 8c b4 d8 a5 80 36 2d a7 ff 7f 97'],
  [
    '49 20 77 6f 75 6c 64 20 6c 69 6b 65 20 74 68 65 20 47 65 6e 65 72 61 6c 20 47 61 75 27 73 20',
    'fc 00 78 3e 0e fd b2 c1 d4 45 d4 c8 ef f7 ed 22 97 68 72 68 d6 ec cc c0 c0 7b 25 e2 5e cf e5',
  ],
  [
    '49 20 77 6f 75 6c 64 20 6c 69 6b 65 20 74 68 65 20 47 65 6e 65 72 61 6c 20 47 61 75 27 73 20 43',
    '39 31 25 23 a7 86 62 d5 be 7f cb cc 98 eb f5 a8 97 68 72 68 d6 ec cc c0 c0 7b 25 e2 5e cf e5 84',
  ],
  [
    '49 20 77 6f 75 6c 64 20 6c 69 6b 65 20 74 68 65 20 47 65 6e 65 72 61 6c 20 47 61 75 27 73 20 43 ' +
      '68 69 63 6b 65 6e 2c 20 70 6c 65 61 73 65 2c',
    '97 68 72 68 d6 ec cc c0 c0 7b 25 e2 5e cf e5 84 b3 ff fd 94 0c 16 a1 8c 1b 55 49 d2 f8 38 02 9e ' +
      '39 31 25 23 a7 86 62 d5 be 7f cb cc 98 eb f5',
  ],
  [
    '49 20 77 6f 75 6c 64 20 6c 69 6b 65 20 74 68 65 20 47 65 6e 65 72 61 6c 20 47 61 75 27 73 20 43 ' +
      '68 69 63 6b 65 6e 2c 20 70 6c 65 61 73 65 2c 20',
    '97 68 72 68 d6 ec cc c0 c0 7b 25 e2 5e cf e5 84 9d ad 8b bb 96 c4 cd c0 3b c1 03 e1 a1 94 bb d8 ' +
      '39 31 25 23 a7 86 62 d5 be 7f cb cc 98 eb f5 a8',
  ],
  [
    '49 20 77 6f 75 6c 64 20 6c 69 6b 65 20 74 68 65 20 47 65 6e 65 72 61 6c 20 47 61 75 27 73 20 43 ' +
      '68 69 63 6b 65 6e 2c 20 70 6c 65 61 73 65 2c 20 61 6e 64 20 77 6f 6e 74 6f 6e 20 73 6f 75 70 2e',
    '97 68 72 68 d6 ec cc c0 c0 7b 25 e2 5e cf e5 84 39 31 25 23 a7 86 62 d5 be 7f cb cc 98 eb f5 a8 ' +
      '48 07 ef e8 36 ee 89 a5 26 73 0d bc 2f 7b c8 40 9d ad 8b bb 96 c4 cd c0 3b c1 03 e1 a1 94 bb d8',
  ],
];

describe('AES-CTS (RFC 3962 §5)', () => {
  it.each(RFC3962_CTS)('RFC 3962 Appendix B vector: %s', (input, output) => {
    expect(aesCtsEncrypt(KEY, undefined, hex(input)).toString('hex')).toBe(hex(output).toString('hex'));
    expect(aesCtsDecrypt(KEY, undefined, hex(output)).toString('hex')).toBe(hex(input).toString('hex'));
  });

  it('encrypts a single block as plain AES-CBC with the given IV', () => {
    const key = Buffer.alloc(32, 7);
    const iv = Buffer.alloc(16, 9);
    const block = Buffer.from('exactly 16 bytes');
    const cbc = createCipheriv('aes-256-cbc', key, iv).setAutoPadding(false).update(block);
    expect(aesCtsEncrypt(key, iv, block)).toEqual(cbc);
    expect(aesCtsDecrypt(key, iv, cbc)).toEqual(block);
  });

  it('round-trips every length from 16 to 80 bytes with a non-zero IV and both key sizes', () => {
    for (const key of [Buffer.alloc(16, 1), Buffer.alloc(32, 2)]) {
      const iv = Buffer.alloc(16, 3);
      for (let length = 16; length <= 80; length++) {
        const data = Buffer.from(Array.from({ length }, (_, i) => (i * 7) & 0xff));
        const encrypted = aesCtsEncrypt(key, iv, data);
        expect(encrypted.length).toBe(length);
        expect(aesCtsDecrypt(key, iv, encrypted)).toEqual(data);
      }
    }
  });

  it('refuses short input, bad IVs and bad keys with KrbCryptoError', () => {
    const codeOf = (f: () => unknown): string | undefined => {
      try {
        f();
      } catch (e) {
        return e instanceof KrbCryptoError ? e.code : 'not a KrbCryptoError';
      }
      return undefined;
    };
    expect(codeOf(() => aesCtsEncrypt(KEY, undefined, Buffer.alloc(15)))).toBe('bad-input');
    expect(codeOf(() => aesCtsDecrypt(KEY, undefined, Buffer.alloc(0)))).toBe('bad-input');
    expect(codeOf(() => aesCtsEncrypt(KEY, Buffer.alloc(8), Buffer.alloc(16)))).toBe('bad-input');
    expect(codeOf(() => aesCtsDecrypt(Buffer.alloc(24), undefined, Buffer.alloc(16)))).toBe('bad-key');
  });
});
