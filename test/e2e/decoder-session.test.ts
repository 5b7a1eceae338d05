/**
 * The Decoder view with several pasted messages: a FAST-armored kinit and kvno as the KDC sent
 * and received them (test/fixtures/world), pasted one per paragraph, decoded as one session.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { requireEnctype } from '../../main/krb/crypto';
import { flagsFrom } from '../../main/krb/der/schema';
import { mic } from '../../main/krb/gss';
import { EncTicketPart, Ticket, TICKET_FLAG_NAMES } from '../../main/krb/messages';
import { AuthorizationData } from '../../main/krb/messages/authdata';
import { KeyUsage } from '../../main/krb/usages';
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

  it('shows a PAC claims set Windows compressed as a decompressed part, its bytes in the hex pane', async () => {
    // A ticket whose PAC holds one PAC_CLIENT_CLAIMS_INFO buffer: the XPRESS_HUFF-compressed claims
    // set of test/unit/krb/pac-claims.test.ts (Windows-made), inside AD-IF-RELEVANT / AD-WIN2K-PAC.
    const claims = Buffer.from(CLAIMS_XPRESS_HUFF_HEX, 'hex');
    const pac = Buffer.alloc(24);
    pac.writeUInt32LE(1, 0);
    pac.writeUInt32LE(13, 8);
    pac.writeUInt32LE(claims.length, 12);
    pac.writeBigUInt64LE(24n, 16);
    const aes = requireEnctype(18);
    const key = aes.randomKey();
    const now = new Date(Math.floor(Date.now() / 1000) * 1000);
    const part = EncTicketPart.encode({
      flags: flagsFrom(TICKET_FLAG_NAMES, ['forwardable', 'pre-authent']),
      key: { keytype: 18, keyvalue: randomBytes(32) },
      crealm: 'AD.EXAMPLE',
      cname: { nameType: 1, nameString: ['testuser1'] },
      transited: { trType: 1, contents: Buffer.alloc(0) },
      authtime: now,
      endtime: new Date(now.getTime() + 3_600_000),
      authorizationData: [{ adType: 1, adData: AuthorizationData.encode([{ adType: 128, adData: Buffer.concat([pac, claims]) }]) }],
    });
    const ticket = Ticket.encode({ tktVno: 5, realm: 'AD.EXAMPLE', sname: { nameType: 2, nameString: ['HTTP', 'web.ad.example'] }, encPart: { etype: 18, kvno: 3, cipher: aes.encrypt(key, KeyUsage.TICKET_ENC_PART, part) } });
    await page.goto(web.url);
    await page.getByTestId('nav-decoder').click();
    await page.getByTestId('decoder-input').fill(ticket.toString('hex'));
    await page.getByTestId('key-tab-raw').click();
    await page.getByTestId('key-raw').fill(`aes256-cts-hmac-sha1-96:${key.toString('hex')}`);
    await page.getByTestId('key-raw').press('Enter');
    await page.getByTestId('decoder-decode').click();
    await expect.poll(() => page.getByTestId('decoder-kind').textContent()).toBe('Ticket');
    await page.getByRole('button', { name: /Expand (all|more)/ }).click();
    const badge = page.getByTestId('decrypted-badge').filter({ hasText: 'decompressed' });
    await badge.scrollIntoViewIfNeeded();
    expect(await badge.textContent()).toContain('COMPRESSION_FORMAT_XPRESS_HUFF, 424 → 480 bytes');
    const claimId = page.locator('[data-testid="tree-node"][data-name="Buffer"]').filter({ hasText: 'ad://ext/sAMAccountName' }).first();
    await claimId.click();
    await expect.poll(() => page.getByTestId('crumb-plaintext').textContent()).toContain('ClaimsSet decompressed · 480 bytes');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'decoder-claims.png') });
    expect(problems).toEqual([]);
  });
});

/** PAC_CLIENT_CLAIMS_INFO with an XPRESS_HUFF claims set (Windows-made; see test/unit/krb/pac-claims.test.ts). */
const CLAIMS_XPRESS_HUFF_HEX =
  '01100800ccccccccd00100000000000000000200a80100000400020004000000e0010000000000000000000000000000a8010000727807888708080007000800080008000800080880000080870870887807000080800000000080080000080000000000605767070007777707677700770000000000000000000000000000000000000000000000000000000000000000000000000000000000070007000000000000000000000000000000000000000000000076000700700000007600000000000000750700000000000064770700000000007607000000000000060700000000000077060700000000707770700070000770007700000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001a85652950bb9d8bae030b2212b90df95764d1b182da22f2c848b23b3cc4efc8e3499701e481cf938e490986a384c3d572250aaab2446572fc26be279c263e4a4c9c2c24f9649e2444d8ddb3277373c600363beb73200baaa783da183dd85830af863e1a00d5cf718aac4879519fbf0745bcc59214493a330f940bf99a446f1ade6df2610c5f154b432eaba964d7ad1f1182e522019fc21ce498a204d06b96a476f7386e6003000000000000';
