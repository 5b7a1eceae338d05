import { describe, expect, it } from 'vitest';
import { parseProfile, profileSubsections, profileValue, profileValues } from '../../../main/krb/profile';

const KRB5_CONF = `# comment
; another comment
include /etc/krb5.d/extra.conf
includedir /etc/krb5.conf.d/

[libdefaults]
\tdefault_realm = EXAMPLE.COM
  dns_lookup_kdc = false
  permitted_enctypes = "aes256-cts aes128-cts"
  forwardable = true *

[realms]
  EXAMPLE.COM = {
    kdc = kdc1.example.com:88
    kdc = kdc2.example.com
    admin_server = kdc1.example.com
    auth_to_local = {
      nested = yes
    }
  }
  OTHER.ORG = {
    kdc = 10.0.0.1
  }

[domain_realm]
  .example.com = EXAMPLE.COM
`;

describe('parseProfile (krb5.conf)', () => {
  const profile = parseProfile(KRB5_CONF, 'krb5.conf');

  it('reads relations, repeated tags and subsections', () => {
    expect(profileValue([profile], ['libdefaults', 'default_realm'])).toBe('EXAMPLE.COM');
    expect(profileValues([profile], ['realms', 'EXAMPLE.COM', 'kdc']).map((v) => v.value)).toEqual(['kdc1.example.com:88', 'kdc2.example.com']);
    expect(profileValue([profile], ['realms', 'EXAMPLE.COM', 'auth_to_local', 'nested'])).toBe('yes');
    expect(profileSubsections([profile], 'realms')).toEqual(['EXAMPLE.COM', 'OTHER.ORG']);
    expect(profileValue([profile], ['domain_realm', '.example.com'])).toBe('EXAMPLE.COM');
  });

  it('strips quotes and the final marker, and keeps line numbers', () => {
    expect(profileValue([profile], ['libdefaults', 'permitted_enctypes'])).toBe('aes256-cts aes128-cts');
    expect(profileValue([profile], ['libdefaults', 'forwardable'])).toBe('true');
    expect(profileValues([profile], ['libdefaults', 'default_realm'])[0]?.line).toBe(7);
  });

  it('records include and includedir directives for the caller to resolve', () => {
    expect(profile.includes).toEqual([
      { kind: 'include', path: '/etc/krb5.d/extra.conf', line: 3 },
      { kind: 'includedir', path: '/etc/krb5.conf.d/', line: 4 },
    ]);
    expect(profile.problems).toEqual([]);
  });

  it('gives the first profile precedence, as MIT does for a KRB5_CONFIG list', () => {
    const override = parseProfile('[libdefaults]\n default_realm = FIRST.WINS\n');
    expect(profileValue([override, profile], ['libdefaults', 'default_realm'])).toBe('FIRST.WINS');
    expect(profileValue([override, profile], ['libdefaults', 'dns_lookup_kdc'])).toBe('false');
  });

  it('reports malformed lines with their line numbers instead of throwing', () => {
    const broken = parseProfile('orphan = 1\n[realms]\n R = {\n  kdc = x\n}\n}\nnot a relation\n[libdefaults]\n a = {\n');
    expect(broken.problems).toEqual([
      { line: 1, message: 'relation "orphan" outside any [section]' },
      { line: 6, message: 'unmatched "}"' },
      { line: 7, message: 'cannot parse line: not a relation' },
      { line: 10, message: 'subsection not closed with "}" at end of file' },
    ]);
    expect(profileValue([broken], ['realms', 'R', 'kdc'])).toBe('x');
  });

  it('answers nothing for absent paths', () => {
    expect(profileValue([profile], ['libdefaults', 'nosuch'])).toBeUndefined();
    expect(profileValue([profile], ['nosection', 'x'])).toBeUndefined();
    expect(profileValues([profile], ['libdefaults'])).toEqual([]);
  });
});
