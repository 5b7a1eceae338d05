import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { FuseV1Options } from '@electron/fuses';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { ContextBridge, IpcRenderer } from 'electron';
import { contentSecurityPolicy } from '../../../main/host/csp';
import { createEngine } from '../../../main/engine';
import { exposeBenchApi } from '../../../electron/bridge';
import { IPC_INVOKE } from '../../../electron/channels';
import { registerBenchIpc } from '../../../electron/ipc';
import { APP_ENTRY_URL, APP_SCHEME_PRIVILEGES } from '../../../electron/protocol';
import { createMainWindow, hardenSession, hardenWebContents, rendererUrlFor } from '../../../electron/window';
import { PACKAGED_FUSES } from '../../../scripts/after-pack-fuses.js';
import { FakeBrowserWindow, fakeIpcMain, fakeSession, fakeWebContents } from '../../helpers/electron-fakes';

/**
 * Electron's security checklist (docs/tutorial/security.md, "Checklist: Security
 * recommendations", items 1–20), one row per item: how the bench applies it, checked against
 * the shell's real code with Electron's objects faked (test/helpers/electron-fakes.ts).
 */
const window = createMainWindow(FakeBrowserWindow, '/app/out/preload/index.cjs', '/app/resources/icon.png');
const prefs = window.options.webPreferences ?? {};
const source = async (file: string) => readFile(path.join('electron', file), 'utf8');
async function shellSources(): Promise<string> {
  const files = (await readdir('electron')).filter((f) => f.endsWith('.ts'));
  return (await Promise.all(files.map(source))).join('\n');
}
function hardened() {
  const web = fakeWebContents();
  hardenWebContents(web.contents, APP_ENTRY_URL);
  return web;
}
const metaPolicy = async () => /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(await readFile('renderer/index.html', 'utf8'))?.[1];

const checklist: [number, string, () => void | Promise<void>][] = [
  [1, 'Only load secure content', async () => {
    // The window loads kbench:// (a secure scheme) or, in development only, a loopback dev server.
    expect(rendererUrlFor(true, { ELECTRON_RENDERER_URL: 'http://example.com/' })).toBe(APP_ENTRY_URL);
    expect(APP_SCHEME_PRIVILEGES.privileges?.secure).toBe(true);
    // Nothing but our own origin may be fetched or run, and the page names no remote resource.
    expect(contentSecurityPolicy()).not.toMatch(/https?:|wss?:|\*/);
    expect(await readFile('renderer/index.html', 'utf8')).not.toMatch(/(src|href)="(https?:)?\/\//);
  }],
  [2, 'Do not enable Node.js integration for remote content', () => {
    expect(prefs).toMatchObject({ nodeIntegration: false, nodeIntegrationInWorker: false, nodeIntegrationInSubFrames: false });
  }],
  [3, 'Enable context isolation', () => expect(prefs.contextIsolation).toBe(true)],
  [4, 'Enable process sandboxing', async () => {
    expect(prefs.sandbox).toBe(true);
    expect(await source('main.ts')).toMatch(/^app\.enableSandbox\(\);$/m);
  }],
  [5, 'Handle session permission requests from remote content', () => {
    const { session, requestPermission, handlers } = fakeSession();
    hardenSession(session);
    for (const permission of ['media', 'geolocation', 'notifications', 'openExternal', 'clipboard-read', 'fullscreen']) expect(requestPermission(permission), permission).toBe(false);
    expect(handlers.check?.({}, 'media')).toBe(false);
    expect(handlers.device?.({ deviceType: 'hid' })).toBe(false);
  }],
  [6, 'Do not disable webSecurity', () => expect(prefs.webSecurity).toBe(true)],
  [7, 'Define a Content-Security-Policy', async () => {
    const policy = contentSecurityPolicy();
    expect(policy).toMatch(/^default-src 'none'; script-src 'self';/);
    expect(policy).not.toMatch(/unsafe-(inline|eval|hashes)|data:.*script/);
    // Sent as a header (dev server through webRequest; kbench:// from the protocol handler, protocol.test.ts)…
    const { session, headersFor } = fakeSession();
    hardenSession(session);
    expect(headersFor({})?.['Content-Security-Policy']).toEqual([policy]);
    // …and the same policy in the page (minus frame-ancestors, which a <meta> cannot carry).
    expect(await metaPolicy()).toBe(policy.replace(/; frame-ancestors 'none'/, ''));
  }],
  [8, 'Do not enable allowRunningInsecureContent', () => expect(prefs.allowRunningInsecureContent).toBe(false)],
  [9, 'Do not enable experimental features', () => expect(prefs.experimentalFeatures).toBe(false)],
  [10, 'Do not use enableBlinkFeatures', () => {
    expect(prefs).not.toHaveProperty('enableBlinkFeatures');
    expect(prefs.disableBlinkFeatures).toBe('Auxclick');
  }],
  [11, '<webview>: Do not use allowpopups', async () => {
    expect(prefs.webviewTag).toBe(false);
    expect(await readFile('renderer/index.html', 'utf8')).not.toMatch(/<webview|allowpopups/i);
  }],
  [12, '<webview>: Verify options and params', () => {
    // There is no webview to verify: every attachment is refused outright.
    expect(hardened().fire('will-attach-webview')).toBe(true);
  }],
  [13, 'Disable or limit navigation', () => {
    const { fire } = hardened();
    for (const event of ['will-navigate', 'will-frame-navigate', 'will-redirect']) {
      for (const url of ['https://example.com/', 'file:///etc/passwd', 'kbench://other/index.html', 'kbench://app/other.html', 'javascript:alert(1)']) expect(fire(event, url), `${event} ${url}`).toBe(true);
      expect(fire(event, `${APP_ENTRY_URL}#/lab`), event).toBe(false);
    }
  }],
  [14, 'Disable or limit creation of new windows', () => {
    const { open } = hardened();
    for (const url of ['https://example.com/', APP_ENTRY_URL, 'about:blank']) expect(open(url)).toEqual({ action: 'deny' });
  }],
  [15, 'Do not use shell.openExternal with untrusted content', async () => {
    // The bench opens no external link: shell is not imported and openExternal is never called.
    const code = await shellSources();
    expect(code).not.toMatch(/openExternal\(/);
    expect(code).not.toMatch(/import \{[^}]*\bshell\b[^}]*\} from 'electron'/);
  }],
  [16, 'Use a current version of Electron', async () => {
    // Electron supports its three newest majors; raise the floor when a new major ships.
    const SUPPORTED_FLOOR = 43;
    const installed = JSON.parse(await readFile('node_modules/electron/package.json', 'utf8')) as { version: string };
    const declared = (JSON.parse(await readFile('package.json', 'utf8')) as { devDependencies: Record<string, string> }).devDependencies.electron!;
    expect(Number(installed.version.split('.')[0])).toBeGreaterThanOrEqual(SUPPORTED_FLOOR);
    expect(Number(/\d+/.exec(declared)?.[0])).toBeGreaterThanOrEqual(SUPPORTED_FLOOR);
  }],
  [17, 'Validate the sender of all IPC messages', async () => {
    const engine = createEngine({ runtime: 'electron', dataDir: '/tmp/kbench-checklist' });
    try {
      const { ipcMain, invoke } = fakeIpcMain();
      registerBenchIpc(ipcMain, engine, APP_ENTRY_URL, () => undefined);
      const request = { service: 'system', method: 'info', args: [] };
      expect(await invoke(`${APP_ENTRY_URL}#/doctor`, IPC_INVOKE, request)).toMatchObject({ ok: true });
      for (const sender of [null, 'file:///app/out/renderer/index.html', 'https://evil.example/', 'kbench://evil/index.html', 'kbench://app/other.html', 'about:blank']) {
        expect(await invoke(sender, IPC_INVOKE, request), String(sender)).toMatchObject({ ok: false, error: { code: 'transport' } });
      }
      // That one handler is the only way in: no other handle/on registration in the shell.
      const code = await shellSources();
      expect(code.match(/ipcMain\.(handle|handleOnce|on|once)\(/g)).toEqual(['ipcMain.handle(']);
    } finally {
      await engine.dispose();
    }
  }],
  [18, 'Avoid usage of the file:// protocol and prefer usage of custom protocols', async () => {
    expect(APP_ENTRY_URL).toBe('kbench://app/index.html');
    expect(rendererUrlFor(false, { ELECTRON_RENDERER_URL: 'file:///tmp/x.html' })).toBe(APP_ENTRY_URL);
    const main = await source('main.ts');
    expect(main).toMatch(/protocol\.registerSchemesAsPrivileged\(\[APP_SCHEME_PRIVILEGES\]\)/);
    expect(main).toMatch(/protocol\.handle\(APP_SCHEME, createAppProtocolHandler\(/);
    expect(PACKAGED_FUSES[FuseV1Options.GrantFileProtocolExtraPrivileges]).toBe(false);
  }],
  [19, 'Check which fuses you can change', async () => {
    expect(PACKAGED_FUSES).toMatchObject({
      [FuseV1Options.EnableCookieEncryption]: true,
      [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
      [FuseV1Options.EnableNodeCliInspectArguments]: false,
      [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
      [FuseV1Options.OnlyLoadAppFromAsar]: true,
    });
    expect((parse(await readFile('electron-builder.yml', 'utf8')) as { afterPack?: string }).afterPack).toBe('./scripts/after-pack-fuses.js');
  }],
  [20, 'Do not expose Electron APIs to untrusted web content', () => {
    const exposed: Record<string, unknown> = {};
    const ipcRenderer = { invoke: async () => undefined, on: () => ipcRenderer, removeListener: () => ipcRenderer, send: () => undefined };
    exposeBenchApi({ exposeInMainWorld: (key: string, api: unknown) => (exposed[key] = api) } as unknown as Pick<ContextBridge, 'exposeInMainWorld'>, ipcRenderer as unknown as IpcRenderer);
    expect(Object.keys(exposed)).toEqual(['bench']);
    expect(Object.keys(exposed.bench as object).sort()).toEqual(['api', 'onEvent']);
    // Nothing reachable from window.bench is ipcRenderer or one of its methods.
    const seen = new Set<unknown>();
    const walk = (value: unknown): void => {
      if ((typeof value !== 'object' && typeof value !== 'function') || value === null || seen.has(value)) return;
      seen.add(value);
      for (const item of Object.values(value)) walk(item);
    };
    walk(exposed.bench);
    for (const electronObject of [ipcRenderer, ipcRenderer.invoke, ipcRenderer.on, ipcRenderer.send]) expect(seen.has(electronObject)).toBe(false);
  }],
];

describe("Electron's security checklist", () => {
  it('covers every item of the checklist but 16', () => {
    expect(checklist.map(([item]) => item)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
  });
  it.each(checklist)('%i. %s', async (_item, _title, check) => check());
});
