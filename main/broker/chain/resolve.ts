/**
 * A ChainDocument to the method configurations a chain runs, per listener. The secrets and config maps
 * the YAML names are directories beside it, one file per key, as `kubectl create secret generic NAME
 * --from-file=KEY=…` / `kubectl create configmap NAME --from-file=KEY=…` would hold them:
 *
 *   chain.yaml
 *   credentials/passwords.toml          usernamePassword: passwordDatabase (secretName) "credentials"
 *   client-ca/client_ca.pem             x509: trustedClientCaCert (config map)
 *   x509-attributes/x509Attributes.toml x509: attributes (secret); attributes.toml is read too (v1alpha4's example)
 *   custom-auth-ca/ca.pem               custom: caCert (config map)
 *   custom-auth-client-cert/tls.crt     custom: auth.x509 secret (kubernetes.io/tls keys)
 *   custom-auth-client-cert/tls.key
 *   mqtt-keytab/krb5.keytab             kerberos: keytabSecretName (bench extension)
 *   <authentication>-sat-keys/jwks.json sat (bench extension, see below)
 *   <authentication>-sat-keys/*.pem
 *
 * SAT: Azure checks tokens with the cluster's TokenReview API; the bench has no cluster, so it checks
 * them itself against keys in the config map `<BrokerAuthentication name>-sat-keys`: a `jwks.json`
 * (the API server's /openid/v1/jwks) and/or PEM public keys (`*.pem`, e.g. the service-account
 * signing key's public half, sa.pub renamed).
 *
 * A missing file is a ChainProblem naming the expected path and the line of the YAML that named it;
 * with any problem no chain is returned (nothing half-loaded).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import type { AzureAuthenticationMethod, AzureBrokerAuthentication, AzureBrokerListener, ChainDocument, ChainProblem } from '../../api/chain';
import { ChainLines, loadChainYaml, MAX_FILE_BYTES } from './azure-yaml';
import type { ChainMethodConfig } from './types';

export interface ResolvedListenerChain {
  listener: AzureBrokerListener;
  /** The BrokerAuthentication serving it; absent: no chain (only `authenticationEnabled: false` lets anyone in then). */
  authentication?: string;
  methods: ChainMethodConfig[];
}

export interface ChainResolution {
  /** In the document's listener order; empty when there is any problem. */
  chains: ResolvedListenerChain[];
  problems: ChainProblem[];
}

/** The well-known keys (file names inside a secret's / config map's directory). */
export const KEYS = {
  passwords: 'passwords.toml',
  clientCa: 'client_ca.pem',
  x509Attributes: 'x509Attributes.toml',
  x509AttributesV1alpha4: 'attributes.toml',
  customCa: 'ca.pem',
  tlsCert: 'tls.crt',
  tlsKey: 'tls.key',
  keytab: 'krb5.keytab',
  jwks: 'jwks.json',
} as const;

export const satKeysName = (authentication: string): string => `${authentication}-sat-keys`;

/** Loads the YAML and resolves it: problems of both steps. */
export async function resolveChainFile(file: string): Promise<ChainResolution & { document?: ChainDocument }> {
  const parsed = await loadChainYaml(file);
  if (!parsed.document) return { chains: [], problems: parsed.problems };
  return { document: parsed.document, ...(await resolveChain(parsed.document, parsed.lines)) };
}

export async function resolveChain(doc: ChainDocument, lines = new ChainLines()): Promise<ChainResolution> {
  const resolver = new Resolver(doc.file, lines);
  const byAuth = new Map<string, ChainMethodConfig[]>();
  for (const auth of doc.authentications) byAuth.set(auth.name, await resolver.authentication(auth));
  if (resolver.problems.length > 0) return { chains: [], problems: resolver.problems.sort((a, b) => a.line - b.line) };
  const chains = doc.listeners.map((listener) => {
    const auth = doc.authentications.find((a) => a.listenerRef.includes(listener.name));
    return auth ? { listener, authentication: auth.name, methods: byAuth.get(auth.name) ?? [] } : { listener, methods: [] };
  });
  return { chains, problems: [] };
}

class Resolver {
  readonly problems: ChainProblem[] = [];
  private readonly dir: string;

  constructor(
    private readonly file: string,
    private readonly lines: ChainLines,
  ) {
    this.dir = dirname(file);
  }

  async authentication(auth: AzureBrokerAuthentication): Promise<ChainMethodConfig[]> {
    const out: ChainMethodConfig[] = [];
    for (const [i, method] of auth.authenticationMethods.entries()) {
      const config = await this.method(auth.name, method, `spec.authenticationMethods[${i}]`);
      if (config) out.push(config);
    }
    return out;
  }

  private async method(auth: string, m: AzureAuthenticationMethod, base: string): Promise<ChainMethodConfig | undefined> {
    const at = (...paths: string[]): Ref => ({ auth, paths: paths.map((p) => `${base}.${p}`) });
    if ('usernamePassword' in m) {
      const name = m.usernamePassword.secretName;
      const f = await this.read(name, KEYS.passwords, 'secret', at('usernamePassword.secretName', 'usernamePassword.passwordDatabase'));
      return f && { kind: 'usernamePassword', passwordsToml: f.text, source: f.source };
    }
    if ('x509' in m) return this.x509(m.x509, at);
    if ('custom' in m) return this.custom(m.custom, at);
    if ('sat' in m) return this.sat(auth, m.sat.audiences, at('sat'));
    const { principal, keytabSecretName } = m.kerberos;
    if (keytabSecretName === undefined) return { kind: 'kerberos', credentials: 'lab', ...(principal !== undefined ? { principal } : {}) };
    const keytab = await this.exists(keytabSecretName, KEYS.keytab, 'secret', at('kerberos.keytabSecretName'));
    return keytab === undefined ? undefined : { kind: 'kerberos', credentials: 'custom', keytab, ...(principal !== undefined ? { principal } : {}) };
  }

  private async x509(x: Extract<AzureAuthenticationMethod, { x509: unknown }>['x509'], at: (...p: string[]) => Ref): Promise<ChainMethodConfig | undefined> {
    const ca = await this.read(x.trustedClientCaCert, KEYS.clientCa, 'config map', at('x509.trustedClientCaCert'));
    let attributes: FileText | undefined;
    const secret = x.attributes?.secretName;
    if (secret !== undefined) {
      const v1alpha4 = join(this.dir, secret, KEYS.x509AttributesV1alpha4);
      const key = (await isFile(join(this.dir, secret, KEYS.x509Attributes))) || !(await isFile(v1alpha4)) ? KEYS.x509Attributes : KEYS.x509AttributesV1alpha4;
      attributes = await this.read(secret, key, 'secret', at('x509.attributes.secretName', 'x509.attributes'));
      if (!attributes) return undefined;
    }
    return ca && { kind: 'x509', trustedCaPem: ca.text, source: ca.source, ...(attributes ? { attributesToml: attributes.text } : {}) };
  }

  private async custom(c: Extract<AzureAuthenticationMethod, { custom: unknown }>['custom'], at: (...p: string[]) => Ref): Promise<ChainMethodConfig | undefined> {
    const ca = c.caCert === undefined ? undefined : await this.read(c.caCert, KEYS.customCa, 'config map', at('custom.caCert'));
    const secret = c.auth?.x509.secretName;
    const ref = at('custom.auth.x509.secretName', 'custom.auth.x509.secret');
    const cert = secret === undefined ? undefined : await this.read(secret, KEYS.tlsCert, 'secret', ref);
    const key = secret === undefined ? undefined : await this.read(secret, KEYS.tlsKey, 'secret', ref);
    if ((c.caCert !== undefined && !ca) || (secret !== undefined && (!cert || !key))) return undefined;
    return {
      kind: 'custom',
      endpoint: c.endpoint,
      ...(ca ? { caCertPem: ca.text } : {}),
      ...(cert && key ? { clientCertPem: cert.text, clientKeyPem: key.text } : {}),
      ...(c.headers ? { headers: c.headers } : {}),
    };
  }

  private async sat(auth: string, audiences: string[], ref: Ref): Promise<ChainMethodConfig | undefined> {
    const name = satKeysName(auth);
    const dir = join(this.dir, name);
    const entries = await readdir(dir).catch(() => [] as string[]);
    const pems = entries.filter((e) => e.endsWith('.pem')).sort();
    if (!entries.includes(KEYS.jwks) && pems.length === 0) {
      this.problem(ref, `sat: no keys to verify tokens with: expected ${this.show(join(dir, KEYS.jwks))} or PEM public keys (*.pem) in ${this.show(dir)} (config map "${name}", a bench extension: Azure asks the cluster's TokenReview API)`);
      return undefined;
    }
    const jwks = entries.includes(KEYS.jwks) ? await this.read(name, KEYS.jwks, 'config map', ref) : undefined;
    const keys: string[] = [];
    for (const pem of pems) {
      const f = await this.read(name, pem, 'config map', ref);
      if (f) keys.push(f.text);
    }
    if (entries.includes(KEYS.jwks) && !jwks) return undefined;
    return { kind: 'sat', audiences, ...(jwks ? { jwks: jwks.text } : {}), ...(keys.length > 0 ? { publicKeysPem: keys } : {}) };
  }

  /** The file `<dir>/<name>/<key>`, or a problem naming it at the line that named `name`. */
  private async read(name: string, key: string, what: 'secret' | 'config map', ref: Ref): Promise<FileText | undefined> {
    const path = await this.exists(name, key, what, ref);
    if (path === undefined) return undefined;
    return { text: await readFile(path, 'utf8'), source: relative(this.dir, path) };
  }

  private async exists(name: string, key: string, what: 'secret' | 'config map', ref: Ref): Promise<string | undefined> {
    const path = join(this.dir, name, key);
    const info = await stat(path).catch(() => undefined);
    const kubectl = `kubectl create ${what === 'secret' ? 'secret generic' : 'configmap'} ${name} --from-file=${key}=FILE`;
    if (!info?.isFile()) this.problem(ref, `${what} "${name}": expected the file ${this.show(path)} beside the YAML (key ${key}, as ${kubectl} holds it)`);
    else if (info.size > MAX_FILE_BYTES) this.problem(ref, `${what} "${name}": ${this.show(path)} is ${info.size} bytes, more than ${MAX_FILE_BYTES}`);
    else return path;
    return undefined;
  }

  private problem(ref: Ref, message: string): void {
    const { line, path } = this.lines.locate('BrokerAuthentication', ref.auth, ...ref.paths);
    this.problems.push({ file: this.file, line, path, message });
  }

  private show(path: string): string {
    return relative(this.dir, path);
  }
}

interface Ref {
  auth: string;
  /** YAML paths that may have named the resource (the first is reported: Azure's later spelling). */
  paths: string[];
}

interface FileText {
  text: string;
  /** "credentials/passwords.toml": relative to the YAML's directory. */
  source: string;
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}
