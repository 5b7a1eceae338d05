import type { BenchEvent, InvokeRequest, InvokeResult } from '@api/index';

/**
 * `closed`: the connection was open and dropped (retrying). `refused`: it never opened since the
 * page loaded — the engine is gone or the token is no longer valid. `no-token`: web mode opened
 * without its access token, so nothing is tried.
 */
export type ConnectionState = 'connecting' | 'open' | 'closed' | 'refused' | 'no-token';

/** How the renderer reaches the engine: Electron IPC (preload) or web mode's WebSocket. */
export interface BenchTransport {
  readonly kind: 'electron' | 'web';
  invoke(request: InvokeRequest): Promise<InvokeResult>;
  onEvent(listener: (event: BenchEvent) => void): () => void;
  onState(listener: (state: ConnectionState) => void): () => void;
}
