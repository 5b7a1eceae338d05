/**
 * Web-SSO mode: a web console with Kerberos single sign-on and Basic fallback, as enterprise Java
 * consoles (WANdisco's admin UI) do it.
 *
 *   SSO on:  401 offers `Negotiate` and `Basic realm="…"`; a good SPNEGO token signs in (Kerberos);
 *            a token Kerberos cannot validate → 401 offering Basic only, the page saying
 *            "Unable to validate SSO/Kerberos ticket. Try logging in."; Basic against the local
 *            users then signs in ('basic-fallback').
 *   SSO off: Basic only ('basic'); a Negotiate token is not looked at.
 *   Admin API: `POST /api/security/kerberos/enableSso` with `enable=true|false` in the form body or
 *            the query string, Basic credentials of an admin (wrong password → 401, not an admin →
 *            403), logging "Single-sign-on with Kerberos was enabled by <user>".
 */
import type { HttpMode } from '../../api/http';
import type { HttpUser } from '../authenticate';
import type { EndpointMode, ModeRequest, Reply } from '../endpoint';
import { basicChallenge, negotiateChallenge } from '../negotiate';
import { CONSOLE_CSP, CONSOLE_CSS, consolePage, errorPage, signInPage } from './pages';

export const ENABLE_SSO_PATH = '/api/security/kerberos/enableSso';
export const CONSOLE_REALM = 'Kerberos Bench console';
const PUBLIC_PATHS = new Set(['/console.css', '/favicon.ico']);
const CONSOLE_PATHS = new Set(['/', '/console', '/index.html']);

/** The SSO switch the console and the Bench API share. */
export interface SsoSwitch {
  readonly enabled: boolean;
  /** Sets it; returns the log line ("Single-sign-on with Kerberos was enabled by admin"). */
  set(enabled: boolean, by: string): string;
}

export function ssoLogLine(enabled: boolean, by: string): string {
  return `Single-sign-on with Kerberos was ${enabled ? 'enabled' : 'disabled'} by ${by}`;
}

const HTML = 'text/html; charset=utf-8';
const JSON_TYPE = 'application/json';

function html(status: number, body: string, rest: Omit<Reply, 'status' | 'contentType' | 'body'>): Reply {
  return { status, contentType: HTML, body, ...rest, headers: { 'Content-Security-Policy': CONSOLE_CSP, ...rest.headers } };
}

function json(status: number, value: unknown, rest: Omit<Reply, 'status' | 'contentType' | 'body'>): Reply {
  return { status, contentType: JSON_TYPE, body: `${JSON.stringify(value)}\n`, ...rest };
}

function identityOf(user: HttpUser): Reply['identity'] {
  return user.principal ? { principal: user.principal, mapped: user.name } : { mapped: user.name };
}

export class SsoConsoleMode implements EndpointMode {
  readonly mode: HttpMode = 'sso';

  constructor(private readonly sso: SsoSwitch) {}

  private challenges(): string[] {
    return this.sso.enabled ? [negotiateChallenge(), basicChallenge(CONSOLE_REALM)] : [basicChallenge(CONSOLE_REALM)];
  }

  policy(url: URL) {
    if (url.pathname === ENABLE_SSO_PATH) return { negotiate: false, basic: true, negotiateOffWhy: 'the admin API takes Basic credentials only' };
    if (PUBLIC_PATHS.has(url.pathname)) return { negotiate: false, basic: false, negotiateOffWhy: 'this resource needs no authentication' };
    return { negotiate: this.sso.enabled, basic: true };
  }

  async handle(request: ModeRequest): Promise<Reply> {
    const { pathname } = request.url;
    if (PUBLIC_PATHS.has(pathname)) return this.publicResource(pathname);
    if (pathname === ENABLE_SSO_PATH) return this.enableSso(request);
    const { auth } = request;
    if (auth.kind !== 'user') return this.refuse(request);
    const { user } = auth;
    const path = user.via === 'kerberos' ? 'kerberos' : this.sso.enabled ? 'basic-fallback' : 'basic';
    const why =
      user.via === 'kerberos'
        ? `SPNEGO token accepted: ${user.name}`
        : this.sso.enabled
          ? `signed in with a console password (${user.name}) instead of a Kerberos ticket`
          : `Kerberos single sign-on is off: signed in with a console password (${user.name})`;
    const mutual = auth.mutualToken?.length ? { headers: { 'WWW-Authenticate': negotiateChallenge(auth.mutualToken) }, negotiateToken: auth.mutualToken } : {};
    const common = { ...mutual, path, why, mechanism: user.via === 'kerberos' ? 'Negotiate' : 'Basic', identity: identityOf(user) } as const;
    const verdict = { outcome: 'success', reason: `signed in as ${user.name} via ${user.via === 'kerberos' ? 'Kerberos' : 'Basic'}` } as const;
    if (pathname === '/api/whoami') return json(200, { user: user.name, method: user.via, admin: user.admin, ssoEnabled: this.sso.enabled }, { ...common, verdict });
    if (!CONSOLE_PATHS.has(pathname)) return html(404, errorPage(404, `no page ${pathname}`), { ...common, verdict });
    return html(200, consolePage(user, this.sso.enabled), { ...common, verdict });
  }

  private publicResource(pathname: string): Reply {
    const rest = { path: 'anonymous', why: 'a public resource', mechanism: 'Negotiate', verdict: { outcome: 'success', reason: 'no authentication needed' } } as const;
    if (pathname === '/console.css') return { status: 200, contentType: 'text/css; charset=utf-8', body: CONSOLE_CSS, ...rest };
    return { status: 404, contentType: 'text/plain; charset=utf-8', body: '', ...rest };
  }

  /** No user: a challenge, a Basic fallback after Kerberos failed, or a bad request. */
  private refuse({ auth }: ModeRequest): Reply {
    if (auth.kind === 'user') throw new Error('refuse() is for requests without a user');
    if (auth.kind === 'continue') {
      const why = 'GSS needs another round: the continue token goes back in WWW-Authenticate';
      return html(401, signInPage(this.sso.enabled, why), {
        headers: { 'WWW-Authenticate': negotiateChallenge(auth.token) },
        negotiateToken: auth.token,
        path: 'kerberos',
        why,
        mechanism: 'Negotiate',
        verdict: { outcome: 'pending', reason: "GSS continue: waiting for the client's next token on this connection" },
      });
    }
    if (auth.kind === 'failed' && auth.status === 400) {
      return html(400, errorPage(400, `Bad Authorization header: ${auth.reason}`), { path: 'refused', why: auth.reason, mechanism: 'Negotiate', verdict: { outcome: 'failure', reason: auth.reason, code: '400' } });
    }
    if (auth.kind === 'failed' && auth.status === 500) {
      return html(500, errorPage(500, auth.reason), { path: 'refused', why: auth.reason, mechanism: 'Negotiate', verdict: { outcome: 'failure', reason: auth.reason, code: auth.code ?? '500' } });
    }
    if (auth.kind === 'failed' && auth.scheme === 'Negotiate') {
      const why = `Kerberos could not validate the ticket (${auth.reason}): falling back to Basic`;
      return html(401, signInPage(true, why), {
        headers: { 'WWW-Authenticate': basicChallenge(CONSOLE_REALM) },
        path: 'basic-fallback',
        why,
        mechanism: 'Negotiate',
        verdict: { outcome: 'failure', reason: auth.reason, ...(auth.code ? { code: auth.code } : {}) },
      });
    }
    const why = auth.kind === 'failed' ? auth.reason : `${auth.why}: challenged with ${this.sso.enabled ? 'Negotiate and Basic' : 'Basic only (single sign-on is off)'}`;
    return html(401, signInPage(this.sso.enabled, why), {
      headers: { 'WWW-Authenticate': this.challenges() },
      path: 'refused',
      why,
      mechanism: auth.kind === 'failed' || auth.scheme === 'Basic' || !this.sso.enabled ? 'Basic' : 'Negotiate',
      verdict: { outcome: auth.kind === 'failed' ? 'failure' : 'pending', reason: why, code: '401' },
    });
  }

  private async enableSso(request: ModeRequest): Promise<Reply> {
    const { auth } = request;
    const base = { mechanism: 'Basic' } as const;
    const refused = (status: number, why: string, headers?: Record<string, string>): Reply =>
      json(status, { error: why }, { ...base, ...(headers ? { headers } : {}), path: 'refused', why, verdict: { outcome: 'failure', reason: why, code: String(status) } });
    if (request.request.method !== 'POST') return refused(405, `${ENABLE_SSO_PATH} takes POST`, { Allow: 'POST' });
    if (auth.kind !== 'user') {
      const why = auth.kind === 'failed' ? auth.reason : `admin credentials required (Basic)${auth.kind === 'none' ? `: ${auth.why}` : ''}`;
      return refused(auth.kind === 'failed' && auth.status === 400 ? 400 : 401, why, { 'WWW-Authenticate': basicChallenge(CONSOLE_REALM) });
    }
    const who = { identity: identityOf(auth.user) };
    if (!auth.user.admin) return { ...refused(403, `${auth.user.name} is not an admin of the console`), ...who, path: 'basic' };
    const body = await request.body();
    if (body === undefined) return refused(413, 'the form body is larger than the endpoint reads');
    const value = new URLSearchParams(body.toString('utf8')).get('enable') ?? request.url.searchParams.get('enable');
    if (value !== 'true' && value !== 'false') {
      return { ...refused(400, `enable must be true or false (in the form body or the query string), not ${value === null ? 'missing' : JSON.stringify(value)}`), ...who, path: 'basic' };
    }
    const log = this.sso.set(value === 'true', auth.user.name);
    return json(200, { ssoEnabled: this.sso.enabled, message: log }, { ...base, ...who, path: 'basic', why: `admin ${auth.user.name} switched single sign-on`, log, verdict: { outcome: 'success', reason: log } });
  }

  internalError(reason: string): Reply {
    return html(500, errorPage(500, reason), { path: 'refused', why: reason, mechanism: 'Negotiate', verdict: { outcome: 'failure', reason, code: '500' } });
  }
}
