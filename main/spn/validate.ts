/**
 * Is this SPN one the product can use, and one its clients will ask for? Each problem is said in
 * the product's own words:
 *   EMQX           its schema (emqx_authn_kerberos_schema validate_principal) accepts only
 *                  ^([a-zA-Z0-9._-]+)/([a-zA-Z0-9.-]+)(?:@([A-Z0-9.-]+))?$ and refuses anything else
 *                  with `invalid_server_principal_string`; newer releases then read the FQDN with
 *                  "^…/…@" (get_server_fqdn), so a principal without "@REALM" passes the schema
 *                  but fails at the first authentication. kbench's broker refuses it outright.
 *   HTTP / ES      browsers, curl and Java ask for "HTTP/<host of the URL>": upper-case HTTP, no port
 *                  (Chromium only with --enable-auth-negotiate-port), the host lower-cased, a trailing
 *                  dot dropped, and MIT canonicalises the host (an IP becomes its reverse-DNS name).
 *   Hazelcast      KerberosCredentialsFactory builds serviceNamePrefix + Address.getHost() (+ "@" +
 *                  realm when set) and hands it to Java's GSSManager.createName(name, null): a plain
 *                  principal name, used as written — an IP address is its default form.
 */
import type { SpnProduct, SpnValidation } from '../api/export';
import { hostShape, looksHostBased, parseSpn, realmHasLowerCase, type ParsedSpn, type SpnParts } from './principal';
import { EMQX_PRINCIPAL_PATTERN } from '../broker/kerberos-authenticators';

/** EMQX's own pattern (emqx_authn_kerberos_schema.erl validate_principal/1): the broker refuses what it refuses. */
export { EMQX_PRINCIPAL_PATTERN };

const INVALID = 'invalid_server_principal_string';

/** Why EMQX's pattern refuses it, one reason per part. */
function emqxReasons(spn: ParsedSpn): string[] {
  const reasons: string[] = [];
  const parts = spn.parts;
  if (!parts) return [`${INVALID}: "${spn.text}" is not service/SERVER-FQDN@REALM.NAME (EMQX wants exactly one "/", e.g. mqtt/broker.example.com@EXAMPLE.COM)`];
  if (!/^[a-zA-Z0-9._-]+$/.test(parts.service)) reasons.push(`${INVALID}: the service "${parts.service}" may hold only letters, digits, ".", "_" and "-"`);
  const host = hostShape(parts.host);
  if (host.port) reasons.push(`${INVALID}: "${host.port}" is a port — EMQX's host part allows only letters, digits, "." and "-" (leave the port out)`);
  if (!host.isAddress && !/^[a-zA-Z0-9.-]*$/.test(host.bare)) reasons.push(`${INVALID}: the host "${host.bare}" may hold only letters, digits, "." and "-" (not ${host.oddCharacters.map((c) => `"${c}"`).join(', ')})`);
  else if (host.isAddress && host.bare.includes(':')) reasons.push(`${INVALID}: the IPv6 address "${host.bare}" has ":" — EMQX's host part allows only letters, digits, "." and "-"`);
  if (parts.realm !== null && realmHasLowerCase(parts.realm)) reasons.push(`${INVALID}: the realm "${parts.realm}" has lower-case letters — EMQX allows only A-Z, 0-9, "." and "-" there (write @${parts.realm.toUpperCase()})`);
  else if (parts.realm !== null && !/^[A-Z0-9.-]+$/.test(parts.realm)) reasons.push(`${INVALID}: the realm "${parts.realm}" may hold only A-Z, 0-9, "." and "-"`);
  if (spn.extraAt) reasons.push(`${INVALID}: more than one "@"`);
  return reasons.length ? reasons : [`${INVALID}: "${spn.text}" is not service/SERVER-FQDN@REALM.NAME`];
}

function emqxProblems(spn: ParsedSpn): string[] {
  if (!EMQX_PRINCIPAL_PATTERN.test(spn.text)) return emqxReasons(spn);
  const parts = spn.parts!;
  const problems: string[] = [];
  if (parts.realm === null) {
    problems.push(
      `no "@REALM": EMQX's schema lets it pass, but its authenticator reads the FQDN with "service/FQDN@" and fails at the first CONNECT (kbench's broker refuses it with ${INVALID}) — write ${parts.service}/${parts.host}@REALM`,
    );
  }
  problems.push(...mitClientProblems(parts, `MQTT clients (MQTT.js with the kerberos package) ask MIT for ${parts.service}@<broker host>`));
  return problems;
}

/** What MIT does to "service@host" before asking the KDC, as problems for an SPN registered otherwise. */
function mitClientProblems(parts: SpnParts, intro: string): string[] {
  const host = hostShape(parts.host);
  const problems: string[] = [];
  if (host.isAddress) {
    problems.push(
      `"${host.bare}" is an IP address: ${intro}, and MIT canonicalises the host — with rdns = true (MIT's default) a client asks for ${parts.service}/<the address's reverse-DNS name>; register the SPN under the host name clients connect to`,
    );
  }
  if (host.trailingDot) problems.push(`"${parts.host}" ends in a dot: MIT drops it, so clients ask for ${parts.service}/${host.bare.toLowerCase()}`);
  if (host.hasUpperCase && !host.isAddress) problems.push(`"${host.bare}" has upper-case letters: MIT lower-cases the host of a host-based name, so clients ask for ${parts.service}/${host.bare.toLowerCase()} (MIT's KDC matches names case-sensitively)`);
  return problems;
}

function httpProblems(spn: ParsedSpn, product: 'http' | 'elasticsearch'): string[] {
  const parts = spn.parts!;
  const problems: string[] = [];
  const who = product === 'elasticsearch' ? 'Elasticsearch clients (curl --negotiate, browsers, Java)' : 'browsers, curl and Java';
  if (parts.service === 'http' || (parts.service !== 'HTTP' && parts.service.toUpperCase() === 'HTTP')) {
    problems.push(`the service "${parts.service}" is not upper case: ${who} ask for HTTP/host, and MIT's KDC matches names case-sensitively (Active Directory does not)`);
  } else if (parts.service !== 'HTTP') problems.push(`the service "${parts.service}": ${who} always ask for HTTP/host, never ${parts.service}/host`);
  const host = hostShape(parts.host);
  if (host.port) problems.push(`"${host.port}" is a port: curl, Java and Firefox never put the port in the SPN (Chromium only with --enable-auth-negotiate-port) — register HTTP/${host.bare}`);
  problems.push(...mitClientProblems(parts, 'curl and browsers on Linux ask MIT for HTTP@<the URL\'s host>'));
  if (host.isAddress) problems.push(`Java asks for HTTP/${host.bare} as written (it never canonicalises an address): that SPN works only for Java clients, and only if the KDC has it`);
  if (parts.realm === null) problems.push(`no "@REALM": a KDC principal and a keytab entry always have one (clients take it from [domain_realm] or default_realm) — write HTTP/${host.bare}@REALM`);
  return problems;
}

function hazelcastProblems(spn: ParsedSpn): string[] {
  const problems: string[] = [];
  if (spn.extraAt) problems.push(`more than one "@": Hazelcast appends "@" + <realm> to a static <spn> that already names one ("${spn.text}") — leave <realm> out, or write the spn without "@REALM"`);
  if (spn.components.length === 1) {
    problems.push(`"${spn.components[0]}" has no "/": a <service-name-prefix> without its "/" ("hz" instead of "hz/") makes a one-component name that no member's keytab holds as service/host`);
  }
  const host = spn.parts ? hostShape(spn.parts.host) : undefined;
  if (host?.port) problems.push(`"${host.port}" is a port: Hazelcast builds the SPN from the member's host (Address.getHost()), never with the port — hz/${host.bare}`);
  if (spn.realm === null) problems.push('no "@REALM": Hazelcast appends "@" + <realm> only when the identity\'s <realm> is set; otherwise Java takes default_realm from krb5.conf — set <realm> so every member asks in the same realm');
  return problems;
}

function genericProblems(spn: ParsedSpn): string[] {
  const problems: string[] = [];
  const host = hostShape(spn.parts!.host);
  if (host.port) problems.push(`"${host.port}" is a port: MIT host-based names (service@host) never carry one — ${spn.parts!.service}/${host.bare}`);
  if (host.trailingDot) problems.push(`"${spn.parts!.host}" ends in a dot: MIT drops it from host-based names`);
  if (spn.realm === null) problems.push('no "@REALM": MIT then uses [domain_realm] or default_realm from krb5.conf — write service/host@REALM');
  return problems;
}

/** Problems every product shares: the shape of the name and the realm's spelling. */
function commonProblems(spn: ParsedSpn, product: SpnProduct): string[] {
  const problems: string[] = [];
  if (/\s/.test(spn.text)) problems.push('white space in the name: principal names have none (a pasted line break or space?)');
  if (looksHostBased(spn)) problems.push(`"${spn.text}" is the GSS host-based form (service@host), not a principal: write ${spn.components[0]}/${spn.realm}@REALM`);
  else if (product !== 'hazelcast' && spn.components.length !== 2) problems.push(`"${spn.text}" has ${spn.components.length} component(s): an SPN is service/host@REALM, with exactly one "/"`);
  if (spn.parts && !spn.parts.service) problems.push('the service part (before "/") is empty');
  if (spn.parts && !spn.parts.host) problems.push('the host part (after "/") is empty');
  if (spn.realm === '') problems.push('"@" with nothing after it: the realm is empty');
  if (spn.realm && realmHasLowerCase(spn.realm) && product !== 'emqx' && !looksHostBased(spn)) {
    problems.push(`the realm "${spn.realm}" has lower-case letters: realm names are case-sensitive (MIT, Java) and by convention upper case — Active Directory's always are; write it exactly as the KDC spells it (${spn.realm.toUpperCase()}?)`);
  }
  return problems;
}

function productProblems(spn: ParsedSpn, product: SpnProduct): string[] {
  if (product === 'emqx') return emqxProblems(spn);
  if (product === 'hazelcast') return hazelcastProblems(spn);
  if (!spn.parts || !spn.parts.host) return [];
  if (product === 'http' || product === 'elasticsearch') return httpProblems(spn, product);
  return genericProblems(spn);
}

/** Parses "service/host@REALM" and lists what stops `product` (default generic) from using it. */
export function validateSpn(text: string, product: SpnProduct = 'generic'): SpnValidation {
  const spn = parseSpn(text.trim());
  const problems = [...new Set([...commonProblems(spn, product), ...productProblems(spn, product)])];
  return { spn: text, valid: problems.length === 0, problems, parts: spn.parts };
}
