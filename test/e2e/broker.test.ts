/**
 * The Broker and Probe views in Chromium against `kbench web` with its own data directory and lab
 * realm: start the broker from the Broker view (TCP, TLS and WebSocket, the lab's credentials),
 * connect the probe to it in step mode one packet at a time, re-authenticate, publish a test
 * message, then find the connection in the broker's live list and open its AP-REQ, decrypted with
 * the service keytab. Failing probes (unknown service, a wrong port, a method the broker does not
 * offer) say why; the broker shows its refusals in red.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Exchange } from '../../main/exchange/model';
import { openLabWebSession, SCREENSHOTS, type LabWebSession } from '../helpers/lab-web';
import type { RunningWeb } from '../helpers/web';

describe('the Broker and Probe views (Chromium, web mode, lab realm)', () => {
  let dataDir: string;
  let web: RunningWeb;
  let page: Page;
  let urls: Record<'tcp' | 'tls' | 'ws', string>;
  let problems: string[];
  let session: LabWebSession;

  beforeAll(async () => {
    session = await openLabWebSession('broker', { lab: true });
    ({ dataDir, web, page, problems } = session);
  }, 120_000);

  afterAll(async () => {
    // Stopping web mode disposes the engine (and whatever it runs); the realm goes too.
    await session?.close();
  });

  const steps = () => page.getByTestId('exchange-step');
  const packets = () => steps().evaluateAll((els) => els.map((e) => e.getAttribute('data-packet')));
  const text = (testid: string) => page.getByTestId(testid).textContent();

  /** Waits for the probe to pause (returns the description) or to finish (returns null). */
  async function nextPause(): Promise<string | null> {
    await page.waitForFunction(
      () => {
        const state = document.querySelector('[data-testid="probe-state"]')?.textContent;
        const send = document.querySelector('[data-testid="probe-send"]');
        return (send && !(send.textContent ?? '').includes('Sending')) || state === 'connected' || state === 'failed';
      },
      undefined,
      { timeout: 30_000 },
    );
    const state = await text('probe-state');
    if (state === 'connected' || state === 'failed') return null;
    return text('probe-next-description');
  }

  /** Sends every pending packet until the probe is connected or failed; returns what was sent. */
  async function sendAll(): Promise<string[]> {
    const sent: string[] = [];
    for (let description = await nextPause(); description !== null; description = await nextPause()) {
      sent.push(description);
      expect(sent.length).toBeLessThan(8);
      await page.getByTestId('probe-send').click();
      await left(description);
    }
    return sent;
  }

  /** Waits for the failure panel's finding (from the diagnose service) to be this catalog entry. */
  async function findingIs(id: string): Promise<void> {
    await page.waitForFunction((i) => document.querySelector('[data-testid="probe-failure-finding"]')?.getAttribute('data-id') === i, id, { timeout: 15_000 });
  }

  /** Waits until the pause with this description is over (the packet went out). */
  async function left(description: string): Promise<void> {
    await page.waitForFunction((d) => document.querySelector('[data-testid="probe-next-description"]')?.textContent !== d, description, { timeout: 30_000 });
  }

  it('starts the broker from the Broker view on TCP, TLS and WebSocket with the lab\'s credentials', async () => {
    await page.goto(web.url);
    await page.getByTestId('nav-broker').click();
    await page.waitForURL(/#\/broker$/);
    await page.getByTestId('broker-form').waitFor();
    await page.getByTestId('broker-empty').waitFor();
    for (const p of ['tcp', 'tls', 'ws']) await page.getByTestId(`broker-${p}`).check();
    expect(await page.getByTestId('broker-credentials-lab').isChecked()).toBe(true);
    expect(await page.getByTestId('broker-variant').inputValue()).toBe('emqx');
    expect(await page.getByTestId('broker-anonymous').isChecked()).toBe(false);

    await page.getByTestId('broker-start').click();
    await page.getByTestId('broker-listeners').waitFor({ timeout: 60_000 });
    expect(await text('broker-state')).toBe('running');

    const listeners = page.getByTestId('broker-listener');
    expect(await listeners.evaluateAll((els) => els.map((e) => e.getAttribute('data-protocol')))).toEqual(['tcp', 'tls', 'ws']);
    const shown = await page.getByTestId('broker-listener-url').allTextContents();
    urls = { tcp: shown[0]!, tls: shown[1]!, ws: shown[2]! };
    expect(urls.tcp).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
    expect(urls.tls).toMatch(/^mqtts:\/\/127\.0\.0\.1:\d+$/);
    expect(urls.ws).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/mqtt$/);
    // A taken default port is said so, next to the port that was taken instead.
    for (const [i, url] of shown.entries()) {
      const defaultPort = [1883, 8883, 8083][i]!;
      const fellBack = listeners.nth(i).getByTestId('broker-fellback');
      if (new URL(url).port === String(defaultPort)) expect(await fellBack.count()).toBe(0);
      else expect(await fellBack.textContent()).toContain(`Port ${defaultPort} was taken`);
    }

    expect(await text('broker-method')).toBe('GSSAPI-KERBEROS');
    expect(await text('broker-principal-shown')).toBe('mqtt/localhost@BENCH.TEST');
    expect(await text('broker-keytab-shown')).toBe(path.join(dataDir, 'lab', 'BENCH.TEST', 'service.keytab'));
    expect(await text('broker-tls-cert')).toMatch(/broker-cert\.pem$/);
    // The probe command, ready to copy, for each listener (TLS with the certificate to trust).
    expect(await text('broker-probe-command')).toContain(`npx kbench probe ${urls.tcp} --service mqtt@localhost`);
    await page.getByTestId('broker-command-tls').click();
    expect(await text('broker-probe-command')).toMatch(new RegExp(`^npx kbench probe ${urls.tls} --service mqtt@localhost --ca .*broker-cert\\.pem`));
    await page.getByTestId('broker-command-tcp').click();
    await page.getByTestId('broker-no-connections').waitFor();
    expect(problems).toEqual([]);
  });

  it('connects the probe to the TCP listener in step mode, one packet at a time', async () => {
    await page.getByTestId('broker-open-probe').click();
    await page.waitForURL(/#\/probe$/);
    await page.getByTestId('probe-form').waitFor();
    // Aimed at the running broker: its TCP listener and its service name.
    await expect.poll(() => page.getByTestId('probe-url').inputValue()).toBe(urls.tcp);
    expect(await page.getByTestId('probe-service').inputValue()).toBe('mqtt@localhost');
    expect(await page.getByTestId('probe-profile').inputValue()).toBe('lab');
    expect(await page.getByTestId('probe-method').inputValue()).toBe('GSSAPI-KERBEROS');
    expect(await page.getByTestId('probe-ca').isDisabled()).toBe(true); // not a TLS URL
    await page.getByTestId('probe-step').check();
    await page.getByTestId('probe-connect').click();

    // 1: CONNECT with the AP-REQ — not sent yet, so not in the diagram; its size is.
    expect(await nextPause()).toMatch(/^CONNECT with the AP-REQ/);
    expect(await text('probe-state')).toBe('waiting');
    expect(await text('probe-next-size')).toMatch(/^CONNECT · Authentication Data \d{3,} bytes$/);
    expect(await steps().count()).toBe(0);
    expect(await text('exchange-pending')).toMatch(/^Next: CONNECT with the AP-REQ/);
    await page.evaluate(() => document.getElementById('main')?.scrollTo(0, 0));
    await page.screenshot({ path: path.join(SCREENSHOTS, 'probe-step.png') });

    // "n" sends it: the AP-REQ shows in the inspector; the broker answers with the AP-REP.
    await page.keyboard.press('n');
    await left('CONNECT with the AP-REQ (GSS initial context token) as Authentication Data');
    expect(await nextPause()).toBe('AUTH 0x18 with no data (the empty answer to the AP-REP)');
    expect(await packets()).toEqual(['CONNECT', 'AUTH']);
    await steps().nth(0).click();
    expect(await text('step-detail-kind')).toBe('GSS-API initial context token (AP-REQ)');
    expect(await steps().nth(1).getAttribute('data-kind')).toBe('GSS-API initial context token (AP-REP)');
    expect(await steps().nth(1).textContent()).toContain('reasonCode 0x18 Continue Authentication');

    // Enter sends too (focus away from any button).
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.keyboard.press('Enter');
    await left('AUTH 0x18 with no data (the empty answer to the AP-REP)');
    expect(await nextPause()).toBe('AUTH 0x18 with security-layer reply (wrapped)');
    expect(await packets()).toEqual(['CONNECT', 'AUTH', 'AUTH', 'AUTH']);
    expect(await steps().nth(3).getAttribute('data-kind')).toBe('security-layer offer (wrapped)');

    // The last one from the Send button: CONNACK 0x00 Success.
    await page.getByTestId('probe-send').click();
    await left('AUTH 0x18 with security-layer reply (wrapped)');
    expect(await nextPause()).toBeNull();
    expect(await text('probe-state')).toBe('connected');
    expect(await text('probe-connected')).toContain('0x00 Success');
    expect(await packets()).toEqual(['CONNECT', 'AUTH', 'AUTH', 'AUTH', 'AUTH', 'CONNACK']);
    // What was sent, with its bytes in the inspector.
    await steps().nth(4).click();
    expect(await text('step-detail-kind')).toBe('security-layer reply (wrapped)');
    expect(await page.getByTestId('step-detail').locator('[data-testid="hex-byte"]').count()).toBeGreaterThan(0);
    const verdict = page.getByTestId('exchange-verdict');
    expect(await verdict.getAttribute('data-outcome')).toBe('success');
    expect(await verdict.textContent()).toContain('0x00 Success');
    expect(await page.getByTestId('exchange-viewer').getAttribute('data-role')).toBe('client');
    expect(problems).toEqual([]);
  });

  it('re-authenticates step by step and publishes a test message with MQTT 5 properties', async () => {
    await page.getByTestId('probe-reauth').click();
    // Until the engine starts the re-authentication the probe still says "connected": wait for
    // it to leave that state, or a loaded machine finds nothing to send.
    await page.waitForFunction(() => document.querySelector('[data-testid="probe-state"]')?.textContent !== 'connected', undefined, { timeout: 30_000 });
    const sent = await sendAll();
    expect(sent).toEqual(['AUTH 0x19 (re-authenticate) with a fresh AP-REQ', 'AUTH 0x18 with no data (the empty answer to the AP-REP)', 'AUTH 0x18 with security-layer reply (wrapped)']);
    expect(await text('probe-state')).toBe('connected');
    // Two Exchanges now: the re-authentication is shown, the connect one a click away.
    expect(await page.getByTestId('probe-exchange-1').getAttribute('aria-checked')).toBe('true');
    expect(await packets()).toEqual(['AUTH', 'AUTH', 'AUTH', 'AUTH', 'AUTH', 'AUTH']);
    expect(await steps().nth(0).textContent()).toContain('0x19');
    expect(await steps().nth(5).textContent()).toContain('0x00 Success');
    expect(await page.getByTestId('exchange-verdict').getAttribute('data-outcome')).toBe('success');
    await page.getByTestId('probe-exchange-0').click();
    expect(await packets()).toEqual(['CONNECT', 'AUTH', 'AUTH', 'AUTH', 'AUTH', 'CONNACK']);
    await page.getByTestId('probe-exchange-1').click();

    await page.getByTestId('probe-publish').click();
    await page.getByTestId('probe-published').waitFor({ timeout: 15_000 });
    expect(await text('probe-published-topic')).toMatch(/^kbench\/probe\/[0-9a-f]+$/);
    expect(await text('probe-published-payload')).toBe('"hello from the Kerberos Bench probe"');
    const properties = page.getByTestId('probe-published-properties');
    expect(await properties.locator('[data-property="contentType"]').textContent()).toContain('text/plain');
    expect(await properties.locator('[data-property="userProperties"]').textContent()).toContain('{"from":"kbench"}');
    await page.evaluate(() => {
      document.getElementById('main')?.scrollTo(0, 0);
      document.querySelector('[data-testid="exchange-steps"]')?.scrollTo(0, 0);
    });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'probe.png') });
    expect(problems).toEqual([]);
  });

  it('lists the connection live in the Broker view and opens its AP-REQ with the service keytab', async () => {
    await page.getByTestId('nav-broker').click();
    await page.waitForURL(/#\/broker$/);
    const row = page.getByTestId('broker-connection').first();
    await row.waitFor();
    expect(await row.getAttribute('data-outcome')).toBe('success');
    expect(await row.getByTestId('conn-principal').textContent()).toContain('alice@BENCH.TEST');
    expect(await row.getByTestId('conn-outcome').textContent()).toBe('0x00 Success');
    expect(await row.getByTestId('conn-client').textContent()).toMatch(/^kbench-probe-/);
    expect(await row.textContent()).toContain('TCP');

    // Keyboard: the list takes focus, ArrowDown selects the newest connection.
    await page.getByTestId('broker-connection-list').focus();
    await page.keyboard.press('ArrowDown');
    expect(await row.getAttribute('aria-selected')).toBe('true');
    await page.getByTestId('exchange-viewer').waitFor();
    expect(await page.getByTestId('exchange-viewer').getAttribute('data-role')).toBe('server');
    expect((await packets()).slice(0, 6)).toEqual(['CONNECT', 'AUTH', 'AUTH', 'AUTH', 'AUTH', 'CONNACK']);
    expect(await page.getByTestId('exchange-principal').textContent()).toBe('alice@BENCH.TEST');

    // The AP-REQ in CONNECT, its ticket decrypted with the listener's keytab: cname alice.
    await steps().nth(0).click();
    const detail = page.getByTestId('step-detail');
    expect(await detail.getByTestId('step-detail-kind').textContent()).toBe('GSS-API initial context token (AP-REQ)');
    const ticketPart = detail.locator('[data-testid="tree-node"][data-name="EncTicketPart"]');
    await ticketPart.waitFor();
    expect(await ticketPart.textContent()).toContain('client alice@BENCH.TEST');
    const partId = (await ticketPart.getAttribute('data-id'))!;
    const cname = detail.locator(`[data-testid="tree-node"][data-name="cname"][data-id^="${partId}/"]`);
    expect(await cname.textContent()).toContain('alice');
    expect(await detail.getByTestId('learned-key').allTextContents()).toContain('session key of the ticket for mqtt/localhost@BENCH.TEST (client alice@BENCH.TEST)');

    // Export the selected connection's Exchange.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('broker-export').click()]);
    expect(download.suggestedFilename()).toMatch(/^broker-server-.*\.kbench-exchange\.json$/);
    const file = JSON.parse(await readFile((await download.path())!, 'utf8')) as { format: string; version: number; exchange: Exchange };
    expect(file.format).toBe('kbench-exchange');
    expect(file.exchange.source).toBe('broker');
    expect(file.exchange.identity?.principal).toBe('alice@BENCH.TEST');
    expect(file.exchange.steps[0]!.transport.packet).toBe('CONNECT');

    await page.evaluate(() => document.getElementById('main')?.scrollTo(0, 0));
    await page.screenshot({ path: path.join(SCREENSHOTS, 'broker.png') });
    expect(problems).toEqual([]);
  });

  it('connects over TLS trusting the broker\'s certificate, and over WebSocket', async () => {
    await page.getByTestId('nav-probe').click();
    await page.waitForURL(/#\/probe$/);
    await page.getByTestId('probe-disconnect').click();
    await page.getByTestId('probe-form').waitFor();
    await page.getByTestId('probe-step').uncheck();

    // One click on the local broker's TLS listener: its URL and its certificate as the CA.
    await page.getByTestId('probe-use-tls').click();
    expect(await page.getByTestId('probe-url').inputValue()).toBe(urls.tls);
    expect(await page.getByTestId('probe-ca').inputValue()).toMatch(/broker-cert\.pem$/);
    await page.getByTestId('probe-connect').click();
    await page.waitForFunction(() => ['connected', 'failed'].includes(document.querySelector('[data-testid="probe-state"]')?.textContent ?? ''), undefined, { timeout: 30_000 });
    expect(await text('probe-state'), (await page.getByTestId('probe-run').textContent()) ?? '').toBe('connected');
    expect(await text('probe-run-url')).toBe(urls.tls);
    await page.getByTestId('probe-disconnect').click();
    await page.getByTestId('probe-form').waitFor();

    await page.getByTestId('probe-use-ws').click();
    expect(await page.getByTestId('probe-url').inputValue()).toBe(urls.ws);
    expect(await page.getByTestId('probe-ca').isDisabled()).toBe(true);
    await page.getByTestId('probe-connect').click();
    await page.waitForFunction(() => ['connected', 'failed'].includes(document.querySelector('[data-testid="probe-state"]')?.textContent ?? ''), undefined, { timeout: 30_000 });
    expect(await text('probe-state'), (await page.getByTestId('probe-run').textContent()) ?? '').toBe('connected');
    expect(await page.getByTestId('exchange-verdict').getAttribute('data-outcome')).toBe('success');
    expect(problems).toEqual([]);
  });

  it('says clearly why a probe fails, and shows the broker\'s refusals in red', async () => {
    await page.getByTestId('nav-probe').click();
    await page.waitForURL(/#\/probe$/);
    await page.getByTestId('probe-disconnect').click();
    await page.getByTestId('probe-form').waitFor();
    expect(await text('probe-state')).toBe('closed');
    await page.getByTestId('probe-step').uncheck();

    // A service the KDC does not know: no ticket, nothing reaches the broker.
    await page.getByTestId('probe-service').fill('nosuch@localhost');
    await page.getByTestId('probe-connect').click();
    await page.getByTestId('probe-failure').waitFor({ timeout: 30_000 });
    expect(await text('probe-state')).toBe('failed');
    expect(await text('probe-failure-reason')).toMatch(/Server nosuch\/localhost@BENCH\.TEST not found in Kerberos database/);
    // Why, from the diagnose service: the name asked for, and what the lab realm has instead.
    await findingIs('server-unknown');
    expect(await text('probe-failure-cause')).toContain('The client asked the KDC for nosuch/localhost@BENCH.TEST (GSS name nosuch@localhost); BENCH.TEST has no principal for service "nosuch"');
    expect(await page.getByTestId('exchange-verdict').getAttribute('data-outcome')).toBe('failure');

    // No service given: mqtt@<host of the URL> — mqtt/127.0.0.1, which the lab does not have; it has mqtt/localhost.
    await page.getByTestId('probe-service').fill('');
    await page.getByTestId('probe-connect').click();
    await page.waitForFunction(() => /mqtt\/127\.0\.0\.1@BENCH\.TEST/.test(document.querySelector('[data-testid="probe-failure-reason"]')?.textContent ?? ''), undefined, { timeout: 30_000 });
    await findingIs('server-unknown');
    expect(await text('probe-failure-cause')).toBe('The client asked the KDC for mqtt/127.0.0.1@BENCH.TEST (GSS name mqtt@127.0.0.1); BENCH.TEST knows mqtt/localhost@BENCH.TEST for that service.');
    expect(await text('probe-failure-fix')).toContain('--service mqtt@localhost');
    expect(await page.getByTestId('exchange-diagnosis-top').getAttribute('data-id')).toBe('server-unknown');

    // A port nothing listens on.
    await page.getByTestId('probe-service').fill('mqtt@localhost');
    await page.getByTestId('probe-url').fill('mqtt://127.0.0.1:1');
    await page.getByTestId('probe-connect').click();
    await page.waitForFunction(() => /ECONNREFUSED/.test(document.querySelector('[data-testid="probe-failure-reason"]')?.textContent ?? ''), undefined, { timeout: 30_000 });
    await findingIs('broker-unreachable');
    expect(await text('probe-failure-local')).toBe(`The local broker listens on ${urls.tcp}, ${urls.tls}, ${urls.ws}.`);

    // A method this broker does not offer: it answers CONNACK 0x8C.
    await page.getByTestId('probe-use-tcp').click();
    expect(await page.getByTestId('probe-url').inputValue()).toBe(urls.tcp);
    await page.getByTestId('probe-method').selectOption('GSSAPI');
    await page.getByTestId('probe-connect').click();
    await page.waitForFunction(() => /0x8c/.test(document.querySelector('[data-testid="probe-failure-code"]')?.textContent ?? ''), undefined, { timeout: 30_000 });
    expect(await text('probe-failure-code')).toBe('0x8c Bad Authentication Method');
    await findingIs('mqtt-bad-auth-method');
    expect(await page.getByTestId('probe-failure-local').count()).toBe(0);
    await page.getByTestId('probe-method').selectOption('GSSAPI-KERBEROS');

    // The broker lists the refusal first, in red, with its cause in words.
    await page.getByTestId('nav-broker').click();
    const refused = page.getByTestId('broker-connection').first();
    await page.waitForFunction(() => document.querySelector('[data-testid="broker-connection"]')?.getAttribute('data-outcome') === 'failure', undefined, { timeout: 15_000 });
    expect(await refused.getByTestId('conn-outcome').textContent()).toBe('0x8c Bad Authentication Method');
    expect(await refused.getByTestId('conn-reason').textContent()).toContain('no authenticator for Authentication Method "GSSAPI"');
    const color = await refused.getByTestId('conn-reason').evaluate((el) => getComputedStyle(el).color);
    const bad = await page.evaluate(() => {
      const probe = document.createElement('span');
      probe.style.color = 'var(--bad)';
      document.body.append(probe);
      const value = getComputedStyle(probe).color;
      probe.remove();
      return value;
    });
    expect(color).toBe(bad);
    await refused.click();
    expect(await page.getByTestId('exchange-verdict').getAttribute('data-outcome')).toBe('failure');
    expect(await page.getByTestId('verdict-reason').textContent()).toContain('no authenticator for Authentication Method "GSSAPI"');
    expect(problems).toEqual([]);
  });

  it('looks right in the dark theme, and stops', async () => {
    // The successful connection selected, for the screenshot.
    await page.locator('[data-testid="broker-connection"][data-outcome="success"]').first().click();
    await steps().nth(0).click();
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark', undefined, { timeout: 5000 });
    await page.evaluate(() => document.getElementById('main')?.scrollTo(0, 0));
    await page.screenshot({ path: path.join(SCREENSHOTS, 'broker-dark.png') });

    await page.getByTestId('broker-stop').click();
    await page.getByTestId('broker-form').waitFor({ timeout: 30_000 });
    expect(await text('broker-state')).toBe('stopped');
    // The connections of the run stay readable after the stop.
    expect(await page.getByTestId('broker-connection').count()).toBeGreaterThanOrEqual(2);
    expect(problems).toEqual([]);
  });
});
