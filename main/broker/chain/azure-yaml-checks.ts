/**
 * The combinations Azure refuses (or that cannot work) across resources of one chain file: duplicate
 * names, a listenerRef naming no listener, a listener served by two BrokerAuthentications, x509 on a
 * listener without TLS, a custom endpoint that is not HTTPS. Runs after every resource passed its schema.
 */
import type { AzureBrokerAuthentication, ChainDocument, ChainProblem } from '../../api/chain';
import type { ChainLines } from './azure-yaml';

const AUTH = 'BrokerAuthentication';
const LISTENER = 'BrokerListener';

export function checkChainDocument(doc: ChainDocument, lines: ChainLines): ChainProblem[] {
  const problems: ChainProblem[] = [];
  const add = (line: number, path: string, message: string): void => void problems.push({ file: doc.file, line, path, message });

  duplicates(doc.listeners.map((l) => l.name), (name) => add(lines.line(LISTENER, name, 'metadata.name'), 'metadata.name', `a second BrokerListener is named "${name}"`));
  duplicates(doc.authentications.map((a) => a.name), (name) =>
    add(lines.line(AUTH, name, 'metadata.name'), 'metadata.name', `a second BrokerAuthentication is named "${name}"`),
  );

  const servedBy = new Map<string, string>();
  for (const auth of doc.authentications) {
    auth.listenerRef.forEach((ref, i) => {
      const path = `spec.listenerRef[${i}]`;
      const line = lines.line(AUTH, auth.name, path);
      const listener = doc.listeners.find((l) => l.name === ref);
      if (!listener) return add(line, path, `BrokerAuthentication "${auth.name}" names listener "${ref}", and no BrokerListener in the file is called so`);
      const earlier = servedBy.get(ref);
      if (earlier !== undefined) {
        const who = earlier === auth.name ? 'this BrokerAuthentication already' : `BrokerAuthentication "${earlier}" already`;
        return add(line, path, `listener "${ref}" can be linked to only one BrokerAuthentication; ${who} serves it`);
      }
      servedBy.set(ref, auth.name);
      if (!listener.tls) x509WithoutTls(auth, ref, lines, add);
    });
    methodChecks(auth, lines, add);
  }
  return problems;
}

type Add = (line: number, path: string, message: string) => void;

function duplicates(names: string[], report: (name: string) => void): void {
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) report(name);
    seen.add(name);
  }
}

/** Azure: X.509 client authentication needs a TLS-enabled listener (the certificate arrives in the handshake). */
function x509WithoutTls(auth: AzureBrokerAuthentication, listener: string, lines: ChainLines, add: Add): void {
  auth.authenticationMethods.forEach((m, i) => {
    if (!('x509' in m)) return;
    const path = `spec.authenticationMethods[${i}].x509`;
    add(lines.line(AUTH, auth.name, path), path, `x509 needs TLS, and listener "${listener}" has no spec.tls (no client certificate can arrive)`);
  });
}

function methodChecks(auth: AzureBrokerAuthentication, lines: ChainLines, add: Add): void {
  auth.authenticationMethods.forEach((m, i) => {
    const base = `spec.authenticationMethods[${i}]`;
    if ('custom' in m && !isHttps(m.custom.endpoint)) {
      const path = `${base}.custom.endpoint`;
      add(lines.line(AUTH, auth.name, path), path, `the custom authentication endpoint must be an https:// URL (credentials travel to it); found "${m.custom.endpoint}"`);
    }
    // Both or neither: a principal of your own needs its key, and a keytab needs to say whose key to use.
    if ('kerberos' in m && (m.kerberos.principal === undefined) !== (m.kerberos.keytabSecretName === undefined)) {
      const path = `${base}.kerberos`;
      const missing = m.kerberos.principal === undefined ? 'principal (service/FQDN@REALM)' : 'keytabSecretName (the secret holding krb5.keytab)';
      add(lines.line(AUTH, auth.name, path), path, `kerberos: give both principal and keytabSecretName, or neither to use the lab realm's mqtt/localhost; ${missing} is missing`);
    }
  });
}

function isHttps(endpoint: string): boolean {
  try {
    const url = new URL(endpoint);
    return url.protocol === 'https:' && url.hostname !== '';
  } catch {
    return false;
  }
}
