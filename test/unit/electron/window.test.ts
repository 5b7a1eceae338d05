import type { Session, WebContents } from 'electron';
import { describe, expect, it } from 'vitest';
import { isTrustedRendererUrl } from '../../../electron/ipc';
import { APP_ENTRY_URL } from '../../../electron/protocol';
import { FakeBrowserWindow } from '../../helpers/electron-fakes';
import { createMainWindow, hardenSession, hardenWebContents, rendererUrlFor } from '../../../electron/window';

const RENDERER_URL = APP_ENTRY_URL;

describe('main window', () => {
  it('is sandboxed, context-isolated, without Node, with only our preload and the app icon', () => {
    const window = createMainWindow(FakeBrowserWindow, '/opt/kerberos-bench/out/preload/index.cjs', '/opt/kerberos-bench/resources/icon.png');
    expect(window.options.icon).toBe('/opt/kerberos-bench/resources/icon.png');
    const prefs = window.options.webPreferences;
    expect(prefs).toMatchObject({
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      webviewTag: false,
      preload: '/opt/kerberos-bench/out/preload/index.cjs',
    });
  });
});

describe('web contents hardening', () => {
  function fakeContents() {
    const listeners = new Map<string, (event: { preventDefault(): void; prevented?: boolean }, url?: string) => void>();
    let openHandler: ((details: { url: string }) => { action: string }) | undefined;
    const contents = {
      on(name: string, listener: (event: { preventDefault(): void }, url?: string) => void) {
        listeners.set(name, listener);
        return contents;
      },
      setWindowOpenHandler(handler: (details: { url: string }) => { action: string }) {
        openHandler = handler;
      },
    };
    hardenWebContents(contents as unknown as WebContents, RENDERER_URL);
    const fire = (name: string, url?: string) => {
      let prevented = false;
      // will-frame-navigate carries the URL on the event, the others as a second argument.
      listeners.get(name)?.({ url, preventDefault: () => (prevented = true) } as { preventDefault(): void }, url);
      return prevented;
    };
    return { fire, open: (url: string) => openHandler?.({ url }) };
  }

  it('blocks navigation away from the renderer and allows in-app routes', () => {
    const { fire } = fakeContents();
    expect(fire('will-navigate', 'https://evil.example/')).toBe(true);
    expect(fire('will-navigate', 'file:///etc/passwd')).toBe(true);
    expect(fire('will-redirect', 'http://127.0.0.1:9/')).toBe(true);
    expect(fire('will-navigate', `${RENDERER_URL}#/lab`)).toBe(false);
    expect(fire('will-frame-navigate', 'https://evil.example/frame')).toBe(true);
    expect(fire('will-frame-navigate', `${RENDERER_URL}#/capture`)).toBe(false);
  });

  it('denies new windows and webviews', () => {
    const { fire, open } = fakeContents();
    expect(open('https://example.com/')).toEqual({ action: 'deny' });
    expect(fire('will-attach-webview')).toBe(true);
  });

  it('trusts only the renderer page of kbench://app or the dev-server origin, never file://', () => {
    expect(isTrustedRendererUrl(`${RENDERER_URL}?x#/doctor`, RENDERER_URL)).toBe(true);
    expect(isTrustedRendererUrl('kbench://app/other.html', RENDERER_URL)).toBe(false);
    expect(isTrustedRendererUrl('kbench://evil/index.html', RENDERER_URL)).toBe(false);
    expect(isTrustedRendererUrl('https://app/index.html', RENDERER_URL)).toBe(false);
    expect(isTrustedRendererUrl('file:///opt/kerberos-bench/out/renderer/index.html', RENDERER_URL)).toBe(false);
    expect(isTrustedRendererUrl('file:///opt/kerberos-bench/out/renderer/index.html', 'file:///opt/kerberos-bench/out/renderer/index.html')).toBe(false);
    expect(isTrustedRendererUrl('http://localhost:5173/#/doctor', 'http://localhost:5173/')).toBe(true);
    expect(isTrustedRendererUrl('http://localhost:5174/', 'http://localhost:5173/')).toBe(false);
    expect(isTrustedRendererUrl(undefined, RENDERER_URL)).toBe(false);
    expect(isTrustedRendererUrl('not a url', RENDERER_URL)).toBe(false);
  });
});

describe('session hardening', () => {
  it('denies every permission request and check, and adds the CSP header', () => {
    let requestHandler: ((wc: unknown, permission: string, callback: (granted: boolean) => void) => void) | undefined;
    let checkHandler: ((...args: unknown[]) => boolean) | undefined;
    let headersHandler: ((details: { responseHeaders?: Record<string, string[]> }, cb: (r: { responseHeaders: Record<string, string[]> }) => void) => void) | undefined;
    let deviceHandler: ((...args: unknown[]) => boolean) | undefined;
    const session = {
      setPermissionRequestHandler: (h: typeof requestHandler) => (requestHandler = h),
      setPermissionCheckHandler: (h: typeof checkHandler) => (checkHandler = h),
      setDevicePermissionHandler: (h: typeof deviceHandler) => (deviceHandler = h),
      webRequest: { onHeadersReceived: (h: typeof headersHandler) => (headersHandler = h) },
    };
    hardenSession(session as unknown as Session);

    for (const permission of ['media', 'notifications', 'clipboard-read', 'geolocation', 'openExternal']) {
      let granted: boolean | undefined;
      requestHandler?.({}, permission, (g) => (granted = g));
      expect(granted, permission).toBe(false);
    }
    expect(checkHandler?.({}, 'clipboard-sanitized-write')).toBe(false);
    expect(deviceHandler?.({ deviceType: 'usb', origin: RENDERER_URL })).toBe(false);

    let headers: Record<string, string[]> | undefined;
    headersHandler?.({ responseHeaders: { 'X-Other': ['1'] } }, (r) => (headers = r.responseHeaders));
    expect(headers?.['X-Other']).toEqual(['1']);
    expect(headers?.['Content-Security-Policy']?.[0]).toMatch(/default-src 'none'; script-src 'self'/);
    expect(headers?.['Content-Security-Policy']?.[0]).not.toMatch(/unsafe-(inline|eval)/);
  });
});

describe('the page the window loads', () => {
  it('is the built renderer through kbench:// in a packaged app, whatever ELECTRON_RENDERER_URL says', () => {
    expect(rendererUrlFor(true, { ELECTRON_RENDERER_URL: 'http://localhost:5173/' })).toBe(APP_ENTRY_URL);
    expect(rendererUrlFor(true, { ELECTRON_RENDERER_URL: 'https://evil.example/' })).toBe(APP_ENTRY_URL);
    expect(rendererUrlFor(true, {})).toBe(APP_ENTRY_URL);
  });

  it('is the dev server in development, only on loopback', () => {
    expect(rendererUrlFor(false, { ELECTRON_RENDERER_URL: 'http://localhost:5173/' })).toBe('http://localhost:5173/');
    expect(rendererUrlFor(false, { ELECTRON_RENDERER_URL: 'http://127.0.0.1:5173' })).toBe('http://127.0.0.1:5173/');
    expect(rendererUrlFor(false, { ELECTRON_RENDERER_URL: 'https://evil.example/' })).toBe(APP_ENTRY_URL);
    expect(rendererUrlFor(false, { ELECTRON_RENDERER_URL: 'file:///tmp/evil.html' })).toBe(APP_ENTRY_URL);
    expect(rendererUrlFor(false, { ELECTRON_RENDERER_URL: 'not a url' })).toBe(APP_ENTRY_URL);
    expect(rendererUrlFor(false, {})).toBe(APP_ENTRY_URL);
  });
});
