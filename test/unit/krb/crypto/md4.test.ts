import { describe, expect, it } from 'vitest';
import { md4 } from '../../../../main/krb/crypto';

// RFC 1320 Appendix A.5, "MD4 test suite".
const RFC1320_SUITE: [input: string, digest: string][] = [
  ['', '31d6cfe0d16ae931b73c59d7e0c089c0'],
  ['a', 'bde52cb31de33e46245e05fbdbd6fb24'],
  ['abc', 'a448017aaf21d8525fc10ae87aa6729d'],
  ['message digest', 'd9130a8164549fe818874806e1c7014b'],
  ['abcdefghijklmnopqrstuvwxyz', 'd79e1c308aa5bbcdeea8ed63df412da9'],
  ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', '043f8582f241db351ce627e153e7f0e4'],
  ['12345678901234567890123456789012345678901234567890123456789012345678901234567890', 'e33b4ddc9c38f2199c3e7b164fcc0536'],
];

describe('MD4 (RFC 1320)', () => {
  it.each(RFC1320_SUITE)('MD4("%s")', (input, digest) => {
    expect(md4(Buffer.from(input, 'latin1')).toString('hex')).toBe(digest);
  });

  it('pads correctly around the 55/56/64-byte boundaries (same digest for equal inputs, distinct otherwise)', () => {
    const digests = [55, 56, 57, 63, 64, 65].map((n) => md4(Buffer.alloc(n, 0x61)).toString('hex'));
    expect(new Set(digests).size).toBe(digests.length);
    expect(md4(Buffer.alloc(64, 0x61))).toEqual(md4(new Uint8Array(64).fill(0x61)));
  });
});
