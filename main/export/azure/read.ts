/**
 * An Azure IoT MQ chain file (BrokerAuthentication / BrokerListener YAML, both API versions the
 * chain loader reads) → what the bench runs: each method in chain order with its line, the
 * listener's port and authentication switch; what it does not run (broker reference, service
 * type, TLS issuer, authorization …), and the loader's problems with file, line and YAML path.
 */
import type { ImportProblem, ImportSetting, ImportUnused } from '../../api/export';
import type { AzureAuthenticationMethod, AzureBrokerAuthentication, AzureBrokerListener, ChainProblem } from '../../api/chain';
import { parseChainYaml, type ChainLines } from '../../broker/chain/azure-yaml';
import { KEYS } from '../../broker/chain/resolve';
import type { ImportReading, ImportSourceText } from '../types';
import { isFile, readChainFiles, type ChainFiles } from './layout';

const METHOD_USE: Record<string, string> = {
  custom: 'the chain asks this HTTPS authentication server',
  sat: 'the chain checks service-account tokens (against keys beside the YAML: the bench has no cluster)',
  usernamePassword: 'the chain checks the password against the PBKDF2 hashes of passwords.toml',
  x509: 'the chain checks client certificates against this CA (TLS listener)',
  kerberos: 'GSSAPI-KERBEROS over MQTT 5 enhanced authentication (the bench method)',
};

export function detectAzure(text: string): string | null {
  const kind = /^kind:\s*["']?(BrokerAuthentication|BrokerListener)\b/m.exec(text);
  return kind ? `kind: ${kind[1]}` : null;
}

export function readAzure(source: ImportSourceText): ImportReading {
  const files = readChainFiles(source.file, source.text, source.onDisk);
  const parsed = parseChainYaml(files.text, source.file);
  const at = (line: number) => files.where(line);
  if (!parsed.document) return { files: files.files, understood: [], unused: [], problems: parsed.problems.map((p) => problem(p, at)), setup: {} };
  const understood: ImportSetting[] = [];
  const unused: ImportUnused[] = [];
  const problems: ImportProblem[] = [];
  const { lines } = parsed;
  for (const l of parsed.document.listeners) listenerSettings(l, lines, at, understood, unused);
  for (const a of parsed.document.authentications) authenticationSettings(a, lines, at, understood, unused);
  if (source.onDisk) for (const a of parsed.document.authentications) problems.push(...missingFiles(a, lines, at, files));
  const kerberos = parsed.document.authentications.flatMap((a) => a.authenticationMethods).find((m): m is Extract<AzureAuthenticationMethod, { kerberos: unknown }> => 'kerberos' in m);
  const principal = kerberos?.kerberos.principal;
  const keytab = kerberos?.kerberos.keytabSecretName ? files.resourceFile(kerberos.kerberos.keytabSecretName, KEYS.keytab) : undefined;
  return {
    files: files.files,
    understood,
    unused,
    problems,
    setup: {
      ...(source.onDisk ? { chainFile: source.file } : {}),
      ...(principal ? { servicePrincipal: principal, realm: principal.split('@')[1] } : {}),
      ...(keytab && source.onDisk && isFile(keytab) ? { serviceKeytab: keytab } : {}),
    },
  };
}

type At = (line: number) => { file: string; line: number };

function problem(p: ChainProblem, at: At): ImportProblem {
  const fix = /expected the file (\S+)/.exec(p.message);
  return {
    ...at(p.line),
    severity: 'error',
    message: p.path ? `${p.path}: ${p.message}` : p.message,
    fix: fix ? `create ${fix[1]} beside the YAML` : `correct ${p.path || 'the resource'} as the message says (Azure IoT MQ, az-edge.com/v1alpha4 or mq.iotoperations.azure.com/v1beta1)`,
  };
}

function listenerSettings(l: AzureBrokerListener, lines: ChainLines, at: At, understood: ImportSetting[], unused: ImportUnused[]): void {
  const key = (p: string) => `BrokerListener/${l.name}.${p}`;
  const line = (...paths: string[]) => at(lines.line('BrokerListener', l.name, ...paths));
  understood.push({ key: key('metadata.name'), value: l.name, ...line('metadata.name'), use: 'a listener of the bench broker, on 127.0.0.1' });
  understood.push({ key: key('spec.port'), value: String(l.port), ...line('spec.port'), use: 'the port the bench broker listens on (a free one in tests)' });
  understood.push({ key: key('spec.authenticationEnabled'), value: String(l.authenticationEnabled), ...line('spec.authenticationEnabled', 'spec'), use: 'false lets every client in, as Azure does' });
  if (l.tls) understood.push({ key: key('spec.tls'), value: 'true', ...line('spec.tls'), use: "TLS on, with the bench broker's self-signed certificate" });
  const notRun: [keyof AzureBrokerListener, string, string][] = [
    ['namespace', 'metadata.namespace', 'kept in the export; the bench has no cluster'],
    ['brokerRef', 'spec.brokerRef', 'the bench runs one broker'],
    ['serviceType', 'spec.serviceType', 'a Kubernetes service: the bench listens on loopback'],
    ['serviceName', 'spec.serviceName', 'a Kubernetes service: the bench listens on loopback'],
    ['nodePort', 'spec.nodePort', 'a Kubernetes service: the bench listens on loopback'],
    ['authorizationEnabled', 'spec.authorizationEnabled', 'the bench authenticates only (no BrokerAuthorization)'],
  ];
  for (const [field, path, why] of notRun) if (l[field] !== undefined) unused.push({ key: key(path), value: String(l[field]), ...line(path), why });
  if (l.tlsSettings) unused.push({ key: key('spec.tls'), value: Object.keys(l.tlsSettings)[0]!, ...line('spec.tls'), why: "the certificate settings (cert-manager issuer or secret): the bench uses its own self-signed certificate" });
}

function authenticationSettings(a: AzureBrokerAuthentication, lines: ChainLines, at: At, understood: ImportSetting[], unused: ImportUnused[]): void {
  const key = (p: string) => `BrokerAuthentication/${a.name}.${p}`;
  const line = (...paths: string[]) => at(lines.line('BrokerAuthentication', a.name, ...paths));
  understood.push({ key: key('spec.listenerRef'), value: a.listenerRef.join(', '), ...line('spec.listenerRef'), use: 'the listeners this chain serves' });
  if (a.namespace !== undefined) unused.push({ key: key('metadata.namespace'), value: a.namespace, ...line('metadata.namespace'), why: 'kept in the export; the bench has no cluster' });
  a.authenticationMethods.forEach((m, i) => {
    const base = `spec.authenticationMethods[${i}]`;
    const kind = Object.keys(m)[0]!;
    understood.push({ key: key(base), value: kind, ...line(base), use: `method ${i + 1} of the chain: ${METHOD_USE[kind] ?? kind}` });
    for (const [field, value, paths] of methodFields(m)) understood.push({ key: key(`${base}.${kind}.${field}`), value, ...line(...paths.map((p) => `${base}.${kind}.${p}`), base) });
  });
}

/** Each field of a method: its name, value and the YAML spellings of its path (v1beta1, v1alpha4). */
function methodFields(m: AzureAuthenticationMethod): [string, string, string[]][] {
  if ('usernamePassword' in m) return [['secretName', m.usernamePassword.secretName, ['secretName', 'passwordDatabase']]];
  if ('sat' in m) return [['audiences', m.sat.audiences.join(', '), ['audiences']]];
  if ('x509' in m) {
    const out: [string, string, string[]][] = [['trustedClientCaCert', m.x509.trustedClientCaCert, ['trustedClientCaCert']]];
    if (m.x509.attributes) out.push(['attributes', m.x509.attributes.secretName, ['attributes.secretName', 'attributes']]);
    return out;
  }
  if ('custom' in m) {
    const c = m.custom;
    const out: [string, string, string[]][] = [['endpoint', c.endpoint, ['endpoint']]];
    if (c.caCert) out.push(['caCert', c.caCert, ['caCert']]);
    if (c.auth) out.push(['auth.x509.secretName', c.auth.x509.secretName, ['auth.x509.secretName', 'auth.x509.secret']]);
    for (const [h, v] of Object.entries(c.headers ?? {})) out.push([`headers.${h}`, v, [`headers.${h}`, 'headers']]);
    return out;
  }
  const k = m.kerberos;
  return [
    ...(k.principal !== undefined ? [['principal', k.principal, ['principal']] as [string, string, string[]]] : []),
    ...(k.keytabSecretName !== undefined ? [['keytabSecretName', k.keytabSecretName, ['keytabSecretName']] as [string, string, string[]]] : []),
  ];
}

/** The secret and config-map files the bench needs beside the YAML (a warning: the YAML itself is fine). */
function missingFiles(a: AzureBrokerAuthentication, lines: ChainLines, at: At, files: ChainFiles): ImportProblem[] {
  const out: ImportProblem[] = [];
  const need = (i: number, field: string, name: string, key: string, kind: 'secret generic' | 'configmap') => {
    const file = files.resourceFile(name, key);
    if (isFile(file)) return;
    const base = `spec.authenticationMethods[${i}]`;
    out.push({
      ...at(lines.line('BrokerAuthentication', a.name, `${base}.${field}`, base)),
      severity: 'warning',
      message: `${kind === 'configmap' ? 'config map' : 'secret'} "${name}": ${file} is not there, so the bench cannot run this method as written (the cluster has it as kubectl create ${kind} ${name} --from-file=${key}=…)`,
      fix: `put the file at ${file}`,
    });
  };
  a.authenticationMethods.forEach((m, i) => {
    if ('usernamePassword' in m) need(i, 'usernamePassword', m.usernamePassword.secretName, KEYS.passwords, 'secret generic');
    else if ('x509' in m) need(i, 'x509.trustedClientCaCert', m.x509.trustedClientCaCert, KEYS.clientCa, 'configmap');
    else if ('kerberos' in m && m.kerberos.keytabSecretName) need(i, 'kerberos.keytabSecretName', m.kerberos.keytabSecretName, KEYS.keytab, 'secret generic');
  });
  return out;
}
