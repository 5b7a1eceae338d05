import { describe, expect, it } from 'vitest';
import { KrbCryptoError } from '../../../../main/krb/errors';
import { rc4 } from '../../../../main/krb/crypto';

const keystream = (key: string, length: number): Buffer => rc4(Buffer.from(key, 'hex'), Buffer.alloc(length));

// RFC 6229 §2 keystream rows: [key, offset (DEC), 16 bytes at that offset].
const RFC6229: [key: string, offset: number, bytes: string][] = [
  ['0102030405', 0, 'b2396305f03dc027ccc3524a0a1118a8'],
  ['0102030405', 16, '6982944f18fc82d589c403a47a0d0919'],
  ['0102030405', 240, '28cb1132c96ce286421dcaadb8b69eae'],
  ['0102030405', 1536, 'd8729db41882259bee4f825325f5a130'],
  ['0102030405', 4096, 'ff25b58995996707e51fbdf08b34d875'],
  ['833222772a', 0, '80ad97bdc973df8a2e879e92a497efda'],
  ['0102030405060708090a0b0c0d0e0f10', 0, '9ac7cc9a609d1ef7b2932899cde41b97'],
  ['0102030405060708090a0b0c0d0e0f10', 16, '5248c4959014126a6e8a84f11d1a9e1c'],
  ['0102030405060708090a0b0c0d0e0f10', 1536, 'ffa0b514647ec04f6306b892ae661181'],
  ['0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20', 0, 'eaa6bd25880bf93d3f5d1e4ca2611d91'],
  ['0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20', 4096, 'f3e4c0a2e02d1d01f7f0a74618af2b48'],
];

describe('RC4 (RFC 6229 keystream vectors)', () => {
  it.each(RFC6229)('key %s at offset %i', (key, offset, bytes) => {
    expect(keystream(key, offset + 16).subarray(offset).toString('hex')).toBe(bytes);
  });

  it('decrypts what it encrypts (a stream cipher is its own inverse)', () => {
    const key = Buffer.from('secret key');
    const plaintext = Buffer.from('attack at dawn');
    expect(rc4(key, rc4(key, plaintext))).toEqual(plaintext);
  });

  it('refuses an empty or oversized key', () => {
    expect(() => rc4(Buffer.alloc(0), Buffer.from('x'))).toThrow(KrbCryptoError);
    expect(() => rc4(Buffer.alloc(257), Buffer.from('x'))).toThrow(KrbCryptoError);
  });
});
