/**
 * Elasticsearch mode: the endpoint answers like an ES 8 node whose realm chain is one Kerberos
 * realm (plus, with `basic`, the node's own users behind `Basic realm="security"`). The texts and
 * JSON shapes come from main/http/es (read from ES's sources); this file maps the endpoint's
 * authentication outcome onto them and hands the authenticated user to the ES routes.
 *
 *   no credentials            401 security_exception "missing authentication credentials for REST request [URI]"
 *   bad Negotiate header      401 with ES's extractToken texts (empty token, bad base64)
 *   raw krb5 / NTLM token     401, the reason says why (ES accepts SPNEGO only)
 *   GSS failure               401, reason = the GSS text, caused_by g_s_s_exception (KerberosRealm)
 *   GSS continue              401 "… gss context negotiation not complete", `WWW-Authenticate: Negotiate <token>`
 *   success                   the route's answer, `WWW-Authenticate: Negotiate <mutual token>`
 */
import type { EsKerberosRealmSettings, HttpMode, RoleMapping, RoleMappingTestInput, RoleMappingTestResult } from '../api/http';
import { BenchFailure } from '../engine/failure';
import type { HttpUser } from './authenticate';
import type { EndpointMode, ModeRequest, Reply } from './endpoint';
import { extractKerberosToken, kerberosUser, type EsBasicUser } from './es/authenticate';
import { contentTooLarge, esChallenges, esError, esErrorResponse, failedAuthenticationReason, missingCredentialsReason, NEGOTIATION_NOT_COMPLETE, securityException, type EsResponse } from './es/errors';
import { checkRoleMapping, parseRoleMapping, testRoleMappings } from './es/role-mapping';
import { RoleMappingStore, RoleStoreError } from './es/role-store';
import { handleEsRequest, type EsRequest, type EsRequestUser, type EsRouteResult } from './es/routes';
import { loadEsKerberosSettings } from './es/settings';
import { negotiateChallenge } from './negotiate';

export interface EsModeSetup {
  realm: EsKerberosRealmSettings;
  basic: boolean;
  /** The Kerberos realm users come from (for role-mapping tests of bare names). */
  kerberosRealm: string | undefined;
  mappings: EsRoleMappings;
}

/** The realm's settings from the yml (or the defaults); its problems, file:line each, as one failure. */
export async function loadRealmSettings(esConfig: string | undefined): Promise<EsKerberosRealmSettings> {
  const result = await loadEsKerberosSettings(esConfig);
  if (!result.ok) throw new BenchFailure(`the elasticsearch.yml is not usable: ${result.problems.map((p) => `${p.at}: ${p.message}`).join('; ')}`);
  return result.realm;
}

/** The role-mapping store behind the service's methods and the `_security/role_mapping` routes. */
export class EsRoleMappings {
  readonly store: RoleMappingStore;

  constructor(dir: string) {
    this.store = new RoleMappingStore(`${dir}/role-mappings.json`);
  }

  async all(): Promise<Record<string, RoleMapping>> {
    return this.guard(() => this.store.all());
  }

  /** `mapping` is a mapping, or the text of a `PUT _security/role_mapping/NAME` body (ES's syntax errors then come with line and column). */
  async put(name: string, mapping: RoleMapping | string): Promise<{ created: boolean }> {
    const checked = typeof mapping === 'string' ? parseRoleMapping(name, mapping) : checkRoleMapping(name, mapping);
    if (!checked.ok) throw new BenchFailure(`role mapping [${name}] is not valid: ${checked.error.error.reason}`, checked.error);
    return this.guard(() => this.store.put(name, checked.mapping));
  }

  async delete(name: string): Promise<{ found: boolean }> {
    return this.guard(() => this.store.delete(name));
  }

  async test(input: RoleMappingTestInput, defaults: { removeRealmName: boolean; realmName: string; kerberosRealm: string }): Promise<RoleMappingTestResult> {
    const principal = input.principal.includes('@') ? input.principal : `${input.principal}@${defaults.kerberosRealm}`;
    const user = kerberosUser(principal, { name: input.realmName ?? defaults.realmName, removeRealmName: input.removeRealmName ?? defaults.removeRealmName });
    return testRoleMappings(await this.all(), user);
  }

  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof RoleStoreError) throw new BenchFailure(error.message);
      throw error;
    }
  }
}

function reply(response: EsResponse, rest: Omit<Reply, 'status' | 'contentType' | 'body' | 'headers'>): Reply {
  const { 'Content-Type': contentType, ...headers } = response.headers;
  return { status: response.status, contentType: typeof contentType === 'string' ? contentType : 'application/json', body: response.body, headers, ...rest };
}

/** The request's URI as ES quotes it in its texts: path and query string. */
function uriOf(url: URL): string {
  return `${url.pathname}${url.search}`;
}

class EsMode implements EndpointMode {
  readonly mode: HttpMode = 'elasticsearch';

  constructor(private readonly setup: EsModeSetup) {}

  private get challenges(): string[] {
    return esChallenges({ kerberos: true, basic: this.setup.basic });
  }

  policy() {
    return { negotiate: true, basic: this.setup.basic };
  }

  async handle(request: ModeRequest): Promise<Reply> {
    const { auth } = request;
    if (auth.kind === 'user') return this.route(request, auth.user, auth.mutualToken);
    if (auth.kind === 'none') return this.anonymous(request, auth.why, auth.scheme === 'Basic' ? 'Basic' : 'Negotiate');
    return this.refuse(request);
  }

  /** The request as main/http/es/routes.ts takes it; undefined when the body was too large to read. */
  private async esRequest(request: ModeRequest): Promise<EsRequest | undefined> {
    const body = await request.body();
    if (body === undefined) return undefined;
    const { url } = request;
    return { method: request.request.method ?? 'GET', path: url.pathname, query: url.search.slice(1), body: body.toString('utf8'), contentType: request.request.headers['content-type'] ?? null };
  }

  private async answer(request: ModeRequest, user: EsRequestUser | null): Promise<EsRouteResult> {
    const esRequest = await this.esRequest(request);
    if (!esRequest) return contentTooLarge();
    return handleEsRequest(esRequest, { user, store: this.setup.mappings.store, realm: this.setup.realm, challenges: this.challenges });
  }

  /** No credentials: ES routes first (no route → 400, wrong method → 405), then "missing authentication credentials". */
  private async anonymous(request: ModeRequest, why: string, mechanism: Reply['mechanism']): Promise<Reply> {
    const response = await this.answer(request, null);
    const reason = response.status === 401 ? `${why}: challenged with ${this.challenges.join(' and ')}` : `${why}; ES answered ${response.status} before authentication`;
    return reply(response, { path: 'refused', why: reason, mechanism, verdict: { outcome: response.status === 401 ? 'pending' : 'failure', reason, code: String(response.status) } });
  }

  private refuse({ auth, url }: ModeRequest): Reply {
    const uri = uriOf(url);
    const refused = (body: ReturnType<typeof securityException>, why: string, mechanism: Reply['mechanism'] = 'Negotiate'): Reply =>
      reply(esErrorResponse(body), { path: 'refused', why, mechanism, verdict: { outcome: 'failure', reason: body.error.reason, code: String(body.status) } });
    switch (auth.kind) {
      case 'user':
        throw new Error('refuse() is for requests without a user');
      case 'continue':
        return reply(esErrorResponse(securityException(NEGOTIATION_NOT_COMPLETE, [negotiateChallenge(auth.token)])), {
          negotiateToken: auth.token,
          path: 'kerberos',
          why: 'GSS needs another round: the continue token goes back in WWW-Authenticate',
          mechanism: 'Negotiate',
          verdict: { outcome: 'pending', reason: NEGOTIATION_NOT_COMPLETE },
        });
      case 'none':
        throw new Error('requests without credentials are answered by anonymous()');
      case 'failed':
        return this.failed(auth, uri, refused);
    }
  }

  private failed(auth: Extract<ModeRequest['auth'], { kind: 'failed' }>, uri: string, refused: (body: ReturnType<typeof securityException>, why: string, mechanism?: Reply['mechanism']) => Reply): Reply {
    if (auth.scheme === 'Basic') return refused(securityException(failedAuthenticationReason(auth.user ?? '', uri), this.challenges), auth.reason, 'Basic');
    if (auth.scheme === 'header') {
      const extracted = extractKerberosToken(auth.header, this.challenges);
      if (extracted.kind === 'invalid') return refused(extracted.error, auth.reason);
      // ES takes "Negotiate" without a token for no Kerberos credentials at all.
      if (extracted.kind === 'none' && /^\s*negotiate\s*$/i.test(auth.header ?? '')) return refused(securityException(missingCredentialsReason(uri), this.challenges), auth.reason);
      return refused(securityException(auth.reason, this.challenges), auth.reason);
    }
    if (auth.status === 500) {
      const body = esError(500, [{ type: 'security_exception', reason: auth.reason }]);
      return reply(esErrorResponse(body), { path: 'refused', why: auth.reason, mechanism: 'Negotiate', verdict: { outcome: 'failure', reason: auth.reason, code: auth.code ?? '500' } });
    }
    // KerberosRealm: unauthorized(e.getLocalizedMessage(), e) for a GSSException; our own checks (raw krb5, NTLM) have no Java cause.
    const cause = auth.code === 'GSS failure' ? { type: 'g_s_s_exception', reason: auth.reason } : undefined;
    return refused(securityException(auth.reason, this.challenges, cause), `Kerberos refused the token: ${auth.reason}`);
  }

  private async route(request: ModeRequest, user: HttpUser, mutualToken: Buffer | undefined): Promise<Reply> {
    const esUser: EsRequestUser = user.via === 'kerberos' ? { kind: 'kerberos', principal: user.name } : { kind: 'basic', user: basicUser(user) };
    const response = await this.answer(request, esUser);
    const headers = mutualToken?.length ? { ...response.headers, 'WWW-Authenticate': negotiateChallenge(mutualToken) } : response.headers;
    const name = esUser.kind === 'kerberos' ? kerberosUser(esUser.principal, this.setup.realm).username : esUser.user.username;
    const roles = response.evaluation ? `, roles [${response.evaluation.roles.join(', ')}]` : '';
    return reply(
      { ...response, headers },
      {
        ...(mutualToken?.length ? { negotiateToken: mutualToken } : {}),
        path: user.via === 'kerberos' ? 'kerberos' : 'basic',
        why: user.via === 'kerberos' ? `SPNEGO token accepted: ${user.name} → ${name}${roles}` : `Basic: local user ${name}`,
        mechanism: user.via === 'kerberos' ? 'Negotiate' : 'Basic',
        identity: { ...(user.principal ? { principal: user.principal } : {}), mapped: name },
        verdict: { outcome: 'success', reason: `authenticated as ${name}${response.status < 400 ? '' : ` (the route answered ${response.status})`}` },
      },
    );
  }

  internalError(reason: string): Reply {
    const body = esError(500, [{ type: 'exception', reason }]);
    return reply(esErrorResponse(body), { path: 'refused', why: reason, mechanism: 'Negotiate', verdict: { outcome: 'failure', reason, code: '500' } });
  }
}

/** The endpoint's local users as ES file-realm users: admin → superuser. */
function basicUser(user: HttpUser): EsBasicUser {
  return { username: user.name, roles: user.admin ? ['superuser'] : ['viewer'] };
}

export function esModeFor(setup: EsModeSetup): EndpointMode {
  return new EsMode(setup);
}
