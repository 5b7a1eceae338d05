/**
 * How the broker's enhanced-authentication gateway talks to an authentication method (MQTT 5
 * §4.12): the gateway owns the MQTT side (packets, reason codes, round cap, deadline, size limits);
 * an Authenticator owns one method's conversation, one AuthSession per (re-)authentication.
 */
import type { ExchangeRecorder } from '../exchange/recorder';
import type { TransportPacket } from '../exchange/model';

/** MQTT 5 reason codes the gateway and authenticators use (§2.4, tables 3-1 … 3-13). */
export const ReasonCode = {
  Success: 0x00,
  ContinueAuthentication: 0x18,
  ReAuthenticate: 0x19,
  UnspecifiedError: 0x80,
  MalformedPacket: 0x81,
  ProtocolError: 0x82,
  ImplementationSpecificError: 0x83,
  UnsupportedProtocolVersion: 0x84,
  ClientIdentifierNotValid: 0x85,
  BadUserNameOrPassword: 0x86,
  NotAuthorized: 0x87,
  ServerUnavailable: 0x88,
  ServerBusy: 0x89,
  BadAuthenticationMethod: 0x8c,
  KeepAliveTimeout: 0x8d,
  PacketTooLarge: 0x95,
  QuotaExceeded: 0x97,
  AdministrativeAction: 0x98,
} as const;

/** Names as the spec's tables give them (Title Case), hyphen included for 0x19. */
export const REASON_NAMES: Record<number, string> = {
  ...Object.fromEntries(Object.entries(ReasonCode).map(([name, code]) => [code, name.replace(/([a-z])([A-Z])/g, '$1 $2')])),
  [ReasonCode.ReAuthenticate]: 'Re-authenticate',
};

/** "0x87 Not Authorized". */
export function reasonLabel(code: number): string {
  return `0x${code.toString(16).padStart(2, '0')} ${REASON_NAMES[code] ?? 'reason code'}`;
}

export interface AuthIdentity {
  /** The authenticated principal, "alice@BENCH.TEST". */
  principal: string;
  /** The authorization id the client asked for, when any. */
  authzid?: string;
  /** What the broker maps the identity to (the MQTT user aedes hooks see). */
  mapped?: string;
}

export type AuthOutcome =
  /** Send AUTH 0x18 with this data and wait for the client's AUTH 0x18. */
  | { kind: 'continue'; data: Buffer }
  /** Authenticated: CONNACK 0x00 (or AUTH 0x00 when re-authenticating), with data when given. */
  | { kind: 'success'; data?: Buffer; identity: AuthIdentity }
  /** Refused: CONNACK (or DISCONNECT when re-authenticating) with this reason code. */
  | { kind: 'failure'; reasonCode: number; reason: string };

export interface ListenerInfo {
  /** "tcp", "tls", "ws" … plus the address: "tcp://127.0.0.1:1883". */
  name: string;
  protocol: 'tcp' | 'tls' | 'ws';
}

export interface AuthSessionContext {
  listener: ListenerInfo;
  clientId: string;
  remoteAddress: string;
  /** True for a re-authentication (client AUTH 0x19 on an established connection). */
  reauth: boolean;
  /**
   * The connection's Exchange. Rule: steps that carry Authentication Data are recorded by the
   * authenticator (it can decode them); every other packet by the gateway.
   */
  recorder: ExchangeRecorder;
}

export interface AuthSession {
  /** CONNECT's (or the re-auth AUTH 0x19's) Authentication Data; `transport` describes that packet. */
  start(data: Buffer | undefined, transport: TransportPacket): Promise<AuthOutcome>;
  /** The Authentication Data of each client AUTH 0x18. */
  continue(data: Buffer | undefined, transport: TransportPacket): Promise<AuthOutcome>;
  dispose(): Promise<void>;
}

export interface Authenticator {
  /** The Authentication Method it answers, e.g. "GSSAPI-KERBEROS". */
  readonly method: string;
  /** The service it authenticates as ("mqtt/localhost@BENCH.TEST"), shown with each Exchange. */
  readonly service?: string;
  createSession(context: AuthSessionContext): AuthSession;
  dispose?(): Promise<void>;
}
