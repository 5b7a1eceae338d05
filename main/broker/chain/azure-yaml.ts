/**
 * Azure IoT MQ's own resource files as the chain's configuration: one YAML file holding one or several
 * documents (`---`) of `BrokerAuthentication` and `BrokerListener`, apiVersion az-edge.com/v1alpha4
 * (mq.iotoperations.azure.com/v1beta1 is read too: it renamed a few fields, both spellings load).
 *
 *   apiVersion: az-edge.com/v1alpha4
 *   kind: BrokerAuthentication
 *   metadata: { name: my-authn, namespace: alice-springs }
 *   spec:
 *     listenerRef: [my-listener]
 *     authenticationMethods:
 *       - custom: { endpoint: https://auth:8443, caCert: custom-auth-ca, auth: { x509: { secret: custom-auth-client-cert } }, headers: { k: v } }
 *       - sat: { audiences: [aio-mq] }
 *       - usernamePassword: { passwordDatabase: credentials }      # v1beta1: secretName
 *       - x509: { trustedClientCaCert: client-ca, attributes: x509-attributes }   # v1beta1: attributes.secretName
 *       - kerberos: { principal: mqtt/localhost@BENCH.TEST, keytabSecretName: mqtt-keytab }
 *
 * `kerberos` is the bench's extension, not Azure's: GSSAPI-KERBEROS over MQTT 5 enhanced
 * authentication; without fields it uses the lab realm's mqtt/localhost key. Azure would refuse it.
 *
 * Everything wrong is reported at once as ChainProblems (file, 1-based line, YAML path); a file with
 * any problem yields no document (nothing half-loaded).
 */
import { readFile, stat } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { isMap, isScalar, LineCounter, parseAllDocuments, type Document } from 'yaml';
import type {
  AzureAuthenticationMethod,
  AzureBrokerAuthentication,
  AzureBrokerListener,
  AzureListenerTls,
  ChainDocument,
  ChainLoadResult,
  ChainProblem,
} from '../../api/chain';
import { AUTHENTICATION_SPEC, LISTENER_SPEC, METADATA, SchemaWalker, type Lines, type Spec } from './azure-schema';
import { checkChainDocument } from './azure-yaml-checks';
import { stringifyChainDocument } from './azure-yaml-write';
import { writeFileAtomic } from '../../system/files';

export const API_VERSION = 'az-edge.com/v1alpha4';
/** Read as well as v1alpha4: the same resources under Azure IoT Operations' later group. */
export const API_VERSIONS: readonly string[] = [API_VERSION, 'mq.iotoperations.azure.com/v1beta1'];
export type ResourceKind = 'BrokerAuthentication' | 'BrokerListener';

/** Bigger than any real resource file; bounds what a mistaken path (a disk image) can cost. */
export const MAX_FILE_BYTES = 1024 * 1024;

/** Where things stand in the file: lines of each resource's YAML paths, for later problems (resolve.ts). */
export class ChainLines {
  private readonly byResource = new Map<string, Lines>();

  set(kind: ResourceKind, name: string, lines: Lines): void {
    this.byResource.set(`${kind}/${name}`, lines);
  }

  /** The line of the first of `paths` the resource has; 1 when none (a document built in memory). */
  line(kind: ResourceKind, name: string, ...paths: string[]): number {
    return this.locate(kind, name, ...paths).line;
  }

  /** The first of `paths` (spellings of one field) the resource has, with its line. */
  locate(kind: ResourceKind, name: string, ...paths: string[]): { line: number; path: string } {
    const lines = this.byResource.get(`${kind}/${name}`);
    for (const path of paths) {
      const line = lines?.get(path);
      if (line !== undefined) return { line, path };
    }
    return { line: 1, path: paths[0] ?? '' };
  }
}

export interface ParsedChain extends ChainLoadResult {
  lines: ChainLines;
}

/** Parses and checks the file's text. Pure: no I/O. */
export function parseChainYaml(text: string, file: string): ParsedChain {
  const counter = new LineCounter();
  const problems: ChainProblem[] = [];
  const lines = new ChainLines();
  const authentications: AzureBrokerAuthentication[] = [];
  const listeners: AzureBrokerListener[] = [];
  const docs = parseAllDocuments(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [];
  for (const doc of list) {
    const errors = [...doc.errors];
    if (errors.length > 0) {
      for (const e of errors) problems.push({ file, line: counter.linePos(e.pos[0]).line, path: '', message: `YAML: ${e.message}` });
      continue;
    }
    if (doc.contents === null) continue; // an empty document (a trailing `---`)
    const resource = readResource(doc, counter, file, problems);
    if (resource?.kind === 'BrokerAuthentication') {
      authentications.push(resource.value);
      lines.set('BrokerAuthentication', resource.value.name, resource.lines);
    } else if (resource?.kind === 'BrokerListener') {
      listeners.push(resource.value);
      lines.set('BrokerListener', resource.value.name, resource.lines);
    }
  }
  if (problems.length === 0 && authentications.length + listeners.length === 0) {
    problems.push({ file, line: 1, path: '', message: 'no BrokerAuthentication or BrokerListener in the file' });
  }
  const document: ChainDocument = { file, authentications, listeners };
  if (problems.length === 0) problems.push(...checkChainDocument(document, lines));
  problems.sort((a, b) => a.line - b.line);
  return problems.length === 0 ? { document, problems, lines } : { problems, lines };
}

type Resource =
  | { kind: 'BrokerAuthentication'; value: AzureBrokerAuthentication; lines: Lines }
  | { kind: 'BrokerListener'; value: AzureBrokerListener; lines: Lines };

function readResource(doc: Document, counter: LineCounter, file: string, problems: ChainProblem[]): Resource | undefined {
  const walker = new SchemaWalker(counter);
  const root = doc.contents;
  const top = walker.lineOf(root);
  const report = (): undefined => {
    for (const i of walker.issues) problems.push({ file, ...i });
    return undefined;
  };
  if (!isMap(root)) {
    walker.issue(top, '', 'expected a resource (a map with apiVersion, kind, metadata, spec)');
    return report();
  }
  const apiVersion = scalarAt(root, 'apiVersion');
  const kind = scalarAt(root, 'kind');
  if (!API_VERSIONS.includes(String(apiVersion.value))) {
    walker.issue(walker.lineOf(apiVersion.node, top), 'apiVersion', `apiVersion must be ${API_VERSION}, found ${describe(apiVersion.value)}`);
  }
  if (kind.value !== 'BrokerAuthentication' && kind.value !== 'BrokerListener') {
    walker.issue(walker.lineOf(kind.node, top), 'kind', `kind must be BrokerAuthentication or BrokerListener, found ${describe(kind.value)}`);
    return report();
  }
  const spec = kind.value === 'BrokerAuthentication' ? AUTHENTICATION_SPEC : LISTENER_SPEC;
  walker.check(root, resourceSpec(spec), '', top);
  if (walker.issues.length > 0) return report();
  const json = doc.toJS() as RawResource;
  return kind.value === 'BrokerAuthentication'
    ? { kind: kind.value, value: toAuthentication(json), lines: walker.lines }
    : { kind: kind.value, value: toListener(json), lines: walker.lines };
}

function resourceSpec(spec: Spec): Spec {
  const str: Spec = { t: 'string' };
  return { t: 'object', fields: { apiVersion: { spec: str, required: true }, kind: { spec: str, required: true }, metadata: { spec: METADATA, required: true }, spec: { spec, required: true } } };
}

function scalarAt(map: Parameters<typeof isMap>[0] & object, key: string): { value: unknown; node: { range?: [number, number, number] | null } | null } {
  if (!isMap(map)) return { value: undefined, node: null };
  const pair = map.items.find((p) => isScalar(p.key) && p.key.value === key);
  const node = pair?.value;
  return isScalar(node) ? { value: node.value, node } : { value: undefined, node: null };
}

function describe(v: unknown): string {
  return v === undefined ? 'none' : JSON.stringify(v);
}

// ---- validated JSON → the contract's types (the shapes are checked: only spellings are mapped here) ----

interface RawResource {
  metadata: { name: string; namespace?: string };
  spec: Record<string, unknown>;
}

type RawMethod = { [K in 'custom' | 'sat' | 'usernamePassword' | 'x509' | 'kerberos']?: Record<string, unknown> };

function toAuthentication(raw: RawResource): AzureBrokerAuthentication {
  const spec = raw.spec as { listenerRef: string[]; authenticationMethods: RawMethod[] };
  return {
    name: raw.metadata.name,
    ...(raw.metadata.namespace !== undefined ? { namespace: raw.metadata.namespace } : {}),
    listenerRef: spec.listenerRef,
    authenticationMethods: spec.authenticationMethods.map(toMethod),
  };
}

function toMethod(raw: RawMethod): AzureAuthenticationMethod {
  if (raw.custom) {
    const c = raw.custom as { endpoint: string; caCert?: string; auth?: { x509: { secretName?: string; secret?: string; namespace?: string } }; headers?: Record<string, string> };
    const x509 = c.auth?.x509;
    return {
      custom: {
        endpoint: c.endpoint,
        ...(c.caCert !== undefined ? { caCert: c.caCert } : {}),
        ...(x509 ? { auth: { x509: { secretName: x509.secretName ?? x509.secret ?? '', ...(x509.namespace !== undefined ? { namespace: x509.namespace } : {}) } } } : {}),
        ...(c.headers !== undefined ? { headers: c.headers } : {}),
      },
    };
  }
  if (raw.sat) return { sat: { audiences: raw.sat.audiences as string[] } };
  if (raw.usernamePassword) {
    const u = raw.usernamePassword as { secretName?: string; passwordDatabase?: string };
    return { usernamePassword: { secretName: u.secretName ?? u.passwordDatabase ?? '' } };
  }
  if (raw.x509) {
    const x = raw.x509 as { trustedClientCaCert: string; attributes?: string | { secretName: string } };
    const attributes = typeof x.attributes === 'string' ? x.attributes : x.attributes?.secretName;
    return { x509: { trustedClientCaCert: x.trustedClientCaCert, ...(attributes !== undefined ? { attributes: { secretName: attributes } } : {}) } };
  }
  const k = (raw.kerberos ?? {}) as { principal?: string; keytabSecretName?: string };
  return { kerberos: { ...(k.principal !== undefined ? { principal: k.principal } : {}), ...(k.keytabSecretName !== undefined ? { keytabSecretName: k.keytabSecretName } : {}) } };
}

function toListener(raw: RawResource): AzureBrokerListener {
  const s = raw.spec as {
    brokerRef?: string;
    port: number;
    nodePort?: number;
    serviceType?: AzureBrokerListener['serviceType'];
    serviceName?: string;
    authenticationEnabled?: boolean;
    authorizationEnabled?: boolean;
    tls?: AzureListenerTls;
  };
  const optional = { brokerRef: s.brokerRef, serviceType: s.serviceType, serviceName: s.serviceName, nodePort: s.nodePort, authorizationEnabled: s.authorizationEnabled, tlsSettings: s.tls };
  return {
    name: raw.metadata.name,
    ...(raw.metadata.namespace !== undefined ? { namespace: raw.metadata.namespace } : {}),
    port: s.port,
    // Azure's default: a listener without the field lets everyone in.
    authenticationEnabled: s.authenticationEnabled ?? false,
    tls: s.tls !== undefined,
    ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
  };
}

// ---- files ----------------------------------------------------------------------------------------

export async function loadChainYaml(file: string): Promise<ParsedChain> {
  const path = resolvePath(file);
  const problem = (message: string): ParsedChain => ({ problems: [{ file: path, line: 1, path: '', message }], lines: new ChainLines() });
  try {
    const info = await stat(path);
    if (!info.isFile()) return problem(`${path} is not a regular file`);
    if (info.size > MAX_FILE_BYTES) return problem(`${path} is ${info.size} bytes; a resource file is at most ${MAX_FILE_BYTES}`);
    return parseChainYaml(await readFile(path, 'utf8'), path);
  } catch (e) {
    return problem(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

/**
 * Writes the document to `document.file` as Azure YAML, after checking that what would be written
 * loads back to the same document; on a problem nothing is written. Comments of the file it replaces
 * are kept where the same resource and path still exist (see azure-yaml-write.ts).
 */
export async function saveChainYaml(document: ChainDocument): Promise<ParsedChain> {
  const path = resolvePath(document.file);
  const previous = await readFile(path, 'utf8').catch(() => undefined);
  const text = stringifyChainDocument(document, previous);
  const parsed = parseChainYaml(text, path);
  if (parsed.problems.length > 0) return { problems: parsed.problems, lines: parsed.lines };
  // The old file stays whole until the new one is synced and renamed over it; 0600 like every
  // file the bench saves (a chain names keytabs and password-hash files).
  await writeFileAtomic(path, Buffer.from(text, 'utf8'));
  return parsed;
}
