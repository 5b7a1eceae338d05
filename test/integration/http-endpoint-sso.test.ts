/**
 * The HTTP endpoint in web-SSO mode on the lab realm: curl --negotiate signs in with Kerberos, the
 * Basic fallback and its page message, the enableSso admin API (form body, query string, wrong
 * password, not an admin), and SSO off → Basic only. Real curl, real MIT, loopback only.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpEndpointStatus } from '../../main/api/http';
import type { Engine } from '../../main/engine';
import type { Exchange } from '../../main/exchange/model';
import { curl, headerValues } from '../helpers/http-client';
import { openLabEngine, type LabEngine } from '../helpers/lab-engine';

const FALLBACK = 'Unable to validate SSO/Kerberos ticket. Try logging in.';

describe('HTTP endpoint, web-SSO mode (lab realm, curl)', () => {
  let bench: LabEngine;
  let engine: Engine;
  let status: HttpEndpointStatus;
  let env: NodeJS.ProcessEnv;
  let noTicket: NodeJS.ProcessEnv;
  let passwords: Record<string, string>;
  let exchanges: Exchange[];

  beforeAll(async () => {
    bench = await openLabEngine('http-sso');
    ({ engine, env, httpExchanges: exchanges } = bench);
    noTicket = { ...env, KRB5CCNAME: `FILE:${path.join(bench.dataDir, 'no-such.ccache')}` };
    status = await engine.api.http.serve({ mode: 'sso', credentials: 'lab', port: 0 });
    passwords = JSON.parse(await readFile(status.passwordsFile!, 'utf8')) as Record<string, string>;
  }, 60_000);

  afterAll(async () => {
    await bench?.close();
  }, 60_000);

  const url = (p: string) => `${status.url}${p}`;

  it('keeps the generated passwords in a 0600 file, and the users list without them', async () => {
    expect((await stat(status.passwordsFile!)).mode & 0o777).toBe(0o600);
    expect(status.users).toEqual([
      { name: 'admin', admin: true },
      { name: 'viewer', admin: false },
    ]);
    expect(passwords.admin).toMatch(/^[\w-]{24}$/);
    expect(await readFile(path.join(path.dirname(status.passwordsFile!), 'users.json'), 'utf8')).not.toContain(passwords.admin);
  });

  it('signs alice in with Kerberos: the page names her and says Kerberos', async () => {
    const result = await curl(['--negotiate', '-u', ':', url('/')], env);
    expect(result.status, result.body).toBe(200);
    expect(result.body).toContain('Signed in as <strong>alice@BENCH.TEST</strong> via <strong>Kerberos</strong>.');
    expect(headerValues(result.headers, 'WWW-Authenticate')[0]).toMatch(/^Negotiate \S+$/);
    expect(headerValues(result.headers, 'Content-Security-Policy')[0]).toContain("default-src 'none'");
    expect(result.body).not.toMatch(/<script|style=/);
    expect(exchanges.at(-1)).toMatchObject({ mechanism: 'Negotiate', meta: { path: 'kerberos', mode: 'sso' }, identity: { principal: 'alice@BENCH.TEST' } });
  });

  it('without a ticket falls back to Basic: the page shows the known message, then a console password signs in', async () => {
    const challenge = await curl(['--negotiate', '-u', ':', url('/')], noTicket);
    expect(challenge.status).toBe(401);
    expect(headerValues(challenge.headers, 'WWW-Authenticate')).toEqual(['Negotiate', 'Basic realm="Kerberos Bench console", charset="UTF-8"']);
    expect(challenge.body).toContain(`<p class="message" id="sso-message">${FALLBACK}</p>`);
    const basic = await curl(['-u', `viewer:${passwords.viewer}`, url('/')], noTicket);
    expect(basic.status).toBe(200);
    expect(basic.body).toContain('Signed in as <strong>viewer</strong> via <strong>Basic</strong>.');
    expect(exchanges.at(-1)!.meta).toMatchObject({ path: 'basic-fallback' });
    expect(exchanges.at(-1)!.steps[0]!.transport.fields?.Authorization).toBe('Basic viewer:••••');
  });

  it('answers a Negotiate token Kerberos cannot validate with Basic only, and the fallback message', async () => {
    // A SPNEGO NegTokenInit offering Kerberos whose AP-REQ is cut short: Kerberos cannot validate it.
    const garbage = Buffer.from('YIGCBgYrBgEFBQKgeDB2oA0wCwYJKoZIhvcSAQICongEdmBYBgkqhkiG9xIBAgIBAG5JMEegAwIBBaEDAgEOogcDBQAgAAAAo4IBAA==', 'base64');
    const result = await curl(['-H', `Authorization: Negotiate ${garbage.toString('base64')}`, url('/')], env);
    expect(result.status).toBe(401);
    expect(headerValues(result.headers, 'WWW-Authenticate')).toEqual(['Basic realm="Kerberos Bench console", charset="UTF-8"']);
    expect(result.body).toContain(FALLBACK);
    expect(exchanges.at(-1)!.meta).toMatchObject({ path: 'basic-fallback' });
    expect(exchanges.at(-1)!.verdict.outcome).toBe('failure');
  });

  it('enableSso: wrong password 401, not an admin 403, then off by form body and on by query string', async () => {
    const endpoint = url('/api/security/kerberos/enableSso');
    const wrong = await curl(['-u', 'admin:not-the-password', '-d', 'enable=false', endpoint], env);
    expect(wrong.status).toBe(401);
    const viewer = await curl(['-u', `viewer:${passwords.viewer}`, '-d', 'enable=false', endpoint], env);
    expect(viewer.status).toBe(403);
    const bad = await curl(['-u', `admin:${passwords.admin}`, '-d', 'enable=maybe', endpoint], env);
    expect(bad.status).toBe(400);
    expect((await engine.api.http.status()).ssoEnabled).toBe(true);

    const off = await curl(['-u', `admin:${passwords.admin}`, '-d', 'enable=false', endpoint], env);
    expect([off.status, JSON.parse(off.body)]).toEqual([200, { ssoEnabled: false, message: 'Single-sign-on with Kerberos was disabled by admin' }]);
    expect((await engine.api.http.status()).log?.at(-1)).toMatch(/Single-sign-on with Kerberos was disabled by admin$/);

    // SSO off: Basic only, and alice's ticket does not sign her in.
    const offered = await curl(['--negotiate', '-u', ':', url('/')], env);
    expect(offered.status).toBe(401);
    expect(headerValues(offered.headers, 'WWW-Authenticate')).toEqual(['Basic realm="Kerberos Bench console", charset="UTF-8"']);
    const basic = await curl(['-u', `admin:${passwords.admin}`, url('/')], env);
    expect(basic.body).toContain('via <strong>Basic</strong>');
    expect(exchanges.at(-1)!.meta).toMatchObject({ path: 'basic' });

    const on = await curl(['-u', `admin:${passwords.admin}`, '-X', 'POST', `${endpoint}?enable=true`], env);
    expect([on.status, JSON.parse(on.body)]).toEqual([200, { ssoEnabled: true, message: 'Single-sign-on with Kerberos was enabled by admin' }]);
    const kerberos = await curl(['--negotiate', '-u', ':', url('/')], env);
    expect(kerberos.body).toContain('via <strong>Kerberos</strong>');
    expect(JSON.stringify(await engine.api.http.exchanges())).not.toContain(passwords.admin);
  });

  it('setSso through the Bench API logs "… by bench"', async () => {
    const status = await engine.api.http.setSso(false);
    expect(status.ssoEnabled).toBe(false);
    expect(status.log?.at(-1)).toMatch(/Single-sign-on with Kerberos was disabled by bench$/);
    await engine.api.http.setSso(true);
  });
});
