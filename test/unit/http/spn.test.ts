/**
 * SPN prediction per client stack, pure: an injected resolver stands for DNS (a CNAME web →
 * web.corp.test, a reverse name, a short name that Java may qualify), krb5.conf settings as parsed
 * from text by the bench's profile parser.
 */
import { describe, expect, it } from 'vitest';
import { hostBasedName } from '../../../main/http/negotiate-service';
import { krb5NameSettings, realmForHost } from '../../../main/http/spn-check';
import { hostMatchesList, MIT_NAME_DEFAULTS, predictSpns, urlTarget, type HostResolver, type Krb5NameSettings } from '../../../main/http/spn';
import { kerberosBlockers, explainNtlm } from '../../../main/http/ntlm-detect';
import { parseProfile } from '../../../main/krb/profile';

/** A tiny DNS: forward names (canonical + address) and reverse names; lookups are counted. */
function fakeResolver(forward: Record<string, [string, string]>, reverse: Record<string, string> = {}): HostResolver & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    async forward(host) {
      asked.push(`forward ${host}`);
      const hit = forward[host.toLowerCase()];
      return hit ? { canonical: hit[0], address: hit[1] } : undefined;
    },
    async reverse(address) {
      asked.push(`reverse ${address}`);
      return reverse[address];
    },
  };
}

const DNS = fakeResolver(
  {
    web: ['web.corp.test', '10.0.0.5'],
    'portal.corp.test': ['lb7.corp.test', '10.0.0.9'],
    localhost: ['localhost', '127.0.0.1'],
    '10.0.0.9': ['10.0.0.9', '10.0.0.9'],
  },
  { '10.0.0.9': 'lb7-host.corp.test', '10.0.0.5': 'web.corp.test', '127.0.0.1': 'localhost' },
);

const spnOf = async (url: string, settings: Krb5NameSettings, browsers = {}) => {
  const { predictions } = await predictSpns(url, settings, browsers, DNS);
  return Object.fromEntries(predictions.map((p) => [p.client, p.spn]));
};

const conf = (text: string) => krb5NameSettings([parseProfile(text, 'krb5.conf')]);

describe('krb5.conf relations that shape host-based names', () => {
  it('reads dns_canonicalize_hostname (true/false/fallback) and rdns with their lines, MIT defaults otherwise', () => {
    expect(conf('[libdefaults]\n default_realm = X\n')).toMatchObject({ dnsCanonicalizeHostname: 'true', rdns: true, lines: {} });
    expect(conf('[libdefaults]\n dns_canonicalize_hostname = false\n rdns = no\n')).toEqual({
      dnsCanonicalizeHostname: 'false',
      rdns: false,
      lines: { dns_canonicalize_hostname: 'krb5.conf:2', rdns: 'krb5.conf:3' },
    });
    expect(conf('[libdefaults]\n dns_canonicalize_hostname = fallback\n').dnsCanonicalizeHostname).toBe('fallback');
  });

  it('maps a host to its realm: [domain_realm] exact, then the longest suffix, else default_realm', () => {
    const profiles = [parseProfile('[libdefaults]\n default_realm = DEF.TEST\n[domain_realm]\n .corp.test = CORP.TEST\n special.corp.test = SPECIAL.TEST\n', 'krb5.conf')];
    expect(realmForHost(profiles, 'special.corp.test')).toBe('SPECIAL.TEST');
    expect(realmForHost(profiles, 'web.corp.test')).toBe('CORP.TEST');
    expect(realmForHost(profiles, 'localhost')).toBe('DEF.TEST');
  });
});

describe('the SPN each stack asks for', () => {
  it('MIT with the defaults: forward canonicalisation, then the reverse name (rdns)', async () => {
    const spns = await spnOf('http://portal.corp.test/', MIT_NAME_DEFAULTS);
    expect(spns.mit).toBe('HTTP/lb7-host.corp.test');
    expect(spns.curl).toBe('HTTP/lb7-host.corp.test');
  });

  it('MIT without rdns: the CNAME target; without canonicalisation: the name as written, lower-cased', async () => {
    expect((await spnOf('http://portal.corp.test/', { dnsCanonicalizeHostname: 'true', rdns: false })).mit).toBe('HTTP/lb7.corp.test');
    expect((await spnOf('http://Portal.Corp.Test./', { dnsCanonicalizeHostname: 'false', rdns: false })).mit).toBe('HTTP/portal.corp.test');
    const { predictions } = await predictSpns('http://portal.corp.test/', { dnsCanonicalizeHostname: 'fallback', rdns: true }, {}, DNS);
    expect(predictions[0]!.spn).toBe('HTTP/portal.corp.test');
    expect(predictions[0]!.steps.join(' ')).toMatch(/fallback.*first.*canonical/);
  });

  it('an IP address: MIT with rdns asks for the reverse name, Java keeps the IP (as JDK 17 does for http://127.0.0.1)', async () => {
    const spns = await spnOf('http://10.0.0.9:8080/', MIT_NAME_DEFAULTS);
    expect(spns.mit).toBe('HTTP/lb7-host.corp.test');
    expect(spns.java).toBe('HTTP/10.0.0.9');
    const lab = await spnOf('http://127.0.0.1:9200/', { dnsCanonicalizeHostname: 'false', rdns: false });
    expect(lab).toMatchObject({ mit: 'HTTP/127.0.0.1', curl: 'HTTP/127.0.0.1', java: 'HTTP/127.0.0.1' });
  });

  it('Java: only a canonical name that extends the short name is taken; a CNAME elsewhere is ignored; lower case', async () => {
    expect((await spnOf('http://WEB/', MIT_NAME_DEFAULTS)).java).toBe('HTTP/web.corp.test');
    expect((await spnOf('http://portal.corp.test/', MIT_NAME_DEFAULTS)).java).toBe('HTTP/portal.corp.test');
    expect((await spnOf('http://WEB/', { dnsCanonicalizeHostname: 'false', rdns: true })).java).toBe('HTTP/web');
  });

  it('Chromium: CNAME canonicalisation unless disabled, the port only with --enable-auth-negotiate-port, then MIT', async () => {
    const settings: Krb5NameSettings = { dnsCanonicalizeHostname: 'false', rdns: false };
    const allow = { chromiumAllowlist: '*.corp.test' };
    expect((await spnOf('http://portal.corp.test:8443/', settings, allow)).chromium).toBe('HTTP/lb7.corp.test');
    expect((await spnOf('http://portal.corp.test:8443/', settings, { ...allow, chromiumCnameLookup: false })).chromium).toBe('HTTP/portal.corp.test');
    expect((await spnOf('http://portal.corp.test:8443/', settings, { ...allow, chromiumPort: true })).chromium).toBe('HTTP/lb7.corp.test:8443');
    // A default port is never added.
    expect((await spnOf('https://portal.corp.test:443/', settings, { ...allow, chromiumPort: true })).chromium).toBe('HTTP/lb7.corp.test');
  });

  it('Chromium and Firefox say when they would not use Negotiate at all, and what they fall back to', async () => {
    const settings: Krb5NameSettings = { dnsCanonicalizeHostname: 'false', rdns: false };
    const none = await predictSpns('http://localhost:9200/', settings, {}, DNS);
    const chromium = none.predictions.find((p) => p.client === 'chromium')!;
    expect(chromium.noKerberos).toMatch(/no --auth-server-allowlist/);
    expect(chromium.fallback).toMatch(/NTLM/);
    expect(none.predictions.find((p) => p.client === 'firefox')!.noKerberos).toMatch(/trusted-uris is empty/);
    const other = await predictSpns('http://localhost:9200/', settings, { chromiumAllowlist: '*.corp.test', firefoxTrustedUris: 'localhost' }, DNS);
    expect(other.predictions.find((p) => p.client === 'chromium')!.noKerberos).toMatch(/'localhost' is not in --auth-server-allowlist=\*\.corp\.test/);
    // Firefox refuses dot-less names unless allow-non-fqdn.
    expect(other.predictions.find((p) => p.client === 'firefox')!.noKerberos).toMatch(/allow-non-fqdn/);
    const allowed = await predictSpns('http://localhost:9200/', settings, { chromiumAllowlist: 'localhost', firefoxTrustedUris: 'localhost', firefoxAllowNonFqdn: true }, DNS);
    expect(allowed.predictions.filter((p) => p.noKerberos)).toEqual([]);
  });

  it('allowlists: Chromium matches plain entries exactly, Firefox also their subdomains; * matches all', () => {
    expect(hostMatchesList('a.corp.test', 'corp.test')).toBeUndefined();
    expect(hostMatchesList('a.corp.test', 'corp.test', true)).toBe('corp.test');
    expect(hostMatchesList('a.corp.test', 'x, *corp.test')).toBe('*corp.test');
    expect(hostMatchesList('LOCALHOST', 'https://localhost:9200')).toBe('https://localhost:9200');
    expect(hostMatchesList('anything', '*')).toBe('*');
    expect(hostMatchesList('evilcorp.test', '*.corp.test')).toBeUndefined();
  });

  it('the URL: host, port, IP literal (v6 too), non-default port; not http(s) is refused', () => {
    expect(urlTarget('https://[::1]:8443/x')).toMatchObject({ host: '::1', port: 8443, hostIsAddress: true, nonDefaultPort: true });
    expect(urlTarget('http://localhost/')).toMatchObject({ port: 80, hostIsAddress: false, nonDefaultPort: false });
    expect(() => urlTarget('ftp://localhost/')).toThrow(/only http:\/\/ and https:\/\//);
  });

  it('a host that does not resolve is used as written; an unresolvable name is not an error', async () => {
    const { predictions } = await predictSpns('http://nowhere.test/', MIT_NAME_DEFAULTS, {}, DNS);
    expect(predictions[0]).toMatchObject({ spn: 'HTTP/nowhere.test', steps: expect.arrayContaining([expect.stringMatching(/does not resolve, used as written/)]) });
  });
});

describe('SPN options and NTLM reasons', () => {
  it('--spn in any spelling becomes the host-based name the binding imports', () => {
    expect(hostBasedName('HTTP/web.corp.test')).toBe('HTTP@web.corp.test');
    expect(hostBasedName('HTTP/web.corp.test@CORP.TEST')).toBe('HTTP@web.corp.test');
    expect(hostBasedName('HTTP@localhost')).toBe('HTTP@localhost');
    expect(() => hostBasedName('nonsense')).toThrow(/is not an SPN/);
  });

  it('the reasons Kerberos was not used, most telling first; none when NTLM played no part', () => {
    const base = { serverOffersNtlm: false, serverOffersNegotiate: true, host: '10.0.0.9', hostIsAddress: true, spn: 'HTTP/10.0.0.9' };
    expect(explainNtlm(base)).toBeUndefined();
    const reasons = kerberosBlockers({ ...base, check: { spn: 'HTTP/10.0.0.9', kdcKnows: false, notes: [] }, credentials: { ok: false, why: 'no Kerberos credentials: x' } });
    expect(reasons).toHaveLength(3);
    expect(reasons[0]).toMatch(/IP address \(10\.0\.0\.9\)/);
    expect(reasons[1]).toMatch(/^no SPN: the KDC does not know HTTP\/10\.0\.0\.9/);
    expect(reasons[2]).toBe('no Kerberos credentials: x');
    expect(explainNtlm({ ...base, clientNtlm: 'inside-negotiate' })).toMatch(/^The client's token inside Negotiate is NTLMSSP/);
  });
});
