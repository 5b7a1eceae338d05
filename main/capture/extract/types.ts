/**
 * The contract between the scan (which reads packets, reassembles TCP and routes each flow by its
 * content) and the extractors (which turn one protocol's bytes into Exchanges).
 */
import type { Exchange } from '../../exchange/model';
import type { CaptureRecorder } from '../recorder';
import type { CaptureWarning, FlowDirection, PacketRef, TcpFlow, TcpStreamHandler, UdpDatagram } from '../types';

/** What a sniffer says of the first bytes of a direction: it is mine, it is not, or show me more. */
export type SniffVerdict = 'yes' | 'no' | 'more';

/** Services the scan gives every extractor. */
export interface ExtractContext {
  /** A recorder for a new Exchange; the scan decodes each token as it is added (key ring, learnt keys). */
  record(init: RecordInit): CaptureRecorder;
  /**
   * A handler for bytes tunnelled inside this flow (WebSocket payload, decrypted TLS): sniffed by
   * content and extracted like a plain TCP flow. `label` says what carried them ("WebSocket", "TLS").
   */
  openInner(flow: TcpFlow, label: string): TcpStreamHandler;
  warn(warning: CaptureWarning): void;
}

export interface RecordInit {
  protocol: CaptureProtocol;
  /** "GSSAPI-KERBEROS", "Negotiate", "Basic", "AS", "TGS", "GSSAPI" (LDAP SASL) … */
  mechanism: string;
  client: string;
  server: string;
  /** The TCP flow, when there is one. */
  flow?: TcpFlow;
  /** "WebSocket", "TLS", "TLS + WebSocket": what the protocol travelled inside. */
  carriedBy?: string;
  /** The first packet of the conversation. */
  first: PacketRef;
}

export type CaptureProtocol = 'mqtt' | 'kerberos' | 'http' | 'ldap' | 'gss';

/** An extractor for a TCP protocol, recognised by content on any port. */
export interface TcpExtractor {
  name: string;
  /** Looks at the first bytes one direction sent (the client's, then the server's if the client's said 'no'). */
  sniff(first: Uint8Array, direction: FlowDirection): SniffVerdict;
  create(flow: TcpFlow, ctx: ExtractContext): TcpStreamHandler;
}

/** An extractor for UDP datagrams (Kerberos on any port). */
export interface UdpExtractor {
  name: string;
  sniff(payload: Uint8Array): boolean;
  datagram(datagram: UdpDatagram & { src: string; dst: string; packet: PacketRef }, ctx: ExtractContext): void;
  /** The capture ended: finish what is open. */
  end(ctx: ExtractContext): void;
}

export type { Exchange };
