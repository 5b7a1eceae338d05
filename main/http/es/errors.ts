/**
 * Elasticsearch's REST error shapes, as an ES 8 node writes them.
 *
 * Two shapes exist:
 *   1. An ElasticsearchException rendered by `ElasticsearchException.generateFailureXContent`:
 *        { "error": { "root_cause": [ {type, reason, header?, line?, col?} ], "type", "reason",
 *                     "header"?, "line"?, "col"?, "caused_by"? }, "status": N }
 *      `type` is the exception's class name in snake case (ElasticsearchSecurityException →
 *      security_exception, a Java GSSException → g_s_s_exception); `root_cause` is the innermost
 *      Elasticsearch exception of the chain (a plain Java exception stops the walk), so it often
 *      repeats the outer error.
 *   2. RestController's own answers before any handler runs (RestController.handleBadRequest /
 *      handleUnsupportedHttpMethod): a bare string,
 *        400 {"error":"no handler found for uri [/x] and method [GET]"}        (no "status")
 *        405 {"error":"Incorrect HTTP method for uri [/x] and method [DELETE], allowed: [GET]","status":405}
 *
 * Texts here were read in the elastic/elasticsearch sources (DefaultAuthenticationFailureHandler,
 * RestController, KerberosAuthenticationToken); see FACTS in the helper report.
 */

/** One exception of a chain in ES's JSON. Extra metadata (line, col) sits next to type/reason. */
export interface EsErrorCause {
  type: string;
  reason: string;
  /** Response headers the exception carries (ES writes them into the body as well). */
  header?: Record<string, string[]>;
  line?: number;
  col?: number;
  caused_by?: EsErrorCause;
  /** Exception metadata ES writes next to type/reason ("index", "resource.id" …). */
  [meta: string]: unknown;
}

export interface EsErrorObject extends EsErrorCause {
  root_cause: EsErrorCause[];
}

/** Shape 1: an exception. */
export interface EsErrorBody {
  error: EsErrorObject;
  status: number;
}

/** Shape 2: RestController's plain-string error. */
export interface EsSimpleErrorBody {
  error: string;
  status?: number;
}

/** What a route answers: the status, headers to add, and the JSON body (or '' for none). */
export interface EsResponse {
  status: number;
  headers: Record<string, string | string[]>;
  /** Serialized JSON (ES's compact form), or '' (HEAD, OPTIONS, 413). */
  body: string;
}

/** `Basic realm="security", charset="UTF-8"`: ES 8's Basic challenge (7.x had no comma). */
export const ES_BASIC_CHALLENGE = 'Basic realm="security", charset="UTF-8"';
/** The Kerberos realm's challenge (KerberosRealm.getAuthenticationFailureHeaders). */
export const ES_NEGOTIATE_CHALLENGE = 'Negotiate';

/**
 * The WWW-Authenticate values of a node, in ES's order (DefaultAuthenticationFailureHandler sorts
 * by scheme: Negotiate, Bearer, ApiKey, Basic).
 */
export function esChallenges(options: { kerberos: boolean; basic: boolean }): string[] {
  const values: string[] = [];
  if (options.kerberos) values.push(ES_NEGOTIATE_CHALLENGE);
  if (options.basic) values.push(ES_BASIC_CHALLENGE);
  return values;
}

/** Builds an exception chain's JSON, innermost cause last; root_cause is computed as ES does. */
export function esError(status: number, chain: EsErrorCause[]): EsErrorBody {
  if (chain.length === 0) throw new RangeError('esError needs at least one exception');
  const nested = chain.reduceRight<EsErrorCause | undefined>((inner, outer) => (inner ? { ...outer, caused_by: inner } : { ...outer }), undefined)!;
  const { caused_by: _unused, ...root } = rootCauseOf(chain);
  return { error: { root_cause: [root], ...nested }, status };
}

/**
 * ElasticsearchException.guessRootCauses: walk causes while they are Elasticsearch exceptions.
 * Plain Java exceptions (x_content_parse_exception, illegal_argument_exception, g_s_s_exception …)
 * end the walk at the last Elasticsearch exception before them.
 */
function rootCauseOf(chain: EsErrorCause[]): EsErrorCause {
  let root = chain[0]!;
  for (const cause of chain.slice(1)) {
    if (!ES_EXCEPTION_TYPES.has(cause.type)) break;
    root = cause;
  }
  return root;
}

/** Exception types that are ElasticsearchException subclasses (the rest are plain Java ones). */
const ES_EXCEPTION_TYPES = new Set([
  'security_exception',
  'parse_exception',
  'parsing_exception',
  'action_request_validation_exception',
  'status_exception',
  'index_not_found_exception',
  'exception',
]);

export function esJson(status: number, body: unknown, headers: Record<string, string | string[]> = {}): EsResponse {
  return { status, headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

/** An exception answer: the headers it carries are sent as HTTP headers too. */
export function esErrorResponse(body: EsErrorBody): EsResponse {
  return esJson(body.status, body, { ...(body.error.header ?? {}) });
}

/**
 * 401 security_exception. `reason` is one of ES's texts (see the helpers below); `challenges` the
 * WWW-Authenticate values (esChallenges, or `Negotiate <token>` for a continuing context).
 * `cause` is the Java exception under it, e.g. {type: 'g_s_s_exception', reason: GSS's text}.
 */
export function securityException(reason: string, challenges: string[], cause?: EsErrorCause): EsErrorBody {
  const header = challenges.length > 0 ? { 'WWW-Authenticate': challenges } : undefined;
  const outer: EsErrorCause = header ? { type: 'security_exception', reason, header } : { type: 'security_exception', reason };
  return esError(401, cause ? [outer, cause] : [outer]);
}

/** DefaultAuthenticationFailureHandler.missingToken. `uri` is the request's URI with its query string. */
export const missingCredentialsReason = (uri: string) => `missing authentication credentials for REST request [${uri}]`;
/** DefaultAuthenticationFailureHandler.failedAuthentication (wrong Basic password, unknown user). */
export const failedAuthenticationReason = (user: string, uri: string) => `unable to authenticate user [${user}] for REST request [${uri}]`;
/** KerberosRealm: the context needs another round (the 401 carries `Negotiate <token>`). */
export const NEGOTIATION_NOT_COMPLETE = 'failed to authenticate user, gss context negotiation not complete';

/** 400 parse_exception (ElasticsearchParseException), e.g. "request body is required". */
export function parseException(reason: string): EsErrorBody {
  return esError(400, [{ type: 'parse_exception', reason }]);
}

/** 400 action_request_validation_exception: "Validation Failed: 1: …;2: …;". */
export function validationException(errors: string[]): EsErrorBody {
  const reason = `Validation Failed: ${errors.map((e, i) => `${i + 1}: ${e};`).join('')}`;
  return esError(400, [{ type: 'action_request_validation_exception', reason }]);
}

/** RestController.handleBadRequest: no route matches the path at all. */
export function noHandler(uri: string, method: string): EsResponse {
  const body: EsSimpleErrorBody = { error: `no handler found for uri [${uri}] and method [${method}]` };
  return esJson(400, body);
}

/** RestController.handleUnsupportedHttpMethod: the path exists, the method does not. */
export function methodNotAllowed(uri: string, method: string, allowed: string[]): EsResponse {
  const list = [...allowed].sort();
  const body: EsSimpleErrorBody = { error: `Incorrect HTTP method for uri [${uri}] and method [${method}], allowed: [${list.join(', ')}]`, status: 405 };
  return esJson(405, body, { Allow: list.join(',') });
}

/** Netty's HttpObjectAggregator answers an oversized body with 413 and no body at all. */
export function contentTooLarge(): EsResponse {
  return { status: 413, headers: {}, body: '' };
}

/**
 * `?pretty`: Jackson's pretty printer as ES configures it — two-space indent, `"key" : value`,
 * one array element per line, `{ }` and `[ ]` when empty, and a final newline.
 */
export function prettyEsJson(value: unknown): string {
  return `${pretty(value, '')}\n`;
}

function pretty(value: unknown, indent: string): string {
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[ ]';
    return `[\n${value.map((v) => inner + pretty(v, inner)).join(',\n')}\n${indent}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return '{ }';
    return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)} : ${pretty(v, inner)}`).join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
