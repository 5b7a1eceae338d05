import type { BenchEvent, InvokeRequest, InvokeResult, WireClientMessage, WireServerMessage } from '@api/index';
import type { BenchTransport, ConnectionState } from './transport';

const RETRY_DELAYS_MS = [500, 1000, 2000, 5000];
/** Calls that never get an answer fail after this long instead of spinning forever. */
const CALL_TIMEOUT_MS = 120_000;

interface Pending {
  resolve(result: InvokeResult): void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * Web mode: one WebSocket to the host's /api, authenticated by the session cookie the host set
 * when the tokened URL was opened. Reconnects with backoff; calls made while disconnected wait
 * for the connection, calls in flight when it drops fail with a `transport` error.
 */
export function webSocketTransport(url: string): BenchTransport {
  let socket: WebSocket | undefined;
  let nextId = 1;
  let attempt = 0;
  let state: ConnectionState = 'connecting';
  const pending = new Map<number, Pending>();
  const queue: WireClientMessage[] = [];
  const eventListeners = new Set<(event: BenchEvent) => void>();
  const stateListeners = new Set<(state: ConnectionState) => void>();

  const setState = (next: ConnectionState) => {
    state = next;
    for (const listener of stateListeners) listener(next);
  };

  const settle = (id: number, result: InvokeResult) => {
    const call = pending.get(id);
    if (!call) return;
    clearTimeout(call.timer);
    pending.delete(id);
    call.resolve(result);
  };

  function connect(): void {
    setState('connecting');
    const ws = new WebSocket(url);
    socket = ws;
    ws.onopen = () => {
      attempt = 0;
      setState('open');
      for (const message of queue.splice(0)) ws.send(JSON.stringify(message));
    };
    ws.onmessage = (message: MessageEvent<string>) => {
      let data: WireServerMessage;
      try {
        data = JSON.parse(message.data) as WireServerMessage;
      } catch {
        return;
      }
      if (data.type === 'event') for (const listener of eventListeners) listener(data.event);
      else if (data.type === 'result' && data.id !== null) settle(data.id, data.result);
    };
    ws.onclose = () => {
      for (const id of [...pending.keys()]) {
        settle(id, { ok: false, error: { code: 'transport', message: 'Lost the connection to the bench engine' } });
      }
      setState('closed');
      const delay = RETRY_DELAYS_MS[Math.min(attempt++, RETRY_DELAYS_MS.length - 1)];
      setTimeout(connect, delay);
    };
  }
  connect();

  return {
    kind: 'web',
    invoke(request: InvokeRequest): Promise<InvokeResult> {
      return new Promise((resolve) => {
        const id = nextId++;
        const timer = setTimeout(
          () => settle(id, { ok: false, error: { code: 'transport', message: `${request.service}.${request.method} got no answer within ${CALL_TIMEOUT_MS / 1000} s` } }),
          CALL_TIMEOUT_MS,
        );
        pending.set(id, { resolve, timer });
        // JSON turns undefined into null, which optional parameters refuse: drop trailing ones.
        const args = [...request.args];
        while (args.length && args[args.length - 1] === undefined) args.pop();
        const message: WireClientMessage = { type: 'invoke', id, ...request, args };
        if (state === 'open' && socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
        else queue.push(message);
      });
    },
    onEvent(listener) {
      eventListeners.add(listener);
      return () => eventListeners.delete(listener);
    },
    onState(listener) {
      stateListeners.add(listener);
      listener(state);
      return () => stateListeners.delete(listener);
    },
  };
}
