/**
 * The views hand work to each other (Chromium, web mode, a lab realm of its own): from the Lab
 * view one click opens the service keytab, alice's ccache and the realm's krb5.conf in their
 * viewers; a ticket of the ccache opens decoded in the Decoder; a key rotation says what it will
 * change, shows its result next to its button and is undone (MIT agrees: kvno back to 2); a reload
 * of /keytab?path=… opens the keytab again. Screenshots of every view touched, both themes.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProgram } from '../helpers/cli';
import { openLabWebSession, type LabWebSession } from '../helpers/lab-web';

const SHOTS = '/tmp/shots';
const REALM = 'BENCH.TEST';
const MQTT = `mqtt/localhost@${REALM}`;

describe('Lab view links and undo (Chromium, web mode)', () => {
  let session: LabWebSession;
  let page: Page;
  let problems: string[];
  let realmDir: string;

  /** Both themes of what is on screen now: lab-NAME.png (light) and lab-NAME-dark.png. */
  async function shoot(name: string): Promise<void> {
    await page.emulateMedia({ colorScheme: 'light' });
    await page.waitForFunction(() => document.documentElement.dataset.theme === 'light');
    await page.screenshot({ path: path.join(SHOTS, `lab-${name}.png`) });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark');
    await page.screenshot({ path: path.join(SHOTS, `lab-${name}-dark.png`) });
    await page.emulateMedia({ colorScheme: 'light' });
  }
  const hashPath = () => decodeURIComponent(new URL(page.url()).hash);
  const row = (name: string) => page.locator(`[data-testid="lab-principal"][data-principal="${name}"]`);
  async function openLab(): Promise<void> {
    await page.getByTestId('nav-lab').click();
    await page.getByTestId('lab-principals').waitFor({ timeout: 20_000 });
  }

  beforeAll(async () => {
    await mkdir(SHOTS, { recursive: true });
    session = await openLabWebSession('lab-links', { lab: true });
    ({ page, problems } = session);
    realmDir = path.join(session.dataDir, 'lab', REALM);
    // A service ticket in alice's ccache next to her TGT, as a client would have after connecting.
    const env = { ...process.env, KRB5_CONFIG: path.join(realmDir, 'krb5.conf'), KRB5CCNAME: `FILE:${path.join(realmDir, 'alice.ccache')}` };
    const kvno = await runProgram('kvno', [MQTT], env);
    expect(kvno.code, kvno.stderr).toBe(0);
    await page.goto(session.web.url);
    await openLab();
  }, 120_000);

  afterAll(async () => {
    await session?.close();
  });

  it('opens the service keytab from the Lab in one click, and again after a reload', async () => {
    const serviceKeytab = path.join(realmDir, 'service.keytab');
    expect(await page.getByTestId('lab-open-service-keytab').getAttribute('data-path')).toBe(serviceKeytab);
    await page.getByTestId('lab-open-service-keytab').click();
    await page.getByTestId('keytab-doc').waitFor();
    expect(hashPath()).toBe(`#/keytab?path=${serviceKeytab}`);
    expect(await page.getByTestId('keytab-name').textContent()).toBe(serviceKeytab);
    expect(await page.getByTestId('kt-principal').allTextContents()).toContain(MQTT);

    // Reveal: the keys appear in the table and the view says where, next to the button.
    await page.getByTestId('keytab-reveal').click();
    await page.getByTestId('keytab-reveal-note').waitFor();
    expect(await page.getByTestId('kt-key').first().textContent()).toMatch(/^[0-9a-f]{32,64}$/);
    await page.evaluate(() => document.getElementById('main')?.scrollTo(0, 0));
    await shoot('keytab');
    await page.getByTestId('keytab-reveal').click();
    await page.locator('[data-testid="kt-key"]', { hasText: 'hidden' }).first().waitFor();

    await page.reload();
    await page.getByTestId('keytab-doc').waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('keytab-name').textContent()).toBe(serviceKeytab);
    expect(hashPath()).toBe(`#/keytab?path=${serviceKeytab}`);
    expect(problems).toEqual([]);
  });

  it("opens alice's ccache, and its service ticket decoded in the Decoder", async () => {
    await openLab();
    await page.getByTestId('lab-open-ccache').click();
    await page.getByTestId('ccache-header').waitFor();
    expect(hashPath()).toBe(`#/ccache?path=${path.join(realmDir, 'alice.ccache')}`);
    expect(await page.getByTestId('ccache-default-principal').textContent()).toBe(`alice@${REALM}`);
    const ticket = page.locator(`[data-testid="ccache-row"][data-server="${MQTT}"]`);
    await ticket.waitFor();
    await page.evaluate(() => document.getElementById('main')?.scrollTo(0, 0));
    await shoot('ccache');

    await ticket.getByTestId('cc-decode').click();
    await page.getByTestId('decoder-result').waitFor({ timeout: 15_000 });
    expect(hashPath()).toBe('#/decoder');
    expect(await page.getByTestId('decoder-origin').textContent()).toContain(`ticket for ${MQTT} from alice.ccache`);
    expect(await page.getByTestId('decoder-kind').first().textContent()).toMatch(/Ticket/);
    // The lab's service keytab went with it: the enc-part is open, naming the client.
    const result = page.getByTestId('decoder-result');
    await result.getByText('EncTicketPart').first().waitFor({ timeout: 10_000 });
    await result.getByText(`alice`).first().waitFor();
    expect(problems).toEqual([]);
  });

  it('opens the realm krb5.conf parsed, a value linked to its line', async () => {
    await openLab();
    await page.getByTestId('lab-open-krb5conf').click();
    await page.getByTestId('krb5conf-doc').waitFor();
    expect(hashPath()).toBe(`#/krb5conf?path=${path.join(realmDir, 'krb5.conf')}`);
    const realm = page.locator(`[data-testid="krb5conf-realm"][data-realm="${REALM}"]`);
    const port = JSON.parse((await session.kbench(['lab', 'status', '--json'])).stdout).port as number;
    expect(await realm.getByTestId('krb5conf-realm-value').first().textContent()).toContain(`127.0.0.1:${port}`);
    const defaultRealm = page.locator('[data-testid="krb5conf-value"][data-tag="default_realm"]');
    await defaultRealm.locator('.line-ref').click();
    const line = await defaultRealm.getAttribute('data-line');
    const picked = page.locator(`[data-testid="krb5conf-line"][data-line="${line}"]`);
    await expect.poll(() => picked.getAttribute('class')).toContain('picked');
    expect(await picked.textContent()).toContain(`default_realm = ${REALM}`);
    // And the other way: a line of the file picks its value.
    const kdcLine = page.locator('[data-testid="krb5conf-line"]', { hasText: 'kdc = 127.0.0.1' }).first();
    await kdcLine.click();
    await expect.poll(() => realm.getByTestId('krb5conf-realm-value').first().getAttribute('class')).toContain('picked');
    // The parsed pane scrolled (smoothly) to the picked value: in view once it settles.
    await expect.poll(() => realm.getByTestId('krb5conf-realm-value').first().evaluate((el) => {
      const pane = el.closest('[data-testid="krb5conf-parsed"]')!.getBoundingClientRect();
      const box = el.getBoundingClientRect();
      return box.top >= pane.top && box.bottom <= pane.bottom;
    })).toBe(true);
    await page.waitForTimeout(300);
    await shoot('krb5conf');

    // Debian's sample krb5.conf (test/fixtures): its problems, each naming its line.
    await page.getByTestId('krb5conf-open-another').click();
    await page.getByTestId('krb5conf-path').fill(path.resolve('test/fixtures/krb5conf/debian-sample.krb5.conf'));
    await page.getByTestId('krb5conf-open').click();
    await page.getByTestId('krb5conf-problems').waitFor();
    const first = page.getByTestId('krb5conf-problem').first();
    expect(await first.textContent()).toContain('line 2');
    expect(await first.textContent()).toContain('default_realm = ATHENA.MIT.EDU is the sample krb5.conf');
    await first.locator('.line-ref').click();
    await expect.poll(() => page.locator('[data-testid="krb5conf-line"][data-line="2"]').getAttribute('class')).toContain('picked');
    await page.waitForTimeout(300);
    await shoot('krb5conf-problems');
    // A reload brings the file and the picked line back.
    await page.reload();
    await page.getByTestId('krb5conf-problems').waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('krb5conf-name').textContent()).toBe(path.resolve('test/fixtures/krb5conf/debian-sample.krb5.conf'));
    await expect.poll(() => page.locator('[data-testid="krb5conf-line"][data-line="2"]').getAttribute('class')).toContain('picked');
    expect(problems).toEqual([]);
  });

  it('rotate says what it changes, shows its result next to the button, and Undo puts kvno 2 back', async () => {
    await openLab();
    await row(MQTT).getByTestId('lab-rotate').click();
    const effects = page.getByTestId('lab-confirm-effects');
    await effects.waitFor();
    const said = await effects.textContent();
    expect(said).toContain(`${MQTT} goes from kvno 2 to 3`);
    expect(said).toContain('the old keytab is kept as mqtt_localhost.kvno2.keytab');
    expect(await row(MQTT).getByTestId('lab-kvno').textContent()).toBe('2'); // nothing changed yet
    await page.getByTestId('lab-confirm').scrollIntoViewIfNeeded();
    await shoot('confirm');

    await page.getByTestId('lab-confirm-go').click();
    await page.getByTestId('lab-outcome').waitFor({ timeout: 15_000 });
    expect(await row(MQTT).getByTestId('lab-kvno').textContent()).toBe('3');
    expect(await page.getByTestId('lab-outcome-text').textContent()).toBe(`${MQTT}: kvno 2 → 3`);
    // The result sits right under the row whose button made it, and is in view.
    const placed = await page.evaluate(() => {
      const outcome = document.querySelector('[data-testid="lab-outcome"]')!;
      const box = outcome.getBoundingClientRect();
      return { after: outcome.previousElementSibling?.getAttribute('data-principal'), inView: box.top >= 0 && box.bottom <= window.innerHeight };
    });
    expect(placed).toEqual({ after: MQTT, inView: true });
    expect(await page.getByTestId('lab-outcome-stale').getAttribute('data-path')).toBe(path.join(realmDir, 'mqtt_localhost.kvno2.keytab'));
    await shoot('result');

    await page.getByTestId('lab-undo').click();
    await page.getByTestId('lab-outcome-restored').waitFor({ timeout: 15_000 });
    await page.waitForFunction((name) => document.querySelector(`[data-principal="${name}"] [data-testid="lab-kvno"]`)?.textContent === '2', MQTT);
    expect(await page.getByTestId('lab-outcome-text').textContent()).toBe(`Undone: ${MQTT}: kvno 2 → 3.`);
    expect(await page.getByTestId('lab-outcome-restored').textContent()).toContain('kdb5_util load -update');
    await shoot('undo');

    // MIT agrees, from another process: the database has kvno 2 and the service keytab opens its tickets.
    const status = JSON.parse((await session.kbench(['lab', 'status', '--json'])).stdout) as { principals: { name: string; kvno: number }[]; lastChange: unknown };
    expect(status.principals.find((p) => p.name === MQTT)?.kvno).toBe(2);
    expect(status.lastChange).toBeNull();
    const env = { ...process.env, KRB5_CONFIG: path.join(realmDir, 'krb5.conf'), KRB5CCNAME: `FILE:${path.join(session.root, 'fresh.ccache')}` };
    const password = (await session.kbench(['lab', 'password', 'alice', '--show'])).stdout.trim();
    expect((await runProgram('kinit', [`alice@${REALM}`], env, `${password}\n`)).code).toBe(0);
    expect((await runProgram('kvno', ['-k', path.join(realmDir, 'service.keytab'), MQTT], env)).stdout).toContain('kvno = 2, keytab entry valid');
    await page.evaluate(() => document.getElementById('main')?.scrollTo(0, 0));
    await shoot('view');
    expect(problems).toEqual([]);
  });

  it('remove keeps the row\'s place with Undo; after a reload the last change is still offered', async () => {
    const HZ = `hz/127.0.0.1@${REALM}`;
    await row(HZ).getByTestId('lab-remove').click();
    expect(await page.getByTestId('lab-confirm-effects').textContent()).toContain(`${HZ} is deleted from the KDC database`);
    await page.getByTestId('lab-confirm-go').click();
    const gone = page.locator(`[data-testid="lab-removed"][data-principal="${HZ}"]`);
    await gone.waitFor({ timeout: 15_000 });
    expect(await page.evaluate(() => document.querySelector('[data-testid="lab-outcome"]')?.previousElementSibling?.getAttribute('data-testid'))).toBe('lab-removed');
    await page.reload();
    await page.getByTestId('lab-last-change').waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('lab-last-change').textContent()).toContain(`${HZ} removed`);
    await page.getByTestId('lab-undo-last').click();
    await row(HZ).waitFor({ timeout: 15_000 });
    expect(await row(HZ).getByTestId('lab-kvno').textContent()).toBe('2');
    expect(await page.getByTestId('lab-outcome-text').textContent()).toBe(`Undone: ${HZ} removed.`);
    expect(problems).toEqual([]);
  });
});
