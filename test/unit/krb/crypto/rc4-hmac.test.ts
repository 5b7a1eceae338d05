import { describe, expect, it } from 'vitest';
import { KrbCryptoError } from '../../../../main/krb/errors';
import { getEnctype, keyedChecksum, md4, rc4Usage, verifyKeyedChecksum } from '../../../../main/krb/crypto';

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');
const arcfour = getEnctype(23)!;

describe('arcfour-hmac string-to-key (RFC 4757 §2)', () => {
  it('is MD4(UTF-16LE(password)), the NT hash: "password" → 8846f7ea…', () => {
    expect(arcfour.stringToKey('password', 'IGNORED.SALTalice').toString('hex')).toBe('8846f7eaee8fb117ad06bdd830b7586c');
  });

  it('ignores the salt and reads byte passwords as UTF-8', () => {
    const text = 'pässwörd\u{1F511}';
    const key = arcfour.stringToKey(text, 'A');
    expect(arcfour.stringToKey(Buffer.from(text, 'utf8'), 'B')).toEqual(key);
    expect(key).toEqual(md4(Buffer.from(text, 'utf16le')));
  });

  it('refuses s2kparams and invalid UTF-8 with bad-input', () => {
    expect(() => arcfour.stringToKey('password', '', Buffer.from([0, 0, 16, 0]))).toThrow(expect.objectContaining({ code: 'bad-input' }));
    expect(() => arcfour.stringToKey(Buffer.from([0xff, 0xfe]), '')).toThrow(expect.objectContaining({ code: 'bad-input' }));
  });
});

describe('RFC 4757 key usage translation', () => {
  it('maps AS-REP enc-part 3 → 8 and GSS 23 → 13; others (including 9, as Windows and MIT do) unchanged', () => {
    expect([1, 2, 3, 4, 7, 8, 9, 11, 12, 15, 17, 23].map(rc4Usage)).toEqual([1, 2, 8, 4, 7, 8, 9, 11, 12, 15, 17, 13]);
  });

  it('so usage 3 and usage 8 encrypt alike', () => {
    const key = arcfour.randomKey();
    const confounder = Buffer.alloc(8, 1);
    expect(arcfour.encrypt(key, 3, Buffer.from('x'), confounder)).toEqual(arcfour.encrypt(key, 8, Buffer.from('x'), confounder));
    expect(arcfour.decrypt(key, 8, arcfour.encrypt(key, 3, Buffer.from('as-rep')))).toEqual(Buffer.from('as-rep'));
  });

  it('decrypting usage 9 also accepts the RFC 4757 value 8 (MIT does the same)', () => {
    const key = arcfour.randomKey();
    expect(arcfour.decrypt(key, 9, arcfour.encrypt(key, 8, Buffer.from('tgs-rep')))).toEqual(Buffer.from('tgs-rep'));
    expect(arcfour.decrypt(key, 9, arcfour.encrypt(key, 9, Buffer.from('tgs-rep')))).toEqual(Buffer.from('tgs-rep'));
    expect(() => arcfour.decrypt(key, 8, arcfour.encrypt(key, 9, Buffer.from('tgs-rep')))).toThrow(expect.objectContaining({ code: 'integrity' }));
  });
});

// Known ciphertexts from MIT krb5, src/lib/crypto/crypto_tests/t_decrypt.c. Usage 3 exercises
// the 3 → 8 translation.
const MIT_T_DECRYPT: [plaintext: string, usage: number, key: string, ciphertext: string][] = [
  ['', 0, 'F81FEC39255F5784E850C4377C88BD85', '02C1EB15586144122EC717763DD348BF00434DDC6585954C'],
  ['1', 1, '67D1300D281223867F9647FF48721273', '6156E0CC04E0A0874F9FDA008F498A7ADBBC80B70B14DDDBC0'],
  ['9 bytesss', 2, '3E40AB6093695281B3AC1A9304224D98', '0F9AD121D99D4A09448E4F1F718C4F5CBE6096262C66F29DF232A87C9F98755D55'],
  ['13 bytes byte', 3, '4BA2FBF0379FAED87A254D3B353D5A7E', '612C57568B17A70352BAE8CF26FB9459A6F3353CD35FD439DB3107CBEC765D326DFC04C1DD'],
  [
    '30 bytes bytes bytes bytes byt', 4, '68F263DB3FCE15D031C9EAB02D67107A',
    '95F9047C3AD75891C2E9B04B16566DC8B6EB9CE4231AFB2542EF87A7B5A0F260A99F0460508DE0CECC632D07C354124E46C5D2234EB8',
  ],
];

describe('arcfour-hmac decrypts MIT ciphertexts (MIT t_decrypt.c)', () => {
  it.each(MIT_T_DECRYPT)('"%s" usage %i', (plaintext, usage, key, ciphertext) => {
    expect(arcfour.decrypt(hex(key), usage, hex(ciphertext)).toString('latin1')).toBe(plaintext);
  });

  it('fails the integrity check under another usage', () => {
    const [, , key, ciphertext] = MIT_T_DECRYPT[4]!;
    expect(() => arcfour.decrypt(hex(key), 5, hex(ciphertext))).toThrow(KrbCryptoError);
  });
});

describe('hmac-md5 keyed checksum (checksum type -138)', () => {
  // MIT krb5 src/lib/crypto/crypto_tests/t_cksums.c, CKSUMTYPE_HMAC_MD5_ARCFOUR.
  const key = hex('F7D3A155AF5E238A0B7A871A96BA2AB2');
  const data = Buffer.from('seventeen eighteen nineteen twenty');
  const expected = 'eb38cc97e2230f59da4117dc5859d7ec';

  it('matches MIT for usage 6', () => {
    expect(keyedChecksum(-138, key, 6, data).toString('hex')).toBe(expected);
    expect(arcfour.checksum(key, 6, data).toString('hex')).toBe(expected);
    expect(verifyKeyedChecksum(-138, key, 6, data, hex(expected))).toBe(true);
    expect(verifyKeyedChecksum(-138, key, 7, data, hex(expected))).toBe(false);
  });

  it('takes keys of other enctypes (MS-SFU PA-FOR-USER with an AES session key) but not empty or >64-byte keys', () => {
    expect(keyedChecksum(-138, Buffer.alloc(32, 1), 17, data)).toHaveLength(16);
    expect(() => keyedChecksum(-138, Buffer.alloc(0), 17, data)).toThrow(expect.objectContaining({ code: 'bad-key' }));
    expect(() => keyedChecksum(-138, Buffer.alloc(65), 17, data)).toThrow(expect.objectContaining({ code: 'bad-key' }));
  });

  it('the enctype method itself insists on a 16-byte arcfour key', () => {
    expect(() => arcfour.checksum(Buffer.alloc(32), 6, data)).toThrow(expect.objectContaining({ code: 'bad-key' }));
  });
});

describe('arcfour-hmac round trip', () => {
  it('decrypt(encrypt(x)) = x with checksum | RC4(confounder | x) layout', () => {
    const key = arcfour.stringToKey('password', '');
    const ciphertext = arcfour.encrypt(key, 11, Buffer.from('authenticator'));
    expect(ciphertext).toHaveLength(16 + 8 + 13);
    expect(arcfour.decrypt(key, 11, ciphertext)).toEqual(Buffer.from('authenticator'));
  });
});
