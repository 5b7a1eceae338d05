/**
 * The Export view in Chromium against `kbench web` with a lab realm of its own: the empty states;
 * krb5.conf generated from the lab by keyboard (Enter in a field) and proven — the preview shows
 * `[libdefaults]` highlighted as a section, the proofs with their results, the "known to work"
 * mark absent (not made from an Exchange); saved into a directory, a second save asked before it
 * replaces the files; the state kept across a reload; an Exchange named in the address picked as
 * the source; a probe's successful Exchange sent from History ("Export config") and exported with
 * the "known to work" mark linking back to it. Import: a company's krb5.conf read by path (every setting understood with its line)
 * and by bytes (its lines shown, a setting's line marked), "Test my config" against the lab, and
 * "Export from this". Screenshots of both tabs in both themes go to
 * test-results/screenshots/export-*.png.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLabWebSession, screenshotBothThemes, type LabWebSession } from '../helpers/lab-web';

const CORP_CONF = path.resolve('test/fixtures/export/krb5/corp.conf');
const ES_YML = path.resolve('test/fixtures/export/elasticsearch/elasticsearch.yml');
const AZURE_YAML = path.resolve('test/fixtures/export/azure/chain.yaml');

describe('Export view (Chromium, web mode, lab realm)', () => {
  let session: LabWebSession;
  let page: Page;
  let outDir: string;

  beforeAll(async () => {
    session = await openLabWebSession('export', { lab: true });
    page = session.page;
    outDir = await mkdtemp(path.join(os.tmpdir(), 'kbench-export-out-'));
  }, 120_000);
  afterAll(async () => {
    await session?.close();
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  const toTop = async () => void (await page.evaluate(() => document.getElementById('main')?.scrollTo(0, 0)));
  const shots = (name: string, prepare: () => Promise<void> = toTop) => screenshotBothThemes(page, `export-${name}`, prepare);
  const text = async (testid: string) => ((await page.getByTestId(testid).first().textContent()) ?? '').trim();

  it('says what to do before anything is exported or imported', async () => {
    await page.goto(session.web.url);
    await page.getByTestId('nav-export').click();
    await page.waitForURL(/#\/export$/);
    await page.getByTestId('export-target-krb5').waitFor();
    expect(await text('export-empty')).toContain('Pick what to export');
    expect(await page.getByTestId('export-generate').isDisabled()).toBe(true);
    expect(await text('export-blocked')).toBe('Pick what to export.');
    // The lab realm is the default source, with what it holds.
    expect(await page.getByTestId('export-source-lab').isChecked()).toBe(true);
    await page.getByTestId('export-lab-line').filter({ hasText: 'BENCH.TEST' }).waitFor();
    await page.getByTestId('export-tab-export').focus();
    await page.keyboard.press('ArrowRight');
    expect(await page.getByTestId('export-tab-import').getAttribute('aria-selected')).toBe('true');
    expect(await text('import-empty')).toContain('Drop or choose a file');
    await page.keyboard.press('ArrowLeft');
    expect(session.problems).toEqual([]);
  });

  it('generates krb5.conf from the lab by keyboard and shows it highlighted, with its proofs', async () => {
    await page.getByTestId('export-target-krb5').click();
    expect(await page.getByTestId('export-target-proofs').count()).toBe(1);
    // Enter in any field generates.
    await page.getByTestId('export-host').fill('localhost');
    await page.getByTestId('export-host').press('Enter');
    await page.getByTestId('export-progress').waitFor({ timeout: 10_000 });
    expect(await text('export-progress')).toMatch(/^Proving: .+/);
    await page.getByTestId('export-result').waitFor({ timeout: 120_000 });

    expect(await page.getByTestId('export-result').getAttribute('data-target')).toBe('krb5');
    expect(await text('export-basis')).toContain('BENCH.TEST');
    const preview = page.getByTestId('code-preview');
    expect(await page.getByTestId('export-preview').getAttribute('data-path')).toBe('krb5.conf');
    expect(await preview.textContent()).toContain('[libdefaults]');
    expect(await preview.locator('.hl-section', { hasText: '[libdefaults]' }).count()).toBe(1);
    expect(await preview.locator('.hl-key', { hasText: 'default_realm' }).count()).toBeGreaterThan(0);
    expect(await page.getByTestId('export-file').count()).toBeGreaterThan(0);

    const proofs = page.getByTestId('export-proof-item');
    expect(await proofs.count()).toBeGreaterThan(0);
    const names = await page.getByTestId('export-proof-name').allTextContents();
    expect(names.join(' ')).toMatch(/kinit/i);
    // Every proof passed, and the badge says so; not made from an Exchange, so no "known to work".
    expect(await proofs.evaluateAll((items) => items.map((i) => i.getAttribute('data-ok')))).toEqual(names.map(() => 'true'));
    expect(await page.getByTestId('export-proven').getAttribute('data-proven')).toBe('true');
    expect(await page.getByTestId('export-known').count()).toBe(0);
    expect(await text('export-not-known')).toContain('From an Exchange');
    await shots('krb5', async () => {
      await page.getByTestId('export-result').evaluate((e) => e.scrollIntoView({ block: 'start' }));
    });
    expect(session.problems).toEqual([]);
  });

  it('saves the files, and asks before it replaces them', async () => {
    await page.getByTestId('export-save-dir').fill(outDir);
    await page.getByTestId('export-save-button').click();
    await page.getByTestId('export-saved').waitFor({ timeout: 20_000 });
    const written = await readFile(path.join(outDir, 'krb5.conf'), 'utf8');
    expect(written).toContain('[libdefaults]');
    // What was saved is what the preview shows, line for line.
    expect(written.replace(/\n$/, '').split('\n')).toEqual(await page.getByTestId('code-preview').locator('.src').allTextContents());
    const before = (await stat(path.join(outDir, 'krb5.conf'))).mtimeMs;

    await page.getByTestId('export-save-button').click();
    await page.getByTestId('export-save-conflict').waitFor({ timeout: 20_000 });
    expect(await text('export-save-conflict')).toContain(path.join(outDir, 'krb5.conf'));
    expect((await stat(path.join(outDir, 'krb5.conf'))).mtimeMs).toBe(before);
    await page.getByTestId('export-save-force').click();
    await page.getByTestId('export-saved').waitFor({ timeout: 20_000 });
    expect(await page.getByTestId('export-save-conflict').count()).toBe(0);
    expect(session.problems).toEqual([]);
  });

  it('keeps the target, the result and the directory across a reload; an Exchange in the address becomes the source', async () => {
    await page.waitForTimeout(800);
    await page.reload();
    await page.getByTestId('export-result').waitFor();
    expect(await page.getByTestId('export-target-krb5').locator('input').isChecked()).toBe(true);
    expect(await page.getByTestId('export-save-dir').inputValue()).toBe(outDir);
    expect(await page.getByTestId('code-preview').textContent()).toContain('[libdefaults]');
    // "Reveal secrets" is never remembered.
    expect(await page.getByTestId('export-reveal').isChecked()).toBe(false);

    await page.goto(`${session.web.origin}/#/export?exchange=0123abcd`);
    await page.waitForURL(/#\/export$/);
    expect(await page.getByTestId('export-source-exchange').isChecked()).toBe(true);
    expect(await page.getByTestId('export-exchange-pick').inputValue()).toBe('0123abcd');
    await page.getByTestId('export-source-lab').check();
    expect(session.problems).toEqual([]);
  });

  it('exports from an Exchange that worked: "Export config" in History, marked known to work and linked back', async () => {
    // A successful probe Exchange, made the way a new user makes one (Start here: broker, probe).
    await page.getByTestId('nav-start').click();
    for (const id of ['broker', 'probe']) {
      await page.getByTestId(`start-run-${id}`).click();
      await page.waitForFunction((s) => ['done', 'failed'].includes(document.querySelector(`[data-testid="start-step"][data-step="${s}"]`)?.getAttribute('data-state') ?? ''), id, { timeout: 60_000 });
    }
    await page.getByTestId('nav-history').click();
    await page.locator('[data-testid="history-row"][data-outcome="success"]').first().getByTestId('history-row-open').click();
    const exchangeId = await page.locator('[data-testid="history-row"][data-outcome="success"]').first().getAttribute('data-id');
    expect(exchangeId).toBeTruthy();
    await page.getByTestId('exchange-export').click();
    await page.waitForURL(/#\/export$/);
    expect(await page.getByTestId('export-source-exchange').isChecked()).toBe(true);
    expect(await page.getByTestId('export-exchange-pick').inputValue()).toBe(exchangeId);

    await page.getByTestId('export-generate').click();
    await page.getByTestId('export-known').waitFor({ timeout: 120_000 });
    await page.waitForFunction(() => !document.querySelector('[data-testid="export-progress"]'), undefined, { timeout: 120_000 });
    expect(await page.getByTestId('export-known').getByTestId('exchange-link').getAttribute('data-id')).toBe(exchangeId);
    expect(await text('export-known')).toMatch(/Known to work/);
    await shots('known-to-work', async () => {
      await page.getByTestId('export-result').evaluate((e) => e.scrollIntoView({ block: 'start' }));
    });
    // The link opens the Exchange in History.
    await page.getByTestId('export-known').getByTestId('exchange-link').click();
    await page.waitForURL(/#\/history$/);
    expect(await page.locator('[data-testid="history-row"].selected').getAttribute('data-id')).toBe(exchangeId);
    await page.getByTestId('nav-export').click();
    await page.getByTestId('export-source-lab').check();
    expect(session.problems).toEqual([]);
  });

  it('imports a krb5.conf by path: every setting understood with its line, tested against the lab, exported from', async () => {
    await page.getByTestId('export-tab-import').click();
    await page.getByTestId('import-path').fill(CORP_CONF);
    await page.getByTestId('import-path').press('Enter');
    await page.getByTestId('import-reading').waitFor({ timeout: 20_000 });
    expect(await page.getByTestId('import-reading').getAttribute('data-format')).toBe('krb5');
    const understood = page.getByTestId('import-understood-row');
    expect(await understood.count()).toBeGreaterThan(3);
    const rows = await understood.allTextContents();
    expect(rows.some((r) => r.includes('default_realm') && r.includes('CORP.EXAMPLE') && r.includes('corp.conf:3'))).toBe(true);
    // The file sets default_realm twice: the second one is reported, with its line.
    expect((await page.getByTestId('import-unused-row').allTextContents()).concat(await page.getByTestId('import-problem').allTextContents()).join('\n')).toContain('corp.conf:17');

    await page.getByTestId('import-test').click();
    await page.getByTestId('import-test-verdict').waitFor({ timeout: 120_000 });
    expect(await page.getByTestId('import-step-item').count()).toBeGreaterThan(0);
    await shots('import');

    await page.getByTestId('import-export-from').click();
    expect(await page.getByTestId('export-tab-export').getAttribute('aria-selected')).toBe('true');
    expect(await text('export-imported')).toContain('corp.conf');
    expect(await page.getByTestId('export-target-krb5').locator('input').isChecked()).toBe(true);
    await page.getByTestId('export-imported-clear').click();
    expect(session.problems).toEqual([]);
  });

  it('runs an imported file in the view that serves it: an elasticsearch.yml in the HTTP view, a chain in the Broker view', async () => {
    const readByPath = async (file: string) => {
      await page.getByTestId('nav-export').click();
      await page.getByTestId('export-tab-import').click();
      await page.getByTestId('import-path').fill(file);
      await page.getByTestId('import-path').press('Enter');
      await page.getByTestId('import-on-bench').waitFor({ timeout: 20_000 });
    };
    await readByPath(ES_YML);
    await page.getByTestId('import-run-es').click();
    await page.waitForURL(/#\/http/);
    expect(await page.getByTestId('http-es-config').inputValue()).toBe(ES_YML);

    await readByPath(AZURE_YAML);
    await page.getByTestId('import-run-chain').click();
    await page.waitForURL(/#\/broker/);
    await page.getByTestId('chain-editor').waitFor();
    expect(await page.getByTestId('chain-path').inputValue()).toBe(AZURE_YAML);
    await page.getByTestId('nav-export').click();
    expect(session.problems).toEqual([]);
  });

  it('imports a file picked in the browser: its lines shown, a setting\'s line marked', async () => {
    await page.getByTestId('export-tab-import').click();
    await page.getByTestId('import-file').setInputFiles(CORP_CONF);
    await page.getByTestId('import-current').filter({ hasText: 'corp.conf' }).waitFor({ timeout: 20_000 });
    const file = page.getByTestId('import-reading').getByTestId('code-preview');
    await file.waitFor();
    expect(await file.locator('.hl-section', { hasText: '[libdefaults]' }).count()).toBe(1);
    const row = page.getByTestId('import-understood-row').filter({ hasText: 'rdns' }).first();
    await row.getByRole('button').click();
    expect(await file.locator('.code-line.marked').textContent()).toContain('rdns = false');
    // Bytes have no path the export could read again.
    expect(await page.getByTestId('import-export-from').isDisabled()).toBe(true);
    await shots('import-bytes');
    expect(session.problems).toEqual([]);
  });

  it('generates Elasticsearch with its options: the realm and roles in the files, the keytab withheld, every proof listed', async () => {
    await page.getByTestId('nav-export').click();
    await page.getByTestId('export-tab-export').click();
    await page.getByTestId('export-target-elasticsearch').click();
    await page.getByTestId('export-es-realm').fill('corp_kerberos');
    await page.getByTestId('export-es-roles').fill('monitoring_user, kibana_admin');
    await page.getByTestId('export-es-remove-realm').check();
    await page.getByTestId('export-es-realm').press('Enter');
    await page.locator('[data-testid="export-result"][data-target="elasticsearch"]').waitFor({ timeout: 120_000 });
    const paths = await page.getByTestId('export-file').evaluateAll((els) => els.map((e) => e.getAttribute('data-path')));
    expect(paths).toEqual(expect.arrayContaining(['elasticsearch/elasticsearch.yml', 'elasticsearch/role-mapping.json', 'elasticsearch/es.keytab']));
    expect(await page.getByTestId('export-file').filter({ hasText: 'es.keytab' }).textContent()).toContain('withheld');
    await page.getByTestId('export-file').filter({ hasText: 'elasticsearch.yml' }).click();
    expect(await page.getByTestId('code-preview').textContent()).toContain('xpack.security.authc.realms.kerberos.corp_kerberos.remove_realm_name: true');
    const proofs = page.getByTestId('export-proof-item');
    expect(await proofs.count()).toBeGreaterThanOrEqual(5);
    expect(await proofs.evaluateAll((els) => els.filter((e) => e.getAttribute('data-ok') !== 'true').length)).toBe(0);
    expect(await proofs.filter({ hasText: 'curl --negotiate authenticated' }).textContent()).toContain('kibana_admin');
    await shots('elasticsearch');
    expect(session.problems).toEqual([]);
  });

});
