/**
 * The `sasl` service: SASL GSSAPI stepped one message at a time, both roles run by the bench
 * (MIT on the GSS side, the bench's own security-layer code), with both sides' Exchanges.
 */
import type { Exchange } from '../exchange/model';
import type { FileSource } from './inspect';

export type SaslLayerName = 'none' | 'integrity' | 'privacy';

export interface SaslRunOptions {
  /** GSS service name, "mqtt@localhost". */
  service: string;
  /** Kerberos profile for both sides: the lab realm or the user's system defaults. */
  profile: 'lab' | 'system';
  /** profile 'lab': which lab realm, MIT or AD (default BENCH.TEST). */
  realm?: string;
  /** The server's security-layer offer: EMQX (none, 0) or Cyrus SASL (all three, 2048). */
  offer: 'emqx' | 'cyrus';
  /** The layer the client wants if offered. */
  layer: SaslLayerName;
  /** Authorization id the client asks for ('' = its principal). */
  authzid?: string;
  /**
   * Which GSS implementation runs both roles: MIT through the native binding (default), or Java's
   * own Kerberos stack (JAAS Krb5LoginModule + Java GSS) in a JVM worker.
   */
  engine?: 'mit' | 'java';
}

export interface SaslRunView {
  id: string;
  options: SaslRunOptions;
  state: 'ready' | 'running' | 'established' | 'failed';
  /** What the next step will do, in words ("the client sends its initial response (AP-REQ)"). */
  next: string | null;
  /** The client's view (decoded with its ccache's session keys) and the server's (with the service keytab). */
  client: Exchange;
  server: Exchange;
}

export interface SaslService {
  /** Prepares a run; nothing is sent until step(). */
  start(options: SaslRunOptions): Promise<SaslRunView>;
  /** Sends the next message (one SASL round trip half). */
  step(id: string): Promise<SaslRunView>;
  /** Steps until the exchange succeeds or fails. */
  finish(id: string): Promise<SaslRunView>;
  /** Once established: an application message from one side, protected with the negotiated layer. */
  send(id: string, from: 'client' | 'server', text: string): Promise<SaslRunView>;
  close(id: string): Promise<void>;
  /** Decodes a "C:"/"S:" transcript with a service keytab into an Exchange. */
  decodeTranscript(text: string, keytab: FileSource): Promise<Exchange>;
}
