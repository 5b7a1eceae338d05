/**
 * Check 2: realm → KDC addresses, the way MIT's locate_kdc finds them: `kdc =` lines in [realms]
 * first; only when there are none and dns_lookup_kdc allows it, DNS SRV records
 * _kerberos._udp.REALM and _kerberos._tcp.REALM.
 */
import dns from 'node:dns';
import net from 'node:net';
import type { Krb5Settings } from './settings';
import { errorText, withTimeout } from './types';

export type Transport = 'udp' | 'tcp';

export interface KdcEndpoint {
  host: string;
  port: number;
  /** Which transports MIT would use for it ("tcp/host" and SRV _tcp restrict it). */
  transports: Transport[];
  /** Where it came from: "krb5.conf:12" or "DNS SRV _kerberos._udp.REALM". */
  source: string;
  /** The configuration text, for evidence: "kdc = 127.0.0.1:88". */
  text: string;
}

export interface KdcLocation {
  realm: string;
  endpoints: KdcEndpoint[];
  /** Every place looked, in order, with what it gave. */
  tried: string[];
  /** KKDCP (https://) entries MIT would use, which this check does not probe. */
  skipped: string[];
  dnsLookupKdc: { value: boolean; where?: string };
}

export const KERBEROS_PORT = 88;

/**
 * One `kdc =` value: "host", "host:port", "[v6]:port", a bare IPv6 address, optionally prefixed
 * "tcp/" or "udp/" (MIT 1.13+). Returns null for KKDCP URLs and for text that is no address.
 */
export function parseKdcValue(value: string): { host: string; port: number; transports: Transport[] } | null {
  let text = value.trim();
  let transports: Transport[] = ['udp', 'tcp'];
  const prefix = /^(tcp|udp)\//i.exec(text);
  if (prefix) {
    transports = [prefix[1]!.toLowerCase() as Transport];
    text = text.slice(prefix[0].length);
  }
  if (/^https?:\/\//i.test(text) || text === '') return null;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) return withPort(bracketed[1]!, bracketed[2], transports);
  if (net.isIPv6(text)) return { host: text, port: KERBEROS_PORT, transports };
  const hostPort = /^([^:\s]+)(?::(\d+))?$/.exec(text);
  return hostPort ? withPort(hostPort[1]!, hostPort[2], transports) : null;
}

function withPort(host: string, port: string | undefined, transports: Transport[]) {
  const number = port === undefined ? KERBEROS_PORT : Number(port);
  return number > 0 && number < 65536 ? { host, port: number, transports } : null;
}

/** SRV answers → endpoints, in RFC 2782 order (priority ascending, then weight descending). */
export function srvEndpoints(records: dns.SrvRecord[], transport: Transport, owner: string): KdcEndpoint[] {
  // A single "." target means "no service here" (RFC 2782).
  return [...records]
    .filter((r) => r.name && r.name !== '.')
    .sort((a, b) => a.priority - b.priority || b.weight - a.weight)
    .map((r) => ({ host: r.name.replace(/\.$/, ''), port: r.port, transports: [transport], source: `DNS SRV ${owner}`, text: `${owner} SRV ${r.priority} ${r.weight} ${r.port} ${r.name}` }));
}

export async function locateKdcs(realm: string, settings: Krb5Settings, timeoutMs: number): Promise<KdcLocation> {
  const dnsLookupKdc = settings.flag('dns_lookup_kdc', true);
  const location: KdcLocation = { realm, endpoints: [], tried: [], skipped: [], dnsLookupKdc };
  const lines = settings.realmValues(realm, 'kdc');
  for (const line of lines) {
    const parsed = parseKdcValue(line.value);
    if (parsed) location.endpoints.push({ ...parsed, source: line.where, text: `kdc = ${line.value}` });
    else location.skipped.push(`${line.where}: kdc = ${line.value} (${/^https?:/i.test(line.value) ? 'MS-KKDCP over HTTPS, not probed' : 'not a host[:port]'})`);
  }
  location.tried.push(lines.length ? `[realms] ${realm} kdc: ${lines.map((l) => `${l.value} (${l.where})`).join(', ')}` : `[realms] ${realm} has no kdc line`);
  if (lines.length > 0) return location;
  if (!dnsLookupKdc.value) {
    location.tried.push(`DNS SRV not tried: dns_lookup_kdc = false${dnsLookupKdc.where ? ` (${dnsLookupKdc.where})` : ''}`);
    return location;
  }
  for (const transport of ['udp', 'tcp'] as const) {
    const owner = `_kerberos._${transport}.${realm}`;
    const answer = await resolveSrv(owner, timeoutMs);
    location.tried.push(`DNS SRV ${owner}: ${'error' in answer ? answer.error : answer.records.map((r) => `${r.name}:${r.port}`).join(', ') || 'no records'}`);
    if ('records' in answer) location.endpoints.push(...srvEndpoints(answer.records, transport, owner));
  }
  return location;
}

/** c-ares with one try and our own timeout: a dead resolver must not stall the report. */
async function resolveSrv(owner: string, timeoutMs: number): Promise<{ records: dns.SrvRecord[] } | { error: string }> {
  const resolver = new dns.promises.Resolver({ timeout: timeoutMs, tries: 1 });
  const lookup = resolver.resolveSrv(owner).then(
    (records) => ({ records }),
    (error: unknown) => ({ error: errorText(error) }),
  );
  return withTimeout(lookup, timeoutMs + 100, () => {
    resolver.cancel();
    return { error: `no answer within ${timeoutMs} ms` };
  });
}

export interface ResolvedHost {
  addresses: { address: string; family: number }[];
  error?: string;
}

/** getaddrinfo (what MIT uses, /etc/hosts included), bounded by `timeoutMs`. */
export async function resolveHost(host: string, timeoutMs: number): Promise<ResolvedHost> {
  if (net.isIP(host)) return { addresses: [{ address: host, family: net.isIP(host) }] };
  const lookup = dns.promises.lookup(host, { all: true }).then(
    (addresses) => ({ addresses }),
    (error: unknown) => ({ addresses: [], error: errorText(error) }),
  );
  return withTimeout(lookup, timeoutMs, () => ({ addresses: [], error: `no answer within ${timeoutMs} ms` }));
}
