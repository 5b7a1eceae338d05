/**
 * Stepping the probe slower than the broker's authentication deadline, in Chromium against
 * `kbench web` with a lab realm of its own. The broker is started from the Broker view with a
 * short deadline; its listener card says whether it holds the deadline for a stepping probe.
 *   - held (the default): every AUTH pause says so, each pause outlasts the deadline, and the
 *     probe still connects;
 *   - not held: the AUTH pause counts down the seconds the broker said it waits, the broker
 *     refuses when they run out, and the run ends — failed, with the broker's Reason String and
 *     the diagnosis "auth-deadline" — instead of waiting for a Send that can go nowhere.
 * Screenshots of both views in both themes go to /tmp/shots/step-*.png (and test-results).
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulateTheme, openLabWebSession, SCREENSHOTS, type LabWebSession } from '../helpers/lab-web';
import type { RunningWeb } from '../helpers/web';

const SHOTS = '/tmp/shots';
const HELD_DEADLINE_MS = 3_000;
const COUNTDOWN_DEADLINE_MS = 9_000;

describe('the probe stepped slower than the broker\'s deadline (Chromium, web mode, lab realm)', () => {
  let web: RunningWeb;
  let page: Page;
  let problems: string[];
  let session: LabWebSession;

  beforeAll(async () => {
    await mkdir(SHOTS, { recursive: true });
    session = await openLabWebSession('probe-step', { lab: true });
    ({ web, page, problems } = session);
  }, 120_000);

  afterAll(async () => {
    await session?.close();
  });

  const text = (testid: string) => page.getByTestId(testid).textContent();
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  const theme = (scheme: 'light' | 'dark') => emulateTheme(page, scheme);

  async function shot(name: string, target?: string): Promise<void> {
    await page.evaluate(() => document.getElementById('main')?.scrollTo(0, 0));
    const file = `step-${name}.png`;
    if (target) {
      await page.getByTestId(target).screenshot({ path: path.join(SHOTS, file) });
    } else {
      await page.screenshot({ path: path.join(SHOTS, file) });
      await page.screenshot({ path: path.join(SCREENSHOTS, file) });
    }
  }

  /** Starts the broker from the Broker view: TCP only, this deadline, the hold as given. */
  async function startBroker(deadlineMs: number, hold: boolean): Promise<string> {
    await page.getByTestId('nav-broker').click();
    await page.waitForURL(/#\/broker$/);
    if (await page.getByTestId('broker-stop').isVisible()) {
      await page.getByTestId('broker-stop').click();
    }
    await page.getByTestId('broker-form').waitFor();
    await page.getByTestId('broker-tcp').check();
    await page.getByTestId('broker-tls').uncheck();
    await page.getByTestId('broker-ws').uncheck();
    await page.getByTestId('broker-deadline').fill(String(deadlineMs));
    await page.getByTestId('broker-hold-deadline').setChecked(hold);
    await page.getByTestId('broker-start').click();
    await page.getByTestId('broker-listeners').waitFor({ timeout: 60_000 });
    return (await text('broker-listener-url'))!;
  }

  /** Waits for the probe to pause (returns the description) or to end (returns null). */
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
    return state === 'connected' || state === 'failed' ? null : text('probe-next-description');
  }

  async function send(description: string): Promise<void> {
    await page.getByTestId('probe-send').click();
    await page.waitForFunction((d) => document.querySelector('[data-testid="probe-next-description"]')?.textContent !== d, description, { timeout: 30_000 });
  }

  async function connectStepping(url: string): Promise<void> {
    await page.getByTestId('nav-probe').click();
    await page.waitForURL(/#\/probe$/);
    if (await page.getByTestId('probe-disconnect').isVisible()) await page.getByTestId('probe-disconnect').click();
    await page.getByTestId('probe-form').waitFor();
    await page.getByTestId('probe-url').fill(url);
    await page.getByTestId('probe-service').fill('mqtt@localhost');
    await page.getByTestId('probe-step').check();
    await page.getByTestId('probe-connect').click();
  }

  it('the Broker view sets and shows the hold per listener', async () => {
    await page.goto(web.url);
    await page.getByTestId('nav-broker').click();
    await page.getByTestId('broker-form').waitFor();
    // On by default: the service's listeners are on 127.0.0.1.
    expect(await page.getByTestId('broker-hold-deadline').isChecked()).toBe(true);
    await page.getByTestId('broker-deadline').fill(String(HELD_DEADLINE_MS));
    await shot('broker-form-light', 'broker-form');
    await theme('dark');
    await shot('broker-form-dark', 'broker-form');
    await theme('light');
    await startBroker(HELD_DEADLINE_MS, true);
    const card = page.getByTestId('broker-listener-deadline');
    expect(await card.getAttribute('data-held')).toBe('true');
    expect(await card.textContent()).toMatch(/Deadline 3 s · held while a bench probe steps/);
    await theme('light');
    await shot('broker-listener-light', 'broker-listeners');
    await theme('dark');
    await shot('broker-listener-dark', 'broker-listeners');
    await theme('light');
    expect(problems).toEqual([]);
  }, 90_000);

  it('connects although every AUTH pause outlasts the deadline, when the broker holds it', async () => {
    const url = (await text('broker-listener-url'))!;
    await connectStepping(url);
    expect(await nextPause()).toMatch(/^CONNECT with the AP-REQ/);
    // No connection before CONNECT, so no broker's clock: nothing said about a deadline.
    expect(await page.getByTestId('probe-deadline').count()).toBe(0);
    await send((await text('probe-next-description'))!);
    let pauses = 0;
    for (let description = await nextPause(); description !== null; description = await nextPause()) {
      pauses++;
      expect(await text('probe-deadline')).toBe('The broker holds its deadline while you step (up to 10 minutes).');
      expect(await page.getByTestId('probe-deadline').getAttribute('data-tone')).toBe('held');
      if (pauses === 1) {
        await shot('probe-held-light');
        await theme('dark');
        await shot('probe-held-dark');
        await theme('light');
      }
      await sleep(HELD_DEADLINE_MS + 700);
      expect(await text('probe-state')).toBe('waiting');
      await send(description);
    }
    expect(pauses, `${await text('probe-state')}: ${(await page.getByTestId('probe-run').textContent()) ?? ''}`).toBe(2);
    expect(await text('probe-state'), (await page.getByTestId('probe-run').textContent()) ?? '').toBe('connected');
    expect(await page.getByTestId('exchange-verdict').getAttribute('data-outcome')).toBe('success');
    expect(problems).toEqual([]);
  }, 90_000);

  it('counts down when the broker does not hold it, and ends the run with the broker\'s words when it gives up', async () => {
    const url = await startBroker(COUNTDOWN_DEADLINE_MS, false);
    expect(await page.getByTestId('broker-listener-deadline').getAttribute('data-held')).toBe('false');
    expect(await text('broker-listener-deadline')).toMatch(/Deadline 9 s · never held/);
    await connectStepping(url);
    const connect = await nextPause();
    expect(connect).toMatch(/^CONNECT/);
    await send(connect!);
    expect(await nextPause()).toBe('AUTH 0x18 with no data (the empty answer to the AP-REP)');

    // The countdown, from what the broker said on its AUTH 0x18, one second at a time.
    const countdown = page.getByTestId('probe-deadline');
    const first = Number(/^The broker gives up in (\d+) s\.$/.exec((await countdown.textContent())!)?.[1]);
    expect(first).toBeGreaterThan(3);
    expect(first).toBeLessThanOrEqual(COUNTDOWN_DEADLINE_MS / 1000);
    await shot('probe-countdown-light');
    await theme('dark');
    await shot('probe-countdown-dark');
    await theme('light');
    await page.waitForFunction((n) => {
      const m = /gives up in (\d+) s/.exec(document.querySelector('[data-testid="probe-deadline"]')?.textContent ?? '');
      return m !== null && Number(m[1]) < n;
    }, first, { timeout: 3_000 });

    // Do not send: the broker gives up, and the run ends by itself.
    await page.getByTestId('probe-failure').waitFor({ timeout: COUNTDOWN_DEADLINE_MS + 5_000 });
    expect(await text('probe-state')).toBe('failed');
    expect(await page.getByTestId('probe-send').count()).toBe(0);
    const reasonString = `authentication did not finish within ${COUNTDOWN_DEADLINE_MS} ms (this listener's deadline)`;
    expect(await text('probe-failure-code')).toBe('0x87 Not Authorized');
    expect(await text('probe-failure-reason')).toContain(`the broker says: ${reasonString}`);
    // The refusing CONNACK shows the broker's Reason String as its error.
    const connack = page.locator('[data-testid="exchange-step"][data-packet="CONNACK"]');
    expect(await connack.getByTestId('step-error').textContent()).toBe(reasonString);
    // The finding comes from the diagnose service, inline and in the failure panel.
    await page.getByTestId('probe-failure-finding').waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('probe-failure-finding').getAttribute('data-id')).toBe('auth-deadline');
    expect(await text('probe-failure-fix')).toMatch(/hold the deadline while a bench probe steps/i);
    expect(await page.getByTestId('exchange-diagnosis-top').getAttribute('data-id')).toBe('auth-deadline');
    expect(await text('probe-ended')).toContain('This run has ended');
    await shot('probe-failed-light');
    await theme('dark');
    await shot('probe-failed-dark');
    await theme('light');
    expect(problems).toEqual([]);
  }, 90_000);
});
