import { describe, expect, it } from 'vitest';
import { attribute, attributeValues, ldifEntries, ldifText } from '../../main/lab/samba/ldif';

/**
 * Captured from Samba 4.17.12 (Debian 12): ldbsearch -H dc/private/sam.ldb -s sub -b DC=ad,DC=test
 * '(|(sAMAccountName=svc-mqtt)(sAMAccountName=DC1$))' … on the AD lab's template, as the lab runs it.
 */
const LDBSEARCH = `# record 1
dn: CN=svc-mqtt,CN=Users,DC=ad,DC=test
objectClass: top
objectClass: person
objectClass: organizationalPerson
objectClass: user
accountExpires: 9223372036854775807
sAMAccountName: svc-mqtt
userAccountControl: 512
pwdLastSet: 134410525977984050
servicePrincipalName: mqtt/localhost
msDS-SupportedEncryptionTypes: 28
msDS-KeyVersionNumber: 3

# record 2
dn: CN=DC1,OU=Domain Controllers,DC=ad,DC=test
objectClass: top
objectClass: person
objectClass: organizationalPerson
objectClass: user
objectClass: computer
userAccountControl: 532480
sAMAccountName: DC1$
servicePrincipalName: HOST/DC1
servicePrincipalName: HOST/dc1.ad.test/dc1.ad.test
servicePrincipalName: host/dc1.ad.test
msDS-SupportedEncryptionTypes: 28
msDS-KeyVersionNumber: 1

# Referral
ref: ldap:///CN=Configuration,DC=ad,DC=test

# returned 3 records
# 2 entries
# 1 referrals
`;

describe("the AD lab's LDIF (ldbsearch output, ldbmodify input)", () => {
  it('reads entries with multi-valued attributes and skips comments and the referral', () => {
    const entries = ldifEntries(LDBSEARCH);
    expect(entries.map((e) => e.dn)).toEqual(['CN=svc-mqtt,CN=Users,DC=ad,DC=test', 'CN=DC1,OU=Domain Controllers,DC=ad,DC=test']);
    const [svc, dc] = entries as [(typeof entries)[0], (typeof entries)[0]];
    expect(attribute(svc, 'sAMAccountName')).toBe('svc-mqtt');
    expect(attribute(svc, 'msds-supportedencryptiontypes')).toBe('28'); // names match case-insensitively
    expect(attributeValues(svc, 'objectClass')).toEqual(['top', 'person', 'organizationalPerson', 'user']);
    expect(attributeValues(dc, 'servicePrincipalName')).toEqual(['HOST/DC1', 'HOST/dc1.ad.test/dc1.ad.test', 'host/dc1.ad.test']);
    expect(attribute(dc, 'accountExpires')).toBeUndefined();
    expect(attributeValues(dc, 'nothing')).toEqual([]);
  });

  it('decodes base64 values (::), CRLF line ends and RFC 2849 continuation lines', () => {
    const dn = 'CN=Zoë Ørsted,CN=Users,DC=ad,DC=test';
    const text = [
      `dn:: ${Buffer.from(dn).toString('base64')}`,
      'description: a long value that ldb folds at',
      '  seventy-nine columns',
      `displayName:: ${Buffer.from('Zoë').toString('base64')}`,
      '',
      'dn: CN=second,DC=ad,DC=test',
      'sAMAccountName: second',
    ].join('\r\n');
    const [first, second] = ldifEntries(text);
    expect(first!.dn).toBe(dn);
    expect(attribute(first!, 'description')).toBe('a long value that ldb folds at seventy-nine columns');
    expect(attribute(first!, 'displayName')).toBe('Zoë');
    expect(second).toMatchObject({ dn: 'CN=second,DC=ad,DC=test' });
    expect(attribute(second!, 'sAMAccountName')).toBe('second');
  });

  it('reads nothing from empty output or one that is only comments', () => {
    expect(ldifEntries('')).toEqual([]);
    expect(ldifEntries('# returned 0 records\n# 0 entries\n# 0 referrals\n')).toEqual([]);
  });

  it('writes one modify record, every value base64 — a unicodePwd (UTF-16LE bytes) included', () => {
    const password = Buffer.from('"Lab-secret1a"', 'utf16le');
    const text = ldifText('CN=svc-mqtt,CN=Users,DC=ad,DC=test', [
      { op: 'replace', attribute: 'unicodePwd', values: [password] },
      { op: 'add', attribute: 'servicePrincipalName', values: ['mqtt/broker', 'mqtt/broker.ad.test'] },
      { op: 'replace', attribute: 'msDS-SupportedEncryptionTypes', values: [] },
    ]);
    expect(text).toBe(
      [
        `dn:: ${Buffer.from('CN=svc-mqtt,CN=Users,DC=ad,DC=test').toString('base64')}`,
        'changetype: modify',
        'replace: unicodePwd',
        `unicodePwd:: ${password.toString('base64')}`,
        '-',
        'add: servicePrincipalName',
        `servicePrincipalName:: ${Buffer.from('mqtt/broker').toString('base64')}`,
        `servicePrincipalName:: ${Buffer.from('mqtt/broker.ad.test').toString('base64')}`,
        '-',
        'replace: msDS-SupportedEncryptionTypes',
        '',
      ].join('\n'),
    );
    // What the lab writes, it reads back (the dn and values decoded).
    const [entry] = ldifEntries(text);
    expect(entry!.dn).toBe('CN=svc-mqtt,CN=Users,DC=ad,DC=test');
    expect(attributeValues(entry!, 'servicePrincipalName')).toEqual(['mqtt/broker', 'mqtt/broker.ad.test']);
  });
});
