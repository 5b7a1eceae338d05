/**
 * What survives: a reload and a restart of `kbench web` bring the views back where they were
 * (the view left last, its form), saved connections (probe targets, broker listener sets) load
 * in one click, and a pane keeps the size it was given. All in one data directory, no lab.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser';
import { startKbenchWeb, type RunningWeb } from '../helpers/web';

describe('the workspace: reloads, restarts and saved connections (Chromium)', () => {
  let dataDir: string;
  let web: RunningWeb;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const env = () => ({ ...process.env, KBENCH_DATA_DIR: dataDir });
  /** Waits until the engine wrote the workspace (the UI saves a moment after a change). */
  const workspaceHas = async (text: string) => {
    const file = path.join(dataDir, 'workspace.json');
    for (let i = 0; i < 50; i++) {
      const body = await readFile(file, 'utf8').catch(() => '');
      if (body.includes(text)) return body;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`workspace.json never held ${text}`);
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'kbench-e2e-workspace-'));
    web = await startKbenchWeb(['--no-lab'], env());
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    page.on('pageerror', (e) => problems.push(e.message));
  });
  afterAll(async () => {
    await browser?.close();
    await web?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('saves a probe target, loads it in one click, and keeps the form across a reload', async () => {
    await page.goto(web.url);
    await page.waitForURL(/#\/start$/);
    await page.getByTestId('nav-probe').click();
    await page.getByTestId('probe-url').fill('mqtts://broker.example.com:8883');
    await page.getByTestId('probe-service').fill('mqtt@broker.example.com');
    await page.getByTestId('probe-save').click();
    await page.getByTestId('probe-saved-name').fill('production EMQX');
    await page.getByTestId('probe-saved-confirm').click();
    await expect.poll(() => page.getByTestId('probe-saved-note').textContent()).toBe('Saved "production EMQX".');

    await page.getByTestId('probe-url').fill('mqtt://127.0.0.1:1883');
    await page.getByTestId('probe-service').fill('');
    await workspaceHas('mqtt://127.0.0.1:1883');
    await page.reload();
    // The view left last, with its form as it was.
    await page.waitForURL(/#\/probe$/);
    expect(await page.getByTestId('probe-url').inputValue()).toBe('mqtt://127.0.0.1:1883');
    await page.getByTestId('probe-saved-load').filter({ hasText: 'production EMQX' }).click();
    expect(await page.getByTestId('probe-url').inputValue()).toBe('mqtts://broker.example.com:8883');
    expect(await page.getByTestId('probe-service').inputValue()).toBe('mqtt@broker.example.com');
    expect(problems).toEqual([]);
  });

  it('saves a broker listener set and deletes a saved item', async () => {
    await page.getByTestId('nav-broker').click();
    await page.getByTestId('broker-deadline').fill('3000');
    await page.getByTestId('broker-save').click();
    await page.getByTestId('broker-saved-name').fill('slow stepping');
    await page.getByTestId('broker-saved-confirm').click();
    await page.getByTestId('broker-deadline').fill('');
    await page.getByTestId('broker-saved-load').filter({ hasText: 'slow stepping' }).click();
    expect(await page.getByTestId('broker-deadline').inputValue()).toBe('3000');

    const body = JSON.parse(await workspaceHas('slow stepping')) as { saved: { kind: string; name: string }[] };
    expect(body.saved.map((s) => `${s.kind}:${s.name}`).sort()).toEqual(['broker-listeners:slow stepping', 'probe-target:production EMQX']);
    await page.getByTestId('broker-saved-delete').click();
    await expect.poll(async () => (JSON.parse(await readFile(path.join(dataDir, 'workspace.json'), 'utf8')) as { saved: unknown[] }).saved.length).toBe(1);
  });

  it('brings Diagnose back after a reload: the pasted error and its findings', async () => {
    await page.getByTestId('nav-diagnose').click();
    const error = "kinit: Client 'nobody@BENCH.TEST' not found in Kerberos database while getting initial credentials";
    await page.getByTestId('diagnose-message').fill(error);
    await page.getByTestId('diagnose-run').click();
    const top = page.getByTestId('finding').first();
    await top.waitFor();
    const id = await top.getAttribute('data-id');
    expect(id).toBe('client-unknown');
    await workspaceHas('client-unknown');
    await page.reload();
    await page.waitForURL(/#\/diagnose$/);
    expect(await page.getByTestId('diagnose-message').inputValue()).toBe(error);
    expect(await page.getByTestId('finding').first().getAttribute('data-id')).toBe(id);
  });

  it('keeps a change made just before a reload: waiting saves are written as the page goes', async () => {
    await page.getByTestId('nav-probe').click();
    await page.getByTestId('probe-url').fill('mqtt://reload-at-once.example:1883');
    // No wait for the workspace file: the reload comes well inside the 400 ms a save waits.
    await page.reload();
    await page.waitForURL(/#\/probe$/);
    expect(await page.getByTestId('probe-url').inputValue()).toBe('mqtt://reload-at-once.example:1883');
    // Back to the form the next test expects, written the same way.
    const before = await page.getByTestId('probe-url').inputValue();
    await page.getByTestId('probe-url').fill('mqtts://broker.example.com:8883');
    await page.reload();
    await page.waitForURL(/#\/probe$/);
    expect([before, await page.getByTestId('probe-url').inputValue()]).toEqual(['mqtt://reload-at-once.example:1883', 'mqtts://broker.example.com:8883']);
  });

  it('opens where it was left after a restart of kbench web, and keeps a pane at the size it was given', async () => {
    await page.getByTestId('nav-decoder').click();
    await page.getByTestId('decoder-sample').click();
    const separator = page.getByTestId('split-separator').first();
    await separator.waitFor();
    await separator.focus();
    for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowLeft');
    const narrowed = Number(await separator.getAttribute('aria-valuenow'));
    expect(narrowed).toBeGreaterThan(0);
    await workspaceHas('"path": "/decoder"');
    await workspaceHas(`"decoder.`);

    await web.stop();
    web = await startKbenchWeb(['--no-lab'], env());
    // The URL kbench web prints names no view: the app opens the one left last.
    await page.goto(web.url);
    await page.waitForURL(/#\/decoder$/);
    // The Decoder decodes its kept input again, and its pane comes back at the size it was given.
    const again = page.getByTestId('split-separator').first();
    await again.waitFor();
    expect(Number(await again.getAttribute('aria-valuenow'))).toBe(narrowed);
    await page.getByTestId('nav-probe').click();
    expect(await page.getByTestId('probe-url').inputValue()).toBe('mqtts://broker.example.com:8883');
    expect(problems).toEqual([]);
  });
});
