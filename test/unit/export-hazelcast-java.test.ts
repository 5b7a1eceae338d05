/**
 * The Java side of the Hazelcast and Java exports without a JVM: JAAS entry text as Java's
 * ConfigFile parser reads it, the krb5.conf for the JVM, and the host-based name the worker asks for.
 */
import { describe, expect, it } from 'vitest';
import { JAAS_KRB5_ACCEPT, jaasEntryText } from '../../main/export/java/jaas-file';
import { javaKrb5ConfText } from '../../main/export/java/krb5-conf';
import { hazelcastUserName } from '../../main/export/hazelcast/security';
import { fakeLabModel } from '../helpers/export-model';
import type { ExportModel } from '../../main/export/types';

describe('JAAS entries', () => {
  it('booleans bare, strings quoted with backslash escapes, usage lower-cased', () => {
    const text = jaasEntryText(JAAS_KRB5_ACCEPT, { isInitiator: 'false', keyTab: 'C:\\keys\\hz "1".keytab', principal: 'hz/127.0.0.1@R' }, { usage: 'REQUIRED', comment: 'acceptor' });
    expect(text).toBe(
      '// acceptor\ncom.sun.security.jgss.krb5.accept {\n  com.sun.security.auth.module.Krb5LoginModule required\n    isInitiator=false\n    keyTab="C:\\\\keys\\\\hz \\"1\\".keytab"\n    principal="hz/127.0.0.1@R";\n};\n',
    );
  });

  it('refuses what Java\'s parser would change: ${…} is expanded from system properties', () => {
    expect(() => jaasEntryText(JAAS_KRB5_ACCEPT, { keyTab: '/opt/${user.name}.keytab' })).toThrow(/would expand it as a system property/);
  });
});

describe('names', () => {
  it('use-name-without-realm cuts "@REALM"', () => {
    expect(hazelcastUserName('jduke@ACME.COM', true)).toBe('jduke');
    expect(hazelcastUserName('jduke@ACME.COM', false)).toBe('jduke@ACME.COM');
    expect(hazelcastUserName('hz/10.0.0.1@ACME.COM', undefined)).toBe('hz/10.0.0.1@ACME.COM');
  });
});

describe('krb5.conf for the JVM', () => {
  it('the realm, its KDCs and [libdefaults]; a bare kdc_timeout gets its unit (Java: ms, MIT: s)', () => {
    const service = (principal: string, host: string) => ({ principal, host });
    const model = fakeLabModel({
      realm: 'ACME.COM',
      kdcs: ['kdc1.acme.com:88', 'kdc2.acme.com'],
      adminServer: 'kdc1.acme.com',
      libdefaults: { kdc_timeout: '3', rdns: 'false' },
      domainRealm: [{ domain: '.acme.com', realm: 'ACME.COM' }],
      mqtt: { ...service('mqtt/broker.acme.com@ACME.COM', 'broker.acme.com'), url: 'mqtt://broker.acme.com:1883' },
      http: { ...service('HTTP/es.acme.com@ACME.COM', 'es.acme.com'), url: 'http://es.acme.com:9200/' },
      hazelcast: service('hz/10.0.0.1@ACME.COM', '10.0.0.1'),
      labRealm: undefined,
    } as Partial<ExportModel>);
    const text = javaKrb5ConfText(model, 'tests');
    expect(text).toMatch(/\[libdefaults\]\n {2}default_realm = ACME\.COM\n/);
    expect(text).toMatch(/\n {2}kdc_timeout = 3s\n/);
    expect(text).toMatch(/\n {2}rdns = false\n/);
    expect(text).not.toMatch(/default_keytab_name/);
    expect(text).toContain('[realms]\n  ACME.COM = {\n    kdc = kdc1.acme.com:88\n    kdc = kdc2.acme.com\n    admin_server = kdc1.acme.com\n  }\n');
    expect(text).toContain('[domain_realm]\n  .acme.com = ACME.COM\n');
  });
});
