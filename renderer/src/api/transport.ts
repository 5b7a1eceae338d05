import type { BenchEvent, InvokeRequest, InvokeResult } from '@api/index';

export type ConnectionState = 'connecting' | 'open' | 'closed';

/** How the renderer reaches the engine: Electron IPC (preload) or web mode's WebSocket. */
export interface BenchTransport {
  readonly kind: 'electron' | 'web';
  invoke(request: InvokeRequest): Promise<InvokeResult>;
  onEvent(listener: (event: BenchEvent) => void): () => void;
  onState(listener: (state: ConnectionState) => void): () => void;
}
