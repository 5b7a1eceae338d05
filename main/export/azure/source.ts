/**
 * The chain an Azure export is made from: an existing BrokerAuthentication + BrokerListener YAML
 * (the imported one, or options.azure.chainFile), read by the chain service's own parser
 * (main/broker/chain/azure-yaml.ts) with the secrets and config maps beside it as the chain loader
 * lays them out (main/broker/chain/resolve.ts); or, by default, a chain made for the realm:
 * kerberos (the model's MQTT principal) then usernamePassword with one client.
 */
import { readFileSync, statSync } from 'node:fs';
import type { AzureAuthenticationMethod, AzureBrokerAuthentication, AzureBrokerListener, ChainDocument, ChainProblem } from '../../api/chain';
import { MAX_FILE_BYTES, parseChainYaml } from '../../broker/chain/azure-yaml';
import { KEYS } from '../../broker/chain/resolve';
import type { ExportModel } from '../types';
import { readChainFiles, readText, type ChainFiles } from './layout';

export const DEFAULT_NAMESPACE = 'azure-iot-operations';
export const PASSWORDS_SECRET = 'credentials';
export const KEYTAB_SECRET = 'mqtt-keytab';

/** A secret or config map the chain names, with its one file (`kubectl create … --from-file=KEY=FILE`). */
export interface AzureResource {
  name: string;
  kind: 'secret' | 'configmap';
  key: string;
  /** Its file under azure/ in the export. */
  exportPath: string;
  text?: string;
  bytes?: Uint8Array;
  /** Holds a secret (a keytab, a private key): redacted or withheld unless revealed. */
  sensitive: boolean;
  purpose: string;
}

export interface AzureSource {
  /** "chain made for realm BENCH.TEST" or the YAML file. */
  from: string;
  namespace: string;
  document: ChainDocument;
  resources: AzureResource[];
  /** The usernamePassword database as it is beside the YAML; absent: clients.toml is made for the realm. */
  passwordsToml?: { secret: string; text: string };
  problems: ChainProblem[];
  notes: string[];
}

/** The YAML the export starts from, if any: the imported chain wins over options.azure.chainFile. */
export function chainFileOf(model: ExportModel): string | undefined {
  if (model.imported?.format === 'azure' && model.imported.setup.chainFile) return model.imported.setup.chainFile;
  return model.options.azure?.chainFile;
}

export function azureSource(model: ExportModel): AzureSource {
  const file = chainFileOf(model);
  return file ? fromFile(model, file) : madeForRealm(model);
}

function madeForRealm(model: ExportModel): AzureSource {
  const namespace = model.options.azure?.namespace ?? DEFAULT_NAMESPACE;
  const port = Number(/:(\d+)(\/|$)/.exec(model.mqtt.url.replace(/^[a-z]+:\/\//i, ''))?.[1] ?? 1883);
  const listener: AzureBrokerListener = { name: 'kerberos-listener', namespace, brokerRef: 'broker', port, authenticationEnabled: true, tls: false };
  const authentication: AzureBrokerAuthentication = {
    name: 'kerberos-authn',
    namespace,
    listenerRef: [listener.name],
    authenticationMethods: [{ kerberos: { principal: model.mqtt.principal, keytabSecretName: KEYTAB_SECRET } }, { usernamePassword: { secretName: PASSWORDS_SECRET } }],
  };
  return {
    from: `chain made for realm ${model.realm}`,
    namespace,
    document: { file: 'chain.yaml', listeners: [listener], authentications: [authentication] },
    resources: [keytabResource(KEYTAB_SECRET, model.mqtt.keytab, model)],
    problems: [],
    notes: [],
  };
}

function fromFile(model: ExportModel, file: string): AzureSource {
  const text = readText(file);
  if (text === undefined) {
    const problem = { file, line: 1, path: '', message: `cannot read ${file} (missing, not a file, or more than ${MAX_FILE_BYTES} bytes)` };
    return { ...madeForRealm(model), problems: [problem], notes: [`${file} could not be read: the chain below is made for the realm instead`] };
  }
  const files = readChainFiles(file, text, true);
  const parsed = parseChainYaml(files.text, file);
  if (!parsed.document) {
    const problems = parsed.problems.map((p) => ({ ...p, ...files.where(p.line) }));
    return { ...madeForRealm(model), problems, notes: [`${file} has problems: the chain below is made for the realm instead`] };
  }
  const namespace = model.options.azure?.namespace ?? [...parsed.document.listeners, ...parsed.document.authentications].find((r) => r.namespace)?.namespace ?? DEFAULT_NAMESPACE;
  const document = withNamespace(parsed.document, namespace);
  const out: AzureSource = { from: file, namespace, document, resources: [], problems: [], notes: [] };
  document.authentications = document.authentications.map((auth) => ({ ...auth, authenticationMethods: auth.authenticationMethods.map((m) => besideYaml(m, files, model, out)) }));
  return out;
}

function withNamespace(doc: ChainDocument, namespace: string): ChainDocument {
  return {
    file: doc.file,
    listeners: doc.listeners.map((l) => ({ ...l, namespace })),
    authentications: doc.authentications.map((a) => ({ ...a, namespace })),
  };
}

/** The files a method names, read from beside the YAML; a kerberos method gets an explicit principal and keytab secret. */
function besideYaml(method: AzureAuthenticationMethod, files: ChainFiles, model: ExportModel, out: AzureSource): AzureAuthenticationMethod {
  const add = (name: string, key: string, kind: AzureResource['kind'], sensitive: boolean, purpose: string): void => {
    if (out.resources.some((r) => r.name === name && r.key === key)) return;
    const file = files.resourceFile(name, key);
    const text = readText(file);
    if (text === undefined) out.notes.push(`${kind} "${name}": ${file} is not beside the YAML: create it before running apply.sh`);
    out.resources.push({ name, kind, key, exportPath: `${name}/${key}`, ...(text !== undefined ? { text } : {}), sensitive, purpose });
  };
  if ('usernamePassword' in method) {
    const secret = method.usernamePassword.secretName;
    const text = readText(files.resourceFile(secret, KEYS.passwords));
    if (text !== undefined && !out.passwordsToml) out.passwordsToml = { secret, text };
  } else if ('x509' in method) {
    add(method.x509.trustedClientCaCert, KEYS.clientCa, 'configmap', false, 'the CA that signs client certificates (x509 method)');
    if (method.x509.attributes) add(method.x509.attributes.secretName, KEYS.x509Attributes, 'secret', false, 'attributes of client certificates (x509 method)');
  } else if ('custom' in method) {
    if (method.custom.caCert) add(method.custom.caCert, KEYS.customCa, 'configmap', false, "the custom authentication server's CA");
    const secret = method.custom.auth?.x509.secretName;
    if (secret) {
      add(secret, KEYS.tlsCert, 'secret', false, "the broker's client certificate for the custom authentication server");
      add(secret, KEYS.tlsKey, 'secret', true, "the broker's client key for the custom authentication server");
    }
  } else if ('sat' in method) {
    out.notes.push('sat: Azure checks service-account tokens with the cluster (TokenReview): nothing to create for it.');
  } else if ('kerberos' in method) {
    const secret = method.kerberos.keytabSecretName ?? KEYTAB_SECRET;
    const bytes = method.kerberos.keytabSecretName ? readBytes(files.resourceFile(secret, KEYS.keytab)) : undefined;
    if (!out.resources.some((r) => r.name === secret)) out.resources.push(keytabResource(secret, bytes ?? model.mqtt.keytab, model));
    return { kerberos: { principal: method.kerberos.principal ?? model.mqtt.principal, keytabSecretName: secret } };
  }
  return method;
}

function keytabResource(name: string, bytes: Uint8Array | undefined, model: ExportModel): AzureResource {
  return { name, kind: 'secret', key: KEYS.keytab, exportPath: `${name}/${KEYS.keytab}`, ...(bytes ? { bytes } : {}), sensitive: true, purpose: `the keytab of ${model.mqtt.principal} (kerberos method)` };
}

function readBytes(file: string): Uint8Array | undefined {
  try {
    const info = statSync(file);
    return info.isFile() && info.size <= MAX_FILE_BYTES ? readFileSync(file) : undefined;
  } catch {
    return undefined;
  }
}
