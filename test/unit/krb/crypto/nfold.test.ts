import { describe, expect, it } from 'vitest';
import { KrbCryptoError } from '../../../../main/krb/errors';
import { nfold } from '../../../../main/krb/crypto';

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');

// RFC 3961 Appendix A.1 (n-fold), sizes in bits as the RFC gives them.
const RFC3961_A1: [bits: number, input: string, output: string][] = [
  [64, '012345', 'be072631276b1955'],
  [56, 'password', '78a07b6caf85fa'],
  [64, 'Rough Consensus, and Running Code', 'bb6ed30870b7f0e0'],
  [168, 'password', '59e4a8ca7c0385c3c37b3f6d2000247cb6e6bd5b3e'],
  [192, 'MASSACHVSETTS INSTITVTE OF TECHNOLOGY', 'db3b0d8f0b061e603282b308a50841229ad798fab9540c1b'],
  [168, 'Q', '518a54a2 15a8452a 518a54a2 15a8452a 518a54a2 15'],
  [168, 'ba', 'fb25d531 ae897449 9f52fd92 ea9857c4 ba24cf29 7e'],
  [64, 'kerberos', '6b657262 65726f73'],
  [128, 'kerberos', '6b657262 65726f73 7b9b5b2b 93132b93'],
  [168, 'kerberos', '8372c236 344e5f15 50cd0747 e15d62ca 7a5a3bce a4'],
  [256, 'kerberos', '6b657262 65726f73 7b9b5b2b 93132b93 5c9bdcda d95c9899 c4cae4de e6d6cae4'],
];

describe('n-fold (RFC 3961 §5.1)', () => {
  it.each(RFC3961_A1)('%i-fold("%s")', (bits, input, output) => {
    expect(nfold(Buffer.from(input, 'latin1'), bits / 8).toString('hex')).toBe(hex(output).toString('hex'));
  });

  it('is the identity when input and output have the same length', () => {
    const block = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    expect(nfold(block, 16)).toEqual(block);
  });

  it('refuses an empty input or a non-positive length with a KrbCryptoError', () => {
    expect(() => nfold(Buffer.alloc(0), 16)).toThrow(KrbCryptoError);
    expect(() => nfold(Buffer.from('a'), 0)).toThrow(KrbCryptoError);
  });
});
