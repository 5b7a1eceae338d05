/**
 * The test SPNEGO server is real: curl --negotiate with alice's TGT gets 200 and her name back
 * from Apache's mod_auth_gssapi; without a ticket, 401 with `WWW-Authenticate: Negotiate`.
 * Captured with tshark on loopback, the scan finds the same HTTP messages tshark does, as one
 * Negotiate Exchange per curl call, and opens the AP-REQ with the server's keytab.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanCapture } from '../../main/capture/scan';
import { parseKeytab } from '../../main/krb/keytab';
import { skipUnlessApache, startApacheSpnego, type ApacheSpnego } from '../helpers/apache-spnego';
import { LoopbackCapture } from '../helpers/capture';
import { ALICE_PASSWORD, createTestRealm, type TestRealm } from '../helpers/lab';

const exec = promisify(execFile);

interface CurlResult {
  status: number;
  headers: string;
  body: string;
}

/** One curl call: status line and headers (-D -), body after them; bounded by a timeout. */
async function curl(args: string[], env: NodeJS.ProcessEnv): Promise<CurlResult> {
  const { stdout } = await exec('curl', ['-sS', '--max-time', '5', '-D', '-', ...args], { env, timeout: 8000, encoding: 'utf8' });
  // With --negotiate curl prints every response's headers (401, then 200): take the last block.
  const blocks = stdout.split(/\r\n\r\n/);
  const body = blocks.pop() ?? '';
  const headers = blocks.filter((b) => b.startsWith('HTTP/')).pop() ?? '';
  const status = Number(/^HTTP\/1\.\d (\d{3})/.exec(headers)?.[1] ?? 0);
  return { status, headers, body };
}

describe.skipIf(skipUnlessApache)('Apache mod_auth_gssapi as a real SPNEGO server', () => {
  let lab: TestRealm;
  let apache: ApacheSpnego;
  beforeAll(async () => {
    lab = await createTestRealm();
    const started = Date.now();
    apache = await startApacheSpnego(lab, { basic: true });
    expect(Date.now() - started).toBeLessThan(5000);
  });
  afterAll(async () => {
    await apache?.stop();
    await lab?.destroy();
  });

  it('accepts curl --negotiate with alice\'s ticket and names her', async () => {
    const result = await curl(['--negotiate', '-u', ':', `${apache.url}/secure/ok.txt`], lab.env);
    expect(result.status, await apache.errorLog()).toBe(200);
    expect(result.headers).toMatch(new RegExp(`^X-User: alice@${lab.name}\\r?$`, 'im'));
    expect(result.body).toBe('authenticated\n');
  });

  it('answers 401 with WWW-Authenticate: Negotiate when the client has no ticket', async () => {
    const env = { ...lab.env, KRB5CCNAME: `FILE:${path.join(lab.dir, 'no-such.ccache')}` };
    const result = await curl(['--negotiate', '-u', ':', `${apache.url}/secure/ok.txt`], env);
    expect(result.status).toBe(401);
    expect(result.headers).toMatch(/^WWW-Authenticate: Negotiate\r?$/im);
  });

  it('checks Basic credentials against the KDC', async () => {
    const ok = await curl(['-u', `alice:${ALICE_PASSWORD}`, `${apache.url}/secure/ok.txt`], lab.env);
    expect(ok.status, await apache.errorLog()).toBe(200);
    expect(ok.headers).toMatch(/^X-User: alice@/im);
    const wrong = await curl(['-u', 'alice:wrong-password', `${apache.url}/secure/ok.txt`], lab.env);
    expect(wrong.status).toBe(401);
  });

  it('serves the open page without authentication', async () => {
    const result = await curl([`${apache.url}/open.txt`], lab.env);
    expect(result.status).toBe(200);
    expect(result.body).toBe('open\n');
  });

  it('is found in a capture: the same HTTP messages as tshark, one Negotiate Exchange that succeeds', async () => {
    const file = path.join(lab.dir, 'apache-spnego.pcapng');
    const tshark = await LoopbackCapture.start(file, `tcp port ${apache.port}`);
    const result = await curl(['--negotiate', '-u', ':', `${apache.url}/secure/ok.txt`], lab.env);
    const denied = await curl(['--negotiate', '-u', ':', `${apache.url}/secure/ok.txt`], { ...lab.env, KRB5CCNAME: `FILE:${path.join(lab.dir, 'none.ccache')}` });
    await tshark.stop();
    expect([result.status, denied.status]).toEqual([200, 401]);
    const keytab = parseKeytab(await readFile(path.join(apache.dir, 'http.keytab'))).keytab.entries;
    const scan = await scanCapture({ file, keys: [{ kind: 'keytab', label: 'http.keytab', entries: keytab }] });
    const http = scan.loadAll().filter((e) => e.capture?.protocol === 'http');
    scan.dispose();
    expect(http.map((e) => [e.mechanism, e.verdict.outcome])).toEqual([
      ['Negotiate', 'success'],
      ['Negotiate', 'pending'],
    ]);
    // curl sends its token up front when Negotiate is the only method (7.88 does); older ones ask first.
    expect([
      ['GET /secure/ok.txt', '200'],
      ['GET /secure/ok.txt', '401', 'GET /secure/ok.txt', '200'],
    ]).toContainEqual(http[0]!.steps.map((s) => s.transport.packet));
    expect(http[0]!.steps.at(-1)!.token, 'the 200 carries the mutual-authentication AP-REP').toBeDefined();
    expect(http[1]!.steps.map((s) => s.transport.packet)).toEqual(['GET /secure/ok.txt', '401']);
    expect(http[1]!.verdict.reason).toContain('challenge');
    const [ok] = http;
    expect(ok!.capture!.principals).toEqual(expect.arrayContaining([`alice@${lab.name}`]));
    // The oracle: every HTTP message tshark sees with an Authorization or WWW-Authenticate header.
    const { stdout } = await exec('tshark', ['-r', file, '-Y', 'http.authorization || http.www_authenticate', '-T', 'fields', '-e', 'frame.number'], { timeout: 20_000 });
    const tsharkFrames = stdout.trim().split('\n').map(Number);
    const ours = http.flatMap((e) => e.steps.filter((s) => s.token || s.transport.packet === '401').map((s) => s.packets!.at(-1)!));
    expect(ours.sort((a, b) => a - b)).toEqual(tsharkFrames);
  });
});
