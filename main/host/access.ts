import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { WIRE_PROTOCOL, WIRE_TOKEN_PREFIX } from '../api/wire';

/**
 * Who may talk to the web host: requests to 127.0.0.1/localhost on our port (DNS-rebinding
 * guard); for the Bench API's WebSocket, also our own origin (when a browser says where it comes
 * from) and the random access token, offered as a WebSocket subprotocol
 * (`Sec-WebSocket-Protocol: kbench.v1, kbench.token.<token>`).
 *
 * The token never travels in a cookie: browsers send cookies for 127.0.0.1 to every port of it,
 * so any other local web server the user visits would receive a cookie and could replay it. The
 * page keeps the token in sessionStorage (per origin, so per port) and presents it on the upgrade
 * itself; the static app holds no secret and is served without it.
 */
export class HostAccess {
  readonly token: string;
  port = 0;

  constructor(token?: string) {
    this.token = token ?? randomBytes(24).toString('base64url');
  }

  private allowedHosts(): string[] {
    return [`127.0.0.1:${this.port}`, `localhost:${this.port}`];
  }

  hostAllowed(request: IncomingMessage): boolean {
    return this.allowedHosts().includes((request.headers.host ?? '').toLowerCase());
  }

  /** Browsers always send Origin on WebSocket upgrades; other clients may omit it. */
  originAllowed(request: IncomingMessage): boolean {
    const origin = request.headers.origin;
    if (origin === undefined) return true;
    return this.allowedHosts().some((host) => origin.toLowerCase() === `http://${host}`);
  }

  tokenMatches(candidate: string | null | undefined): boolean {
    if (!candidate) return false;
    const a = Buffer.from(candidate);
    const b = Buffer.from(this.token);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  /** The subprotocols a WebSocket upgrade offers, in order. */
  static offeredProtocols(request: IncomingMessage): string[] {
    return (request.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean);
  }

  /** An upgrade is authorised by the token among its subprotocols, and by nothing else (no cookie, no query). */
  upgradeAuthorized(request: IncomingMessage): boolean {
    const offered = HostAccess.offeredProtocols(request).find((p) => p.startsWith(WIRE_TOKEN_PREFIX));
    return this.tokenMatches(offered?.slice(WIRE_TOKEN_PREFIX.length));
  }

  /** The protocol the host answers with: never the token, which must not be echoed back. */
  static selectProtocol(protocols: Set<string>): string | false {
    return protocols.has(WIRE_PROTOCOL) ? WIRE_PROTOCOL : false;
  }
}
