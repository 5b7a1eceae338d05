/**
 * The first ten minutes in Chromium against `kbench web --no-lab` on a fresh data directory: the
 * app opens on Start here, each of its six steps is one click that does the real thing (the lab
 * realm up, the broker, the probe, the AP-REQ decrypted in the Decoder, a stale-keytab scenario,
 * its diagnosis) and ticks; a reload keeps the ticks. Then the History view on the same session
 * (one lab for the file: labs are slow): the probe's and the broker's Exchanges listed, a failed
 * probe arriving live, filters by outcome, source and words checked against the history service,
 * filters kept across a reload, export as a download that parses, delete after a confirm.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import type { HistoryFilter } from '../../main/api/workspace';
import type { Exchange } from '../../main/exchange/model';
import { exchangeSchema, parseExchange } from '../../main/exchange/serialize';
import { openLabWebSession, SCREENSHOTS, type LabWebSession } from '../helpers/lab-web';
import { invokeOver, openBenchSocket } from '../helpers/web';

const STEPS = ['lab', 'broker', 'probe', 'token', 'scenario', 'diagnose'];
/** How long a list may take to follow (events are batched for a quarter second; a loaded machine is slower). */
const SOON = { timeout: 10_000 };

describe('Start here and History (Chromium, web mode, a lab realm brought up from the UI)', () => {
  let session: LabWebSession;
  let page: Page;
  let problems: string[];
  let socket: WebSocket;
  let callId = 1;

  beforeAll(async () => {
    session = await openLabWebSession('start', { lab: false });
    ({ page, problems } = session);
    socket = await openBenchSocket(session.web.port, session.web.token);
  }, 120_000);

  afterAll(async () => {
    socket?.close();
    await session?.close();
  });

  /** A Bench API call over web mode's WebSocket, as a second window would make it. */
  async function call<T>(service: string, method: string, ...args: unknown[]): Promise<T> {
    const id = callId++;
    const answer = await invokeOver(socket, id, JSON.stringify({ type: 'invoke', id, service, method, args }));
    if (answer.type !== 'result' || !answer.result.ok) throw new Error(`${service}.${method} failed: ${JSON.stringify(answer)}`);
    return answer.result.value as T;
  }
  const history = (filter: HistoryFilter = {}) => call<Exchange[]>('history', 'list', filter);

  const trimmed = async (locator: Locator) => (await locator.textContent())?.replace(/\s+/g, ' ').trim();
  const step = (id: string) => page.locator(`[data-testid="start-step"][data-step="${id}"]`);
  const states = () => page.getByTestId('start-step').evaluateAll((els) => els.map((e) => e.getAttribute('data-state')));

  /** Waits until a step has finished (done or failed) and says which; a failure's text fails the test. */
  async function finished(id: string, timeout = 60_000): Promise<void> {
    await page.waitForFunction((s) => ['done', 'failed'].includes(document.querySelector(`[data-testid="start-step"][data-step="${s}"]`)?.getAttribute('data-state') ?? ''), id, { timeout });
    const error = step(id).getByTestId('start-step-error');
    expect(await error.count(), (await error.count()) ? ((await error.textContent()) ?? '') : '').toBe(0);
    expect(await step(id).getAttribute('data-state')).toBe('done');
    expect(await step(id).getByTestId('start-step-mark').textContent()).toBe('✓');
  }

  /** The page in light and in dark (the "system" theme follows the browser), mouse and focus out of the way. */
  async function shoot(name: string): Promise<void> {
    await page.mouse.move(1275, 795);
    await page.evaluate(() => {
      (document.activeElement as HTMLElement | null)?.blur();
      document.getElementById('main')?.scrollTo(0, 0);
    });
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark');
    await page.waitForTimeout(300); // colour transitions
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-dark.png`) });
    await page.emulateMedia({ colorScheme: 'light' });
    await page.waitForFunction(() => document.documentElement.dataset.theme === 'light');
  }

  it('opens on Start here the first time, nothing done, the lab step next and the Doctor one click away', async () => {
    await page.goto(session.web.url);
    await page.waitForURL(/#\/start$/);
    await page.getByTestId('start-view').waitFor();
    expect(await page.locator('h1').textContent()).toBe('Start here');
    // "Start here" heads the navigation.
    expect(await page.locator('nav a.nav-link').first().getAttribute('data-testid')).toBe('nav-start');
    await expect.poll(() => page.getByTestId('start-step').evaluateAll((els) => els.map((e) => e.getAttribute('data-step')))).toEqual(STEPS);
    await expect.poll(states, SOON).toEqual(['next', 'todo', 'todo', 'todo', 'todo', 'todo']);
    expect(await page.getByTestId('start-progress').textContent()).toBe('0 of 6 done');
    expect(await page.getByTestId('start-run-lab').getAttribute('class')).toContain('primary');
    expect(await page.getByTestId('start-doctor').getAttribute('href')).toBe('#/doctor');
    expect(await page.getByTestId('start-complete').count()).toBe(0);
    await shoot('start-fresh');
    expect(problems).toEqual([]);
  });

  it('brings the lab up, starts the broker and probes it, one click each, ticking each', async () => {
    await page.getByTestId('start-run-lab').click();
    await step('lab').getByTestId('start-step-running').waitFor();
    await finished('lab');
    expect(await trimmed(step('lab').getByTestId('start-step-seen'))).toMatch(/^BENCH\.TEST is running: KDC 127\.0\.0\.1:\d+, 5 principals, alice has a ticket\.$/);
    expect((await call<{ state: string }>('lab', 'status')).state).toBe('running');
    expect(await step('broker').getAttribute('data-state')).toBe('next');

    await page.getByTestId('start-run-broker').click();
    await finished('broker');
    const broker = await call<{ running: boolean; listeners: { protocol: string; url: string }[]; principal: string }>('broker', 'status');
    expect(broker.running).toBe(true);
    expect(broker.listeners.map((l) => l.protocol)).toEqual(['tcp']);
    expect(await trimmed(step('broker').getByTestId('start-step-seen'))).toBe(`Listening on ${broker.listeners[0]!.url} as mqtt/localhost@BENCH.TEST.`);

    await page.getByTestId('start-run-probe').click();
    await finished('probe');
    const probes = await history({ source: 'probe' });
    expect(probes.map((e) => [e.verdict.outcome, e.service, e.identity?.principal, e.meta?.url])).toEqual([['success', 'mqtt@localhost', 'alice@BENCH.TEST', broker.listeners[0]!.url]]);
    expect(await step('probe').getByTestId('start-step-seen').textContent()).toContain(`alice@BENCH.TEST authenticated to mqtt@localhost: ${probes[0]!.steps.map((s) => s.transport.packet).join(' → ')}.`);
    expect(await states()).toEqual(['done', 'done', 'done', 'next', 'todo', 'todo']);
    expect(await page.getByTestId('start-progress').textContent()).toBe('3 of 6 done');
    await shoot('start-half');
    expect(problems).toEqual([]);
  });

  it('opens the probe\'s AP-REQ in the Decoder, its ticket decrypted with the broker\'s keytab', async () => {
    await page.getByTestId('start-run-token').click();
    await page.waitForURL(/#\/decoder$/);
    const tree = page.getByTestId('field-tree');
    const ticketPart = tree.locator('[data-testid="tree-node"][data-name="EncTicketPart"]');
    await ticketPart.waitFor({ timeout: 30_000 });
    expect(await tree.locator('[data-testid="tree-node"][data-name="AP-REQ"]').count()).toBe(1);
    expect(await ticketPart.textContent()).toContain('client alice@BENCH.TEST');
    const cname = tree.locator(`[data-testid="tree-node"][data-name="cname"][data-id^="${await ticketPart.getAttribute('data-id')}/"]`);
    expect(await cname.textContent()).toContain('alice');
    expect((await page.getByTestId('decrypted-badge').allTextContents())[0]).toMatch(/keytab .*service\.keytab: mqtt\/localhost@BENCH\.TEST kvno \d+/);

    await page.getByTestId('nav-start').click();
    await page.getByTestId('start-view').waitFor();
    expect(await step('token').getAttribute('data-state')).toBe('done');
    expect(await step('scenario').getAttribute('data-state')).toBe('next');
    expect(problems).toEqual([]);
  });

  it('breaks the lab with a stale keytab and diagnoses it: the Diagnose view ends on the finding', async () => {
    await page.getByTestId('start-run-scenario').click();
    await step('scenario').getByTestId('start-step-running').waitFor();
    await finished('scenario', 90_000);
    expect(await step('scenario').getByTestId('start-captured').textContent()).toMatch(/kvno \d+ not found in keytab; keytab is likely out of date/);

    await page.getByTestId('start-run-diagnose').click();
    await page.waitForURL(/#\/diagnose$/);
    const top = page.locator('[data-testid="finding"][data-rank="1"]');
    await top.waitFor({ timeout: 30_000 });
    expect(await top.getAttribute('data-id')).toBe('keytab-kvno-out-of-date');
    expect(await page.getByTestId('diagnose-message').inputValue()).toMatch(/not found in keytab/);

    await page.getByTestId('nav-start').click();
    await page.getByTestId('start-complete').waitFor();
    expect(await states()).toEqual(['done', 'done', 'done', 'done', 'done', 'done']);
    expect(await step('diagnose').getByTestId('start-step-seen').textContent()).toContain('Top finding: Keytab is out of date (key version number too old) — keytab-kvno-out-of-date.');
    expect(await page.getByTestId('start-progress').textContent()).toBe('6 of 6 done');
    await shoot('start-done');
    expect(problems).toEqual([]);
  });

  it('keeps the ticks across a reload, and opens where it was left', async () => {
    // Let the workspace write the last change (it waits a moment after each).
    await page.waitForTimeout(800);
    const saved = JSON.parse(await readFile(path.join(session.dataDir, 'workspace.json'), 'utf8')) as { views: { start: { ticks: Record<string, string | null> } } };
    expect(Object.entries(saved.views.start.ticks).filter(([, at]) => at !== null).map(([id]) => id).sort()).toEqual([...STEPS].sort());
    await page.reload();
    await page.getByTestId('start-complete').waitFor();
    expect(await states()).toEqual(['done', 'done', 'done', 'done', 'done', 'done']);
    // The URL kbench web printed names no view: the app opens on the saved route.
    await page.getByTestId('nav-doctor').click();
    await page.waitForURL(/#\/doctor$/);
    await page.waitForTimeout(800);
    await page.goto(session.web.url);
    await page.waitForURL(/#\/doctor$/);
    expect(problems).toEqual([]);
  });

  it('says when a done step no longer holds, and why a step failed with what to do', async () => {
    await page.getByTestId('nav-start').click();
    await page.getByTestId('start-view').waitFor();
    // The lab's status takes MIT's kadmin a second or two to read: "Checking…" until then.
    await expect.poll(() => trimmed(step('lab').getByTestId('start-step-seen')), { timeout: 20_000 }).toMatch(/^BENCH\.TEST is running/);
    await call('broker', 'stop');
    await expect.poll(() => trimmed(step('broker').getByTestId('start-step-seen')), { timeout: 10_000 }).toBe('Done before, but the broker is not running now.');
    expect(await step('broker').getAttribute('data-state')).toBe('done'); // ticked: it was done

    await page.getByTestId('start-run-probe').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="start-step"][data-step="probe"]')?.getAttribute('data-state') === 'failed');
    expect(await step('probe').getByTestId('start-step-mark').textContent()).toBe('!');
    expect(await page.getByTestId('start-complete').count()).toBe(0); // not while a step fails
    expect(await trimmed(step('probe').getByTestId('start-step-error-text'))).toBe('The broker is not running with a TCP listener: start it first (step 2).');
    expect(await step('probe').getByTestId('start-step-advice').getByRole('link', { name: 'Probe' }).getAttribute('href')).toBe('#/probe');
    await shoot('start-failed');

    // Step 2 again, then the probe: the failure is gone.
    await page.getByTestId('start-run-broker').click();
    await finished('broker');
    await page.getByTestId('start-run-probe').click();
    await finished('probe');
    await page.getByTestId('start-complete').waitFor();
    expect(problems).toEqual([]);
  });

  // ---- History ------------------------------------------------------------------------------------

  const rows = () => page.getByTestId('history-row');
  const rowIds = () => rows().evaluateAll((els) => els.map((e) => e.getAttribute('data-id')));
  const ids = (list: Exchange[]) => list.map((e) => e.id);

  it('lists this session\'s Exchanges newest first, and a failed probe as it happens', async () => {
    await page.getByTestId('nav-history').click();
    await page.waitForURL(/#\/history$/);
    await page.getByTestId('history-list').waitFor();
    const all = await history();
    // The probe's two runs (connect, and the run after the broker restart) and the broker's two connections.
    expect(all.map((e) => `${e.source} ${e.verdict.outcome}`).sort()).toEqual(['broker success', 'broker success', 'probe success', 'probe success']);
    await expect.poll(rowIds, SOON).toEqual(ids(all));
    expect(await page.getByTestId('history-count').textContent()).toBe('4 Exchanges');

    // A probe for a service the realm does not have, started elsewhere: it shows up here live.
    const broker = await call<{ listeners: { url: string }[] }>('broker', 'status');
    await call('probe', 'start', { url: broker.listeners[0]!.url, service: 'nosuch@localhost', profile: 'lab', method: 'GSSAPI-KERBEROS', step: false });
    await page.locator('[data-testid="history-row"][data-outcome="failure"]').first().waitFor({ timeout: 30_000 });
    const now = await history();
    await expect.poll(rowIds, SOON).toEqual(ids(now));
    const failed = now.filter((e) => e.verdict.outcome === 'failure');
    expect(failed.length).toBeGreaterThanOrEqual(1);
    expect(await page.locator('[data-testid="history-row"][data-outcome="failure"]').first().getByTestId('history-row-reason').textContent()).toContain(failed[0]!.verdict.reason);

    // Open one: its steps in the Exchange viewer.
    const probe = now.find((e) => e.source === 'probe' && e.verdict.outcome === 'success')!;
    await page.locator(`[data-testid="history-row"][data-id="${probe.id}"]`).getByTestId('history-row-open').click();
    await page.getByTestId('exchange-viewer').waitFor();
    expect(await page.getByTestId('history-selected').textContent()).toContain(`Probe to ${probe.meta!.url}`);
    await expect.poll(() => page.getByTestId('exchange-step').count(), SOON).toBe(probe.steps.length);
    await shoot('history');

    // ↓ in the list shows the next (older) Exchange.
    const at = now.findIndex((e) => e.id === probe.id);
    await page.locator(`[data-testid="history-row"][data-id="${probe.id}"]`).getByTestId('history-row-open').focus();
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => page.locator('[data-testid="history-row"].selected').getAttribute('data-id'), SOON).toBe(now[at + 1]!.id);
    expect(problems).toEqual([]);
  });

  it('filters by outcome, source and words as the history service does, and keeps the filters across a reload', async () => {
    await page.getByTestId('history-outcome').selectOption('failure');
    await expect.poll(rowIds, SOON).toEqual(ids(await history({ outcome: 'failure' })));
    expect(await rows().evaluateAll((els) => els.every((e) => e.getAttribute('data-outcome') === 'failure'))).toBe(true);
    const total = (await history()).length;
    expect(await page.getByTestId('history-count').textContent()).toBe(`${(await history({ outcome: 'failure' })).length} of ${total} Exchanges`);

    await page.getByTestId('history-outcome').selectOption('');
    await page.getByTestId('history-source').selectOption('broker');
    await expect.poll(rowIds, SOON).toEqual(ids(await history({ source: 'broker' })));
    expect(await rows().evaluateAll((els) => els.every((e) => e.getAttribute('data-source') === 'broker'))).toBe(true);

    await page.getByTestId('history-source').selectOption('');
    await page.getByTestId('history-text').fill('nosuch');
    const nosuch = await history({ text: 'nosuch' });
    expect(nosuch.length).toBeGreaterThanOrEqual(1);
    await expect.poll(rowIds, SOON).toEqual(ids(nosuch));
    await page.getByTestId('history-text').fill('no-such-word-anywhere');
    await page.getByTestId('history-none-match').waitFor();

    await page.getByTestId('history-text').fill('');
    await page.getByTestId('history-outcome').selectOption('success');
    await page.waitForTimeout(800);
    await page.reload();
    await page.getByTestId('history-list').waitFor();
    expect(await page.getByTestId('history-outcome').inputValue()).toBe('success');
    await expect.poll(rowIds, SOON).toEqual(ids(await history({ outcome: 'success' })));
    await page.getByTestId('history-clear-filters').click();
    await expect.poll(rowIds, SOON).toEqual(ids(await history()));
    expect(problems).toEqual([]);
  });

  it('exports all, or one, as a file that parses', async () => {
    const all = await history();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('history-export-all').click()]);
    expect(download.suggestedFilename()).toMatch(/^kbench-exchanges-[\dT-]+\.json$/);
    const file = JSON.parse(await readFile((await download.path())!, 'utf8')) as { format: string; version: number; exchanges: unknown[] };
    expect(file.format).toBe('kbench-exchanges');
    expect(file.version).toBe(1);
    expect(file.exchanges.map((e) => exchangeSchema.parse(e).id).sort()).toEqual(ids(all).sort());
    expect(await page.getByTestId('history-notice').textContent()).toBe(`Exported ${all.length} Exchanges as ${download.suggestedFilename()}.`);

    const broker = all.find((e) => e.source === 'broker')!;
    await page.locator(`[data-testid="history-row"][data-id="${broker.id}"]`).getByTestId('history-row-open').click();
    const [one] = await Promise.all([page.waitForEvent('download'), page.getByTestId('history-export-one').click()]);
    expect(one.suggestedFilename()).toMatch(/^kbench-exchange-broker-.*\.json$/);
    const exchange = parseExchange(await readFile((await one.path())!, 'utf8'));
    expect(exchange.id).toBe(broker.id);
    expect(exchange.identity?.principal).toBe('alice@BENCH.TEST');
    expect(problems).toEqual([]);
  });

  it('deletes the ticked ones after a confirm that says how many, then clears all', async () => {
    const before = await history();
    const victim = before.find((e) => e.verdict.outcome === 'failure')!;
    await page.locator(`[data-testid="history-row"][data-id="${victim.id}"]`).getByTestId('history-row-check').check();
    await page.getByTestId('history-delete-checked').click();
    expect(await page.getByTestId('history-confirm').textContent()).toContain('Delete 1 Exchange from this session\'s history?');
    await page.getByTestId('history-confirm-cancel').click();
    expect(await page.getByTestId('history-confirm').count()).toBe(0);
    expect(ids(await history())).toContain(victim.id);

    await page.getByTestId('history-delete-checked').click();
    await page.getByTestId('history-confirm-delete').click();
    await expect.poll(rowIds, SOON).toEqual(ids(before).filter((id) => id !== victim.id));
    expect(ids(await history())).not.toContain(victim.id);

    await page.getByTestId('history-delete-all').click();
    expect(await page.getByTestId('history-confirm').textContent()).toContain(`Delete all ${before.length - 1} Exchange`);
    await page.getByTestId('history-confirm-delete').click();
    await page.getByTestId('history-empty').waitFor();
    expect(await history()).toEqual([]);
    expect(await page.getByTestId('history-empty').textContent()).toContain('No Exchanges in this session yet');
    expect(problems).toEqual([]);
  });
});
