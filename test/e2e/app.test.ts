import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser';
import { startKbenchWeb, type RunningWeb } from '../helpers/web';

const SCREENSHOTS = path.resolve('test-results/screenshots');
const sh = (command: string): string => execFileSync('bash', ['-c', command], { encoding: 'utf8' }).trim();

describe('the app in web mode (Chromium)', () => {
  let web: RunningWeb;
  let browser: Browser;
  let page: Page;
  /** Console errors and page errors (CSP violations show up here): the app must produce none. */
  let problems: string[];
  /** A data directory of its own: the workspace (the route it reopens on) must not leak in or out. */
  let dataDir: string;

  beforeAll(async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'kbench-app-e2e-'));
    web = await startKbenchWeb(['--no-lab'], { ...process.env, KBENCH_DATA_DIR: dataDir });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await web?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
    page = await context.newPage();
    problems = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
  });

  /** Opens the app (on Start here the first time, where it was left after that), then the Doctor. */
  async function openDoctor(): Promise<void> {
    await page.goto(web.url);
    await page.locator('#main h1').waitFor();
    await page.getByTestId('nav-doctor').click();
    await page.getByTestId('check-krb5kdc').waitFor({ timeout: 30_000 });
    await page.getByTestId('doctor-run').filter({ hasText: 'Run again' }).waitFor({ timeout: 30_000 });
  }

  it('opens on Start here the first time, then shows the real doctor results for this machine', async () => {
    await page.goto(web.url);
    await page.waitForURL(/#\/start$/);
    expect(await page.locator('#main h1').textContent()).toBe('Start here');
    await openDoctor();
    // The token left the address bar (the page keeps it in this tab's sessionStorage).
    expect(page.url()).toBe(`${web.origin}/#/doctor`);
    await expect(page.getByTestId('runtime').textContent()).resolves.toBe('Web mode');

    const kdc = page.getByTestId('check-krb5kdc');
    expect(await kdc.getAttribute('data-ok')).toBe('true');
    expect(await kdc.getByTestId('check-detail').textContent()).toContain(sh('PATH=$PATH:/usr/sbin command -v krb5kdc'));
    const binding = page.getByTestId('check-kerberos-binding');
    expect(await binding.getAttribute('data-ok')).toBe('true');
    expect(await binding.getByTestId('check-detail').textContent()).toMatch(/kerberos 7\.\d+\.\d+ loads/);
    expect(await page.getByTestId('check-node').textContent()).toContain(sh('node -p process.versions.node'));
    // The realm first; Debian's sample ATHENA.MIT.EDU is followed by why it is a problem.
    expect((await page.getByTestId('check-default-realm').getByTestId('check-detail').textContent())!.split(':')[0]).toBe(
      sh("awk -F= '/^[[:space:]]*default_realm/{gsub(/[[:space:]]/,\"\",$2); print $2; exit}' /etc/krb5.conf"),
    );
    expect(await page.getByTestId('doctor-summary').textContent()).toMatch(/\d+\/\d+required checks pass/);

    await page.screenshot({ path: path.join(SCREENSHOTS, 'doctor-light.png') });
    expect(problems).toEqual([]);
  });

  it('filters to problems and re-runs with progress', async () => {
    await openDoctor();
    await page.getByTestId('only-problems').check();
    const rows = await page.locator('[data-testid^="check-"][data-ok]').evaluateAll((els) => els.map((e) => e.getAttribute('data-ok')));
    expect(rows.every((ok) => ok === 'false')).toBe(true);
    await page.getByTestId('only-problems').uncheck();
    await page.getByTestId('doctor-run').click();
    await page.getByTestId('doctor-run').filter({ hasText: 'Run again' }).waitFor();
    expect(await page.locator('[data-testid^="check-"][data-ok]').count()).toBeGreaterThanOrEqual(8);
    expect(problems).toEqual([]);
  });

  it('navigates by keyboard, and every view opens with its title', async () => {
    await openDoctor();
    await page.getByTestId('nav-export').focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('export-view').waitFor();
    expect(page.url()).toContain('#/export');
    expect(await page.locator('h1').textContent()).toBe('Export');

    // After navigating, focus moves into the view (its heading), as a screen reader user expects.
    const focused = () => page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? document.activeElement?.tagName);
    await expect.poll(focused).toBe('H1');

    // In the navigation, arrows, End and Home move between the links.
    await page.getByTestId('nav-captures').focus();
    await page.keyboard.press('ArrowDown');
    expect(await focused()).toBe('nav-export');
    await page.keyboard.press('Enter');
    await page.waitForURL(/#\/export$/);
    await page.getByTestId('nav-export').focus();
    await page.keyboard.press('End');
    expect(await focused()).toBe('nav-doctor');
    await page.keyboard.press('Enter');
    await page.waitForURL(/#\/doctor$/);
    await page.getByTestId('nav-doctor').focus();
    await page.keyboard.press('Home');
    expect(await focused()).toBe('nav-start');

    // Every view opens with its title.
    for (const [view, title] of [['export', 'Export'], ['start', 'Start here'], ['history', 'History'], ['lab', 'Lab realm'], ['broker', 'Broker'], ['probe', 'Probe'], ['sasl', 'SASL'], ['keytab', 'Keytab'], ['ccache', 'Credential cache'], ['decoder', 'Decoder'], ['diagnose', 'Diagnose'], ['captures', 'Captures']]) {
      await page.getByTestId(`nav-${view}`).click();
      await page.waitForURL(new RegExp(`#/${view}$`));
      await expect.poll(() => page.locator('h1').first().textContent()).toBe(title);
    }
    expect(problems).toEqual([]);
  });

  it('switches between light and dark themes and remembers the choice', async () => {
    await openDoctor();
    const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const theme = () => page.evaluate(() => document.documentElement.dataset.theme);
    expect(await theme()).toBe('light'); // "system" with the browser in light mode
    const light = await background();
    await page.emulateMedia({ colorScheme: 'dark' }); // the OS switches: "system" follows live
    await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark', undefined, { timeout: 5000 });
    await page.emulateMedia({ colorScheme: 'light' });
    await page.getByTestId('theme-toggle').click(); // system → light
    expect(await theme()).toBe('light');
    await page.getByTestId('theme-toggle').click(); // light → dark
    expect(await theme()).toBe('dark');
    expect(await background()).not.toBe(light);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'doctor-dark.png') });

    await page.reload();
    await page.getByTestId('check-krb5kdc').waitFor({ timeout: 30_000 });
    expect(await theme()).toBe('dark');
    expect(problems).toEqual([]);
  });

  it('says how to get in when opened without the token, and tries nothing', async () => {
    const sockets: string[] = [];
    page.on('websocket', (ws) => sockets.push(ws.url()));
    const response = await page.goto(`${web.origin}/`);
    expect(response?.status()).toBe(200);
    const banner = page.getByTestId('connection-banner');
    await banner.waitFor();
    expect(await banner.textContent()).toContain('This page needs its access token. Open the URL that kbench web printed');
    expect(sockets).toEqual([]);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'no-token.png') });
  });
});
