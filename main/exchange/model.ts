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
  protocol: 'sasl' | 'mqtt' | 'http' | 'kerberos' | 'ldap' | 'gss';
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
  /** Capture frame numbers the step came from (a capture's Exchanges only). */
  packets?: number[];
  /**
   * The whole transport packet as captured, base64 (an MQTT CONNECT or AUTH with its fixed
   * header): what a verbatim replay sends again.
   */
  raw?: string;
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
  /** Where in a capture file the conversation was found (a capture's Exchanges only). */
  capture?: CaptureOrigin;
  /** The broker's authentication-method chain decision for this connection (a chained listener only). */
  authChain?: AuthChainVerdict;
}

/** An authentication-method chain's decision (Azure IoT MQ semantics): each method, relevant, then valid. */
export interface AuthChainVerdict {
  allowed: boolean;
  /** The first relevant method, which ended the chain; null when none was relevant. */
  endedBy: 'custom' | 'sat' | 'usernamePassword' | 'x509' | 'kerberos' | null;
  attributes: Record<string, string>;
  trace: { method: 'custom' | 'sat' | 'usernamePassword' | 'x509' | 'kerberos'; relevant: boolean; valid?: boolean; why: string; attributes?: Record<string, string> }[];
  principal?: string;
  reason: string;
}

/** What a capture tells about one of its Exchanges beyond the steps. */
export interface CaptureOrigin {
  /** The capture file, as the user named it. */
  file?: string;
  protocol: 'mqtt' | 'kerberos' | 'http' | 'ldap' | 'gss';
  /** "IP:PORT" of the side that opened the conversation, and of the other side. */
  client: string;
  server: string;
  /** TCP connection number in the file (tshark's tcp.stream), absent for UDP. */
  flow?: number;
  /** "WebSocket", "TLS", "TLS + WebSocket": what the protocol travelled inside. */
  carriedBy?: string;
  /** Every frame number the Exchange's steps came from, ascending. */
  packets: number[];
  /** The rest of the session after the authentication (MQTT: packets by type, bytes, duration). */
  session?: { packets: Record<string, number>; bytes: number; durationMs: number };
  /** The ticket the client presented (AP-REQ) or the KDC issued (AS/TGS reply), in clear. */
  ticket?: CaptureTicket;
  /** Client and service principal names the Exchange carries (clients once a token decrypts). */
  principals: string[];
  /** Ids of Exchanges tied to this one: the TGS exchange that issued its ticket, the AS exchange of the TGT. */
  linked: string[];
  /** Top diagnosis finding of a failed Exchange. */
  diagnosis?: { id: string; title: string };
  /** Where the bytes ran out or skipped: TCP gaps inside the conversation. */
  gaps?: string[];
}

export interface CaptureTicket {
  /** The service's PrincipalName without the realm: "mqtt/localhost". */
  sname: string;
  realm: string;
  kvno: number | null;
  etype: number;
  /** SHA-256 (hex, first 16 bytes) of the ticket's enc-part cipher: the same ticket wherever it travels. */
  fingerprint: string;
}

export interface ExchangeKeyFiles {
  keytab?: string;
  ccache?: string;
}
