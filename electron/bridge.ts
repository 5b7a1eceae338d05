import type { ContextBridge, IpcRenderer, IpcRendererEvent } from 'electron';
import { benchMethods, type BenchApiResults, type BenchBridge } from '../main/api/contract';
import type { InvokeRequest } from '../main/api/errors';
import type { BenchEvent } from '../main/api/events';
import { IPC_EVENT, IPC_INVOKE } from './channels';

type RendererIpc = Pick<IpcRenderer, 'invoke' | 'on' | 'removeListener'>;

/**
 * Builds `window.bench` from the method list of the contract: one generic invoke per method,
 * no hand-written channel per method. Validation happens in main (never trust the renderer).
 */
export function buildBenchBridge(ipc: RendererIpc): BenchBridge {
  const api: Record<string, Record<string, (...args: unknown[]) => Promise<unknown>>> = {};
  for (const [service, methods] of Object.entries(benchMethods)) {
    api[service] = Object.fromEntries(
      methods.map((method) => [method, (...args: unknown[]) => ipc.invoke(IPC_INVOKE, { service, method, args } satisfies InvokeRequest)]),
    );
  }
  return {
    api: api as BenchApiResults,
    onEvent(listener: (event: BenchEvent) => void) {
      const forward = (_event: IpcRendererEvent, payload: BenchEvent) => listener(payload);
      ipc.on(IPC_EVENT, forward);
      return () => void ipc.removeListener(IPC_EVENT, forward);
    },
  };
}

export function exposeBenchApi(contextBridge: Pick<ContextBridge, 'exposeInMainWorld'>, ipc: RendererIpc): void {
  contextBridge.exposeInMainWorld('bench', buildBenchBridge(ipc));
}
