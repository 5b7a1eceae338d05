/**
 * A ChainDocument back to Azure YAML (az-edge.com/v1alpha4 spellings: `passwordDatabase`,
 * `attributes: <secret>`, `auth.x509.secret`), one `---` document per resource.
 *
 * Order: when the file being replaced exists, resources keep its order (matched by kind and name) and
 * new ones follow; otherwise listeners come first, then the authentications. Comments of the replaced
 * file are carried over to the same resource at the same YAML path (keys matched by name, list items
 * by index), and so are flow style and quoting; comments on a field whose spelling changed, or on a
 * removed resource, are dropped.
 */
import { Document, isMap, isNode, isScalar, isSeq, parseAllDocuments, type Pair } from 'yaml';
import type { AzureAuthenticationMethod, AzureBrokerAuthentication, AzureBrokerListener, ChainDocument } from '../../api/chain';

const API_VERSION = 'az-edge.com/v1alpha4';

type Plain = Record<string, unknown>;

export function stringifyChainDocument(doc: ChainDocument, previousText?: string): string {
  const resources = [
    ...doc.listeners.map((l) => ({ key: `BrokerListener/${l.name}`, body: listenerYaml(l) })),
    ...doc.authentications.map((a) => ({ key: `BrokerAuthentication/${a.name}`, body: authenticationYaml(a) })),
  ];
  const previous = previousDocuments(previousText);
  const order = [...previous.keys()];
  const rank = (key: string): number => (order.includes(key) ? order.indexOf(key) : order.length);
  const sorted = resources.map((r, i) => ({ ...r, i })).sort((a, b) => rank(a.key) - rank(b.key) || a.i - b.i);
  return sorted
    .map(({ key, body }) => {
      const out = new Document(body);
      const old = previous.get(key);
      if (old) {
        out.commentBefore = old.commentBefore;
        out.comment = old.comment;
        copyComments(old.contents, out.contents);
      }
      return out.toString({ lineWidth: 0 });
    })
    .join('---\n');
}

function resource(kind: string, name: string, namespace: string | undefined, spec: Plain): Plain {
  return { apiVersion: API_VERSION, kind, metadata: { name, ...(namespace !== undefined ? { namespace } : {}) }, spec };
}

function listenerYaml(l: AzureBrokerListener): Plain {
  const spec: Plain = {};
  if (l.brokerRef !== undefined) spec.brokerRef = l.brokerRef;
  spec.port = l.port;
  if (l.nodePort !== undefined) spec.nodePort = l.nodePort;
  if (l.serviceType !== undefined) spec.serviceType = l.serviceType;
  if (l.serviceName !== undefined) spec.serviceName = l.serviceName;
  spec.authenticationEnabled = l.authenticationEnabled;
  if (l.authorizationEnabled !== undefined) spec.authorizationEnabled = l.authorizationEnabled;
  // tls: true without settings (a listener made in the editor): cert-manager with a bench issuer.
  if (l.tls) spec.tls = l.tlsSettings ?? { automatic: { issuerRef: { name: 'bench-issuer', kind: 'Issuer', group: 'cert-manager.io' } } };
  return resource('BrokerListener', l.name, l.namespace, spec);
}

function authenticationYaml(a: AzureBrokerAuthentication): Plain {
  return resource('BrokerAuthentication', a.name, a.namespace, { listenerRef: a.listenerRef, authenticationMethods: a.authenticationMethods.map(methodYaml) });
}

function methodYaml(m: AzureAuthenticationMethod): Plain {
  if ('custom' in m) {
    const { endpoint, caCert, auth, headers } = m.custom;
    const x509 = auth ? { x509: { secret: auth.x509.secretName, ...(auth.x509.namespace !== undefined ? { namespace: auth.x509.namespace } : {}) } } : undefined;
    return { custom: dropUndefined({ endpoint, caCert, auth: x509, headers }) };
  }
  if ('sat' in m) return { sat: { audiences: m.sat.audiences } };
  if ('usernamePassword' in m) return { usernamePassword: { passwordDatabase: m.usernamePassword.secretName } };
  if ('x509' in m) return { x509: dropUndefined({ trustedClientCaCert: m.x509.trustedClientCaCert, attributes: m.x509.attributes?.secretName }) };
  return { kerberos: dropUndefined({ principal: m.kerberos.principal, keytabSecretName: m.kerberos.keytabSecretName }) };
}

function dropUndefined(o: Plain): Plain {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** The replaced file's resources by kind/name, in file order; unreadable documents are skipped. */
function previousDocuments(text: string | undefined): Map<string, Document> {
  const out = new Map<string, Document>();
  if (text === undefined) return out;
  for (const d of parseAllDocuments(text)) {
    if (d.errors.length > 0) continue;
    const js = d.toJS() as unknown;
    if (typeof js !== 'object' || js === null) continue;
    const { kind, metadata } = js as { kind?: unknown; metadata?: { name?: unknown } };
    if (typeof kind === 'string' && typeof metadata?.name === 'string') out.set(`${kind}/${metadata.name}`, d);
  }
  return out;
}

function copyComments(from: unknown, to: unknown): void {
  if (!isNode(from) || !isNode(to)) return;
  to.commentBefore ??= from.commentBefore;
  to.comment ??= from.comment;
  if (from.spaceBefore) to.spaceBefore = true;
  // Keep how the value was written too: [a, b] stays a flow list, "quoted" stays quoted.
  if ((isMap(from) && isMap(to)) || (isSeq(from) && isSeq(to))) to.flow = from.flow;
  if (isScalar(from) && isScalar(to) && from.value === to.value) to.type = from.type;
  if (isMap(from) && isMap(to)) {
    for (const pair of to.items as Pair[]) {
      const old = (from.items as Pair[]).find((p) => keyOf(p) === keyOf(pair));
      if (!old) continue;
      copyComments(old.key, pair.key);
      copyComments(old.value, pair.value);
    }
  } else if (isSeq(from) && isSeq(to)) {
    to.items.forEach((item, i) => copyComments(from.items[i], item));
  }
}

function keyOf(pair: Pair): unknown {
  return isScalar(pair.key) ? pair.key.value : pair.key;
}
