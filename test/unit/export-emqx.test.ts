/**
 * The EMQX export and importer without the stack: EMQX's principal check (its regex from
 * emqx_authn_kerberos_schema and the authenticator's "service/FQDN@" read), the generated files
 * and their secrets, and the reading of com.typesafe.config's values (in HoconCheck's output
 * shape) into understood, unused and problems with lines.
 */
import { describe, expect, it } from 'vitest';
import { readEmqxEntries } from '../../main/export/emqx/read';
import { checkEmqxPrincipal, emqxPrincipalError } from '../../main/export/emqx/principal';
import type { HoconEntry } from '../../main/export/hocon';
import { emqxTarget } from '../../main/export/targets/emqx';
import type { ExportModel } from '../../main/export/types';

const KEYTAB = Uint8Array.from([0x05, 0x02, 0, 0, 0, 1, 2, 3]);

function model(overrides: Partial<ExportModel> = {}): ExportModel {
  return {
    realm: 'EXAMPLE.COM',
    kdcs: ['kdc1.example.com:88', 'kdc2.example.com'],
    adminServer: 'kdc1.example.com',
    libdefaults: { rdns: 'false', default_keytab_name: 'FILE:/var/lib/other.keytab' },
    domainRealm: [{ domain: '.example.com', realm: 'EXAMPLE.COM' }],
    mqtt: { principal: 'mqtt/broker.example.com@EXAMPLE.COM', host: 'broker.example.com', keytab: KEYTAB, url: 'mqtt://broker.example.com:1883' },
    http: { principal: 'HTTP/web.example.com@EXAMPLE.COM', host: 'web.example.com', url: 'http://web.example.com:9200/' },
    hazelcast: { principal: 'hz/10.0.0.5@EXAMPLE.COM', host: '10.0.0.5' },
    client: { principal: 'alice@EXAMPLE.COM' },
    knownToWork: null,
    basis: 'system profile (/etc/krb5.conf), realm EXAMPLE.COM',
    options: {},
    ...overrides,
  };
}

describe('EMQX principal check', () => {
  it('takes service/FQDN@REALM', () => {
    expect(checkEmqxPrincipal('mqtt/broker.example.com@EXAMPLE.COM')).toMatchObject({ service: 'mqtt', host: 'broker.example.com', realm: 'EXAMPLE.COM', gssName: 'mqtt@broker.example.com', issues: [] });
  });

  it.each([
    ['mqtt@EXAMPLE.COM', /no host/, /principal = "mqtt\/broker\.example\.com@EXAMPLE\.COM"/],
    ['mqtt/@EXAMPLE.COM', /host between "\/" and "@" is empty/, /FQDN/],
    ['/broker@EXAMPLE.COM', /service before "\/" is empty/, /principal = /],
    ['mqtt/broker.example.com@example.com', /upper-case realm/, /EXAMPLE\.COM/],
    ['mqtt/broker example@EXAMPLE.COM', /only letters, digits/, /principal = /],
  ])('refuses %s with invalid_server_principal_string', (principal, message, fix) => {
    const error = emqxPrincipalError(principal)!;
    expect(error.message).toMatch(/^invalid_server_principal_string: /);
    expect(error.message).toMatch(message);
    expect(error.fix).toMatch(fix);
  });

  it('refuses a principal without realm (the authenticator needs "service/FQDN@")', () => {
    expect(emqxPrincipalError('mqtt/broker.example.com')!.fix).toBe('add the realm: principal = "mqtt/broker.example.com@REALM" (e.g. "mqtt/broker.example.com@EXAMPLE.COM")');
  });

  it('warns that EMQX runs as service mqtt whatever the principal says', () => {
    const checked = checkEmqxPrincipal('emqx/broker.example.com@EXAMPLE.COM');
    expect(checked.issues).toEqual([expect.objectContaining({ severity: 'warning', fix: 'use principal = "mqtt/broker.example.com@EXAMPLE.COM" and put its key in the default keytab' })]);
  });
});

describe('emqxTarget.generate', () => {
  it('writes the authenticator, krb5.conf with the default keytab, the keytab withheld and the README', () => {
    const { files, notes } = emqxTarget.generate(model(), false);
    expect(files.map((f) => [f.path, f.language, f.mode.toString(8)])).toEqual([
      ['emqx/authentication.conf', 'hocon', '644'],
      ['emqx/krb5.conf', 'krb5', '644'],
      ['emqx/mqtt.keytab', 'binary', '600'],
      ['emqx/README.md', 'markdown', '644'],
    ]);
    const [hocon, krb5, keytab, readme] = files as [typeof files[0], typeof files[0], typeof files[0], typeof files[0]];
    expect(hocon.text).toContain('authentication = [\n  {\n    mechanism = gssapi\n    backend = kerberos\n    principal = "mqtt/broker.example.com@EXAMPLE.COM"\n    enable = true\n  }\n]');
    expect(krb5.text).toMatch(/\[libdefaults\]\n {2}default_realm = EXAMPLE\.COM\n(.*\n)*? {2}default_keytab_name = FILE:\/etc\/emqx\/mqtt\.keytab\n {2}rdns = false\n/);
    expect(krb5.text).not.toContain('/var/lib/other.keytab');
    expect(krb5.text).toContain('  EXAMPLE.COM = {\n    kdc = kdc1.example.com:88\n    kdc = kdc2.example.com\n    admin_server = kdc1.example.com\n  }');
    expect(krb5.text).toContain('[domain_realm]\n  .example.com = EXAMPLE.COM');
    expect(keytab).toMatchObject({ text: '', redacted: true, withheld: 'holds the service key of mqtt/broker.example.com@EXAMPLE.COM: pass --reveal-secrets' });
    expect(keytab.binary).toBeUndefined();
    expect(keytab.purpose).toContain('kadmin -q "ktadd -k /etc/emqx/mqtt.keytab mqtt/broker.example.com@EXAMPLE.COM"');
    expect(readme.text).toContain('libsasl2-2 libsasl2-modules-gssapi-mit');
    expect(readme.text).toContain('krb5-libs cyrus-sasl-gssapi');
    expect(readme.text).toContain('KRB5_KTNAME=FILE:/etc/emqx/mqtt.keytab');
    expect(notes.some((n) => n.startsWith('Dashboard: EMQX Dashboard → Access Control → Authentication → Create. Mechanism: GSSAPI; Backend: Kerberos'))).toBe(true);
    expect(notes.some((n) => n.includes('/etc/emqx/mqtt.keytab') && n.includes('0600'))).toBe(true);
  });

  it('puts the keytab bytes in only when revealed', () => {
    const keytab = emqxTarget.generate(model(), true).files[2]!;
    expect(keytab).toMatchObject({ redacted: false, binary: Buffer.from(KEYTAB).toString('base64') });
    expect(keytab.withheld).toBeUndefined();
  });

  it("keeps an imported principal, and withholds a keytab the bench has no key of", () => {
    const imported = { format: 'emqx' as const, file: 'emqx.conf', setup: { broker: { principal: 'mqtt/node1.example.com@EXAMPLE.COM', variant: 'emqx' as const } } };
    const { files } = emqxTarget.generate(model({ imported }), true);
    expect(files[0]!.text).toContain('principal = "mqtt/node1.example.com@EXAMPLE.COM"');
    expect(files[2]!.withheld).toMatch(/the bench has no key of mqtt\/node1\.example\.com@EXAMPLE\.COM/);
    expect(files[2]!.binary).toBeUndefined();
  });

  it('says in the notes when EMQX would refuse the principal', () => {
    const imported = { format: 'emqx' as const, file: 'emqx.conf', setup: { broker: { principal: 'mqtt@EXAMPLE.COM', variant: 'emqx' as const } } };
    expect(emqxTarget.generate(model({ imported }), false).notes[0]).toMatch(/^EMQX refuses this export: invalid_server_principal_string: /);
  });
});

const entry = (path: string, value: HoconEntry['value'], line: number, type: HoconEntry['type'] = 'STRING'): HoconEntry => ({ path, value, type, line });

describe('readEmqxEntries', () => {
  it('understands the gssapi authenticator and reports every other value with its line', () => {
    const reading = readEmqxEntries('emqx.conf', [
      entry('authentication[0].mechanism', 'password_based', 3),
      entry('authentication[0].backend', 'built_in_database', 4),
      entry('authentication[1].mechanism', 'gssapi', 7),
      entry('authentication[1].backend', 'kerberos', 8),
      entry('authentication[1].principal', 'mqtt/localhost@BENCH.TEST', 9),
      entry('authentication[1].enable', true, 10, 'BOOLEAN'),
      entry('authentication[1].precondition', "str_eq(listener, 'tcp:default')", 11),
      entry('node.cookie', 'secretcookie', 1),
    ]);
    expect(reading.problems).toEqual([]);
    expect(reading.understood.map((s) => [s.key, s.value, s.line])).toEqual([
      ['authentication[1].mechanism', 'gssapi', 7],
      ['authentication[1].backend', 'kerberos', 8],
      ['authentication[1].enable', 'true', 10],
      ['authentication[1].principal', 'mqtt/localhost@BENCH.TEST', 9],
    ]);
    expect(reading.unused.map((u) => [u.key, u.line, u.value])).toEqual([
      ['node.cookie', 1, '<redacted>'],
      ['authentication[0].mechanism', 3, 'password_based'],
      ['authentication[0].backend', 4, 'built_in_database'],
      ['authentication[1].precondition', 11, "str_eq(listener, 'tcp:default')"],
    ]);
    expect(reading.unused[1]!.why).toMatch(/mechanism = password_based: not Kerberos/);
    expect(reading.setup).toEqual({ broker: { principal: 'mqtt/localhost@BENCH.TEST', variant: 'emqx' }, servicePrincipal: 'mqtt/localhost@BENCH.TEST', realm: 'BENCH.TEST' });
  });

  it('gives a principal without a host its line and the fix', () => {
    const reading = readEmqxEntries('emqx.conf', [entry('authentication[0].mechanism', 'gssapi', 3), entry('authentication[0].backend', 'kerberos', 4), entry('authentication[0].principal', 'mqtt@BENCH.TEST', 5)]);
    expect(reading.problems).toEqual([
      {
        file: 'emqx.conf',
        line: 5,
        severity: 'error',
        message: 'invalid_server_principal_string: EMQX refuses principal "mqtt@BENCH.TEST": it has no host (EMQX wants service/FQDN@REALM)',
        fix: 'name the broker\'s host: principal = "mqtt/broker.example.com@BENCH.TEST" (the FQDN clients connect to)',
      },
    ]);
  });

  it("refuses another backend in EMQX's words, a missing principal, and no gssapi authenticator at all", () => {
    const bad = readEmqxEntries('a.conf', [entry('authentication[0].mechanism', 'gssapi', 2), entry('authentication[0].backend', 'ldap', 3)]);
    expect(bad.problems.map((p) => [p.line, p.message.split(':')[0]])).toEqual([
      [3, 'unknown_backend'],
      [2, 'authentication[0] has no principal'],
    ]);
    const none = readEmqxEntries('b.conf', [entry('authentication[0].mechanism', 'jwt', 4)]);
    expect(none.problems).toEqual([expect.objectContaining({ line: 4, severity: 'error', message: 'no authenticator with mechanism = gssapi: nothing here sets up Kerberos' })]);
  });

  it('reads listener-level authenticators and warns about a second gssapi one', () => {
    const reading = readEmqxEntries('c.conf', [
      entry('listeners.tcp.default.authentication[0].mechanism', 'gssapi', 2),
      entry('listeners.tcp.default.authentication[0].backend', 'kerberos', 3),
      entry('listeners.tcp.default.authentication[0].principal', 'mqtt/a.example.com@EXAMPLE.COM', 4),
      entry('listeners.tcp.default.authentication[1].mechanism', 'gssapi', 7),
    ]);
    expect(reading.setup.broker?.principal).toBe('mqtt/a.example.com@EXAMPLE.COM');
    expect(reading.problems).toEqual([expect.objectContaining({ line: 7, severity: 'warning' })]);
  });

  it('reports a value from outside the file (a ${ENV} substitution: line -1) at line 1, never at -1', () => {
    // What com.typesafe.config 1.3.1 gives for `principal = ${KB_P}` with KB_P set (fuzz finding).
    const reading = readEmqxEntries('emqx.conf', [entry('authentication[0].backend', 'kerberos', 2), entry('authentication[0].mechanism', 'gssapi', 2), entry('authentication[0].principal', 'mqtt/x@R', -1)]);
    expect(reading.understood.find((s) => s.key === 'authentication[0].principal')?.line).toBe(1);
    const [unknown] = readEmqxEntries('emqx.conf', [entry('authentication[0].backend', 'kerberos', -1)]).unused;
    expect(unknown).toMatchObject({ key: 'authentication[0].backend', line: 1, why: 'an authenticator without mechanism' });
    const onlyOutside = readEmqxEntries('emqx.conf', [entry('authentication[0].mechanism', 'gssapi', -1), entry('authentication[1].mechanism', 'gssapi', -1)]);
    expect(onlyOutside.problems.map((p) => p.line)).toEqual(onlyOutside.problems.map(() => 1));
  });
});
