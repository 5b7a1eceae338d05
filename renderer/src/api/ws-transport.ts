import type { BenchEvent, InvokeRequest, InvokeResult, WireClientMessage, WireProtocol, WireServerMessage, WireTokenProtocol } from '@api/index';
import type { BenchTransport, ConnectionState } from './transport';

const NO_TOKEN_MESSAGE = 'This page was opened without its access token: open the URL that `kbench web` printed (…/?token=…).';
const STALE_TOKEN_MESSAGE = 'Could not connect to the bench engine: if `kbench web` was restarted, open the new URL it printed (tokens change at every start).';
const RETRY_DELAYS_MS = [500, 1000, 2000, 5000];
/** Calls that never get an answer fail after this long instead of spinning forever. */
const CALL_TIMEOUT_MS = 120_000;

interface Pending {
  resolve(result: InvokeResult): void;
  timer: ReturnType<typeof setTimeout>;
}

/** Typed against main/api/wire.ts, so the two sides cannot drift apart. */
const WIRE_PROTOCOL: WireProtocol = 'kbench.v1';
const tokenProtocol = (token: string): WireTokenProtocol => `kbench.token.${token}`;

/** Attempts that never open, in a row, before the page says it is refused rather than connecting. */
const REFUSED_AFTER = 2;

/**
 * Web mode: one WebSocket to the host's /api, authenticated by the access token offered as a
 * subprotocol on the upgrade (never a cookie: see main/host/access.ts). Reconnects with backoff;
 * calls made while disconnected wait for the connection, calls in flight when it drops fail with a
 * `transport` error. Without a token nothing is tried and every call says how to get one.
 */
export function webSocketTransport(url: string, token: string | null): BenchTransport {
  let socket: WebSocket | undefined;
  let nextId = 1;
  let attempt = 0;
  let state: ConnectionState = token ? 'connecting' : 'no-token';
  let everOpened = false;
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

  function connect(token: string): void {
    if (state !== 'refused') setState('connecting');
    const ws = new WebSocket(url, [WIRE_PROTOCOL, tokenProtocol(token)]);
    socket = ws;
    ws.onopen = () => {
      attempt = 0;
      everOpened = true;
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
      // Every call waiting fails now: none of them may still be sent, and run, once a later connection opens.
      queue.length = 0;
      for (const id of [...pending.keys()]) {
        const message = everOpened ? 'Lost the connection to the bench engine' : STALE_TOKEN_MESSAGE;
        settle(id, { ok: false, error: { code: 'transport', message } });
      }
      setState(everOpened ? 'closed' : attempt + 1 >= REFUSED_AFTER ? 'refused' : 'connecting');
      const delay = RETRY_DELAYS_MS[Math.min(attempt++, RETRY_DELAYS_MS.length - 1)];
      setTimeout(() => connect(token), delay);
    };
  }
  if (token) connect(token);

  return {
    kind: 'web',
    invoke(request: InvokeRequest): Promise<InvokeResult> {
      if (!token) return Promise.resolve({ ok: false, error: { code: 'transport', message: NO_TOKEN_MESSAGE } });
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
