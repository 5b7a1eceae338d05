/**
 * SPN validation in each product's words. The EMQX pattern is the one in EMQX's own schema
 * (emqx_authn_kerberos_schema validate_principal/1); both it and kbench's broker refuse with
 * `invalid_server_principal_string`.
 */
import { describe, expect, it } from 'vitest';
import { parseServerPrincipal } from '../../main/broker/kerberos-authenticators';
import { hostShape, parseSpn } from '../../main/spn/principal';
import { EMQX_PRINCIPAL_PATTERN, validateSpn } from '../../main/spn/validate';

describe('parseSpn / hostShape', () => {
  it('splits service/host@REALM, keeps a missing realm as null and notices a second "@"', () => {
    expect(parseSpn('HTTP/es1.example.com@EXAMPLE.COM').parts).toEqual({ service: 'HTTP', host: 'es1.example.com', realm: 'EXAMPLE.COM' });
    expect(parseSpn('mqtt/broker').parts).toEqual({ service: 'mqtt', host: 'broker', realm: null });
    expect(parseSpn('hz/x@R@R').extraAt).toBe(true);
    expect(parseSpn('a/b/c@R').parts).toBeNull();
  });

  it('sees ports, trailing dots, addresses and case; IPv6 colons are not a port', () => {
    expect(hostShape('Es1.Example.com.:9200')).toMatchObject({ bare: 'Es1.Example.com', port: ':9200', trailingDot: true, isAddress: false, hasUpperCase: true });
    expect(hostShape('10.0.0.5:5701')).toMatchObject({ bare: '10.0.0.5', port: ':5701', isAddress: true });
    expect(hostShape('::1')).toMatchObject({ bare: '::1', isAddress: true });
    expect(hostShape('::1').port).toBeUndefined();
    expect(hostShape('[::1]:8080')).toMatchObject({ bare: '::1', port: ':8080' });
    expect(hostShape('my_host').oddCharacters).toEqual(['_']);
  });
});

describe('validateSpn: EMQX', () => {
  it('accepts mqtt/FQDN@REALM', () => {
    expect(validateSpn('mqtt/broker.example.com@EXAMPLE.COM', 'emqx')).toEqual({
      spn: 'mqtt/broker.example.com@EXAMPLE.COM',
      valid: true,
      problems: [],
      parts: { service: 'mqtt', host: 'broker.example.com', realm: 'EXAMPLE.COM' },
    });
  });

  it.each([
    ['mqtt@broker.example.com', /invalid_server_principal_string/],
    ['mqtt/broker.example.com@example.com', /invalid_server_principal_string: the realm "example\.com" has lower-case letters.*@EXAMPLE\.COM/],
    ['mqtt/broker.example.com:1883@EXAMPLE.COM', /invalid_server_principal_string: ":1883" is a port/],
    ['mqtt/my_broker@EXAMPLE.COM', /invalid_server_principal_string: the host "my_broker" may hold only letters, digits, "\." and "-" \(not "_"\)/],
    ['mqtt/my_broker:1883@EXAMPLE.COM', /":1883" is a port[\s\S]*the host "my_broker"/],
    ['mqtt/a/b@EXAMPLE.COM', /invalid_server_principal_string/],
  ])('%s → invalid_server_principal_string, as EMQX (and the bench broker) say', (spn, problem) => {
    const result = validateSpn(spn, 'emqx');
    expect(result.valid).toBe(false);
    expect(result.problems.join('\n')).toMatch(problem);
    expect(EMQX_PRINCIPAL_PATTERN.test(spn)).toBe(false);
  });

  it('the bench broker refuses, with the same words, what has no service/host@realm shape', () => {
    for (const spn of ['mqtt@broker.example.com', 'mqtt/a/b@EXAMPLE.COM', 'mqtt/broker.example.com']) expect(() => parseServerPrincipal(spn)).toThrow(/invalid_server_principal_string/);
    // …and what EMQX's schema pattern refuses: a lower-case realm, a port, an underscore in the host.
    for (const spn of ['mqtt/b@example.com', 'mqtt/b:1883@EXAMPLE.COM', 'mqtt/my_broker@EXAMPLE.COM']) expect(() => parseServerPrincipal(spn), spn).toThrow(/invalid_server_principal_string/);
  });

  it('no realm: EMQX\'s schema lets it pass, its authenticator and the bench broker do not', () => {
    const result = validateSpn('mqtt/broker.example.com', 'emqx');
    expect(result.valid).toBe(false);
    expect(result.problems[0]).toMatch(/no "@REALM": EMQX's schema lets it pass, but its authenticator .* fails at the first CONNECT/);
    expect(() => parseServerPrincipal('mqtt/broker.example.com')).toThrow(/invalid_server_principal_string/);
  });

  it('an IP address, upper case or a trailing dot: what MQTT clients ask for instead', () => {
    expect(validateSpn('mqtt/10.0.0.5@EXAMPLE.COM', 'emqx').problems.join('\n')).toMatch(/"10\.0\.0\.5" is an IP address: .*rdns = true/);
    expect(validateSpn('mqtt/Broker.example.com@EXAMPLE.COM', 'emqx').problems.join('\n')).toMatch(/clients ask for mqtt\/broker\.example\.com/);
    expect(validateSpn('mqtt/broker.example.com.@EXAMPLE.COM', 'emqx').problems.join('\n')).toMatch(/ends in a dot: MIT drops it/);
  });
});

describe('validateSpn: HTTP and Elasticsearch', () => {
  it('accepts HTTP/host@REALM', () => {
    expect(validateSpn('HTTP/es1.example.com@EXAMPLE.COM', 'elasticsearch')).toMatchObject({ valid: true, problems: [] });
  });

  it('a lower-case service, a port, an IP address, a lower-case realm, no realm', () => {
    expect(validateSpn('http/es1.example.com@EXAMPLE.COM', 'http').problems[0]).toMatch(/"http" is not upper case: browsers, curl and Java ask for HTTP\/host/);
    expect(validateSpn('HTTP/es1:9200@EXAMPLE.COM', 'elasticsearch').problems.join('\n')).toMatch(/":9200" is a port: curl, Java and Firefox never put the port in the SPN/);
    const ip = validateSpn('HTTP/127.0.0.1@EXAMPLE.COM', 'http').problems.join('\n');
    expect(ip).toMatch(/IP address/);
    expect(ip).toMatch(/Java asks for HTTP\/127\.0\.0\.1 as written/);
    expect(validateSpn('HTTP/es1@example.com', 'http').problems.join('\n')).toMatch(/realm "example\.com" has lower-case letters/);
    expect(validateSpn('HTTP/es1', 'http').problems.join('\n')).toMatch(/no "@REALM"/);
    expect(validateSpn('ldap/es1@EXAMPLE.COM', 'http').problems[0]).toMatch(/always ask for HTTP\/host, never ldap\/host/);
  });

  it('the GSS host-based form is named as such', () => {
    expect(validateSpn('HTTP@es1.example.com').problems[0]).toMatch(/GSS host-based form \(service@host\).*HTTP\/es1\.example\.com@REALM/);
  });
});

describe('validateSpn: Hazelcast', () => {
  it('an IP address is Hazelcast\'s default form', () => {
    expect(validateSpn('hz/192.168.1.1@ACME.COM', 'hazelcast')).toMatchObject({ valid: true, problems: [] });
  });

  it('a realm appended twice, a prefix without "/", a port', () => {
    expect(validateSpn('hz/shared@ACME.COM@ACME.COM', 'hazelcast').problems[0]).toMatch(/more than one "@": Hazelcast appends "@" \+ <realm>/);
    expect(validateSpn('hz10.0.0.5@ACME.COM', 'hazelcast').problems.join('\n')).toMatch(/has no "\/"/);
    expect(validateSpn('hz/10.0.0.5:5701@ACME.COM', 'hazelcast').problems.join('\n')).toMatch(/Address\.getHost\(\)/);
  });
});

describe('validateSpn: generic', () => {
  it('empty parts and white space', () => {
    expect(validateSpn('/host@R').problems).toContain('the service part (before "/") is empty');
    expect(validateSpn('svc/@R').problems).toContain('the host part (after "/") is empty');
    expect(validateSpn('svc/host@').problems).toContain('"@" with nothing after it: the realm is empty');
    expect(validateSpn('svc/ho st@R').problems[0]).toMatch(/white space/);
  });
});
