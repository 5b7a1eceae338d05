import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * Who may talk to the web host: requests to 127.0.0.1/localhost on our port (DNS-rebinding
 * guard), carrying the random access token (query `?token=` or the cookie set from it), and —
 * for WebSocket upgrades — coming from our own origin when a browser says where it comes from.
 */
export class HostAccess {
  readonly token: string;
  port = 0;

  constructor(token?: string) {
    this.token = token ?? randomBytes(24).toString('base64url');
  }

  /** Cookies are shared across ports of one host: the port in the name keeps two benches apart. */
  get cookieName(): string {
    return `kbench_token_${this.port}`;
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

  queryToken(request: IncomingMessage): string | null {
    return new URL(request.url ?? '/', 'http://127.0.0.1').searchParams.get('token');
  }

  cookieToken(request: IncomingMessage): string | null {
    for (const part of (request.headers.cookie ?? '').split(';')) {
      const [name, ...rest] = part.trim().split('=');
      if (name === this.cookieName) return rest.join('=');
    }
    return null;
  }

  authorized(request: IncomingMessage): boolean {
    return this.tokenMatches(this.queryToken(request)) || this.tokenMatches(this.cookieToken(request));
  }

  sessionCookie(): string {
    return `${this.cookieName}=${this.token}; HttpOnly; SameSite=Strict; Path=/`;
  }
}
