/**
 * Which SPN each client stack asks for when it follows `WWW-Authenticate: Negotiate` for a URL.
 * Pure, given the krb5.conf settings, the browsers' switches and a host resolver: the service calls
 * it with the real resolver (getaddrinfo/getnameinfo), the tests with an injected one.
 *
 * What each stack does (the sources this follows):
 *   MIT / curl  curl builds the GSS host-based name "HTTP@<URL host>" (never a port); MIT's
 *               krb5_sname_to_principal then applies [libdefaults] dns_canonicalize_hostname
 *               (MIT 1.20 default true; "fallback" tries the name as written first, then the
 *               canonical one) and rdns (default true: a reverse lookup of the first address), folds
 *               to lower case and drops a trailing dot.
 *   Java        JDK 17 HttpURLConnection asks for "HTTP@<URL host>"; PrincipalName (KRB_NT_SRV_HST)
 *               accepts a canonical name only when it extends the name as written ("web" →
 *               "web.example.test"), so a CNAME to another name and a reverse name are ignored, an IP
 *               stays an IP; dns_canonicalize_hostname=false skips the lookup; the result is lower-cased.
 *   Chromium    Negotiate only for hosts matching --auth-server-allowlist (on Linux nothing without it);
 *               the host is replaced by its DNS canonical name (CNAME) unless
 *               --disable-auth-negotiate-cname-lookup; the port is added only for a non-default one with
 *               --enable-auth-negotiate-port; on Linux the name then goes to MIT as "HTTP@host[:port]".
 *   Firefox     Negotiate only for hosts matching network.negotiate-auth.trusted-uris (empty by default),
 *               and not for dot-less names unless network.negotiate-auth.allow-non-fqdn; no CNAME lookup
 *               of its own (assumed, as in current releases); "HTTP@<URL host>" to MIT, no port.
 */
import net from 'node:net';
import type { BrowserSwitches, ClientStack, SpnPrediction } from '../api/http';

export type DnsCanonicalize = 'true' | 'false' | 'fallback';

/** The [libdefaults] relations that change MIT's host-based names, with where they came from. */
export interface Krb5NameSettings {
  dnsCanonicalizeHostname: DnsCanonicalize;
  rdns: boolean;
  /** "krb5.conf:12" per relation that was set, or absent for MIT's default. */
  lines?: { dns_canonicalize_hostname?: string; rdns?: string };
}

export const MIT_NAME_DEFAULTS: Krb5NameSettings = { dnsCanonicalizeHostname: 'true', rdns: true };

/** What the browsers were started with (Chromium's switches, Firefox's about:config). */
export type BrowserSettings = BrowserSwitches;

/** getaddrinfo(AI_CANONNAME) and getnameinfo(NI_NAMEREQD), as the C libraries call them. */
export interface HostResolver {
  /** The canonical name and the first address, or undefined when the name does not resolve. */
  forward(host: string): Promise<{ canonical: string; address: string } | undefined>;
  /** The name of an address, or undefined when it has none. */
  reverse(address: string): Promise<string | undefined>;
}

export interface UrlTarget {
  url: string;
  /** As the URL has it, without IPv6 brackets. */
  host: string;
  port: number;
  hostIsAddress: boolean;
  nonDefaultPort: boolean;
}

/** The parts of a URL that an SPN depends on; throws a plain Error for a URL that is not http(s). */
export function urlTarget(url: string): UrlTarget {
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error(`${url}: only http:// and https:// URLs carry Negotiate`);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  const defaultPort = parsed.protocol === 'https:' ? 443 : 80;
  const port = parsed.port ? Number(parsed.port) : defaultPort;
  return { url, host, port, hostIsAddress: net.isIP(host) !== 0, nonDefaultPort: port !== defaultPort };
}

const fold = (host: string) => host.toLowerCase().replace(/\.$/, '');

/** MIT's krb5_sname_to_principal for "HTTP@host": the host as MIT turns it into HTTP/<host>. */
export async function mitHost(host: string, settings: Krb5NameSettings, resolver: HostResolver, steps: string[]): Promise<string> {
  const where = (name: 'dns_canonicalize_hostname' | 'rdns') => (settings.lines?.[name] ? ` (${settings.lines[name]})` : ' (MIT default)');
  if (settings.dnsCanonicalizeHostname === 'false') {
    steps.push(`dns_canonicalize_hostname = false${where('dns_canonicalize_hostname')}: no lookup, the host as written`);
    return fold(host);
  }
  if (settings.dnsCanonicalizeHostname === 'fallback') {
    steps.push(`dns_canonicalize_hostname = fallback${where('dns_canonicalize_hostname')}: asks for the host as written first; only if the KDC does not know that name, retries with the canonical name`);
    return fold(host);
  }
  const found = await resolver.forward(host);
  let name = host;
  if (!found) steps.push(`dns_canonicalize_hostname = true${where('dns_canonicalize_hostname')}: '${host}' does not resolve, used as written`);
  else {
    name = found.canonical;
    steps.push(`dns_canonicalize_hostname = true${where('dns_canonicalize_hostname')}: forward lookup '${host}' → canonical name '${found.canonical}' (${found.address})`);
    if (settings.rdns) {
      const reverse = await resolver.reverse(found.address);
      if (reverse) {
        name = reverse;
        steps.push(`rdns = true${where('rdns')}: reverse lookup ${found.address} → '${reverse}'`);
      } else steps.push(`rdns = true${where('rdns')}: ${found.address} has no reverse name, the canonical name stays`);
    } else steps.push(`rdns = false${where('rdns')}: no reverse lookup`);
  }
  if (fold(name) !== name) steps.push(`folded to lower case / trailing dot dropped: '${fold(name)}'`);
  return fold(name);
}

/**
 * The allowlist entry that `host` matches: "*.example.test" / "*example.test" by suffix, "*" every
 * host; a plain entry the host exactly (Chromium) or also its subdomains (Firefox, `subdomains`).
 */
export function hostMatchesList(host: string, list: string | undefined, subdomains = false): string | undefined {
  const lower = host.toLowerCase();
  for (const raw of (list ?? '').split(',').map((p) => p.trim().toLowerCase()).filter(Boolean)) {
    // Firefox also accepts URL prefixes ("https://example.test"): only the host part matters here.
    const entry = raw.replace(/^[a-z][a-z0-9+.-]*:\/\//, '').replace(/[:/].*$/, '');
    if (entry === '*' || lower === entry) return raw;
    if (entry.startsWith('*') && lower.endsWith(entry.slice(1))) return raw;
    if (subdomains && !entry.startsWith('*') && lower.endsWith(`.${entry.replace(/^\./, '')}`)) return raw;
  }
  return undefined;
}

async function predictMit(target: UrlTarget, settings: Krb5NameSettings, resolver: HostResolver, client: 'mit' | 'curl'): Promise<SpnPrediction> {
  const steps = [client === 'curl' ? `curl --negotiate: GSS host-based name HTTP@${target.host} (curl never adds the port)` : `MIT GSS-API: host-based name HTTP@${target.host}`];
  const host = await mitHost(target.host, settings, resolver, steps);
  return { client, spn: `HTTP/${host}`, steps };
}

async function predictJava(target: UrlTarget, settings: Krb5NameSettings, resolver: HostResolver): Promise<SpnPrediction> {
  const steps = [`JDK 17 HttpURLConnection: host-based name HTTP@${target.host}, never a port`];
  let host = target.host;
  if (target.hostIsAddress) steps.push('an IP address stays an IP address (Java accepts a canonical name only when it extends the name as written)');
  else if (settings.dnsCanonicalizeHostname === 'false') steps.push(`dns_canonicalize_hostname = false${settings.lines?.dns_canonicalize_hostname ? ` (${settings.lines.dns_canonicalize_hostname})` : ''}: Java does no lookup`);
  else {
    const found = await resolver.forward(host);
    const canonical = found ? fold(found.canonical) : undefined;
    if (canonical && canonical.startsWith(`${fold(host)}.`)) {
      steps.push(`canonical name '${canonical}' extends '${host}': Java takes it`);
      host = canonical;
    } else if (canonical && canonical !== fold(host)) steps.push(`canonical name '${canonical}' does not extend '${host}': Java ignores it (no CNAME or reverse canonicalisation)`);
    else steps.push('no longer canonical name: the host as written');
  }
  if (host !== host.toLowerCase()) steps.push(`host lower-cased: '${host.toLowerCase()}'`);
  return { client: 'java', spn: `HTTP/${fold(host)}`, steps, fallback: 'none: a silent 401 (HttpURLConnection does not fall back to NTLM on Linux)' };
}

async function predictChromium(target: UrlTarget, settings: Krb5NameSettings, browsers: BrowserSettings, resolver: HostResolver): Promise<SpnPrediction> {
  const steps: string[] = [];
  const match = hostMatchesList(target.host, browsers.chromiumAllowlist);
  let noKerberos: string | undefined;
  if (browsers.chromiumAllowlist === undefined) noKerberos = 'no --auth-server-allowlist: Chromium on Linux answers no Negotiate challenge without one';
  else if (!match) noKerberos = `'${target.host}' is not in --auth-server-allowlist=${browsers.chromiumAllowlist}: the host is not trusted for Negotiate`;
  else steps.push(`'${target.host}' matches '${match}' in --auth-server-allowlist`);
  let host = target.host;
  if (browsers.chromiumCnameLookup === false) steps.push('--disable-auth-negotiate-cname-lookup: the host as written');
  else if (target.hostIsAddress) steps.push('an IP address: nothing to canonicalise');
  else {
    const found = await resolver.forward(host);
    if (found && fold(found.canonical) !== fold(host)) {
      steps.push(`CNAME canonicalisation: '${host}' → '${found.canonical}' (turn off with --disable-auth-negotiate-cname-lookup)`);
      host = found.canonical;
    } else steps.push(`CNAME canonicalisation: '${host}' is already canonical`);
  }
  const port = browsers.chromiumPort && target.nonDefaultPort ? `:${target.port}` : '';
  if (target.nonDefaultPort) steps.push(browsers.chromiumPort ? `--enable-auth-negotiate-port: non-default port ${target.port} added` : `port ${target.port} left out (only --enable-auth-negotiate-port adds a non-default port)`);
  steps.push(`on Linux Chromium hands HTTP@${fold(host)}${port} to MIT GSS-API:`);
  const mit = await mitHost(host, settings, resolver, steps);
  return {
    client: 'chromium',
    spn: `HTTP/${mit}${port}`,
    steps,
    ...(noKerberos ? { noKerberos } : {}),
    fallback: 'NTLM (its own implementation, asks for a password) when the server offers NTLM, else Basic',
  };
}

async function predictFirefox(target: UrlTarget, settings: Krb5NameSettings, browsers: BrowserSettings, resolver: HostResolver): Promise<SpnPrediction> {
  const steps: string[] = [];
  const match = hostMatchesList(target.host, browsers.firefoxTrustedUris, true);
  let noKerberos: string | undefined;
  if (!match) noKerberos = browsers.firefoxTrustedUris ? `'${target.host}' is not in network.negotiate-auth.trusted-uris (${browsers.firefoxTrustedUris})` : 'network.negotiate-auth.trusted-uris is empty (the default): Firefox trusts no host for Negotiate';
  else if (!target.hostIsAddress && !target.host.includes('.') && !browsers.firefoxAllowNonFqdn) noKerberos = `'${target.host}' has no dot and network.negotiate-auth.allow-non-fqdn is false (the default)`;
  else steps.push(`'${target.host}' matches '${match}' in network.negotiate-auth.trusted-uris`);
  steps.push(`no CNAME lookup of its own (assumed): HTTP@${target.host} to MIT GSS-API, never a port:`);
  const host = await mitHost(target.host, settings, resolver, steps);
  return {
    client: 'firefox',
    spn: `HTTP/${host}`,
    steps,
    ...(noKerberos ? { noKerberos } : {}),
    fallback: 'NTLM (asks for a password unless the host is in network.automatic-ntlm-auth.trusted-uris) when offered, else Basic',
  };
}

export const CLIENT_STACKS: readonly ClientStack[] = ['mit', 'curl', 'java', 'chromium', 'firefox'];

/** The SPN each client stack asks for at `url`. */
export async function predictSpns(url: string, settings: Krb5NameSettings, browsers: BrowserSettings, resolver: HostResolver): Promise<{ target: UrlTarget; predictions: SpnPrediction[] }> {
  const target = urlTarget(url);
  const predictions = [
    await predictMit(target, settings, resolver, 'mit'),
    await predictMit(target, settings, resolver, 'curl'),
    await predictJava(target, settings, resolver),
    await predictChromium(target, settings, browsers, resolver),
    await predictFirefox(target, settings, browsers, resolver),
  ];
  return { target, predictions };
}
