import { inject, onBeforeUnmount, ref, type InjectionKey, type Ref } from 'vue';
import type { BenchClient } from '../api/client';
import type { ConnectionState } from '../api/transport';

export const benchKey: InjectionKey<BenchClient> = Symbol('bench');

/** The Bench API client provided at startup (Electron bridge or web-mode WebSocket). */
export function useBench(): BenchClient {
  const client = inject(benchKey);
  if (!client) throw new Error('Bench client not provided');
  return client;
}

/** The live connection state, for the status bar and the "reconnecting" banner. */
export function useConnectionState(): Ref<ConnectionState> {
  const state = ref<ConnectionState>('connecting');
  const stop = useBench().onState((next) => (state.value = next));
  onBeforeUnmount(stop);
  return state;
}
