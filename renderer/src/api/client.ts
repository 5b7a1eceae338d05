import type { BenchApi, BenchBridge, BenchErrorCode, BenchEvent, BenchEventName, BenchEvents } from '@api/index';
import { takeAccessToken } from './access-token';
import { bridgeTransport } from './bridge-transport';
import type { BenchTransport, ConnectionState } from './transport';
import { webSocketTransport } from './ws-transport';

/** A failed Bench API call, with the code the engine gave it. */
export class BenchCallError extends Error {
  constructor(
    readonly code: BenchErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'BenchCallError';
  }
}

export interface BenchClient {
  /** The Bench API, called exactly like the engine's services. */
  api: BenchApi;
  runtime: 'electron' | 'web';
  on<K extends BenchEventName>(name: K, listener: (payload: BenchEvents[K]) => void): () => void;
  onState(listener: (state: ConnectionState) => void): () => void;
}

/** Turns a transport into the typed API: `api.system.doctor()` → invoke({service, method, args}). */
function apiProxy(transport: BenchTransport): BenchApi {
  const services = new Map<string, unknown>();
  return new Proxy({} as BenchApi, {
    get(_target, service) {
      if (typeof service !== 'string') return undefined;
      if (!services.has(service)) {
        services.set(
          service,
          new Proxy(
            {},
            {
              get(_t, method) {
                if (typeof method !== 'string' || method === 'then') return undefined;
                return async (...args: unknown[]) => {
                  const result = await transport.invoke({ service, method, args });
                  if (!result.ok) throw new BenchCallError(result.error.code, result.error.message, result.error.details);
                  return result.value;
                };
              },
            },
          ),
        );
      }
      return services.get(service);
    },
  });
}

export function createBenchClient(transport: BenchTransport): BenchClient {
  return {
    api: apiProxy(transport),
    runtime: transport.kind,
    on(name, listener) {
      return transport.onEvent((event: BenchEvent) => {
        if (event.name === name) listener(event.payload as never);
      });
    },
    onState: (listener) => transport.onState(listener),
  };
}

/**
 * Electron when the preload exposed window.bench, otherwise web mode on this page's host, with the
 * access token the page was opened with (taken out of the address bar here, first thing).
 */
export function connectBench(): BenchClient {
  const bridge = (window as unknown as { bench?: BenchBridge }).bench;
  if (bridge) return createBenchClient(bridgeTransport(bridge));
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return createBenchClient(webSocketTransport(`${scheme}://${location.host}/api`, takeAccessToken()));
}
