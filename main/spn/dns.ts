/**
 * What DNS says about a host an SPN names: forward (getaddrinfo through dns.lookup, so /etc/hosts
 * counts, as it does for MIT and Java), the CNAME target (a DNS query) or else the canonical name
 * getaddrinfo(AI_CANONNAME) reports, and each address's reverse names — the PTR records (a DNS
 * query) plus getnameinfo's answer (/etc/hosts first), because MIT's rdns and Java's
 * getCanonicalHostName use getnameinfo. Every step is time-boxed; failures come back as text.
 */
import { promises as dns } from 'node:dns';
import net from 'node:net';
import type { DnsLookup } from '../api/export';
import type { HostResolver } from '../http/spn';
import { hostShape } from './principal';

export const DNS_TIMEOUT_MS = 3_000;
/** A host with dozens of addresses (a round-robin name) gets its first few reverse-looked-up. */
const MAX_REVERSE = 8;

/** The promise, or a rejection saying which lookup gave no answer in time. */
function timeBoxed<T>(what: string, promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000} s`)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** ENODATA / ENOTFOUND for a CNAME query just mean "no alias". */
const noRecord = (error: unknown): boolean => ['ENODATA', 'ENOTFOUND', 'NOTFOUND'].includes((error as NodeJS.ErrnoException).code ?? '');

async function canonicalOf(host: string, resolver: dns.Resolver, system: HostResolver | undefined, ms: number): Promise<string | undefined> {
  try {
    const targets = await timeBoxed(`CNAME ${host}`, resolver.resolveCname(host), ms);
    if (targets[0]) return targets[0];
  } catch (error) {
    if (!noRecord(error)) return undefined;
  }
  const found = system ? await timeBoxed(`getaddrinfo ${host}`, system.forward(host), ms).catch(() => undefined) : undefined;
  return found && found.canonical.toLowerCase() !== host.toLowerCase() ? found.canonical : undefined;
}

async function reverseOf(address: string, resolver: dns.Resolver, ms: number): Promise<DnsLookup['reverse'][number]> {
  const names: string[] = [];
  const errors: string[] = [];
  await timeBoxed(`PTR ${address}`, resolver.reverse(address), ms).then(
    (found) => names.push(...found),
    (error: unknown) => errors.push(`PTR: ${errorText(error)}`),
  );
  await timeBoxed(`getnameinfo ${address}`, dns.lookupService(address, 0), ms).then(
    (found) => {
      if (found.hostname && found.hostname !== address && !names.includes(found.hostname)) names.unshift(found.hostname);
    },
    (error: unknown) => errors.push(`getnameinfo: ${errorText(error)}`),
  );
  return { address, names, ...(names.length ? {} : { error: errors.join('; ') || 'no reverse name' }) };
}

/**
 * Forward and reverse lookups for `host` (a port or a trailing dot is dropped first). `system`,
 * when given, supplies getaddrinfo's canonical name for names DNS has no CNAME for (/etc/hosts aliases).
 */
export async function lookupDns(host: string, options: { system?: HostResolver; timeoutMs?: number } = {}): Promise<DnsLookup> {
  const ms = options.timeoutMs ?? DNS_TIMEOUT_MS;
  const name = hostShape(host).bare;
  const resolver = new dns.Resolver({ timeout: ms, tries: 1 });
  let addresses: string[];
  if (net.isIP(name)) addresses = [name];
  else {
    try {
      addresses = [...new Set((await timeBoxed(`getaddrinfo ${name}`, dns.lookup(name, { all: true, verbatim: true }), ms)).map((a) => a.address))];
    } catch (error) {
      return { host, addresses: [], reverse: [], error: errorText(error) };
    }
  }
  const canonical = net.isIP(name) ? undefined : await canonicalOf(name, resolver, options.system, ms);
  const reverse = await Promise.all(addresses.slice(0, MAX_REVERSE).map((a) => reverseOf(a, resolver, ms)));
  return { host, addresses, ...(canonical ? { canonical } : {}), reverse };
}
