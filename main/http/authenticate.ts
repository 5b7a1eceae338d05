/**
 * One request's authentication, shared by both modes: read the `Authorization` header (negotiate.ts),
 * step the connection's acceptor for Negotiate, check Basic against the local users, and record the
 * request's step. The mode then decides what to answer (ES JSON, the console page, a fallback).
 *
 * Steps: `{ protocol: 'http', packet: 'Authorization' }` with the header as the Exchange shows it
 * (`Negotiate <n-byte token>`, `Basic alice:••••` — never a password), or `packet: 'GET /path'` when
 * the request carries no Authorization.
 */
import type { IncomingMessage } from 'node:http';
import type { ExchangeStep, TransportPacket } from '../exchange/model';
import type { AcceptorConnection } from './acceptor';
import { describeCredentials, HttpHeaderError, parseAuthorization, type HttpCredentials } from './negotiate';
import type { ConsoleUsers } from './users';

/** Who a request authenticated as. */
export interface HttpUser {
  /** "alice@BENCH.TEST" (Kerberos) or a console user name (Basic). */
  name: string;
  via: 'kerberos' | 'basic';
  admin: boolean;
  /** Kerberos: the client principal. */
  principal?: string;
}

export interface AuthPolicy {
  /** Kerberos is offered and accepted (SSO mode with SSO off: false). */
  negotiate: boolean;
  basic: boolean;
  /** Why a Negotiate token is not looked at when `negotiate` is false (default: SSO is off). */
  negotiateOffWhy?: string;
}

export type AuthResult =
  | { kind: 'user'; user: HttpUser; mutualToken?: Buffer }
  | { kind: 'continue'; token: Buffer }
  /** No Authorization header, or a scheme the endpoint does not take now (why says which). */
  | { kind: 'none'; why: string; scheme?: 'Negotiate' | 'Basic' | 'other' }
  /**
   * The header was malformed (status 400 where the mode says so), Kerberos or the password failed
   * (401), or the GSS worker crashed (500).
   */
  | { kind: 'failed'; scheme: 'Negotiate' | 'Basic' | 'header'; status: 400 | 401 | 500; reason: string; code?: string; user?: string; header?: string };

export interface AuthInput {
  request: IncomingMessage;
  policy: AuthPolicy;
  users: ConsoleUsers;
  connection: AcceptorConnection;
  record(step: Omit<ExchangeStep, 'index' | 'at' | 'elapsedMs'>): void;
}

function requestLine(request: IncomingMessage): string {
  return `${request.method ?? 'GET'} ${(request.url ?? '/').split('?')[0]}`;
}

function authorizationTransport(request: IncomingMessage, shown: string): TransportPacket {
  return { protocol: 'http', packet: 'Authorization', fields: { request: requestLine(request), Authorization: shown } };
}

/** The Authorization header's single value (a repeated header is itself malformed). */
function authorizationHeader(request: IncomingMessage): string | undefined {
  const values = request.headersDistinct.authorization;
  if (!values || values.length === 0) return undefined;
  return values.join(', ');
}

export async function authenticate(input: AuthInput): Promise<AuthResult> {
  const { request, record } = input;
  const header = authorizationHeader(request);
  if (header === undefined) {
    record({ direction: 'client-to-server', transport: { protocol: 'http', packet: requestLine(request), fields: { Authorization: '(none)' } }, summary: 'no Authorization header' });
    return { kind: 'none', why: 'the request carries no Authorization header' };
  }
  let credentials: HttpCredentials;
  try {
    credentials = parseAuthorization(header);
  } catch (error) {
    if (!(error instanceof HttpHeaderError)) throw error;
    const shown = `${header.slice(0, 40)}${header.length > 40 ? '…' : ''}`.replace(/^(Basic\s+)\S+/i, '$1••••');
    record({ direction: 'client-to-server', transport: authorizationTransport(request, shown), summary: 'malformed Authorization header', error: error.message });
    return { kind: 'failed', scheme: 'header', status: 400, reason: error.message, header };
  }
  const transport = authorizationTransport(request, describeCredentials(credentials));
  if (credentials.scheme === 'Negotiate') return negotiate(input, credentials.token, transport);
  if (credentials.scheme === 'Basic') return basic(input, credentials, transport);
  record({ direction: 'client-to-server', transport, summary: `${credentials.name} credentials`, error: `the ${credentials.name} scheme is not offered here` });
  return { kind: 'none', scheme: 'other', why: `the client used the ${credentials.name} scheme, which this endpoint does not offer` };
}

async function negotiate(input: AuthInput, token: Buffer, transport: TransportPacket): Promise<AuthResult> {
  if (!input.policy.negotiate) {
    const why = input.policy.negotiateOffWhy ?? 'Kerberos single sign-on is off';
    input.record({ direction: 'client-to-server', transport, token: token.toString('base64'), summary: 'Negotiate token not accepted here', error: why });
    return { kind: 'none', scheme: 'Negotiate', why: `${why}: the Negotiate token was not looked at` };
  }
  const outcome = await input.connection.accept(token, transport, input.record);
  if (outcome.kind === 'continue') return { kind: 'continue', token: outcome.token };
  if (outcome.kind === 'failure') return { kind: 'failed', scheme: 'Negotiate', status: outcome.status, reason: outcome.reason, ...(outcome.code ? { code: outcome.code } : {}) };
  const user: HttpUser = { name: outcome.principal, principal: outcome.principal, via: 'kerberos', admin: false };
  return { kind: 'user', user, mutualToken: outcome.mutualToken };
}

async function basic(input: AuthInput, credentials: Extract<HttpCredentials, { scheme: 'Basic' }>, transport: TransportPacket): Promise<AuthResult> {
  if (!input.policy.basic) {
    input.record({ direction: 'client-to-server', transport, summary: 'Basic credentials not accepted here', error: 'Basic is not enabled on this endpoint' });
    return { kind: 'none', scheme: 'Basic', why: 'Basic is not enabled on this endpoint' };
  }
  const user = await input.users.verify(credentials.user, credentials.password);
  if (!user) {
    const reason = `unable to authenticate user [${credentials.user}]: wrong password or no such local user`;
    input.record({ direction: 'client-to-server', transport, summary: `Basic ${credentials.user}`, error: reason });
    return { kind: 'failed', scheme: 'Basic', status: 401, reason, user: credentials.user };
  }
  input.record({ direction: 'client-to-server', transport, summary: `Basic ${user.name}: password verified` });
  return { kind: 'user', user: { name: user.name, via: 'basic', admin: user.admin } };
}
