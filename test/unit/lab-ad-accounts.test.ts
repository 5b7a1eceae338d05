import { describe, expect, it } from 'vitest';
import { enctypeChoice, enctypeNames, ENCTYPE_CHOICE_BITS, filetime, principalsOf, toAccount } from '../../main/lab/samba/accounts';
import { ldifEntries } from '../../main/lab/samba/ldif';
import { UAC } from '../../main/lab/samba/realm';

/** An account as ldbsearch prints it (the attributes the lab asks for; values as Samba 4.17 writes them). */
function entry(lines: string[]) {
  return ldifEntries(`${lines.join('\n')}\n`)[0]!;
}

const SVC_MQTT = entry([
  'dn: CN=svc-mqtt,CN=Users,DC=ad,DC=test',
  'objectClass: top',
  'objectClass: person',
  'objectClass: organizationalPerson',
  'objectClass: user',
  'accountExpires: 9223372036854775807',
  'sAMAccountName: svc-mqtt',
  'userAccountControl: 512',
  'pwdLastSet: 134410525977984050',
  'servicePrincipalName: mqtt/localhost',
  'msDS-SupportedEncryptionTypes: 28',
  'msDS-KeyVersionNumber: 3',
]);
const ALICE = entry(['dn: CN=alice,CN=Users,DC=ad,DC=test', 'objectClass: user', 'accountExpires: 9223372036854775807', 'sAMAccountName: alice', 'userAccountControl: 512', 'pwdLastSet: 134410525968892360', 'msDS-KeyVersionNumber: 3']);

const facts = { passwords: { 'alice@AD.TEST': 'x', 'svc-mqtt@AD.TEST': 'y' }, inServiceKeytab: new Set(['mqtt/localhost@AD.TEST']) };

describe("the AD lab's accounts: AD's attributes in the lab's words", () => {
  it('a service account: kind, SPNs, kvno, enctypes from msDS-SupportedEncryptionTypes, its AES salt', () => {
    expect(toAccount(SVC_MQTT, 'AD.TEST', facts)).toEqual({
      name: 'svc-mqtt',
      kind: 'service',
      dn: 'CN=svc-mqtt,CN=Users,DC=ad,DC=test',
      principal: 'svc-mqtt@AD.TEST',
      spns: ['mqtt/localhost'],
      kvno: 3,
      enctypes: 'both',
      supportedEncryptionTypes: 28,
      userAccountControl: 512,
      enabled: true,
      expired: false,
      mustChangePassword: false,
      requiresPreauth: true,
      salt: 'AD.TESTsvc-mqtt',
      hasPassword: true,
      inServiceKeytab: true,
    });
  });

  it('a user without the attribute: enctypes unset; not in the service keytab', () => {
    expect(toAccount(ALICE, 'AD.TEST', facts)).toMatchObject({ kind: 'user', enctypes: 'unset', supportedEncryptionTypes: null, salt: 'AD.TESTalice', hasPassword: true, inServiceKeytab: false });
  });

  it('a computer: its kind from objectClass, the host salt', () => {
    const ws = entry(['dn: CN=WS1,CN=Computers,DC=ad,DC=test', 'objectClass: user', 'objectClass: computer', 'sAMAccountName: WS1$', `userAccountControl: ${UAC.WORKSTATION_TRUST_ACCOUNT}`, 'accountExpires: 0', 'msDS-KeyVersionNumber: 1']);
    expect(toAccount(ws, 'AD.TEST', facts)).toMatchObject({ name: 'WS1$', kind: 'computer', salt: 'AD.TESThostws1.ad.test', enabled: true, expired: false, hasPassword: false });
  });

  it('the flags: ACCOUNTDISABLE, DONT_REQ_PREAUTH, accountExpires in the past, pwdLastSet = 0', () => {
    const hourAgo = filetime(Date.now() - 3600_000);
    const flagged = entry([
      'dn: CN=bob,CN=Users,DC=ad,DC=test',
      'objectClass: user',
      'sAMAccountName: bob',
      `userAccountControl: ${UAC.NORMAL_ACCOUNT | UAC.ACCOUNTDISABLE | UAC.DONT_REQ_PREAUTH}`,
      `accountExpires: ${hourAgo}`,
      'pwdLastSet: 0',
      'msDS-KeyVersionNumber: 2',
    ]);
    expect(toAccount(flagged, 'AD.TEST', facts)).toMatchObject({ enabled: false, requiresPreauth: false, expired: true, mustChangePassword: true, userAccountControl: 0x400202 });
    const future = entry(['dn: CN=bob,DC=ad,DC=test', 'sAMAccountName: bob', `accountExpires: ${filetime(Date.now() + 86400_000)}`]);
    expect(toAccount(future, 'AD.TEST', facts).expired).toBe(false);
  });

  it('FILETIME: 100 ns since 1601', () => {
    expect(filetime(0)).toBe(116_444_736_000_000_000n);
    expect(filetime(Date.UTC(2024, 0, 1))).toBe(133_485_408_000_000_000n);
  });

  it('msDS-SupportedEncryptionTypes ↔ the lab\'s choices, and the enctypes each gives', () => {
    expect(ENCTYPE_CHOICE_BITS).toEqual({ rc4: 4, aes: 24, both: 28 });
    expect([null, 4, 24, 8, 16, 28, 31, 0x1c | 0x20].map(enctypeChoice)).toEqual(['unset', 'rc4', 'aes', 'aes', 'aes', 'both', 'both', 'both']);
    expect(enctypeNames('aes')).toEqual(['aes256-cts-hmac-sha1-96', 'aes128-cts-hmac-sha1-96']);
    expect(enctypeNames('both')).toEqual(['aes256-cts-hmac-sha1-96', 'aes128-cts-hmac-sha1-96', 'arcfour-hmac']);
    expect(enctypeNames('rc4')).toEqual(['arcfour-hmac']);
    expect(enctypeNames('unset')).toEqual(['arcfour-hmac']); // AD's default for services without the attribute
  });

  it('principals: krbtgt first, users, then every SPN of a service or computer as a service principal', () => {
    const accounts = [toAccount(ALICE, 'AD.TEST', facts), toAccount(SVC_MQTT, 'AD.TEST', facts)];
    const principals = principalsOf(accounts, 'AD.TEST', 2);
    expect(principals.map((p) => [p.name, p.kind, p.kvno])).toEqual([
      ['krbtgt/AD.TEST@AD.TEST', 'krbtgt', 2],
      ['alice@AD.TEST', 'user', 3],
      ['mqtt/localhost@AD.TEST', 'service', 3],
    ]);
    expect(principals[1]!.enctypes).toEqual(enctypeNames('both')); // a user's keys: AES and RC4 alike
    expect(principals[2]).toMatchObject({ enctypes: enctypeNames('both'), flags: { requiresPreauth: true, allowTix: true }, inServiceKeytab: true });
  });
});
