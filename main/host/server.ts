import { existsSync, realpathSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import path from 'node:path';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { WireClientMessage, WireServerMessage } from '../api/wire';
import { WIRE_PATH } from '../api/wire';
import type { Engine } from '../engine';
import { packageRoot } from '../system/paths';
import { HostAccess } from './access';
import { contentSecurityPolicy } from './csp';
import { serveStatic } from './static';

export interface WebHostOptions {
  engine: Engine;
  /** TCP port on 127.0.0.1; 0 picks a free one. */
  port?: number;
  /** The built renderer (index.html and assets). Default: out/renderer of this install. */
  rendererDir?: string;
  /** Fixed token (tests); default: 24 random bytes. */
  token?: string;
}

export interface WebHost {
  /** The URL to open, token included: http://127.0.0.1:PORT/?token=… */
  readonly url: string;
  readonly port: number;
  readonly token: string;
  /** Number of connected browser sessions. */
  readonly clients: number;
  close(): Promise<void>;
}

/** Largest WebSocket message accepted from a browser (a pasted capture can be big). */
const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

export function defaultRendererDir(): string {
  return path.join(packageRoot(), 'out', 'renderer');
}

function securityHeaders(port: number): Record<string, string> {
  return {
    'Content-Security-Policy': contentSecurityPolicy([`ws://127.0.0.1:${port}`, `ws://localhost:${port}`]),
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
  };
}

function refuse(response: ServerResponse, status: 403 | 405, message: string): void {
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' }).end(`${message}\n`);
}

function refuseUpgrade(socket: Duplex, status: 401 | 403 | 404, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/** An invocation from the browser, or why the frame is not one. */
function readClientMessage(data: RawData, isBinary: boolean): WireClientMessage | string {
  if (isBinary) return 'Malformed message: binary frames are not part of the protocol';
  let message: WireClientMessage | null;
  try {
    message = JSON.parse(data.toString()) as WireClientMessage | null;
  } catch (error) {
    return `Malformed message: ${(error as Error).message}`;
  }
  if (message?.type !== 'invoke' || typeof message.id !== 'number') return 'Malformed message: expected {type:"invoke", id, service, method, args}';
  return message;
}

/**
 * Web mode: serves the built renderer and the Bench API over a WebSocket, on 127.0.0.1 only,
 * behind a random token.
 */
export async function startWebHost(options: WebHostOptions): Promise<WebHost> {
  const { engine } = options;
  const given = path.resolve(options.rendererDir ?? defaultRendererDir());
  if (!existsSync(path.join(given, 'index.html'))) {
    throw new Error(`The renderer is not built (${given}/index.html missing): run npm run build`);
  }
  // Its real path: files are served only when their own real path lies under it.
  const rendererDir = realpathSync(given);
  const access = new HostAccess(options.token);
  const sockets = new Set<WebSocket>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES, handleProtocols: (protocols) => HostAccess.selectProtocol(protocols) });

  const handleRequest = (request: IncomingMessage, response: ServerResponse): void => {
    for (const [name, value] of Object.entries(securityHeaders(access.port))) response.setHeader(name, value);
    if (!access.hostAllowed(request)) return refuse(response, 403, 'Forbidden: unexpected Host header');
    if (request.method !== 'GET' && request.method !== 'HEAD') return refuse(response, 405, 'Method not allowed');
    // The static app holds no secret: it is served without the token, which only the API needs
    // (the page reads it from ?token= and presents it on the WebSocket upgrade).
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    void serveStatic(rendererDir, url.pathname, response, request.method === 'HEAD').catch(() => {
      if (!response.headersSent) refuse(response, 403, 'Cannot read file');
      else response.destroy();
    });
  };

  const server: Server = createServer(handleRequest);

  server.on('upgrade', (request, socket, head) => {
    const pathname = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
    if (pathname !== WIRE_PATH) return refuseUpgrade(socket, 404, 'Not Found');
    if (!access.hostAllowed(request) || !access.originAllowed(request)) return refuseUpgrade(socket, 403, 'Forbidden');
    if (!access.upgradeAuthorized(request)) return refuseUpgrade(socket, 401, 'Unauthorized');
    wss.handleUpgrade(request, socket, head, (ws) => attach(ws));
  });

  function send(ws: WebSocket, message: WireServerMessage): void {
    if (ws.readyState !== ws.OPEN) return;
    let text: string;
    try {
      text = JSON.stringify(message);
    } catch (error) {
      // A result that cannot be serialised is still an answer, never a dead host.
      if (message.type !== 'result') return;
      text = JSON.stringify({ type: 'result', id: message.id, result: { ok: false, error: { code: 'failed', message: `The answer could not be sent: ${(error as Error).message}` } } });
    }
    ws.send(text);
  }

  function attach(ws: WebSocket): void {
    sockets.add(ws);
    const unsubscribe = engine.events.subscribe((event) => send(ws, { type: 'event', event }));
    ws.on('message', (data, isBinary) => {
      const message = readClientMessage(data, isBinary);
      if (typeof message === 'string') return send(ws, { type: 'result', id: null, result: { ok: false, error: { code: 'invalid-input', message } } });
      // dispatch never rejects; should anything else on this path fail, the browser still gets its answer.
      engine.invoke({ service: message.service, method: message.method, args: message.args }).then(
        (result) => send(ws, { type: 'result', id: message.id, result }),
        (error: unknown) => send(ws, { type: 'result', id: message.id, result: { ok: false, error: { code: 'failed', message: `Internal error: ${String(error)}` } } }),
      );
    });
    ws.on('close', () => {
      unsubscribe();
      sockets.delete(ws);
    });
    ws.on('error', () => ws.terminate());
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new Error(`port ${options.port} on 127.0.0.1 is in use: choose another with --port (0 picks a free one)`) : error),
    );
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.removeAllListeners('error');
      // Once listening, a server error must not take the engine down with it.
      server.on('error', () => {});
      resolve();
    });
  });
  const address = server.address();
  access.port = typeof address === 'object' && address ? address.port : 0;

  return {
    url: `http://127.0.0.1:${access.port}/?token=${access.token}`,
    port: access.port,
    token: access.token,
    get clients() {
      return sockets.size;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of sockets) ws.terminate();
        wss.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
