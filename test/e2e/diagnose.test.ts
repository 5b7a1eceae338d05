/**
 * The Diagnose view in Chromium against `kbench web` with its own data directory and lab realm:
 * a real MIT error (kinit with a wrong password against the session's lab) pasted and diagnosed,
 * a Java wording, "check my setup" on the lab, a finding reproduced in the lab, a scenario run
 * from the list, a failed probe Exchange sent here from the Probe view, and the catalog search.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProgram } from '../helpers/cli';
import { openLabWebSession, SCREENSHOTS, type LabWebSession } from '../helpers/lab-web';
import type { RunningWeb } from '../helpers/web';

describe('the Diagnose view (Chromium, web mode, lab realm)', () => {
  let root: string;
  let dataDir: string;
  let web: RunningWeb;
  let page: Page;
  let problems: string[];
  let session: LabWebSession;

  beforeAll(async () => {
    session = await openLabWebSession('diagnose', { lab: true });
    ({ root, dataDir, web, page, problems } = session);
    await session.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: web.origin });
  }, 120_000);

  afterAll(async () => {
    // Stopping web mode disposes the engine (the broker too); the realm goes with the session.
    await session?.close();
  });

  const text = (testid: string) => page.getByTestId(testid).textContent();
  const findingIds = () => page.getByTestId('finding').evaluateAll((els) => els.map((e) => e.getAttribute('data-id')));
  const top = () => page.getByTestId('finding').first();

  async function openDiagnose(): Promise<void> {
    await page.getByTestId('nav-diagnose').click();
    await page.waitForURL(/#\/diagnose$/);
    await page.getByTestId('diagnose-view').waitFor();
  }

  /** Pastes text into the Diagnose panel and diagnoses it (Ctrl+Enter), waiting for the new findings. */
  async function diagnoseText(message: string): Promise<void> {
    await page.getByTestId('diagnose-tab-diagnose').click();
    await page.getByTestId('diagnose-mode-paste').click();
    const before = await page.evaluate(() => document.querySelector('[data-testid="diagnose-results"]')?.getAttribute('data-seq') ?? '');
    await page.getByTestId('diagnose-message').fill(message);
    await page.getByTestId('diagnose-message').press('Control+Enter');
    await page.waitForFunction((seq) => {
      const seen = document.querySelector('[data-testid="diagnose-results"]')?.getAttribute('data-seq');
      return seen && seen !== seq;
    }, before, { timeout: 30_000 });
  }

  it('diagnoses a real MIT kinit error: preauth-failed first, with a command to copy', async () => {
    // The message comes from a real run: alice requires pre-authentication; kinit with a wrong password.
    const flags = await session.kbench(['lab', 'principal', 'flags', 'alice', '--requires-preauth']);
    expect(flags.code, flags.stderr).toBe(0);
    const env = { ...process.env, KRB5_CONFIG: path.join(dataDir, 'lab', 'BENCH.TEST', 'krb5.conf'), KRB5CCNAME: `FILE:${path.join(root, 'wrong.ccache')}` };
    const kinit = await runProgram('kinit', ['alice'], env, 'certainly-not-alices-password\n');
    expect(kinit.code).not.toBe(0);
    const message = kinit.stderr.trim();
    expect(message).toMatch(/^kinit: /);

    await page.goto(web.url);
    await openDiagnose();
    await page.getByTestId('diagnose-empty').waitFor();
    // The textarea has the focus on arrival: paste and go.
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('diagnose-message');
    await diagnoseText(message);

    expect((await findingIds())[0]).toBe('preauth-failed');
    expect(await text('diagnose-summary')).toMatch(/^Most likely: /);
    expect(await top().getByTestId('finding-toggle').getAttribute('aria-expanded')).toBe('true');
    expect(await top().getByTestId('finding-confidence').textContent()).toMatch(/^\d+ %$/);
    expect((await top().getByTestId('finding-cause').textContent())!.length).toBeGreaterThan(10);
    // The evidence quotes the pasted line.
    const quoted = await top().getByTestId('evidence-text').allTextContents();
    expect(quoted.some((q) => message.includes(q.replace(/…$/, '')) || q.includes(message.replace(/^kinit: /, '')))).toBe(true);

    // The fix carries a command; Copy puts exactly it on the clipboard.
    const command = top().getByTestId('command').first();
    const commandText = (await command.getByTestId('command-text').textContent())!;
    expect(commandText.trim().length).toBeGreaterThan(3);
    await command.getByTestId('command-copy').click();
    await expect.poll(() => command.getByTestId('command-copy').getAttribute('data-state')).toBe('copied');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(commandText);

    await page.evaluate(() => document.getElementById('main')?.scrollTo(0, 0));
    await top().scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'diagnose.png') });
    expect(problems).toEqual([]);
  });

  it('knows the Java wording of an unknown client', async () => {
    await diagnoseText('javax.security.auth.login.LoginException: Client not found in Kerberos database (6)');
    expect((await findingIds())[0]).toBe('client-unknown');
    expect(await top().getByTestId('evidence-text').first().textContent()).toContain('Client not found in Kerberos database');
    expect(problems).toEqual([]);
  });

  it('finds no problem in the lab setup for mqtt/localhost@BENCH.TEST', async () => {
    await page.getByTestId('diagnose-mode-setup').click();
    expect(await page.getByTestId('diagnose-setup-profile').inputValue()).toBe('lab');
    await page.getByTestId('diagnose-setup-principal').fill('mqtt/localhost@BENCH.TEST');
    await page.getByTestId('diagnose-check').click();
    await page.getByTestId('diagnose-results').waitFor({ timeout: 60_000 });
    const shown = await page.getByTestId('finding').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-id')}: ${e.textContent}`));
    expect(shown, 'findings for a healthy lab').toEqual([]);
    await page.getByTestId('diagnose-no-problems').waitFor();
    expect(await page.getByTestId('diagnose-no-problems').textContent()).toContain('No problems found');
    expect((await text('diagnose-summary'))!.length).toBeGreaterThan(5);
    // Each way in keeps its own result: back to the pasted Java message.
    await page.getByTestId('diagnose-mode-paste').click();
    expect((await findingIds())[0]).toBe('client-unknown');
    expect(problems).toEqual([]);
  });

  it('shows every setup check with what it measured, passing ones too, and forgets them when the profile changes', async () => {
    await page.getByTestId('diagnose-mode-setup').click();
    // The result of the check above is still there for this profile.
    const card = page.getByTestId('setup-checks');
    await card.waitFor();
    expect(Number(await card.getAttribute('data-failed'))).toBe(0);
    expect(Number(await card.getAttribute('data-count'))).toBeGreaterThanOrEqual(15);
    const measure = async (check: string, label: string) => {
      const row = page.locator(`[data-testid="setup-check"][data-id^="${check}"]`).first();
      expect(await row.getAttribute('data-ok'), check).toBe('true');
      return row.locator(`[data-testid="setup-measure"][data-label="${label}"] [data-testid="setup-measure-value"]`).first().textContent();
    };
    expect(await measure('kdc-udp:', 'round trip')).toMatch(/^\d+(\.\d+)? ms$/);
    expect(await measure('kdc-tcp:', 'round trip')).toMatch(/^\d+(\.\d+)? ms$/);
    expect(await measure('clock-skew', 'skew')).toMatch(/^-?\d+(\.\d)? s$/);
    expect(await measure('clock-skew', 'limit')).toBe('300 s');
    expect(await measure('keytab-kvno', 'kvno at the KDC')).toBe('2');
    expect(await measure('keytab-kvno', 'kvno in the keytab')).toBe('2');
    expect(await measure('keytab-enctypes', 'keytab enctypes')).toContain('aes256-cts-hmac-sha1-96');
    // The titles are the engine's, in words.
    expect(await page.locator('[data-testid="setup-check"][data-id^="kdc-udp:"] .check-title').textContent()).toMatch(/^KDC round trip over UDP \(127\.0\.0\.1:\d+\)$/);
    // A passing check's verdict line is a click away.
    const kvno = page.locator('[data-testid="setup-check"][data-id="keytab-kvno"]');
    expect(await kvno.getByTestId('setup-check-detail').count()).toBe(0);
    await kvno.locator('.check-title').click();
    expect(await kvno.getByTestId('setup-check-detail').textContent()).toMatch(/KDC kvno 2; keytab .* has kvno 2/);
    await page.evaluate(() => document.getElementById('main')?.scrollTo(0, 0));
    await page.screenshot({ path: path.join(SCREENSHOTS, 'diagnose-setup.png'), fullPage: true });

    // Another profile: what was measured for the lab is not shown for it.
    await page.getByTestId('diagnose-setup-profile').selectOption('system');
    await card.waitFor({ state: 'detached' });
    expect(await page.getByTestId('diagnose-results').count()).toBe(0);
    expect(await page.getByTestId('diagnose-empty').count()).toBe(1);
    await page.getByTestId('diagnose-setup-profile').selectOption('lab');
    expect(await page.getByTestId('setup-checks').count()).toBe(0);
    expect(problems).toEqual([]);
  });

  it('reproduces a finding in the lab: wrong password → preauth-failed ✓ with the captured error', async () => {
    const flags = await session.kbench(['lab', 'principal', 'flags', 'alice', '--requires-preauth']);
    expect(flags.code, flags.stderr).toBe(0);
    const env = { ...process.env, KRB5_CONFIG: path.join(dataDir, 'lab', 'BENCH.TEST', 'krb5.conf'), KRB5CCNAME: `FILE:${path.join(root, 'wrong2.ccache')}` };
    const kinit = await runProgram('kinit', ['alice'], env, 'still-not-alices-password\n');
    await diagnoseText(kinit.stderr.trim());
    expect((await findingIds())[0]).toBe('preauth-failed');

    const reproduce = top().getByTestId('finding-reproduce');
    expect(await reproduce.textContent()).toContain('Reproduce in the lab');
    await reproduce.click();
    const outcome = top().getByTestId('scenario-outcome');
    await outcome.waitFor();
    await page.waitForFunction(
      () => document.querySelector('[data-testid="finding"] [data-testid="scenario-outcome"]')?.getAttribute('data-state') !== 'running',
      undefined,
      { timeout: 90_000 },
    );
    expect(await outcome.getAttribute('data-state'), (await outcome.textContent()) ?? '').toBe('passed');
    expect(await outcome.getByTestId('scenario-mark').textContent()).toBe('✓');
    // MIT's own words for KDC_ERR_PREAUTH_FAILED on a password login.
    expect(await outcome.getByTestId('scenario-error-text').textContent()).toMatch(/Password incorrect|pre-?authentication failed/i);
    expect(await outcome.getByTestId('scenario-top-finding').getAttribute('data-id')).toBe('preauth-failed');
    expect(problems).toEqual([]);
  }, 120_000);

  it('runs a scenario from the list: unknown-client ✓', async () => {
    await page.getByTestId('diagnose-tab-scenarios').click();
    const row = page.locator('[data-testid="scenario-row"][data-id="unknown-client"]');
    await row.waitFor();
    expect(await page.getByTestId('scenario-row').count()).toBeGreaterThanOrEqual(12);
    // The AD lab's scenarios are listed, and run apart from "Run all" (they start a Samba DC).
    expect(await page.locator('[data-testid="scenario-row"][data-id="ad-duplicate-spn"]').count()).toBe(1);
    expect(await page.getByTestId('scenarios-run-ad').textContent()).toContain('Run AD scenarios');
    await row.getByTestId('scenario-run').click();
    await page.waitForFunction(
      () => {
        const state = document.querySelector('[data-testid="scenario-row"][data-id="unknown-client"]')?.getAttribute('data-state');
        return state === 'passed' || state === 'failed';
      },
      undefined,
      { timeout: 90_000 },
    );
    expect(await row.getAttribute('data-state'), (await row.textContent()) ?? '').toBe('passed');
    expect(await row.getByTestId('scenario-row-mark').textContent()).toBe('✓');
    expect(await row.getByTestId('scenario-error-text').textContent()).toMatch(/not found in Kerberos database/i);
    expect(await row.getByTestId('scenario-elapsed').textContent()).toMatch(/^\d+\.\d s$/);
    await page.evaluate(() => document.getElementById('main')?.scrollTo(0, 0));
    await page.screenshot({ path: path.join(SCREENSHOTS, 'diagnose-scenarios.png') });
    expect(problems).toEqual([]);
  }, 120_000);

  it('takes a failed probe Exchange from the Probe view: Diagnose → server-unknown', async () => {
    // The broker, from the Broker view (TCP only), as the broker e2e starts it.
    await page.getByTestId('nav-broker').click();
    await page.waitForURL(/#\/broker$/);
    await page.getByTestId('broker-form').waitFor();
    await page.getByTestId('broker-tcp').check();
    await page.getByTestId('broker-tls').uncheck();
    await page.getByTestId('broker-ws').uncheck();
    await page.getByTestId('broker-start').click();
    await page.getByTestId('broker-listeners').waitFor({ timeout: 60_000 });

    // A probe for a service the KDC does not know: it fails before anything reaches the broker.
    await page.getByTestId('broker-open-probe').click();
    await page.waitForURL(/#\/probe$/);
    await page.getByTestId('probe-form').waitFor();
    await expect.poll(() => page.getByTestId('probe-url').inputValue()).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
    await page.getByTestId('probe-step').uncheck();
    await page.getByTestId('probe-service').fill('nosuch@localhost');
    await page.getByTestId('probe-connect').click();
    await page.getByTestId('probe-failure').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('exchange-verdict').getAttribute('data-outcome')).toBe('failure');

    // The failed Exchange is diagnosed in the background: its top finding next to the button.
    const inline = page.getByTestId('exchange-diagnosis-top');
    await inline.waitFor({ timeout: 30_000 });
    expect(await inline.getAttribute('data-id')).toBe('server-unknown');
    expect((await inline.textContent())!.trim()).toMatch(/^Likely: /);
    await inline.scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'probe-diagnosis.png') });

    await page.getByTestId('exchange-diagnose').click();
    await page.waitForURL(/#\/diagnose$/);
    const picked = page.getByTestId('diagnose-picked');
    await picked.waitFor();
    expect(await picked.getAttribute('data-source')).toBe('probe');
    expect(await page.getByTestId('diagnose-mode-exchange').getAttribute('aria-selected')).toBe('true');
    expect(await text('diagnose-picked-verdict')).toContain('nosuch/localhost@BENCH.TEST');
    await page.getByTestId('diagnose-results').waitFor({ timeout: 30_000 });
    expect((await findingIds())[0]).toBe('server-unknown');
    // The same Exchange is in the list of failed ones, picked.
    const option = page.locator('[data-testid="diagnose-exchange-option"][data-source="probe"]').first();
    expect(await option.getAttribute('aria-pressed')).toBe('true');
    // Its steps are a click away, without a Diagnose link of their own.
    await page.getByTestId('diagnose-picked-toggle').click();
    await page.getByTestId('exchange-viewer').waitFor();
    expect(await page.getByTestId('exchange-diagnose').count()).toBe(0);
    expect(problems).toEqual([]);
  }, 120_000);

  it('searches the catalog: "skew" lists the clock-skew entry', async () => {
    await page.getByTestId('diagnose-tab-catalog').click();
    await page.getByTestId('catalog-list').waitFor();
    const all = await page.getByTestId('catalog-entry').count();
    expect(all).toBeGreaterThanOrEqual(12);
    // The search box has the focus when the panel opens.
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('catalog-search');
    await page.keyboard.type('skew');
    const entry = page.locator('[data-testid="catalog-entry"][data-id="clock-skew"]');
    await entry.waitFor();
    expect(await page.getByTestId('catalog-entry').count()).toBeLessThan(all);
    expect(await text('catalog-count')).toMatch(/^\d+ of \d+ entries$/);
    await entry.getByTestId('catalog-entry-toggle').click();
    expect((await entry.getByTestId('catalog-explanation').textContent())!.length).toBeGreaterThan(20);
    expect(await entry.getByTestId('catalog-fix').count()).toBeGreaterThan(0);
    expect(await entry.getByTestId('catalog-reproduce').count()).toBe(1);
    await entry.scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'diagnose-catalog.png') });

    await page.getByTestId('catalog-search').fill('no such words anywhere');
    await page.getByTestId('catalog-none').waitFor();
    await page.getByTestId('catalog-search').fill('');
    expect(problems).toEqual([]);
  });

  it('looks right in the dark theme', async () => {
    await page.getByTestId('diagnose-tab-diagnose').click();
    await page.getByTestId('diagnose-mode-paste').click();
    await page.getByTestId('finding').first().waitFor();
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark', undefined, { timeout: 5000 });
    await page.evaluate(() => document.getElementById('main')?.scrollTo(0, 0));
    await top().scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'diagnose-dark.png') });
    expect(problems).toEqual([]);
  });
});
