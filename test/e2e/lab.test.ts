/**
 * The Lab view in Chromium against `kbench web` with its own data directory: bring the realm up
 * from the UI, see the principals MIT has, rotate a key and watch the kvno change, then kinit in a
 * shell with the revealed password and see the KDC's lines arrive in the live log panel.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProgram } from '../helpers/cli';
import { openLabWebSession, SCREENSHOTS, type LabWebSession } from '../helpers/lab-web';
import type { RunningWeb } from '../helpers/web';

describe('the Lab view (Chromium, web mode)', () => {
  let root: string;
  let dataDir: string;
  let web: RunningWeb;
  let page: Page;
  let problems: string[];
  let session: LabWebSession;
  const kbench = (args: string[]) => session.kbench(args);

  beforeAll(async () => {
    session = await openLabWebSession('lab', { lab: false });
    ({ root, dataDir, web, page, problems } = session);
  });

  afterAll(async () => {
    // Stopping web mode disposes the engine (and whatever it runs); the realm goes too.
    await session?.close();
  });

  const row = (name: string) => page.locator(`[data-testid="lab-principal"][data-principal="${name}"]`);

  it('brings the realm up from the UI and lists its principals', async () => {
    expect(web.output()).toContain('Lab realm not started (--no-lab)');
    await page.goto(web.url);
    await page.getByTestId('nav-lab').click();
    await page.getByTestId('lab-absent').waitFor();
    expect(await page.getByTestId('lab-state').textContent()).toBe('absent');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'lab-absent.png') });
    await page.getByTestId('lab-up-empty').click();
    await page.getByTestId('lab-principals').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('lab-state').textContent()).toBe('running');
    expect(await page.getByTestId('lab-notice').textContent()).toMatch(/Realm created and KDC started in \d+\.\d s/);

    const names = await page.getByTestId('lab-principal').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-principal')));
    expect(names).toEqual(['krbtgt/BENCH.TEST@BENCH.TEST', 'alice@BENCH.TEST', 'HTTP/localhost@BENCH.TEST', 'hz/127.0.0.1@BENCH.TEST', 'mqtt/localhost@BENCH.TEST']);
    expect(await row('mqtt/localhost@BENCH.TEST').getByTestId('lab-kvno').textContent()).toBe('2');
    expect(await row('alice@BENCH.TEST').getByTestId('lab-kvno').textContent()).toBe('1');

    // What the UI says is what the CLI (another process) finds.
    const cli = await kbench(['lab', 'status', '--json']);
    expect(cli.code, cli.stderr).toBe(0);
    const status = JSON.parse(cli.stdout) as { state: string; kdc: string; pid: number };
    expect(status.state).toBe('running');
    expect(await page.getByTestId('lab-kdc').textContent()).toBe(status.kdc);
    expect(await page.getByTestId('lab-pid').textContent()).toContain(`pid ${status.pid}`);
    expect(await page.getByTestId('lab-exports').textContent()).toContain(`export KRB5CCNAME=FILE:${path.join(dataDir, 'lab', 'BENCH.TEST', 'alice.ccache')}`);
    expect(await page.getByTestId('lab-password').textContent()).toBe('hidden');
    expect(problems).toEqual([]);
  });

  it('rotates a key (after saying what it changes) and shows the new kvno', async () => {
    await row('mqtt/localhost@BENCH.TEST').getByTestId('lab-rotate').click();
    await page.getByTestId('lab-confirm-effects').waitFor();
    await page.getByTestId('lab-confirm-go').click();
    await page.waitForFunction(
      () => document.querySelector('[data-principal="mqtt/localhost@BENCH.TEST"] [data-testid="lab-kvno"]')?.textContent === '3',
      undefined,
      { timeout: 15_000 },
    );
    expect(await page.getByTestId('lab-outcome-text').textContent()).toContain('mqtt/localhost@BENCH.TEST: kvno 2 → 3');
    // (MIT agrees: the next test's kvno gets a kvno 3 ticket.)
    expect(problems).toEqual([]);
  });

  it('reveals alice\'s password; a kinit with it shows up in the live KDC log', async () => {
    await page.getByTestId('lab-reveal').click();
    await page.locator('code[data-testid="lab-password"]').waitFor();
    const password = (await page.getByTestId('lab-password').textContent())!.trim();
    expect(password.length).toBeGreaterThanOrEqual(20);

    const dir = path.join(dataDir, 'lab', 'BENCH.TEST');
    const env = { ...process.env, KRB5_CONFIG: path.join(dir, 'krb5.conf'), KRB5CCNAME: `FILE:${path.join(root, 'fresh.ccache')}` };
    const kinit = await runProgram('kinit', ['alice'], env, `${password}\n`);
    expect(kinit.code, kinit.stderr).toBe(0);
    const kvno = await runProgram('kvno', ['mqtt/localhost'], env);
    expect(kvno.stdout).toContain('mqtt/localhost@BENCH.TEST: kvno = 3');

    const log = page.getByTestId('lab-log');
    await log.getByText(/AS_REQ .* ISSUE: .* alice@BENCH\.TEST for krbtgt\/BENCH\.TEST@BENCH\.TEST/).first().waitFor({ timeout: 10_000 });
    await log.getByText(/TGS_REQ .* ISSUE: .* alice@BENCH\.TEST for mqtt\/localhost@BENCH\.TEST/).first().waitFor({ timeout: 10_000 });
    // The panel follows the end.
    const atEnd = await log.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight < 30);
    expect(atEnd).toBe(true);

    // Paused: new lines wait and are counted, then arrive on resume.
    await page.getByTestId('lab-log-pause').click();
    await runProgram('kvno', ['HTTP/localhost'], env);
    await page.getByTestId('log-pending').waitFor({ timeout: 10_000 });
    await page.getByTestId('lab-log-pause').click();
    await log.getByText(/alice@BENCH\.TEST for HTTP\/localhost@BENCH\.TEST/).first().waitFor({ timeout: 5000 });
    expect(problems).toEqual([]);
  });

  it('flips a flag and shifts the clock from the UI', async () => {
    // A flag change says what it does first; the box changes only once it is applied.
    await row('alice@BENCH.TEST').getByTestId('lab-flag-tix').click();
    await page.getByTestId('lab-confirm-effects').getByText('-allow_tix').waitFor();
    expect(await row('alice@BENCH.TEST').getByTestId('lab-flag-tix').isChecked()).toBe(true);
    await page.getByTestId('lab-confirm-go').click();
    await page.waitForFunction(() => (document.querySelector('[data-principal="alice@BENCH.TEST"] [data-testid="lab-flag-tix"]') as HTMLInputElement | null)?.checked === false);
    const refused = await runProgram('kinit', ['alice'], { ...process.env, KRB5_CONFIG: path.join(dataDir, 'lab', 'BENCH.TEST', 'krb5.conf'), KRB5CCNAME: `FILE:${path.join(root, 'x.ccache')}` }, 'x\n');
    expect(refused.stderr).toMatch(/credentials have been revoked/);
    await row('alice@BENCH.TEST').getByTestId('lab-flag-tix').click();
    await page.getByTestId('lab-confirm-effects').waitFor();
    await page.getByTestId('lab-confirm-go').click();
    await page.waitForFunction(() => (document.querySelector('[data-principal="alice@BENCH.TEST"] [data-testid="lab-flag-tix"]') as HTMLInputElement | null)?.checked === true);

    await page.getByTestId('lab-offset').fill('600');
    await page.getByTestId('lab-offset-apply').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="lab-clock"]')?.textContent?.includes('+10 min'), undefined, { timeout: 15_000 });
    await page.getByTestId('lab-offset-reset').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="lab-clock"]')?.textContent?.includes('none'), undefined, { timeout: 15_000 });

    await page.evaluate(() => document.getElementById('main')?.scrollTo(0, 0));
    await page.screenshot({ path: path.join(SCREENSHOTS, 'lab.png') });
    await page.getByTestId('lab-principals').scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'lab-principals.png') });
    await page.getByTestId('lab-log').scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'lab-log.png') });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark');
    await page.evaluate(() => document.getElementById('main')?.scrollTo(0, 0));
    await page.screenshot({ path: path.join(SCREENSHOTS, 'lab-dark.png') });
    expect(problems).toEqual([]);
  });
});
