/**
 * SPNs for a product and its hosts: EMQX's `principal = "service/FQDN@REALM"` (service mqtt),
 * Elasticsearch's HTTP/<node>@REALM one per node, plain HTTP/<host>@REALM, a generic service/host,
 * and Hazelcast's [service-name-prefix][member address]@REALM (hazelcast.ts). Each candidate is
 * built as its clients would ask for it — MIT drops a port and a trailing dot and lower-cases the
 * host of a host-based name — then checked in the product's words (validate.ts). With DNS on, each
 * step also says what MIT's default canonicalisation (dns_canonicalize_hostname = true, rdns = true)
 * would turn the host into, and each host is looked up forward and reverse (dns.ts).
 */
import type { DnsLookup, SpnBuildInput, SpnBuildResult, SpnCandidate, SpnProduct } from '../api/export';
import { BenchFailure } from '../engine/failure';
import { MIT_NAME_DEFAULTS, mitHost, type HostResolver } from '../http/spn';
import { hazelcastSpns } from './hazelcast';
import { formatSpn, hostShape } from './principal';
import { validateSpn } from './validate';

export interface BuildDeps {
  /** getaddrinfo / getnameinfo as MIT and Java see them (systemResolver; a fake in tests). */
  resolver: HostResolver;
  /** The forward and reverse report for one host (lookupDns). */
  lookup(host: string): Promise<DnsLookup>;
}

type HostBasedProduct = Exclude<SpnProduct, 'hazelcast'>;

const DEFAULT_SERVICE: Record<HostBasedProduct, string | undefined> = { emqx: 'mqtt', http: 'HTTP', elasticsearch: 'HTTP', generic: undefined };

const FOR: Record<HostBasedProduct, string> = { emqx: 'broker', http: 'host', elasticsearch: 'node', generic: 'host' };

/** The hosts named by `host` and `nodes`, trimmed, each once. */
export function hostsOf(input: Pick<SpnBuildInput, 'host' | 'nodes'>): string[] {
  return [...new Set([input.host, ...(input.nodes ?? [])].map((h) => h?.trim() ?? '').filter(Boolean))];
}

function introStep(product: HostBasedProduct, service: string, defaulted: boolean): string {
  const which = `service "${service}"${defaulted ? ' (the default)' : ''}`;
  switch (product) {
    case 'emqx':
      return `EMQX gssapi authenticator: principal = "service/FQDN@REALM", ${which}; MQTT clients must ask for the same service (GSS name ${service}@<broker host>)`;
    case 'elasticsearch':
      return 'Elasticsearch Kerberos realm: clients ask for HTTP/<the node they connect to>, so one SPN per node (and one for a load balancer\'s name); the realm\'s keytab (keytab.path) must hold each';
    case 'http':
      return 'Negotiate clients (browsers, curl, Java) ask for HTTP/<the URL\'s host>: one SPN per host name clients use';
    case 'generic':
      return `MIT host-based name ${service}@<host> → ${service}/<host>@REALM`;
  }
}

/** The host as MIT's client side writes it: no port, no trailing dot, lower case (each change a step). */
function clientHost(written: string, steps: string[]): string {
  const shape = hostShape(written);
  if (shape.port) steps.push(`"${shape.port}" dropped: MIT host-based names carry no port`);
  if (shape.trailingDot) steps.push('trailing dot dropped, as MIT does');
  const host = shape.isAddress ? shape.bare : shape.bare.toLowerCase();
  if (host !== shape.bare) steps.push(`lower-cased to "${host}", as MIT does for the host of a host-based name`);
  return host;
}

/** What a client with MIT's default krb5.conf would ask for instead, when that differs. */
async function mitDefaultsStep(service: string, host: string, resolver: HostResolver): Promise<string> {
  const mitSteps: string[] = [];
  const canonical = await mitHost(host, MIT_NAME_DEFAULTS, resolver, mitSteps);
  const how = mitSteps.map((s) => s.replace(/ \(MIT default\)/g, '')).join('; ');
  if (canonical === host) return `with MIT's defaults (dns_canonicalize_hostname = true, rdns = true) clients still ask for ${service}/${host}: ${how}`;
  return `with MIT's defaults (dns_canonicalize_hostname = true, rdns = true) clients ask for ${service}/${canonical} instead: ${how} — register that SPN too, or set dns_canonicalize_hostname = false and rdns = false in the clients' krb5.conf`;
}

async function hostBasedSpn(input: SpnBuildInput, product: HostBasedProduct, service: string, written: string, deps: BuildDeps, useDns: boolean): Promise<SpnCandidate> {
  const steps = [introStep(product, service, input.service === undefined)];
  const host = clientHost(written, steps);
  const spn = formatSpn(service, host, input.realm);
  steps.push(`${service}/${host} in realm ${input.realm} → ${spn}`);
  if (useDns && host) steps.push(await mitDefaultsStep(service, host, deps.resolver));
  const { problems } = validateSpn(spn, product);
  return { spn, for: `${FOR[product]} ${written}`, valid: problems.length === 0, problems, steps };
}

/** Every SPN the product's clients ask for on these hosts, with what DNS says about each host. */
export async function buildSpns(input: SpnBuildInput, deps: BuildDeps): Promise<SpnBuildResult> {
  const hosts = hostsOf(input);
  const useDns = input.dns !== false;
  const { product } = input;
  let spns: SpnCandidate[];
  if (product === 'hazelcast') {
    if (!hosts.length && !input.hazelcast?.spn) throw new BenchFailure('name at least one member address (hz/<address>@REALM), or a static spn shared by every member');
    spns = await hazelcastSpns(input, hosts, useDns, deps.resolver);
  } else {
    const service = input.service ?? DEFAULT_SERVICE[product];
    if (!service) throw new BenchFailure('a generic SPN needs its service: service/host@REALM (e.g. --service host, ldap, imap)');
    if (!hosts.length) throw new BenchFailure(`name at least one ${product === 'elasticsearch' ? 'node' : 'host'} to build ${service}/<host>@${input.realm} for`);
    spns = [];
    for (const host of hosts) spns.push(await hostBasedSpn(input, product, service, host, deps, useDns));
  }
  const dns = useDns ? await Promise.all(hosts.map((h) => deps.lookup(h))) : [];
  return { product, spns, dns };
}
