/**
 * Checks 2 and 3: where the realm's KDCs are, and whether each answers a real AS-REQ over UDP
 * and TCP. A KRB-ERROR or AS-REP back proves a KDC (a port that merely accepts a connection
 * proves nothing); its stime feeds the clock-skew check.
 */
import net from 'node:net';
import { buildProbeAsReq, readKdcReply, type KdcReply } from './as-req';
import { EnvFindingId } from './catalog-map';
import { kdcClockOffset, type ClockWitness } from './clock';
import { locateKdcs, resolveHost, type KdcEndpoint, type KdcLocation, type ResolvedHost, type Transport } from './kdc-locate';
import type { Krb5Settings } from './settings';
import { tcpExchange, udpExchange } from './transport';
import { measure, type Collector, type FindingEvidence } from './types';

/** MIT tries every KDC; three are plenty to tell "down" from "one bad entry" within the time budget. */
const MAX_ENDPOINTS = 3;

export interface ProbeOutcome {
  endpoint: KdcEndpoint;
  transport: Transport;
  address?: string;
  latencyMs?: number;
  reply?: KdcReply;
  error?: string;
  /** From the KRB-ERROR's stime: how far the KDC's clock is ahead of ours. */
  clockOffsetSeconds?: number;
  /** Our wall clock when the reply arrived. */
  receivedWall?: number;
}

export interface RealmReachability {
  realm: string;
  /** A KDC of this realm answered on at least one transport. */
  reachable: boolean;
  probes: ProbeOutcome[];
  clock: ClockWitness[];
}

const answered = (p: ProbeOutcome) => p.reply !== undefined && p.reply.kind !== 'other';

export interface KdcCheckContext {
  settings: Krb5Settings;
  /** The krb5.conf a fix should edit. */
  mainFile: string;
  timeoutMs: number;
}

export async function checkRealmKdcs(realm: string, context: KdcCheckContext, out: Collector): Promise<RealmReachability> {
  const { settings, timeoutMs } = context;
  const result: RealmReachability = { realm, reachable: false, probes: [], clock: [] };
  let location: KdcLocation | undefined;
  await out.run(`kdc-locate:${realm}`, async () => {
    location = await locateKdcs(realm, settings, timeoutMs);
    return locationOutcome(location, context, out);
  });
  if (!location?.endpoints.length) return result;
  const endpoints = location.endpoints.slice(0, MAX_ENDPOINTS);
  const perEndpoint = await Promise.all(endpoints.map((endpoint) => probeEndpoint(endpoint, realm, timeoutMs, out)));
  result.probes = perEndpoint.flat();
  result.reachable = result.probes.some((p) => answered(p) && replyRealm(p.reply) === realm);
  result.clock = result.probes.flatMap((p) => clockWitness(p));
  reachabilityFindings(result, endpoints, out);
  return result;
}

function locationOutcome(location: KdcLocation, context: KdcCheckContext, out: Collector) {
  const { settings } = context;
  const admin = settings.realmValues(location.realm, 'admin_server').map((a) => `admin_server = ${a.value} (${a.where})`);
  const detail = [...location.tried, ...location.skipped, ...admin].join('; ');
  if (location.endpoints.length) {
    const kdcs = location.endpoints.map((e) => `${e.host}:${e.port} [${e.transports.join('+')}]`).join(', ');
    return { ok: true, detail: `${kdcs} — ${detail}`, measured: [measure('KDCs', kdcs, undefined, location.endpoints[0]!.source)] };
  }
  realmNoKdcFinding(location, context, out);
  return { ok: false, detail: `no KDC for ${location.realm}: ${detail}` };
}

function realmNoKdcFinding(location: KdcLocation, context: KdcCheckContext, out: Collector): void {
  const realm = location.realm;
  const known = context.settings.realms();
  const block = known.includes(realm) ? `the [realms] ${realm} block has no kdc line` : `krb5.conf has no [realms] block for ${realm}${known.length ? ` (it has ${known.join(', ')})` : ''}`;
  const dnsPart = location.dnsLookupKdc.value
    ? 'and DNS has no _kerberos SRV records for it'
    : `and dns_lookup_kdc = false${location.dnsLookupKdc.where ? ` (${location.dnsLookupKdc.where})` : ''} forbids looking in DNS`;
  out.finding({
    id: EnvFindingId.realmNoKdc,
    title: `No KDC known for realm ${realm}`,
    confidence: 0.9,
    cause: `${block}, ${dnsPart}: MIT fails with 'Cannot find KDC for realm "${realm}"'.`,
    fix: `Add a kdc line for ${realm} under [realms] (or publish _kerberos._udp/_tcp.${realm} SRV records and set dns_lookup_kdc = true).`,
    commands: [`printf '\\n[realms]\\n  ${realm} = {\\n    kdc = KDC-HOST:88\\n  }\\n' >> ${context.mainFile}`, `dig +short SRV _kerberos._udp.${realm}`],
    evidence: [...location.tried, ...location.skipped].map((text) => ({ source: 'KDC lookup', text })),
  });
}

async function probeEndpoint(endpoint: KdcEndpoint, realm: string, timeoutMs: number, out: Collector): Promise<ProbeOutcome[]> {
  const resolved = net.isIP(endpoint.host) ? { addresses: [{ address: endpoint.host, family: net.isIP(endpoint.host) }] } : await resolveKdcHost(endpoint, timeoutMs, out);
  const address = resolved.addresses[0]?.address;
  if (!address) {
    unresolvableFinding(endpoint, realm, resolved.error ?? 'no addresses', out);
    return endpoint.transports.map((transport) => ({ endpoint, transport, error: `${endpoint.host} does not resolve` }));
  }
  return Promise.all(endpoint.transports.map((transport) => probeTransport(endpoint, transport, address, realm, timeoutMs, out)));
}

async function resolveKdcHost(endpoint: KdcEndpoint, timeoutMs: number, out: Collector): Promise<ResolvedHost> {
  let resolved: ResolvedHost = { addresses: [] };
  await out.run(`kdc-resolve:${endpoint.host}`, async () => {
    resolved = await resolveHost(endpoint.host, timeoutMs);
    const addresses = resolved.addresses.map((a) => a.address).join(', ');
    if (addresses) return { ok: true, detail: `${endpoint.host} → ${addresses} (${endpoint.source})`, measured: [measure('addresses', addresses, undefined, endpoint.host)] };
    return { ok: false, detail: `${endpoint.host} does not resolve: ${resolved.error ?? 'no addresses'}` };
  });
  return resolved;
}

function unresolvableFinding(endpoint: KdcEndpoint, realm: string, error: string, out: Collector): void {
  out.finding({
    id: EnvFindingId.kdcHostUnresolvable,
    title: `KDC host ${endpoint.host} does not resolve`,
    confidence: 0.85,
    cause: `${endpoint.source} names ${endpoint.host} as a KDC of ${realm}, but looking it up fails (${error}): MIT says "Cannot resolve network address for KDC in realm".`,
    fix: `Fix the name in krb5.conf or make ${endpoint.host} resolvable (DNS or /etc/hosts).`,
    commands: [`getent ahosts ${endpoint.host}`],
    evidence: [
      { source: endpoint.source, text: endpoint.text },
      { source: 'getaddrinfo', text: error },
    ],
  });
}

async function probeTransport(endpoint: KdcEndpoint, transport: Transport, address: string, realm: string, timeoutMs: number, out: Collector): Promise<ProbeOutcome> {
  const outcome: ProbeOutcome = { endpoint, transport, address };
  await out.run(`kdc-${transport}:${endpoint.host}:${endpoint.port}`, async () => {
    const request = buildProbeAsReq(realm);
    const exchange = await (transport === 'udp' ? udpExchange : tcpExchange)(address, endpoint.port, request.bytes, timeoutMs);
    outcome.latencyMs = Math.round((exchange.receivedAt - exchange.sentAt) * 100) / 100;
    if (exchange.error || !exchange.reply) {
      outcome.error = exchange.error ?? 'no reply';
      return { ok: false, detail: `${address}:${endpoint.port} over ${transport.toUpperCase()}: ${outcome.error}` };
    }
    outcome.reply = readKdcReply(exchange.reply);
    outcome.receivedWall = exchange.receivedWall;
    if (outcome.reply.kind === 'KRB-ERROR') outcome.clockOffsetSeconds = kdcClockOffset(outcome.reply.stime, outcome.reply.susec, exchange.sentWall, exchange.receivedWall);
    const measured = [measure('round trip', outcome.latencyMs, 'ms', `${transport.toUpperCase()} ${address}:${endpoint.port}`), measure('reply', replyName(outcome.reply))];
    return { ok: answered(outcome) && replyRealm(outcome.reply) === realm, detail: `${address}:${endpoint.port} over ${transport.toUpperCase()}: ${describeReply(outcome.reply)} in ${outcome.latencyMs} ms`, measured };
  });
  return outcome;
}

function replyRealm(reply: KdcReply | undefined): string | undefined {
  if (!reply || reply.kind === 'other') return undefined;
  // 68 KDC_ERR_WRONG_REALM: a KDC, but not one of this realm.
  if (reply.kind === 'KRB-ERROR' && reply.errorCode === 68) return undefined;
  return reply.realm;
}

/** The reply in two words: "KRB-ERROR KDC_ERR_C_PRINCIPAL_UNKNOWN", "AS-REP", "not a KDC reply". */
function replyName(reply: KdcReply): string {
  if (reply.kind === 'KRB-ERROR') return `KRB-ERROR ${reply.errorName} (realm ${reply.realm})`;
  return reply.kind === 'AS-REP' ? `AS-REP (realm ${reply.realm})` : 'not a KDC reply';
}

export function describeReply(reply: KdcReply): string {
  if (reply.kind === 'other') return reply.description;
  if (reply.kind === 'AS-REP') return `AS-REP for realm ${reply.realm}`;
  return `KRB-ERROR ${reply.errorName} from realm ${reply.realm}${reply.eText ? ` ("${reply.eText}")` : ''}, KDC time ${reply.stime.toISOString()}`;
}

function clockWitness(probe: ProbeOutcome): ClockWitness[] {
  const offset = probe.clockOffsetSeconds;
  if (offset === undefined || probe.reply?.kind !== 'KRB-ERROR') return [];
  const source = `KRB-ERROR from ${probe.address}:${probe.endpoint.port} (${probe.transport.toUpperCase()})`;
  return [{ offsetSeconds: offset, source, text: `stime ${probe.reply.stime.toISOString()} susec ${probe.reply.susec}, local time ${new Date(probe.receivedWall ?? Date.now()).toISOString()} at receipt` }];
}

function reachabilityFindings(result: RealmReachability, endpoints: KdcEndpoint[], out: Collector): void {
  const { realm, probes } = result;
  const tried = probes.filter((p) => p.address);
  if (tried.length === 0) return; // every host failed to resolve: that finding is already there
  const evidence: FindingEvidence[] = [
    ...endpoints.map((e) => ({ source: e.source, text: e.text })),
    ...probes.map((p) => ({ source: `${p.transport.toUpperCase()} ${p.address ?? p.endpoint.host}:${p.endpoint.port}`, text: p.reply ? describeReply(p.reply) : (p.error ?? 'no reply') })),
  ];
  const wrongRealm = probes.filter((p) => answered(p) && replyRealm(p.reply) !== realm);
  if (wrongRealm.length && !result.reachable) return wrongRealmFinding(realm, wrongRealm, evidence, out);
  if (!result.reachable) return unreachableFinding(realm, tried, evidence, out);
  for (const transport of ['udp', 'tcp'] as const) {
    const onTransport = tried.filter((p) => p.transport === transport);
    if (onTransport.length && !onTransport.some(answered)) oneTransportFinding(realm, transport, onTransport, evidence, out);
  }
}

function unreachableFinding(realm: string, tried: ProbeOutcome[], evidence: FindingEvidence[], out: Collector): void {
  const transports = [...new Set(tried.map((p) => p.transport.toUpperCase()))].join(' and ');
  const failures = tried.map((p) => `${p.transport.toUpperCase()} ${p.address}:${p.endpoint.port}: ${p.reply ? describeReply(p.reply) : p.error}`);
  const first = tried[0]!;
  out.finding({
    id: EnvFindingId.kdcUnreachable,
    title: `No KDC of ${realm} answers`,
    confidence: 0.9,
    cause: `An AS-REQ to every KDC configured for ${realm} got no Kerberos reply over ${transports} (${failures.join('; ')}): MIT says "Cannot contact any KDC for realm '${realm}'", EMQX "Resource temporarily unavailable". The KDC is down, listens elsewhere, or port ${first.endpoint.port} is blocked.`,
    fix: `Start the KDC (or fix host/port in krb5.conf) and open port ${first.endpoint.port} for UDP and TCP between this host and the KDC.`,
    commands: [`sudo systemctl status krb5-kdc`, `nc -vz ${first.address} ${first.endpoint.port}`, `nc -vzu ${first.address} ${first.endpoint.port}`],
    evidence,
  });
}

function oneTransportFinding(realm: string, transport: Transport, failed: ProbeOutcome[], evidence: FindingEvidence[], out: Collector): void {
  const other = transport === 'udp' ? 'TCP' : 'UDP';
  const first = failed[0]!;
  out.finding({
    id: transport === 'udp' ? EnvFindingId.kdcUdpUnreachable : EnvFindingId.kdcTcpUnreachable,
    title: `The KDC of ${realm} answers over ${other} only`,
    confidence: 0.4,
    cause:
      transport === 'udp'
        ? `UDP to ${first.address}:${first.endpoint.port} fails (${first.error ?? 'no Kerberos reply'}) while TCP works: MIT falls back to TCP after a UDP timeout per KDC (slow), Java may not.`
        : `TCP to ${first.address}:${first.endpoint.port} fails (${first.error ?? 'no Kerberos reply'}) while UDP works: replies too big for UDP (large PACs, "Response too big for UDP") then cannot be fetched.`,
    fix: transport === 'udp' ? 'Open UDP port 88, or make clients use TCP: udp_preference_limit = 1 in [libdefaults].' : 'Open TCP port 88 between clients and the KDC.',
    commands: [`nc -vz${transport === 'udp' ? 'u' : ''} ${first.address} ${first.endpoint.port}`],
    evidence,
  });
}

function wrongRealmFinding(realm: string, probes: ProbeOutcome[], evidence: FindingEvidence[], out: Collector): void {
  out.finding({
    id: EnvFindingId.kdcWrongRealm,
    title: `The KDC configured for ${realm} serves another realm`,
    confidence: 0.75,
    cause: `A KDC answers at ${probes[0]!.address}:${probes[0]!.endpoint.port}, but not for ${realm} (${describeReply(probes[0]!.reply!)}): "Realm not local to KDC".`,
    fix: `Point the kdc lines of ${realm} at a KDC of ${realm}, and check the realm name's spelling and case.`,
    evidence,
  });
}
