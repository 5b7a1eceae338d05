import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import type { InvokeResult } from '../main/api/errors';
import type { BenchEvent } from '../main/api/events';
import type { Engine } from '../main/engine';
import { IPC_INVOKE } from './channels';
import { APP_SCHEME } from './protocol';

/**
 * Is this frame our renderer? Compares the sender frame's URL (hash and query ignored) with the
 * URL we loaded: kbench://app/index.html (same scheme, host and page), or the dev server's
 * origin. A file:// frame is never trusted: the bench loads nothing from file://.
 */
export function isTrustedRendererUrl(senderUrl: string | undefined, rendererUrl: string): boolean {
  if (!senderUrl) return false;
  try {
    const sender = new URL(senderUrl);
    const expected = new URL(rendererUrl);
    if (expected.protocol === `${APP_SCHEME}:`) {
      return sender.protocol === expected.protocol && sender.host === expected.host && sender.pathname === expected.pathname;
    }
    return (expected.protocol === 'http:' || expected.protocol === 'https:') && sender.origin === expected.origin;
  } catch {
    return false;
  }
}

/**
 * One IPC registration for every method of every service: the request is validated and
 * dispatched by the engine (the same dispatcher web mode uses). Events are broadcast through
 * `broadcast`. Returns a function that undoes the registration.
 */
export function registerBenchIpc(
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>,
  engine: Pick<Engine, 'invoke' | 'events'>,
  rendererUrl: string,
  broadcast: (event: BenchEvent) => void,
): () => void {
  ipcMain.handle(IPC_INVOKE, async (event: IpcMainInvokeEvent, request: unknown): Promise<InvokeResult> => {
    // Checklist item 17: every invocation names its sender frame; only our renderer's is served.
    if (!isTrustedRendererUrl(event.senderFrame?.url, rendererUrl)) {
      return { ok: false, error: { code: 'transport', message: 'Refused: the request did not come from the Kerberos Bench window' } };
    }
    try {
      return await engine.invoke(request);
    } catch (error) {
      // engine.invoke never rejects; an IPC handler that did would leave the renderer with an opaque error.
      return { ok: false, error: { code: 'failed', message: `Internal error: ${String(error)}` } };
    }
  });
  const unsubscribe = engine.events.subscribe(broadcast);
  return () => {
    ipcMain.removeHandler(IPC_INVOKE);
    unsubscribe();
  };
}
