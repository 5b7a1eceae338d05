/**
 * The chain at CONNECT, for the gateway: what the client presented (ChainCredentials), the chain's
 * decision, and what the gateway does with it — admit, refuse, or hand over to the enhanced
 * authenticator (kerberos ended the chain). The gateway owns the packets; this file owns the
 * translation between a CONNECT and a chain decision.
 *
 * The Exchange gets `authChain` (the decision, or for kerberos the decision completed with the
 * GSSAPI-KERBEROS outcome) and one step for the decision: after the CONNECT it judged; for
 * kerberos before the CONNECT, because the authenticator records the CONNECT with its token.
 */
import type { Duplex } from 'node:stream';
import { TLSSocket, type DetailedPeerCertificate } from 'node:tls';
import type { IConnectPacket } from 'mqtt-packet';
import type { ExchangeRecorder } from '../../exchange/recorder';
import type { AuthIdentity, ListenerInfo } from '../auth';
import { ReasonCode } from '../auth';
import type { AuthChain } from './chain';
import { refusalCode, traceLine, verdictOf } from './chain';
import type { ChainCredentials, ChainDecision } from './types';

/** The TLS client's certificate chain as presented, leaf first, DER; undefined without one (or not TLS). */
export function peerCertificates(stream: Duplex): Buffer[] | undefined {
  if (!(stream instanceof TLSSocket)) return undefined;
  const leaf = stream.getPeerCertificate(true);
  if (!leaf || !leaf.raw) return undefined;
  const chain: Buffer[] = [];
  const seen = new Set<DetailedPeerCertificate>();
  // Node links each certificate to its issuer; a self-signed one is its own issuer (a cycle).
  for (let cert: DetailedPeerCertificate | undefined = leaf; cert?.raw && !seen.has(cert); cert = cert.issuerCertificate) {
    seen.add(cert);
    chain.push(cert.raw);
  }
  return chain;
}

export function chainCredentials(packet: IConnectPacket, stream: Duplex, listener: ListenerInfo, remoteAddress: string): ChainCredentials {
  const properties = packet.protocolVersion === 5 ? packet.properties : undefined;
  const certificates = peerCertificates(stream);
  const password = packet.password === undefined ? undefined : Buffer.from(packet.password);
  return {
    clientId: packet.clientId,
    mqttVersion: packet.protocolVersion ?? 4,
    ...(packet.username !== undefined ? { username: packet.username } : {}),
    ...(password ? { password } : {}),
    ...(properties?.authenticationMethod !== undefined ? { authenticationMethod: properties.authenticationMethod } : {}),
    ...(properties?.authenticationData !== undefined ? { authenticationData: properties.authenticationData } : {}),
    ...(certificates ? { clientCertificates: certificates } : {}),
    remoteAddress,
    listener,
  };
}

/** The CONNECT as aedes gets it after the chain admitted it: no auth properties, no password. */
export function connectForAedes(connect: IConnectPacket, username: string | undefined): IConnectPacket {
  const { authenticationMethod: _method, authenticationData: _data, ...properties } = connect.properties ?? {};
  const { password: _password, properties: _properties, username: _username, ...rest } = connect;
  return {
    ...rest,
    ...(username !== undefined ? { username } : {}),
    ...(Object.keys(properties).length > 0 ? { properties } : {}),
  };
}

/** What the gateway does next. */
export type ChainAction =
  | { kind: 'admit'; identity?: AuthIdentity; attributes: Record<string, string> }
  | { kind: 'refuse'; reasonCode: number; reason: string }
  | { kind: 'enhanced'; method: string };

/** Decides, records the decision (Exchange.authChain and a step), and says what to do. */
export async function judge(chain: AuthChain, credentials: ChainCredentials, signal: AbortSignal, recorder: ExchangeRecorder): Promise<{ decision: ChainDecision; action: ChainAction }> {
  const decision = await chain.decide(credentials, signal);
  // The connection went (or its deadline passed) while the chain judged: its verdict is already set.
  if (signal.aborted) return { decision, action: { kind: 'refuse', reasonCode: ReasonCode.NotAuthorized, reason: 'aborted' } };
  const verdict = verdictOf(decision);
  recorder.exchange.authChain = verdict;
  recorder.add({
    direction: 'client-to-server',
    transport: { protocol: 'mqtt', packet: 'auth chain', fields: { endedBy: decision.endedBy ?? 'none', allowed: decision.enhanced ? 'by the conversation' : decision.allowed } },
    summary: `${traceLine(verdict)}: ${decision.reason}`,
  });
  if (decision.enhanced) return { decision, action: { kind: 'enhanced', method: decision.enhanced } };
  if (!decision.allowed) return { decision, action: { kind: 'refuse', reasonCode: refusalCode(decision), reason: decision.reason } };
  const identity = decision.principal ? { principal: decision.principal } : undefined;
  return { decision, action: { kind: 'admit', ...(identity ? { identity } : {}), attributes: decision.attributes } };
}
