/**
 * Building SPNs per product with a fake HostResolver (DNS is not the point here: the resolver
 * stands for getaddrinfo/getnameinfo, and each test says what they answer).
 */
import { describe, expect, it } from 'vitest';
import type { DnsLookup } from '../../main/api/export';
import type { HostResolver } from '../../main/http/spn';
import { buildSpns, type BuildDeps } from '../../main/spn/build';
import { HAZELCAST_SPN_AND_PREFIX } from '../../main/spn/hazelcast';

/** A resolver that knows a few names: forward name → address, reverse address → name. */
function fakeResolver(forward: Record<string, string>, reverse: Record<string, string>): HostResolver {
  return {
    async forward(host) {
      if (/^\d+\.\d+\.\d+\.\d+$/.test(host)) return { canonical: host, address: host };
      return forward[host] ? { canonical: host, address: forward[host] } : undefined;
    },
    async reverse(address) {
      return reverse[address];
    },
  };
}

const lookups: string[] = [];
function deps(resolver = fakeResolver({}, {})): BuildDeps {
  return {
    resolver,
    async lookup(host): Promise<DnsLookup> {
      lookups.push(host);
      return { host, addresses: [], reverse: [] };
    },
  };
}

describe('buildSpns: EMQX', () => {
  it('mqtt/FQDN@REALM by default; --service changes the service; no DNS when asked', async () => {
    const result = await buildSpns({ product: 'emqx', realm: 'EXAMPLE.COM', host: 'broker.example.com', dns: false }, deps());
    expect(result).toMatchObject({ product: 'emqx', dns: [] });
    expect(result.spns).toEqual([expect.objectContaining({ spn: 'mqtt/broker.example.com@EXAMPLE.COM', for: 'broker broker.example.com', valid: true, problems: [] })]);
    expect(result.spns[0]!.steps[0]).toMatch(/principal = "service\/FQDN@REALM", service "mqtt" \(the default\)/);
    const other = await buildSpns({ product: 'emqx', realm: 'EXAMPLE.COM', host: 'broker.example.com', service: 'emqx', dns: false }, deps());
    expect(other.spns[0]!.spn).toBe('emqx/broker.example.com@EXAMPLE.COM');
  });

  it('a lower-case realm is refused in EMQX\'s words; a port and upper case become what clients ask for', async () => {
    const lower = await buildSpns({ product: 'emqx', realm: 'example.com', host: 'broker', dns: false }, deps());
    expect(lower.spns[0]).toMatchObject({ spn: 'mqtt/broker@example.com', valid: false });
    expect(lower.spns[0]!.problems[0]).toMatch(/^invalid_server_principal_string: the realm "example\.com" has lower-case letters/);
    const port = await buildSpns({ product: 'emqx', realm: 'EXAMPLE.COM', host: 'Broker.Example.com:1883', dns: false }, deps());
    expect(port.spns[0]).toMatchObject({ spn: 'mqtt/broker.example.com@EXAMPLE.COM', valid: true });
    expect(port.spns[0]!.steps.join('\n')).toMatch(/":1883" dropped[\s\S]*lower-cased to "broker\.example\.com"/);
  });

  it('with DNS: what MIT\'s default canonicalisation would ask for, and one lookup per host', async () => {
    lookups.length = 0;
    const resolver = fakeResolver({ broker: '10.0.0.5' }, { '10.0.0.5': 'mq1.example.com' });
    const result = await buildSpns({ product: 'emqx', realm: 'EXAMPLE.COM', host: 'broker' }, deps(resolver));
    expect(result.spns[0]!.spn).toBe('mqtt/broker@EXAMPLE.COM');
    expect(result.spns[0]!.steps.at(-1)).toMatch(/clients ask for mqtt\/mq1\.example\.com instead: .*reverse lookup 10\.0\.0\.5 → 'mq1\.example\.com'/);
    expect(lookups).toEqual(['broker']);
    expect(result.dns).toHaveLength(1);
  });
});

describe('buildSpns: Elasticsearch and HTTP', () => {
  it('one HTTP/NODE@REALM per node', async () => {
    const result = await buildSpns({ product: 'elasticsearch', realm: 'EXAMPLE.COM', nodes: ['es1.example.com', 'es2.example.com:9200', 'es1.example.com'], dns: false }, deps());
    expect(result.spns.map((c) => [c.spn, c.for, c.valid])).toEqual([
      ['HTTP/es1.example.com@EXAMPLE.COM', 'node es1.example.com', true],
      ['HTTP/es2.example.com@EXAMPLE.COM', 'node es2.example.com:9200', true],
    ]);
  });

  it('an IP address: MIT turns it into its reverse name; the candidate says so', async () => {
    const resolver = fakeResolver({}, { '127.0.0.1': 'localhost' });
    const result = await buildSpns({ product: 'http', realm: 'BENCH.TEST', host: '127.0.0.1' }, deps(resolver));
    const [c] = result.spns;
    expect(c).toMatchObject({ spn: 'HTTP/127.0.0.1@BENCH.TEST', valid: false });
    expect(c!.problems.join('\n')).toMatch(/IP address/);
    expect(c!.steps.at(-1)).toMatch(/clients ask for HTTP\/localhost instead/);
  });

  it('needs hosts; generic needs a service', async () => {
    await expect(buildSpns({ product: 'elasticsearch', realm: 'R', dns: false }, deps())).rejects.toThrow(/name at least one node/);
    await expect(buildSpns({ product: 'generic', realm: 'R', host: 'h', dns: false }, deps())).rejects.toThrow(/needs its service/);
    const generic = await buildSpns({ product: 'generic', realm: 'R', host: 'ldap1', service: 'ldap', dns: false }, deps());
    expect(generic.spns[0]!.spn).toBe('ldap/ldap1@R');
  });
});

describe('buildSpns: Hazelcast', () => {
  it('[service-name-prefix][member address]@REALM: hz/ by default, addresses as written, ports dropped', async () => {
    const result = await buildSpns({ product: 'hazelcast', realm: 'ACME.COM', nodes: ['192.168.1.1', '192.168.1.2:5701'], dns: false }, deps());
    expect(result.spns.map((c) => [c.spn, c.for, c.valid])).toEqual([
      ['hz/192.168.1.1@ACME.COM', 'member 192.168.1.1', true],
      ['hz/192.168.1.2@ACME.COM', 'member 192.168.1.2:5701', true],
    ]);
    expect(result.spns[1]!.steps.join('\n')).toMatch(/Address\.getHost\(\)/);
  });

  it('a prefix of its own', async () => {
    const result = await buildSpns({ product: 'hazelcast', realm: 'ACME.COM', host: '10.0.0.1', hazelcast: { prefix: 'hazelcast/' }, dns: false }, deps());
    expect(result.spns[0]!.spn).toBe('hazelcast/10.0.0.1@ACME.COM');
  });

  it('use-canonical-hostname: the reverse name of the address; the address when there is none, as Java does', async () => {
    const resolver = fakeResolver({ member1: '10.0.0.1' }, { '10.0.0.1': 'member1.acme.com' });
    const result = await buildSpns({ product: 'hazelcast', realm: 'ACME.COM', nodes: ['10.0.0.1', '10.0.0.2', 'member1'], hazelcast: { useCanonicalHostname: true } }, deps(resolver));
    expect(result.spns.map((c) => c.spn)).toEqual(['hz/member1.acme.com@ACME.COM', 'hz/10.0.0.2@ACME.COM', 'hz/member1.acme.com@ACME.COM']);
    expect(result.spns[1]!.steps.join('\n')).toMatch(/has no reverse name, so getCanonicalHostName\(\) returns the address/);
  });

  it('a static spn for every member: realm appended, or refused together with a prefix', async () => {
    const result = await buildSpns({ product: 'hazelcast', realm: 'ACME.COM', hazelcast: { spn: 'hz/cluster' }, dns: false }, deps());
    expect(result.spns).toEqual([expect.objectContaining({ spn: 'hz/cluster@ACME.COM', for: 'every member', valid: true })]);
    const both = await buildSpns({ product: 'hazelcast', realm: 'ACME.COM', hazelcast: { spn: 'hz/cluster', prefix: 'hz/' }, dns: false }, deps());
    expect(both.spns[0]!.problems[0]).toContain(HAZELCAST_SPN_AND_PREFIX);
    await expect(buildSpns({ product: 'hazelcast', realm: 'ACME.COM', dns: false }, deps())).rejects.toThrow(/member address/);
  });
});
