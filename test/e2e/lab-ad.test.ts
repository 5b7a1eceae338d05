/**
 * The Lab view's AD realm in Chromium against `kbench web` on the SHARED AD lab's data directory
 * (one Samba DC per machine: LDAP port 389 is fixed), so web mode finds the running DC instead of
 * provisioning its own: the picker shows AD.TEST running with its accounts; an account is added
 * with AES-only enctypes, disabled, given an SPN (found again over LDAP) and removed — each step
 * checked against the directory through the lab service. The picked realm survives a reload.
 * Screenshots: docs/screenshots/lab-ad.png and lab-ad-dark.png (1280×800).
 */
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AD_HOOK_TIMEOUT_MS, AD_SKIP_REASON, openAdLab, uniqueAccount, type AdLabHandle } from '../helpers/ad-lab';
import { launchChromium } from '../helpers/browser';
import { startKbenchWeb, type RunningWeb } from '../helpers/web';

const SHOTS = path.resolve('docs/screenshots');
const REALM = 'AD.TEST';

describe.skipIf(AD_SKIP_REASON)('the Lab view on the AD lab (Chromium, web mode, Samba AD DC)', () => {
  let ad: AdLabHandle;
  let web: RunningWeb;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const name = uniqueAccount('e2e');
  const firstSpn = `HTTP/${name}.ad.test`;
  const spn = `mqtt/${name}.ad.test`;

  const row = (account: string) => page.locator(`[data-testid="ad-account"][data-account="${account}"]`);
  const accountNow = async (account: string) => (await ad.lab.status({ kind: 'ad' })).ad?.accounts.find((a) => a.name === account);
  async function openAdRealm(): Promise<void> {
    await page.getByTestId('nav-lab').click();
    await page.getByTestId('lab-pick-ad').click();
    await page.getByTestId('ad-accounts').waitFor({ timeout: 20_000 });
  }

  beforeAll(async () => {
    ad = await openAdLab();
    // --no-lab: web mode must not make an MIT realm in the shared AD directory; the DC already runs.
    web = await startKbenchWeb(['--no-lab'], { ...process.env, KBENCH_DATA_DIR: ad.dataDir });
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
    page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
  }, AD_HOOK_TIMEOUT_MS);

  afterAll(async () => {
    try {
      if (ad && (await accountNow(name))) await ad.lab.removeAccount({ kind: 'ad', name });
    } finally {
      await browser?.close();
      await web?.stop();
      await ad?.close();
    }
  }, 60_000);

  it('shows the AD realm running with its kind, status line and accounts; the pick survives a reload', async () => {
    await page.goto(web.url);
    await openAdRealm();
    expect(await page.getByTestId('ad-state').textContent()).toBe('running');
    expect(await page.getByTestId('ad-realm').getByTestId('ad-kind').textContent()).toBe('Samba AD DC');
    expect(await page.getByTestId('lab-kind-mit').textContent()).toBe('MIT krb5kdc');
    expect(await page.getByTestId('ad-kdc').textContent()).toBe(ad.status.kdc);
    expect(await page.getByTestId('ad-pid').textContent()).toContain(`pid ${ad.status.pid}`);
    expect(await page.getByTestId('ad-ldap').textContent()).toBe('ldap://127.0.0.1:389');
    expect(await page.getByTestId('ad-kpasswd').textContent()).toBe(ad.status.ad?.kpasswd);
    const names = await page.getByTestId('ad-account').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-account')));
    expect(names).toEqual(expect.arrayContaining(['alice', 'svc-mqtt', 'svc-http', 'svc-hz']));
    expect(await row('svc-mqtt').getByTestId('ad-spn').first().getAttribute('data-spn')).toBe('mqtt/localhost');
    expect(await row('svc-mqtt').getByTestId('ad-enctypes').inputValue()).toBe('both');
    expect(await row('svc-mqtt').getByTestId('ad-salt').textContent()).toBe(`${REALM}svc-mqtt`);

    await page.reload();
    await page.getByTestId('ad-accounts').waitFor({ timeout: 20_000 });
    expect(await page.getByTestId('lab-pick-ad').getAttribute('aria-selected')).toBe('true');
    expect(problems).toEqual([]);
  });

  it('adds a service account with AES-only enctypes, reveals its password and disables it', async () => {
    await page.getByTestId('ad-add-service').check();
    await page.getByTestId('ad-add-name').fill(name);
    await page.getByTestId('ad-add-spns').fill(firstSpn);
    await page.getByTestId('ad-add-enctypes').selectOption('aes');
    await page.getByTestId('ad-add-submit').click();
    await row(name).waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('ad-add-result').textContent()).toContain(`${name} added`);
    expect(await row(name).getByTestId('ad-enctypes').inputValue()).toBe('aes');
    expect(await row(name).getByTestId('ad-kind').textContent()).toBe('service');
    const added = await accountNow(name);
    expect(added).toMatchObject({ kind: 'service', spns: [firstSpn], enctypes: 'aes', supportedEncryptionTypes: 24, enabled: true, inServiceKeytab: true });

    // The password stays hidden until revealed, and is the one the lab keeps.
    await row(name).getByTestId('ad-password-open').click();
    expect(await page.getByTestId('ad-password').textContent()).toBe('hidden');
    await page.getByTestId('ad-reveal').click();
    await page.locator('code[data-testid="ad-password"]').waitFor();
    const shown = (await page.getByTestId('ad-password').textContent())!.trim();
    expect(shown).toBe((await ad.lab.revealPassword({ kind: 'ad', name })).password);
    await page.keyboard.press('Escape');
    await page.getByTestId('ad-panel').waitFor({ state: 'detached' });

    await row(name).getByTestId('ad-flag-enabled').click();
    await page.waitForFunction((n) => (document.querySelector(`[data-account="${n}"] [data-testid="ad-flag-enabled"]`) as HTMLInputElement | null)?.checked === false, name, { timeout: 20_000 });
    expect(await page.getByTestId('ad-result-text').textContent()).toContain(`${name} is disabled`);
    expect((await accountNow(name))?.enabled).toBe(false);
    expect(problems).toEqual([]);
  });

  it('adds an SPN and finds its holder over LDAP', async () => {
    await row(name).getByTestId('ad-spn-open').click();
    await page.getByTestId('ad-spn-input').fill(spn);
    expect(await page.getByTestId('ad-spn-force').isChecked()).toBe(false);
    await page.getByTestId('ad-spn-add').click();
    await row(name).locator(`[data-testid="ad-spn"][data-spn="${spn}"]`).waitFor({ timeout: 20_000 });
    expect((await accountNow(name))?.spns.sort()).toEqual([firstSpn, spn].sort());

    await row(name).locator(`[data-spn="${spn}"]`).getByTestId('ad-spn-find').click();
    await page.getByTestId('ad-result-text').getByText('one account holds it').waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('ad-result').textContent()).toContain(`${name} — CN=${name},`);

    // The state worth a picture: the new account disabled, AES only, with its SPN and the LDAP answer.
    await page.evaluate(() => document.getElementById('main')?.scrollTo(0, 0));
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.waitForFunction((s) => document.documentElement.dataset.theme === s, scheme);
      await row(name).scrollIntoViewIfNeeded();
      await page.screenshot({ path: path.join(SHOTS, scheme === 'light' ? 'lab-ad.png' : 'lab-ad-dark.png') });
    }
    await page.emulateMedia({ colorScheme: 'light' });
    expect(problems).toEqual([]);
  });

  it('removes the account after asking', async () => {
    await row(name).getByTestId('ad-remove').click();
    await page.getByTestId('ad-remove-go').waitFor();
    expect(await accountNow(name)).toBeDefined();
    await page.getByTestId('ad-remove-go').click();
    await row(name).waitFor({ state: 'detached', timeout: 20_000 });
    expect(await page.getByTestId('ad-result').textContent()).toContain(`${name} removed`);
    expect(await accountNow(name)).toBeUndefined();
    expect(await ad.lab.findSpn({ kind: 'ad', spn })).toEqual([]);
    expect(problems).toEqual([]);
  });
});
