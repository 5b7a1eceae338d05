/**
 * Web mode's token stays on its port. Browsers send cookies for 127.0.0.1 to every port of it, so
 * a token kept in a cookie reaches any other local web server the user visits, which can replay
 * it to the API (no Origin header needed outside a browser). Here real Chromium opens the tokened
 * URL, then visits a page served from another loopback port that records everything it is sent.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser';
import { startKbenchWeb, upgrade, type RunningWeb } from '../helpers/web';

const SCREENSHOTS = path.resolve('test-results/screenshots');

/** Another local web server: records every request's headers; its page reports what it can see of the bench. */
async function startOtherServer(benchOrigin: string): Promise<{ origin: string; requests: IncomingHttpHeaders[]; close(): Promise<void> }> {
  const requests: IncomingHttpHeaders[] = [];
  const page = `<!doctype html><title>other</title><script>
    const seen = { cookie: document.cookie, storage: sessionStorage.getItem('kbench.token'), socket: 'pending' };
    const ws = new WebSocket(${JSON.stringify(benchOrigin.replace('http:', 'ws:') + '/api')});
    ws.onopen = () => { seen.socket = 'open'; };
    ws.onclose = () => { if (seen.socket === 'pending') seen.socket = 'refused'; };
    window.seen = seen;
  </script>`;
  const server: Server = createServer((request, response) => {
    requests.push(request.headers);
    response.writeHead(200, { 'Content-Type': 'text/html' }).end(page);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('web mode keeps its token on its own port (Chromium)', () => {
  let web: RunningWeb;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let other: Awaited<ReturnType<typeof startOtherServer>>;

  beforeAll(async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    web = await startKbenchWeb();
    other = await startOtherServer(web.origin);
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    // The bench, opened as the user does: the URL kbench web printed. Its API connects.
    await page.goto(web.url);
    await page.getByTestId('nav-doctor').click();
    await page.getByTestId('check-krb5kdc').waitFor({ timeout: 30_000 });
  });
  afterAll(async () => {
    await browser?.close();
    await other?.close();
    await web?.stop();
  });

  it('sends the token to no other local port, in no header', async () => {
    const visitor = await context.newPage();
    await visitor.goto(`${other.origin}/`);
    await visitor.waitForFunction(() => (window as unknown as { seen: { socket: string } }).seen.socket !== 'pending', undefined, { timeout: 10_000 });
    expect(other.requests.length).toBeGreaterThan(0);
    for (const headers of other.requests) {
      expect(JSON.stringify(headers)).not.toContain(web.token);
      expect(headers.cookie ?? '').not.toMatch(/kbench/);
    }
    // Nor can that page read it, or use the API from its origin.
    const seen = await visitor.evaluate(() => (window as unknown as { seen: { cookie: string; storage: string | null; socket: string } }).seen);
    expect(seen).toEqual({ cookie: '', storage: null, socket: 'refused' });
    expect(await context.cookies()).toEqual([]);
    await visitor.close();
  });

  it('refuses (401) a WebSocket client on another port that presents what the browser sent it', async () => {
    const replayed = other.requests.at(-1)!;
    const headers: Record<string, string> = {};
    for (const name of ['cookie', 'user-agent', 'accept-language']) if (typeof replayed[name] === 'string') headers[name] = replayed[name] as string;
    expect(await upgrade(`ws://127.0.0.1:${web.port}/api`, { headers })).toEqual({ outcome: 'refused', status: 401 });
  });

  it('keeps the token out of the address bar, and in this tab across a reload', async () => {
    expect(page.url()).toBe(`${web.origin}/#/doctor`);
    await page.reload();
    await page.getByTestId('check-krb5kdc').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('connection-banner').count()).toBe(0);
  });

  it('says the token no longer works when the page holds a stale one', async () => {
    const stale = await context.newPage();
    await stale.goto(`${web.origin}/?token=stale-token-from-an-earlier-start`);
    const banner = stale.getByTestId('connection-banner');
    await expect.poll(() => banner.textContent(), { timeout: 15_000 }).toContain("Cannot reach the bench engine with this page's access token");
    expect(stale.url()).toBe(`${web.origin}/#/start`);
    await stale.emulateMedia({ colorScheme: 'dark' });
    await stale.screenshot({ path: path.join(SCREENSHOTS, 'stale-token-dark.png') });
    await stale.close();
  });
});
