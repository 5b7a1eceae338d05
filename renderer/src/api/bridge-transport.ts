import type { BenchBridge, BenchEvent, InvokeRequest, InvokeResult } from '@api/index';
import type { BenchTransport, ConnectionState } from './transport';

/** Electron: the preload's window.bench, already typed and validated on the other side. */
export function bridgeTransport(bridge: BenchBridge): BenchTransport {
  return {
    kind: 'electron',
    invoke(request: InvokeRequest): Promise<InvokeResult> {
      const service = (bridge.api as unknown as Record<string, Record<string, (...a: unknown[]) => Promise<InvokeResult>> | undefined>)[request.service];
      const method = service?.[request.method];
      if (!method) return Promise.resolve({ ok: false, error: { code: 'unknown-method', message: `No such method: ${request.service}.${request.method}` } });
      // A call IPC cannot carry (arguments that do not clone, a torn-down channel) is an answer too.
      return method(...request.args).catch((error: unknown) => ({ ok: false, error: { code: 'transport', message: `The bench engine did not answer: ${String(error)}` } }));
    },
    onEvent: (listener: (event: BenchEvent) => void) => bridge.onEvent(listener),
    onState(listener: (state: ConnectionState) => void) {
      listener('open');
      return () => {};
    },
  };
}
