import { createDecipheriv, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KrbCryptoError } from '../../../../main/krb/errors';
import { des3DerivedKey, des3DerivedRandom, des3UsageKeys, getEnctype, keyedChecksum, verifyKeyedChecksum } from '../../../../main/krb/crypto';
import { des3RandomToKey, fixParity } from '../../../../main/krb/crypto/des-cipher';

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');
const des3 = getEnctype(16)!;

function errorCode(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return e instanceof KrbCryptoError ? e.code : `not a KrbCryptoError: ${String(e)}`;
  }
  return 'no error';
}

// RFC 3961 Appendix A.3, DES3 DR and DK: all nine samples ("kerberos" is 6b65726265726f73).
const RFC3961_A3: { key: string; usage: string; dr: string; dk: string }[] = [
  {
    key: 'dce06b1f64c857a11c3db57c51899b2cc1791008ce973b92', usage: '0000000155',
    dr: '935079d14490a75c3093c4a6e8c3b049c71e6ee705', dk: '925179d04591a79b5d3192c4a7e9c289b049c71f6ee604cd',
  },
  {
    key: '5e13d31c70ef765746578531cb51c15bf11ca82c97cee9f2', usage: '00000001aa',
    dr: '9f58e5a047d894101c469845d67ae3c5249ed812f2', dk: '9e58e5a146d9942a101c469845d67a20e3c4259ed913f207',
  },
  {
    key: '98e6fd8a04a4b6859b75a176540b9752bad3ecd610a252bc', usage: '0000000155',
    dr: '12fff90c773f956d13fc2ca0d0840349dbd39908eb', dk: '13fef80d763e94ec6d13fd2ca1d085070249dad39808eabf',
  },
  {
    key: '622aec25a2fe2cad7094680b7c64940280084c1a7cec92b5', usage: '00000001aa',
    dr: 'f8debf05b097e7dc0603686aca35d91fd9a5516a70', dk: 'f8dfbf04b097e6d9dc0702686bcb3489d91fd9a4516b703e',
  },
  {
    key: 'd3f8298ccb166438dcb9b93ee5a7629286a491f838f802fb', usage: '6b65726265726f73',
    dr: '2270db565d2a3d64cfbfdc5305d4f778a6de42d9da', dk: '2370da575d2a3da864cebfdc5204d56df779a7df43d9da43',
  },
  {
    key: 'c1081649ada74362e6a1459d01dfd30d67c2234c940704da', usage: '0000000155',
    dr: '348056ec98fcc517171d2b4d7a9493af482d999175', dk: '348057ec98fdc48016161c2a4c7a943e92ae492c989175f7',
  },
  {
    key: '5d154af238f46713155719d55e2f1f790dd661f279a7917c', usage: '00000001aa',
    dr: 'a8818bc367dadacbe9a6c84627fb60c294b01215e5', dk: 'a8808ac267dada3dcbe9a7c84626fbc761c294b01315e5c1',
  },
  {
    key: '798562e049852f57dc8c343ba17f2ca1d97394efc8adc443', usage: '0000000155',
    dr: 'c813f88b3be2b2f75424ce9175fbc8483b88c8713a', dk: 'c813f88a3be3b334f75425ce9175fbe3c8493b89c8703b49',
  },
  {
    key: '26dce334b545292f2feab9a8701a89a4b99eb9942cecd016', usage: '00000001aa',
    dr: 'f58efc6f83f93e55e695fd252cf8fe59f7d5ba37ec', dk: 'f48ffd6e83f83e7354e694fd252cf83bfe58f7d5ba37ec5d',
  },
];

describe('DES3 DR and DK (RFC 3961 Appendix A.3)', () => {
  it.each(RFC3961_A3)('key $key, usage $usage', ({ key, usage, dr, dk }) => {
    expect(des3DerivedRandom(hex(key), hex(usage)).toString('hex')).toBe(dr);
    expect(des3DerivedKey(hex(key), hex(usage)).toString('hex')).toBe(dk);
  });

  it('random-to-key keeps 7 bytes per DES key and gathers their low bits into the eighth', () => {
    for (const { dr, dk } of RFC3961_A3) expect(des3RandomToKey(hex(dr)).toString('hex')).toBe(dk);
    const key = des3RandomToKey(Buffer.alloc(21, 0xff));
    expect(key).toEqual(fixParity(key));
    expect(errorCode(() => des3RandomToKey(Buffer.alloc(20)))).toBe('bad-input');
  });

  it('derives Kc, Ke and Ki as DK(key, usage | 99/AA/55)', () => {
    const key = hex(RFC3961_A3[0]!.key);
    const keys = des3UsageKeys(key, 1);
    expect(keys.Ki.toString('hex')).toBe(RFC3961_A3[0]!.dk); // usage 1, seed 0x55
    expect(keys.Kc).toEqual(des3DerivedKey(key, hex('0000000199')));
    expect(keys.Ke).toEqual(des3DerivedKey(key, hex('00000001aa')));
  });
});

// RFC 3961 Appendix A.4, DES3string_to_key: all five samples.
const RFC3961_A4: { password: string; salt: string; key: string }[] = [
  { password: 'password', salt: 'ATHENA.MIT.EDUraeburn', key: '850bb51358548cd05e86768c313e3bfef7511937dcf72c3e' },
  { password: 'potatoe', salt: 'WHITEHOUSE.GOVdanny', key: 'dfcd233dd0a43204ea6dc437fb15e061b02979c1f74f377a' },
  { password: 'penny', salt: 'EXAMPLE.COMbuckaroo', key: '6d2fcdf2d6fbbc3ddcadb5da5710a23489b0d3b69d5d9d4a' },
  { password: '\u00df', salt: 'ATHENA.MIT.EDUJuri\u0161i\u0107', key: '16d5a40e1ce3bacb61b9dce00470324c831973a7b952feb0' },
  // The g-clef, U+1D11E (UTF-8 f0 9d 84 9e).
  { password: '\u{1D11E}', salt: 'EXAMPLE.COMpianist', key: '85763726585dbc1cce6ec43e1f751f07f1c4cbb098f40b19' },
];

describe('des3-cbc-sha1 string-to-key (RFC 3961 Appendix A.4)', () => {
  it.each(RFC3961_A4)('password "$password", salt "$salt"', ({ password, salt, key }) => {
    expect(des3.stringToKey(password, salt).toString('hex')).toBe(key);
  });

  it('takes bytes too, and refuses s2kparams', () => {
    expect(des3.stringToKey(hex('f09d849e'), 'EXAMPLE.COMpianist').toString('hex')).toBe(RFC3961_A4[4]!.key);
    expect(des3.stringToKey('penny', 'EXAMPLE.COMbuckaroo', Buffer.alloc(0)).toString('hex')).toBe(RFC3961_A4[2]!.key);
    expect(errorCode(() => des3.stringToKey('penny', 'EXAMPLE.COMbuckaroo', hex('00001000')))).toBe('bad-input');
  });
});

// MIT krb5 src/lib/crypto/crypto_tests/t_decrypt.c: ciphertexts MIT's des3-cbc-sha1 produced.
const MIT_T_DECRYPT: { plaintext: string; usage: number; key: string; ciphertext: string }[] = [
  {
    plaintext: '', usage: 0, key: '7a25df8992296dceda0e135bc4046e2375b3c14c98fbc162',
    ciphertext: '548af4d504f7d723303f12175fe8386b7b5335a967bad61f3bf0b143',
  },
  {
    plaintext: '1', usage: 1, key: 'bc0783891513d5ce57bc138fd3c11ae640452385322962b6',
    ciphertext: '9c3c1dba4747d85af2916e4745f2dce38046796e5104bccdfb669a91d44bc356660945c7',
  },
  {
    plaintext: '9 bytesss', usage: 2, key: '2fd0f725ce04100d2fc8a18098831f850b45d9ef850bd920',
    ciphertext: 'cf9144ebc8697981075a8bad8d74e5d7d591eb7d9770c7ada25ee8c5b3d69444dfec79a5b7a01482d9af74e6',
  },
  {
    plaintext: '13 bytes byte', usage: 3, key: '0dd52094e0f41ceccb5be510a764b35176e3981332f1e598',
    ciphertext: '839a17081ecbafbcdc91b88c6955dd3c4514023cf177b77bf0d0177a16f705e849cb7781d76a316b193f8d30',
  },
  {
    plaintext: '30 bytes bytes bytes bytes byt', usage: 4, key: 'f11686cbbc9e23ea54fecd2a3dcdfb20b6fe98bf2645c4c4',
    ciphertext:
      '89433e83fd0ea3666cffcd18d8deebc53b9a34edbeb159d9f667c6c2b9a964401d55e7e9c68d648d65c3aa84ffa3790c14a864da8073a9a95c4ba2bc',
  },
];

describe('des3-cbc-sha1 decryption (MIT t_decrypt.c known ciphertexts)', () => {
  it.each(MIT_T_DECRYPT)('"$plaintext" with key usage $usage', ({ plaintext, usage, key, ciphertext }) => {
    const opened = des3.decrypt(hex(key), usage, hex(ciphertext));
    expect(opened.subarray(0, plaintext.length).toString()).toBe(plaintext);
    expect(opened.subarray(plaintext.length)).toEqual(Buffer.alloc(opened.length - plaintext.length));
    expect(opened.length - plaintext.length).toBeLessThan(8);
    expect(des3.encrypt(hex(key), usage, Buffer.from(plaintext))).toHaveLength(hex(ciphertext).length);
    expect(errorCode(() => des3.decrypt(hex(key), usage + 1, hex(ciphertext)))).toBe('integrity');
  });
});

describe('des3-cbc-sha1 encryption and hmac-sha1-des3-kd (RFC 3961 §6.3)', () => {
  const key = hex(RFC3961_A4[0]!.key);

  it('is 3DES-CBC(Ke, confounder | plaintext | pad) | HMAC-SHA1(Ki, same), all 20 bytes', () => {
    const confounder = hex('0102030405060708');
    const plaintext = Buffer.from('EncTicketPart');
    const ciphertext = des3.encrypt(key, 2, plaintext, confounder);
    const { Ke, Ki } = des3UsageKeys(key, 2);
    const encrypted = ciphertext.subarray(0, ciphertext.length - 20);
    const decipher = createDecipheriv('des-ede3-cbc', Ke, Buffer.alloc(8)).setAutoPadding(false);
    const opened = Buffer.concat([decipher.update(encrypted), decipher.final()]);
    expect(opened).toEqual(Buffer.concat([confounder, plaintext, Buffer.alloc(3)]));
    expect(ciphertext.subarray(-20)).toEqual(createHmac('sha1', Ki).update(opened).digest());
  });

  it('checksums with HMAC-SHA1(Kc, data), by checksum type 12 too', () => {
    const data = Buffer.from('KRB-SAFE body');
    const checksum = keyedChecksum(12, key, 15, data);
    expect(checksum).toEqual(createHmac('sha1', des3UsageKeys(key, 15).Kc).update(data).digest());
    expect(verifyKeyedChecksum(12, key, 15, data, checksum)).toBe(true);
    expect(verifyKeyedChecksum(12, key, 16, data, checksum)).toBe(false);
    expect(des3.verifyChecksum(key, 15, data, checksum.subarray(0, 12))).toBe(false);
  });

  it('refuses ciphertexts that are not whole blocks plus the HMAC', () => {
    const ciphertext = des3.encrypt(key, 2, Buffer.from('x'));
    expect(errorCode(() => des3.decrypt(key, 2, Buffer.concat([Buffer.alloc(1), ciphertext])))).toBe('bad-input');
    expect(errorCode(() => des3.decrypt(key, 2, ciphertext.subarray(0, 27)))).toBe('bad-input');
  });
});
