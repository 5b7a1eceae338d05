/**
 * The broker's network listeners: MQTT over TCP, over TLS, and over WebSocket (subprotocol
 * "mqtt", MQTT 5 §6). Each hands every accepted connection, as a Duplex, to the gateway.
 * A listener without a port tries its protocol's default (1883, 8883, 8083) and takes any free
 * port when that one is in use; the actual address is reported either way.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { WebSocketServer, createWebSocketStream } from 'ws';
import { keyLogAppender } from '../capture/tls/keylog-file';

export type ListenerProtocol = 'tcp' | 'tls' | 'ws';

export const DEFAULT_PORTS: Record<ListenerProtocol, number> = { tcp: 1883, tls: 8883, ws: 8083 };
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_WS_PATH = '/mqtt';

/** Where and how a listener listens (the authentication settings are in broker.ts). */
export interface ListenerEndpoint {
  protocol: ListenerProtocol;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default: the protocol's port, or a free one when that is taken. 0: any free port. */
  port?: number;
  /** WebSocket only: the HTTP path of the endpoint, default "/mqtt". */
  path?: string;
  /** TLS only: PEM files, and a key log file the TLS secrets are appended to (NSS format, for decrypting captures). */
  tls?: {
    certFile: string;
    keyFile: string;
    caFile?: string;
    keyLogFile?: string;
    /** Ask the client for a certificate but accept any (or none): the authentication chain judges it. */
    requestCert?: boolean;
  };
}

export interface ListenerAddress {
  /** "tcp://127.0.0.1:1883", "ws://127.0.0.1:8083/mqtt". */
  name: string;
  protocol: ListenerProtocol;
  host: string;
  port: number;
  /** What an MQTT client connects to: mqtt://, mqtts://, ws:// URL. */
  url: string;
  /** The default port was in use, so this listener took a free port instead. */
  fellBack: boolean;
}

export interface RunningListener {
  address: ListenerAddress;
  close(): Promise<void>;
}

/** Receives each accepted connection and the peer's "address:port". */
export type AcceptConnection = (stream: Duplex, remoteAddress: string) => void;

function peer(socket: net.Socket): string {
  const address = socket.remoteAddress ?? 'unknown';
  return address.includes(':') ? `[${address}]:${socket.remotePort}` : `${address}:${socket.remotePort}`;
}

function listenOnce(server: net.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      server.off('listening', onListening);
      reject(error);
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

/** Listens on the requested port, or on the default one — and on any free port if that is taken. */
async function listen(server: net.Server, endpoint: ListenerEndpoint, host: string): Promise<{ port: number; fellBack: boolean }> {
  let fellBack = false;
  if (endpoint.port !== undefined) {
    await listenOnce(server, host, endpoint.port);
  } else {
    try {
      await listenOnce(server, host, DEFAULT_PORTS[endpoint.protocol]);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EADDRINUSE' && code !== 'EACCES') throw error;
      await listenOnce(server, host, 0);
      fellBack = true;
    }
  }
  return { port: (server.address() as net.AddressInfo).port, fellBack };
}

function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

function describe(endpoint: ListenerEndpoint, host: string, port: number, fellBack: boolean): ListenerAddress {
  const hostPart = host.includes(':') ? `[${host}]` : host;
  const path = endpoint.protocol === 'ws' ? (endpoint.path ?? DEFAULT_WS_PATH) : '';
  const scheme = { tcp: 'mqtt', tls: 'mqtts', ws: 'ws' }[endpoint.protocol];
  return {
    name: `${endpoint.protocol}://${hostPart}:${port}${path}`,
    protocol: endpoint.protocol,
    host,
    port,
    url: `${scheme}://${hostPart}:${port}${path}`,
    fellBack,
  };
}

function tlsServer(endpoint: ListenerEndpoint, accept: AcceptConnection): net.Server {
  if (!endpoint.tls) throw new Error('a TLS listener needs tls.certFile and tls.keyFile');
  const options: tls.TlsOptions = {
    cert: readFileSync(endpoint.tls.certFile),
    key: readFileSync(endpoint.tls.keyFile),
    ...(endpoint.tls.caFile ? { ca: readFileSync(endpoint.tls.caFile) } : {}),
    ...(endpoint.tls.requestCert ? { requestCert: true, rejectUnauthorized: false } : {}),
  };
  const server = tls.createServer(options, (socket) => {
    socket.setNoDelay(true);
    accept(socket, peer(socket));
  });
  // A client that fails the handshake never becomes an MQTT connection.
  server.on('tlsClientError', () => undefined);
  if (endpoint.tls.keyLogFile) server.on('keylog', keyLogAppender(endpoint.tls.keyLogFile));
  return server;
}

/** MQTT over WebSocket: the "mqtt" subprotocol on `path`; each connection becomes a byte stream. */
function startWebSocket(endpoint: ListenerEndpoint, accept: AcceptConnection, maxMessageSize: number): { server: http.Server; stop(): void } {
  const server = http.createServer((_request, response) => {
    response.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' });
    response.end(`MQTT over WebSocket: connect to ${endpoint.path ?? DEFAULT_WS_PATH} with subprotocol "mqtt"\n`);
  });
  const wss = new WebSocketServer({
    server,
    path: endpoint.path ?? DEFAULT_WS_PATH,
    // ws buffers a whole message before the gateway sees it: bound it by the packet limit.
    maxPayload: maxMessageSize,
    handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : protocols.has('mqttv3.1') ? 'mqttv3.1' : false),
  });
  wss.on('error', () => undefined);
  wss.on('connection', (socket, request) => {
    socket.on('error', () => undefined);
    accept(createWebSocketStream(socket), peer(request.socket));
  });
  return {
    server,
    stop: () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.closeAllConnections();
    },
  };
}

/**
 * Starts one listener. `maxMessageSize` bounds what the WebSocket layer buffers per message
 * (the gateway's own limit applies to each MQTT packet).
 */
export async function startListener(endpoint: ListenerEndpoint, accept: AcceptConnection, maxMessageSize: number): Promise<RunningListener> {
  const host = endpoint.host ?? DEFAULT_HOST;
  let server: net.Server;
  let stop = (): void => undefined;
  if (endpoint.protocol === 'tcp') {
    server = net.createServer({ noDelay: true }, (socket) => accept(socket, peer(socket)));
  } else if (endpoint.protocol === 'tls') {
    server = tlsServer(endpoint, accept);
  } else {
    ({ server, stop } = startWebSocket(endpoint, accept, maxMessageSize));
  }
  const { port, fellBack } = await listen(server, endpoint, host);
  return {
    address: describe(endpoint, host, port, fellBack),
    close: async () => {
      stop();
      await closeServer(server);
    },
  };
}
