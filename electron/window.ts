import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserWindowConstructorOptions, Session, WebContents } from 'electron';
import { contentSecurityPolicy } from '../main/host/csp';
import { isTrustedRendererUrl } from './ipc';

/**
 * The page the window loads: the built renderer next to the main bundle. `npm run dev` points at
 * electron-vite's dev server through ELECTRON_RENDERER_URL; a packaged app never reads it —
 * whoever can set a variable in the user's session would otherwise load a page of their choosing
 * into the window that the preload and the IPC handler trust. Even in development it must be a
 * loopback http(s) URL.
 */
export function rendererUrlFor(isPackaged: boolean, env: NodeJS.ProcessEnv, mainDir: string): string {
  const built = pathToFileURL(path.join(mainDir, '../renderer/index.html')).href;
  const devServer = env.ELECTRON_RENDERER_URL;
  if (isPackaged || !devServer) return built;
  try {
    const url = new URL(devServer);
    if ((url.protocol === 'http:' || url.protocol === 'https:') && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)) return url.href;
  } catch {
    // not a URL: the built renderer it is
  }
  return built;
}

/** The main window: sandboxed renderer, isolated context, no Node, nothing but our preload. */
export function mainWindowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    width: 1280,
    height: 800,
    minWidth: 960,
    minHeight: 600,
    show: false,
    title: 'Kerberos Bench',
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
      webviewTag: false,
      spellcheck: false,
    },
  };
}

/** No navigation away from the bench, no new windows, no webviews. */
export function hardenWebContents(contents: Pick<WebContents, 'on' | 'setWindowOpenHandler'>, rendererUrl: string): void {
  contents.on('will-navigate', (event, url) => {
    if (!isTrustedRendererUrl(url, rendererUrl)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isTrustedRendererUrl(url, rendererUrl)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

/** Every permission (camera, notifications, clipboard-read …) is refused; CSP on every response. */
export function hardenSession(session: Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler' | 'webRequest'>): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [contentSecurityPolicy()] },
    });
  });
}
