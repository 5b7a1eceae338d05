/**
 * Authentication-method chains as Azure IoT MQ (E4K) runs them: per listener, an ordered list of
 * methods. For each method the broker first decides whether the client's credentials are
 * RELEVANT to it, then whether they are VALID. The first relevant method ends the chain (pass or
 * fail); when none is relevant the client is denied; `authenticationEnabled: false` lets everyone in.
 *
 * Types only here: the methods (methods/*.ts), the chain (chain.ts), Azure's YAML (azure-yaml.ts).
 */
import type { ListenerInfo } from '../auth';

/** The method names as Azure's BrokerAuthentication YAML spells them, plus our Kerberos one. */
export type ChainMethodKind = 'custom' | 'sat' | 'usernamePassword' | 'x509' | 'kerberos';

/** Everything the client presented when it connected: what a method decides on. */
export interface ChainCredentials {
  clientId: string;
  /** MQTT protocol level: 3 (3.1), 4 (3.1.1), 5. */
  mqttVersion: number;
  username?: string;
  /** The CONNECT password bytes (never logged, never put in an Exchange). */
  password?: Buffer;
  /** MQTT 5 Authentication Method and Data. */
  authenticationMethod?: string;
  authenticationData?: Buffer;
  /** The TLS client certificate chain as presented, leaf first, DER. Absent: no certificate. */
  clientCertificates?: Buffer[];
  /** "127.0.0.1:50412". */
  remoteAddress: string;
  listener: ListenerInfo;
}

/** One method's say on a connection. */
export interface MethodVerdict {
  relevant: boolean;
  /** Why (not) relevant, in words: "username is $sat", "no TLS client certificate". */
  relevantWhy: string;
  /** Decided only when relevant. */
  valid?: boolean;
  /** "signature verified with key kid=…, audience aud1 matches", "hash does not match". */
  validWhy?: string;
  /** Attributes granted (Azure's authorization input) when valid. */
  attributes?: Record<string, string>;
  /** Who the client is when valid: the username, the certificate subject, the token's sub … */
  principal?: string;
}

/**
 * A method decided at CONNECT from the credentials alone (all but kerberos, whose validity is the
 * enhanced-authentication conversation the gateway runs with the existing GSSAPI-KERBEROS
 * authenticator). `check` never throws for the client's input: bad input is an invalid verdict.
 * The signal aborts a slow check (a custom server, a TokenReview call) when the connection goes.
 */
export interface ChainMethod {
  readonly kind: ChainMethodKind;
  check(credentials: ChainCredentials, signal: AbortSignal): Promise<MethodVerdict>;
  dispose?(): Promise<void>;
}

/** One line of the decision trace. */
export interface ChainTraceEntry {
  method: ChainMethodKind;
  relevant: boolean;
  /** Absent when the method was not relevant (or the chain ended before it). */
  valid?: boolean;
  /** Relevance reason, then validity reason: "username present; hash matches". */
  why: string;
  attributes?: Record<string, string>;
}

/** What a chain decided for one connection. */
export interface ChainDecision {
  allowed: boolean;
  /** The method that ended the chain (the first relevant one), or null when none was relevant. */
  endedBy: ChainMethodKind | null;
  attributes: Record<string, string>;
  /** Every method in order up to the one that ended the chain (all of them when none did). */
  trace: ChainTraceEntry[];
  principal?: string;
  /** The reason in words, for the CONNACK Reason String and the log line. */
  reason: string;
  /**
   * kerberos was the first relevant method: its validity is the GSSAPI-KERBEROS conversation the
   * gateway runs next; the gateway completes the last trace entry with its outcome.
   */
  enhanced?: string;
}

// ---- configuration (what Azure's YAML loads into, and what the UI edits) ---------------------------

export interface CustomMethodConfig {
  kind: 'custom';
  /** HTTPS only. */
  endpoint: string;
  /** PEM of the CA that signs the server's certificate (a config map in Azure). */
  caCertPem?: string;
  /** Client certificate and key (PEM) to authenticate to the server. */
  clientCertPem?: string;
  clientKeyPem?: string;
  headers?: Record<string, string>;
  /** Default 5000. */
  timeoutMs?: number;
}

export interface SatMethodConfig {
  kind: 'sat';
  /** At least one must match the token's `aud`. */
  audiences: string[];
  /** Verification: public keys (PEM / JWK), a JWKS file's content, or a TokenReview API server. */
  publicKeysPem?: string[];
  jwks?: string;
  tokenReview?: { url: string; bearerToken: string; caCertPem?: string };
}

export interface UsernamePasswordMethodConfig {
  kind: 'usernamePassword';
  /** The passwords.toml text (Azure: the secret `secretName` with key passwords.toml). */
  passwordsToml: string;
  /** Where it came from, for errors ("credentials/passwords.toml"). */
  source?: string;
}

export interface X509MethodConfig {
  kind: 'x509';
  /** PEM bundle of trusted client CAs (Azure: config map trustedClientCaCert, key client_ca.pem). */
  trustedCaPem: string;
  /** x509Attributes.toml text, when attributes are mapped. */
  attributesToml?: string;
  /** Where the CA bundle came from, for errors ("trustedClientCaCert/client_ca.pem"). */
  source?: string;
  /** Where attributesToml came from, for errors ("x509-attributes/x509Attributes.toml"). */
  attributesSource?: string;
}

export interface KerberosMethodConfig {
  kind: 'kerberos';
  /** The lab realm's mqtt/localhost and service keytab, or a principal and keytab of your own. */
  credentials: 'lab' | 'custom';
  principal?: string;
  keytab?: string;
}

export type ChainMethodConfig = CustomMethodConfig | SatMethodConfig | UsernamePasswordMethodConfig | X509MethodConfig | KerberosMethodConfig;
