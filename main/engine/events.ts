import type { BenchEvent, BenchEventName, BenchEvents } from '../api/events';

export type BenchEventListener = (event: BenchEvent) => void;

/**
 * The engine's event bus. Services emit typed events; each adapter (Electron window, WebSocket
 * client, CLI) subscribes once and forwards everything.
 */
export class BenchEventBus {
  private readonly listeners = new Set<BenchEventListener>();

  emit<K extends BenchEventName>(name: K, payload: BenchEvents[K]): void {
    const event = { name, payload } as BenchEvent;
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A broken subscriber (closed socket, destroyed window) must not stop the others.
      }
    }
  }

  subscribe(listener: BenchEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get size(): number {
    return this.listeners.size;
  }
}
