/**
 * The `broker` and `probe` services: the local MQTT 5 broker with GSSAPI-KERBEROS, and a client
 * probe for any broker. Both record every connection as an Exchange.
 */
import type { Exchange } from '../exchange/model';

/** Where a listener listens: a host address and a port (0: a free one). */
export interface BrokerAddress {
  host: string;
  port: number;
}

export interface BrokerStartOptions {
  /** Which listeners to open; each on its default port (1883, 8883, 8083), or a free one when taken. */
  tcp: boolean;
  tls: boolean;
  ws: boolean;
  /** Listener addresses other than 127.0.0.1 on the default port (`kbench broker --tcp HOST:PORT`). */
  addresses?: { tcp?: BrokerAddress; tls?: BrokerAddress; ws?: BrokerAddress };
  /** TLS listener: this certificate and key (PEM files on the engine's machine) instead of the self-signed one. */
  tlsFiles?: { certFile: string; keyFile: string };
  /** The lab realm's mqtt/localhost principal and service keytab, or a principal and keytab of your own. */
  credentials: 'lab' | 'custom';
  /** credentials 'lab': which lab realm, MIT or AD (default BENCH.TEST); it is brought up first. */
  realm?: string;
  /** custom: service/FQDN@REALM. */
  principal?: string;
  /** custom: a keytab path on the engine's machine. */
  keytab?: string;
  /** emqx: GSSAPI-KERBEROS with EMQX's AUTH rounds; single-round: method GSSAPI. */
  variant: 'emqx' | 'single-round';
  allowAnonymous: boolean;
  maxAuthRounds?: number;
  /** Accept → CONNACK, and each re-authentication, in ms (default 10 000). */
  authDeadlineMs?: number;
  /**
   * Every listener: a bench probe on this machine that steps through the packets gets a
   * 10-minute cap instead of the deadline (it asks with a User Property). Default: on for a
   * listener on a loopback address — all of this service's listeners are on 127.0.0.1.
   */
  holdDeadlineWhileStepping?: boolean;
  /** TLS listener: append its TLS secrets to this file (SSLKEYLOGFILE format), to decrypt captures of it. */
  keyLogFile?: string;
  /**
   * A BrokerAuthentication + BrokerListener YAML file: every listener authenticates through its
   * chain. A kerberos method without a keytab of its own uses the lab realm (credentials 'lab') or
   * `principal` and `keytab` (credentials 'custom').
   */
  chainFile?: string;
  /** chainFile: every listener on a free port instead of the YAML's. */
  freePorts?: boolean;
}

/** A listener started from a chain file: its BrokerListener and the chain that judges its clients. */
export interface BrokerListenerChain {
  /** The BrokerListener's name in the YAML. */
  listener: string;
  /** The BrokerAuthentication's name. */
  name?: string;
  /** Method kinds in order ("usernamePassword", "kerberos" …). */
  methods: string[];
  authenticationEnabled: boolean;
}

export interface BrokerListenerStatus {
  name: string;
  url: string;
  protocol: 'tcp' | 'tls' | 'ws';
  /** The default port was taken: this is a free one. */
  fellBack: boolean;
  authDeadlineMs: number;
  /** It holds the deadline for a stepping bench probe on this machine. */
  holdDeadlineWhileStepping: boolean;
  /** Started from a chain file: the chain behind this listener. */
  chain?: BrokerListenerChain;
}

export interface BrokerStatus {
  running: boolean;
  listeners: BrokerListenerStatus[];
  method?: string;
  principal?: string;
  keytab?: string;
  variant?: 'emqx' | 'single-round';
  allowAnonymous?: boolean;
  /** The self-signed certificate of the TLS listener: what a client trusts as its CA. */
  tlsCertificate?: string;
  /** The listeners and their authentication chains come from this YAML file. */
  chainFile?: string;
  connections: number;
  startedAt?: string;
}

export interface BrokerService {
  start(options: BrokerStartOptions): Promise<BrokerStatus>;
  stop(): Promise<BrokerStatus>;
  status(): Promise<BrokerStatus>;
  /** The recent connections' Exchanges, oldest first. */
  exchanges(): Promise<Exchange[]>;
}

export interface ProbeStartOptions {
  /** mqtt://, mqtts://, ws:// or wss:// URL. */
  url: string;
  /** Default mqtt@<host>. */
  service?: string;
  /** The lab realm's profile, the system's, or one made of the user's own files (`paths`). */
  profile: 'lab' | 'system' | 'custom';
  /** profile 'custom': its krb5.conf, ccache and keytabs (paths on the engine's machine). */
  paths?: ProbeProfilePaths;
  method: 'GSSAPI-KERBEROS' | 'GSSAPI';
  /** The SASL security layer the client wants if the broker offers it (default none; EMQX offers none only). */
  layer?: 'none' | 'integrity' | 'privacy';
  /** Pause before each packet until next() is called. */
  step: boolean;
  /** PEM CA file on the engine's machine (TLS). */
  caFile?: string;
  /** Skip certificate verification (TLS). */
  insecure?: boolean;
  clientId?: string;
  /** TLS: append the connection's secrets to this file (SSLKEYLOGFILE format), to decrypt a capture of it. */
  keyLogFile?: string;
  /** profile 'lab': the lab realm whose profile makes the tokens (default BENCH.TEST). */
  realm?: string;
  /** CONNECT Keep Alive in seconds and Clean Start (MQTT 5 §3.1.2.10, §3.1.2.4): a replay asks for the captured ones. */
  keepalive?: number;
  cleanStart?: boolean;
  /** CONNECT properties besides the authentication ones (§3.1.2.11): a replay sends the captured ones. */
  connectProperties?: ProbeConnectProperties;
}

export interface ProbeProfilePaths {
  krb5Config?: string;
  ccache?: string;
  keytab?: string;
  clientKeytab?: string;
}

export interface ProbeConnectProperties {
  sessionExpiryInterval?: number;
  receiveMaximum?: number;
  maximumPacketSize?: number;
  topicAliasMaximum?: number;
  requestResponseInformation?: boolean;
  requestProblemInformation?: boolean;
  userProperties?: Record<string, string>;
}

/**
 * When the broker gives up on an authentication the probe is pausing in: `at` (engine clock,
 * ISO-8601) when it said how long it waits, `held` when it holds its deadline while a bench probe
 * steps. Only the bench's broker says either (a User Property on AUTH 0x18); absent otherwise.
 */
export type PeerDeadline = { at: string } | { held: true };

export interface ProbePending {
  packet: 'CONNECT' | 'AUTH';
  description: string;
  /** The Authentication Data about to be sent, base64. */
  token: string;
  peerDeadline?: PeerDeadline;
}

export interface ProbeView {
  id: string;
  options: ProbeStartOptions;
  state: 'connecting' | 'waiting' | 'connected' | 'failed' | 'closed';
  /** In step mode: what will be sent when you call next(). */
  pending: ProbePending | null;
  /** The connect Exchange, then one per re-authentication. */
  exchanges: Exchange[];
  published?: { topic: string; received: string; properties: Record<string, unknown> };
  error?: string;
}

export interface ProbeService {
  /** Starts connecting (in the background); returns at once. Watch `probe.update` events. */
  start(options: ProbeStartOptions): Promise<ProbeView>;
  /** Step mode: send the pending packet. */
  next(id: string): Promise<ProbeView>;
  /** Starts a re-authentication (AUTH 0x19) in the background; watch `probe.update`. */
  reauthenticate(id: string): Promise<ProbeView>;
  /** Subscribe to a test topic, publish to it with MQTT 5 properties, wait for the message. */
  publish(id: string, topic?: string): Promise<ProbeView>;
  view(id: string): Promise<ProbeView>;
  close(id: string): Promise<void>;
}
