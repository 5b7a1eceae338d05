import type { BrowserWindowConstructorOptions, Session, WebContents } from 'electron';
import { contentSecurityPolicy } from '../main/host/csp';
import { isTrustedRendererUrl } from './ipc';
import { APP_ENTRY_URL } from './protocol';

/**
 * The page the window loads: the built renderer through our kbench:// protocol. `npm run dev`
 * points at electron-vite's dev server through ELECTRON_RENDERER_URL; a packaged app never reads
 * it — whoever can set a variable in the user's session would otherwise load a page of their
 * choosing into the window that the preload and the IPC handler trust. Even in development it
 * must be a loopback http(s) URL.
 */
export function rendererUrlFor(isPackaged: boolean, env: NodeJS.ProcessEnv): string {
  const devServer = env.ELECTRON_RENDERER_URL;
  if (isPackaged || !devServer) return APP_ENTRY_URL;
  try {
    const url = new URL(devServer);
    if ((url.protocol === 'http:' || url.protocol === 'https:') && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)) return url.href;
  } catch {
    // not a URL: the built renderer it is
  }
  return APP_ENTRY_URL;
}

/** The part of Electron's BrowserWindow the shell uses: injected, so tests see the options it gets. */
export type BrowserWindowConstructor<W> = new (options: BrowserWindowConstructorOptions) => W;

/**
 * The main window: sandboxed renderer, isolated context, no Node, nothing but our preload. The
 * options are one literal at the `new BrowserWindow` call so that static checkers
 * (electronegativity) read exactly what Electron gets; the constructor is a parameter so tests
 * see it too. Every security-relevant preference is spelled out, even where it is Electron's
 * default: a default that changes between versions must not change the bench.
 */
export function createMainWindow<W>(BrowserWindow: BrowserWindowConstructor<W>, preloadPath: string, iconPath: string): W {
  return new BrowserWindow({
    width: 1280,
    height: 800,
    minWidth: 960,
    minHeight: 600,
    show: false,
    title: 'Kerberos Bench',
    icon: iconPath,
    backgroundColor: '#111418',
    webPreferences: {
      preload: preloadPath,
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      // A middle click on a link would otherwise ask for a new window (denied anyway below).
      disableBlinkFeatures: 'Auxclick',
      safeDialogs: true,
      spellcheck: false,
    },
  });
}

/**
 * No navigation away from the bench (main frame, sub-frames and redirects), no new windows, no
 * webviews. The bench opens no external links, so nothing goes to shell.openExternal either.
 */
export function hardenWebContents(contents: Pick<WebContents, 'on' | 'setWindowOpenHandler'>, rendererUrl: string): void {
  const keepInside = (event: { preventDefault(): void }, url: string) => {
    if (!isTrustedRendererUrl(url, rendererUrl)) event.preventDefault();
  };
  contents.on('will-navigate', (event, url) => keepInside(event, url));
  contents.on('will-frame-navigate', (event) => keepInside(event, event.url));
  contents.on('will-redirect', (event, url) => keepInside(event, url));
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

/**
 * Every permission (camera, notifications, clipboard-read …) and device (HID, serial, USB) is
 * refused; the CSP goes on every HTTP response too (the dev server's: kbench:// responses carry
 * it from the protocol handler).
 */
export function hardenSession(
  session: Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler' | 'setDevicePermissionHandler' | 'webRequest'>,
): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler(() => false);
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [contentSecurityPolicy()] },
    });
  });
}
