/**
 * The `sasl` service: SASL GSSAPI stepped one message at a time, both roles run by the bench
 * (MIT on the GSS side, the bench's own security-layer code), with both sides' Exchanges.
 */
import type { Exchange } from '../exchange/model';
import type { ProbeProfilePaths } from './broker';
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

interface SaslPeerCommon {
  /** GSS service name, "mqtt@localhost". */
  service: string;
  /** The lab realm's profile, the system's, or one made of the user's own files (`paths`). */
  profile: 'lab' | 'system' | 'custom';
  /** profile 'lab': which lab realm (default BENCH.TEST). The caller brings it up (lab.up). */
  realm?: string;
  /** profile 'custom': its krb5.conf, ccache and keytabs (paths on the engine's machine). */
  paths?: ProbeProfilePaths;
}

/**
 * One side of SASL GSSAPI whose other side is not the bench's (a Cyrus SASL sample program, a
 * broker): the caller carries the tokens. The client initiates with MIT from the profile's ccache;
 * the server accepts with MIT and the profile's FILE: keytab.
 */
export type SaslPeerOptions =
  | (SaslPeerCommon & {
      role: 'client';
      /** The layer the client wants if the server offers it (default none). */
      layer?: SaslLayerName;
      /** Authorization id the client asks for ('' or absent = its principal). */
      authzid?: string;
    })
  | (SaslPeerCommon & {
      role: 'server';
      /** The security-layer offer: EMQX's (none, max buffer 0, the default) or Cyrus SASL's (all three, 2048). */
      offer?: 'emqx' | 'cyrus';
    });

export interface SaslPeerView {
  id: string;
  role: 'client' | 'server';
  /** The client once it sent its security-layer choice; the server once it accepted it. */
  established: boolean;
  /** The negotiated layer and max buffer (the client's choice, RFC 4752 §3.3), once known. */
  securityLayer?: { layer: SaslLayerName; maxBuffer: number };
  /** This side's Exchange so far (decoded with its ccache's session keys, or the service keytab). */
  exchange: Exchange;
}

/**
 * What one step of a peer produced: the client's (initial) 'response' or the server's 'challenge'
 * with the token to send (base64, possibly empty), the server's 'success' (nothing more to send),
 * or 'failure' with its reason (recorded as the Exchange's verdict).
 */
export interface SaslPeerStep extends SaslPeerView {
  kind: 'response' | 'challenge' | 'success' | 'failure';
  token?: string;
  reason?: string;
}

/** An application message after the exchange: `data` is what to send (protect) or what was sent (unprotect), base64. */
export interface SaslPeerMessage extends SaslPeerView {
  data: string;
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
  /** Opens one side of SASL GSSAPI facing someone else's other side; nothing is sent yet. */
  openPeer(options: SaslPeerOptions): Promise<SaslPeerView>;
  /** Client peers: the initial response (the AP-REQ). A server peer starts with peerReceive. */
  peerStart(id: string): Promise<SaslPeerStep>;
  /** Takes the other side's token (base64) and returns what to answer. */
  peerReceive(id: string, token: string): Promise<SaslPeerStep>;
  /** Once established: an application message (base64) protected with the negotiated layer. */
  peerProtect(id: string, data: string): Promise<SaslPeerMessage>;
  /** Once established: the other side's protected message (base64), verified and opened. */
  peerUnprotect(id: string, message: string): Promise<SaslPeerMessage>;
  /** Disposes the peer (its GSS context) and returns its last view; null when there is no such peer. */
  closePeer(id: string): Promise<SaslPeerView | null>;
  /** Decodes a "C:"/"S:" transcript with a service keytab into an Exchange. */
  decodeTranscript(text: string, keytab: FileSource): Promise<Exchange>;
}
