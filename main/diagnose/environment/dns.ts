/**
 * Check 5: the service host of the principal in DNS, the way clients turn a host into the
 * principal they ask for. MIT with dns_canonicalize_hostname (default true) follows CNAMEs, and
 * with rdns (default true) replaces the name by the reverse lookup of its address; Java and
 * Elasticsearch canonicalise similarly. Whenever the result differs from the keytab's host, the
 * client asks for a principal the KDC does not know ("Server not found in Kerberos database").
 */
import dns from 'node:dns';
import net from 'node:net';
import { EnvFindingId } from './catalog-map';
import { resolveHost } from './kdc-locate';
import type { Krb5Settings } from './settings';
import { errorText, measure, withTimeout, type Collector, type FindingEvidence } from './types';

export interface ServiceHost {
  service: string;
  host: string;
  realm: string;
  principal: string;
}

const MAX_REVERSE = 4;
const normal = (name: string) => name.toLowerCase().replace(/\.$/, '');
const isLoopbackName = (host: string) => /^localhost(\.localdomain)?$/i.test(host);

/** Host-based service principals have two components: service/host@REALM. */
export function serviceHostOf(principal: { components: string[]; realm: string }, text: string): ServiceHost | undefined {
  if (principal.components.length !== 2 || !principal.components[1]) return undefined;
  return { service: principal.components[0]!, host: principal.components[1], realm: principal.realm, principal: text };
}

/** How MIT would rewrite the host: canonicalisation and rdns as configured. */
function canonicalization(settings: Krb5Settings) {
  const canon = settings.libdefault('dns_canonicalize_hostname');
  // "fallback" (MIT 1.18+): try the name as given first, canonicalise only if that fails.
  const canonicalize = canon?.value.toLowerCase() === 'fallback' ? 'fallback' : settings.flag('dns_canonicalize_hostname', true).value;
  const rdns = settings.flag('rdns', true);
  const describe = `dns_canonicalize_hostname = ${canon?.value ?? 'true (MIT default)'}${canon ? ` (${canon.where})` : ''}, rdns = ${rdns.raw ?? 'true (MIT default)'}${rdns.where ? ` (${rdns.where})` : ''}`;
  return { canonicalize, rdns: rdns.value, rdnsWhere: rdns.where, describe, usesReverse: canonicalize === true && rdns.value };
}

export async function checkServiceHost(target: ServiceHost, settings: Krb5Settings, timeoutMs: number, out: Collector): Promise<void> {
  const canon = canonicalization(settings);
  await out.run('service-host-form', () => hostFormCheck(target, canon.describe, canon.usesReverse, out));
  await out.run('domain-realm', () => domainRealmCheck(target, settings, out));
  if (net.isIP(target.host)) return;
  let addresses: string[] = [];
  await out.run('dns-forward', async () => {
    const resolved = await resolveHost(target.host, timeoutMs);
    addresses = resolved.addresses.map((a) => a.address);
    if (addresses.length) return { ok: true, detail: `${target.host} → ${addresses.join(', ')}`, measured: [measure('addresses', addresses.join(', '), undefined, target.host)] };
    forwardFinding(target, resolved.error ?? 'no addresses', out);
    return { ok: false, detail: `${target.host} does not resolve: ${resolved.error ?? 'no addresses'}` };
  });
  if (!addresses.length) return;
  await Promise.all([
    out.run('dns-cname', () => cnameCheck(target, canon.canonicalize !== false, timeoutMs, out)),
    out.run('dns-reverse', () => reverseCheck(target, addresses.slice(0, MAX_REVERSE), canon, timeoutMs, out)),
  ]);
}

function hostFormCheck(target: ServiceHost, describe: string, usesReverse: boolean, out: Collector) {
  const { host } = target;
  if (net.isIP(host)) {
    out.finding({
      id: EnvFindingId.principalHostIp,
      title: `The principal names an address, not a host name: ${host}`,
      confidence: 0.35,
      cause: `${target.principal} has an IP address as its host. Clients that connect by name ask for ${target.service}/NAME instead${usesReverse ? `, and MIT clients here (${describe}) turn even an address into the reverse name of ${host}` : ''}; only clients that use the address literally (Hazelcast's hz/ADDRESS default) ask for this principal.`,
      fix: `Use ${target.service}/FQDN@${target.realm} with the host's fully qualified name, or keep the address and make every client ask for exactly ${target.principal} (Hazelcast: a static spn).`,
      commands: [`getent hosts ${host}`],
      evidence: [{ source: 'principal', text: target.principal }],
    });
    return { ok: false, detail: `${host} is an IP address`, measured: [measure('host', host, undefined, 'an IP address')] };
  }
  if (!host.includes('.') && !isLoopbackName(host)) {
    out.finding({
      id: EnvFindingId.principalHostShort,
      title: `The principal's host is a short name: ${host}`,
      confidence: 0.4,
      cause: `${target.principal} uses "${host}" without a domain. Keytabs and SPNs normally hold the fully qualified name, and clients that canonicalise host names (MIT's default; here ${describe}) ask for ${target.service}/${host}.DOMAIN, so one of the two will not match.`,
      fix: `Use the fully qualified host name in the principal (${target.service}/${host}.DOMAIN@${target.realm}) and in the keytab.`,
      commands: [`getent ahosts ${host}`, 'hostname --fqdn'],
      evidence: [{ source: 'principal', text: target.principal }],
    });
    return { ok: false, detail: `${host} is a short name`, measured: [measure('host', host, undefined, 'a short name')] };
  }
  return { ok: true, detail: `${host} is a host name (${describe})`, measured: [measure('host', host, undefined, 'a host name')] };
}

/** Clients pick the realm of a host from [domain_realm]; a mapping to another realm sends them elsewhere. */
function domainRealmCheck(target: ServiceHost, settings: Krb5Settings, out: Collector) {
  const mapped = settings.domainRealm(target.host);
  if (!mapped) return { ok: true, detail: `no [domain_realm] entry for ${target.host}: clients use the default realm or KDC referrals`, measured: [measure('realm of the host', '(no mapping)', undefined, target.host)] };
  const measured = [measure('realm of the host', mapped.value, undefined, `${mapped.key}, ${mapped.where}`)];
  if (mapped.value === target.realm) return { ok: true, detail: `${mapped.key} = ${mapped.value} (${mapped.where})`, measured };
  out.finding({
    id: EnvFindingId.domainRealm,
    title: `[domain_realm] maps ${target.host} to ${mapped.value}, not ${target.realm}`,
    confidence: 0.6,
    cause: `Clients on this host ask the KDC of ${mapped.value} for ${target.service}/${target.host}@${mapped.value} (from "${mapped.key} = ${mapped.value}"), while the service's principal is in ${target.realm}: "Server not found in Kerberos database".`,
    fix: `Map ${target.host} to ${target.realm} in [domain_realm], or use a principal in ${mapped.value}.`,
    evidence: [
      { source: mapped.where, text: `${mapped.key} = ${mapped.value}` },
      { source: 'principal', text: target.principal },
    ],
  });
  return { ok: false, detail: `${mapped.key} = ${mapped.value} (${mapped.where}) but the principal is in ${target.realm}`, measured };
}

function forwardFinding(target: ServiceHost, error: string, out: Collector): void {
  out.finding({
    id: EnvFindingId.dnsForward,
    title: `${target.host} does not resolve`,
    confidence: 0.7,
    cause: `Looking up ${target.host} (getaddrinfo, /etc/hosts included) fails: ${error}. Clients cannot connect to the service by this name, and MIT clients that canonicalise cannot even build the principal to ask for.`,
    fix: `Add ${target.host} to DNS (A/AAAA and a PTR record pointing back) or /etc/hosts, or correct the host in the principal.`,
    commands: [`getent ahosts ${target.host}`, `dig +short ${target.host}`],
    evidence: [
      { source: 'principal', text: target.principal },
      { source: 'getaddrinfo', text: `${target.host}: ${error}` },
    ],
  });
}

async function cnameCheck(target: ServiceHost, canonicalizes: boolean, timeoutMs: number, out: Collector) {
  // localhost lives in /etc/hosts, which c-ares does not read: asking DNS only costs a timeout.
  if (isLoopbackName(target.host)) return { ok: true, detail: `${target.host} is the loopback name (no CNAME)`, measured: [measure('CNAME', '(none)', undefined, `${target.host}: the loopback name`)] };
  const resolver = new dns.promises.Resolver({ timeout: timeoutMs, tries: 1 });
  const answer = await withTimeout(
    resolver.resolveCname(target.host).then(
      (names) => ({ names }),
      (error: unknown) => ({ names: [] as string[], error: errorText(error) }),
    ),
    timeoutMs + 100,
    () => ({ names: [] as string[], error: `no answer within ${timeoutMs} ms` }),
  );
  const cname = answer.names[0];
  if (!cname || normal(cname) === normal(target.host)) return { ok: true, detail: `${target.host} is no CNAME${'error' in answer ? ` (${answer.error})` : ''}`, measured: [measure('CNAME', '(none)', undefined, target.host)] };
  const measured = [measure('CNAME', cname, undefined, target.host)];
  if (!canonicalizes) return { ok: true, detail: `${target.host} is a CNAME for ${cname}; dns_canonicalize_hostname = false keeps ${target.host}`, measured };
  out.finding({
    id: EnvFindingId.dnsCname,
    title: `${target.host} is an alias (CNAME) of ${cname}`,
    confidence: 0.55,
    cause: `MIT clients canonicalise host names (dns_canonicalize_hostname is on) and ask for ${target.service}/${normal(cname)}@${target.realm}, not ${target.principal}.`,
    fix: `Put ${target.service}/${normal(cname)}@${target.realm} in the keytab too, or set dns_canonicalize_hostname = false on the clients.`,
    commands: [`dig +short CNAME ${target.host}`],
    evidence: [{ source: 'DNS CNAME', text: `${target.host} CNAME ${cname}` }],
  });
  return { ok: false, detail: `${target.host} is a CNAME for ${cname}`, measured };
}

interface ReverseAnswer {
  address: string;
  /** getnameinfo: what libkrb5 uses for rdns (it reads /etc/hosts too). */
  name?: string;
  /** DNS PTR records, for the report: what other resolvers see. */
  ptr: string[];
  error?: string;
}

async function reverseOne(address: string, timeoutMs: number): Promise<ReverseAnswer> {
  const resolver = new dns.promises.Resolver({ timeout: timeoutMs, tries: 1 });
  const [named, ptr] = await Promise.all([
    withTimeout(
      dns.promises.lookupService(address, 0).then(
        (r): { name?: string; error?: string } => (r.hostname === address ? { error: 'no name for this address' } : { name: r.hostname }),
        (error: unknown) => ({ error: errorText(error) }),
      ),
      timeoutMs,
      () => ({ error: `no answer within ${timeoutMs} ms` }),
    ),
    withTimeout(resolver.reverse(address).catch(() => [] as string[]), timeoutMs + 100, () => [] as string[]),
  ]);
  return { address, ptr, ...named };
}

async function reverseCheck(target: ServiceHost, addresses: string[], canon: ReturnType<typeof canonicalization>, timeoutMs: number, out: Collector) {
  const answers = await Promise.all(addresses.map((a) => reverseOne(a, timeoutMs)));
  const describe = (a: ReverseAnswer) => `${a.address} → ${a.name ?? `(${a.error})`}${a.ptr.length ? ` [DNS PTR: ${a.ptr.join(', ')}]` : ''}`;
  const detail = answers.map(describe).join('; ');
  const measured = answers.map((a) => measure('reverse name', a.name ?? `(${a.error ?? 'none'})`, undefined, a.address));
  const mismatched = answers.filter((a) => !a.name || normal(a.name) !== normal(target.host));
  if (mismatched.length === 0) return { ok: true, detail, measured };
  reverseFinding(target, mismatched, canon, out);
  return { ok: false, detail, measured };
}

function reverseFinding(target: ServiceHost, mismatched: ReverseAnswer[], canon: ReturnType<typeof canonicalization>, out: Collector): void {
  const first = mismatched[0]!;
  const seen = first.name ? `resolves back to ${first.name}` : `has no reverse name (${first.error})`;
  const consequence = canon.usesReverse
    ? `With ${canon.describe}, MIT clients on this host ask for ${target.service}/${first.name ? normal(first.name) : first.address}@${target.realm} instead of ${target.principal}: "Server not found in Kerberos database".`
    : `MIT clients here do not use reverse DNS (${canon.describe}), but clients with rdns = true (the MIT default) and Elasticsearch, which insists on matching forward and reverse DNS, will not find ${target.principal}.`;
  const evidence: FindingEvidence[] = mismatched.map((a) => ({ source: 'reverse DNS (getnameinfo)', text: `${a.address} → ${a.name ?? a.error}${a.ptr.length ? ` (PTR ${a.ptr.join(', ')})` : ''}` }));
  if (canon.rdnsWhere) evidence.push({ source: canon.rdnsWhere, text: `rdns = ${canon.rdns}` });
  out.finding({
    id: EnvFindingId.dnsReverse,
    title: `Reverse DNS of ${target.host} does not give ${target.host} back`,
    confidence: canon.usesReverse ? 0.7 : 0.25,
    cause: `${target.host} resolves to ${first.address}, which ${seen}. ${consequence}`,
    fix: `Make the PTR record of ${first.address} name ${target.host} (or list ${target.host} first for ${first.address} in /etc/hosts)${canon.usesReverse ? ', or set rdns = false in [libdefaults]' : ''}.`,
    commands: [`getent hosts ${first.address}`, `dig +short -x ${first.address}`],
    evidence,
  });
}
