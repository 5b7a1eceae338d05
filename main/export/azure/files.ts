/**
 * The Azure IoT MQ export's files: the BrokerListener and BrokerAuthentication YAML (written by the
 * chain service's own writer, main/broker/chain/azure-yaml-write.ts, methods in chain order),
 * clients.toml, the secrets and config maps the chain names, and apply.sh with the kubectl commands.
 */
import type { ExportFile } from '../../api/export';
import { stringifyChainDocument } from '../../broker/chain/azure-yaml-write';
import type { ExportModel, GeneratedExport } from '../types';
import { clientsToml, passwordsText, realmClient, redactPasswordsToml, REDACTED, type AzureClient } from './clients';
import { azureSource, type AzureResource, type AzureSource } from './source';

export const FILES = {
  listener: 'azure/broker-listener.yaml',
  authentication: 'azure/broker-authentication.yaml',
  clients: 'azure/clients.toml',
  passwords: 'azure/client-passwords.txt',
  apply: 'azure/apply.sh',
} as const;

export function generateAzure(model: ExportModel, reveal: boolean): GeneratedExport {
  // The service prepares the source first (targets/azure.ts); a direct call (a test) reads it here.
  const source = model.sources?.azure ?? azureSource(model);
  const files: ExportFile[] = [...yamlFiles(source, model)];
  const secret = passwordSecret(source);
  const client = secret && !source.passwordsToml ? realmClient(model) : undefined;
  if (secret) files.push(...clientFiles(source, secret, client, reveal));
  files.push(...source.resources.map((r) => resourceFile(r, reveal, model)));
  files.push({ path: FILES.apply, language: 'shell', text: applyScript(source, secret), mode: 0o755, purpose: 'kubectl commands: the secrets and config maps, then the resources', redacted: false });
  return { files, notes: notes(source, client) };
}

function yamlFiles(source: AzureSource, model: ExportModel): ExportFile[] {
  const { document } = source;
  const basis = `made by Kerberos Bench from ${source.from === model.basis ? model.basis : `${source.from} (${model.basis})`}`;
  const order = document.authentications.map((a) => `${a.name}: ${a.authenticationMethods.map((m) => Object.keys(m)[0]).join(' → ')}`).join('; ');
  const kerberos = document.authentications.some((a) => a.authenticationMethods.some((m) => 'kerberos' in m));
  const listenerText = `# Azure IoT MQ BrokerListener, ${basis}.\n# Apply with apply.sh (kubectl apply -f broker-listener.yaml -n ${source.namespace}).\n${stringifyChainDocument({ ...document, authentications: [] })}`;
  const authHeader = [
    `# Azure IoT MQ BrokerAuthentication, ${basis}.`,
    `# Methods in chain order (the first relevant one decides): ${order}.`,
    ...(kerberos ? ['# kerberos is Kerberos Bench\'s method (GSSAPI-KERBEROS over MQTT 5 enhanced authentication), not Azure\'s: Azure IoT MQ refuses it; run it behind a custom authentication server there.'] : []),
  ];
  return [
    { path: FILES.listener, language: 'yaml', text: listenerText, mode: 0o644, purpose: 'The BrokerListener: port and authentication on (kubectl apply -f)', redacted: false },
    {
      path: FILES.authentication,
      language: 'yaml',
      text: `${authHeader.join('\n')}\n${stringifyChainDocument({ ...document, listeners: [] })}`,
      mode: 0o644,
      purpose: 'The BrokerAuthentication: the authentication methods in chain order (kubectl apply -f)',
      redacted: false,
    },
  ];
}

/** The secret of the first usernamePassword method: where clients.toml goes. */
export function passwordSecret(source: AzureSource): string | undefined {
  for (const auth of source.document.authentications) for (const m of auth.authenticationMethods) if ('usernamePassword' in m) return m.usernamePassword.secretName;
  return undefined;
}

function clientFiles(source: AzureSource, secret: string, client: AzureClient | undefined, reveal: boolean): ExportFile[] {
  const text = source.passwordsToml ? (reveal ? source.passwordsToml.text : redactPasswordsToml(source.passwordsToml.text)) : clientsToml([client!], secret, reveal);
  const files: ExportFile[] = [
    { path: FILES.clients, language: 'toml', text, mode: 0o600, purpose: `The usernamePassword clients with PBKDF2 hashes and attributes: secret "${secret}", key passwords.toml`, redacted: !reveal },
  ];
  if (client) {
    files.push({ path: FILES.passwords, language: 'text', text: passwordsText([client], reveal), mode: 0o600, purpose: 'The password each client sends (keep it with the client, not on the broker)', redacted: !reveal });
  }
  return files;
}

function resourceFile(r: AzureResource, reveal: boolean, model: ExportModel): ExportFile {
  const path = `azure/${r.exportPath}`;
  const purpose = `${r.purpose}: ${r.kind} "${r.name}", key ${r.key}`;
  if (r.text !== undefined) {
    const redacted = r.sensitive && !reveal;
    return { path, language: r.key.endsWith('.toml') ? 'toml' : 'text', text: redacted ? `${REDACTED}\n` : r.text, mode: r.sensitive ? 0o600 : 0o644, purpose, redacted };
  }
  if (r.bytes && reveal) return { path, language: 'binary', text: '', binary: Buffer.from(r.bytes).toString('base64'), mode: 0o600, purpose, redacted: false };
  const make = `make it with: kadmin -q "ktadd -k ${r.key} ${model.mqtt.principal}" (in the lab: kbench lab export-keytab ${r.key} --principal ${model.mqtt.principal})`;
  const withheld = r.bytes ? 'holds the service key: pass --reveal-secrets' : `no keytab for ${model.mqtt.principal} on the bench`;
  if (r.key.endsWith('.keytab')) return { path, language: 'binary', text: '', mode: 0o600, purpose: `${purpose}; ${make}`, redacted: true, withheld };
  return { path, language: 'text', text: '', mode: 0o600, purpose, redacted: true, withheld: `not beside the chain YAML: create it (${r.name}/${r.key})` };
}

function applyScript(source: AzureSource, secret: string | undefined): string {
  const ns = '-n "$NS"';
  const lines = [
    '#!/bin/sh',
    '# Creates the secrets and config maps the BrokerAuthentication names, then applies the resources.',
    `# Run it beside its files: sh apply.sh (NAMESPACE=… to choose another namespace than ${source.namespace}).`,
    'set -eu',
    'cd "$(dirname "$0")"',
    `NS="\${NAMESPACE:-${source.namespace}}"`,
  ];
  if (secret) lines.push(`kubectl create secret generic ${secret} --from-file=passwords.toml=clients.toml ${ns}`);
  const byName = new Map<string, AzureResource[]>();
  for (const r of source.resources) byName.set(r.name, [...(byName.get(r.name) ?? []), r]);
  for (const [name, list] of byName) {
    const kind = list[0]!.kind === 'configmap' ? 'configmap' : 'secret generic';
    lines.push(`kubectl create ${kind} ${name} ${list.map((r) => `--from-file=${r.key}=${r.exportPath}`).join(' ')} ${ns}`);
  }
  lines.push(`kubectl apply -f broker-listener.yaml ${ns}`, `kubectl apply -f broker-authentication.yaml ${ns}`, '');
  return lines.join('\n');
}

function notes(source: AzureSource, client: AzureClient | undefined): string[] {
  const out = [...source.notes, `Run azure/apply.sh with kubectl pointed at the cluster (namespace ${source.namespace}).`];
  if (client) out.push(`clients.toml holds one client, ${client.username}; its password is in client-passwords.txt (revealed with --reveal-secrets).`);
  if (source.document.authentications.some((a) => a.authenticationMethods.some((m) => 'kerberos' in m))) {
    out.push("The kerberos method is Kerberos Bench's (GSSAPI-KERBEROS), not Azure IoT MQ's: on Azure, serve it from a custom authentication server.");
  }
  return out;
}
