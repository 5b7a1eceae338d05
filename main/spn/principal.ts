/**
 * A service principal name as users write it: "service/host@REALM" (a Kerberos principal, RFC 4120
 * §6.2: components split by unescaped "/", the realm after the first unescaped "@"), and the GSS
 * host-based form "service@host" (RFC 2743 §4.1) people often paste instead. Pure: what a host or a
 * realm looks like (an IP address, a port, a trailing dot, case), never what DNS says about it.
 */
import net from 'node:net';
import { parsePrincipal } from '../krb/names';

export interface SpnParts {
  service: string;
  host: string;
  realm: string | null;
}

export interface ParsedSpn {
  text: string;
  /** The name components before the realm ("HTTP", "es1.example.com"). */
  components: string[];
  /** After the first unescaped "@"; null when there is none. */
  realm: string | null;
  /** More than one unescaped "@" ("hz/x@R@R": a realm appended twice). */
  extraAt: boolean;
  /** service, host, realm when the name has exactly two components; null otherwise. */
  parts: SpnParts | null;
}

/** The unescaped "@" positions (MIT's krb5_parse_name honours "\@"). */
function atSigns(text: string): number[] {
  const found: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '@') found.push(i);
  }
  return found;
}

export function parseSpn(text: string): ParsedSpn {
  const ats = atSigns(text);
  const parsed = parsePrincipal(text);
  const realm = ats.length ? parsed.realm : null;
  const { components } = parsed;
  const parts = components.length === 2 ? { service: components[0]!, host: components[1]!, realm } : null;
  return { text, components, realm, extraAt: ats.length > 1, parts };
}

/** "HTTP@es1.example.com": one component and a "realm" that reads like a host (lower case, or an address). */
export function looksHostBased(spn: ParsedSpn): boolean {
  return spn.components.length === 1 && spn.realm !== null && spn.realm !== '' && (/[a-z]/.test(spn.realm) || net.isIP(spn.realm) !== 0);
}

export interface HostShape {
  /** Without a port and a trailing dot. */
  bare: string;
  /** ":9200" as written, when there is one (never for an IPv6 address without brackets). */
  port?: string;
  trailingDot: boolean;
  isAddress: boolean;
  hasUpperCase: boolean;
  /** Characters no host name has: "_", spaces, "/", "@" … */
  oddCharacters: string[];
}

/** What a host as written looks like: "Es1.Example.com.:9200" → bare "Es1.Example.com", port ":9200", trailing dot. */
export function hostShape(host: string): HostShape {
  let rest = host.trim();
  let port: string | undefined;
  const bracketed = /^\[([^\]]+)\](:\d+)?$/.exec(rest);
  if (bracketed) {
    rest = bracketed[1]!;
    port = bracketed[2];
  } else if (net.isIP(rest) !== 6) {
    const withPort = /^(.*?)(:\d+)$/.exec(rest);
    if (withPort) [rest, port] = [withPort[1]!, withPort[2]];
  }
  const trailingDot = rest.length > 1 && rest.endsWith('.');
  const bare = trailingDot ? rest.slice(0, -1) : rest;
  const isAddress = net.isIP(bare) !== 0;
  const odd = isAddress ? [] : [...new Set(bare.replace(/[A-Za-z0-9.-]/g, '').split(''))];
  return { bare, ...(port ? { port } : {}), trailingDot, isAddress, hasUpperCase: /[A-Z]/.test(bare), oddCharacters: odd };
}

/** Realms are case-sensitive; by convention (and always in Active Directory) upper case. */
export function realmHasLowerCase(realm: string): boolean {
  return /[a-z]/.test(realm);
}

export function formatSpn(service: string, host: string, realm: string | null): string {
  return `${service}/${host}${realm === null ? '' : `@${realm}`}`;
}
