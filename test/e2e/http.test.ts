/**
 * The HTTP / SPNEGO view in Chromium against `kbench web` with a lab realm of its own: the empty
 * states, the Elasticsearch endpoint started from the view (lab SPN HTTP/localhost, a free port),
 * the Negotiate probe stepped against it — success, mutual authentication verified, the SPN
 * predictions shown as soon as the URL is typed — the request in the endpoint's list with the
 * path taken, a role mapping written in the JSON editor (a syntax error marked on its line first)
 * and a user tested against it with the rule trace; the state kept across a reload. Screenshots
 * of both themes go to test-results/screenshots/http-*.png.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLabWebSession, screenshotBothThemes, type LabWebSession } from '../helpers/lab-web';

describe('HTTP / SPNEGO view (Chromium, web mode, lab realm)', () => {
  let session: LabWebSession;
  let page: Page;
  let endpointUrl: string;

  beforeAll(async () => {
    session = await openLabWebSession('http', { lab: true });
    page = session.page;
  }, 120_000);
  afterAll(async () => {
    await session?.close();
  });

  const shots = (name: string) => screenshotBothThemes(page, `http-${name}`, () => page.evaluate(() => document.getElementById('main')?.scrollTo(0, 0)));
  const text = async (testid: string) => ((await page.getByTestId(testid).first().textContent()) ?? '').trim();
  const tab = async (id: 'endpoint' | 'mappings' | 'probe') => {
    await page.getByTestId(`http-tab-${id}`).click();
    expect(await page.getByTestId(`http-tab-${id}`).getAttribute('aria-selected')).toBe('true');
  };

  it('says what to do before anything runs', async () => {
    await page.goto(session.web.url);
    await page.getByTestId('nav-http').click();
    await page.waitForURL(/#\/http$/);
    await page.getByTestId('http-form').waitFor();
    expect(await text('http-empty')).toContain('Start endpoint');
    await shots('empty');
    // The tabs go by arrow keys.
    await page.getByTestId('http-tab-endpoint').focus();
    await page.keyboard.press('ArrowRight');
    expect(await page.getByTestId('http-tab-mappings').getAttribute('aria-selected')).toBe('true');
    await page.getByTestId('role-mapping-none').waitFor();
    await page.keyboard.press('ArrowRight');
    await page.getByTestId('negotiate-empty').waitFor();
    expect(await text('spn-empty')).toContain('Type a URL');
    expect(session.problems).toEqual([]);
  });

  it('starts the Elasticsearch endpoint from the view, with the curl command', async () => {
    await tab('endpoint');
    await page.getByTestId('http-mode-elasticsearch').check();
    await page.getByTestId('http-credentials-lab').check();
    // A free port: other tests on this machine may hold 9200.
    await page.getByTestId('http-port').fill('0');
    await page.getByTestId('http-start').click();
    await page.getByTestId('http-running').waitFor({ timeout: 60_000 });
    endpointUrl = await text('http-url');
    expect(endpointUrl).toMatch(/^http:\/\/localhost:\d+$/);
    expect(await text('http-spn-shown')).toBe('HTTP/localhost@BENCH.TEST');
    expect(await page.locator('[data-testid="http-curl"] [data-testid="command-text"]').textContent()).toBe(`curl --negotiate -u : ${endpointUrl}/_security/_authenticate`);
    expect(await page.locator('[data-testid="http-curl-lab"] [data-testid="command-text"]').textContent()).toMatch(/^KRB5_CONFIG=\S+ KRB5CCNAME=\S+ curl --negotiate/);
    expect(await text('http-no-requests')).toContain('No requests yet');
    // The console users' passwords stay hidden until revealed, and hide again.
    expect(await text('http-passwords')).toBe('hidden');
    await page.getByTestId('http-reveal').click();
    await page.getByTestId('http-passwords').first().filter({ hasText: 'admin' }).waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('http-passwords').allTextContents()).toEqual([expect.stringMatching(/^\s*admin \S{8,}/), expect.stringMatching(/^\s*viewer \S{8,}/)]);
    await page.getByRole('button', { name: 'Hide' }).click();
    expect(await text('http-passwords')).toBe('hidden');
    expect(session.problems).toEqual([]);
  });

  it('predicts the SPNs as the URL is typed, then probes step by step: success, mutual authentication verified', async () => {
    await tab('probe');
    await page.getByTestId('negotiate-url').fill(`${endpointUrl}/_security/_authenticate`);
    await page.getByTestId('negotiate-profile').selectOption('lab');
    await page.getByTestId('spn-table').waitFor({ timeout: 20_000 });
    const clients = await page.getByTestId('spn-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-client')));
    expect(clients).toEqual(expect.arrayContaining(['mit', 'java', 'chromium', 'firefox']));
    const mitSpn = (await page.locator('[data-testid="spn-row"][data-client="mit"] [data-testid="spn-value"]').textContent())!.trim();
    expect(mitSpn).toBe('HTTP/localhost');
    await page.locator('[data-testid="spn-row"][data-client="mit"] [data-testid="spn-kdc"]').filter({ hasText: 'yes' }).waitFor({ timeout: 20_000 });
    expect(await page.locator('[data-testid="spn-row"][data-client="mit"] [data-testid="spn-keytab"]').textContent()).toContain('yes');

    await page.getByTestId('negotiate-step').check();
    await page.getByTestId('negotiate-start').click();
    let sends = 0;
    for (;;) {
      await page.waitForFunction(
        () => {
          const state = document.querySelector('[data-testid="negotiate-state"]')?.textContent;
          const send = document.querySelector('[data-testid="negotiate-send"]');
          return (send && !(send.textContent ?? '').includes('Sending')) || state === 'done' || state === 'failed';
        },
        undefined,
        { timeout: 30_000 },
      );
      const state = await text('negotiate-state');
      if (state === 'done' || state === 'failed') break;
      expect(await text('negotiate-next-description')).not.toBe('');
      if (sends === 0) await shots('probe-step');
      // The keyboard sends too: n, with nothing typed into.
      if (sends === 1) {
        await page.locator('body').click({ position: { x: 5, y: 790 } });
        await page.keyboard.press('n');
      } else {
        await page.getByTestId('negotiate-send').click();
      }
      sends++;
      expect(sends).toBeLessThan(6);
      await page.waitForTimeout(150);
    }
    expect(await text('negotiate-state'), await text('negotiate-run')).toBe('done');
    expect(sends).toBeGreaterThanOrEqual(2); // the plain GET, then the one with the token
    expect(await page.getByTestId('negotiate-mutual').getAttribute('data-mutual')).toBe('verified');
    expect(await text('negotiate-status')).toBe('HTTP 200');
    expect(await page.getByTestId('http-hop').count()).toBeGreaterThanOrEqual(2);
    expect(await page.getByTestId('http-hop-decode').count()).toBeGreaterThanOrEqual(1);
    expect(await page.getByTestId('negotiate-failure').count()).toBe(0);
    await shots('probe-done');
    expect(session.problems).toEqual([]);
  });

  it('opens a token of the header conversation in the Decoder', async () => {
    await page.getByTestId('http-hop-decode').first().click();
    await page.waitForURL(/#\/decoder/);
    await page.getByText('Negotiate probe · hop', { exact: false }).first().waitFor({ timeout: 20_000 });
    await page.goBack();
    await page.getByTestId('http-view').waitFor();
  });

  it('lists the probe\'s requests at the endpoint with the path taken and the principal', async () => {
    await tab('endpoint');
    const kerberos = page.locator('[data-testid="http-request"][data-path="kerberos"]');
    await kerberos.first().waitFor({ timeout: 20_000 });
    expect(await kerberos.first().getByTestId('http-request-principal').textContent()).toBe('alice@BENCH.TEST');
    expect(await kerberos.first().getByTestId('http-request-line').textContent()).toBe('GET /_security/_authenticate');
    expect(await kerberos.first().getByTestId('http-request-status').textContent()).toBe('200');
    await kerberos.first().click();
    expect(await page.getByTestId('exchange-viewer').count()).toBe(1);
    expect(await text('http-selected-why')).not.toBe('');
    await shots('requests');
    expect(session.problems).toEqual([]);
  });

  it('writes a role mapping in the JSON editor: a syntax error is marked on its line, then it saves', async () => {
    await tab('mappings');
    await page.getByTestId('role-mapping-add').click();
    await page.getByTestId('role-mapping-name').fill('lab_users');
    const broken = '{\n  "enabled": true,\n  "roles": ["monitoring_user", "kibana_user"]\n  "rules": { "field": { "username": "*@BENCH.TEST" } }\n}';
    await page.getByTestId('role-mapping-json').fill(broken);
    const problem = page.getByTestId('role-mapping-problem').first();
    await problem.waitFor();
    expect(await problem.getAttribute('data-line')).toBe('4');
    expect(await page.getByTestId('role-mapping-save').isDisabled()).toBe(true);
    await shots('mapping-error');
    const good = broken.replace('"kibana_user"]\n', '"kibana_user"],\n');
    await page.getByTestId('role-mapping-json').fill(good);
    expect(await page.getByTestId('role-mapping-problem').count()).toBe(0);
    // Ctrl+Enter saves.
    await page.getByTestId('role-mapping-json').press('Control+Enter');
    await page.locator('[data-testid="role-mapping-row"][data-name="lab_users"]').waitFor({ timeout: 10_000 });
    expect(await page.locator('[data-testid="role-mapping-row"][data-name="lab_users"]').textContent()).toContain('monitoring_user, kibana_user');
  });

  it('tests a user against the mappings and shows the trace', async () => {
    await page.getByTestId('role-mapping-test-principal').fill('alice@BENCH.TEST');
    await page.getByTestId('role-mapping-test-run').click();
    await page.getByTestId('role-mapping-trace').first().waitFor({ timeout: 10_000 });
    expect(await text('role-mapping-test-username')).toBe('alice@BENCH.TEST');
    expect(await text('role-mapping-test-roles')).toContain('kibana_user');
    const evaluation = page.locator('[data-testid="role-mapping-evaluation"][data-name="lab_users"]');
    expect(await evaluation.getAttribute('data-matched')).toBe('true');
    const trace = evaluation.getByTestId('rule-trace').first();
    expect(await trace.getAttribute('data-matched')).toBe('true');
    expect(await trace.getByTestId('rule-why').first().textContent()).toMatch(/alice@BENCH\.TEST/);

    // Someone of another realm: no match, and the why says so.
    await page.getByTestId('role-mapping-test-principal').fill('bob@OTHER.TEST');
    await page.getByTestId('role-mapping-test-run').click();
    await page.locator('[data-testid="role-mapping-evaluation"][data-name="lab_users"][data-matched="false"]').waitFor({ timeout: 10_000 });
    expect(await page.locator('[data-testid="rule-trace"][data-matched="false"]').count()).toBeGreaterThanOrEqual(1);
    await page.getByTestId('role-mapping-test-principal').fill('alice@BENCH.TEST');
    await page.getByTestId('role-mapping-test-run').click();
    await page.locator('[data-testid="role-mapping-evaluation"][data-name="lab_users"][data-matched="true"]').waitFor({ timeout: 10_000 });
    await shots('mappings');
    expect(session.problems).toEqual([]);
  });

  it('sends a failed probe to Diagnose: an SPN the KDC does not know', async () => {
    await tab('probe');
    await page.getByTestId('negotiate-step').uncheck();
    await page.getByTestId('negotiate-spn').fill('HTTP/nosuch.bench.test');
    await page.getByTestId('negotiate-start').click();
    await page.getByTestId('negotiate-failure').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('negotiate-mutual').getAttribute('data-mutual')).not.toBe('verified');
    await shots('probe-failed');
    await page.getByTestId('negotiate-diagnose').click();
    await page.waitForURL(/#\/diagnose/);
    await page.goBack();
    await page.getByTestId('http-view').waitFor();
    await page.getByTestId('negotiate-spn').fill('');
    expect(session.problems).toEqual([]);
  });

  it('probes with a custom profile typed in (the lab realm\'s own files), the SPN table checked with them', async () => {
    await tab('probe');
    const lab = JSON.parse((await session.kbench(['lab', 'status', '--json'])).stdout) as { env: Record<string, string> };
    await page.getByTestId('negotiate-profile').selectOption('custom');
    await page.getByTestId('negotiate-krb5conf').fill(lab.env.KRB5_CONFIG!);
    await page.getByTestId('negotiate-ccache').fill(lab.env.KRB5CCNAME!);
    await page.locator('[data-testid="spn-row"][data-client="mit"] [data-testid="spn-kdc"]').filter({ hasText: 'yes' }).waitFor({ timeout: 20_000 });
    await page.getByTestId('negotiate-step').uncheck();
    await page.getByTestId('negotiate-start').click();
    // The last run (the failed one above) stays on screen until this one replaces it.
    await page.waitForFunction(
      () => {
        const run = document.querySelector('[data-testid="negotiate-run"]')?.textContent ?? '';
        const state = document.querySelector('[data-testid="negotiate-state"]')?.textContent?.trim() ?? '';
        return run.includes('custom') && ['done', 'failed'].includes(state);
      },
      undefined,
      { timeout: 30_000 },
    );
    expect(await text('negotiate-state'), await text('negotiate-run')).toBe('done');
    expect(await text('negotiate-run')).toContain('custom');
    expect(await page.getByTestId('negotiate-mutual').getAttribute('data-mutual')).toBe('verified');
    await page.getByTestId('negotiate-profile').selectOption('lab');
    expect(session.problems).toEqual([]);
  });

  it('keeps the tab, the probe form and the mappings across a reload', async () => {
    await tab('mappings');
    await page.waitForTimeout(700); // the workspace writes 400 ms after the last change
    await page.reload();
    await page.getByTestId('http-view').waitFor();
    expect(await page.getByTestId('http-tab-mappings').getAttribute('aria-selected')).toBe('true');
    await page.locator('[data-testid="role-mapping-row"][data-name="lab_users"]').waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('role-mapping-test-principal').inputValue()).toBe('alice@BENCH.TEST');
    await tab('probe');
    expect(await page.getByTestId('negotiate-url').inputValue()).toBe(`${endpointUrl}/_security/_authenticate`);
    await page.getByTestId('negotiate-run').waitFor({ timeout: 10_000 });
    await tab('endpoint');
    await page.getByTestId('http-running').waitFor();
    expect(session.problems).toEqual([]);
  });

  it('runs the web console in SSO mode and switches single sign-on off and on', async () => {
    await page.getByTestId('http-stop').click();
    await page.getByTestId('http-form').waitFor({ timeout: 20_000 });
    await page.getByTestId('http-mode-sso').check();
    await page.getByTestId('http-start').click();
    await page.getByTestId('http-sso').waitFor({ timeout: 60_000 });
    expect(await text('http-running-mode')).toBe('Web SSO');
    expect(await page.locator('[data-testid="http-curl"] [data-testid="command-text"]').textContent()).toMatch(/^curl --negotiate -u : http:\/\/localhost:\d+\/$/);
    const sso = page.getByTestId('http-sso-switch');
    expect(await sso.getAttribute('aria-checked')).toBe('true');
    await sso.focus();
    await page.keyboard.press('Space');
    await page.waitForFunction(() => document.querySelector('[data-testid="http-sso-switch"]')?.getAttribute('aria-checked') === 'false', undefined, { timeout: 10_000 });
    expect(await text('http-sso-state')).toBe('Kerberos single sign-on off');
    await shots('sso');
    await sso.click();
    await page.waitForFunction(() => document.querySelector('[data-testid="http-sso-switch"]')?.getAttribute('aria-checked') === 'true', undefined, { timeout: 10_000 });
    expect(session.problems).toEqual([]);
  });
});
