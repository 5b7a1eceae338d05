/**
 * An e2e session on a lab realm of its own: a private data directory, `kbench web` on it (with
 * the realm up, or with --no-lab for tests that bring it up from the UI), and Chromium at
 * 1280×800 collecting console errors. close() leaves nothing behind: browser, web mode, the realm
 * and any KDC still running under the directory.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { kdcsUnder, stopPid } from '../../main/lab/kdc-process';
import { launchChromium } from './browser';
import { kbenchProcess, type ProgramRun } from './cli';
import { startKbenchWeb, type RunningWeb } from './web';

export const SCREENSHOTS = path.resolve('test-results/screenshots');

/**
 * The app follows the system theme unless one is chosen (renderer/src/composables/theme.ts):
 * emulate the system's scheme and wait until the page has taken it.
 */
export async function emulateTheme(page: Page, scheme: 'light' | 'dark', timeout = 5_000): Promise<void> {
  await page.emulateMedia({ colorScheme: scheme });
  // A function, not a string: the app's CSP forbids eval. This file is type-checked without the DOM
  // library, so the page's document is named by its shape.
  type PageGlobals = { document: { documentElement: { dataset: Record<string, string | undefined> } } };
  await page.waitForFunction((s) => (globalThis as unknown as PageGlobals).document.documentElement.dataset.theme === s, scheme, { timeout });
}

/** What is on screen now in both themes: SCREENSHOTS/NAME-light.png and NAME-dark.png; then light again. */
export async function screenshotBothThemes(page: Page, name: string, prepare?: () => Promise<void>): Promise<void> {
  for (const scheme of ['light', 'dark'] as const) {
    await emulateTheme(page, scheme);
    await prepare?.();
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${scheme}.png`) });
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

export interface LabWebSession {
  root: string;
  dataDir: string;
  web: RunningWeb;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught page errors seen so far. */
  problems: string[];
  /** `kbench ARGS` on this session's data directory. */
  kbench(args: string[], input?: string): Promise<ProgramRun>;
  close(): Promise<void>;
}

/** `name` labels the temporary directory; `lab: false` starts web mode with --no-lab and no realm. */
export async function openLabWebSession(name: string, options: { lab: boolean }): Promise<LabWebSession> {
  await mkdir(SCREENSHOTS, { recursive: true });
  const root = await mkdtemp(path.join(os.tmpdir(), `kbench-${name}-e2e-`));
  const dataDir = path.join(root, 'data');
  const env = { ...process.env, KBENCH_DATA_DIR: dataDir };
  const kbench = (args: string[], input = '') => kbenchProcess(args, env, { input, timeoutMs: 120_000 });
  const session: Partial<LabWebSession> = { root, dataDir, kbench, problems: [] };
  session.close = async () => {
    await session.browser?.close();
    await session.web?.stop();
    await kbench(['lab', 'down', '--destroy']);
    for (const { pid } of await kdcsUnder(root)) await stopPid(pid);
    await rm(root, { recursive: true, force: true });
  };
  try {
    if (options.lab) {
      const up = await kbench(['lab', 'up']);
      if (up.code !== 0) throw new Error(`kbench lab up failed: ${up.stderr}`);
    }
    session.web = await startKbenchWeb(options.lab ? [] : ['--no-lab'], env);
    session.browser = await launchChromium();
    session.context = await session.browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'light', acceptDownloads: true });
    session.page = await session.context.newPage();
    session.page.on('console', (message) => {
      if (message.type() === 'error') session.problems!.push(message.text());
    });
    session.page.on('pageerror', (error) => session.problems!.push(error.message));
  } catch (error) {
    await session.close();
    throw error;
  }
  return session as LabWebSession;
}
