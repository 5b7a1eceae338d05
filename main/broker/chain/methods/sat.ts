/**
 * The `sat` chain method: a Kubernetes service-account token (a JWT) as the CONNECT password.
 *
 * Relevance: Azure's mosquitto example connects with the username `$sat`; an earlier revision of
 * Azure's prose said "a username starting with `sat://`" (later corrected to `$sat`). Both are
 * accepted and the verdict says which matched. The token is always the CONNECT password: Azure
 * never puts it in the username, so `sat://…` with an empty password is relevant and invalid.
 *
 * Validity: the signature against configured public keys (PEM SPKI / certificate, or a JWK) or a
 * JWKS text, then `exp`, `nbf` and `aud` (at least one configured audience must be in the token's);
 * or, when no key is configured, a Kubernetes TokenReview on the configured API server, which checks
 * all of that itself and answers with `status.authenticated` and `status.audiences`.
 */
import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { compactVerify, createLocalJWKSet, decodeJwt, decodeProtectedHeader, type JSONWebKeySet, type JWTPayload } from 'jose';
import type { ChainCredentials, ChainMethod, MethodVerdict, SatMethodConfig } from '../types';
import { displayUrl, postJson } from './https-json';

/** Azure's mosquitto example: `mosquitto_pub -u '$sat' -P "$(cat token)"`. */
export const SAT_USERNAME = '$sat';
/** Azure's prose, first revision. */
export const SAT_PREFIX = 'sat://';
export const TOKEN_REVIEW_PATH = '/apis/authentication.k8s.io/v1/tokenreviews';
const TOKEN_REVIEW_TIMEOUT_MS = 5000;

/** A configuration that cannot work, refused when the chain is built (not at CONNECT). */
export class SatConfigError extends Error {
  override name = 'SatConfigError';
}

type LocalKey = { label: string; key: KeyObject };
type Verifier = { kind: 'keys'; keys: LocalKey[] } | { kind: 'jwks'; jwks: ReturnType<typeof createLocalJWKSet> } | { kind: 'tokenReview'; url: URL };

/** A PEM (SPKI public key or certificate) or a JWK in JSON, as a KeyObject. */
function importKey(text: string, index: number): LocalKey {
  const trimmed = text.trim();
  try {
    if (trimmed.startsWith('{')) {
      const jwk = JSON.parse(trimmed) as JsonWebKey & { kid?: string };
      return { label: jwk.kid ? `kid=${jwk.kid}` : `key ${index + 1}`, key: createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' }) };
    }
    return { label: `key ${index + 1}`, key: createPublicKey(trimmed) };
  } catch (error) {
    throw new SatConfigError(`sat: public key ${index + 1} is neither a PEM public key nor a JWK: ${(error as Error).message}`);
  }
}

function buildVerifier(config: SatMethodConfig): Verifier {
  if (config.publicKeysPem?.length) return { kind: 'keys', keys: config.publicKeysPem.map(importKey) };
  if (config.jwks !== undefined) {
    let set: JSONWebKeySet;
    try {
      set = JSON.parse(config.jwks) as JSONWebKeySet;
      return { kind: 'jwks', jwks: createLocalJWKSet(set) };
    } catch (error) {
      throw new SatConfigError(`sat: the JWKS is not a JSON Web Key Set: ${(error as Error).message}`);
    }
  }
  if (config.tokenReview) {
    let url: URL;
    try {
      url = new URL(config.tokenReview.url);
    } catch {
      throw new SatConfigError(`sat: tokenReview url "${config.tokenReview.url}" is not a URL`);
    }
    if (url.protocol !== 'https:') throw new SatConfigError(`sat: tokenReview url must be https:// (the bearer token and the client's token cross it), not ${url.protocol}//`);
    // The API server's base URL gets the TokenReview path; a full path is taken as given.
    if (url.pathname === '/' || url.pathname === '') url.pathname = TOKEN_REVIEW_PATH;
    return { kind: 'tokenReview', url };
  }
  throw new SatConfigError('sat: no way to verify tokens: give public keys, a JWKS or a tokenReview API server');
}

/** Which of Azure's two spellings the username matched, or why neither did. */
export function satRelevance(username: string | undefined): { relevant: boolean; why: string } {
  if (username === undefined) return { relevant: false, why: 'no username (sat needs username $sat)' };
  if (username === SAT_USERNAME) return { relevant: true, why: 'username is $sat (Azure\'s mosquitto example)' };
  if (username.startsWith(SAT_PREFIX)) return { relevant: true, why: 'username starts with sat:// (Azure\'s prose)' };
  return { relevant: false, why: 'username is neither $sat nor sat://…' };
}

const list = (values: string[]) => `[${values.join(', ')}]`;
const audiencesOf = (payload: JWTPayload): string[] => (payload.aud === undefined ? [] : Array.isArray(payload.aud) ? payload.aud : [payload.aud]);

export class SatMethod implements ChainMethod {
  readonly kind = 'sat' as const;
  private readonly verifier: Verifier;

  constructor(private readonly config: SatMethodConfig) {
    if (!config.audiences.length) throw new SatConfigError('sat: at least one audience is required');
    this.verifier = buildVerifier(config);
  }

  async check(credentials: ChainCredentials, signal: AbortSignal): Promise<MethodVerdict> {
    const relevance = satRelevance(credentials.username);
    if (!relevance.relevant) return { relevant: false, relevantWhy: relevance.why };
    const invalid = (validWhy: string): MethodVerdict => ({ relevant: true, relevantWhy: relevance.why, valid: false, validWhy });
    const token = credentials.password?.toString('utf8').trim() ?? '';
    if (!token) return invalid('no token: the service-account token goes in the CONNECT password');
    let payload: JWTPayload;
    try {
      decodeProtectedHeader(token);
      payload = decodeJwt(token);
    } catch (error) {
      return invalid(`the password is not a JWT: ${(error as Error).message}`);
    }
    const outcome = this.verifier.kind === 'tokenReview' ? await this.review(token, payload, signal) : await this.verifyLocally(token, payload);
    if (!outcome.ok) return invalid(outcome.why);
    return { relevant: true, relevantWhy: relevance.why, valid: true, validWhy: outcome.why, attributes: {}, ...(outcome.principal ? { principal: outcome.principal } : {}) };
  }

  private async verifyLocally(token: string, payload: JWTPayload): Promise<Outcome> {
    const signedBy = await this.signature(token);
    if (!signedBy) return { ok: false, why: this.verifier.kind === 'jwks' ? 'signature does not verify with any key of the configured JWKS' : 'signature does not verify with any configured key' };
    const claims = checkClaims(payload, this.config.audiences);
    if (!claims.ok) return claims;
    return { ok: true, why: `signature verified with ${signedBy}; ${claims.why}`, ...(payload.sub ? { principal: payload.sub } : {}) };
  }

  /** The label of the key that verified the signature, or undefined. */
  private async signature(token: string): Promise<string | undefined> {
    const verifier = this.verifier;
    if (verifier.kind === 'jwks') {
      try {
        const { protectedHeader } = await compactVerify(token, verifier.jwks);
        return protectedHeader.kid ? `JWKS key kid=${protectedHeader.kid}` : 'a JWKS key';
      } catch {
        return undefined;
      }
    }
    if (verifier.kind !== 'keys') return undefined;
    for (const { label, key } of verifier.keys) {
      try {
        await compactVerify(token, key);
        return label;
      } catch {
        // wrong key, or an algorithm this key cannot do: try the next one
      }
    }
    return undefined;
  }

  private async review(token: string, payload: JWTPayload, signal: AbortSignal): Promise<Outcome> {
    const review = this.config.tokenReview!;
    const url = (this.verifier as { url: URL }).url;
    const where = `TokenReview at ${displayUrl(url)}`;
    const body = { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, audiences: this.config.audiences } };
    const result = await postJson(url, body, {
      ...(review.caCertPem ? { caPem: review.caCertPem } : {}),
      headers: { authorization: `Bearer ${review.bearerToken}` },
      timeoutMs: TOKEN_REVIEW_TIMEOUT_MS,
      signal,
    });
    if (result.kind === 'unreachable') return { ok: false, why: `${where} failed: ${result.why}` };
    if (result.status < 200 || result.status > 299) return { ok: false, why: `${where} answered HTTP ${result.status}` };
    return interpretReview(result.body, payload, this.config.audiences, where);
  }
}

type Outcome = { ok: true; why: string; principal?: string } | { ok: false; why: string };

/**
 * A NumericDate (RFC 7519 §2, seconds) as ISO 8601. A Date holds ±8.64e15 ms only: a claim beyond
 * that (a token may carry exp = 1e300) is shown as the number, not thrown on.
 */
function dateText(seconds: number): string {
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? `${seconds} s after 1970 (beyond any date)` : date.toISOString();
}

/** exp, nbf, aud, sub: each failure in words with the values involved. */
export function checkClaims(payload: JWTPayload, audiences: string[], now = Date.now()): Outcome {
  const seconds = Math.floor(now / 1000);
  if (payload.exp !== undefined && typeof payload.exp !== 'number') return { ok: false, why: 'exp is not a number' };
  if (payload.nbf !== undefined && typeof payload.nbf !== 'number') return { ok: false, why: 'nbf is not a number' };
  // RFC 7519 §4.1.2: sub is a StringOrURI; it becomes the client's principal.
  if (payload.sub !== undefined && typeof payload.sub !== 'string') return { ok: false, why: 'sub is not a string' };
  if (payload.exp !== undefined && seconds >= payload.exp) return { ok: false, why: `token expired at ${dateText(payload.exp)}` };
  if (payload.nbf !== undefined && seconds < payload.nbf) return { ok: false, why: `token not valid before ${dateText(payload.nbf)}` };
  const tokenAudiences = audiencesOf(payload);
  const matched = tokenAudiences.find((aud) => audiences.includes(aud));
  if (!matched) return { ok: false, why: `audience ${list(tokenAudiences)} matches none of ${list(audiences)}` };
  const until = payload.exp !== undefined ? `, expires ${dateText(payload.exp)}` : ', no expiry';
  return { ok: true, why: `audience ${matched} matches${until}` };
}

interface TokenReviewStatus {
  authenticated?: boolean;
  error?: string;
  audiences?: string[];
  user?: { username?: string };
}

function interpretReview(text: string, payload: JWTPayload, audiences: string[], where: string): Outcome {
  let status: TokenReviewStatus | undefined;
  try {
    status = (JSON.parse(text) as { status?: TokenReviewStatus }).status;
  } catch {
    return { ok: false, why: `${where} answered with something that is not JSON` };
  }
  if (!status || typeof status !== 'object') return { ok: false, why: `${where} answered without a status` };
  if (status.authenticated !== true) return { ok: false, why: `${where}: not authenticated${status.error ? ` (${status.error})` : ''}` };
  // The API server returns the subset of spec.audiences the token is good for: empty means none.
  const granted = Array.isArray(status.audiences) ? status.audiences.filter((a) => audiences.includes(a)) : [];
  if (!granted.length) return { ok: false, why: `${where}: audience ${list(audiencesOf(payload))} matches none of ${list(audiences)}` };
  const username = status.user?.username;
  const principal = typeof username === 'string' ? username : typeof payload.sub === 'string' ? payload.sub : undefined;
  return { ok: true, why: `${where}: authenticated, audience ${granted[0]} matches`, ...(principal ? { principal } : {}) };
}
