/**
 * The Captures view in Chromium against `kbench web` with its own lab realm, on a capture this
 * test records itself: tshark on loopback while the probe authenticates to the local broker
 * (GSSAPI-KERBEROS, with the AS/TGS exchanges at the lab KDC) and once more for a service the KDC
 * does not know (a KRB-ERROR). The view opens it by path, lists the conversations, filters,
 * sorts, shows one in the Exchange viewer, rescans with a key ring, exports, keeps its state
 * across a reload, and shows the replay panel. Screenshots of both themes go to
 * test-results/screenshots/captures-*.png.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoopbackCapture } from '../helpers/capture';
import { ALICE_PASSWORD } from '../helpers/lab';
import { openLabWebSession, screenshotBothThemes, type LabWebSession } from '../helpers/lab-web';

describe('Captures view (Chromium, web mode, lab realm)', () => {
  let session: LabWebSession;
  let page: Page;
  let captureFile: string;
  let brokerUrl: string;

  beforeAll(async () => {
    session = await openLabWebSession('captures', { lab: true });
    page = session.page;
    captureFile = path.join(session.root, 'probe-broker.pcapng');
  }, 120_000);
  afterAll(async () => {
    await session?.close();
  });

  /** Both themes of what is on screen now: test-results/screenshots/captures-NAME-{light,dark}.png. */
  const shots = (name: string, prepare?: () => Promise<void>) => screenshotBothThemes(page, `captures-${name}`, prepare);

  const rows = () => page.getByTestId('capture-row');
  const attrs = (name: string) => rows().evaluateAll((els, n) => els.map((e) => e.getAttribute(n)), name);

  it('says what to do when no capture is open', async () => {
    await page.goto(session.web.url);
    await page.getByTestId('nav-captures').click();
    await page.waitForURL(/#\/captures$/);
    const empty = page.getByTestId('capture-empty');
    await empty.waitFor();
    expect(await empty.textContent()).toContain('Open a pcap or pcapng file — or drop it here');
    expect(await page.getByTestId('nav-captures').textContent()).not.toContain('soon');
    await shots('empty');
    expect(session.problems).toEqual([]);
  });

  it('records a capture: the probe authenticates to the broker, then asks for an unknown service', async () => {
    await page.getByTestId('nav-broker').click();
    await page.getByTestId('broker-form').waitFor();
    await page.getByTestId('broker-start').click();
    await page.locator('[data-testid="broker-listener"][data-protocol="tcp"]').waitFor({ timeout: 60_000 });
    brokerUrl = (await page.locator('[data-testid="broker-listener"][data-protocol="tcp"] [data-testid="broker-listener-url"]').textContent())!.trim();
    const brokerPort = Number(new URL(brokerUrl).port);
    const status = await session.kbench(['lab', 'status', '--json']);
    const kdcPort = (JSON.parse(status.stdout) as { port: number }).port;
    expect(brokerPort).toBeGreaterThan(0);
    expect(kdcPort).toBeGreaterThan(0);

    const tshark = await LoopbackCapture.start(captureFile, `port ${brokerPort} or port ${kdcPort}`);
    try {
      await page.getByTestId('broker-open-probe').click();
      await page.getByTestId('probe-form').waitFor();
      await page.getByTestId('probe-step').uncheck();
      await page.getByTestId('probe-connect').click();
      await page.waitForFunction(() => ['connected', 'failed'].includes(document.querySelector('[data-testid="probe-state"]')?.textContent ?? ''), undefined, { timeout: 30_000 });
      expect(await page.getByTestId('probe-state').textContent()).toBe('connected');
      await page.getByTestId('probe-disconnect').click();
      await page.getByTestId('probe-form').waitFor();
      await page.getByTestId('probe-service').fill('nosuch@localhost');
      await page.getByTestId('probe-connect').click();
      await page.getByTestId('probe-failure').waitFor({ timeout: 30_000 });
      await page.getByTestId('probe-service').fill('');
    } finally {
      await tshark.stop();
    }
  });

  it('opens the capture by path: the conversations appear, with the MQTT one and the KDC error', async () => {
    await page.getByTestId('nav-captures').click();
    await page.getByTestId('capture-path').fill(captureFile);
    await page.getByTestId('capture-open-path').click();
    await page.getByTestId('capture-table').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('capture-file-name').textContent()).toContain('probe-broker.pcapng');
    const protocols = await attrs('data-protocol');
    expect(protocols).toContain('mqtt');
    expect(protocols).toContain('kerberos');
    expect(await attrs('data-verdict')).toContain('failure');
    const mqtt = page.locator('[data-testid="capture-row"][data-protocol="mqtt"]').first();
    expect(await mqtt.getAttribute('data-verdict')).toBe('success');
    expect(await mqtt.getByTestId('capture-row-server').textContent()).toContain(`:${new URL(brokerUrl).port}`);
    expect(session.problems).toEqual([]);
  });

  it('filters by protocol, verdict, principal and server, and sorts by a header (keyboard too)', async () => {
    const total = await rows().count();
    await page.getByTestId('capture-filter-protocol').selectOption('mqtt');
    await expect.poll(async () => new Set(await attrs('data-protocol'))).toEqual(new Set(['mqtt']));
    expect(await page.getByTestId('capture-count').getAttribute('data-shown')).toBe(String(await rows().count()));
    await page.getByTestId('capture-filter-protocol').selectOption('');
    await page.getByTestId('capture-filter-verdict').selectOption('failure');
    await expect.poll(async () => new Set(await attrs('data-verdict'))).toEqual(new Set(['failure']));
    await page.getByTestId('capture-filter-verdict').selectOption('');
    await page.getByTestId('capture-filter-server').fill(`:${new URL(brokerUrl).port}`);
    await expect.poll(async () => new Set(await attrs('data-protocol'))).toEqual(new Set(['mqtt']));
    await page.getByTestId('capture-clear-filters').click();
    await expect.poll(() => rows().count()).toBe(total);
    await page.getByTestId('capture-filter-principal').fill('nosuch');
    await expect.poll(() => rows().count()).toBeGreaterThanOrEqual(1);
    expect((await rows().allTextContents()).every((t) => /nosuch/i.test(t))).toBe(true);
    await page.getByTestId('capture-clear-filters').click();

    // Sorting: by protocol ascending, then descending; the header says which.
    await page.getByTestId('capture-sort-protocol').focus();
    await page.keyboard.press('Enter');
    const ascending = await attrs('data-protocol');
    expect(ascending).toEqual([...ascending].sort());
    await page.getByTestId('capture-sort-protocol').click();
    const descending = await attrs('data-protocol');
    expect(descending).toEqual([...ascending].sort().reverse());
    expect(await page.getByTestId('capture-sort-protocol').locator('..').getAttribute('aria-sort')).toBe('descending');
    await page.getByTestId('capture-sort-startedAt').click();
    expect(session.problems).toEqual([]);
  });

  it('selects a conversation: the Exchange viewer shows its steps; ↓ moves to the next row', async () => {
    const mqtt = page.locator('[data-testid="capture-row"][data-protocol="mqtt"]').first();
    await mqtt.click();
    await page.getByTestId('exchange-viewer').waitFor({ timeout: 30_000 });
    await expect.poll(() => page.getByTestId('exchange-step').count()).toBeGreaterThanOrEqual(2);
    expect(await page.getByTestId('exchange-step').first().getAttribute('data-packet')).toBe('CONNECT');
    expect(await mqtt.getAttribute('aria-selected')).toBe('true');
    await page.getByTestId('exchange-step').first().click();
    await page.getByTestId('step-detail').waitFor();
    await shots('exchange', async () => {
      await page.getByTestId('capture-summary').evaluate((el) => el.scrollIntoView({ block: 'start' }));
    });

    // Keyboard: the selected row has focus after a click; ↓ selects the next one.
    const ids = await attrs('data-id');
    const at = ids.indexOf(await mqtt.getAttribute('data-id'));
    if (at < ids.length - 1) {
      await mqtt.focus();
      await page.keyboard.press('ArrowDown');
      await expect.poll(() => page.locator('[data-testid="capture-row"][aria-selected="true"]').getAttribute('data-id')).toBe(ids[at + 1]);
      await mqtt.click();
    }
    // The linked exchanges (the TGS exchange that issued the ticket) are links that select their row.
    const link = page.getByTestId('capture-link').first();
    if (await link.count()) {
      const target = await link.getAttribute('data-id');
      await link.click();
      await expect.poll(() => page.locator('[data-testid="capture-row"][aria-selected="true"]').getAttribute('data-id')).toBe(target);
      await mqtt.click();
    }
    expect(session.problems).toEqual([]);
  });

  it('the timelines list each client, and an entry selects its conversation', async () => {
    await page.getByTestId('capture-tab-timelines').click();
    const entries = page.getByTestId('capture-timeline-entry');
    if ((await entries.count()) > 0) {
      await shots('timelines');
      const id = await entries.first().getAttribute('data-id');
      await entries.first().click();
      await expect.poll(() => page.locator('[data-testid="capture-row"][aria-selected="true"]').getAttribute('data-id')).toBe(id);
    } else {
      await page.getByTestId('capture-tab-conversations').click();
    }
    await page.getByTestId('capture-tab-warnings').click();
    await page.getByTestId('capture-warnings').waitFor();
    await page.getByTestId('capture-tab-tls').click();
    await page.getByTestId('capture-tls').waitFor();
    await page.getByTestId('capture-tab-conversations').click();
    expect(session.problems).toEqual([]);
  });

  it('key ring: a password and the service keytab, then "Rescan with these keys" shows what each opened', async () => {
    await page.getByTestId('capture-keys-toggle').click();
    await page.getByTestId('capture-keys').waitFor();
    await page.getByTestId('capture-key-tab-password').click();
    await page.getByTestId('capture-key-principal').fill('alice@BENCH.TEST');
    await page.getByTestId('capture-key-password').fill(ALICE_PASSWORD);
    expect(await page.getByTestId('capture-key-password').getAttribute('type')).toBe('password');
    await page.getByTestId('capture-key-add-password').click();
    await page.getByTestId('capture-key-tab-keytab').click();
    await page.getByTestId('capture-keytab-path').fill(path.join(session.dataDir, 'lab', 'BENCH.TEST', 'service.keytab'));
    await page.getByTestId('capture-keytab-open').click();
    expect(await page.getByTestId('capture-key').evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')))).toEqual(['password', 'keytab']);
    expect(await page.getByTestId('capture-keys').textContent()).not.toContain(ALICE_PASSWORD);
    await page.getByTestId('capture-keys-changed').waitFor();
    await page.getByTestId('capture-rescan').click();
    await expect.poll(() => page.getByTestId('capture-key-use').count(), { timeout: 60_000 }).toBeGreaterThan(0);
    const opened = await page.getByTestId('capture-key-use').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-opened'))));
    expect(opened.some((n) => n > 0)).toBe(true);
    await shots('keys', async () => {
      await page.getByTestId('capture-keys').evaluate((el) => el.scrollIntoView({ block: 'start' }));
    });
    await page.getByTestId('capture-keys-toggle').click();
    expect(session.problems).toEqual([]);
  });

  it('exports the selected conversation as JSON and as pcapng', async () => {
    const mqtt = page.locator('[data-testid="capture-row"][data-protocol="mqtt"]').first();
    await mqtt.click();
    await page.getByTestId('exchange-viewer').waitFor({ timeout: 30_000 });
    const [json] = await Promise.all([page.waitForEvent('download'), page.getByTestId('capture-export-json').click()]);
    const text = await readFile((await json.path())!, 'utf8');
    expect(text).toContain('GSSAPI-KERBEROS');
    const [pcapng] = await Promise.all([page.waitForEvent('download'), page.getByTestId('capture-export-pcapng').click()]);
    expect(pcapng.suggestedFilename()).toMatch(/\.pcapng$/);
    const bytes = await readFile((await pcapng.path())!);
    expect(bytes.readUInt32LE(0)).toBe(0x0a0d0d0a); // a Section Header Block
    expect(session.problems).toEqual([]);
  });

  it('replays the MQTT conversation verbatim against the local broker: refused as a replay, with the diff', async () => {
    const replay = page.getByTestId('capture-replay');
    await replay.waitFor();
    expect(await page.getByTestId('capture-replay-to').inputValue()).toBe(brokerUrl);
    await page.getByTestId('capture-replay-mode-verbatim').check();
    await page.getByTestId('capture-replay-run').click();
    await page.getByTestId('capture-replay-result').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('capture-replay-summary').textContent()).toMatch(/refused as a replay/);
    const verdict = page.locator('[data-testid="capture-replay-diff-row"]').first();
    expect(await verdict.getAttribute('data-same')).toBe('false');
    await shots('replay', async () => {
      await replay.evaluate((el) => el.scrollIntoView({ block: 'start' }));
    });
    expect(session.problems).toEqual([]);
  });

  it('keeps the table, the filters and the selected row across a reload', async () => {
    const selected = await page.locator('[data-testid="capture-row"][aria-selected="true"]').getAttribute('data-id');
    await page.getByTestId('capture-filter-protocol').selectOption('mqtt');
    // The workspace writes a moment after the last change.
    await page.waitForTimeout(1000);
    await page.reload();
    await page.getByTestId('capture-table').waitFor();
    expect(await page.getByTestId('capture-filter-protocol').inputValue()).toBe('mqtt');
    expect(await page.locator('[data-testid="capture-row"][aria-selected="true"]').getAttribute('data-id')).toBe(selected);
    // The engine still holds the capture: the Exchange comes back.
    await page.getByTestId('exchange-viewer').waitFor({ timeout: 30_000 });
    await page.getByTestId('capture-filter-protocol').selectOption('');
    expect(session.problems).toEqual([]);
  });
});
