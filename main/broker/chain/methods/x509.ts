/**
 * Azure's `x509` method: relevant when the TLS client presented a certificate; valid when the
 * chain leads to one of the trusted client CAs (config map trustedClientCaCert, client_ca.pem),
 * no certificate in it is outside its validity period, and every certificate — the CA included —
 * has a key of one family, EC or RSA (Azure refuses mixed chains). Attributes come from
 * x509Attributes.toml: entries `[name] subject = "CN = …, O = …"` with `[name.attributes]`;
 * every certificate of the chain whose subject matches contributes, the CA first and the leaf last
 * (a later one wins on the same attribute).
 *
 * node:crypto's X509Certificate (OpenSSL underneath) does the parsing, issuer matching
 * (checkIssued: names and key identifiers) and signature checks; @peculiar/x509 would need a
 * reflect-metadata polyfill (tsyringe) that the app does not ship.
 */
import { X509Certificate } from 'node:crypto';
import { ConfigFileError, parseTomlFile, TomlReader } from '../toml';
import type { ChainCredentials, ChainMethod, MethodVerdict, X509MethodConfig } from '../types';

/** A chain longer than this is refused rather than walked. */
const MAX_CHAIN = 8;

interface SubjectAttributes {
  name: string;
  /** Normalised RDN components, sorted: ["C=us", "CN=contoso root ca cert"]. */
  subject: string[];
  attributes: Record<string, string>;
}

export class X509Method implements ChainMethod {
  readonly kind = 'x509' as const;
  readonly trusted: X509Certificate[];
  private readonly subjects: SubjectAttributes[];

  /** Throws `ConfigFileError` when the CA bundle or the attributes file cannot be used. */
  constructor(config: X509MethodConfig) {
    this.trusted = parseCaBundle(config.trustedCaPem, config.source ?? 'client_ca.pem');
    this.subjects = config.attributesToml === undefined ? [] : parseAttributesToml(config.attributesToml, config.attributesSource ?? 'x509Attributes.toml');
  }

  async check(credentials: ChainCredentials, _signal: AbortSignal): Promise<MethodVerdict> {
    const presented = credentials.clientCertificates ?? [];
    if (presented.length === 0) return { relevant: false, relevantWhy: 'no TLS client certificate' };
    let certificates: X509Certificate[];
    try {
      certificates = presented.map((der) => new X509Certificate(der));
    } catch (error) {
      return { relevant: true, relevantWhy: 'TLS client certificate presented', valid: false, validWhy: `the client certificate is not DER X.509: ${error instanceof Error ? error.message : String(error)}` };
    }
    const leaf = certificates[0]!;
    const relevantWhy = `TLS client certificate ${dn(leaf.subject)} presented`;
    const invalid = (validWhy: string): MethodVerdict => ({ relevant: true, relevantWhy, valid: false, validWhy });
    const built = buildChain(certificates, this.trusted);
    if ('error' in built) return invalid(built.error);
    const chain = built.chain;
    const expired = validityProblem(chain, new Date());
    if (expired) return invalid(expired);
    const mixed = keyFamilyProblem(chain);
    if (mixed) return invalid(mixed);
    const ca = chain[chain.length - 1]!;
    return {
      relevant: true,
      relevantWhy,
      valid: true,
      validWhy: `chains to trusted CA ${dn(ca.subject)} (${chain.length} certificate${chain.length === 1 ? '' : 's'}, ${keyFamily(ca)} keys, all within their validity)`,
      attributes: attributesFor(chain, this.subjects),
      principal: dn(leaf.subject),
    };
  }
}

// ---- trust ------------------------------------------------------------------------------------------

function parseCaBundle(pem: string, file: string): X509Certificate[] {
  const blocks = [...pem.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)];
  if (blocks.length === 0) throw new ConfigFileError(file, 1, '', 'no "-----BEGIN CERTIFICATE-----" block');
  return blocks.map((block) => {
    try {
      return new X509Certificate(block[0]);
    } catch (error) {
      const line = pem.slice(0, block.index).split('\n').length;
      throw new ConfigFileError(file, line, '', `not an X.509 certificate: ${error instanceof Error ? error.message : String(error)}`);
    }
  });
}

const sameCertificate = (a: X509Certificate, b: X509Certificate): boolean => a.raw.equals(b.raw);

function signedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return cert.verify(issuer.publicKey);
  } catch {
    return false; // a key the signature algorithm cannot use
  }
}

/** "C=US, OU=Engineering, CN=Contoso Root CA Cert": Node's one-per-line form on one line. */
export const dn = (name: string): string => name.split('\n').join(', ');

/**
 * Leaf → … → trusted CA. Each step takes the issuer from the trusted CAs first, then from the other
 * certificates the client sent; the walk ends at a trusted CA (which may itself have been sent).
 */
function buildChain(presented: X509Certificate[], trusted: X509Certificate[]): { chain: X509Certificate[] } | { error: string } {
  const chain = [presented[0]!];
  for (;;) {
    const current = chain[chain.length - 1]!;
    if (trusted.some((t) => sameCertificate(t, current))) return { chain };
    if (chain.length > MAX_CHAIN) return { error: `the chain is longer than ${MAX_CHAIN} certificates` };
    const named = [...trusted, ...presented.slice(1)].filter((c) => current.checkIssued(c) && !chain.includes(c));
    const next = named.find((candidate) => signedBy(current, candidate));
    if (next) chain.push(next);
    else if (named.some((c) => trusted.includes(c))) return { error: `signature of ${dn(current.subject)} does not verify with the key of trusted CA ${dn(current.issuer)}` };
    else if (named.length) return { error: `signature of ${dn(current.subject)} does not verify with the key of ${dn(current.issuer)}` };
    else return { error: `issuer ${dn(current.issuer)} is not a trusted CA` };
  }
}

function validityProblem(chain: X509Certificate[], now: Date): string | undefined {
  for (const cert of chain) {
    const notBefore = new Date(cert.validFrom);
    const notAfter = new Date(cert.validTo);
    if (now.getTime() < notBefore.getTime()) return `certificate ${dn(cert.subject)} is not valid before ${notBefore.toISOString()}`;
    if (now.getTime() > notAfter.getTime()) return `certificate ${dn(cert.subject)} expired at ${notAfter.toISOString()}`;
  }
  return undefined;
}

/** "EC", "RSA", or the key type as Node names it ("ed25519"). */
export function keyFamily(cert: X509Certificate): string {
  const type = cert.publicKey.asymmetricKeyType ?? 'unknown';
  return type === 'ec' ? 'EC' : type === 'rsa' || type === 'rsa-pss' ? 'RSA' : type;
}

function keyFamilyProblem(chain: X509Certificate[]): string | undefined {
  const families = chain.map(keyFamily);
  if (families.every((f) => f === families[0]) && (families[0] === 'EC' || families[0] === 'RSA')) return undefined;
  const role = (i: number): string => (i === 0 ? 'leaf' : i === chain.length - 1 ? 'CA' : `intermediate ${dn(chain[i]!.subject)}`);
  const listed = families.map((f, i) => `${role(i)} ${f}`).join(', ');
  return families.every((f) => f === families[0]) ? `key algorithm ${families[0]} is neither EC nor RSA (${listed})` : `mixed key algorithms: ${listed}`;
}

// ---- attributes -------------------------------------------------------------------------------------

function parseAttributesToml(text: string, file: string): SubjectAttributes[] {
  const reader = new TomlReader(text, file);
  return Object.entries(parseTomlFile(text, file)).map(([name, value]) => {
    const table = reader.table(value, [name]);
    reader.onlyKeys(table, [name], ['subject', 'attributes']);
    const subjectText = reader.string(table.subject, [name, 'subject']);
    const subject = normaliseSubject(subjectText) ?? reader.fail([name, 'subject'], `"${subjectText}" is not a distinguished name like "CN = smart-fan, O = Contoso"`);
    return { name, subject, attributes: reader.attributes(table.attributes, [name, 'attributes']) };
  });
}

/**
 * "CN = Contoso Root CA Cert, OU = Engineering, C = US" as a sorted list of "TYPE=value" (type upper
 * case, value lower case, spaces around "=" dropped), so OpenSSL's order and RFC 4514's both match.
 */
export function normaliseSubject(text: string): string[] | undefined {
  const parts = text.split(/(?<!\\),|(?<!\\)\+/).map((p) => p.trim()).filter((p) => p.length > 0);
  const out: string[] = [];
  for (const part of parts) {
    const m = /^([A-Za-z][A-Za-z0-9-]*|[0-9]+(?:\.[0-9]+)+)\s*=\s*(.*)$/.exec(part);
    if (!m) return undefined;
    out.push(`${canonicalType(m[1]!)}=${m[2]!.replace(/\\(.)/g, '$1').trim().toLowerCase()}`);
  }
  return out.length ? out.sort() : undefined;
}

const TYPE_ALIASES: Record<string, string> = { EMAILADDRESS: 'E', EMAIL: 'E', '2.5.4.3': 'CN', '2.5.4.6': 'C', '2.5.4.10': 'O', '2.5.4.11': 'OU', '2.5.4.7': 'L', '2.5.4.8': 'ST', S: 'ST' };
const canonicalType = (type: string): string => TYPE_ALIASES[type.toUpperCase()] ?? type.toUpperCase();

function certificateSubject(cert: X509Certificate): string[] {
  const out: string[] = [];
  for (const line of cert.subject.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out.push(`${canonicalType(line.slice(0, eq))}=${line.slice(eq + 1).trim().toLowerCase()}`);
  }
  return out.sort();
}

function attributesFor(chain: X509Certificate[], subjects: SubjectAttributes[]): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const cert of [...chain].reverse()) {
    const subject = certificateSubject(cert).join(',');
    for (const entry of subjects) if (entry.subject.join(',') === subject) Object.assign(attributes, entry.attributes);
  }
  return attributes;
}
