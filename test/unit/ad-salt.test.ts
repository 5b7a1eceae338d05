/**
 * AD salts and the keytab builder / check / key-match explanation that use them.
 *
 * Vectors: keys a Samba 4.17.12 AD DC (realm AD.TEST) made for the password "Salt-Vector-1!",
 * exported with `samba-tool domain exportkeytab` (2026-12-06):
 *   svcsalt-b981ae   service account with SPN salt/svcsalt-b981ae.ad.test  → salt "AD.TESTsvcsalt-b981ae"
 *   ws3142b7$        computer account                                     → salt "AD.TESThostws3142b7.ad.test"
 *   upn-350017       user whose userPrincipalName is other-upn-350017@AD.TEST → salt "AD.TESTother-upn-350017"
 * RC4 (no salt) was 04bc1f7e25bee2de80c823fd32465885 for all three.
 */
import { describe, expect, it } from 'vitest';
import { adSalt, describeSalt, identifySalt, saltCandidates, saltOf } from '../../main/krb/ad-salt';
import { requireEnctype } from '../../main/krb/crypto';
import { explainKeyMatch } from '../../main/krb/explain';
import { keytabEntryFromPassword, writeKeytab, type KeytabEntry } from '../../main/krb/keytab';
import type { Ticket } from '../../main/krb/messages/ticket';
import { parsePrincipal } from '../../main/krb/names';
import { KeyUsage } from '../../main/krb/usages';
import { KeytabServiceImpl } from '../../main/inspect/service';
import { BenchFailure } from '../../main/engine/failure';

const PASSWORD = 'Salt-Vector-1!';
const AES256 = 18;
const AES128 = 17;
const RC4 = 23;
const DC = {
  service: { salt: 'AD.TESTsvcsalt-b981ae', aes256: '36a132d0014a1134dec2c5bbd55d17508391700974ac645e8e44d39bac5274d6', aes128: '369b4ccdd2590e77bcb1111a4ae3a23e' },
  computer: { salt: 'AD.TESThostws3142b7.ad.test', aes256: '6ec29196650e3cc2065b91a3b171ddfdf8ee1708117e4f5d2eb80462cf686b6b', aes128: '73f0931c6dcaf37795fefbe302457e1a' },
  upn: { salt: 'AD.TESTother-upn-350017', aes256: 'bf164299e3eebb0631be0f3832903e9d5950a24c02361cfbcc49841464281958', aes128: '7c27708402334d7d13f4cfcc3f4bda2e' },
  rc4: '04bc1f7e25bee2de80c823fd32465885',
};

const hex = (enctype: number, salt: string) => requireEnctype(enctype).stringToKey(PASSWORD, salt).toString('hex');
const source = (entries: KeytabEntry[]) => ({ base64: writeKeytab({ version: 0x502, entries }).toString('base64'), name: 'test.keytab' });

describe('adSalt', () => {
  it('is REALM + sAMAccountName for users and services, REALM + host + name + . + realm for computers', () => {
    expect(adSalt({ realm: 'AD.TEST', account: 'svc-mqtt' })).toBe('AD.TESTsvc-mqtt');
    expect(adSalt({ realm: 'ad.test', account: 'Svc-Mqtt' })).toBe('AD.TESTSvc-Mqtt');
    expect(adSalt({ realm: 'AD.TEST', account: 'WS1$', computer: true })).toBe('AD.TESThostws1.ad.test');
    expect(adSalt({ realm: 'AD.TEST', account: 'ws1', computer: true })).toBe('AD.TESThostws1.ad.test');
    // A UPN given as the account: its name part salts (what Samba does when it differs from sAMAccountName).
    expect(adSalt({ realm: 'AD.TEST', account: 'other-upn-350017@AD.TEST' })).toBe(DC.upn.salt);
  });

  it('derives the keys the DC exported (aes256, aes128; RC4 takes no salt)', () => {
    expect(adSalt({ realm: 'AD.TEST', account: 'svcsalt-b981ae' })).toBe(DC.service.salt);
    expect(adSalt({ realm: 'AD.TEST', account: 'ws3142b7$', computer: true })).toBe(DC.computer.salt);
    for (const vector of [DC.service, DC.computer, DC.upn]) {
      expect(hex(AES256, vector.salt)).toBe(vector.aes256);
      expect(hex(AES128, vector.salt)).toBe(vector.aes128);
    }
    expect(hex(RC4, 'anything')).toBe(DC.rc4);
    // MIT's default salt for the SPN gives other keys: the DC's key is not derivable from it.
    expect(hex(AES256, 'AD.TESTsaltsvcsalt-b981ae.ad.test')).not.toBe(DC.service.aes256);
  });

  it('lists the candidates worth trying, without duplicates', () => {
    expect(saltCandidates(parsePrincipal('alice@AD.TEST'))).toEqual([{ kind: 'mit', salt: 'AD.TESTalice' }]);
    // host/NAME.realm: MIT's default salt is the AD computer salt, kept once.
    expect(saltCandidates(parsePrincipal('host/ws1.ad.test@AD.TEST'))).toEqual([{ kind: 'mit', salt: 'AD.TESThostws1.ad.test' }]);
    expect(saltCandidates(parsePrincipal('mqtt/broker.ad.test@AD.TEST'), 'svc-mqtt')).toEqual([
      { kind: 'ad-user', salt: 'AD.TESTsvc-mqtt', account: 'svc-mqtt' },
      { kind: 'ad-computer', salt: 'AD.TESThostsvc-mqtt.ad.test', account: 'svc-mqtt' },
      { kind: 'mit', salt: 'AD.TESTmqttbroker.ad.test' },
      // An SPN on a computer account (HTTP/ws1.ad.test held by ws1$) has the computer's salt.
      { kind: 'ad-computer', salt: 'AD.TESThostbroker.ad.test', account: 'broker' },
    ]);
    expect(saltCandidates(parsePrincipal('ws1$@AD.TEST')).map((c) => c.kind)).toEqual(['mit', 'ad-computer']);
    expect(() => saltOf(parsePrincipal('a/b@AD.TEST'), 'ad-user')).toThrow(/needs the account name/);
  });

  it('identifies the salt a key was made with, and only then', () => {
    const principal = parsePrincipal('salt/svcsalt-b981ae.ad.test@AD.TEST');
    const key = Buffer.from(DC.service.aes256, 'hex');
    const found = identifySalt(key, AES256, PASSWORD, saltCandidates(principal, 'svcsalt-b981ae'));
    expect(found).toEqual({ kind: 'ad-user', salt: DC.service.salt, account: 'svcsalt-b981ae' });
    expect(describeSalt(found!)).toBe('the AD salt of account svcsalt-b981ae "AD.TESTsvcsalt-b981ae"');
    expect(identifySalt(key, AES256, PASSWORD, saltCandidates(principal))).toBeNull();
    expect(identifySalt(key, AES256, 'other password', saltCandidates(principal, 'svcsalt-b981ae'))).toBeNull();
    expect(identifySalt(Buffer.from(DC.rc4, 'hex'), RC4, PASSWORD, saltCandidates(principal))).toBeNull();
  });
});

describe('Keytab service with AD salts', () => {
  const service = new KeytabServiceImpl();

  it('builds what ktpass would: the AD salt, AES256 + AES128 + RC4 by default', async () => {
    const doc = await service.add(null, { principal: 'salt/svcsalt-b981ae.ad.test@AD.TEST', kvno: 3, password: PASSWORD, saltType: 'ad-user', account: 'svcsalt-b981ae' }, true);
    expect(doc.entries.map((e) => [e.enctype, e.kvno, e.key])).toEqual([
      ['aes256-cts-hmac-sha1-96', 3, DC.service.aes256],
      ['aes128-cts-hmac-sha1-96', 3, DC.service.aes128],
      ['arcfour-hmac', 3, DC.rc4],
    ]);
    const computer = await service.add(null, { principal: 'ws3142b7$@AD.TEST', kvno: 2, enctypes: ['aes256-cts-hmac-sha1-96'], password: PASSWORD, saltType: 'ad-computer', account: 'ws3142b7$' }, true);
    expect(computer.entries.map((e) => e.key)).toEqual([DC.computer.aes256]);
    // The same slot again: replaced, not duplicated.
    const again = await service.add({ base64: doc.base64, name: 'x' }, { principal: 'salt/svcsalt-b981ae.ad.test@AD.TEST', kvno: 3, enctypes: ['aes256-cts-hmac-sha1-96'], password: PASSWORD }, false);
    expect(again.replaced).toBe(1);
    expect(again.entries).toHaveLength(3);
  });

  it('refuses an AD salt without its account, or with a salt string, as a BenchFailure', async () => {
    const base = { principal: 'a/b@AD.TEST', kvno: 1, password: PASSWORD };
    await expect(service.add(null, { ...base, saltType: 'ad-user' }, false)).rejects.toThrow(BenchFailure);
    await expect(service.add(null, { ...base, saltType: 'ad-user', account: 'x', salt: 'y' }, false)).rejects.toThrow(/not both/);
    await expect(service.add(null, { principal: 'a/b@AD.TEST', kvno: 1, saltType: 'ad-user', account: 'x' }, false)).rejects.toThrow(/password/);
  });

  it('check names the salt each matching key was made with', async () => {
    const spn = parsePrincipal('salt/svcsalt-b981ae.ad.test@AD.TEST');
    const entries = [
      { principal: spn, timestamp: 0, kvno: 3, enctype: AES256, key: Buffer.from(DC.service.aes256, 'hex') },
      keytabEntryFromPassword(spn, PASSWORD, AES128, 3),
      { principal: spn, timestamp: 0, kvno: 3, enctype: RC4, key: Buffer.from(DC.rc4, 'hex') },
    ];
    const plain = await service.check(source(entries), PASSWORD);
    expect(plain.entries.map((e) => [e.match, e.salt?.kind])).toEqual([
      [false, undefined],
      [true, 'mit'],
      [true, undefined],
    ]);
    const withAccount = await service.check(source(entries), PASSWORD, { saltType: 'ad-user', account: 'svcsalt-b981ae' });
    expect(withAccount.entries[0]).toMatchObject({ match: true, salt: { used: DC.service.salt, kind: 'ad-user', account: 'svcsalt-b981ae' } });
    expect(withAccount.entries[1]).toMatchObject({ match: true, salt: { kind: 'mit' }, note: expect.stringMatching(/^made with the MIT default salt .*, not the AD salt of account svcsalt-b981ae/) });
    const given = await service.check(source(entries), PASSWORD, DC.service.salt);
    expect(given.entries.map((e) => e.match)).toEqual([true, false, true]);
  });
});

describe('key-match explanation with the password', () => {
  const spn = parsePrincipal('salt/svcsalt-b981ae.ad.test@AD.TEST');
  const dcKey = Buffer.from(DC.service.aes256, 'hex');
  const ticket: Ticket = {
    tktVno: 5,
    realm: 'AD.TEST',
    sname: { nameType: 2, nameString: spn.components },
    encPart: { etype: AES256, kvno: 3, cipher: requireEnctype(AES256).encrypt(dcKey, KeyUsage.TICKET_ENC_PART, Buffer.from('not a real EncTicketPart')) },
  } as Ticket;
  const mitEntry = keytabEntryFromPassword(spn, PASSWORD, AES256, 3);

  it('names the entry salt and the KDC salt when the account is given', () => {
    const explained = explainKeyMatch(ticket, [mitEntry], { password: PASSWORD, account: 'svcsalt-b981ae' });
    expect(explained.ok).toBe(false);
    expect(explained.verdicts[0]!.salt).toEqual({ used: 'AD.TESTsaltsvcsalt-b981ae.ad.test', kind: 'mit' });
    expect(explained.kdcSalt).toEqual({ used: DC.service.salt, kind: 'ad-user', account: 'svcsalt-b981ae' });
    expect(explained.conclusion).toBe(
      'The keytab entry for salt/svcsalt-b981ae.ad.test@AD.TEST (kvno 3, aes256-cts-hmac-sha1-96) was made with the MIT default salt "AD.TESTsaltsvcsalt-b981ae.ad.test", ' +
        'but the KDC encrypts with the key of the AD salt of account svcsalt-b981ae "AD.TESTsvcsalt-b981ae": same password, different salt — rebuild it with the AD salt (kbench keytab add … --ad-account svcsalt-b981ae).',
    );
  });

  it('without the account names only what it can tell, and without the password says what it said before', () => {
    const explained = explainKeyMatch(ticket, [mitEntry], { password: PASSWORD });
    expect(explained.kdcSalt).toBeUndefined();
    expect(explained.conclusion).toMatch(/was made from this password with the MIT default salt .* give the account to try it/);
    expect(explainKeyMatch(ticket, [mitEntry]).conclusion).toMatch(/same kvno, different key/);
    // The right key: nothing to explain.
    expect(explainKeyMatch(ticket, [{ ...mitEntry, key: dcKey }], { password: PASSWORD }).ok).toBe(true);
  });
});
