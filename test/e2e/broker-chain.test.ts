/**
 * The chain editor in the Broker view, in Chromium against `kbench web` with a lab realm of its own:
 * open an Azure IoT MQ BrokerAuthentication + BrokerListener YAML (usernamePassword, then kerberos),
 * see the methods in order, reorder them by keyboard, see a broken file's problem with its line,
 * try connections through the chain (the right password is let in by usernamePassword, a wrong one
 * is not), then start the broker with the chain and find a real MQTT.js connection's decision
 * trace in its Exchange.
 */
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import mqtt from 'mqtt';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLabWebSession, screenshotBothThemes, type LabWebSession } from '../helpers/lab-web';
import type { RunningWeb } from '../helpers/web';

const PASSWORD = 'correct horse battery staple';

/**
 * Azure's PBKDF2 hash format ($pbkdf2-sha512$i=N,l=64$SALT$HASH, unpadded base64), made here with
 * node:crypto rather than the bench's own code, so the test checks the bench against the format.
 */
function azureHash(password: string, iterations = 1000): string {
  const salt = randomBytes(16);
  const hash = pbkdf2Sync(password, salt, iterations, 64, 'sha512');
  const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '');
  return `$pbkdf2-sha512$i=${iterations},l=64$${b64(salt)}$${b64(hash)}`;
}

/** A port free on 127.0.0.1 right now (for the chain's listener). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

const chainYaml = (port: number) => `apiVersion: az-edge.com/v1alpha4
kind: BrokerListener
metadata:
  name: bench-listener
  namespace: default
spec:
  brokerRef: broker
  authenticationEnabled: true
  port: ${port}
---
apiVersion: az-edge.com/v1alpha4
kind: BrokerAuthentication
metadata:
  name: bench-authn
  namespace: default
spec:
  listenerRef:
    - bench-listener
  authenticationMethods:
    - usernamePassword:
        secretName: credentials
    - kerberos: {}
`;

/** Line 9 holds a port no listener can have. */
const BROKEN_LINE = 9;
const brokenYaml = chainYaml(1883).replace('  port: 1883', '  port: 70000');

describe('the chain editor and decision trace in the Broker view (Chromium, web mode, lab realm)', () => {
  let session: LabWebSession;
  let web: RunningWeb;
  let page: Page;
  let problems: string[];
  let chainFile: string;
  let brokenFile: string;

  beforeAll(async () => {
    session = await openLabWebSession('broker-chain', { lab: true });
    ({ web, page, problems } = session);
    const dir = path.join(session.root, 'chain');
    await mkdir(path.join(dir, 'credentials'), { recursive: true });
    chainFile = path.join(dir, 'broker-auth.yaml');
    brokenFile = path.join(dir, 'broken.yaml');
    await writeFile(chainFile, chainYaml(await freePort()));
    await writeFile(brokenFile, brokenYaml);
    await writeFile(path.join(dir, 'credentials', 'passwords.toml'), `[client1]\npassword = "${azureHash(PASSWORD)}"\n\n[client1.attributes]\nfloor = "floor1"\n`);
  }, 120_000);

  afterAll(async () => {
    await session?.close();
  });

  const kinds = () => page.getByTestId('chain-method').evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')));

  /** 'saved', or what the editor says instead (its error, its problems), or 'saving'. */
  const saveState = () =>
    page.evaluate(() => {
      const text = (id: string) => document.querySelector(`[data-testid="${id}"]`)?.textContent?.trim();
      return text('chain-error') ?? text('chain-problems') ?? (text('chain-dirty') ? 'saving' : 'saved');
    });

  async function openFile(file: string): Promise<void> {
    await page.getByTestId('chain-path').fill(file);
    await page.getByTestId('chain-open').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="chain-open"]')?.textContent?.trim() === 'Open YAML…', undefined, { timeout: 15_000 });
  }

  it('opens the YAML and shows the chain\'s methods in order, and its listener', async () => {
    await page.goto(web.url);
    await page.getByTestId('nav-broker').click();
    await page.waitForURL(/#\/broker$/);
    await page.getByTestId('broker-chain-toggle').click();
    await page.getByTestId('chain-empty').waitFor();
    await openFile(chainFile);
    expect(await page.getByTestId('chain-problems').count()).toBe(0);
    expect(await kinds()).toEqual(['usernamePassword', 'kerberos']);
    expect(await page.getByTestId('chain-authentication').getAttribute('data-name')).toBe('bench-authn');
    expect(await page.getByTestId('chain-listener').getAttribute('data-name')).toBe('bench-listener');
    expect(await page.getByTestId('chain-listener-auth').isChecked()).toBe(true);
    expect(await page.getByTestId('chain-dirty').count()).toBe(0);
    expect(problems).toEqual([]);
  });

  it('reorders the methods by keyboard (Alt+↓, Alt+↑) and remembers the editor across a reload', async () => {
    const first = page.getByTestId('chain-method').first();
    await first.focus();
    await page.keyboard.press('Alt+ArrowDown');
    expect(await kinds()).toEqual(['kerberos', 'usernamePassword']);
    // The moved method keeps the focus, and a screen reader hears where it went.
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-kind'))).toBe('usernamePassword');
    expect(await page.getByTestId('chain-announce').textContent()).toBe('Username and password moved to position 2 of 2');
    await page.getByTestId('chain-dirty').waitFor();

    // The edited order survives a reload (the workspace keeps the editor's state).
    await page.waitForTimeout(800);
    await page.reload();
    await page.getByTestId('chain-editor').waitFor();
    expect(await page.getByTestId('chain-path').inputValue()).toBe(chainFile);
    expect(await kinds()).toEqual(['kerberos', 'usernamePassword']);

    await page.locator('[data-testid="chain-method"][data-kind="usernamePassword"]').focus();
    await page.keyboard.press('Alt+ArrowUp');
    expect(await kinds()).toEqual(['usernamePassword', 'kerberos']);
    // Dragging (HTML5 drag and drop) and the arrow buttons reorder too.
    await page.locator('[data-testid="chain-method"][data-kind="kerberos"]').dragTo(page.locator('[data-testid="chain-method"][data-kind="usernamePassword"]'));
    expect(await kinds()).toEqual(['kerberos', 'usernamePassword']);
    await page.locator('[data-testid="chain-method"][data-kind="usernamePassword"]').getByTestId('chain-method-up').click();
    expect(await kinds()).toEqual(['usernamePassword', 'kerberos']);
    // The settings of a method open with Enter.
    await page.locator('[data-testid="chain-method"][data-kind="usernamePassword"]').focus();
    await page.keyboard.press('Enter');
    expect(await page.getByTestId('chain-up-secret').inputValue()).toBe('credentials');
    // Save writes the file (the same resources, in this order); opening it again shows that order.
    await page.getByTestId('chain-save').click();
    await expect.poll(saveState, { timeout: 15_000 }).toBe('saved');
    await openFile(chainFile);
    expect(await kinds()).toEqual(['usernamePassword', 'kerberos']);
    // (usernamePassword's settings are still open from the Enter above)
    expect(await page.getByTestId('chain-method-form').count()).toBe(1);
    await screenshotBothThemes(page, 'chain-editor', async () => {
      await page.getByTestId('broker-chain').scrollIntoViewIfNeeded();
    });
    expect(problems).toEqual([]);
  });

  it('lists a broken file\'s problem with its file:line and YAML path', async () => {
    await openFile(brokenFile);
    const problem = page.getByTestId('chain-problem').first();
    await problem.waitFor();
    expect(Number(await problem.getAttribute('data-line'))).toBe(BROKEN_LINE);
    expect(await problem.getAttribute('data-path')).toContain('port');
    expect(await problem.getByTestId('chain-problem-where').textContent()).toBe(`broken.yaml:${BROKEN_LINE}`);
    expect(await page.getByTestId('chain-start').count()).toBe(0);
    await screenshotBothThemes(page, 'chain-problems');
    expect(problems).toEqual([]);
  });

  it('tries connections: the right password is allowed by usernamePassword, a wrong one denied', async () => {
    await openFile(chainFile);
    expect(await kinds()).toEqual(['usernamePassword', 'kerberos']);
    await page.getByTestId('chain-try-username').fill('client1');
    await page.getByTestId('chain-try-password').fill(PASSWORD);
    await page.getByTestId('chain-try-run').click();
    const trace = page.getByTestId('chain-try').getByTestId('chain-trace');
    await trace.waitFor({ timeout: 30_000 });
    expect(await trace.getAttribute('data-allowed')).toBe('true');
    expect(await trace.getAttribute('data-ended-by')).toBe('usernamePassword');
    const ended = trace.locator('[data-testid="chain-trace-row"][data-ended="true"]');
    expect(await ended.getAttribute('data-method')).toBe('usernamePassword');
    expect(await ended.getAttribute('data-valid')).toBe('true');
    expect(await trace.getByTestId('chain-trace-outcome').textContent()).toBe('allowed');
    await screenshotBothThemes(page, 'chain-try-allowed', async () => {
      await trace.scrollIntoViewIfNeeded();
    });

    await page.getByTestId('chain-try-password').fill('wrong password');
    await page.getByTestId('chain-try-run').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="chain-try"] [data-testid="chain-trace"]')?.getAttribute('data-allowed') === 'false', undefined, { timeout: 30_000 });
    expect(await trace.getAttribute('data-ended-by')).toBe('usernamePassword');
    expect(await ended.getAttribute('data-valid')).toBe('false');
    expect(await trace.getByTestId('chain-trace-outcome').textContent()).toBe('denied');

    // GSSAPI-KERBEROS with the lab's ticket: no username, so usernamePassword is not relevant and
    // kerberos (the next method) ends the chain.
    await page.getByTestId('chain-try-mode-kerberos').click();
    await page.getByTestId('chain-try-run').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="chain-try"] [data-testid="chain-trace"]')?.getAttribute('data-ended-by') === 'kerberos', undefined, { timeout: 30_000 });
    const rows = await trace.getByTestId('chain-trace-row').evaluateAll((els) => els.map((e) => [e.getAttribute('data-method'), e.getAttribute('data-relevant'), e.getAttribute('data-valid')]));
    expect(rows).toEqual([
      ['usernamePassword', 'false', ''],
      ['kerberos', 'true', 'true'],
    ]);
    expect(await trace.getAttribute('data-allowed')).toBe('true');
    await screenshotBothThemes(page, 'chain-try-kerberos', async () => {
      await trace.scrollIntoViewIfNeeded();
    });
    expect(problems).toEqual([]);
  });

  it('starts the broker with the chain; a client\'s connection shows the trace in its Exchange', async () => {
    // One TCP listener is enough.
    await page.getByTestId('broker-tls').uncheck();
    await page.getByTestId('broker-ws').uncheck();
    await page.getByTestId('chain-start').click();
    await page.getByTestId('broker-listeners').waitFor({ timeout: 60_000 });
    const url = (await page.getByTestId('broker-listener-url').allTextContents()).find((u) => u.startsWith('mqtt://'));
    expect(url).toBeDefined();

    const client = await mqtt.connectAsync(url!, { protocolVersion: 5, clientId: 'chain-e2e', username: 'client1', password: PASSWORD, reconnectPeriod: 0, connectTimeout: 10_000 });
    await client.endAsync();

    const row = page.locator('[data-testid="broker-connection"]').filter({ hasText: 'chain-e2e' }).first();
    await row.waitFor({ timeout: 15_000 });
    await row.click();
    const trace = page.getByTestId('exchange-viewer').getByTestId('chain-trace');
    await trace.waitFor({ timeout: 15_000 });
    expect(await trace.getAttribute('data-allowed')).toBe('true');
    expect(await trace.getAttribute('data-ended-by')).toBe('usernamePassword');
    expect(await trace.locator('[data-testid="chain-trace-row"][data-ended="true"]').getAttribute('data-valid')).toBe('true');
    // The reason is the Exchange's own verdict line: said once.
    expect(await trace.getByTestId('chain-trace-reason').count()).toBe(0);
    await screenshotBothThemes(page, 'chain-exchange', async () => {
      await trace.scrollIntoViewIfNeeded();
    });
    await page.getByTestId('broker-stop').click();
    await page.getByTestId('broker-form').waitFor({ timeout: 30_000 });
    expect(problems).toEqual([]);
  });
});
