import { describe, expect, it } from 'vitest';
import { generateJaasConfig, jaasSettingsFor, jaasValue, javaKrb5Conf } from '../../../../main/gss/java/jaas';
import { labProfile, systemProfile } from '../../../../main/gss/profiles';
import { GssError } from '../../../../main/gss/types';

describe('generated JAAS configuration', () => {
  it('writes both entries: ticket cache first for the initiator, an any-principal acceptor that never contacts the KDC', () => {
    const text = generateJaasConfig({ ticketCache: '/lab/alice.ccache', keyTab: '/lab/http.keytab' });
    expect(text).toContain('com.sun.security.jgss.initiate {\n  com.sun.security.auth.module.Krb5LoginModule required\n');
    expect(text).toMatch(/useTicketCache=true\n\s+ticketCache="\/lab\/alice\.ccache"\n\s+doNotPrompt=true\n\s+debug=true;/);
    expect(text).toMatch(/com\.sun\.security\.jgss\.accept \{[^}]*useKeyTab=true\n\s+keyTab="\/lab\/http\.keytab"\n\s+storeKey=true\n\s+isInitiator=false\n\s+principal="\*"/);
    expect(text).not.toContain('${');
  });

  it('adds the client keytab with its principal; leaves absent paths to Java', () => {
    const text = generateJaasConfig({ clientKeytab: { keyTab: '/k/alice.keytab', principal: 'alice@R' }, acceptorPrincipal: 'HTTP/h@R', debug: false });
    expect(text).toMatch(/useTicketCache=true\n\s+useKeyTab=true\n\s+keyTab="\/k\/alice\.keytab"\n\s+principal="alice@R"/);
    expect(text).toContain('principal="HTTP/h@R"');
    expect(text).not.toContain('ticketCache=');
    expect(text).toContain('debug=false');
  });

  it('quotes for Java\'s StreamTokenizer and refuses what Java would expand or break on', () => {
    expect(jaasValue('C:\\keys\\a "b".keytab', 'keyTab')).toBe('"C:\\\\keys\\\\a \\"b\\".keytab"');
    const refused = (value: string) => {
      try {
        jaasValue(value, 'keyTab');
      } catch (error) {
        expect(error).toBeInstanceOf(GssError);
        return (error as GssError).message;
      }
      throw new Error('expected a refusal');
    };
    expect(refused('/x/${user.home}/k')).toMatch(/keyTab contains "\$\{": Java's JAAS parser would expand it/);
    expect(refused('/x\n/k')).toMatch(/line break or NUL/);
  });

  it('takes FILE: paths from a profile; other cache types stay with Java\'s defaults', () => {
    const lab = labProfile('R', { ccache: '/l/alice.ccache', keytab: '/l/http.keytab', clientKeytab: '/l/alice.keytab' });
    expect(jaasSettingsFor(lab, 'alice@R')).toEqual({ ticketCache: '/l/alice.ccache', keyTab: '/l/http.keytab', clientKeytab: { keyTab: '/l/alice.keytab', principal: 'alice@R' } });
    expect(jaasSettingsFor({ ...lab, ccache: 'KCM:1000' })).toEqual({ keyTab: '/l/http.keytab' });
    expect(jaasSettingsFor(systemProfile())).toEqual({});
  });

  it('gives java.security.krb5.conf the first file of a KRB5_CONFIG list', () => {
    expect(javaKrb5Conf('/a/krb5.conf:/etc/krb5.conf')).toBe('/a/krb5.conf');
    expect(javaKrb5Conf(':/b.conf')).toBe('/b.conf');
    expect(javaKrb5Conf(undefined)).toBeUndefined();
  });
});
