import { createCipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KrbCryptoError } from '../../../../main/krb/errors';
import { camelliaUsageKeys, cmac, ctsDecrypt, ctsEncrypt, getEnctype, kdfFeedbackCmac, keyedChecksum, verifyKeyedChecksum } from '../../../../main/krb/crypto';

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');
const iterations = (count: number): Buffer => {
  const params = Buffer.alloc(4);
  params.writeUInt32BE(count, 0);
  return params;
};
const camellia128 = getEnctype(25)!;
const camellia256 = getEnctype(26)!;

function errorCode(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return e instanceof KrbCryptoError ? e.code : `not a KrbCryptoError: ${String(e)}`;
  }
  return 'no error';
}

describe('CMAC (NIST SP 800-38B)', () => {
  // RFC 4493 §4, AES-CMAC examples 1-4: they pin the CMAC construction independently of Camellia.
  const key = hex('2b7e1516 28aed2a6 abf71588 09cf4f3c');
  const message = hex(
    '6bc1bee2 2e409f96 e93d7e11 7393172a ae2d8a57 1e03ac9c 9eb76fac 45af8e51 30c81c46 a35ce411 e5fbc119 1a0a52ef f69f2445 df4f9b17 ad2b417b e66c3710',
  );
  it.each([
    [0, 'bb1d6929 e9593728 7fa37d12 9b756746'],
    [16, '070a16b4 6b4d4144 f79bdd9d d04a287c'],
    [40, 'dfa66747 de9ae630 30ca3261 1497c827'],
    [64, '51f0bebf 7e3b9d92 fc497417 79363cfe'],
  ])('RFC 4493 AES-CMAC of %i bytes', (length, tag) => {
    expect(cmac('aes', key, message.subarray(0, length)).toString('hex')).toBe(hex(tag).toString('hex'));
  });

  it('takes its message in parts', () => {
    expect(cmac('aes', key, message.subarray(0, 7), message.subarray(7, 40))).toEqual(cmac('aes', key, message.subarray(0, 40)));
  });

  it('refuses keys of other lengths', () => {
    expect(errorCode(() => cmac('camellia', Buffer.alloc(24), Buffer.from('x')))).toBe('bad-key');
  });
});

describe('Camellia-CTS', () => {
  it('encrypts one block as plain Camellia-CBC and round-trips 16..80 bytes for both key sizes', () => {
    for (const key of [Buffer.alloc(16, 1), Buffer.alloc(32, 2)]) {
      const block = Buffer.from('exactly 16 bytes');
      const cbc = createCipheriv(`camellia-${key.length * 8}-cbc`, key, Buffer.alloc(16)).setAutoPadding(false).update(block);
      expect(ctsEncrypt('camellia', key, undefined, block)).toEqual(cbc);
      for (let length = 16; length <= 80; length++) {
        const data = Buffer.from(Array.from({ length }, (_, i) => (i * 11) & 0xff));
        const encrypted = ctsEncrypt('camellia', key, undefined, data);
        expect(encrypted).toHaveLength(length);
        expect(ctsDecrypt('camellia', key, undefined, encrypted)).toEqual(data);
      }
    }
    expect(() => ctsEncrypt('camellia', Buffer.alloc(16), undefined, Buffer.alloc(15))).toThrow(/Camellia-CTS input must be at least 16 bytes/);
  });
});

// RFC 6803 §10, "Sample results for key derivation" (key usage 2).
const RFC6803_KEYS = [
  {
    id: 25 as const,
    key: '57d0297298ffd9d35de5a47fb4bde24b',
    Kc: 'd155775a209d05f02b38d42a389e5a56',
    Ke: '64df83f85a532f17577d8c37035796ab',
    Ki: '3e4fbdf30fb8259c425cb6c96f1f4635',
  },
  {
    id: 26 as const,
    key: 'b9d6828b2056b7be656d88a123b1fac68214ac2b727ecf5f69afe0c4df2a6d2c',
    Kc: 'e467f9a9552bc7d3155a6220af9c19220eeed4ff78b0d1e6a1544991461a9e50',
    Ke: '412aefc362a7285fc3966c6a5181e7605ae675235b6d549fbfc9ab6630a4c604',
    Ki: 'fa624fa0e523993fa388aefdc67e67ebcd8c08e8a0246b1d73b0d1dd9fc582b0',
  },
];

describe('KDF-FEEDBACK-CMAC (RFC 6803 §10 key derivation samples)', () => {
  it.each(RFC6803_KEYS)('etype $id, key usage 2', ({ id, key, Kc, Ke, Ki }) => {
    const keys = camelliaUsageKeys(id, hex(key), 2);
    expect(keys.Kc.toString('hex')).toBe(Kc);
    expect(keys.Ke.toString('hex')).toBe(Ke);
    expect(keys.Ki.toString('hex')).toBe(Ki);
    expect(kdfFeedbackCmac(hex(key), hex('0000000299')).toString('hex')).toBe(Kc);
  });

  it('names bad keys and usages', () => {
    expect(errorCode(() => camelliaUsageKeys(25, Buffer.alloc(32), 2))).toBe('bad-key');
    expect(errorCode(() => camelliaUsageKeys(26, Buffer.alloc(32), -1))).toBe('bad-input');
    expect(errorCode(() => kdfFeedbackCmac(Buffer.alloc(24), Buffer.from('kerberos')))).toBe('bad-key');
  });
});

// RFC 6803 §10, "Sample results for string-to-key conversion": the RFC 3962 inputs.
const X64 = 'X'.repeat(64);
const X65 = 'X'.repeat(65);
const SALT_BYTES = hex('1234567878563412');
const RFC6803_S2K: { iterations: number; password: string; salt: string | Buffer; camellia128: string; camellia256: string }[] = [
  {
    iterations: 1, password: 'password', salt: 'ATHENA.MIT.EDUraeburn',
    camellia128: '57d0297298ffd9d35de5a47fb4bde24b', camellia256: 'b9d6828b2056b7be656d88a123b1fac68214ac2b727ecf5f69afe0c4df2a6d2c',
  },
  {
    iterations: 2, password: 'password', salt: 'ATHENA.MIT.EDUraeburn',
    camellia128: '73f1b53aa0f310f93b1de8ccaa0cb152', camellia256: '83fc5866e5f8f4c6f38663c65c87549f342bc47ed394dc9d3cd4d163ade375e3',
  },
  {
    iterations: 1200, password: 'password', salt: 'ATHENA.MIT.EDUraeburn',
    camellia128: '8e571145452855575fd916e7b04487aa', camellia256: '77f421a6f25e138395e837e5d85d385b4c1bfd772e112cd9208ce72a530b15e6',
  },
  {
    iterations: 5, password: 'password', salt: SALT_BYTES,
    camellia128: '00498fd916bfc1c2b1031c170801b381', camellia256: '11083a00bdfe6a41b2f19716d6202f0afa94289afe8b27a049bd28b1d76c389a',
  },
  {
    iterations: 1200, password: X64, salt: 'pass phrase equals block size',
    camellia128: '8bf6c3ef709b981dbb585d086843be05', camellia256: '119fe2a1cb0b1be010b9067a73db63ed4665b4e53a98d178035dcfe843a6b9b0',
  },
  {
    iterations: 1200, password: X65, salt: 'pass phrase exceeds block size',
    camellia128: '5752ac8d6ad1ccfe8430b312871c2f74', camellia256: '614d5dfc0ba6d390b412b89ae4d5b088b612b31651099467 9ddb4383c7126ddf',
  },
  {
    iterations: 50, password: '\u{1D11E}', salt: 'EXAMPLE.COMpianist',
    camellia128: 'cc75c7fd260f1c1658011fcc0d560616', camellia256: '163b768c6db148b4eec7163df5aed70e206b68cec078bc069ed68a7ed36b1ecc',
  },
];

describe('camellia string-to-key (RFC 6803 §10 samples)', () => {
  it.each(RFC6803_S2K)('iterations $iterations, password length $password.length, salt $salt', (v) => {
    expect(camellia128.stringToKey(v.password, v.salt, iterations(v.iterations)).toString('hex')).toBe(hex(v.camellia128).toString('hex'));
    expect(camellia256.stringToKey(v.password, v.salt, iterations(v.iterations)).toString('hex')).toBe(hex(v.camellia256).toString('hex'));
  });

  it('defaults to 32768 iterations and refuses bad s2kparams', () => {
    expect(camellia128.stringToKey('pw', 'SALT')).toEqual(camellia128.stringToKey('pw', 'SALT', iterations(32768)));
    expect(errorCode(() => camellia256.stringToKey('pw', 'SALT', iterations(0)))).toBe('bad-input');
    expect(errorCode(() => camellia256.stringToKey('pw', 'SALT', hex('0102')))).toBe('bad-input');
  });
});

// RFC 6803 §10, "Sample checksums".
const RFC6803_CHECKSUMS: { type: 17 | 18; key: string; usage: number; data: string; checksum: string }[] = [
  { type: 17, key: '1dc46a8d763f4f93742bcba3387576c3', usage: 7, data: 'abcdefghijk', checksum: '1178e6c5c47a8c1ae0c4b9c7d4eb7b6b' },
  { type: 17, key: '5027bc231d0f3a9d23333f1ca6fdbe7c', usage: 8, data: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', checksum: 'd1b34f7004a731f23a0c00bf6c3f753a' },
  {
    type: 18, key: 'b61c86cc4e5d2757545ad423399fb7031ecab913cbb900bd7a3c6dd8bf92015b', usage: 9, data: '123456789',
    checksum: '87a12cfd2b96214810f01c826e7744b1',
  },
  {
    type: 18, key: '32164c5b434d1d1538e4cfd9be8040fe8c4ac7acc4b93d3314d21336 68147a05', usage: 10, data: '!@#$%^&*()!@#$%^&*()!@#$%^&*()',
    checksum: '3fa0b42355e52b189187294aa252ab64',
  },
];

describe('cmac-camellia128 / cmac-camellia256 (RFC 6803 §10 sample checksums)', () => {
  it.each(RFC6803_CHECKSUMS)('checksum type $type, key usage $usage, "$data"', ({ type, key, usage, data, checksum }) => {
    const e = type === 17 ? camellia128 : camellia256;
    expect(e.checksumType).toBe(type);
    expect(e.checksum(hex(key), usage, Buffer.from(data)).toString('hex')).toBe(checksum);
    expect(keyedChecksum(type, hex(key), usage, Buffer.from(data)).toString('hex')).toBe(checksum);
    expect(verifyKeyedChecksum(type, hex(key), usage, Buffer.from(data), hex(checksum))).toBe(true);
    expect(verifyKeyedChecksum(type, hex(key), usage + 1, Buffer.from(data), hex(checksum))).toBe(false);
    expect(verifyKeyedChecksum(type, hex(key), usage, Buffer.from(`${data}.`), hex(checksum))).toBe(false);
  });
});

// RFC 6803 §10, "Sample encryptions"; the key usages 0..4 come from erratum 4326 (MIT's
// t_decrypt.c uses the same keys, usages and ciphertexts).
const PLAINTEXTS = ['', '1', '9 bytesss', '13 bytes byte', '30 bytes bytes bytes bytes byt'];
const RFC6803_ENCRYPTIONS: { id: 25 | 26; usage: number; confounder: string; key: string; ciphertext: string }[] = [
  {
    id: 25, usage: 0, confounder: 'b69822a19a6b09c0ebc8557d1f1b6c0a', key: '1dc46a8d763f4f93742bcba3387576c3',
    ciphertext: 'c466f1871069921edb7c6fde244a52db0ba10edc197bdb8006658ca3ccce6eb8',
  },
  {
    id: 25, usage: 1, confounder: '6f2fc3c2a166fd8898967a83de9596d9', key: '5027bc231d0f3a9d23333f1ca6fdbe7c',
    ciphertext: '842d21fd950311c0dd464a3f4be8d6da88a56d559c9b47d3f9a85067af661559b8',
  },
  {
    id: 25, usage: 2, confounder: 'a5b4a71e077aeef93c8763c18fdb1f10', key: 'a1bb61e805f9ba6dde8fdbddc05cdea0',
    ciphertext: '619ff072e36286ff0a28deb3a352ec0d0edf5c5160d663c901758ccf9d1ed33d71db8f23aabf8348a0',
  },
  {
    id: 25, usage: 3, confounder: '19fee40d810c524b5b22f01874c693da', key: '2ca27a5faf5532244506434e1cef6676',
    ciphertext: 'b8eca3167ae6315512e59f98a7c500205e5f63ff3bb389af1c41a21d640d8615c9ed3fbeb05ab6acb67689b5ea',
  },
  {
    id: 25, usage: 4, confounder: 'ca7a7ab4be192dabd603506db19c39e2', key: '7824f8c16f83ff354c6bf7515b973f43',
    ciphertext: 'a26a3905a4ffd5816b7b1e27380d08090c8ec1f304496e1abdcd2bdcd1dffc660989e117a713ddbb57a4146c1587cba4356665591d2240282f5842b105a5',
  },
  {
    id: 26, usage: 0, confounder: '3cbbd2b45917941067f96599bb98926c', key: 'b61c86cc4e5d2757545ad423399fb7031ecab913cbb900bd7a3c6dd8bf92015b',
    ciphertext: '03886d03310b47a6d8f06d7b94d1dd837ecce315ef652aff620859d94a259266',
  },
  {
    id: 26, usage: 1, confounder: 'def487fcebe6de6346d4da4521bba2d2', key: '1b97fe0a190e2021eb30753e1b6e1e77b0754b1d684610355864104963463833',
    ciphertext: '2c9c1570133c99bf6a34bc1b0212002fd194338749db4135497a347cfcd9d18a12',
  },
  {
    id: 26, usage: 2, confounder: 'ad4ff904d34e555384b14100fc465f88', key: '32164c5b434d1d1538e4cfd9be8040fe8c4ac7acc4b93d3314d2133668147a05',
    ciphertext: '9c6de75f812de7ed0d28b2963557a115640998275b0af5152709913ff52a2a9c8e63b872f92e64c839',
  },
  {
    id: 26, usage: 3, confounder: 'cf9bca6df1144e0c0af9b8f34c90d514', key: 'b038b132cd8e066122 67fab7170066d88aeccba0b744bfc60dc89bca182d0715',
    ciphertext: 'eeec85a9813cdc536772ab9b42defc5706f726e975dde05a87eb5406ea324ca185c9986b42aabe794b84821bee',
  },
  {
    id: 26, usage: 4, confounder: '644def38da35007275878d216855e228', key: 'ccfcd349bf4c6677e86e4b02b8eab924a546ac731cf9bf6989b996e7d6bfbba7',
    ciphertext: '0e44680985855f2d1f1812529ca83bfd8e349de6fd9ada0baaa048d68e265febf34ad1255a344999ad37146887a6c6845731ac7f46376a0504cd06571474',
  },
];

describe('camellia-cts-cmac encryption (RFC 6803 §10 sample encryptions)', () => {
  it.each(RFC6803_ENCRYPTIONS)('etype $id, key usage $usage', ({ id, usage, confounder, key, ciphertext }) => {
    const e = getEnctype(id)!;
    const plaintext = Buffer.from(PLAINTEXTS[usage]!);
    expect(e.encrypt(hex(key), usage, plaintext, hex(confounder)).toString('hex')).toBe(hex(ciphertext).toString('hex'));
    expect(e.decrypt(hex(key), usage, hex(ciphertext))).toEqual(plaintext);
    expect(errorCode(() => e.decrypt(hex(key), usage + 1, hex(ciphertext)))).toBe('integrity');
  });

  it('refuses ciphertexts shorter than confounder and CMAC', () => {
    expect(errorCode(() => camellia128.decrypt(Buffer.alloc(16), 1, Buffer.alloc(31)))).toBe('bad-input');
  });
});
