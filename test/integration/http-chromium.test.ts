/**
 * A real browser against the endpoint in web-SSO mode: Debian's Chromium (playwright-core) launched
 * with `--auth-server-allowlist=localhost` — without it Chromium never answers Negotiate — and the
 * lab's krb5.conf and ticket cache in its environment (KRB5_CONFIG, KRB5CCNAME: Chromium's
 * network service loads MIT's libgssapi_krb5 and reads them).
 * Chromium on Linux loads GSSAPI only once its Local State says it has seen a Negotiate header
 * (`net.received_http_auth_negotiate_headers`; until then the network service is sandboxed and
 * Negotiate is ERR_UNSUPPORTED_AUTH_SCHEME — the first visit of a fresh profile falls through to
 * Basic): each browser here starts from a profile with that flag set, as a profile that has
 * met a Negotiate server before.
 *   - with alice's ticket it signs in through SPNEGO: the page says alice and "Kerberos", and the
 *     endpoint's Exchange took the kerberos path with the mutual-authentication token;
 *   - with an empty ticket cache it cannot make a token: the 401 page shows the console's fallback
 *     message, and Basic credentials (Playwright's httpCredentials, the console's initial `viewer`
 *     password) sign in through the Basic fallback.
 * The endpoint runs in an engine of its own with a lab realm in a temp data directory.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type BrowserContextOptions } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpEndpointStatus } from '../../main/api/http';
import type { LabStatus } from '../../main/api/lab';
import { createEngine, type Engine } from '../../main/engine';
import { findChromium } from '../../main/system/chromium';
import { CHROMIUM_OFFLINE_FLAGS } from '../helpers/browser';

let profiles = 0;

/**
 * Chromium with Negotiate allowed for localhost, its GSSAPI library pointed at `env`'s files, in a
 * profile of its own under `root` that has met a Negotiate server before (see the header).
 */
async function launchNegotiatingChromium(executablePath: string, root: string, env: Record<string, string>, options: BrowserContextOptions = {}): Promise<BrowserContext> {
  const userDataDir = path.join(root, `chromium-profile-${++profiles}`);
  await mkdir(userDataDir, { recursive: true });
  await writeFile(path.join(userDataDir, 'Local State'), JSON.stringify({ net: { received_http_auth_negotiate_headers: true } }));
  return chromium.launchPersistentContext(userDataDir, {
    ...options,
    executablePath,
    headless: true,
    timeout: 30_000,
    env: { ...process.env, ...env, DISPLAY: '', WAYLAND_DISPLAY: '' } as Record<string, string>,
    args: [...CHROMIUM_OFFLINE_FLAGS, '--auth-server-allowlist=localhost'],
  });
}

const executablePath = await findChromium();

describe.skipIf(!executablePath)('Chromium signs in to the web-SSO endpoint through SPNEGO, and falls back to Basic', () => {
  let dataDir: string;
  let engine: Engine;
  let endpoint: HttpEndpointStatus;
  let lab: LabStatus;
  let browser: BrowserContext | undefined;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'kbench-http-chromium-'));
    engine = createEngine({ runtime: 'cli', dataDir });
    await engine.api.lab.up();
    endpoint = await engine.api.http.serve({ mode: 'sso', credentials: 'lab', port: 0, ssoEnabled: true });
    lab = await engine.api.lab.status();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await engine?.api.http.stop().catch(() => undefined);
    await engine?.api.lab.down({ destroy: true }).catch(() => undefined);
    await engine?.dispose();
    await rm(dataDir, { recursive: true, force: true });
  });

  const pageUrl = () => `${endpoint.url!}/`;

  it('runs on a localhost URL, so Chromium asks for HTTP/localhost', () => {
    expect(endpoint).toMatchObject({ running: true, mode: 'sso', ssoEnabled: true, spn: 'HTTP/localhost@BENCH.TEST' });
    expect(endpoint.url).toMatch(/^http:\/\/localhost:\d+$/);
    expect(lab.state).toBe('running');
  });

  it('signs in with alice\'s ticket: the page says alice and Kerberos', async () => {
    browser = await launchNegotiatingChromium(executablePath!, dataDir, { KRB5_CONFIG: lab.env.KRB5_CONFIG, KRB5CCNAME: lab.env.KRB5CCNAME });
    const page = await browser.newPage();
    const response = await page.goto(pageUrl(), { timeout: 30_000 });
    expect(response?.status(), await page.content()).toBe(200);
    const signedIn = page.locator('#signed-in');
    expect(await signedIn.getAttribute('data-method')).toBe('kerberos');
    expect(await signedIn.getAttribute('data-user')).toMatch(/^alice(@BENCH\.TEST)?$/);
    expect(await signedIn.textContent()).toMatch(/Signed in as alice(@BENCH\.TEST)? via Kerberos/);

    // The endpoint's side: the kerberos path, alice, and the AP-REP back to the browser.
    const exchanges = await engine.api.http.exchanges();
    const kerberos = exchanges.filter((e) => e.meta?.path === 'kerberos' && e.verdict.outcome === 'success');
    expect(kerberos.length, JSON.stringify(exchanges.map((e) => [e.meta?.request, e.meta?.path, e.meta?.why]))).toBeGreaterThanOrEqual(1);
    const signIn = kerberos.at(-1)!;
    expect(signIn.identity?.principal).toBe('alice@BENCH.TEST');
    expect(signIn.steps.some((s) => s.direction === 'client-to-server' && s.token)).toBe(true);
    expect(signIn.steps.some((s) => s.direction === 'server-to-client' && s.token)).toBe(true);
    await browser.close();
    browser = undefined;
  }, 90_000);

  it('falls back to Basic without a ticket: the fallback message, then a console password signs in', async () => {
    const emptyCcache = `FILE:${path.join(dataDir, 'no-ticket.ccache')}`;
    const noTicket = { KRB5_CONFIG: lab.env.KRB5_CONFIG, KRB5CCNAME: emptyCcache };
    // Headless Chromium with no credentials at all ends a Basic challenge in ERR_INVALID_AUTH_CREDENTIALS
    // instead of showing the 401 page; with a wrong password Playwright answers once, then cancels,
    // and the 401 page is what stays on screen.
    browser = await launchNegotiatingChromium(executablePath!, dataDir, noTicket, { httpCredentials: { username: 'nobody', password: 'not-a-console-password' } });
    const before = (await engine.api.http.exchanges()).length;
    const page = await browser.newPage();
    const response = await page.goto(pageUrl(), { timeout: 30_000 });
    expect(response?.status()).toBe(401);
    expect(await page.locator('#sso-message').textContent()).toBe('Unable to validate SSO/Kerberos ticket. Try logging in.');
    const challenge = (await response!.allHeaders())['www-authenticate'] ?? '';
    expect(challenge).toMatch(/Negotiate/);
    expect(challenge).toMatch(/Basic/);

    const passwords = JSON.parse(await readFile(path.join(dataDir, 'http', 'initial-passwords.json'), 'utf8')) as Record<string, string>;
    expect(passwords.viewer).toBeTruthy();
    await browser.close();
    browser = await launchNegotiatingChromium(executablePath!, dataDir, noTicket, { httpCredentials: { username: 'viewer', password: passwords.viewer! } });
    const signedInPage = await browser.newPage();
    const ok = await signedInPage.goto(pageUrl(), { timeout: 30_000 });
    expect(ok?.status(), await signedInPage.content()).toBe(200);
    const signedIn = signedInPage.locator('#signed-in');
    expect(await signedIn.getAttribute('data-method')).toBe('basic');
    expect(await signedIn.textContent()).toMatch(/Signed in as viewer via Basic/);

    const after = (await engine.api.http.exchanges()).slice(before);
    expect(after.map((e) => e.meta?.path)).toContain('basic-fallback');
    expect(after.some((e) => e.meta?.path === 'kerberos' && e.verdict.outcome === 'success')).toBe(false);
    // The password never lands in an Exchange.
    expect(JSON.stringify(after)).not.toContain(passwords.viewer);
  }, 90_000);
});
