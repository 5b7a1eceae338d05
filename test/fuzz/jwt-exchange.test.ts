/**
 * Two things users and clients hand the bench as text: a JWT as the CONNECT password (the chain's
 * `sat` method, jose 6 underneath) and a saved Exchange file (JSON through the zod schema).
 *
 * JWTs: real ES256 tokens signed here, mutated as text; and tokens whose signature verifies but
 * whose claims are anything JSON can hold (the path an attacker holding a key, or a careless
 * issuer, reaches). The method must answer with a verdict — never throw — and a principal, when
 * it names one, is a string. Exchange files: real Exchanges (an MIT AP-REQ with delegated
 * credentials decoded with its keytab, from test/fixtures/world) saved, then mutated; only
 * ExchangeFileError may escape, and what parses must save and parse again.
 */
import fc from 'fast-check';
import { CompactSign, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkClaims, SatMethod } from '../../main/broker/chain/methods/sat';
import type { ChainCredentials, MethodVerdict } from '../../main/broker/chain/types';
import { ExchangeFileError, parseExchange, parseExchanges, serializeExchange, serializeExchanges } from '../../main/exchange/serialize';
import { decodeTranscript } from '../../main/sasl/transcript';
import { deepTree, exchangeWithTree } from '../helpers/deep-tree';
import { world, worldKeytab } from '../helpers/world';
import { fuzz, fuzzRuns, fuzzTimeout, mutatedText } from './harness';

const AUDIENCES = ['aio-mq', 'mq2'];
const signal = new AbortController().signal;

function credentials(password: string): ChainCredentials {
  return { clientId: 'c1', mqttVersion: 5, username: '$sat', password: Buffer.from(password), remoteAddress: '127.0.0.1:50000', listener: { name: 'tcp://127.0.0.1:1883', protocol: 'tcp' } };
}

/** A verdict is data of the declared shape: what the chain and the Exchange read from it. */
function checkVerdict(verdict: MethodVerdict): void {
  if (typeof verdict.relevant !== 'boolean' || typeof verdict.relevantWhy !== 'string') throw new Error(`malformed verdict ${JSON.stringify(verdict)}`);
  if (verdict.validWhy !== undefined && typeof verdict.validWhy !== 'string') throw new Error(`validWhy is not text: ${JSON.stringify(verdict)}`);
  if (verdict.principal !== undefined && typeof verdict.principal !== 'string') throw new Error(`principal is a ${typeof verdict.principal}: ${JSON.stringify(verdict)}`);
}

/** Claim values of every JSON type, including times outside what a Date can show. */
const claimValue = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.constantFrom(1e300, -1e300, 8.64e12, -8.64e12, 2 ** 53, 0, 1.5, Math.floor(Date.now() / 1000) + 3600),
  fc.string({ maxLength: 8 }),
  fc.constantFrom('aio-mq', 'mq2', 'system:serviceaccount:ns:sa'),
  fc.array(fc.oneof(fc.constantFrom('aio-mq', 'x'), fc.integer()), { maxLength: 3 }),
  fc.constant(null),
  fc.boolean(),
  fc.dictionary(fc.string({ maxLength: 3 }), fc.integer(), { maxKeys: 2 }),
);
const claims = fc.record({ exp: claimValue, nbf: claimValue, aud: claimValue, sub: claimValue, iat: claimValue }, { requiredKeys: [] });

describe('JWT as the CONNECT password (sat)', () => {
  let key: CryptoKey;
  let method: SatMethod;
  let seeds: string[];

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    key = pair.privateKey;
    method = new SatMethod({ kind: 'sat', audiences: AUDIENCES, jwks: JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'ec-1', alg: 'ES256' }] }) });
    const now = Math.floor(Date.now() / 1000);
    const sign = (payload: JWTPayload, header: Record<string, unknown> = {}) => new SignJWT(payload).setProtectedHeader({ alg: 'ES256', kid: 'ec-1', ...header }).sign(key);
    seeds = [
      await sign({ sub: 'system:serviceaccount:ns:sa', aud: 'aio-mq', exp: now + 3600, iat: now }),
      await sign({ sub: 'x', aud: ['mq2', 'other'], exp: now - 10 }),
      await sign({ aud: 'nobody', nbf: now + 600 }, { typ: 'JWT', crit: ['b64'], b64: true }),
      `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"aud":"aio-mq"}').toString('base64url')}.`,
    ];
  });

  it('the seed token is accepted (mutations start from a valid one)', async () => {
    expect(await method.check(credentials(seeds[0]!), signal)).toMatchObject({ valid: true, principal: 'system:serviceaccount:ns:sa' });
  });

  it('answers mutated tokens with a verdict', () =>
    fuzz({
      name: 'jwt-sat-text',
      input: mutatedText(seeds, 8),
      run: async (token) => checkVerdict(await method.check(credentials(token), signal)),
      typed: [],
    }, fuzzRuns(1_000)), fuzzTimeout());

  it('answers validly signed tokens whose claims are any JSON with a verdict', () =>
    fuzz({
      name: 'jwt-sat-signed-claims',
      input: fc.oneof(claims.map((c) => JSON.stringify(c)), mutatedText(['{"sub":"a","aud":"aio-mq","exp":4102444800}', '{"aud":["aio-mq"],"nbf":0}'], 6)),
      run: async (payload) => {
        const token = await new CompactSign(Buffer.from(payload)).setProtectedHeader({ alg: 'ES256', kid: 'ec-1' }).sign(key);
        checkVerdict(await method.check(credentials(token), signal));
      },
      typed: [],
    }, fuzzRuns(1_000)), fuzzTimeout());

  it('checks any claims without throwing (exp, nbf, aud)', () =>
    fuzz({
      name: 'jwt-check-claims',
      // Through JSON, as jose's decodeJwt hands them over (no prototype-less objects).
      input: claims.map((c) => JSON.parse(JSON.stringify(c)) as JWTPayload),
      run: (payload) => {
        const outcome = checkClaims(payload as JWTPayload, AUDIENCES);
        if (typeof outcome.why !== 'string') throw new Error(`no reason: ${JSON.stringify(outcome)}`);
      },
      typed: [],
    }), fuzzTimeout());
});

describe('saved Exchange files', () => {
  const apReq = decodeTranscript(`C: ${world.delegatedApReq}\n`, [{ kind: 'keytab', label: 'world keytab', entries: worldKeytab }]);
  const http = exchangeWithTree(deepTree(6));
  const seeds = [serializeExchange(apReq), serializeExchange(http), serializeExchanges([apReq, http])];

  it('the seeds open', () => {
    expect(parseExchange(seeds[0]!).steps[0]!.decoded).toBeDefined();
    expect(parseExchanges(seeds[2]!)).toHaveLength(2);
  });

  it('opens mutated files or refuses them naming the field', () =>
    fuzz({
      name: 'exchange-file',
      input: mutatedText(seeds, 8),
      run: (text) => {
        for (const exchange of parseExchanges(text)) parseExchange(serializeExchange(exchange));
      },
      typed: [ExchangeFileError],
      checkTyped: (error) => {
        if (!/^(not an Exchange file|invalid Exchange)/.test(error.message)) throw new Error(`ExchangeFileError without the usual wording: ${error.message}`);
      },
    }, fuzzRuns(300)), fuzzTimeout());
});
