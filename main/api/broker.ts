/**
 * The `broker` and `probe` services: the local MQTT 5 broker with GSSAPI-KERBEROS, and a client
 * probe for any broker. Both record every connection as an Exchange.
 */
import type { Exchange } from '../exchange/model';

export interface BrokerStartOptions {
  /** Which listeners to open; each on its default port (1883, 8883, 8083), or a free one when taken. */
  tcp: boolean;
  tls: boolean;
  ws: boolean;
  /** The lab realm's mqtt/localhost principal and service keytab, or a principal and keytab of your own. */
  credentials: 'lab' | 'custom';
  /** custom: service/FQDN@REALM. */
  principal?: string;
  /** custom: a keytab path on the engine's machine. */
  keytab?: string;
  /** emqx: GSSAPI-KERBEROS with EMQX's AUTH rounds; single-round: method GSSAPI. */
  variant: 'emqx' | 'single-round';
  allowAnonymous: boolean;
  maxAuthRounds?: number;
  authDeadlineMs?: number;
}

export interface BrokerStatus {
  running: boolean;
  listeners: { name: string; url: string; protocol: 'tcp' | 'tls' | 'ws'; fellBack: boolean }[];
  method?: string;
  principal?: string;
  keytab?: string;
  variant?: 'emqx' | 'single-round';
  allowAnonymous?: boolean;
  /** The self-signed certificate of the TLS listener: what a client trusts as its CA. */
  tlsCertificate?: string;
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
  profile: 'lab' | 'system';
  method: 'GSSAPI-KERBEROS' | 'GSSAPI';
  /** Pause before each packet until next() is called. */
  step: boolean;
  /** PEM CA file on the engine's machine (TLS). */
  caFile?: string;
  /** Skip certificate verification (TLS). */
  insecure?: boolean;
  clientId?: string;
}

export interface ProbeView {
  id: string;
  options: ProbeStartOptions;
  state: 'connecting' | 'waiting' | 'connected' | 'failed' | 'closed';
  /** In step mode: what will be sent when you call next(). */
  pending: { packet: 'CONNECT' | 'AUTH'; description: string; token: string } | null;
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
