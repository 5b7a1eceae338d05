import { createDecipheriv, createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KrbCryptoError } from '../../../../main/krb/errors';
import { desFanFold, getEnctype, keyedChecksum, modCrc32, verifyKeyedChecksum } from '../../../../main/krb/crypto';
import { desCbc, fixParity, isWeakKey } from '../../../../main/krb/crypto/des-cipher';
import { rsaMd5DesChecksum } from '../../../../main/krb/crypto/des';

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');
const desCrc = getEnctype(1)!;
const desMd5 = getEnctype(3)!;
const G_CLEF = '\u{1D11E}'; // the g-clef, UTF-8 f0 9d 84 9e

/** Single DES through node's own des-ede3 with the key three times: an implementation independent of ours. */
function nodeDesCbcDecrypt(key: Buffer, iv: Buffer, data: Buffer): Buffer {
  const decipher = createDecipheriv('des-ede3-cbc', Buffer.concat([key, key, key]), iv).setAutoPadding(false);
  return Buffer.concat([decipher.update(data), decipher.final()]);
}

const md5 = (data: Buffer): Buffer => createHash('md5').update(data).digest();

function errorCode(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return e instanceof KrbCryptoError ? e.code : `not a KrbCryptoError: ${String(e)}`;
  }
  return 'no error';
}

describe('DES primitives', () => {
  it('single DES as EDE3 with K1 = K2 = K3 gives the FIPS 81 answer', () => {
    // DES(0123456789abcdef, "Now is t") = 3fa40e8a984d4815 (FIPS 81 Appendix B, ECB = CBC with a zero IV on one block).
    expect(desCbc(true, hex('0123456789abcdef'), Buffer.alloc(8), Buffer.from('Now is t')).toString('hex')).toBe('3fa40e8a984d4815');
  });

  it('fixes parity to odd and knows the 16 weak and semi-weak keys', () => {
    expect(fixParity(hex('0000000000000000')).toString('hex')).toBe('0101010101010101');
    expect(fixParity(hex('c01e38688ac86c2e')).toString('hex')).toBe('c11f38688ac86d2f');
    expect(isWeakKey(hex('0101010101010101'))).toBe(true);
    expect(isWeakKey(hex('1f1f1f1f0e0e0e0e'))).toBe(true);
    expect(isWeakKey(hex('01fe01fe01fe01fe'))).toBe(true);
    expect(isWeakKey(hex('cbc22fae235298e3'))).toBe(false);
  });

  it('refuses keys, IVs and inputs of the wrong size with typed errors', () => {
    expect(errorCode(() => desCbc(true, Buffer.alloc(7), Buffer.alloc(8), Buffer.alloc(8)))).toBe('bad-key');
    expect(errorCode(() => desCbc(true, Buffer.alloc(8), Buffer.alloc(16), Buffer.alloc(8)))).toBe('bad-input');
    expect(errorCode(() => desCbc(true, Buffer.alloc(8), Buffer.alloc(8), Buffer.alloc(9)))).toBe('bad-input');
  });
});

describe('mod-crc-32 (RFC 3961 Appendix A.5)', () => {
  it.each([
    ['foo', '33bc3273'],
    ['test0123456789', 'd6883eb8'],
    ['MASSACHVSETTS INSTITVTE OF TECHNOLOGY', 'f78041e3'],
  ])('mod-crc-32("%s") = %s', (input, expected) => {
    expect(modCrc32(Buffer.from(input)).toString('hex')).toBe(expected);
  });

  it.each([
    ['8000', '4b98833b'],
    ['0008', '3288db0e'],
    ['0080', '2083b8ed'],
    ['80', '2083b8ed'],
    ['80000000', '3bb659ed'],
    ['00000001', '96300777'],
  ])('mod-crc-32(%s) = %s', (input, expected) => {
    expect(modCrc32(hex(input)).toString('hex')).toBe(expected);
  });
});

// RFC 3961 Appendix A.2, mit_des_string_to_key: all six samples, the last two built to hit weak keys.
const RFC3961_A2: { password: string; salt: string; key: string }[] = [
  { password: 'password', salt: 'ATHENA.MIT.EDUraeburn', key: 'cbc22fae235298e3' },
  { password: 'potatoe', salt: 'WHITEHOUSE.GOVdanny', key: 'df3d32a74fd92a01' },
  { password: G_CLEF, salt: 'EXAMPLE.COMpianist', key: '4ffb26bab0cd9413' },
  { password: '\u00df', salt: 'ATHENA.MIT.EDUJuri\u0161i\u0107', key: '62c81a5232b5e69d' },
  { password: '11119999', salt: 'AAAAAAAA', key: '984054d0f1a73e31' },
  { password: 'NNNN6666', salt: 'FFFFAAAA', key: 'c4bf6b25adf7a4f8' },
];

describe('mit_des_string_to_key (RFC 3961 Appendix A.2)', () => {
  it.each(RFC3961_A2)('password "$password", salt "$salt"', ({ password, salt, key }) => {
    expect(desCrc.stringToKey(password, salt).toString('hex')).toBe(key);
    expect(desMd5.stringToKey(password, salt).toString('hex')).toBe(key);
  });

  it('shows the fan-fold result of the first sample', () => {
    // A.2: fan-fold result c01e38688ac86c2e, intermediate key (parity fixed) c11f38688ac86d2f.
    const s = Buffer.alloc(32);
    s.write('passwordATHENA.MIT.EDUraeburn');
    expect(desFanFold(s).toString('hex')).toBe('c01e38688ac86c2e');
  });

  it('the last two samples fan-fold to weak keys, which key_correction fixes', () => {
    for (const text of ['11119999AAAAAAAA', 'NNNN6666FFFFAAAA']) {
      const folded = fixParity(desFanFold(Buffer.from(text)));
      expect(isWeakKey(folded), text).toBe(true);
    }
  });

  it('takes UTF-8 bytes as well as strings, and s2kparams empty or 00 only', () => {
    expect(desMd5.stringToKey(hex('c39f'), Buffer.from('ATHENA.MIT.EDUJuri\u0161i\u0107')).toString('hex')).toBe('62c81a5232b5e69d');
    expect(desMd5.stringToKey('password', 'ATHENA.MIT.EDUraeburn', hex('00')).toString('hex')).toBe('cbc22fae235298e3');
    expect(desMd5.stringToKey('password', 'ATHENA.MIT.EDUraeburn', Buffer.alloc(0)).toString('hex')).toBe('cbc22fae235298e3');
    expect(() => desMd5.stringToKey('password', 'X', hex('01'))).toThrow(/AFS string-to-key/);
    expect(errorCode(() => desCrc.stringToKey('password', 'X', hex('02')))).toBe('bad-input');
    expect(errorCode(() => desCrc.stringToKey('password', 'X', hex('00000001')))).toBe('bad-input');
  });

  it('random keys have odd parity and are never weak', () => {
    for (let i = 0; i < 50; i++) {
      const key = desCrc.randomKey();
      expect(fixParity(key)).toEqual(key);
      expect(isWeakKey(key)).toBe(false);
    }
  });
});

// MIT krb5 src/lib/crypto/crypto_tests/t_decrypt.c: known ciphertexts MIT's own (pre-1.18) DES
// code produced, kept in its test suite "to detect changes that are self-compatible but not
// compatible across versions". The usage numbers there are ignored by DES.
const MIT_T_DECRYPT: { id: 1 | 3; plaintext: string; usage: number; key: string; ciphertext: string }[] = [
  { id: 1, plaintext: '', usage: 0, key: '45e6087cdf138fb5', ciphertext: '28f6b09a012bccf72fb05122b2839e6e' },
  { id: 1, plaintext: '1', usage: 1, key: '92a7155810586b2f', ciphertext: 'b4c871c2f3e7bf7605efd62f2eeec205' },
  { id: 1, plaintext: '9 bytesss', usage: 2, key: 'a4b9514a61646423', ciphertext: '5f14c35178d33d7cde0ec169c623cc8321b7b8bd34ea7efe' },
  {
    id: 1, plaintext: '13 bytes byte', usage: 3, key: '2f16a2a7fdb05768',
    ciphertext: '0b588e38d971433c9d86d8baebf63e4c1a01666e76d8a54a3293f72679ed88c9',
  },
  {
    id: 1, plaintext: '30 bytes bytes bytes bytes byt', usage: 4, key: 'bc8f70fd2097d67c',
    ciphertext: '38d632d2c20a7c2ea250fc8ece42938e92a9f5d302502665c1a33729c1050dc2056298fbfb1682ceeb65e59204fda7df',
  },
  { id: 3, plaintext: '', usage: 0, key: '4a545e0bf7a22631', ciphertext: '784cd81591a034be82556f56dca3224b62d9956fa90b1b93' },
  {
    id: 3, plaintext: '1', usage: 1, key: 'd5804a269dc4e645',
    ciphertext: 'ffa25c7be287596bfe58126e90aaa0f12d9a82a0d86df6d5f9074b6b399e7ff1',
  },
  {
    id: 3, plaintext: '9 bytesss', usage: 2, key: 'c8312f7f83ea4640',
    ciphertext: 'e7850337f2cc5e3f35ce3d69e2c3298638a7aa44b878031e39851e47c15b5d0ee7e7ac54de111d80',
  },
  {
    id: 3, plaintext: '13 bytes byte', usage: 3, key: '7fda3e62ad8af18c',
    ciphertext: 'd7a8032e19994c928777506595fbda9883158a8514548e296e911c29f465c672366000558bfc2e88',
  },
  {
    id: 3, plaintext: '30 bytes bytes bytes bytes byt', usage: 4, key: 'd3d6832970a73752',
    ciphertext: '8a48166a4c6feae607a8cf68b381c0755e402b19dbc0f81a7d7ca19a25e05223f6064409bf5a4f50acd826639ffa7673fd324ec19e429502',
  },
];

describe('des-cbc-crc and des-cbc-md5 decryption (MIT t_decrypt.c known ciphertexts)', () => {
  it.each(MIT_T_DECRYPT)('etype $id: "$plaintext"', ({ id, plaintext, usage, key, ciphertext }) => {
    const e = getEnctype(id)!;
    const opened = e.decrypt(hex(key), usage, hex(ciphertext));
    // The plaintext comes back with its zero padding, as from MIT's krb5_c_decrypt.
    expect(opened.subarray(0, plaintext.length).toString()).toBe(plaintext);
    expect(opened.subarray(plaintext.length)).toEqual(Buffer.alloc(opened.length - plaintext.length));
    expect(opened.length - plaintext.length).toBeLessThan(8);
    expect(e.encrypt(hex(key), usage, Buffer.from(plaintext))).toHaveLength(hex(ciphertext).length);
  });
});

describe.each([
  { e: desCrc, hashLength: 4, keyAsIv: true },
  { e: desMd5, hashLength: 16, keyAsIv: false },
])('$e.name encryption (RFC 3961 §6.2)', ({ e, hashLength, keyAsIv }) => {
  const key = hex('cbc22fae235298e3');
  const confounder = hex('0102030405060708');

  it('lays out confounder | checksum | plaintext | zero padding under DES-CBC', () => {
    const plaintext = Buffer.from('KRB-PRIV body');
    const ciphertext = e.encrypt(key, 7, plaintext, confounder);
    const opened = nodeDesCbcDecrypt(key, keyAsIv ? key : Buffer.alloc(8), ciphertext);
    const header = 8 + hashLength;
    expect(opened.subarray(0, 8)).toEqual(confounder);
    expect(opened.subarray(header, header + plaintext.length)).toEqual(plaintext);
    expect(opened.length % 8).toBe(0);
    const zeroed = Buffer.from(opened);
    zeroed.fill(0, 8, header);
    const expected = hashLength === 4 ? modCrc32(zeroed) : md5(zeroed);
    expect(opened.subarray(8, header)).toEqual(expected);
  });

  it('ignores the key usage: there is no key derivation', () => {
    const ciphertext = e.encrypt(key, 2, Buffer.from('ticket'));
    expect(e.decrypt(key, 11, ciphertext).subarray(0, 6).toString()).toBe('ticket');
    expect(e.checksum(key, 2, Buffer.from('x'))).toHaveLength(24);
  });

  it('reports the wrong key or a truncated or misaligned ciphertext with typed errors', () => {
    const ciphertext = e.encrypt(key, 2, Buffer.from('ticket enc-part'));
    expect(errorCode(() => e.decrypt(hex('0123456789abcdef'), 2, ciphertext))).toBe('integrity');
    expect(errorCode(() => e.decrypt(key, 2, ciphertext.subarray(0, ciphertext.length - 3)))).toBe('bad-input');
    expect(errorCode(() => e.decrypt(key, 2, ciphertext.subarray(0, 8)))).toBe('bad-input');
    expect(() => e.decrypt(key, 2, Buffer.concat([ciphertext, Buffer.alloc(8)]))).toThrow(/integrity check/);
  });
});

describe('rsa-md5-des keyed checksum (RFC 3961 §6.2, checksum type 8)', () => {
  const key = hex('cbc22fae235298e3');
  const data = Buffer.from('KRB-SAFE body');

  it('is DES-CBC(key XOR F0…F0, iv 0, confounder | MD5(confounder | data))', () => {
    const confounder = hex('a1a2a3a4a5a6a7a8');
    const checksum = rsaMd5DesChecksum(key, 0, data, confounder);
    expect(checksum).toHaveLength(24);
    const opened = nodeDesCbcDecrypt(Buffer.from(key.map((b) => b ^ 0xf0)), Buffer.alloc(8), checksum);
    expect(opened.subarray(0, 8)).toEqual(confounder);
    expect(opened.subarray(8)).toEqual(md5(Buffer.concat([confounder, data])));
  });

  it('differs every time and verifies by decryption, by checksum type or through the enctype', () => {
    const a = keyedChecksum(8, key, 17, data);
    const b = keyedChecksum(8, key, 17, data);
    expect(a).not.toEqual(b);
    expect(verifyKeyedChecksum(8, key, 17, data, a)).toBe(true);
    expect(verifyKeyedChecksum(8, key, 17, data, b)).toBe(true);
    expect(desCrc.verifyChecksum(key, 17, data, a)).toBe(true);
    expect(desMd5.verifyChecksum(key, 17, data, desMd5.checksum(key, 17, data))).toBe(true);
  });

  it('fails verification for other data, another key, a flipped bit or a wrong length', () => {
    const checksum = keyedChecksum(8, key, 17, data);
    expect(verifyKeyedChecksum(8, key, 17, Buffer.from('KRB-SAFE bodY'), checksum)).toBe(false);
    expect(verifyKeyedChecksum(8, hex('0123456789abcdef'), 17, data, checksum)).toBe(false);
    for (let bit = 0; bit < checksum.length * 8; bit += 5) {
      const flipped = Buffer.from(checksum);
      flipped[bit >> 3]! ^= 1 << (bit & 7);
      expect(verifyKeyedChecksum(8, key, 17, data, flipped)).toBe(false);
    }
    expect(verifyKeyedChecksum(8, key, 17, data, checksum.subarray(0, 16))).toBe(false);
    expect(verifyKeyedChecksum(8, key, 17, data, Buffer.concat([checksum, Buffer.alloc(8)]))).toBe(false);
  });

  it('needs a single-DES key', () => {
    expect(errorCode(() => keyedChecksum(8, Buffer.alloc(16), 1, data))).toBe('bad-key');
    expect(errorCode(() => verifyKeyedChecksum(8, Buffer.alloc(24), 1, data, Buffer.alloc(24)))).toBe('bad-key');
  });
});
