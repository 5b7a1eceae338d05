/**
 * The HTTP endpoint: node:http on 127.0.0.1, one request = one Exchange (source 'http', role
 * 'server'). The endpoint owns the sockets, the per-connection acceptor contexts (acceptor.ts), the
 * Exchange of every request and the bounds on what a client may send; a mode (Elasticsearch,
 * web SSO) decides what each authenticated — or not — request gets.
 *
 * Bounds: request headers up to 64 KiB in all (a Kerberos token with a big PAC, base64, fits;
 * Node answers 431 beyond), bodies up to 64 KiB, headers within 10 s and the request within 30 s.
 * Malformed requests never reach a mode; a failing mode answers 500 and the server stays up.
 */
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { HttpAuthPath, HttpMode } from '../api/http';
import type { Exchange, ExchangeIdentity, ExchangeVerdict } from '../exchange/model';
import { ExchangeRecorder } from '../exchange/recorder';
import { AcceptorConnection, type NegotiateAcceptorOptions } from './acceptor';
import { authenticate, type AuthPolicy, type AuthResult } from './authenticate';
import type { ConsoleUsers } from './users';

const MAX_HEADER_BYTES = 64 * 1024;
export const MAX_BODY_BYTES = 64 * 1024;
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 30_000;
/** Exchanges kept for exchanges() and the UI; older ones drop off. */
export const KEPT_EXCHANGES = 500;

/** What a mode gets for one request. */
export interface ModeRequest {
  request: IncomingMessage;
  url: URL;
  auth: AuthResult;
  /** The body, at most MAX_BODY_BYTES; undefined when it was larger. */
  body(): Promise<Buffer | undefined>;
}

/** What a mode answers, and how the Exchange should read. */
export interface Reply {
  status: number;
  contentType: string;
  body: string;
  headers?: Record<string, string | string[]>;
  /** The token in `WWW-Authenticate: Negotiate <token>` (continue or mutual authentication): decoded into the response step. */
  negotiateToken?: Buffer;
  path: HttpAuthPath;
  why: string;
  verdict: ExchangeVerdict;
  identity?: ExchangeIdentity;
  mechanism: 'Negotiate' | 'Basic';
  /** A line for the endpoint's log ("Single-sign-on with Kerberos was enabled by admin"). */
  log?: string;
}

export interface EndpointMode {
  readonly mode: HttpMode;
  /** Which schemes a request to this URL may use now. */
  policy(url: URL): AuthPolicy;
  handle(request: ModeRequest): Promise<Reply>;
  /** The answer when the endpoint itself failed (an exception in the mode): in the mode's format. */
  internalError(reason: string): Reply;
}

export interface EndpointOptions {
  port: number;
  /** The port is a default: when taken, listen on a free one instead. */
  fallBack: boolean;
  mode: EndpointMode;
  acceptor: NegotiateAcceptorOptions;
  users: ConsoleUsers;
  /** The Exchange's service ("HTTP@localhost") and profile id. */
  service: string;
  profile: string;
  onExchange(exchange: Exchange): void;
  onLog(line: string): void;
}

export interface HttpEndpoint {
  readonly port: number;
  readonly fellBack: boolean;
  readonly exchanges: readonly Exchange[];
  readonly requests: number;
  close(): Promise<void>;
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on('end', () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks)));
    request.on('error', () => resolve(undefined));
  });
}

class Endpoint implements HttpEndpoint {
  readonly exchanges: Exchange[] = [];
  requests = 0;
  port = 0;
  fellBack = false;
  private readonly server: Server;
  private readonly connections = new Map<Socket, { id: number; acceptor: AcceptorConnection }>();
  private nextConnection = 1;

  constructor(private readonly options: EndpointOptions) {
    this.server = createServer({ maxHeaderSize: MAX_HEADER_BYTES, headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS }, (req, res) => {
      void this.serve(req, res);
    });
    this.server.on('connection', (socket: Socket) => {
      this.connections.set(socket, { id: this.nextConnection++, acceptor: new AcceptorConnection(options.acceptor) });
      socket.once('close', () => {
        void this.connections.get(socket)?.acceptor.release();
        this.connections.delete(socket);
      });
    });
    this.server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => this.clientError(error, socket));
  }

  async start(): Promise<void> {
    try {
      this.port = await listen(this.server, this.options.port);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || !this.options.fallBack) throw error;
      this.port = await listen(this.server, 0);
      this.fellBack = true;
    }
  }

  private connectionOf(req: IncomingMessage): { id: number; acceptor: AcceptorConnection } {
    let connection = this.connections.get(req.socket);
    if (!connection) {
      connection = { id: this.nextConnection++, acceptor: new AcceptorConnection(this.options.acceptor) };
      this.connections.set(req.socket, connection);
    }
    return connection;
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requests++;
    const connection = this.connectionOf(req);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const recorder = new ExchangeRecorder({
      source: 'http',
      role: 'server',
      mechanism: 'Negotiate',
      service: this.options.service,
      profile: this.options.profile,
      meta: {
        mode: this.options.mode.mode,
        request: `${req.method ?? 'GET'} ${url.pathname}`,
        remoteAddress: `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`,
        connection: `#${connection.id}`,
      },
    });
    let reply: Reply;
    try {
      const policy = this.options.mode.policy(url);
      const auth = await authenticate({ request: req, policy, users: this.options.users, connection: connection.acceptor, record: (step) => recorder.add(step) });
      reply = await this.options.mode.handle({ request: req, url, auth, body: () => readBody(req) });
    } catch (error) {
      reply = this.options.mode.internalError(`the endpoint failed on this request: ${(error as Error).message}`);
    }
    this.respond(res, reply, recorder, connection.acceptor);
  }

  private respond(res: ServerResponse, reply: Reply, recorder: ExchangeRecorder, acceptor: AcceptorConnection): void {
    const headers: Record<string, string | string[]> = {
      'Content-Type': reply.contentType,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      ...reply.headers,
    };
    const body = Buffer.from(reply.body, 'utf8');
    if (!res.headersSent) {
      res.writeHead(reply.status, { ...headers, 'Content-Length': body.length });
      res.end(body);
    }
    const challenge = headers['WWW-Authenticate'];
    const transport = {
      protocol: 'http' as const,
      packet: String(reply.status),
      fields: { status: `${reply.status} ${STATUS_CODES[reply.status] ?? ''}`.trim(), ...(challenge ? { 'WWW-Authenticate': [challenge].flat().join(', ') } : {}) },
    };
    if (reply.negotiateToken?.length) recorder.add(acceptor.responseStep(reply.negotiateToken, transport));
    else recorder.add({ direction: 'server-to-client', transport, summary: `${transport.fields.status}: ${reply.why}` });
    this.finish(recorder, reply);
  }

  private finish(recorder: ExchangeRecorder, reply: Pick<Reply, 'path' | 'why' | 'verdict' | 'identity' | 'mechanism' | 'log'>): void {
    const exchange = recorder.exchange;
    exchange.mechanism = reply.mechanism;
    exchange.meta = { ...exchange.meta, path: reply.path, why: reply.why, ...(reply.log ? { log: reply.log } : {}) };
    if (reply.identity) exchange.identity = reply.identity;
    recorder.finish(reply.verdict);
    this.exchanges.push(exchange);
    if (this.exchanges.length > KEPT_EXCHANGES) this.exchanges.splice(0, this.exchanges.length - KEPT_EXCHANGES);
    if (reply.log) this.options.onLog(reply.log);
    this.options.onExchange(exchange);
  }

  /** Requests Node could not parse (oversized headers, bad request lines): answered and recorded. */
  private clientError(error: NodeJS.ErrnoException, socket: Socket): void {
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    if (socket.writable) socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    else socket.destroy();
    if (error.code === 'ECONNRESET') return;
    this.requests++;
    const recorder = new ExchangeRecorder({ source: 'http', role: 'server', mechanism: 'Negotiate', service: this.options.service, profile: this.options.profile });
    recorder.exchange.meta = { mode: this.options.mode.mode, request: '(unparsed)', remoteAddress: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}` };
    const why = status === 431 ? `the request headers exceed ${MAX_HEADER_BYTES} bytes` : `Node's HTTP parser refused the request (${error.code ?? error.message})`;
    recorder.add({ direction: 'server-to-client', transport: { protocol: 'http', packet: String(status), fields: { status: `${status} ${STATUS_CODES[status]}` } }, summary: why });
    this.finish(recorder, { path: 'refused', why, verdict: { outcome: 'failure', reason: why, code: String(status) }, mechanism: 'Negotiate' });
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    await Promise.all([...this.connections.values()].map((c) => c.acceptor.release()));
    this.connections.clear();
  }
}

export async function startHttpEndpoint(options: EndpointOptions): Promise<HttpEndpoint> {
  const endpoint = new Endpoint(options);
  await endpoint.start();
  return endpoint;
}
