/**
 * Electron's objects reduced to what the shell (electron/) touches, for tests: the Electron
 * runtime cannot run here. Each keeps what it was given (options, handlers, listeners) so a test
 * can fire the events Electron would fire and read the answers.
 */
import type { BrowserWindowConstructorOptions, IpcMain, IpcMainInvokeEvent, Session, WebContents } from 'electron';

/** BrowserWindow's constructor: keeps its options. */
export class FakeBrowserWindow {
  constructor(readonly options: BrowserWindowConstructorOptions) {}
}

type Preventable = { preventDefault(): void; url?: string };

/** webContents: `fire` an event with a URL and learn whether the listener prevented it; `open` asks the window-open handler. */
export function fakeWebContents() {
  const listeners = new Map<string, (event: Preventable, url?: string) => void>();
  let openHandler: ((details: { url: string }) => { action: string }) | undefined;
  const contents = {
    on(name: string, listener: (event: Preventable, url?: string) => void) {
      listeners.set(name, listener);
      return contents;
    },
    setWindowOpenHandler(handler: (details: { url: string }) => { action: string }) {
      openHandler = handler;
    },
  };
  const fire = (name: string, url?: string) => {
    let prevented = false;
    // will-frame-navigate carries the URL on the event, the others as a second argument.
    listeners.get(name)?.({ url, preventDefault: () => (prevented = true) }, url);
    return prevented;
  };
  return { contents: contents as unknown as WebContents, fire, open: (url: string) => openHandler?.({ url }), events: () => [...listeners.keys()] };
}

type HeadersCallback = (response: { responseHeaders: Record<string, string[]> }) => void;

/** session: the permission, device and header handlers it was given. */
export function fakeSession() {
  const handlers: {
    request?: (contents: unknown, permission: string, callback: (granted: boolean) => void) => void;
    check?: (...args: unknown[]) => boolean;
    device?: (...args: unknown[]) => boolean;
    headers?: (details: { responseHeaders?: Record<string, string[]> }, callback: HeadersCallback) => void;
  } = {};
  const session = {
    setPermissionRequestHandler: (h: typeof handlers.request) => (handlers.request = h),
    setPermissionCheckHandler: (h: typeof handlers.check) => (handlers.check = h),
    setDevicePermissionHandler: (h: typeof handlers.device) => (handlers.device = h),
    webRequest: { onHeadersReceived: (h: typeof handlers.headers) => (handlers.headers = h) },
  };
  const requestPermission = (permission: string) => {
    let granted: boolean | undefined;
    handlers.request?.({}, permission, (g) => (granted = g));
    return granted;
  };
  const headersFor = (responseHeaders: Record<string, string[]>) => {
    let headers: Record<string, string[]> | undefined;
    handlers.headers?.({ responseHeaders }, (r) => (headers = r.responseHeaders));
    return headers;
  };
  return { session: session as unknown as Session, handlers, requestPermission, headersFor };
}

type Handler = (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown;

/**
 * ipcMain: its handlers by channel, and `invoke` as a frame at `senderUrl` would (arguments and
 * results structured-cloned, as across Electron's process boundary). `senderUrl: null` is a frame
 * that is gone (Electron then gives senderFrame null).
 */
export function fakeIpcMain() {
  const handlers = new Map<string, Handler>();
  const ipcMain = {
    handle(channel: string, handler: Handler) {
      if (handlers.has(channel)) throw new Error(`second handler for ${channel}`);
      handlers.set(channel, handler);
    },
    removeHandler(channel: string) {
      handlers.delete(channel);
    },
  };
  const invoke = async (senderUrl: string | null, channel: string, ...args: unknown[]) => {
    const handler = handlers.get(channel);
    if (!handler) throw new Error(`No handler registered for '${channel}'`);
    const event = { senderFrame: senderUrl === null ? null : { url: senderUrl } } as unknown as IpcMainInvokeEvent;
    return structuredClone(await handler(event, ...structuredClone(args)));
  };
  return { ipcMain: ipcMain as unknown as Pick<IpcMain, 'handle' | 'removeHandler'>, handlers, invoke };
}
