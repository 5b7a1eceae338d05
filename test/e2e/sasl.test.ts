/**
 * The SASL view in Chromium against `kbench web` with its own data directory and lab realm:
 * step a Cyrus-offer run one message at a time and watch each token appear (AP-REQ, AP-REP, the
 * empty response, the wrapped offer and reply), open the ticket's EncTicketPart in the field tree
 * and its bytes in the hex dump, read MIT's trace, switch to the client's view, send application
 * messages through the integrity layer, export the Exchange and decode it again as a transcript.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Exchange } from '../../main/exchange/model';
import { openLabWebSession, SCREENSHOTS, type LabWebSession } from '../helpers/lab-web';
import type { RunningWeb } from '../helpers/web';

const KINDS = [
  'GSS-API initial context token (AP-REQ)',
  'GSS-API initial context token (AP-REP)',
  'empty',
  'security-layer offer (wrapped)',
  'security-layer reply (wrapped)',
];

describe('the SASL view (Chromium, web mode, lab realm)', () => {
  let web: RunningWeb;
  let page: Page;
  let serviceKeytab: string;
  let exported: Exchange;
  let problems: string[];
  let session: LabWebSession;
  const kbench = (args: string[]) => session.kbench(args);

  beforeAll(async () => {
    session = await openLabWebSession('sasl', { lab: true });
    ({ web, page, problems } = session);
    const status = await kbench(['lab', 'status', '--json']);
    expect(status.code, status.stderr).toBe(0);
    serviceKeytab = (JSON.parse(status.stdout) as { keytabs: { service: string } }).keytabs.service;
  }, 120_000);

  afterAll(async () => {
    // Stopping web mode disposes the engine (and whatever it runs); the realm goes too.
    await session?.close();
  });

  const steps = () => page.getByTestId('exchange-step');
  const kinds = () => steps().evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')));
  const count = (role: 'client' | 'server') => page.getByTestId(`sasl-role-${role}`).locator('.count').textContent();
  /** Waits until both sides' Exchanges hold these many steps (the step call came back). */
  async function waitForCounts(client: number, server: number): Promise<void> {
    await page.waitForFunction(
      ([c, s]) =>
        document.querySelector('[data-testid="sasl-role-client"] .count')?.textContent === String(c) &&
        document.querySelector('[data-testid="sasl-role-server"] .count')?.textContent === String(s) &&
        !(document.querySelector('[data-testid="sasl-step"]')?.textContent ?? '').includes('Stepping'),
      [client, server] as const,
      { timeout: 30_000 },
    );
  }

  it('steps a Cyrus-offer run one message at a time, in the server\'s view', async () => {
    await page.goto(web.url);
    await page.getByTestId('nav-sasl').click();
    await page.waitForURL(/#\/sasl$/);
    const empty = page.getByTestId('empty-state');
    await empty.waitFor();
    expect(await empty.textContent()).toContain('Lab view');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'sasl-empty.png') });
    expect(await page.getByTestId('sasl-lab-link').getAttribute('href')).toBe('#/lab');
    expect(await page.getByTestId('sasl-service').inputValue()).toBe('mqtt@localhost');
    expect(await page.getByTestId('sasl-profile').inputValue()).toBe('lab');

    await page.getByTestId('sasl-offer').selectOption('cyrus');
    await page.getByTestId('sasl-layer').selectOption('integrity');
    await page.getByTestId('sasl-authzid').fill('alice');
    await page.getByTestId('sasl-start').click();
    await page.getByTestId('sasl-run').waitFor();
    expect(await page.getByTestId('sasl-state').textContent()).toBe('ready');
    expect(await page.getByTestId('sasl-next').textContent()).toMatch(/initial response/);
    expect(await page.getByTestId('exchange-viewer').getAttribute('data-role')).toBe('server');
    expect(await page.getByTestId('exchange-pending').textContent()).toMatch(/Next: the client starts/);
    expect(await steps().count()).toBe(0);

    // 1: the client builds its AP-REQ — in flight, so the server's view has nothing yet.
    await page.getByTestId('sasl-step').click();
    await waitForCounts(1, 0);
    expect(await page.getByTestId('sasl-state').textContent()).toBe('running');
    expect(await page.getByTestId('sasl-note').textContent()).toMatch(/nothing new in this view yet — the client's view has 1 new step/);
    expect(await page.getByTestId('sasl-next').textContent()).toMatch(/the server takes the client's message/);

    // 2: the server takes it and answers with the AP-REP ("n" steps, focus on the Step button).
    await page.keyboard.press('n');
    await waitForCounts(1, 2);
    expect(await kinds()).toEqual(KINDS.slice(0, 2));
    // The first new step is selected.
    expect(await page.getByTestId('step-detail').getAttribute('data-index')).toBe('0');

    // 3: the client takes the AP-REP and answers with an empty response; 4: the server takes it and
    // sends the wrapped offer (Ctrl+Enter steps too).
    await page.keyboard.press('n');
    await waitForCounts(3, 2);
    await page.keyboard.press('Control+Enter');
    await waitForCounts(3, 4);
    expect(await kinds()).toEqual(KINDS.slice(0, 4));
    expect(await steps().nth(3).getByTestId('step-summary').textContent()).toBe('offers none + integrity + privacy (0x07), max buffer 2048');

    // 5: the client takes the offer and replies; 6: the server takes the reply: established.
    await page.getByTestId('sasl-step').click();
    await waitForCounts(5, 4);
    await page.getByTestId('sasl-step').click();
    await waitForCounts(5, 5);
    expect(await kinds()).toEqual(KINDS);
    expect(await steps().evaluateAll((els) => els.map((e) => e.getAttribute('data-direction')))).toEqual([
      'client-to-server',
      'server-to-client',
      'client-to-server',
      'server-to-client',
      'client-to-server',
    ]);
    expect(await page.getByTestId('sasl-state').textContent()).toBe('established');
    expect(await page.getByTestId('sasl-step').count()).toBe(0); // nothing left to step: the message form instead
    await page.getByTestId('sasl-send-form').waitFor();
    expect(await page.getByTestId('exchange-pending').count()).toBe(0);
    expect(await steps().nth(4).getByTestId('step-summary').textContent()).toBe('chooses integrity, max buffer 2048, authorization id "alice"');

    const verdict = page.getByTestId('exchange-verdict');
    expect(await verdict.getAttribute('data-outcome')).toBe('success');
    expect(await verdict.getByTestId('verdict-reason').textContent()).toBe('authenticated alice@BENCH.TEST; security layer integrity');
    expect(await verdict.getByTestId('exchange-principal').textContent()).toBe('alice@BENCH.TEST');
    expect(await verdict.getByTestId('exchange-authzid').textContent()).toBe('alice');
    expect(await verdict.getByTestId('exchange-layer').textContent()).toMatch(/integrity\s*· max buffer 2048/);
    expect(problems).toEqual([]);
  });

  it('opens the AP-REQ: the decrypted EncTicketPart, its bytes, MIT\'s trace and the keys learned', async () => {
    await steps().nth(0).click();
    const detail = page.getByTestId('step-detail');
    expect(await detail.getAttribute('data-index')).toBe('0');
    expect(await detail.getByTestId('step-detail-kind').textContent()).toBe(KINDS[0]);

    // The ticket was decrypted with the service keytab: EncTicketPart, whose cname is alice.
    const ticketPart = detail.locator('[data-testid="tree-node"][data-name="EncTicketPart"]');
    await ticketPart.waitFor();
    expect(await ticketPart.textContent()).toContain('client alice@BENCH.TEST');
    expect(await ticketPart.getByTestId('decrypted-badge').textContent()).toMatch(/service key.*service\.keytab: mqtt\/localhost@BENCH\.TEST/s);
    const partId = (await ticketPart.getAttribute('data-id'))!;
    const cname = detail.locator(`[data-testid="tree-node"][data-name="cname"][data-id^="${partId}/"]`);
    expect(await cname.count()).toBe(1);
    expect(await cname.textContent()).toContain('alice');

    // Clicking a node highlights its bytes (here in the ticket's plaintext).
    await cname.click();
    expect(await detail.getByTestId('crumb-plaintext').textContent()).toMatch(/decrypted\s+enc-part plaintext/);
    const offset = Number(await cname.getAttribute('data-offset'));
    const length = Number(await cname.getAttribute('data-length'));
    expect(await detail.locator('[data-testid="hex-byte"].sel').count()).toBe(length);
    expect(await detail.getByTestId('hex-selection').textContent()).toBe(`selected ${length} bytes @${offset}–${offset + length - 1} (0x${offset.toString(16)})`);

    // A field of the token itself: the bytes of the outer input light up.
    await detail.getByTestId('crumb-input').click();
    const tokId = detail.locator('[data-testid="tree-node"][data-name="TOK_ID"]');
    await tokId.click();
    expect(await detail.locator('[data-testid="hex-byte"].sel').allTextContents()).toEqual(['01', '00']);

    // MIT's trace while the server accepted the AP-REQ, with the key fingerprints highlighted.
    const trace = detail.getByTestId('step-trace');
    expect(await trace.getByTestId('trace-line').count()).toBeGreaterThan(0);
    expect(await trace.textContent()).toContain('Decrypted AP-REQ with server principal mqtt/localhost@BENCH.TEST');
    expect(await trace.locator('.trace-line .key').count()).toBeGreaterThan(0);
    expect(await detail.getByTestId('learned-key').allTextContents()).toContain('session key of the ticket for mqtt/localhost@BENCH.TEST (client alice@BENCH.TEST)');

    // ArrowDown in the diagram moves to the AP-REP.
    await page.getByTestId('exchange-steps').focus();
    await page.keyboard.press('ArrowDown');
    await page.waitForFunction(() => document.querySelector('[data-testid="step-detail"]')?.getAttribute('data-index') === '1');
    expect(await page.getByTestId('step-detail-kind').textContent()).toBe(KINDS[1]);
    await page.keyboard.press('ArrowUp');
    await page.waitForFunction(() => document.querySelector('[data-testid="step-detail"]')?.getAttribute('data-index') === '0');

    await page.evaluate(() => document.getElementById('main')?.scrollTo(0, 0));
    await page.screenshot({ path: path.join(SCREENSHOTS, 'sasl.png') });
    await page.getByTestId('step-detail').scrollIntoViewIfNeeded();
    await page.evaluate(() => document.querySelector('[data-testid="step-detail"]')?.scrollIntoView({ block: 'start' }));
    await page.screenshot({ path: path.join(SCREENSHOTS, 'sasl-detail.png') });
    expect(problems).toEqual([]);
  });

  it('shows the client\'s view and sends application messages through the integrity layer', async () => {
    await page.getByTestId('sasl-role-client').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="exchange-viewer"]')?.getAttribute('data-role') === 'client');
    expect(await kinds()).toEqual(KINDS);
    // The client's own trace: MIT fetching the service ticket, result codes highlighted.
    await steps().nth(0).click();
    const trace = page.getByTestId('step-trace');
    expect(await trace.textContent()).toContain('Creating authenticator for alice@BENCH.TEST -> mqtt/localhost@BENCH.TEST');
    expect(await trace.locator('.code-ok').count()).toBeGreaterThan(0);
    expect(await trace.locator('.code-bad').first().textContent()).toBe('-1765328243');
    // Decrypted with the ccache's session key: the authenticator, not the ticket.
    expect(await page.locator('[data-testid="tree-node"][data-name="Authenticator"]').count()).toBe(1);
    expect(await page.locator('[data-testid="tree-node"][data-name="EncTicketPart"]').count()).toBe(0);

    await page.getByTestId('sasl-send-from-client').click();
    await page.getByTestId('sasl-send-text').fill('hello server');
    await page.getByTestId('sasl-send').click();
    await waitForCounts(6, 6);
    const message = steps().nth(5);
    expect(await message.getAttribute('data-packet')).toBe('application message');
    expect(await message.getAttribute('data-kind')).toBe('application message (integrity)');
    expect(await message.getByTestId('step-summary').textContent()).toBe('"hello server"');
    // Selected as it arrives: its Wrap token opened, the text inside.
    expect(await page.getByTestId('step-detail').getAttribute('data-index')).toBe('5');
    expect(await page.locator('[data-testid="tree-node"][data-name="text"]').textContent()).toContain('hello server');

    await page.getByTestId('sasl-send-from-server').click();
    await page.getByTestId('sasl-send-text').fill('hello client');
    await page.getByTestId('sasl-send-text').press('Enter');
    await waitForCounts(7, 7);
    expect(await steps().nth(6).getAttribute('data-direction')).toBe('server-to-client');
    expect(await steps().nth(6).getByTestId('step-summary').textContent()).toBe('"hello client"');
    expect(await count('client')).toBe('7');

    // Export: the kbench-exchange file of the shown (client's) Exchange.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('sasl-export').click()]);
    expect(download.suggestedFilename()).toMatch(/^sasl-client-.*\.kbench-exchange\.json$/);
    const file = JSON.parse(await readFile((await download.path())!, 'utf8')) as { format: string; version: number; exchange: Exchange };
    expect(file.format).toBe('kbench-exchange');
    expect(file.version).toBe(1);
    expect(file.exchange.role).toBe('client');
    expect(file.exchange.steps.map((s) => s.tokenKind)).toEqual([...KINDS, 'application message (integrity)', 'application message (integrity)']);
    exported = file.exchange;
    expect(problems).toEqual([]);
  });

  it('decodes a C:/S: transcript of the run with the service keytab', async () => {
    // The transcript as sasl-sample-client/-server print it: the mechanism list, then the
    // initial response with "GSSAPI\0" in front, then one line per message.
    const lines = [`S: ${Buffer.from('GSSAPI').toString('base64')}`];
    exported.steps.forEach((s, i) => {
      const token = i === 0 ? Buffer.concat([Buffer.from('GSSAPI\0'), Buffer.from(s.token!, 'base64')]).toString('base64') : s.token!;
      lines.push(`${s.direction === 'client-to-server' ? 'C' : 'S'}: ${token}`);
    });

    await page.getByTestId('sasl-tab-transcript').click();
    await page.getByTestId('sasl-transcript-empty').waitFor();
    await page.getByTestId('sasl-transcript-text').fill(`${lines.join('\n')}\n`);
    await page.getByTestId('sasl-keytab-path').fill(serviceKeytab);
    await page.getByTestId('sasl-keytab-open').click();
    expect(await page.getByTestId('sasl-transcript-keytab').textContent()).toBe(serviceKeytab);
    await page.getByTestId('sasl-transcript-decode').click();
    await page.getByTestId('exchange-viewer').waitFor();

    expect(await page.getByTestId('exchange-viewer').getAttribute('data-role')).toBe('observer');
    expect(await kinds()).toEqual([...KINDS, 'application message (integrity)', 'application message (integrity)']);
    expect(await steps().nth(3).getByTestId('step-summary').textContent()).toBe('offers none + integrity + privacy (0x07), max buffer 2048');
    expect(await steps().nth(5).getByTestId('step-summary').textContent()).toBe('"hello server"');
    expect(await steps().nth(6).getByTestId('step-summary').textContent()).toBe('"hello client"');
    expect(await page.getByTestId('exchange-verdict').getAttribute('data-outcome')).toBe('success');
    expect(await page.getByTestId('exchange-layer').textContent()).toContain('integrity');
    await steps().nth(0).click();
    expect(await page.locator('[data-testid="tree-node"][data-name="EncTicketPart"]').textContent()).toContain('client alice@BENCH.TEST');

    await page.screenshot({ path: path.join(SCREENSHOTS, 'sasl-transcript.png') });

    // The same from the button that turns the current run into a transcript.
    await page.getByTestId('sasl-transcript-from-run').click();
    expect((await page.getByTestId('sasl-transcript-text').inputValue()).split('\n').slice(0, 2)).toEqual(lines.slice(0, 2));
    await page.keyboard.press('Control+Enter');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="exchange-step"]').length === 7);

    // A line that is not base64 fails with the line number.
    await page.getByTestId('sasl-transcript-text').fill('C: not base64!\n');
    await page.getByTestId('sasl-transcript-decode').click();
    await page.getByTestId('sasl-transcript-error').waitFor();
    expect(await page.getByTestId('sasl-transcript-error').textContent()).toMatch(/line 1: .* is not base64/);
    expect(problems).toEqual([]);
  });

  it('shows a failed run in red with MIT\'s reason, and looks right in the dark theme', async () => {
    await page.getByTestId('sasl-tab-run').click();
    await page.getByTestId('sasl-close').click();
    await page.getByTestId('sasl-form').waitFor();
    await page.getByTestId('sasl-service').fill('nosuch@localhost');
    await page.getByTestId('sasl-start').click();
    await page.getByTestId('sasl-run').waitFor();
    await page.getByTestId('sasl-role-server').click();
    await page.getByTestId('sasl-finish').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="sasl-state"]')?.textContent === 'failed');
    expect(await page.getByTestId('exchange-verdict').getAttribute('data-outcome')).toBe('failure');
    expect(await page.getByTestId('verdict-reason').textContent()).toMatch(/the client gave up: .*Server nosuch\/localhost@BENCH\.TEST not found in Kerberos database/);
    await page.getByTestId('sasl-role-client').click();
    const failed = steps().first();
    expect(await failed.getAttribute('class')).toContain('error');
    expect(await failed.getByTestId('step-error').textContent()).toMatch(/not found in Kerberos database/);
    await failed.click();
    expect(await page.getByTestId('step-trace').locator('.code-bad').last().textContent()).toBe('-1765328377');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'sasl-failed.png') });

    // Back to a good run for the dark screenshot.
    await page.getByTestId('sasl-close').click();
    await page.getByTestId('sasl-service').fill('mqtt@localhost');
    await page.getByTestId('sasl-offer').selectOption('cyrus');
    await page.getByTestId('sasl-layer').selectOption('privacy');
    await page.getByTestId('sasl-start').click();
    await page.getByTestId('sasl-run').waitFor();
    await page.getByTestId('sasl-role-server').click();
    await page.getByTestId('sasl-finish').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="sasl-state"]')?.textContent === 'established');
    expect(await page.getByTestId('exchange-layer').textContent()).toContain('privacy');
    await page.getByTestId('sasl-send-text').fill('sealed hello');
    await page.getByTestId('sasl-send').click();
    await waitForCounts(6, 6);
    expect(await steps().nth(5).getAttribute('data-kind')).toBe('application message (privacy)');
    expect(await steps().nth(5).getByTestId('step-summary').textContent()).toBe('"sealed hello"');
    await steps().nth(0).click();
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark', undefined, { timeout: 5000 });
    await page.evaluate(() => document.getElementById('main')?.scrollTo(0, 0));
    await page.screenshot({ path: path.join(SCREENSHOTS, 'sasl-dark.png') });
    await page.evaluate(() => document.querySelector('[data-testid="step-detail"]')?.scrollIntoView({ block: 'start' }));
    await page.screenshot({ path: path.join(SCREENSHOTS, 'sasl-detail-dark.png') });
    expect(problems).toEqual([]);
  });
});
