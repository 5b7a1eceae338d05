/**
 * The SPN a Hazelcast member asks for when it joins another (KerberosCredentialsFactory,
 * Hazelcast 5): a static <spn> when set — with <service-name-prefix> as well Hazelcast refuses the
 * configuration — else <service-name-prefix> (default "hz/") + the member's host (Address.getHost():
 * no port), the host replaced by InetAddress.getByName(host).getCanonicalHostName() with
 * <use-canonical-hostname>; then "@" + <realm> when the identity's realm is set. The name goes to
 * GSSManager.createName(name, null) as written: no lower-casing, no MIT canonicalisation.
 */
import type { SpnBuildInput, SpnCandidate } from '../api/export';
import type { HostResolver } from '../http/spn';
import { hostShape } from './principal';
import { validateSpn } from './validate';

export const HAZELCAST_DEFAULT_PREFIX = 'hz/';

/** Hazelcast's InvalidConfigurationException text for <spn> together with <service-name-prefix>. */
export const HAZELCAST_SPN_AND_PREFIX = 'Service name must not be configured together with the service name prefix.';

/** Java's getCanonicalHostName(): the reverse name of the host's address, else the address itself. */
async function javaCanonicalHost(host: string, resolver: HostResolver, steps: string[]): Promise<string> {
  const found = await resolver.forward(host);
  if (!found) {
    steps.push(`use-canonical-hostname: InetAddress.getByName("${host}") fails (UnknownHostException), so Hazelcast keeps "${host}"`);
    return host;
  }
  const name = await resolver.reverse(found.address);
  if (!name) {
    steps.push(`use-canonical-hostname: ${host} → ${found.address} has no reverse name, so getCanonicalHostName() returns the address "${found.address}"`);
    return found.address;
  }
  steps.push(`use-canonical-hostname: InetAddress.getByName("${host}") → ${found.address}, getCanonicalHostName() (reverse lookup, confirmed forward by Java) → "${name}"`);
  return name;
}

function candidate(spn: string, forWhom: string, steps: string[], extra: string[] = []): SpnCandidate {
  const { problems } = validateSpn(spn, 'hazelcast');
  const all = [...extra, ...problems];
  return { spn, for: forWhom, valid: all.length === 0, problems: all, steps };
}

function staticSpn(input: SpnBuildInput, spn: string): SpnCandidate {
  const hz = input.hazelcast ?? {};
  const steps = [`static <spn> "${spn}": every member asks for this one name (all members share one Kerberos identity)`];
  const extra = hz.prefix !== undefined ? [`Hazelcast refuses the configuration: "${HAZELCAST_SPN_AND_PREFIX}" — drop <service-name-prefix> or <spn>`] : [];
  if (hz.useCanonicalHostname) steps.push('use-canonical-hostname has no effect with a static <spn>');
  let full = spn;
  if (spn.includes('@')) steps.push(`the spn already names a realm: leave <realm> out of the identity (Hazelcast would append "@${input.realm}" again)`);
  else {
    full = `${spn}@${input.realm}`;
    steps.push(`<realm> ${input.realm}: Hazelcast appends "@${input.realm}" → ${full}`);
  }
  return candidate(full, 'every member', steps, extra);
}

async function memberSpn(input: SpnBuildInput, member: string, useDns: boolean, resolver: HostResolver): Promise<SpnCandidate> {
  const hz = input.hazelcast ?? {};
  const prefix = hz.prefix ?? HAZELCAST_DEFAULT_PREFIX;
  const steps = [`<service-name-prefix> "${prefix}"${hz.prefix === undefined ? ' (the default)' : ''}`];
  const shape = hostShape(member);
  let host = shape.bare;
  if (shape.port) steps.push(`"${shape.port}" dropped: Hazelcast takes the member's host (Address.getHost()), never the port`);
  if (shape.trailingDot) host = `${host}.`;
  if (hz.useCanonicalHostname) {
    if (useDns) host = await javaCanonicalHost(host, resolver, steps);
    else steps.push(`use-canonical-hostname: DNS lookups are off, "${host}" as written (Hazelcast would use its canonical host name)`);
  } else steps.push(`the member address "${host}" as written (Hazelcast's default: no DNS, an IP address stays an IP address)`);
  const spn = `${prefix}${host}@${input.realm}`;
  steps.push(`[service-name-prefix][member address]@[realm] → ${spn} (Java uses it as written: no lower-casing)`);
  return candidate(spn, `member ${member}`, steps);
}

/** One candidate per member, or one for every member with a static <spn>. */
export async function hazelcastSpns(input: SpnBuildInput, members: readonly string[], useDns: boolean, resolver: HostResolver): Promise<SpnCandidate[]> {
  if (input.hazelcast?.spn) return [staticSpn(input, input.hazelcast.spn)];
  const out: SpnCandidate[] = [];
  for (const member of members) out.push(await memberSpn(input, member, useDns, resolver));
  return out;
}
