/**
 * Hazelcast export and import without a realm: the XML and YAML writers parsed back by the real
 * parsers (fast-xml-parser, yaml) and read by the importer into the same security, lines of
 * settings and problems, unused settings, and the round trip import → export → import.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { XMLValidator } from 'fast-xml-parser';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { ExportOptions } from '../../main/api/export';
import { hazelcastImporter } from '../../main/export/import/hazelcast';
import { memberSpn, securityFromModel, settingsOf, simplifiedLoginOptions } from '../../main/export/hazelcast/security';
import { hazelcastXmlTarget, hazelcastYamlTarget } from '../../main/export/targets/hazelcast';
import type { ExportModel, ImportReading } from '../../main/export/types';
import { fakeLabModel, FAKE_KEYTAB } from '../helpers/export-model';

const FIXTURES = path.join(__dirname, '../fixtures/export/hazelcast');

function fixture(name: string): { file: string; text: string; onDisk: boolean } {
  const file = path.join(FIXTURES, name);
  return { file, text: readFileSync(file, 'utf8'), onDisk: true };
}

const model = (options: ExportOptions = {}): ExportModel => fakeLabModel({ kdcs: ['127.0.0.1:8888'] }, options);

async function importText(file: string, text: string): Promise<ImportReading> {
  return hazelcastImporter.read({ file, text, onDisk: false });
}

const FORMS = ['simple', 'full'] as const;
const TARGETS = [
  { format: 'xml', target: hazelcastXmlTarget, file: 'hazelcast/hazelcast.xml' },
  { format: 'yaml', target: hazelcastYamlTarget, file: 'hazelcast/hazelcast.yaml' },
] as const;

describe('Hazelcast export: both formats × both forms, parsed back', () => {
  for (const { format, target, file } of TARGETS) {
    for (const form of FORMS) {
      it(`${format}, ${form} form: the real parser reads it and the importer gives the same security`, async () => {
        const m = model({ hazelcastForm: form, useNameWithoutRealm: true });
        const { files } = target.generate(m, false);
        const config = files.find((f) => f.path === file)!;
        if (format === 'xml') expect(XMLValidator.validate(config.text)).toBe(true);
        else expect(parseYaml(config.text).hazelcast.security.enabled).toBe(true);
        const reading = await importText(file, config.text);
        expect(reading.problems).toEqual([]);
        expect(reading.unused).toEqual([]);
        expect(settingsOf(reading.setup.hazelcast!)).toEqual(settingsOf(securityFromModel(m)));
        expect(reading.setup.servicePrincipal).toBe('hz/127.0.0.1@BENCH.TEST');
        expect(config.text).toContain('use-name-without-realm');
        if (form === 'full') expect(config.text).toContain('com.sun.security.auth.module.Krb5LoginModule');
        else expect(config.text).not.toContain('Krb5LoginModule');
      });
    }
  }

  it('the full form gives Krb5LoginModule the options Hazelcast generates for the simplified one (plus useTicketCache=false)', () => {
    const security = securityFromModel(model({ hazelcastForm: 'full' }));
    const initiator = security.realms.find((r) => r.name === 'krb5Initiator')!.jaas![0]!;
    expect(initiator.properties).toEqual({ ...simplifiedLoginOptions('hz/127.0.0.1@BENCH.TEST', '/opt/hazelcast/config/hazelcast.keytab', true), useTicketCache: 'false' });
    expect(initiator.properties).toMatchObject({ useKeyTab: 'true', storeKey: 'true', doNotPrompt: 'true', isInitiator: 'true', refreshKrb5Config: 'true' });
    const acceptor = security.realms.find((r) => r.name === 'krb5Acceptor')!.jaas![0]!;
    expect(acceptor.properties.isInitiator).toBe('false');
    const member = security.realms.find((r) => r.name === 'kerberosRealm')!;
    expect(member.identity).toEqual({ realm: 'BENCH.TEST', serviceNamePrefix: 'hz/', securityRealm: 'krb5Initiator' });
    expect(member.authentication).toEqual({ securityRealm: 'krb5Acceptor' });
  });

  it('keytab: 0600 binary, withheld with how to make it unless revealed', () => {
    const hidden = hazelcastXmlTarget.generate(model(), false).files.find((f) => f.path === 'hazelcast/hazelcast.keytab')!;
    expect(hidden).toMatchObject({ mode: 0o600, language: 'binary', redacted: true, text: '' });
    expect(hidden.binary).toBeUndefined();
    expect(hidden.withheld).toMatch(/--reveal-secrets/);
    expect(hidden.purpose).toMatch(/ktadd -k hazelcast\.keytab hz\/127\.0\.0\.1@BENCH\.TEST/);
    const shown = hazelcastXmlTarget.generate(model(), true).files.find((f) => f.path === 'hazelcast/hazelcast.keytab')!;
    expect(shown.binary).toBe(Buffer.from(FAKE_KEYTAB).toString('base64'));
    expect(shown.withheld).toBeUndefined();
  });

  it('README has the JVM option and the member SPN; krb5.conf names the realm and KDC', () => {
    const { files } = hazelcastYamlTarget.generate(model(), false);
    const readme = files.find((f) => f.path === 'hazelcast/README.md')!.text;
    expect(readme).toContain('-Djava.security.krb5.conf=/opt/hazelcast/config/krb5.conf');
    expect(readme).toContain('| member 127.0.0.1 | `hz/127.0.0.1@BENCH.TEST` |');
    const krb5 = files.find((f) => f.path === 'hazelcast/krb5.conf')!.text;
    expect(krb5).toMatch(/default_realm = BENCH\.TEST/);
    expect(krb5).toMatch(/kdc = 127\.0\.0\.1:8888/);
  });
});

describe('the member SPN', () => {
  it('prefix + address, canonical host name, static spn — with @realm when <realm> is set', () => {
    expect(memberSpn({ realm: 'R' }, '10.0.0.5')).toBe('hz/10.0.0.5@R');
    expect(memberSpn({ serviceNamePrefix: 'hazelcast/' }, '10.0.0.5')).toBe('hazelcast/10.0.0.5');
    expect(memberSpn({ realm: 'R', useCanonicalHostname: true }, '127.0.0.1', 'localhost')).toBe('hz/localhost@R');
    expect(memberSpn({ realm: 'R', spn: 'hz/cluster.example.com' }, '10.0.0.5')).toBe('hz/cluster.example.com@R');
  });

  it('from the export options', () => {
    const identity = (options: ExportOptions) => securityFromModel(model(options)).realms[0]!.identity;
    expect(identity({ hazelcastSpn: { kind: 'static', spn: 'hz/cluster.example.com@EXAMPLE.COM' } })).toMatchObject({ realm: 'EXAMPLE.COM', spn: 'hz/cluster.example.com' });
    expect(identity({ hazelcastSpn: { kind: 'canonical' } })).toMatchObject({ useCanonicalHostname: true, serviceNamePrefix: 'hz/' });
    const auth = securityFromModel(model({ hazelcastSpn: { kind: 'prefix', prefix: 'hzm/', address: '10.1.1.1' } })).realms[0]!.authentication;
    expect(auth?.principal).toBe('hzm/10.1.1.1@BENCH.TEST');
  });
});

describe('Hazelcast importer', () => {
  it('detects XML and YAML, and not other files', () => {
    expect(hazelcastImporter.detect(fixture('missing-security-realm.xml'))).toMatch(/hazelcast/);
    expect(hazelcastImporter.detect(fixture('simple.yaml'))).toMatch(/hazelcast:/);
    expect(hazelcastImporter.detect({ file: 'x', text: '[libdefaults]\n default_realm = R\n', onDisk: false })).toBeNull();
    expect(hazelcastImporter.detect({ file: 'x', text: 'xpack.security.authc.realms.kerberos.kerb1.order: 0\n', onDisk: false })).toBeNull();
  });

  it('reports a processing instruction with an unclosed quote at its line, never the XML parser\'s exception (fuzz finding)', async () => {
    // fast-xml-parser 5.12's validator passes these; its parser then throws "Pi Tag is not closed.".
    const exact = fixture('full-with-extras.xml').text.replace('encoding="UTF-8"', 'encoding=UTF-8"');
    const later = '<?xml version="1.0"?>\n<hazelcast>\n  <?bench note="open?>\n  <security enabled="true"/>\n</hazelcast>\n';
    for (const [text, line] of [[exact, 1], [later, 3]] as const) {
      const reading = await hazelcastImporter.read({ file: 'hazelcast.xml', text, onDisk: false });
      expect(reading.problems).toEqual([
        {
          file: 'hazelcast.xml',
          line,
          severity: 'error',
          message: 'XML is not well-formed: InvalidPi: a quote inside this processing instruction is not closed (fast-xml-parser: Pi Tag is not closed.)',
          fix: `correct line ${line}`,
        },
      ]);
    }
  });

  for (const name of ['missing-security-realm.xml', 'missing-security-realm.yaml']) {
    it(`${name}: a security-realm that is not defined gives its line and a fix; so does client-authentication`, async () => {
      const yaml = name.endsWith('.yaml');
      const reading = await hazelcastImporter.read(fixture(name));
      const errors = reading.problems.filter((p) => p.severity === 'error');
      expect(errors).toHaveLength(2);
      expect(errors[0]).toMatchObject({ file: fixture(name).file, line: yaml ? 13 : 15 });
      expect(errors[0]!.message).toContain('security-realm "krb5Initiatr" is not defined (realms: kerberosRealm, krb5Acceptor)');
      expect(errors[0]!.fix).toMatch(/add <realm name="krb5Initiatr"> with a com\.sun\.security\.auth\.module\.Krb5LoginModule login module \(isInitiator=true/);
      expect(errors[1]).toMatchObject({ line: yaml ? 29 : 37 });
      expect(errors[1]!.message).toBe('client-authentication names realm "clientRealm", which is not defined (realms: kerberosRealm, krb5Acceptor)');
      expect(errors[1]!.fix).toContain('one of kerberosRealm, krb5Acceptor');
      expect(reading.unused).toEqual([expect.objectContaining({ key: 'hazelcast.cluster-name', line: yaml ? 2 : 3 })]);
      const keyTab = reading.understood.find((s) => s.key === 'security.realms[krb5Acceptor].authentication.jaas[0].properties.keyTab');
      expect(keyTab).toMatchObject({ value: '/opt/hazelcast/config/hazelcast.keytab', line: yaml ? 25 : 29 });
    });
  }

  it('namespaced XML with comments: every setting with its line, and what is not used with why', async () => {
    const reading = await hazelcastImporter.read(fixture('full-with-extras.xml'));
    expect(reading.problems).toEqual([]);
    const line = (key: string) => reading.understood.find((s) => s.key === key)?.line;
    expect(line('security.enabled')).toBe(7);
    expect(line('security.realms[kerberosRealm].authentication.kerberos.use-name-without-realm')).toBe(13);
    expect(line('security.realms[kerberosRealm].identity.kerberos.service-name-prefix')).toBe(25);
    // the commented-out realm is skipped: krb5Initiator is the next <realm> in the text
    expect(line('security.realms[krb5Initiator].name')).toBe(30);
    expect(line('security.member-authentication.realm')).toBe(70);
    const unused = Object.fromEntries(reading.unused.map((u) => [u.key, u.line]));
    expect(unused).toEqual({
      'hazelcast.network': 4,
      'security.realms[kerberosRealm].authentication.kerberos.ldap': 16,
      'security.realms[tlsRealm].authentication.tls': 66,
      'security.client-permissions': 72,
    });
    const security = reading.setup.hazelcast!;
    expect(security.realms.map((r) => [r.name, r.line])).toEqual([['kerberosRealm', 9], ['krb5Initiator', 30], ['krb5Acceptor', 47], ['tlsRealm', 64]]);
    expect(security.realms[0]!.authentication).toEqual({ relaxFlagsCheck: true, useNameWithoutRealm: true, securityRealm: 'krb5Acceptor', skipRole: false });
    expect(reading.setup).toMatchObject({ realm: 'BENCH.TEST', servicePrincipal: 'hz/127.0.0.1@BENCH.TEST', clientPrincipal: 'hz/127.0.0.1@BENCH.TEST' });
  });

  it('YAML: the non-Kerberos identity of another realm is reported unused with its line', async () => {
    const reading = await hazelcastImporter.read(fixture('simple.yaml'));
    expect(reading.problems).toEqual([]);
    expect(reading.unused).toEqual([expect.objectContaining({ key: 'security.realms[passwordRealm].identity.username-password', line: 20 })]);
    expect(reading.understood.find((s) => s.key.endsWith('identity.kerberos.use-canonical-hostname'))).toMatchObject({ value: 'false', line: 17 });
  });

  it('XML that is not well-formed: the line XMLValidator names', async () => {
    const reading = await hazelcastImporter.read(fixture('not-well-formed.xml'));
    expect(reading.problems).toHaveLength(1);
    expect(reading.problems[0]).toMatchObject({ severity: 'error', line: 10 });
    expect(reading.problems[0]!.message).toMatch(/^XML is not well-formed: InvalidTag: Expected closing tag 'realm'/);
  });

  it('YAML that does not parse: the line the yaml parser names', async () => {
    const reading = await importText('hazelcast.yaml', 'hazelcast:\n  security:\n    enabled: true\n    realms:\n      - name: a\n     bad: [1, 2\n');
    expect(reading.problems).toHaveLength(1);
    expect(reading.problems[0]).toMatchObject({ severity: 'error', file: 'hazelcast.yaml' });
    expect(reading.problems[0]!.line).toBe(6);
    expect(reading.problems[0]!.message).toBe('YAML does not parse: All mapping items must start at the same column');
  });

  it('spn with service-name-prefix, and security-realm with principal: Hazelcast\'s own words', async () => {
    const text = `hazelcast:\n  security:\n    enabled: true\n    realms:\n      - name: r\n        identity:\n          kerberos:\n            spn: hz/x\n            service-name-prefix: hz/\n            security-realm: r\n            principal: hz/x@R\n`;
    const reading = await importText('hz.yaml', text);
    const messages = reading.problems.map((p) => `${p.line} ${p.severity} ${p.message}`);
    expect(messages).toContain('11 error realm "r" identity: The principal and keytabFile must not be configured when securityRealm is used.');
    expect(messages).toContain('8 error realm "r" identity: Service name must not be configured together with the service name prefix.');
  });

  it('keytab-file without principal, principal without keytab-file: warnings with their lines', async () => {
    const text = `<security enabled="true">\n  <realms>\n    <realm name="r">\n      <authentication>\n        <kerberos>\n          <keytab-file>/k</keytab-file>\n        </kerberos>\n      </authentication>\n      <identity>\n        <kerberos>\n          <principal>hz/a@R</principal>\n        </kerberos>\n      </identity>\n    </realm>\n  </realms>\n</security>\n`;
    const reading = await importText('security.xml', text);
    expect(reading.problems.map((p) => [p.line, p.severity, p.message])).toEqual([
      [6, 'warning', 'realm "r" authentication: keytab-file without principal — Krb5LoginModule gets no principal to log in as'],
      [11, 'warning', 'realm "r" identity: principal without keytab-file — Hazelcast makes no login realm without a keytab path'],
    ]);
  });

  for (const { format, target, file } of TARGETS) {
    for (const source of ['full-with-extras.xml', 'simple.yaml', 'missing-security-realm.yaml']) {
      it(`round trip ${source} → ${format} → import keeps every setting`, async () => {
        const first = await hazelcastImporter.read(fixture(source));
        const m = { ...model(), imported: { format: 'hazelcast' as const, file: source, setup: first.setup } };
        const text = target.generate(m, false).files.find((f) => f.path === file)!.text;
        const second = await importText(file, text);
        expect(settingsOf(second.setup.hazelcast!)).toEqual(settingsOf(first.setup.hazelcast!));
        // every understood setting comes back with the same value
        const values = (r: ImportReading) => r.understood.map((s) => `${s.key}=${s.value}`).sort();
        expect(values(second)).toEqual(values(first));
      });
    }
  }
});
