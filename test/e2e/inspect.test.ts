/**
 * The Keytab, Credential cache and Decoder views in Chromium against `kbench web`, on real data
 * from a throwaway MIT realm: a service keytab (ktadd), a user keytab with password keys
 * (ktadd -norandkey), alice's ccache with a service ticket (kinit + kvno), an AP-REQ made by the
 * `kerberos` binding, and a keytab from after a re-key. The oracles are MIT's own tools
 * (klist -kteK, klist -e -f -C, kadmin's kvnos) read at test time.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MitRealm } from '../../main/lab/mit/realm';
import { launchChromium } from '../helpers/browser';
import { startKbenchWeb, type RunningWeb } from '../helpers/web';

const SCREENSHOTS = path.resolve('test-results/screenshots');
const SERVICE = 'mqtt/localhost@BENCH.TEST';
const ALICE_PASSWORD = 'alice pw 1';

interface KlistKey {
  kvno: number;
  principal: string;
  enctype: string;
  key: string;
}

/** `klist -kteK` lines: "   2 11/22/26 05:50:08 mqtt/localhost@BENCH.TEST (aes256-cts-hmac-sha1-96)  (0x1ef4…)". */
function klistKeys(keytab: string, env: NodeJS.ProcessEnv): KlistKey[] {
  const out = execFileSync('klist', ['-kteK', keytab], { env, encoding: 'utf8' });
  return [...out.matchAll(/^\s*(\d+)\s+\S+\s+\S+\s+(\S+)\s+\((\S+)\)\s+\(0x([0-9a-f]+)\)\s*$/gm)].map((m) => ({
    kvno: Number(m[1]),
    principal: m[2]!,
    enctype: m[3]!.replace(/^DEPRECATED:/, ''), // MIT 1.20 marks arcfour-hmac so
    key: m[4]!,
  }));
}

const KLIST_FLAGS: Record<string, string> = {
  F: 'forwardable',
  f: 'forwarded',
  P: 'proxiable',
  p: 'proxy',
  D: 'may-postdate',
  d: 'postdated',
  R: 'renewable',
  I: 'initial',
  i: 'invalid',
  H: 'hw-authent',
  A: 'pre-authent',
  T: 'transited-policy-checked',
  O: 'ok-as-delegate',
  a: 'anonymous',
};

interface KlistTicket {
  server: string;
  flags: string[];
  skey: string;
  tkt: string;
}

/** `klist -e -f -C`: each ticket's server, flags (klist letters → names) and enctypes; config lines. */
function klistCcache(ccache: string, env: NodeJS.ProcessEnv): { tickets: KlistTicket[]; config: string[] } {
  const out = execFileSync('klist', ['-e', '-f', '-C', '-c', `FILE:${ccache}`], { env, encoding: 'utf8' });
  const tickets = [...out.matchAll(/^\S+\s+\S+\s+\S+\s+\S+\s+(\S+@\S+)\n(?:.*\n)*?.*Flags: (\w+)\n\s*Etype \(skey, tkt\): ([\w-]+), ([\w-]+)/gm)].map((m) => ({
    server: m[1]!,
    flags: [...m[2]!].map((letter) => KLIST_FLAGS[letter]!),
    skey: m[3]!,
    tkt: m[4]!,
  }));
  const config = [...out.matchAll(/^config: (\w+)\(/gm)].map((m) => m[1]!);
  return { tickets, config };
}

describe('Keytab, Credential cache and Decoder views (Chromium, real MIT data)', () => {
  let root: string;
  let realm: MitRealm;
  let web: RunningWeb;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  const files = { serviceKeytab: '', userKeytab: '', rekeyedKeytab: '', ccache: '', shortCcache: '', token: '' };
  let realmEnv: NodeJS.ProcessEnv;

  beforeAll(async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    root = await mkdtemp(path.join(os.tmpdir(), 'kbench-e2e-inspect-'));
    realm = await MitRealm.create({ dir: path.join(root, 'realm') });
    realmEnv = realm.env();
    await realm.addPrincipal('alice', { password: ALICE_PASSWORD });
    await realm.addPrincipal('mqtt/localhost', { randkey: true });
    files.serviceKeytab = path.join(root, 'svc.keytab');
    await realm.ktadd(files.serviceKeytab, 'mqtt/localhost', { enctypes: ['aes256-cts-hmac-sha1-96', 'aes128-cts-hmac-sha1-96'] });
    files.userKeytab = path.join(root, 'alice.keytab');
    await realm.ktadd(files.userKeytab, 'alice', { norandkey: true });

    await realm.start();
    files.ccache = await realm.kinit('alice', { password: ALICE_PASSWORD }, { ccache: path.join(root, 'alice.ccache') });
    const clientEnv = { ...realmEnv, KRB5CCNAME: `FILE:${files.ccache}` };
    execFileSync('kvno', [SERVICE], { env: clientEnv });
    // The AP-REQ as a real GSS initiator makes it: the binding's first step (it adds the service
    // ticket to the ccache too, which kvno already did).
    files.token = execFileSync(process.execPath, ['-e', "require('kerberos').initializeClient('mqtt@localhost', {}).then((c) => c.step('')).then((t) => process.stdout.write(t))"], {
      env: clientEnv,
      cwd: path.resolve('.'),
      encoding: 'utf8',
    });
    // A TGT that lives one second: expired by the time the view opens it.
    files.shortCcache = await realm.kinit('alice', { password: ALICE_PASSWORD }, { ccache: path.join(root, 'short.ccache'), lifetime: '1s' });
    await realm.stop();
    // Re-key the service after the ticket was issued: its new keytab (kvno 3) cannot open the ticket.
    files.rekeyedKeytab = path.join(root, 'svc-rekeyed.keytab');
    await realm.ktadd(files.rekeyedKeytab, 'mqtt/localhost', { enctypes: ['aes256-cts-hmac-sha1-96', 'aes128-cts-hmac-sha1-96'] });

    web = await startKbenchWeb();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await web?.stop();
    await realm?.destroy();
    if (root) await rm(root, { recursive: true, force: true });
  });
  beforeEach(async () => {
    // A time zone other than the machine's proves times are converted to local time.
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'light', timezoneId: 'Asia/Kolkata', acceptDownloads: true });
    page = await context.newPage();
    problems = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
  });

  async function openView(name: 'keytab' | 'ccache' | 'decoder'): Promise<void> {
    await page.goto(web.url);
    await page.getByTestId(`nav-${name}`).click();
    // A view opens the file it had open (kept in the workspace): its path joins the address.
    await page.waitForURL(new RegExp(`#/${name}(\\?path=.*)?$`));
  }

  const texts = (testid: string) => page.getByTestId(testid).allTextContents().then((all) => all.map((t) => t.trim()));

  it('opens a keytab by path: klist parity, reveal/hide keys, check passwords, add, save and download', async () => {
    const expected = klistKeys(files.serviceKeytab, realmEnv);
    expect(expected.map((k) => k.enctype)).toEqual(['aes256-cts-hmac-sha1-96', 'aes128-cts-hmac-sha1-96']);

    await openView('keytab');
    expect(await page.getByTestId('empty-state').textContent()).toContain('Open a keytab');
    await page.getByTestId('keytab-path').first().fill(files.serviceKeytab);
    await page.getByTestId('keytab-path').first().press('Enter');
    await page.getByTestId('keytab-table').waitFor();

    expect(await texts('kt-principal')).toEqual(expected.map((k) => k.principal));
    expect((await texts('kt-kvno')).map(Number)).toEqual(expected.map((k) => k.kvno));
    expect(await texts('kt-enctype')).toEqual(expected.map((k) => k.enctype));
    expect(await texts('kt-key')).toEqual(['hidden', 'hidden']);
    // Local time (Asia/Kolkata, UTC+5:30) in the cell, the UTC value in the tooltip.
    const timeCell = page.getByTestId('kt-time').first();
    const utc = /(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)/.exec((await timeCell.getAttribute('title')) ?? '')?.[1];
    expect(utc).toBeDefined();
    const local = new Date(new Date(utc!).getTime() + 5.5 * 3600_000).toISOString().replace('T', ' ').slice(0, 19);
    expect(await timeCell.textContent()).toBe(local);

    await page.getByTestId('keytab-reveal').click();
    await page.getByTestId('keytab-reveal').filter({ hasText: 'Hide keys' }).waitFor();
    expect(await texts('kt-key')).toEqual(expected.map((k) => k.key));
    await page.getByTestId('keytab-reveal').click();
    await page.getByTestId('keytab-reveal').filter({ hasText: 'Reveal keys' }).waitFor();
    expect(await texts('kt-key')).toEqual(['hidden', 'hidden']);

    // The field tree and hex dump, with key bytes masked while keys are hidden.
    await page.getByTestId('keytab-bytes').click();
    const panel = page.getByTestId('keytab-bytes-panel');
    await panel.getByTestId('tree-node').first().waitFor();
    const keyNode = panel.locator('[data-testid="tree-node"][data-name="key"]').first();
    expect(await keyNode.textContent()).toContain('<32 bytes hidden>');
    await keyNode.click();
    const selectedBytes = panel.locator('[data-testid="hex-byte"].sel');
    expect(await selectedBytes.count()).toBe(32);
    expect(new Set(await selectedBytes.allTextContents())).toEqual(new Set(['··']));
    await page.getByTestId('keytab-bytes').click();

    // A random service key matches no password: every entry ✗.
    await page.getByTestId('check-password').fill('not the password');
    await page.getByTestId('check-submit').click();
    await page.getByTestId('check-result').waitFor();
    expect(await page.getByTestId('check-summary').textContent()).toContain('matches none');
    expect(await page.getByTestId('check-entry').evaluateAll((els) => els.map((e) => e.getAttribute('data-match')))).toEqual(['false', 'false']);

    // Add entries from a password; they show as rows and the password now matches them.
    await page.getByTestId('add-principal').fill('HTTP/localhost@BENCH.TEST');
    await page.getByTestId('add-kvno').fill('5');
    await page.getByTestId('add-enctype-aes128-cts-hmac-sha1-96').uncheck();
    await page.getByTestId('add-password').fill('http secret');
    await page.getByTestId('add-submit').click();
    await page.getByTestId('keytab-modified').waitFor();
    expect(await texts('kt-principal')).toEqual([...expected.map((k) => k.principal), 'HTTP/localhost@BENCH.TEST']);
    expect(await texts('kt-kvno')).toEqual(['2', '2', '5']);
    expect(await texts('kt-enctype')).toEqual([...expected.map((k) => k.enctype), 'aes256-cts-hmac-sha1-96']);
    await page.getByTestId('check-password').fill('http secret');
    await page.getByTestId('check-submit').click();
    await page.getByTestId('check-result').waitFor();
    expect(await page.getByTestId('check-entry').evaluateAll((els) => els.map((e) => e.getAttribute('data-match')))).toEqual(['false', 'false', 'true']);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'keytab.png') });

    // Download: the bytes the view shows, as a .keytab file.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('keytab-download').click()]);
    expect(download.suggestedFilename()).toBe('svc.keytab');
    const downloaded = path.join(root, 'downloaded.keytab');
    await download.saveAs(downloaded);
    expect(klistKeys(downloaded, realmEnv).map((k) => `${k.principal} ${k.kvno} ${k.enctype}`)).toEqual([
      `${SERVICE} 2 aes256-cts-hmac-sha1-96`,
      `${SERVICE} 2 aes128-cts-hmac-sha1-96`,
      'HTTP/localhost@BENCH.TEST 5 aes256-cts-hmac-sha1-96',
    ]);

    // Remove the first entry, then save to a path on the engine machine; MIT reads the result.
    await page.getByRole('checkbox', { name: /Select entry 1:/ }).check();
    await page.getByTestId('keytab-remove').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="keytab-row"]').length === 2);
    // The path holds something that is not a keytab: the view asks before replacing it.
    const saved = path.join(root, 'saved.keytab');
    await writeFile(saved, '#!/bin/sh\necho not a keytab\n', { mode: 0o755 });
    await page.getByTestId('keytab-save-toggle').click();
    await page.getByTestId('keytab-save-path').fill(saved);
    await page.getByTestId('keytab-save').click();
    const confirm = page.getByTestId('keytab-replace-confirm');
    await confirm.waitFor();
    expect(await confirm.textContent()).toContain(`${saved} is not a keytab. Replace it with this keytab?`);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'keytab-replace-confirm.png') });
    await page.getByTestId('keytab-replace-cancel').click();
    expect(await confirm.count()).toBe(0);
    expect(readFileSync(saved, 'utf8')).toBe('#!/bin/sh\necho not a keytab\n');
    await page.getByTestId('keytab-save').click();
    await page.getByTestId('keytab-replace').click();
    await page.getByTestId('keytab-notice').filter({ hasText: 'Saved' }).waitFor();
    expect(statSync(saved).mode & 0o777).toBe(0o600);
    expect(await page.getByTestId('keytab-modified').count()).toBe(0);
    const savedKeys = klistKeys(saved, realmEnv);
    expect(savedKeys.map((k) => `${k.principal} ${k.kvno} ${k.enctype}`)).toEqual([`${SERVICE} 2 aes128-cts-hmac-sha1-96`, 'HTTP/localhost@BENCH.TEST 5 aes256-cts-hmac-sha1-96']);
    expect(savedKeys[0]!.key).toBe(expected[1]!.key);
    expect(problems).toEqual([]);
  });

  it("opens a picked file, checks a user's password against MIT's own password keys, and creates a new keytab", async () => {
    await openView('keytab');
    // The keytab the last test saved is open again (kept in the workspace): "Open…" picks another.
    await page.getByTestId('keytab-doc').waitFor();
    await page.getByTestId('keytab-open-another').click();
    // "Choose file…": the browser reads the bytes and sends them ({ base64, name }), no path involved.
    await page.getByTestId('keytab-file').setInputFiles(files.userKeytab);
    // The table of the keytab open before stays until the picked one is read: wait for its name.
    await expect.poll(() => page.getByTestId('keytab-name').textContent()).toBe('alice.keytab');
    await page.getByTestId('keytab-table').waitFor();
    const mit = klistKeys(files.userKeytab, realmEnv);
    expect(await texts('kt-enctype')).toEqual(mit.map((k) => k.enctype));

    await page.getByTestId('check-password').fill(ALICE_PASSWORD);
    await page.getByTestId('check-submit').click();
    await page.getByTestId('check-result').waitFor();
    expect(await page.getByTestId('check-summary').textContent()).toContain('matches every key');
    await page.getByTestId('check-password').fill('alice pw 2');
    await page.getByTestId('check-submit').click();
    await page.getByTestId('check-summary').filter({ hasText: 'matches none' }).waitFor();

    await page.getByTestId('keytab-new').click();
    await page.getByTestId('add-principal').fill('bob@BENCH.TEST');
    await page.getByTestId('add-from-random').check();
    await page.getByTestId('add-submit').click();
    await page.getByTestId('keytab-modified').waitFor();
    expect(await page.getByTestId('keytab-name').textContent()).toBe('new.keytab');
    expect(await texts('kt-principal')).toEqual(['bob@BENCH.TEST', 'bob@BENCH.TEST']);
    expect(await texts('kt-kvno')).toEqual(['1', '1']);
    expect(problems).toEqual([]);
  });

  it('shows a credential cache as klist -e -f does', async () => {
    const mit = klistCcache(files.ccache, realmEnv);
    expect(mit.tickets.map((t) => t.server)).toEqual(['krbtgt/BENCH.TEST@BENCH.TEST', SERVICE]);

    await openView('ccache');
    expect(await page.getByTestId('empty-state').textContent()).toContain('Open a credential cache');
    await page.getByTestId('ccache-path').fill(`FILE:${files.ccache}`);
    await page.getByTestId('ccache-path').press('Enter');
    await page.getByTestId('ccache-table').waitFor();

    expect(await page.getByTestId('ccache-default-principal').textContent()).toBe('alice@BENCH.TEST');
    expect(await page.getByTestId('ccache-version').textContent()).toBe('4');
    expect(await texts('cc-server')).toEqual(mit.tickets.map((t) => t.server));
    for (const ticket of mit.tickets) {
      const row = page.locator(`[data-testid="ccache-row"][data-server="${ticket.server}"]`);
      const flags = await row.getByTestId('cc-flag').allTextContents();
      // klist -f shows no letter for enc-pa-rep; everything it shows, the bench shows.
      expect(flags.filter((f) => f !== 'enc-pa-rep')).toEqual(ticket.flags);
      expect(await row.getByTestId('cc-skey').textContent()).toBe(ticket.skey);
      expect(await row.getByTestId('cc-tkt').textContent()).toBe(ticket.tkt);
      expect(await row.getAttribute('data-expired')).toBe('false');
      expect(await row.getByTestId('cc-expiry').textContent()).toMatch(/^expires in \d+ h/);
    }
    expect(await page.locator(`[data-testid="ccache-row"][data-server="${SERVICE}"]`).getByTestId('cc-kvno').textContent()).toContain('kvno 2');
    expect((await page.locator(`[data-testid="ccache-row"][data-server="krbtgt/BENCH.TEST@BENCH.TEST"]`).getByTestId('cc-flag').allTextContents())).toContain('initial');
    expect(await page.getByTestId('ccache-config-row').count()).toBe(mit.config.length);
    expect(await page.getByTestId('ccache-config').textContent()).toContain('fast_avail');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'ccache.png') });

    await page.getByTestId('ccache-bytes').click();
    await page.getByTestId('ccache-bytes-panel').getByTestId('tree-node').first().waitFor();
    expect(await page.getByTestId('ccache-bytes-panel').locator('[data-testid="tree-node"][data-name="default_principal"]').textContent()).toContain('alice@BENCH.TEST');

    // An expired ticket is marked as such, picked as a file this time.
    await page.getByRole('button', { name: 'Open…' }).click();
    await page.getByTestId('ccache-file').setInputFiles(files.shortCcache);
    await page.locator('[data-testid="ccache-row"][data-expired="true"]').waitFor();
    expect(await page.getByTestId('cc-expiry').textContent()).toMatch(/^expired \d+ (s|min)\b.* ago$/);
    expect(problems).toEqual([]);
  });

  async function addKeytabKey(keytab: string): Promise<void> {
    await page.getByTestId('key-tab-keytab').click();
    await page.getByTestId('decoder-keytab-path').fill(keytab);
    await page.getByTestId('decoder-keytab-open').click();
    await page.getByTestId('decoder-key').filter({ hasText: keytab }).waitFor();
  }

  it('decodes and decrypts a real AP-REQ, links tree and hex both ways, and explains keys', async () => {
    await openView('decoder');
    expect(await page.getByTestId('empty-state').textContent()).toContain('Nothing decoded yet');
    await page.getByTestId('decoder-input').fill(files.token);
    await addKeytabKey(files.serviceKeytab);
    await page.getByTestId('decoder-input').press('Control+Enter');
    await page.getByTestId('decoder-kind').waitFor();
    expect(await page.getByTestId('decoder-kind').textContent()).toBe('GSS-API initial context token (AP-REQ)');

    const tree = page.getByTestId('field-tree');
    expect(await tree.locator('[data-testid="tree-node"][data-name="AP-REQ"]').count()).toBe(1);
    const badges = await page.getByTestId('decrypted-badge').allTextContents();
    expect(badges[0]).toMatch(/decrypted\s*key usage 2 \(Ticket enc-part, service key\)\s*keytab .*svc\.keytab: mqtt\/localhost@BENCH\.TEST kvno 2 aes256-cts-hmac-sha1-96/);
    expect(badges.length).toBe(2); // the ticket and the authenticator
    const encTicketPart = tree.locator('[data-testid="tree-node"][data-name="EncTicketPart"]');
    expect(await encTicketPart.count()).toBe(1);
    const cname = tree.locator(`[data-testid="tree-node"][data-name="cname"][data-id^="${await encTicketPart.getAttribute('data-id')}/"]`);
    expect(await cname.textContent()).toContain('alice');

    // Tree → hex: the plaintext of the ticket, with cname's bytes highlighted.
    await cname.click();
    await page.getByTestId('crumb-plaintext').waitFor();
    expect(await page.getByTestId('crumb-plaintext').textContent()).toContain('enc-part plaintext');
    const [offset, length] = [Number(await cname.getAttribute('data-offset')), Number(await cname.getAttribute('data-length'))];
    const highlighted = page.locator('[data-testid="hex-byte"].sel');
    expect(await highlighted.count()).toBe(length);
    expect((await highlighted.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-offset')))))).toEqual(Array.from({ length }, (_v, i) => offset + i));
    expect(await page.getByTestId('hex-selection').textContent()).toContain(`@${offset}`);
    expect(await page.getByTestId('masked-note').textContent()).toContain('key and password bytes hidden');
    expect(await page.locator('[data-testid="hex-byte"].masked').count()).toBe(32); // the session key
    await page.screenshot({ path: path.join(SCREENSHOTS, 'decoder.png') });

    // Reveal secrets decodes again: the session key shows, and cname stays selected.
    await page.getByTestId('decoder-reveal').check();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="hex-byte"].masked').length === 0);
    expect(await tree.locator('[data-testid="tree-node"][data-name="keyvalue"]').first().textContent()).toMatch(/keyvalue:\s*[0-9a-f]{64}/);
    expect(await tree.locator('[data-testid="tree-node"][aria-selected="true"]').getAttribute('data-name')).toBe('cname');
    expect(await page.locator('[data-testid="hex-byte"].sel').count()).toBe(length);
    await page.getByTestId('decoder-reveal').uncheck();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="hex-byte"].masked').length === 32);

    // Back to the input bytes, then hex → tree: a byte inside the ticket's realm selects that field.
    await page.getByTestId('crumb-input').click();
    await page.getByTestId('crumb-plaintext').waitFor({ state: 'detached' });
    const realmNode = tree.locator('[data-testid="tree-node"][data-name="realm"]').first();
    const realmOffset = Number(await realmNode.getAttribute('data-offset'));
    await page.locator(`[data-testid="hex-byte"][data-offset="${realmOffset + 5}"]`).click();
    const selected = tree.locator('[data-testid="tree-node"][aria-selected="true"]');
    expect(await selected.getAttribute('data-name')).toBe('realm');
    expect(await selected.getAttribute('data-offset')).toBe(String(realmOffset));
    expect(await page.locator('[data-testid="hex-byte"].sel').count()).toBe(Number(await realmNode.getAttribute('data-length')));

    // Keyboard: ArrowDown moves, Enter selects the next field (sname follows realm).
    await tree.focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    expect(await tree.locator('[data-testid="tree-node"][aria-selected="true"]').getAttribute('data-name')).toBe('sname');

    // Explain keys: the right keytab.
    await page.getByTestId('decoder-explain').click();
    await page.getByTestId('explain-conclusion').waitFor();
    expect(await page.getByTestId('explain-report').getAttribute('data-ok')).toBe('true');
    expect(await page.getByTestId('explain-conclusion').textContent()).toContain('decrypts the ticket');
    expect(await page.getByTestId('explain-row').evaluateAll((els) => els.map((e) => e.getAttribute('data-decrypts')))).toEqual(['true', 'null']);
    await page.locator('#main').evaluate((main) => main.scrollTo(0, 0));
    await page.screenshot({ path: path.join(SCREENSHOTS, 'decoder-explain.png') });

    // Dark theme, same state.
    await page.getByTestId('theme-toggle').click(); // system → light
    await page.getByTestId('theme-toggle').click(); // light → dark
    await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark');
    await cname.click();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'decoder-dark.png') });

    // The keytab from after the re-key (kvno 3) cannot open the kvno 2 ticket: out of date.
    await page.getByRole('button', { name: `Remove keytab ${files.serviceKeytab}` }).click();
    await addKeytabKey(files.rekeyedKeytab);
    await page.getByTestId('decoder-explain').click();
    await page.getByTestId('explain-report').and(page.locator('[data-ok="false"]')).waitFor();
    expect(await page.getByTestId('explain-conclusion').textContent()).toMatch(/kvno 2.*only kvno 3.*out of date/);
    expect(await page.getByTestId('explain-row').evaluateAll((els) => els.map((e) => e.getAttribute('data-decrypts')))).toEqual(['false', 'null']);
    expect(problems).toEqual([]);
  });

  it('decodes the built-in sample (a real MIT AP-REQ) and opens its ticket with the sample key', async () => {
    await openView('decoder');
    // The Decoder comes back with the previous test's input (it survives reloads): the header's button.
    await page.getByTestId('decoder-sample').click();
    await page.getByTestId('decoder-kind').waitFor();
    expect(await page.getByTestId('decoder-kind').textContent()).toBe('GSS-API initial context token (AP-REQ)');
    expect(await page.getByTestId('decrypted-badge').count()).toBe(2);
    expect(await page.getByTestId('decoder-input').inputValue()).toMatch(/^[0-9a-f]+$/);
    expect(await page.getByTestId('learned-keys').textContent()).toContain('session key of the ticket for mqtt/localhost@BENCH.TEST');
    expect(problems).toEqual([]);
  });

  it('reports unreadable input and missing files clearly', async () => {
    await openView('decoder');
    await page.getByTestId('decoder-input').fill('this is not a token');
    await page.getByTestId('decoder-decode').click();
    await page.getByTestId('decoder-error').waitFor();
    expect((await page.getByTestId('decoder-error').textContent())?.length).toBeGreaterThan(10);

    await page.getByTestId('nav-keytab').click();
    const missing = path.join(root, 'no-such.keytab');
    expect(existsSync(missing)).toBe(false);
    await page.getByTestId('keytab-path').first().fill(missing);
    await page.getByTestId('keytab-path').first().press('Enter');
    await page.getByTestId('keytab-error').waitFor();
    expect(await page.getByTestId('keytab-error').textContent()).toContain(missing);
    expect(await page.getByTestId('empty-state').count()).toBe(1);
    // Console errors are not expected even for failed calls: the views show them.
    expect(problems).toEqual([]);
  });
});
