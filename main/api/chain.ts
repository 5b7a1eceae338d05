/**
 * The `chain` service: authentication-method chains as Azure IoT MQ runs them (BrokerAuthentication
 * + BrokerListener YAML, az-edge.com/v1alpha4), loaded, saved, and tried one connection at a time;
 * and PBKDF2 password hashes as `az edge e4k get-password-hash` writes them.
 */
import type { AuthChainVerdict, Exchange } from '../exchange/model';

export type ChainMethodKind = NonNullable<AuthChainVerdict['endedBy']>;

/**
 * One entry of `spec.authenticationMethods`, in Azure's own terms: resources are named (secrets,
 * config maps), and their files live beside the YAML as `kubectl create secret --from-file` takes
 * them (secret `credentials`, key `passwords.toml` → `credentials/passwords.toml`).
 */
export type AzureAuthenticationMethod =
  | { custom: { endpoint: string; caCert?: string; auth?: { x509: { secretName: string; namespace?: string } }; headers?: Record<string, string> } }
  | { sat: { audiences: string[] } }
  | { usernamePassword: { secretName: string } }
  | { x509: { trustedClientCaCert: string; attributes?: { secretName: string } } }
  | { kerberos: { principal?: string; keytabSecretName?: string } };

export interface AzureBrokerAuthentication {
  name: string;
  namespace?: string;
  /** spec.listenerRef: the listeners this chain serves. */
  listenerRef: string[];
  authenticationMethods: AzureAuthenticationMethod[];
}

export interface AzureBrokerListener {
  name: string;
  namespace?: string;
  port: number;
  authenticationEnabled: boolean;
  /** The listener has TLS (spec.tls present): x509 needs it. */
  tls: boolean;
  /** spec.brokerRef (Azure requires it; kept so a saved file still applies to a cluster). */
  brokerRef?: string;
  serviceType?: 'clusterIp' | 'loadBalancer' | 'nodePort';
  serviceName?: string;
  nodePort?: number;
  authorizationEnabled?: boolean;
  /** spec.tls as written (automatic: cert-manager issuerRef …, or manual: secretName), kept for saving. */
  tlsSettings?: AzureListenerTls;
}

/** spec.tls of a BrokerListener: exactly one of the two. */
export type AzureListenerTls = { automatic: Record<string, unknown> } | { manual: Record<string, unknown> };

/** A YAML file (possibly several documents) of BrokerAuthentication and BrokerListener resources. */
export interface ChainDocument {
  /** The YAML file on the engine's machine. */
  file: string;
  authentications: AzureBrokerAuthentication[];
  listeners: AzureBrokerListener[];
}

/** A problem with the file or a file it names: where (file, 1-based line, YAML path) and what. */
export interface ChainProblem {
  file: string;
  line: number;
  /** "spec.authenticationMethods[2].sat.audiences" */
  path: string;
  message: string;
}

export interface ChainLoadResult {
  /** Absent when the file cannot be used at all. */
  document?: ChainDocument;
  /** Sorted by file and line; any problem makes the chain unusable (nothing half-loaded). */
  problems: ChainProblem[];
}

export type ChainTraceEntry = AuthChainVerdict['trace'][number];

/** What the chain decided for one connection (also kept in the connection's Exchange as `authChain`). */
export type ChainVerdict = AuthChainVerdict;

export interface ChainTestInput {
  /** The YAML file. */
  file: string;
  /** Which listener's chain (default: the first listener). */
  listener?: string;
  username?: string;
  password?: string;
  /** PEM client certificate (chain) and key files: the connection presents them over TLS. */
  certFile?: string;
  keyFile?: string;
  /** "GSSAPI-KERBEROS": authenticate with the lab's ticket through the enhanced-auth rounds. */
  method?: string;
  clientId?: string;
}

export interface ChainTestResult extends ChainVerdict {
  /** The connection as the broker recorded it. */
  exchange: Exchange;
}

/** The sample custom authentication server (HTTPS) a `custom` method can be tried against. */
export interface ChainCustomServerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  /** Users as Azure's passwords.toml lists them, but with the password in clear (a file on the engine's machine). */
  usersFile?: string;
  /** More users without attributes, "USER:PASSWORD" each. */
  allow?: string[];
}

export interface ChainCustomServerStatus {
  url: string;
  /** Its self-signed certificate (made on first start in the data directory): the custom method's CA (caCertPem). */
  caCertFile: string;
  users: string[];
}

export interface ChainService {
  load(file: string): Promise<ChainLoadResult>;
  /** Writes the document back as Azure YAML (the same resources, in order); refuses an invalid one with its problems. */
  save(document: ChainDocument): Promise<ChainLoadResult>;
  /** One MQTT 5 connection through the chain on a throwaway loopback listener. */
  test(input: ChainTestInput): Promise<ChainTestResult>;
  /** `$pbkdf2-sha512$i=N,l=64$SALT$HASH` (random 16-byte salt, 210 000 iterations by default). */
  hashPassword(input: { password: string; salt?: string; iterations?: number }): Promise<{ hash: string }>;
  verifyPassword(input: { hash: string; password: string }): Promise<{ matches: boolean; why: string }>;
  /**
   * Starts the sample custom authentication server (replacing a running one): it passes the users
   * listed and fails others. Each request is reported as a `chain.customServerRequest` line (never
   * the password). A users file that does not parse fails naming its line (details: `field: 'users'`).
   */
  startCustomServer(options: ChainCustomServerOptions): Promise<ChainCustomServerStatus>;
  stopCustomServer(): Promise<void>;
}
