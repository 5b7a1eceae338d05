/**
 * The REST routes an ES 8 node with security answers here, in the order ES decides:
 *
 *   1. body over the cap → 413, no body (Netty's aggregator, before any routing);
 *   2. RestController: no route → 400 {"error":"no handler found for uri [..] and method [..]"};
 *      route but wrong method → 405 with Allow; OPTIONS → 200 with Allow; a body without a JSON
 *      Content-Type → 406 (only when the caller passes the header: `contentType`);
 *      unknown query parameters → 400 illegal_argument_exception;
 *   3. security: no user → 401 security_exception "missing authentication credentials …";
 *   4. the handler:
 *        GET|HEAD /                          the banner ("You Know, for Search")
 *        GET  /_security/_authenticate       the user (authenticate.ts), roles from the mappings
 *        GET  /_security/role_mapping        every mapping; {} when there are none
 *        GET  /_security/role_mapping/A,B    those found; 404 {} when none is
 *        PUT|POST /_security/role_mapping/N  {"role_mapping":{"created":bool}} (200 either way)
 *        DELETE /_security/role_mapping/N    {"found":true} or 404 {"found":false}
 *        GET|HEAD|DELETE /name               404 index_not_found_exception (ES's GET /{index})
 *
 * Every answer carries `X-elastic-product: Elasticsearch` (ES ≥ 7.14; the official clients refuse
 * a server without it). Not emulated: authorization (any authenticated user may manage role
 * mappings; ES needs manage_security), role_templates, and `filter_path`.
 */
import type { EsKerberosRealmSettings, RoleMappingTestResult } from '../../api/http';
import { basicAuthenticateBody, kerberosAuthenticateBody, kerberosUser, type EsBasicUser } from './authenticate';
import {
  contentTooLarge,
  esError,
  esErrorResponse,
  esJson,
  methodNotAllowed,
  missingCredentialsReason,
  noHandler,
  parseException,
  prettyEsJson,
  securityException,
  type EsResponse,
} from './errors';
import { parseRoleMapping, testRoleMappings } from './role-mapping';
import type { RoleMappingStore } from './role-store';

/** Requests larger than this are refused with 413 (ES's default http.max_content_length is 100mb; ours is smaller on purpose). */
export const MAX_ES_BODY_BYTES = 1024 * 1024;

export interface EsRequest {
  method: string;
  /** The path as received ("/_security/role_mapping/my%20map"), without the query. */
  path: string;
  /** The raw query string without "?" ("pretty&refresh=true"), or ''. */
  query: string;
  body: string;
  /** The Content-Type header: undefined → not checked; null → the request had none. */
  contentType?: string | null;
}

/** Who the request authenticated as; the endpoint decides (SPNEGO, Basic) before calling the router. */
export type EsRequestUser = { kind: 'kerberos'; principal: string } | { kind: 'basic'; user: EsBasicUser };

export interface EsRouteContext {
  /** null: no (valid) credentials — routes that need a user answer 401 with `challenges`. */
  user: EsRequestUser | null;
  store: RoleMappingStore;
  realm: Pick<EsKerberosRealmSettings, 'name' | 'removeRealmName'>;
  /** WWW-Authenticate values for a 401 (esChallenges). */
  challenges: string[];
  /** For the banner. */
  node?: { name?: string; clusterName?: string };
}

export interface EsRouteResult extends EsResponse {
  /** `_authenticate` for a Kerberos user: the role-mapping evaluation behind `roles` (for the Exchange). */
  evaluation?: RoleMappingTestResult;
}

type Handler = (request: EsRequest, ctx: EsRouteContext, params: string[]) => Promise<EsRouteResult>;
interface Route {
  methods: Record<string, Handler>;
  /** Query parameters the route accepts besides ES's global ones. */
  params: string[];
}

const GLOBAL_PARAMS = ['pretty', 'human', 'error_trace', 'filter_path'];
export const ES_VERSION = { number: '8.15.0', lucene: '9.11.1' };

/** Answers one request as an ES node would. Never throws: a store failure is a 500 in ES's shape. */
export async function handleEsRequest(request: EsRequest, ctx: EsRouteContext): Promise<EsRouteResult> {
  const result = await route(request, ctx).catch((error: unknown) =>
    esErrorResponse(esError(500, [{ type: 'exception', reason: error instanceof Error ? error.message : String(error) }])),
  );
  return finish(request, result);
}

async function route(request: EsRequest, ctx: EsRouteContext): Promise<EsRouteResult> {
  if (Buffer.byteLength(request.body) > MAX_ES_BODY_BYTES) return contentTooLarge();
  const uri = request.query ? `${request.path}?${request.query}` : request.path;
  const method = request.method.toUpperCase();
  const match = findRoute(request.path);
  if (!match) return noHandler(uri, method);
  const [found, params] = match;
  const allowed = Object.keys(found.methods);
  if (method === 'OPTIONS') return { status: 200, headers: { Allow: allowed.sort().join(',') }, body: '' };
  const handler = found.methods[method];
  if (!handler) return methodNotAllowed(uri, method, allowed);
  const refused = contentTypeProblem(request) ?? unknownParams(request, found.params);
  if (refused) return refused;
  if (!ctx.user) return esErrorResponse(securityException(missingCredentialsReason(uri), ctx.challenges));
  return handler(request, ctx, params);
}

function findRoute(rawPath: string): [Route, string[]] | null {
  const segments = rawPath.split('/').filter((s) => s !== '');
  const [first, second, third, ...rest] = segments;
  if (segments.length === 0) return [ROOT, []];
  if (first === '_security' && second === '_authenticate' && third === undefined) return [AUTHENTICATE, []];
  if (first === '_security' && second === 'role_mapping' && rest.length === 0) {
    return third === undefined ? [ALL_MAPPINGS, []] : [ONE_MAPPING, [decodeSegment(third)]];
  }
  if (segments.length === 1 && !first!.startsWith('_')) return [INDEX, [decodeSegment(first!)]];
  return null;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** RestController: a body needs a Content-Type ES can read. */
function contentTypeProblem(request: EsRequest): EsResponse | null {
  if (request.contentType === undefined || request.body.length === 0) return null;
  if (request.contentType === null) return esJson(406, { error: 'Content-Type header is missing', status: 406 });
  const mime = request.contentType.split(';')[0]!.trim().toLowerCase();
  if (mime === 'application/json' || mime === 'application/vnd.elasticsearch+json') return null;
  return esJson(406, { error: `Content-Type header [${request.contentType}] is not supported`, status: 406 });
}

/** BaseRestHandler: "request [/x] contains unrecognized parameter: [foo]". */
function unknownParams(request: EsRequest, accepted: string[]): EsResponse | null {
  const names = [...new URLSearchParams(request.query).keys()];
  const unknown = [...new Set(names.filter((n) => !GLOBAL_PARAMS.includes(n) && !accepted.includes(n)))];
  if (unknown.length === 0) return null;
  const list = unknown.map((n) => `[${n}]`).join(', ');
  const reason = `request [${request.path}] contains unrecognized parameter${unknown.length > 1 ? 's' : ''}: ${list}`;
  return esErrorResponse(esError(400, [{ type: 'illegal_argument_exception', reason }]));
}

function finish(request: EsRequest, result: EsRouteResult): EsRouteResult {
  const headers = { 'X-elastic-product': 'Elasticsearch', ...result.headers };
  const params = new URLSearchParams(request.query);
  const pretty = params.has('pretty') && params.get('pretty') !== 'false';
  let body = result.body;
  if (request.method.toUpperCase() === 'HEAD') body = '';
  else if (pretty && body !== '') body = prettyEsJson(JSON.parse(body));
  return { ...result, headers, body };
}

// ---- handlers ----

const ROOT: Route = {
  params: [],
  methods: {
    GET: async (_r, ctx) => esJson(200, banner(ctx)),
    HEAD: async (_r, ctx) => esJson(200, banner(ctx)),
  },
};

function banner(ctx: EsRouteContext): unknown {
  return {
    name: ctx.node?.name ?? 'kbench',
    cluster_name: ctx.node?.clusterName ?? 'kbench',
    cluster_uuid: '_na_',
    version: {
      number: ES_VERSION.number,
      build_flavor: 'default',
      build_type: 'kbench',
      build_hash: 'kbench',
      build_date: '1970-01-01T00:00:00.000Z',
      build_snapshot: false,
      lucene_version: ES_VERSION.lucene,
      minimum_wire_compatibility_version: '7.17.0',
      minimum_index_compatibility_version: '7.0.0',
    },
    tagline: 'You Know, for Search',
  };
}

const AUTHENTICATE: Route = {
  params: [],
  methods: {
    GET: async (_r, ctx) => {
      const user = ctx.user!;
      if (user.kind === 'basic') return esJson(200, basicAuthenticateBody(user.user));
      const mappingUser = kerberosUser(user.principal, ctx.realm);
      const evaluation = testRoleMappings(await ctx.store.all(), mappingUser);
      return { ...esJson(200, kerberosAuthenticateBody(mappingUser, evaluation.roles)), evaluation };
    },
  },
};

const ALL_MAPPINGS: Route = {
  params: [],
  methods: { GET: async (_r, ctx) => esJson(200, await ctx.store.all()) },
};

const putMapping: Handler = async (request, ctx, [name]) => {
  if (request.body.trim() === '') return esErrorResponse(parseException('request body is required'));
  const parsed = parseRoleMapping(name!, request.body);
  if (!parsed.ok) return esErrorResponse(parsed.error);
  const { created } = await ctx.store.put(name!, parsed.mapping);
  return esJson(200, { role_mapping: { created } });
};

const ONE_MAPPING: Route = {
  params: ['refresh'],
  methods: {
    GET: async (_r, ctx, [names]) => {
      const all = await ctx.store.all();
      const found = Object.fromEntries(names!.split(',').flatMap((n) => (Object.hasOwn(all, n) ? [[n, all[n]]] : [])));
      return esJson(Object.keys(found).length > 0 ? 200 : 404, found);
    },
    PUT: putMapping,
    POST: putMapping,
    DELETE: async (_r, ctx, [name]) => {
      const { found } = await ctx.store.delete(name!);
      return esJson(found ? 200 : 404, { found });
    },
  },
};

const indexNotFound: Handler = async (_r, _ctx, [index]) =>
  esErrorResponse(
    esError(404, [
      { type: 'index_not_found_exception', reason: `no such index [${index}]`, 'resource.type': 'index_or_alias', 'resource.id': index, index_uuid: '_na_', index },
    ]),
  );

/** ES's `GET|HEAD|DELETE /{index}`: this node has no indices. */
const INDEX: Route = { params: [], methods: { GET: indexNotFound, HEAD: indexNotFound, DELETE: indexNotFound } };
