/**
 * The shapes of Azure IoT MQ's BrokerAuthentication and BrokerListener resources, and a walker that
 * checks a parsed YAML node against them: unknown fields at any level, wrong types, missing required
 * fields — each with its YAML path and 1-based line. Field names are Azure's (az-edge.com/v1alpha4,
 * and the spellings of its successor mq.iotoperations.azure.com/v1beta1, which renamed a few).
 */
import { isAlias, isMap, isNode, isScalar, isSeq, type LineCounter } from 'yaml';

export type Spec =
  | { t: 'string'; enum?: readonly string[]; /** a Kubernetes object name: also a directory name beside the YAML */ name?: boolean }
  | { t: 'integer'; min: number; max: number }
  | { t: 'boolean' }
  | { t: 'list'; of: Spec; nonEmpty?: boolean }
  /** Free keys, every value of one spec (headers, attributes). */
  | { t: 'dict'; of: Spec }
  | { t: 'object'; fields: Record<string, Field>; /** exactly one of these keys (a one-key union) */ oneOf?: readonly string[] }
  /** A scalar or a map: v1alpha4 wrote `attributes: x509-attributes`, v1beta1 `attributes: {secretName: …}`. */
  | { t: 'scalarOrMap'; scalar: Spec; map: Spec };

export interface Field {
  spec: Spec;
  required?: boolean;
}

export interface SchemaIssue {
  line: number;
  path: string;
  message: string;
}

/** Where each checked node of one resource starts: YAML path → 1-based line. */
export type Lines = Map<string, number>;

const str: Spec = { t: 'string' };
const name: Spec = { t: 'string', name: true };
const req = (spec: Spec): Field => ({ spec, required: true });
const opt = (spec: Spec): Field => ({ spec });
const obj = (fields: Record<string, Field>, oneOf?: readonly string[]): Spec => ({ t: 'object', fields, ...(oneOf ? { oneOf } : {}) });

export const METADATA: Spec = obj({ name: req(name), namespace: opt(name) });

/** One entry of spec.authenticationMethods: a one-key map. `kerberos` is the bench's extension. */
export const METHOD: Spec = obj(
  {
    custom: opt(
      obj({
        endpoint: req(str),
        caCert: opt(name),
        // v1beta1 writes secretName, v1alpha4 wrote secret; namespace is in both.
        auth: opt(obj({ x509: req(obj({ secretName: opt(name), secret: opt(name), namespace: opt(name) }, ['secretName', 'secret'])) })),
        headers: opt({ t: 'dict', of: str }),
      }),
    ),
    sat: opt(obj({ audiences: req({ t: 'list', of: str, nonEmpty: true }) })),
    // v1beta1 writes secretName, v1alpha4 wrote passwordDatabase.
    usernamePassword: opt(obj({ secretName: opt(name), passwordDatabase: opt(name) }, ['secretName', 'passwordDatabase'])),
    x509: opt(obj({ trustedClientCaCert: req(name), attributes: opt({ t: 'scalarOrMap', scalar: name, map: obj({ secretName: req(name) }) }) })),
    // Bench extension (not Azure): GSSAPI-KERBEROS through MQTT 5 enhanced authentication.
    kerberos: opt(obj({ principal: opt(str), keytabSecretName: opt(name) })),
  },
  ['custom', 'sat', 'usernamePassword', 'x509', 'kerberos'],
);

export const AUTHENTICATION_SPEC: Spec = obj({
  listenerRef: req({ t: 'list', of: name, nonEmpty: true }),
  authenticationMethods: req({ t: 'list', of: METHOD }),
});

const ISSUER_REF = obj({ name: req(str), kind: opt(str), group: opt(str) });
const TLS: Spec = obj(
  {
    automatic: opt(
      obj({
        issuerRef: req(ISSUER_REF),
        duration: opt(str),
        renewBefore: opt(str),
        privateKey: opt(obj({ algorithm: opt(str), rotationPolicy: opt(str), size: opt({ t: 'integer', min: 1, max: 65536 }) })),
        san: opt(obj({ dns: opt({ t: 'list', of: str }), ip: opt({ t: 'list', of: str }) })),
      }),
    ),
    manual: opt(obj({ secretName: opt(name), secret: opt(name) }, ['secretName', 'secret'])),
  },
  ['automatic', 'manual'],
);

export const LISTENER_SPEC: Spec = obj({
  brokerRef: opt(name),
  port: req({ t: 'integer', min: 1, max: 65535 }),
  nodePort: opt({ t: 'integer', min: 1, max: 65535 }),
  serviceType: opt({ t: 'string', enum: ['clusterIp', 'loadBalancer', 'nodePort'] }),
  serviceName: opt(name),
  authenticationEnabled: opt({ t: 'boolean' }),
  authorizationEnabled: opt({ t: 'boolean' }),
  tls: opt(TLS),
});

/** RFC 1123 subdomain, as Kubernetes names are; never `..` nor `/`, since the name is a directory. */
const K8S_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
export const isK8sName = (s: string): boolean => K8S_NAME.test(s) && !s.includes('..');

export class SchemaWalker {
  readonly issues: SchemaIssue[] = [];
  readonly lines: Lines = new Map();

  constructor(private readonly counter: LineCounter) {}

  lineOf(node: { range?: [number, number, number] | null } | null | undefined, fallback = 1): number {
    const offset = node?.range?.[0];
    return offset === undefined ? fallback : this.counter.linePos(offset).line;
  }

  /**
   * Checks `node` (the value at `path`) against `spec`. A field is reported at its key's line (`keyLine`:
   * a block map under `sat:` starts on the next line, and people look for `sat:`); a list item, or the
   * root, at its own line; `fallback` is for a value that is absent (`key:` with nothing after it).
   */
  check(node: unknown, spec: Spec, path: string, fallback: number, keyLine?: number): void {
    const at = keyLine ?? (isNode(node) ? this.lineOf(node, fallback) : fallback);
    this.lines.set(path, at);
    if (isAlias(node)) return this.issue(at, path, 'YAML aliases are not supported here; write the value out');
    switch (spec.t) {
      case 'object':
        return this.checkObject(node, spec, path, at);
      case 'dict':
        return this.checkDict(node, spec.of, path, at);
      case 'list':
        return this.checkList(node, spec, path, at);
      case 'scalarOrMap':
        return this.check(node, isMap(node) ? spec.map : spec.scalar, path, fallback, keyLine);
      default:
        return this.checkScalar(node, spec, path, at);
    }
  }

  issue(line: number, path: string, message: string): void {
    this.issues.push({ line, path, message });
  }

  private checkObject(node: unknown, spec: Extract<Spec, { t: 'object' }>, path: string, at: number): void {
    if (!isMap(node)) return this.issue(at, path, `expected a map with ${describeKeys(spec)}, found ${kindOf(node)}`);
    const seen: string[] = [];
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? pair.key.value : undefined;
      const keyLine = this.lineOf(isNode(pair.key) ? pair.key : null, at);
      if (typeof key !== 'string') {
        this.issue(keyLine, path, `keys must be strings, found ${kindOf(pair.key)}`);
        continue;
      }
      const sub = join(path, key);
      const field = spec.fields[key];
      if (!field) {
        this.issue(keyLine, sub, `unknown field "${key}" (known here: ${Object.keys(spec.fields).join(', ')})`);
        continue;
      }
      seen.push(key);
      this.check(pair.value, field.spec, sub, keyLine, keyLine);
    }
    for (const [key, field] of Object.entries(spec.fields)) {
      if (field.required && !seen.includes(key)) this.issue(at, join(path, key), `required field "${key}" is missing`);
    }
    if (spec.oneOf) {
      const present = spec.oneOf.filter((k) => seen.includes(k));
      if (present.length !== 1) {
        const what = present.length === 0 ? 'none' : present.join(' and ');
        this.issue(at, path, `expected exactly one of ${spec.oneOf.join(', ')}; found ${what}`);
      }
    }
  }

  private checkDict(node: unknown, of: Spec, path: string, at: number): void {
    if (!isMap(node)) return this.issue(at, path, `expected a map, found ${kindOf(node)}`);
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? pair.key.value : undefined;
      const keyLine = this.lineOf(isNode(pair.key) ? pair.key : null, at);
      if (typeof key !== 'string') this.issue(keyLine, path, `keys must be strings, found ${kindOf(pair.key)}`);
      else this.check(pair.value, of, join(path, key), keyLine, keyLine);
    }
  }

  private checkList(node: unknown, spec: Extract<Spec, { t: 'list' }>, path: string, at: number): void {
    if (!isSeq(node)) return this.issue(at, path, `expected a list, found ${kindOf(node)}`);
    if (spec.nonEmpty && node.items.length === 0) return this.issue(at, path, 'must list at least one entry');
    node.items.forEach((item, i) => this.check(item, spec.of, `${path}[${i}]`, at));
  }

  private checkScalar(node: unknown, spec: Exclude<Spec, { t: 'object' | 'dict' | 'list' | 'scalarOrMap' }>, path: string, at: number): void {
    const value = isScalar(node) ? node.value : undefined;
    if (spec.t === 'boolean') {
      if (typeof value !== 'boolean') this.issue(at, path, `expected true or false, found ${kindOf(node)}`);
      return;
    }
    if (spec.t === 'integer') {
      if (typeof value !== 'number' || !Number.isInteger(value)) return this.issue(at, path, `expected an integer, found ${kindOf(node)}`);
      if (value < spec.min || value > spec.max) this.issue(at, path, `${value} is outside ${spec.min}..${spec.max}`);
      return;
    }
    if (typeof value !== 'string') return this.issue(at, path, `expected a string, found ${kindOf(node)}`);
    if (spec.enum && !spec.enum.includes(value)) this.issue(at, path, `"${value}" is not one of ${spec.enum.join(', ')}`);
    if (spec.name && !isK8sName(value)) {
      this.issue(at, path, `"${value}" is not a Kubernetes name (lower-case letters, digits, '-' and '.'; it names a directory beside the YAML)`);
    }
  }
}


function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function describeKeys(spec: Extract<Spec, { t: 'object' }>): string {
  return spec.oneOf ? `one of ${spec.oneOf.join(', ')}` : Object.keys(spec.fields).join(', ');
}

/** What the YAML holds, in words, for "expected X, found Y". */
export function kindOf(node: unknown): string {
  if (node === null || node === undefined) return 'nothing';
  if (isMap(node)) return 'a map';
  if (isSeq(node)) return 'a list';
  if (isAlias(node)) return 'an alias';
  if (isScalar(node)) {
    const v = node.value;
    if (v === null) return 'null';
    if (typeof v === 'string') return `the string "${v.length > 40 ? `${v.slice(0, 40)}…` : v}"`;
    return `${typeof v} ${String(v)}`;
  }
  return 'something else';
}
