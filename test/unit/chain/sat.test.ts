/**
 * The sat method with real tokens: RS256 and ES256 JWTs signed here with jose, checked against PEM
 * keys, JWKs, a JWKS text, and a TokenReview API served over HTTPS (a throwaway openssl CA) on
 * loopback. Every failure must say precisely why.
 */
import https from 'node:https';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { CompactSign, exportJWK, exportSPKI, generateKeyPair, jwtVerify, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkClaims, SatConfigError, SatMethod, satRelevance, TOKEN_REVIEW_PATH } from '../../../main/broker/chain/methods/sat';
import type { ChainCredentials, SatMethodConfig } from '../../../main/broker/chain/types';
import { issueServerCert, makeTestCa, type TestCa } from '../../helpers/test-ca';

const SUB = 'system:serviceaccount:azure-iot-operations:mqtt-client';
const signal = new AbortController().signal;

function credentials(username: string | undefined, password?: string): ChainCredentials {
  return {
    clientId: 'c1',
    mqttVersion: 5,
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password: Buffer.from(password) } : {}),
    remoteAddress: '127.0.0.1:50000',
    listener: { name: 'tcp://127.0.0.1:1883', protocol: 'tcp' },
  };
}

interface Keys {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  pem: string;
  jwk: string;
}

async function keys(alg: 'RS256' | 'ES256', kid: string): Promise<Keys> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { privateKey, publicKey, pem: await exportSPKI(publicKey), jwk: JSON.stringify({ ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }) };
}

async function token(k: Keys, alg: 'RS256' | 'ES256', claims: { aud?: string | string[]; exp?: number; nbf?: number; kid?: string } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({}).setProtectedHeader({ alg, ...(claims.kid ? { kid: claims.kid } : {}) }).setSubject(SUB).setIssuedAt(now - 10).setIssuer('https://kubernetes.default.svc');
  jwt.setAudience(claims.aud ?? 'aio-mq');
  jwt.setExpirationTime(claims.exp ?? now + 3600);
  if (claims.nbf !== undefined) jwt.setNotBefore(claims.nbf);
  return jwt.sign(k.privateKey);
}

let rsa: Keys;
let ec: Keys;
let stranger: Keys;

beforeAll(async () => {
  [rsa, ec, stranger] = await Promise.all([keys('RS256', 'rsa-1'), keys('ES256', 'ec-1'), keys('RS256', 'stranger')]);
});

const method = (config: Partial<SatMethodConfig>) => new SatMethod({ kind: 'sat', audiences: ['aio-mq', 'mq2'], ...config });

describe('sat relevance', () => {
  it('accepts $sat and sat://, and says which matched', () => {
    expect(satRelevance('$sat')).toEqual({ relevant: true, why: expect.stringContaining('username is $sat') });
    expect(satRelevance('sat://client-a')).toEqual({ relevant: true, why: expect.stringContaining('starts with sat://') });
    expect(satRelevance('bob').relevant).toBe(false);
    expect(satRelevance('$SAT').relevant).toBe(false);
    expect(satRelevance(undefined)).toEqual({ relevant: false, why: expect.stringContaining('no username') });
  });

  it('is not relevant for another username, whatever the password', async () => {
    const verdict = await method({ publicKeysPem: [rsa.pem] }).check(credentials('bob', await token(rsa, 'RS256')), signal);
    expect(verdict).toEqual({ relevant: false, relevantWhy: 'username is neither $sat nor sat://…' });
  });
});

describe('sat validity with local keys', () => {
  it('passes an RS256 token with a PEM key, principal = sub, no attributes', async () => {
    const verdict = await method({ publicKeysPem: [stranger.pem, rsa.pem] }).check(credentials('$sat', await token(rsa, 'RS256')), signal);
    expect(verdict).toMatchObject({ relevant: true, valid: true, principal: SUB, attributes: {} });
    expect(verdict.validWhy).toMatch(/^signature verified with key 2; audience aio-mq matches, expires \d{4}-/);
  });

  it('passes an ES256 token with a JWK, via sat://, and names the key', async () => {
    const verdict = await method({ publicKeysPem: [rsa.pem, ec.jwk] }).check(credentials('sat://anything', await token(ec, 'ES256', { aud: ['other', 'mq2'] })), signal);
    expect(verdict).toMatchObject({ relevant: true, valid: true, principal: SUB });
    expect(verdict.relevantWhy).toContain('sat://');
    expect(verdict.validWhy).toMatch(/^signature verified with kid=ec-1; audience mq2 matches/);
  });

  it('passes with a JWKS text, RS256 and ES256', async () => {
    const jwks = JSON.stringify({ keys: [JSON.parse(rsa.jwk) as object, JSON.parse(ec.jwk) as object] });
    const m = method({ jwks });
    expect(await m.check(credentials('$sat', await token(rsa, 'RS256', { kid: 'rsa-1' })), signal)).toMatchObject({ valid: true, validWhy: expect.stringContaining('JWKS key kid=rsa-1') });
    expect(await m.check(credentials('$sat', await token(ec, 'ES256', { kid: 'ec-1' })), signal)).toMatchObject({ valid: true });
    const wrong = await m.check(credentials('$sat', await token(stranger, 'RS256', { kid: 'rsa-1' })), signal);
    expect(wrong).toMatchObject({ relevant: true, valid: false, validWhy: 'signature does not verify with any key of the configured JWKS' });
  });

  it('fails a token signed by another key', async () => {
    const verdict = await method({ publicKeysPem: [rsa.pem, ec.pem] }).check(credentials('$sat', await token(stranger, 'RS256')), signal);
    expect(verdict).toEqual({ relevant: true, relevantWhy: expect.any(String), valid: false, validWhy: 'signature does not verify with any configured key' });
  });

  it('fails an expired token with the time it expired', async () => {
    const exp = Math.floor(Date.now() / 1000) - 60;
    const verdict = await method({ publicKeysPem: [rsa.pem] }).check(credentials('$sat', await token(rsa, 'RS256', { exp })), signal);
    expect(verdict).toMatchObject({ relevant: true, valid: false, validWhy: `token expired at ${new Date(exp * 1000).toISOString()}` });
  });

  it('fails a token not valid yet', async () => {
    const nbf = Math.floor(Date.now() / 1000) + 600;
    const verdict = await method({ publicKeysPem: [ec.pem] }).check(credentials('$sat', await token(ec, 'ES256', { nbf })), signal);
    expect(verdict).toMatchObject({ valid: false, validWhy: `token not valid before ${new Date(nbf * 1000).toISOString()}` });
  });

  it('fails a token for another audience, listing both sides', async () => {
    const verdict = await method({ publicKeysPem: [rsa.pem] }).check(credentials('$sat', await token(rsa, 'RS256', { aud: ['api', 'vault'] })), signal);
    expect(verdict).toMatchObject({ valid: false, validWhy: 'audience [api, vault] matches none of [aio-mq, mq2]' });
  });

  it('fails sat:// without a password, and a password that is not a JWT', async () => {
    const m = method({ publicKeysPem: [rsa.pem] });
    expect(await m.check(credentials('sat://eyJhbGciOi'), signal)).toMatchObject({ relevant: true, valid: false, validWhy: expect.stringContaining('CONNECT password') });
    expect(await m.check(credentials('$sat', 'hunter2'), signal)).toMatchObject({ relevant: true, valid: false, validWhy: expect.stringMatching(/^the password is not a JWT/) });
  });

  it('checks claims at the edges', () => {
    const now = Date.UTC(2026, 0, 1) ;
    const s = now / 1000;
    expect(checkClaims({ aud: 'a', exp: s }, ['a'], now)).toMatchObject({ ok: false, why: 'token expired at 2026-01-01T00:00:00.000Z' });
    expect(checkClaims({ aud: 'a', exp: s + 1 }, ['a'], now)).toMatchObject({ ok: true });
    expect(checkClaims({ aud: 'a', nbf: s }, ['a'], now)).toMatchObject({ ok: true, why: 'audience a matches, no expiry' });
    expect(checkClaims({}, ['a'], now)).toMatchObject({ ok: false, why: 'audience [] matches none of [a]' });
    expect(checkClaims({ aud: 'a', exp: 'soon' } as unknown as JWTPayload, ['a'], now)).toMatchObject({ ok: false, why: 'exp is not a number' });
  });

  it('states claims beyond any Date as numbers, and refuses a sub that is not a string (fuzz findings)', async () => {
    // Both once threw RangeError "Invalid time value" out of Date.toISOString.
    expect(checkClaims({ exp: -1.7976931348623135e308, nbf: 1735845576, aud: 'a' }, ['a'])).toEqual({ ok: false, why: 'token expired at -1.7976931348623135e+308 s after 1970 (beyond any date)' });
    expect(checkClaims({ aud: 'a', exp: 1e300 }, ['a'])).toEqual({ ok: true, why: 'audience a matches, expires 1e+300 s after 1970 (beyond any date)' });
    expect(checkClaims({ aud: 'a', sub: 5 } as unknown as JWTPayload, ['a'])).toEqual({ ok: false, why: 'sub is not a string' });
    // The exact token payload the fuzzer signed: a verdict, not a method error.
    const payload = '{"exp":-1e+300,"nbf":-1.2614977195074464e+282,"aud":"mq2","sub":"MO*9HR","iat":""}';
    const token = await new CompactSign(Buffer.from(payload)).setProtectedHeader({ alg: 'ES256' }).sign(ec.privateKey);
    expect(await method({ publicKeysPem: [ec.pem] }).check(credentials('$sat', token), signal)).toEqual({
      relevant: true,
      relevantWhy: "username is $sat (Azure's mosquitto example)",
      valid: false,
      validWhy: 'token expired at -1e+300 s after 1970 (beyond any date)',
    });
  });
});

describe('sat configuration', () => {
  it('refuses what cannot work, when the chain is built', () => {
    expect(() => method({ audiences: [], publicKeysPem: [rsa.pem] })).toThrow(SatConfigError);
    expect(() => method({})).toThrow(/no way to verify tokens/);
    expect(() => method({ publicKeysPem: ['not a key'] })).toThrow(/public key 1 is neither a PEM public key nor a JWK/);
    expect(() => method({ jwks: '{"keys": 3' })).toThrow(/JWKS is not a JSON Web Key Set/);
    expect(() => method({ tokenReview: { url: 'http://127.0.0.1:6443', bearerToken: 't' } })).toThrow(/must be https:\/\//);
  });
});

describe('sat validity with a Kubernetes TokenReview', () => {
  let dir: string;
  let ca: TestCa;
  let otherCa: TestCa;
  let server: https.Server;
  let url: string;
  const seen: { path?: string; authorization?: string; body?: { kind?: string; spec?: { token?: string; audiences?: string[] } } } = {};

  // The API server's part: verify the token with the cluster's key, answer as Kubernetes does
  // (status.audiences = the requested audiences the token is good for).
  async function review(body: { spec?: { token?: string; audiences?: string[] } }) {
    const wanted = body.spec?.audiences ?? [];
    try {
      const { payload } = await jwtVerify(body.spec?.token ?? '', rsa.publicKey, wanted.length ? { audience: wanted } : {});
      const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
      return { authenticated: true, user: { username: payload.sub, groups: ['system:serviceaccounts'] }, audiences: wanted.filter((a) => aud.includes(a)) };
    } catch (error) {
      return { authenticated: false, error: `[invalid bearer token, ${(error as Error).message}]` };
    }
  }

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-sat-'));
    [ca, otherCa] = await Promise.all([makeTestCa(dir, 'cluster'), makeTestCa(dir, 'other')]);
    const { cert, key } = await issueServerCert(ca, dir, 'apiserver');
    server = https.createServer({ cert, key }, (request, response) => {
      let text = '';
      request.on('data', (c: Buffer) => (text += c.toString('utf8')));
      request.on('end', () => {
        seen.path = request.url;
        seen.authorization = request.headers.authorization;
        seen.body = JSON.parse(text) as typeof seen.body;
        if (request.headers.authorization !== 'Bearer reviewer-token') return void response.writeHead(401).end('{"kind":"Status","code":401}');
        void review(seen.body!).then((status) => response.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', status })));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }, 60_000);

  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it('passes a token the API server authenticates, with its username as principal', async () => {
    const m = method({ tokenReview: { url, bearerToken: 'reviewer-token', caCertPem: ca.certPem } });
    const tok = await token(rsa, 'RS256');
    const verdict = await m.check(credentials('$sat', tok), signal);
    expect(verdict).toMatchObject({ relevant: true, valid: true, principal: SUB, validWhy: expect.stringContaining('authenticated, audience aio-mq matches') });
    expect(seen).toMatchObject({ path: TOKEN_REVIEW_PATH, authorization: 'Bearer reviewer-token', body: { kind: 'TokenReview', spec: { token: tok, audiences: ['aio-mq', 'mq2'] } } });
  });

  it('fails what the API server does not authenticate, with its error', async () => {
    const m = method({ tokenReview: { url, bearerToken: 'reviewer-token', caCertPem: ca.certPem } });
    const verdict = await m.check(credentials('$sat', await token(stranger, 'RS256')), signal);
    expect(verdict).toMatchObject({ relevant: true, valid: false, validWhy: expect.stringMatching(/: not authenticated \(\[invalid bearer token, .+\]\)$/) });
    const wrongAud = await m.check(credentials('$sat', await token(rsa, 'RS256', { aud: 'api' })), signal);
    expect(wrongAud).toMatchObject({ valid: false, validWhy: expect.stringContaining('not authenticated') });
  });

  it('fails when the reviewer is refused, or the API server is not trusted', async () => {
    const refused = await method({ tokenReview: { url, bearerToken: 'wrong', caCertPem: ca.certPem } }).check(credentials('$sat', await token(rsa, 'RS256')), signal);
    expect(refused).toMatchObject({ valid: false, validWhy: `TokenReview at ${url}${TOKEN_REVIEW_PATH} answered HTTP 401` });
    const untrusted = await method({ tokenReview: { url, bearerToken: 'reviewer-token', caCertPem: otherCa.certPem } }).check(credentials('$sat', await token(rsa, 'RS256')), signal);
    expect(untrusted).toMatchObject({ valid: false, validWhy: expect.stringMatching(/failed: TLS: .*\(not signed by the configured CA\)$/) });
  });
});
