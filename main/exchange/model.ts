/**
 * The Exchange: every authentication conversation the bench touches — a SASL run, a broker
 * connection, a probe, an HTTP Negotiate round trip, a capture, a replay — as one ordered list of
 * steps. Decoders, diagnosis, replay, diff and export all read this one shape.
 * Types only here; (de)serialisation in serialize.ts.
 */
import type { TreeNode } from '../krb/tree';

/** Who sent a step. */
export type StepDirection = 'client-to-server' | 'server-to-client';

/** The transport packet a token travelled in. */
export interface TransportPacket {
  protocol: 'sasl' | 'mqtt' | 'http' | 'kerberos';
  /** "initial response", "challenge", "response", "CONNECT", "AUTH 0x18", "CONNACK 0x87", "401" … */
  packet: string;
  /** Packet fields worth showing: reason codes, property names, header values. */
  fields?: Record<string, string | number | boolean>;
}

export interface ExchangeStep {
  index: number;
  direction: StepDirection;
  /** ISO-8601 time the step was sent or received. */
  at: string;
  /** Milliseconds since the exchange started. */
  elapsedMs: number;
  transport: TransportPacket;
  /** The SASL/GSS token carried, base64 ('' for an empty token, absent when the packet has none). */
  token?: string;
  /** What the token is, in words: "GSS-API AP-REQ", "security-layer offer (wrapped)". */
  tokenKind?: string;
  /** One line for the sequence diagram: "offers layers none+integrity+privacy, max buffer 2048". */
  summary?: string;
  /** The token decoded (and decrypted where keys allowed), with byte offsets into `token`. */
  decoded?: TreeNode;
  /** KRB5_TRACE lines produced while handling this step. */
  trace?: string[];
  /** Keys learned while decoding this step (descriptions, never key bytes). */
  learnedKeys?: string[];
  error?: string;
}

export type ExchangeOutcome = 'success' | 'failure' | 'pending';

export interface ExchangeVerdict {
  outcome: ExchangeOutcome;
  /** The cause in words: "Request ticket server mqtt/localhost@BENCH.TEST kvno 3 not found in keytab". */
  reason: string;
  /** A protocol code when there is one: "0x87", "KRB_AP_ERR_BADKEYVER", "GSS_S_FAILURE". */
  code?: string;
}

export interface ExchangeIdentity {
  /** The authenticated Kerberos principal. */
  principal?: string;
  /** The SASL authorization id the client asked for. */
  authzid?: string;
  /** What the server mapped it to (a user name). */
  mapped?: string;
}

export interface Exchange {
  id: string;
  /** Where it came from. */
  source: 'sasl' | 'broker' | 'probe' | 'http' | 'capture' | 'replay' | 'import';
  /** Our role in it: we were the client, the server, or only watched. */
  role: 'client' | 'server' | 'observer';
  /** "GSSAPI" (SASL), "GSSAPI-KERBEROS" (EMQX MQTT), "Negotiate" (HTTP) … */
  mechanism: string;
  /** GSS service name, "mqtt@localhost". */
  service?: string;
  /** Kerberos profile used, by id. */
  profile?: string;
  startedAt: string;
  finishedAt?: string;
  steps: ExchangeStep[];
  verdict: ExchangeVerdict;
  identity?: ExchangeIdentity;
  /** Negotiated SASL security layer and buffer size, when there was one. */
  securityLayer?: { layer: 'none' | 'integrity' | 'privacy'; maxBuffer: number };
  /** Free-form context: listener, peer address, client id. */
  meta?: Record<string, string>;
  /**
   * The files this side decoded its steps with (paths on the engine's machine): a server's
   * service keytab, a client's credential cache (its session keys). The Decoder opens a step's
   * token with the same keys ("Open in Decoder").
   */
  keyFiles?: ExchangeKeyFiles;
}

export interface ExchangeKeyFiles {
  keytab?: string;
  ccache?: string;
}
