import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { extractKerberosToken, javaBase64Problem } from '../../../main/http/es/authenticate';
import { esChallenges, esError } from '../../../main/http/es/errors';
import { RoleMappingStore } from '../../../main/http/es/role-store';
import { handleEsRequest, MAX_ES_BODY_BYTES, type EsRequest, type EsRouteContext } from '../../../main/http/es/routes';

const challenges = esChallenges({ kerberos: true, basic: true });
const request = (method: string, pathAndQuery: string, body = ''): EsRequest => {
  const [p, q] = pathAndQuery.split('?');
  return { method, path: p!, query: q ?? '', body };
};
const json = (r: { body: string }) => JSON.parse(r.body) as Record<string, unknown>;
const MAPPING = JSON.stringify({ roles: ['kibana_admin'], enabled: true, rules: { field: { username: '*@BENCH.TEST' } } });

describe('handleEsRequest', () => {
  let dataDir: string;
  let ctx: EsRouteContext;
  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'kbench-es-routes-'));
    ctx = {
      user: { kind: 'kerberos', principal: 'alice@BENCH.TEST' },
      store: RoleMappingStore.inDataDir(dataDir),
      realm: { name: 'kerb1', removeRealmName: false },
      challenges,
    };
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('answers 401 without a user, with the challenges in headers and body and the query in the URI', async () => {
    const r = await handleEsRequest(request('GET', '/_security/_authenticate?pretty'), { ...ctx, user: null });
    expect(r.status).toBe(401);
    expect(r.headers).toMatchObject({ 'WWW-Authenticate': ['Negotiate', 'Basic realm="security", charset="UTF-8"'], 'X-elastic-product': 'Elasticsearch' });
    const cause = {
      type: 'security_exception',
      reason: 'missing authentication credentials for REST request [/_security/_authenticate?pretty]',
      header: { 'WWW-Authenticate': ['Negotiate', 'Basic realm="security", charset="UTF-8"'] },
    };
    expect(json(r)).toEqual({ error: { root_cause: [cause], ...cause }, status: 401 });
    expect(r.body).toMatch(/^\{\n {2}"error" : \{\n {4}"root_cause" : \[\n/);
  });

  it('answers _authenticate for a Kerberos user with roles from the mappings', async () => {
    await handleEsRequest(request('PUT', '/_security/role_mapping/kerberos_users', MAPPING), ctx);
    const r = await handleEsRequest(request('GET', '/_security/_authenticate'), ctx);
    expect(r.status).toBe(200);
    expect(json(r)).toEqual({
      username: 'alice@BENCH.TEST',
      roles: ['kibana_admin'],
      full_name: null,
      email: null,
      metadata: { kerberos_user_principal_name: 'alice@BENCH.TEST', kerberos_realm: 'BENCH.TEST' },
      enabled: true,
      authentication_realm: { name: 'kerb1', type: 'kerberos' },
      lookup_realm: { name: 'kerb1', type: 'kerberos' },
      authentication_type: 'realm',
    });
    expect(r.evaluation!.mappings[0]).toMatchObject({ name: 'kerberos_users', matched: true });
    const short = await handleEsRequest(request('GET', '/_security/_authenticate'), { ...ctx, realm: { name: 'kerb1', removeRealmName: true } });
    expect(json(short)).toMatchObject({ username: 'alice', roles: [], metadata: { kerberos_user_principal_name: 'alice@BENCH.TEST' } });
  });

  it('answers _authenticate for a Basic user of the file realm', async () => {
    const r = await handleEsRequest(request('GET', '/_security/_authenticate'), { ...ctx, user: { kind: 'basic', user: { username: 'bench', roles: ['superuser'] } } });
    expect(json(r)).toMatchObject({ username: 'bench', roles: ['superuser'], metadata: {}, authentication_realm: { name: 'default_file', type: 'file' } });
  });

  it('creates, replaces, reads and deletes role mappings with ES’s bodies and statuses', async () => {
    const put = await handleEsRequest(request('PUT', '/_security/role_mapping/m1', MAPPING), ctx);
    expect([put.status, json(put)]).toEqual([200, { role_mapping: { created: true } }]);
    const again = await handleEsRequest(request('POST', '/_security/role_mapping/m1?refresh=true', MAPPING), ctx);
    expect([again.status, json(again)]).toEqual([200, { role_mapping: { created: false } }]);
    const stored = { enabled: true, roles: ['kibana_admin'], rules: { field: { username: '*@BENCH.TEST' } }, metadata: {} };
    expect(json(await handleEsRequest(request('GET', '/_security/role_mapping/m1'), ctx))).toEqual({ m1: stored });
    expect(json(await handleEsRequest(request('GET', '/_security/role_mapping'), ctx))).toEqual({ m1: stored });
    expect(json(await handleEsRequest(request('GET', '/_security/role_mapping/m1,nope'), ctx))).toEqual({ m1: stored });
    const missing = await handleEsRequest(request('GET', '/_security/role_mapping/nope'), ctx);
    expect([missing.status, missing.body]).toEqual([404, '{}']);
    const del = await handleEsRequest(request('DELETE', '/_security/role_mapping/m1'), ctx);
    expect([del.status, json(del)]).toEqual([200, { found: true }]);
    const delAgain = await handleEsRequest(request('DELETE', '/_security/role_mapping/m1'), ctx);
    expect([delAgain.status, json(delAgain)]).toEqual([404, { found: false }]);
    expect((await handleEsRequest(request('GET', '/_security/role_mapping'), ctx)).body).toBe('{}');
  });

  it('decodes the mapping name from the path', async () => {
    await handleEsRequest(request('PUT', '/_security/role_mapping/my%20map', MAPPING), ctx);
    expect(Object.keys(await ctx.store.all())).toEqual(['my map']);
  });

  it('refuses bad bodies with 400 in ES’s error shape', async () => {
    const empty = await handleEsRequest(request('PUT', '/_security/role_mapping/m1'), ctx);
    expect([empty.status, json(empty)]).toEqual([
      400,
      { error: { root_cause: [{ type: 'parse_exception', reason: 'request body is required' }], type: 'parse_exception', reason: 'request body is required' }, status: 400 },
    ]);
    const broken = await handleEsRequest(request('PUT', '/_security/role_mapping/m1', '{"roles":'), ctx);
    expect(broken.status).toBe(400);
    expect(json(broken)).toMatchObject({ error: { type: 'parsing_exception', reason: '[1:10] Unexpected end-of-input: expected a value' }, status: 400 });
    const invalid = await handleEsRequest(request('PUT', '/_security/role_mapping/m1', '{"roles":[],"enabled":true,"rules":{"field":{"username":"x"}}}'), ctx);
    expect(json(invalid)).toMatchObject({ error: { type: 'action_request_validation_exception' }, status: 400 });
    expect(await ctx.store.all()).toEqual({});
  });

  it('answers unknown routes, wrong methods and OPTIONS as RestController does', async () => {
    const none = await handleEsRequest(request('GET', '/_security/nothing/here'), { ...ctx, user: null });
    expect([none.status, json(none)]).toEqual([400, { error: 'no handler found for uri [/_security/nothing/here] and method [GET]' }]);
    const wrong = await handleEsRequest(request('DELETE', '/_security/_authenticate'), ctx);
    expect([wrong.status, wrong.headers.Allow, json(wrong)]).toEqual([405, 'GET', { error: 'Incorrect HTTP method for uri [/_security/_authenticate] and method [DELETE], allowed: [GET]', status: 405 }]);
    const options = await handleEsRequest(request('OPTIONS', '/_security/role_mapping/x'), { ...ctx, user: null });
    expect([options.status, options.headers.Allow, options.body]).toEqual([200, 'DELETE,GET,POST,PUT', '']);
    const index = await handleEsRequest(request('GET', '/logs'), ctx);
    expect([index.status, json(index)]).toMatchObject([404, { error: { type: 'index_not_found_exception', reason: 'no such index [logs]', index: 'logs' }, status: 404 }]);
  });

  it('refuses unknown parameters, oversized bodies and non-JSON content types', async () => {
    const param = await handleEsRequest(request('GET', '/_security/_authenticate?foo=1'), ctx);
    expect([param.status, json(param)]).toMatchObject([400, { error: { type: 'illegal_argument_exception', reason: 'request [/_security/_authenticate] contains unrecognized parameter: [foo]' } }]);
    const big = await handleEsRequest(request('PUT', '/_security/role_mapping/m1', 'x'.repeat(MAX_ES_BODY_BYTES + 1)), ctx);
    expect([big.status, big.body]).toEqual([413, '']);
    const form = await handleEsRequest({ ...request('PUT', '/_security/role_mapping/m1', MAPPING), contentType: 'application/x-www-form-urlencoded' }, ctx);
    expect([form.status, json(form)]).toEqual([406, { error: 'Content-Type header [application/x-www-form-urlencoded] is not supported', status: 406 }]);
    const ok = await handleEsRequest({ ...request('PUT', '/_security/role_mapping/m1', MAPPING), contentType: 'application/json; charset=UTF-8' }, ctx);
    expect(ok.status).toBe(200);
  });

  it('answers the banner on GET / and nothing on HEAD', async () => {
    const r = await handleEsRequest(request('GET', '/'), ctx);
    expect(json(r)).toMatchObject({ name: 'kbench', version: { number: expect.stringMatching(/^8\./) }, tagline: 'You Know, for Search' });
    const head = await handleEsRequest(request('HEAD', '/'), ctx);
    expect([head.status, head.body]).toEqual([200, '']);
  });

  it('turns a corrupt store into a 500 in ES’s shape and stays usable', async () => {
    await ctx.store.put('m1', JSON.parse(MAPPING));
    await writeFile(ctx.store.file, '{ broken');
    await utimes(ctx.store.file, new Date(Date.now() + 5000), new Date(Date.now() + 5000));
    const r = await handleEsRequest(request('GET', '/_security/_authenticate'), ctx);
    expect(r.status).toBe(500);
    expect(json(r)).toMatchObject({ error: { type: 'exception', reason: expect.stringContaining('role-mappings.json:1:3') }, status: 500 });
    expect((await handleEsRequest(request('GET', '/'), ctx)).status).toBe(200);
  });
});

describe('ES error helpers', () => {
  it('takes root_cause from the last Elasticsearch exception of the chain', () => {
    const body = esError(401, [{ type: 'security_exception', reason: 'Defective token detected' }, { type: 'g_s_s_exception', reason: 'Defective token detected' }]);
    expect(body.error.root_cause).toEqual([{ type: 'security_exception', reason: 'Defective token detected' }]);
    expect(body.error.caused_by).toEqual({ type: 'g_s_s_exception', reason: 'Defective token detected' });
  });
});

describe('extractKerberosToken', () => {
  it('takes only "Negotiate <token>" headers, as KerberosAuthenticationToken does', () => {
    expect(extractKerberosToken(undefined, challenges)).toEqual({ kind: 'none' });
    expect(extractKerberosToken('Basic YTpi', challenges)).toEqual({ kind: 'none' });
    expect(extractKerberosToken('Negotiate', challenges)).toEqual({ kind: 'none' });
    expect(extractKerberosToken('negotiate YGg=', challenges)).toEqual({ kind: 'token', token: Buffer.from([0x60, 0x68]) });
  });

  it('refuses an empty or badly encoded token with ES’s texts', () => {
    const empty = extractKerberosToken('Negotiate    ', challenges);
    expect(empty).toMatchObject({ kind: 'invalid', error: { status: 401, error: { reason: 'invalid negotiate authentication header value, expected base64 encoded token but value is empty' } } });
    const bad = extractKerberosToken('Negotiate [B@6499375d', challenges);
    expect(bad).toMatchObject({
      kind: 'invalid',
      error: { error: { reason: 'invalid negotiate authentication header value, could not decode base64 token [B@6499375d', caused_by: { reason: 'Illegal base64 character 5b' } } },
    });
  });

  it('decodes base64 as strictly as Java', () => {
    expect(javaBase64Problem('YWJj')).toBeNull();
    expect(javaBase64Problem('YWI')).toBeNull();
    expect(javaBase64Problem('YWI=')).toBeNull();
    expect(javaBase64Problem('YWJjZ')).toBe('Last unit does not have enough valid bits');
    expect(javaBase64Problem('YW J j')).toBe('Illegal base64 character 20');
    expect(javaBase64Problem('YWJj=')).toBe('Input byte array has wrong 4-byte ending unit');
  });
});
