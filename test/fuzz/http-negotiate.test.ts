/**
 * Hostile HTTP authentication headers: `Authorization` and `WWW-Authenticate` (RFC 7235 / 4559 /
 * 7617) through the bench's parser, Elasticsearch's own extraction (Java base64 rules), and the
 * Negotiate token classifier (SPNEGO / raw krb5 / NTLM) — pure, one million iterations with
 * `npm run fuzz` — and the real SPNEGO endpoint (Elasticsearch mode on a lab realm, the GSS worker
 * behind it) fed the same mutated headers on raw sockets.
 *
 * Seeds: curl's and the JDK's real Negotiate headers from test/fixtures/world (WORLD.TEST, so the
 * lab's acceptor refuses them after real GSS work), NTLMSSP, Basic, and the unit tests' challenge lists.
 * Only HttpHeaderError may leave the parser, naming the header and an offset inside the value.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../main/engine';
import { extractKerberosToken, javaBase64Problem } from '../../main/http/es/authenticate';
import { formatChallenge, HttpHeaderError, MAX_AUTH_HEADER_CHARS, parseAuthorization, parseChallenges } from '../../main/http/negotiate';
import { ntlmIn, offeredMechs } from '../../main/http/ntlm-detect';
import { negotiateTokenKind } from '../../main/http/token-kind';
import { KERBEROS_OIDS, NTLMSSP_OID } from '../../main/krb/gss/framing';
import { encodeNegTokenInit, encodeNegTokenResp } from '../../main/krb/gss/spnego';
import { world } from '../helpers/world';
import { fuzz, fuzzRuns, fuzzTimeout, mutatedBytes, mutatedText } from './harness';

/** An NTLMSSP NEGOTIATE_MESSAGE ([MS-NLMP] §2.2.1.1) as Windows sends it with no domain or workstation. */
const NTLM_NEGOTIATE = Buffer.from('4e544c4d5353500001000000978208e2000000000000000000000000000000000a00f4650000000f', 'hex');
const CURL_TOKEN = Buffer.from(world.curlAuthorization.replace(/^Negotiate /, ''), 'base64');
const JAVA_TOKEN = Buffer.from(world.javaSpnego, 'base64');

const TOKEN_SEEDS = [
  CURL_TOKEN,
  JAVA_TOKEN,
  NTLM_NEGOTIATE,
  encodeNegTokenInit([NTLMSSP_OID], NTLM_NEGOTIATE),
  encodeNegTokenInit(['1.2.3.4', KERBEROS_OIDS.msKrb5, KERBEROS_OIDS.krb5]),
  encodeNegTokenResp({ negState: 1, supportedMech: KERBEROS_OIDS.krb5, responseToken: Buffer.from([0x6f, 0x00]) }),
];

const AUTHORIZATION_SEEDS = [
  world.curlAuthorization,
  `Negotiate ${world.javaSpnego}`,
  `negotiate ${NTLM_NEGOTIATE.toString('base64')}`,
  `NTLM ${NTLM_NEGOTIATE.toString('base64')}`,
  `Negotiate ${TOKEN_SEEDS[3]!.toString('base64')}`,
  `Basic ${Buffer.from('alice:pa:ss wörd').toString('base64')}`,
  'Basic YWxpY2U6', // "alice:"
  'Negotiate',
  'Negotiate AQID, Basic x',
  'Bearer abc.def.ghi',
  'Digest username="a", realm="r", nonce="n", uri="/", response="00"',
];

const CHALLENGE_SEEDS = [
  'Negotiate',
  'Negotiate, Basic realm="security", charset="UTF-8"',
  'Negotiate oYG2MIGzoAMKAQA=, Basic realm="a\\"b"',
  `Negotiate ${TOKEN_SEEDS[5]!.toString('base64')}`,
  'NTLM, Negotiate',
  'Digest realm="r", qop="auth,auth-int", nonce="abc==", opaque="x", Negotiate YII+/w==',
  'Basic realm=x realm2=y',
];

/** A typed refusal names the header and an offset inside the value (or the length limit). */
function checkHeaderError(header: string) {
  return (error: Error, value: string) => {
    const e = error as HttpHeaderError;
    if (e.header !== header) throw new Error(`HttpHeaderError names ${e.header}, not ${header}`);
    const limit = value.length > MAX_AUTH_HEADER_CHARS ? MAX_AUTH_HEADER_CHARS : value.length;
    if (!Number.isInteger(e.offset) || e.offset < 0 || e.offset > limit) throw new Error(`offset ${e.offset} outside the ${value.length}-character value ${JSON.stringify(value.slice(0, 200))}: ${e.message}`);
    if (!e.message.startsWith(`${header} at character ${e.offset}: `)) throw new Error(`message does not name header and offset: ${e.message}`);
  };
}

/** What the endpoint does with a Negotiate token before GSS sees it, and what a probe asks of it. */
function classify(token: Buffer): void {
  negotiateTokenKind(token);
  ntlmIn(token);
  offeredMechs(token);
}

describe('HTTP authentication headers', () => {
  it('Authorization: parse, Elasticsearch extraction, token classification', () =>
    fuzz({
      name: 'http-authorization',
      input: mutatedText(AUTHORIZATION_SEEDS, 8),
      run: (value) => {
        const extracted = extractKerberosToken(value, ['Negotiate']);
        if (extracted.kind === 'token') classify(extracted.token);
        javaBase64Problem(value);
        const credentials = parseAuthorization(value);
        if (credentials.scheme === 'Negotiate') classify(credentials.token);
      },
      typed: [HttpHeaderError],
      checkTyped: checkHeaderError('Authorization'),
    }), fuzzTimeout());

  it('WWW-Authenticate: parse a challenge list; what is formatted parses back the same', () =>
    fuzz({
      name: 'http-www-authenticate',
      input: fc.oneof(mutatedText(CHALLENGE_SEEDS, 8), fc.string({ unit: fc.constantFrom(...' ,="\\\tNegotiatBsc=/+a'.split('')), maxLength: 40 })),
      run: (value) => {
        for (const challenge of parseChallenges(value)) {
          const again = parseChallenges(formatChallenge(challenge));
          if (again.length !== 1 || again[0]!.scheme !== challenge.scheme || again[0]!.token68 !== challenge.token68 || JSON.stringify(again[0]!.params) !== JSON.stringify(challenge.params)) {
            throw new Error(`${JSON.stringify(challenge)} formats as ${formatChallenge(challenge)}, which parses as ${JSON.stringify(again)}`);
          }
        }
      },
      typed: [HttpHeaderError],
      checkTyped: checkHeaderError('WWW-Authenticate'),
    }), fuzzTimeout());

  it('Negotiate token classification never throws', () =>
    fuzz({
      name: 'http-negotiate-token-kind',
      input: mutatedBytes(TOKEN_SEEDS, 8),
      run: classify,
      typed: [],
    }), fuzzTimeout());
});

/** One raw request on its own connection: the status code, or 0 when the server closed without one. */
function rawStatus(port: number, authorization: string, boundMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let answer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${boundMs} ms to Authorization: ${JSON.stringify(authorization.slice(0, 300))}`));
    }, boundMs);
    socket.on('connect', () => {
      // Raw bytes, not node:http: a client library would refuse to send the control characters.
      socket.write(Buffer.from(`GET /_security/_authenticate HTTP/1.1\r\nHost: localhost\r\nAuthorization: ${authorization}\r\nConnection: close\r\n\r\n`, 'utf8'));
    });
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Number(/^HTTP\/1\.1 (\d{3}) /.exec(answer)?.[1] ?? 0));
    });
  });
}

describe('the SPNEGO endpoint (Elasticsearch mode, lab realm) fed hostile Authorization headers', () => {
  let dataDir: string;
  let engine: Engine;
  let port: number;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'kbench-fuzz-http-'));
    engine = createEngine({ runtime: 'cli', dataDir });
    await engine.api.lab.up();
    port = (await engine.api.http.serve({ mode: 'elasticsearch', credentials: 'lab', port: 0 })).port!;
  }, 60_000);

  afterAll(async () => {
    await engine?.api.lab.down().catch(() => undefined);
    await engine?.dispose();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }, 60_000);

  // Four requests at a time. CI: 40 batches (160 requests); `npm run fuzz` caps the socket pass at
  // 5 000 batches (20 000 requests): the parser targets above carry the million.
  it('answers 400 or 401 to every one, within 5 s, and stays up', async () => {
    const statuses = new Map<number, number>();
    await fuzz(
      {
        name: 'http-endpoint-socket',
        input: fc.array(mutatedText(AUTHORIZATION_SEEDS, 6), { minLength: 4, maxLength: 4 }),
        run: async (batch) => {
          const answers = await Promise.all(batch.map((value) => rawStatus(port, value, 5_000)));
          answers.forEach((status, i) => {
            statuses.set(status, (statuses.get(status) ?? 0) + 1);
            if (status !== 400 && status !== 401) throw new Error(`status ${status} to Authorization: ${JSON.stringify(batch[i]!.slice(0, 300))}`);
          });
        },
        typed: [],
        hangMs: 6_000,
      },
      Math.min(fuzzRuns(40), 5_000),
    );
    if (process.env.KBENCH_FUZZ_RUNS) console.log('http-endpoint-socket statuses:', Object.fromEntries(statuses));
    expect(statuses.get(401)).toBeGreaterThan(0);
    const status = await engine.api.http.status();
    expect(status).toMatchObject({ running: true });
    expect(await rawStatus(port, 'Negotiate', 5_000)).toBe(401);
  }, fuzzTimeout(120_000));
});
