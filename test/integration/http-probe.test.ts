/**
 * The Negotiate probe through the `negotiate` service against a real SPNEGO server: Debian's
 * Apache with mod_auth_gssapi, keyed from a throwaway MIT realm, alice's real TGT, the GSS worker
 * (MIT through the binding). Mutual authentication is verified by feeding Apache's final token to
 * the initiator; an SPN the KDC does not know fails with MIT's own words; redirects from a small
 * node:http server are followed with every hop kept; Basic is the fallback when asked for.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NegotiateProbeOptions, NegotiateProbeView } from '../../main/api/http';
import { createEngine, type Engine } from '../../main/engine';
import { skipUnlessApache, startApacheSpnego, type ApacheSpnego } from '../helpers/apache-spnego';
import { ALICE_PASSWORD, createTestRealm, type TestRealm } from '../helpers/lab';

const REALM = 'PROBE.TEST';

async function settled(engine: Engine, id: string, done: (v: NegotiateProbeView) => boolean = (v) => v.state !== 'running', timeoutMs = 20_000): Promise<NegotiateProbeView> {
  const started = Date.now();
  for (;;) {
    const view = await engine.api.negotiate.view(id);
    if (done(view)) return view;
    if (Date.now() - started > timeoutMs) throw new Error(`probe stuck in ${view.state}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const header = (headers: [string, string][] | undefined, name: string) => headers?.filter(([n]) => n.toLowerCase() === name.toLowerCase()).map(([, v]) => v) ?? [];

describe.skipIf(skipUnlessApache)('the Negotiate probe against Apache mod_auth_gssapi', () => {
  let lab: TestRealm;
  let apache: ApacheSpnego;
  let engine: Engine;
  let dataDir: string;
  let redirector: http.Server;
  let redirectorUrl: string;
  let custom: Pick<NegotiateProbeOptions, 'profile' | 'krb5Config' | 'ccache'>;

  const probe = async (url: string, extra: Partial<NegotiateProbeOptions> = {}) => {
    const view = await engine.api.negotiate.start({ url, ...custom, step: false, ...extra });
    return settled(engine, view.id);
  };

  beforeAll(async () => {
    lab = await createTestRealm(REALM);
    apache = await startApacheSpnego(lab, { basic: true });
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'kbench-http-probe-'));
    engine = createEngine({ runtime: 'cli', dataDir });
    custom = { profile: 'custom', krb5Config: lab.env.KRB5_CONFIG!, ccache: lab.ccache };
    // /a → /b → Apache's protected page; /loop → itself.
    redirector = http.createServer((req, res) => {
      const to = req.url === '/a' ? '/b' : req.url === '/b' ? `${apache.url}/secure/ok.txt` : req.url === '/loop' ? '/loop' : undefined;
      res.writeHead(to ? 302 : 404, to ? { Location: to } : {}).end();
    });
    await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
    redirectorUrl = `http://localhost:${(redirector.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((r) => redirector?.close(r));
    await engine?.dispose();
    await apache?.stop();
    await lab?.destroy();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('authenticates as alice with SPNEGO, and verifies Apache\'s mutual-authentication token', async () => {
    const view = await probe(`${apache.url}/secure/ok.txt`);
    expect(view.state, `${view.exchange.verdict.reason}\n${await apache.errorLog()}`).toBe('done');
    expect(view.status).toBe(200);
    expect(view.mutual).toBe('verified');
    expect(view.exchange).toMatchObject({ source: 'probe', role: 'client', mechanism: 'Negotiate', service: 'HTTP@localhost', identity: { principal: `alice@${REALM}` } });
    expect(view.exchange.steps.map((s) => s.transport.packet)).toEqual(['GET', '401', 'Authorization', '200']);
    const [, challenge, authorization, ok] = view.exchange.steps;
    expect(challenge!.transport.fields!['WWW-Authenticate']).toMatch(/^Negotiate, Basic realm=/);
    // Our token: SPNEGO NegTokenInit around an AP-REQ for HTTP/localhost, opened with the ccache's session key.
    expect(authorization!.tokenKind).toMatch(/SPNEGO/);
    expect(JSON.stringify(authorization!.decoded)).toContain(`HTTP/localhost@${REALM}`);
    expect(ok!.direction).toBe('server-to-client');
    expect(ok!.token).toBeTruthy();
    expect(ok!.summary).toMatch(/mutual authentication verified/);
    // Every hop's headers as sent and received.
    expect(view.hops).toHaveLength(2);
    expect(header(view.hops[1]!.requestHeaders, 'Authorization')[0]).toMatch(/^Negotiate [A-Za-z0-9+/]+=*$/);
    expect(header(view.hops[1]!.responseHeaders, 'X-User')).toEqual([`alice@${REALM}`]);
    expect(header(view.hops[1]!.responseHeaders, 'WWW-Authenticate')[0]).toMatch(/^Negotiate \S+/);
    expect(view.hops[1]!.body).toBe('authenticated\n');
    // The SPN each stack would ask for, checked against the realm's KDC.
    expect(view.spn.predictions.find((p) => p.client === 'curl')!.spn).toBe('HTTP/localhost');
    expect(view.spn.checks.find((c) => c.spn === 'HTTP/localhost')).toMatchObject({ kdcKnows: true, kdcKvno: expect.any(Number) });
    expect(view.ntlm).toBeUndefined();
  });

  it('step mode: pauses before each request, showing the headers about to go', async () => {
    let view = await engine.api.negotiate.start({ url: `${apache.url}/secure/ok.txt`, ...custom, step: true });
    view = await settled(engine, view.id, (v) => v.state === 'waiting');
    expect(view.pending!.description).toMatch(/without credentials/);
    expect(header(view.pending!.hop.requestHeaders, 'Authorization')).toEqual([]);
    expect(view.hops).toHaveLength(0);
    await engine.api.negotiate.next(view.id);
    view = await settled(engine, view.id, (v) => v.state === 'waiting');
    expect(view.hops.map((h) => h.status)).toEqual([401]);
    expect(view.pending!.description).toMatch(/with Negotiate \(\d+-byte token\)/);
    expect(header(view.pending!.hop.requestHeaders, 'Authorization')[0]).toMatch(/^Negotiate /);
    await engine.api.negotiate.next(view.id);
    view = await settled(engine, view.id, (v) => v.state !== 'running' && v.state !== 'waiting');
    expect(view.state).toBe('done');
    expect(view.mutual).toBe('verified');
    await expect(engine.api.negotiate.next(view.id)).rejects.toThrow(/nothing to send: this run has ended \(done/);
  });

  it('an SPN the KDC does not know: MIT\'s words, the SPN named, the check agrees', async () => {
    const view = await probe(`http://127.0.0.1:${apache.port}/secure/ok.txt`);
    expect(view.state).toBe('failed');
    expect(view.exchange.verdict.reason).toMatch(/Server HTTP\/127\.0\.0\.1@PROBE\.TEST not found in Kerberos database/);
    expect(view.exchange.verdict.reason).toContain('the KDC does not know the SPN HTTP/127.0.0.1');
    expect(view.spn.hostIsAddress).toBe(true);
    expect(view.spn.checks.find((c) => c.spn === 'HTTP/127.0.0.1')).toMatchObject({ kdcKnows: false });
    expect(view.mutual).toBe('not-reached');
  });

  it('follows redirects, keeping every hop\'s headers', async () => {
    const view = await probe(`${redirectorUrl}/a`);
    expect(view.state, view.exchange.verdict.reason).toBe('done');
    expect(view.hops.map((h) => [h.status, h.url.replace(/:\d+/, ':P')])).toEqual([
      [302, 'http://localhost:P/a'],
      [302, 'http://localhost:P/b'],
      [401, 'http://localhost:P/secure/ok.txt'],
      [200, 'http://localhost:P/secure/ok.txt'],
    ]);
    expect(header(view.hops[0]!.responseHeaders, 'Location')).toEqual(['/b']);
    expect(view.hops[0]!.note).toMatch(/redirect to .*\/b$/);
    expect(view.mutual).toBe('verified');
  });

  it('stops after maxRedirects', async () => {
    const view = await probe(`${redirectorUrl}/loop`, { maxRedirects: 2 });
    expect(view.state).toBe('failed');
    expect(view.hops).toHaveLength(3);
    expect(view.exchange.verdict).toMatchObject({ code: 'too many redirects', reason: expect.stringMatching(/more than 2 redirects/) });
  });

  it('falls back to Basic when Negotiate fails and the server offers Basic; the password never shows', async () => {
    const view = await probe(`${apache.url}/secure/ok.txt`, { spn: 'HTTP/nosuch.example', basic: { user: 'alice', password: ALICE_PASSWORD } });
    expect(view.state, view.exchange.verdict.reason).toBe('done');
    expect(header(view.hops.at(-1)!.responseHeaders, 'X-User')).toEqual([`alice@${REALM}`]);
    expect(view.exchange.meta).toMatchObject({ path: 'basic-fallback' });
    expect(JSON.stringify(view)).not.toContain(ALICE_PASSWORD);
    expect(JSON.stringify(view)).not.toContain(Buffer.from(`alice:${ALICE_PASSWORD}`).toString('base64'));
  });
});
