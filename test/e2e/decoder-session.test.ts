/**
 * The Decoder view with several pasted messages: a FAST-armored kinit and kvno as the KDC sent
 * and received them (test/fixtures/world), pasted one per paragraph, decoded as one session.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mic } from '../../main/krb/gss';
import { launchChromium } from '../helpers/browser';
import { startKbenchWeb, type RunningWeb } from '../helpers/web';
import { world, worldKeytabBytes } from '../helpers/world';

const SCREENSHOTS = path.resolve('test-results/screenshots');

function records(hex: string): Buffer[] {
  const stream = Buffer.from(hex, 'hex');
  const out: Buffer[] = [];
  for (let at = 0; at < stream.length; at += 4 + stream.readUInt32BE(at)) out.push(stream.subarray(at + 4, at + 4 + stream.readUInt32BE(at)));
  return out;
}

describe('Decoder: several messages as one session (Chromium)', () => {
  let web: RunningWeb;
  let browser: Browser;
  let page: Page;
  let dir: string;
  let keytab: string;
  const problems: string[] = [];

  beforeAll(async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-e2e-session-'));
    keytab = path.join(dir, 'world.keytab');
    await writeFile(keytab, worldKeytabBytes);
    web = await startKbenchWeb();
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on('pageerror', (e) => problems.push(e.message));
  });
  afterAll(async () => {
    await browser?.close();
    await web?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('decodes the pasted messages in order, keys from one opening the next, and moves between them by keyboard', async () => {
    await page.goto(web.url);
    await page.getByTestId('nav-decoder').click();
    await page.getByTestId('decoder-keytab-path').fill(keytab);
    await page.getByTestId('decoder-keytab-open').click();
    await page.getByTestId('decoder-key').waitFor();
    // Base64 wrapped at 64 columns, as tools print it: a wrapped message stays one message.
    const pasted = records(world.kdcStreamFast).map((bytes) => bytes.toString('base64').replace(/(.{64})/g, '$1\n')).join('\n\n');
    await page.getByTestId('decoder-input').fill(pasted);
    expect(await page.getByTestId('decoder-session-note').textContent()).toContain('6 messages (separated by blank lines)');
    await page.getByTestId('decoder-decode').click();
    const tabs = page.getByTestId('decoder-messages').getByRole('tab');
    await expect.poll(() => tabs.count()).toBe(6);
    expect((await tabs.allTextContents()).map((t) => t.trim())).toEqual(['1 AS-REQ', '2 KRB-ERROR', '3 AS-REQ', '4 AS-REP', '5 TGS-REQ', '6 TGS-REP']);

    // The KRB-ERROR's FAST reply opens with the armor key learned from message 1.
    await tabs.nth(1).click();
    await expect.poll(() => page.getByTestId('decoder-kind').textContent()).toBe('KRB-ERROR');
    await tabs.nth(1).press('ArrowRight');
    await expect.poll(() => page.getByTestId('decoder-kind').textContent()).toBe('AS-REQ');
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => page.getByTestId('decoder-kind').textContent()).toBe('AS-REP');
    expect(await page.getByTestId('learned-keys').textContent()).toContain('FAST strengthened reply key');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'decoder-session.png') });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.getByTestId('theme-toggle').click(); // system → light
    await page.getByTestId('theme-toggle').click(); // light → dark
    await page.screenshot({ path: path.join(SCREENSHOTS, 'decoder-session-dark.png') });
    expect(problems).toEqual([]);
  });

  it('verifies a MIC token once it is given the message it protects', async () => {
    const key = Buffer.from('14f9bde6b50ec508201a97f74c4e5bd3', 'hex');
    const token = mic(key, 17, Buffer.from('hello from the peer'), { sentByAcceptor: true, acceptorSubkey: false, sequence: 5n });
    await page.getByTestId('decoder-input').fill(token.toString('hex'));
    await page.getByTestId('key-tab-raw').click();
    await page.getByTestId('key-raw').fill(`aes128-cts-hmac-sha1-96:${key.toString('hex')}`);
    await page.getByTestId('key-raw').press('Enter');
    await page.getByTestId('decoder-decode').click();
    await expect.poll(() => page.getByTestId('decoder-kind').textContent()).toBe('RFC 4121 MIC token');
    await page.getByTestId('decoder-mic-message').fill('hello from the peer');
    await page.getByTestId('decoder-mic-verify').click();
    await page.getByText('checksum verified').first().waitFor();
    expect(problems).toEqual([]);
  });

  it('hides the new password of a kpasswd exchange in the tree and in the plaintext hex', async () => {
    await page.goto(web.url);
    await page.getByTestId('nav-decoder').click();
    await page.getByTestId('decoder-keytab-path').fill(keytab);
    await page.getByTestId('decoder-keytab-open').click();
    await page.getByTestId('decoder-key').first().waitFor();
    await page.getByTestId('decoder-input').fill(world.kpasswdStream);
    await page.getByTestId('decoder-decode').click();
    await expect.poll(() => page.getByTestId('decoder-kind').textContent()).toContain('kpasswd request (AP-REQ + KRB-PRIV)');
    await page.getByRole('button', { name: /Expand (all|more)/ }).click();
    const userData = page.locator('[data-testid="tree-node"][data-name="user-data"]').first();
    await userData.scrollIntoViewIfNeeded();
    expect(await userData.textContent()).toContain(`<${world.aliceNewPassword.length} bytes hidden: the new password>`);
    await userData.click();
    await expect.poll(() => page.getByTestId('crumb-plaintext').textContent()).toContain('enc-part plaintext');
    expect(await page.getByTestId('byte-inspector').textContent()).not.toContain(world.aliceNewPassword);
    expect(await page.getByTestId('masked-note').textContent()).toContain('password bytes hidden');
    expect(await page.locator('[data-testid="hex-byte"].masked').count()).toBe(world.aliceNewPassword.length);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'decoder-kpasswd.png') });
    expect(problems).toEqual([]);
  });
});
