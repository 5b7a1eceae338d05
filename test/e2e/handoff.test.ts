/**
 * Views hand work to each other, in Chromium against `kbench web` with its own lab realm: the
 * broker runs, the probe connects, and "Open in Decoder" on the probe's CONNECT token opens it with
 * the keys the chosen side holds — the broker's service keytab decrypts the ticket in one click; the
 * probe's credential cache opens the authenticator while the ticket stays sealed, said in muted
 * words, not red. The Decoder decodes again when its key ring changes and comes back after a
 * reload; a finding's evidence link selects the step it quotes. Screenshots of each, both themes,
 * go to /tmp/shots/handoff-*.png.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLabWebSession, screenshotBothThemes, type LabWebSession } from '../helpers/lab-web';

const SERVICE = 'mqtt/localhost@BENCH.TEST';

describe('hand-offs between views (Chromium, web mode, lab realm)', () => {
  let session: LabWebSession;
  let page: Page;
  let serviceKeytab: string;
  let connectToken: string;

  beforeAll(async () => {
    session = await openLabWebSession('handoff', { lab: true });
    page = session.page;
    serviceKeytab = path.join(session.dataDir, 'lab', 'BENCH.TEST', 'service.keytab');
  }, 120_000);
  afterAll(async () => {
    await session?.close();
  });

  /** Both themes of what is on screen now: test-results/screenshots/handoff-NAME-{light,dark}.png. */
  const shots = (name: string, prepare?: () => Promise<void>) => screenshotBothThemes(page, `handoff-${name}`, prepare);

  /** A CSS colour variable as the page computes it. */
  const cssColor = (variable: string) =>
    page.evaluate((v) => {
      const probe = document.createElement('span');
      probe.style.color = `var(${v})`;
      document.body.append(probe);
      const value = getComputedStyle(probe).color;
      probe.remove();
      return value;
    }, variable);

  const steps = () => page.getByTestId('exchange-step');
  const tree = () => page.getByTestId('field-tree');

  it("connects the probe to the broker; the probe's own view shows the ticket sealed for the service, in muted words", async () => {
    await page.goto(session.web.url);
    await page.getByTestId('nav-broker').click();
    await page.getByTestId('broker-form').waitFor();
    await page.getByTestId('broker-start').click();
    await page.getByTestId('broker-listeners').waitFor({ timeout: 60_000 });
    await page.getByTestId('broker-open-probe').click();
    await page.getByTestId('probe-form').waitFor();
    await page.getByTestId('probe-step').uncheck();
    await page.getByTestId('probe-connect').click();
    await page.waitForFunction(() => ['connected', 'failed'].includes(document.querySelector('[data-testid="probe-state"]')?.textContent ?? ''), undefined, { timeout: 30_000 });
    expect(await page.getByTestId('probe-state').textContent()).toBe('connected');
    // A re-authentication: the broker's Exchange of this connection grows to 12 steps.
    await page.getByTestId('probe-reauth').click();
    // The re-authentication's own Exchange appears (waiting for the state to leave 'connected'
    // raced a fast re-authentication on a loaded machine), then the run settles.
    await page.getByTestId('probe-exchange-1').waitFor({ timeout: 30_000 });
    await page.waitForFunction(() => ['connected', 'failed'].includes(document.querySelector('[data-testid="probe-state"]')?.textContent ?? ''), undefined, { timeout: 30_000 });
    await page.getByTestId('probe-exchange-0').click();

    await steps().nth(0).click();
    const detail = page.getByTestId('step-detail');
    expect(await detail.getByTestId('step-detail-kind').textContent()).toBe('GSS-API initial context token (AP-REQ)');
    const sealed = detail.locator('[data-testid="node-sealed"][data-key="service key"]');
    await sealed.waitFor();
    expect(await sealed.textContent()).toMatch(new RegExp(`encrypted for ${SERVICE} \\(kvno \\d+, aes256-cts-hmac-sha1-96\\) — the broker's view opens it`));
    expect(await sealed.evaluate((el) => getComputedStyle(el).color)).toBe(await cssColor('--muted'));
    expect(await detail.getByTestId('node-error').count()).toBe(0);
    // The authenticator is open on this side: the client's ccache holds the session key.
    expect((await detail.getByTestId('decrypted-badge').allTextContents()).join('\n')).toMatch(/key usage 11 .*ccache .*session key for mqtt\/localhost@BENCH\.TEST/);
    await shots('exchange-sealed', async () => {
      await sealed.scrollIntoViewIfNeeded();
    });

    // The trace lines: local times, coloured by severity (not all red).
    const trace = detail.getByTestId('trace-line');
    expect(await trace.count()).toBeGreaterThan(0);
    expect(await detail.getByTestId('trace-time').first().textContent()).toMatch(/^\d\d:\d\d:\d\d\.\d{3}$/);
    expect(await trace.first().getAttribute('title')).toMatch(/^\[\d+\] \d+\.\d+: /);
    const severities = await trace.evaluateAll((els) => els.map((e) => e.getAttribute('data-severity')));
    expect(severities.filter((s) => s === 'error')).toEqual([]);
    await shots('trace', async () => {
      await page.getByTestId('step-trace').scrollIntoViewIfNeeded();
    });
    expect(session.problems).toEqual([]);
  });

  it("Open in Decoder from the probe's Exchange: the ccache opens the authenticator, the ticket stays sealed", async () => {
    await page.getByTestId('step-open-decoder').click();
    await page.waitForURL(/#\/decoder$/);
    await page.getByTestId('decoder-kind').waitFor();
    expect(await page.getByTestId('decoder-origin').textContent()).toMatch(/Probe Exchange \(probe's view\) · step 1 \(CONNECT\)/);
    expect(await page.getByTestId('decoder-key').evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')))).toEqual(['ccache']);
    expect((await page.getByTestId('decrypted-badge').allTextContents()).join('\n')).toMatch(/key usage 11 .*ccache .*session key for mqtt\/localhost@BENCH\.TEST/);
    expect(await tree().locator('[data-testid="tree-node"][data-name="Authenticator"]').count()).toBe(1);
    expect(await tree().locator('[data-testid="tree-node"][data-name="EncTicketPart"]').count()).toBe(0);
    const sealed = page.locator('[data-testid="node-sealed"][data-key="service key"]');
    expect(await sealed.textContent()).toContain(`encrypted for ${SERVICE}`);
    expect(await sealed.textContent()).toContain('add the service keytab under Keys to open it');
    expect(await page.getByTestId('node-error').count()).toBe(0);
    connectToken = await page.getByTestId('decoder-input').inputValue();
    expect(connectToken).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(session.problems).toEqual([]);
  });

  it("Open in Decoder on the same CONNECT token from the broker's Exchange decrypts the ticket in one click", async () => {
    await page.getByTestId('nav-broker').click();
    const row = page.locator('[data-testid="broker-connection"][data-outcome="success"]').first();
    await row.waitFor();
    await row.click();
    // The whole sequence diagram of 12 steps, no box cutting it off; the detail under it.
    await expect.poll(() => steps().count()).toBeGreaterThanOrEqual(12);
    await steps().nth(0).click();
    const diagram = await page.getByTestId('exchange-steps').evaluate((el) => ({ scroll: el.scrollHeight, client: el.clientHeight }));
    expect(diagram.scroll).toBe(diagram.client);
    await shots('exchange-diagram', async () => {
      await page.getByTestId('exchange-viewer').evaluate((el) => el.scrollIntoView({ block: 'start' }));
    });
    expect(await page.getByTestId('step-detail-kind').textContent()).toBe('GSS-API initial context token (AP-REQ)');
    await page.getByTestId('step-open-decoder').click();
    await page.waitForURL(/#\/decoder$/);
    const encTicketPart = tree().locator('[data-testid="tree-node"][data-name="EncTicketPart"]');
    await encTicketPart.waitFor();
    expect(await encTicketPart.textContent()).toContain('client alice@BENCH.TEST');
    expect(await page.getByTestId('decoder-input').inputValue()).toBe(connectToken);
    expect(await page.getByTestId('decoder-origin').textContent()).toMatch(/Broker Exchange \(broker's view\) · step 1 \(CONNECT\)/);
    expect(await page.getByTestId('decoder-key').textContent()).toContain(serviceKeytab);
    expect((await page.getByTestId('decrypted-badge').allTextContents())[0]).toMatch(/key usage 2 \(Ticket enc-part, service key\)\s*keytab .*service\.keytab: mqtt\/localhost@BENCH\.TEST kvno \d+ aes256-cts-hmac-sha1-96/);
    expect(await page.getByTestId('node-sealed').count()).toBe(0);
    await shots('decoder', async () => {
      await page.getByTestId('decoder-origin').scrollIntoViewIfNeeded();
      await encTicketPart.scrollIntoViewIfNeeded();
    });
    expect(session.problems).toEqual([]);
  });

  it('decodes again by itself when a key is removed or added', async () => {
    await page.getByRole('button', { name: `Remove keytab ${serviceKeytab}` }).click();
    await page.locator('[data-testid="node-sealed"][data-key="service key"]').waitFor();
    expect(await tree().locator('[data-testid="tree-node"][data-name="EncTicketPart"]').count()).toBe(0);
    await page.getByTestId('key-tab-keytab').click();
    await page.getByTestId('decoder-keytab-path').fill(serviceKeytab);
    await page.getByTestId('decoder-keytab-open').click();
    await tree().locator('[data-testid="tree-node"][data-name="EncTicketPart"]').waitFor();
    expect(await page.getByTestId('node-sealed').count()).toBe(0);
  });

  it('says key-match verdicts in words, and comes back after a reload with its input and key ring', async () => {
    await page.getByTestId('decoder-explain').click();
    await page.getByTestId('explain-conclusion').waitFor();
    const words = await page.getByTestId('explain-verdict').allTextContents();
    expect(words.map((w) => w.trim())).toContain('✓ decrypts the ticket');
    expect(words.some((w) => /not tried: another enctype than the ticket/.test(w))).toBe(true);

    // The state is written a moment after the last change: wait for it on disk, then reload.
    await expect.poll(async () => (await readFile(path.join(session.dataDir, 'workspace.json'), 'utf8').catch(() => '')).includes(serviceKeytab), { timeout: 10_000 }).toBe(true);
    await page.reload();
    await page.getByTestId('decoder-key').waitFor();
    expect(await page.getByTestId('decoder-key').evaluateAll((els) => els.map((e) => e.textContent ?? ''))).toEqual([expect.stringContaining(serviceKeytab)]);
    expect(await page.getByTestId('decoder-input').inputValue()).toBe(connectToken);
    await tree().locator('[data-testid="tree-node"][data-name="EncTicketPart"]').waitFor();
    expect(session.problems).toEqual([]);
  });

  it('saves a key ring by name (without secrets), loads it back, and keeps recent files and pane sizes', async () => {
    await page.getByTestId('key-tab-password').click();
    await page.getByTestId('key-password').fill('not-kept');
    await page.getByTestId('key-password').press('Enter');
    await expect.poll(() => page.getByTestId('decoder-key').count()).toBe(2);
    await page.getByTestId('decoder-ring-save-open').click();
    expect(await page.getByTestId('decoder-ring-hint').textContent()).toMatch(/Passwords and raw keys are not saved: 1 key of this ring will be left out/);
    await page.getByTestId('decoder-ring-name').fill('lab broker');
    await page.getByTestId('decoder-ring-save').click();
    const ring = page.getByTestId('decoder-ring').filter({ hasText: 'lab broker' });
    await ring.waitFor();
    expect(await ring.textContent()).toContain('keytab service.keytab · 1 left out');
    const saved = await readFile(path.join(session.dataDir, 'workspace.json'), 'utf8');
    expect(saved).not.toContain('not-kept');
    const removeButtons = page.getByTestId('decoder-keys').getByRole('button', { name: /^Remove / });
    while ((await removeButtons.count()) > 0) await removeButtons.first().click();
    await expect.poll(() => page.getByTestId('decoder-key').count()).toBe(0);
    await ring.getByTestId('decoder-ring-load').click();
    await tree().locator('[data-testid="tree-node"][data-name="EncTicketPart"]').waitFor();
    expect(await page.getByTestId('decoder-key').evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')))).toEqual(['keytab']);
    await shots('decoder-keys', async () => {
      await page.locator('#main').evaluate((main) => main.scrollTo(0, 0));
    });

    // A file opened by path is a recent Decoder file; the tree/bytes separator keeps its place.
    const tokenFile = path.join(session.root, 'connect.b64');
    await writeFile(tokenFile, connectToken);
    await page.getByTestId('decoder-input-path').fill(tokenFile);
    await page.getByTestId('decoder-input-open').click();
    await page.getByTestId('decoder-file').waitFor();
    await page.getByTestId('decoder-decode').click();
    await tree().locator('[data-testid="tree-node"][data-name="EncTicketPart"]').waitFor();
    const separator = page.getByTestId('split-decoder.tree-hex').getByTestId('split-separator');
    await separator.focus();
    for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowLeft');
    const size = await separator.getAttribute('aria-valuenow');
    expect(Number(size)).toBeGreaterThan(200);
    await page.getByRole('button', { name: 'Use pasted text instead' }).click();
    // Both written (each a moment after its last change) before the reload.
    const written = async () => {
      const { views } = JSON.parse(await readFile(path.join(session.dataDir, 'workspace.json'), 'utf8')) as { views: { decoder?: { file?: unknown }; panes?: Record<string, number> } };
      return views.decoder?.file === null && views.panes?.['decoder.tree-hex'] === Number(size);
    };
    await expect.poll(written, { timeout: 10_000 }).toBe(true);
    await page.reload();
    await page.getByTestId('decoder-recent-file').filter({ hasText: 'connect.b64' }).waitFor();
    await tree().locator('[data-testid="tree-node"][data-name="EncTicketPart"]').waitFor();
    expect(await page.getByTestId('split-decoder.tree-hex').getByTestId('split-separator').getAttribute('aria-valuenow')).toBe(size);
    await page.getByTestId('decoder-recent-file').filter({ hasText: 'connect.b64' }).click();
    expect(await page.getByTestId('decoder-file').textContent()).toContain(tokenFile);
    expect(session.problems).toEqual([]);
  });

  it("links a finding's evidence to the step it quotes", async () => {
    await page.getByTestId('nav-diagnose').click();
    await page.getByTestId('diagnose-mode-exchange').click();
    await page.getByTestId('diagnose-exchange-file').setInputFiles({ name: 'stale.kbench-exchange.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(staleKeytabExchange())) });
    const finding = page.getByTestId('finding').first();
    await finding.waitFor({ timeout: 30_000 });
    expect(await finding.getAttribute('data-id')).toMatch(/keytab/);
    const links = finding.getByTestId('evidence-step');
    expect(await links.evaluateAll((els) => els.map((e) => e.getAttribute('data-step')))).toEqual(expect.arrayContaining(['0', '1']));
    await finding.locator('[data-testid="evidence-step"][data-step="1"]').first().click();
    const step = page.locator('[data-testid="diagnose-view"] [data-testid="exchange-step"][data-index="1"]');
    await expect.poll(() => step.getAttribute('aria-selected')).toBe('true');
    expect(await page.getByTestId('step-detail').getAttribute('data-index')).toBe('1');
    await finding.locator('[data-testid="evidence-step"][data-step="0"]').first().click();
    await expect.poll(() => page.getByTestId('step-detail').getAttribute('data-index')).toBe('0');
    await shots('diagnose', async () => {
      await finding.getByTestId('finding-evidence').scrollIntoViewIfNeeded();
    });
    await shots('diagnose-step', async () => {
      await page.locator('[data-testid="diagnose-view"] [data-testid="exchange-steps"]').scrollIntoViewIfNeeded();
    });
    expect(session.problems).toEqual([]);
  });

  it("shows the KDC's log with local times, coloured by severity", async () => {
    await page.getByTestId('nav-lab').click();
    const lines = page.getByTestId('log-line');
    await expect.poll(() => lines.count(), { timeout: 20_000 }).toBeGreaterThan(0);
    const severities = await lines.evaluateAll((els) => els.map((e) => e.getAttribute('data-severity')));
    expect(severities).toContain('issued');
    expect(await lines.first().getAttribute('title')).toMatch(/krb5kdc/);
    await shots('lab-log', async () => {
      await page.getByTestId('lab-log').scrollIntoViewIfNeeded();
    });
    expect(session.problems).toEqual([]);
  });
});

/**
 * A broker's Exchange refused for a stale keytab as MIT words it (the acceptor's trace line, the
 * KRB-ERROR in CONNACK 0x87), as `kbench … --exchange` writes one.
 */
function staleKeytabExchange() {
  const stale = `Request ticket server ${SERVICE} kvno 3 not found in keytab; keytab is likely out of date`;
  const at = new Date().toISOString();
  return {
    format: 'kbench-exchange',
    version: 1,
    exchange: {
      id: 'stale-keytab-e2e',
      source: 'broker',
      role: 'server',
      mechanism: 'GSSAPI-KERBEROS',
      startedAt: at,
      steps: [
        { index: 0, direction: 'client-to-server', at, elapsedMs: 0, transport: { protocol: 'mqtt', packet: 'CONNECT' }, trace: [`[4242] ${Math.floor(Date.now() / 1000)}.419131: Result of acceptor: -1765328340/${stale}`], error: stale },
        {
          index: 1,
          direction: 'server-to-client',
          at,
          elapsedMs: 2,
          transport: { protocol: 'mqtt', packet: 'CONNACK', fields: { reasonCode: '0x87 Not Authorized' } },
          decoded: { name: 'KRB-ERROR', type: 'KRB-ERROR', offset: 0, length: 10, children: [{ name: 'error-code', type: 'Int32', offset: 2, length: 3, value: 44 }] },
        },
      ],
      verdict: { outcome: 'failure', reason: stale, code: '0x87 Not Authorized' },
    },
  };
}
