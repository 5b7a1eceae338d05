/** The user name each product derives from a principal, one entry per product × setting. */
import { describe, expect, it } from 'vitest';
import { MIT_NO_TRANSLATION, nameMappings } from '../../main/spn/names';

const username = (mapping: ReturnType<typeof nameMappings>, product: string, value: string) =>
  mapping.names.find((n) => n.product === product && n.value.startsWith(value))?.username;

describe('nameMappings', () => {
  it('alice@BENCH.TEST: with and without the realm, per setting', () => {
    const m = nameMappings('alice@BENCH.TEST');
    expect(m.principal).toBe('alice@BENCH.TEST');
    expect(username(m, 'Elasticsearch', 'false')).toBe('alice@BENCH.TEST');
    expect(username(m, 'Elasticsearch', 'true')).toBe('alice');
    expect(username(m, 'Hazelcast', 'false')).toBe('alice@BENCH.TEST');
    expect(username(m, 'Hazelcast', 'true')).toBe('alice');
    expect(username(m, 'EMQX (kbench broker)', 'none sent')).toBe('alice');
    expect(username(m, 'EMQX', 'emqx_authn_kerberos')).toMatch(/CONNECT User Name/);
    expect(username(m, 'MIT', 'DEFAULT, default_realm = BENCH.TEST')).toBe('alice');
    expect(m.names.every((n) => n.setting && n.value && n.username)).toBe(true);
  });

  it('MIT DEFAULT: another default realm or two components have no local name', () => {
    const m = nameMappings('alice@OTHER.TEST', { realm: 'BENCH.TEST', source: '/etc/krb5.conf' });
    const other = m.names.find((n) => n.product === 'MIT' && n.value.includes('/etc/krb5.conf'))!;
    expect(other.username).toContain(MIT_NO_TRANSLATION);
    expect(other.username).toContain('RULE:[1:$1@$0](.*@OTHER\\.TEST)s/@.*//');
    const service = nameMappings('HTTP/es1.example.com@EXAMPLE.COM');
    expect(username(service, 'Elasticsearch', 'true')).toBe('HTTP/es1.example.com');
    expect(username(service, 'MIT', 'DEFAULT')).toMatch(/only one-component names/);
  });

  it('a name without realm takes the default realm', () => {
    const m = nameMappings('bob', { realm: 'BENCH.TEST', source: 'krb5.conf' });
    expect(m.principal).toBe('bob@BENCH.TEST');
    expect(username(m, 'Hazelcast', 'false')).toBe('bob@BENCH.TEST');
    expect(m.names.filter((n) => n.product === 'MIT')).toHaveLength(1);
  });
});
