/**
 * The probe's HTTP client: one GET at a time on a keep-alive connection of its own (NTLM, and
 * Negotiate on servers with connection-bound contexts, authenticate the connection, not the
 * request), headers kept in order as sent and received, the first 4 KiB of each body.
 */
import http from 'node:http';
import https from 'node:https';

/** What a hop keeps of a body (the rest is read and dropped, so the connection can be reused). */
export const BODY_KEEP_BYTES = 4096;
/** Past this a response body is not drained: the connection is dropped instead. */
const BODY_DRAIN_BYTES = 1024 * 1024;
export const REQUEST_TIMEOUT_MS = 30_000;

export interface HttpAnswer {
  status: number;
  statusText: string;
  /** Header lines as received, in order (node's rawHeaders). */
  headers: [string, string][];
  body: string;
}

export interface HttpClient {
  get(url: string, headers: [string, string][], signal: AbortSignal): Promise<HttpAnswer>;
  close(): void;
}

/** Values of one header (case-insensitive name), in order. */
export function headerValues(headers: readonly [string, string][], name: string): string[] {
  const lower = name.toLowerCase();
  return headers.filter(([n]) => n.toLowerCase() === lower).map(([, v]) => v);
}

function pairs(raw: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i]!, raw[i + 1]!]);
  return out;
}

/** An HTTP client for one probe run; `insecure` skips certificate checks for https. */
export function createHttpClient(options: { insecure?: boolean; timeoutMs?: number } = {}): HttpClient {
  const agents = {
    http: new http.Agent({ keepAlive: true, maxSockets: 1 }),
    https: new https.Agent({ keepAlive: true, maxSockets: 1, rejectUnauthorized: !options.insecure }),
  };
  const timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS;
  return {
    get(url, headers, signal) {
      const parsed = new URL(url);
      const secure = parsed.protocol === 'https:';
      const send = secure ? https.request : http.request;
      return new Promise<HttpAnswer>((resolve, reject) => {
        const request = send(parsed, { method: 'GET', agent: secure ? agents.https : agents.http, headers: Object.fromEntries(headers), signal, timeout: timeoutMs }, (response) => {
          const kept: Buffer[] = [];
          let size = 0;
          response.on('data', (chunk: Buffer) => {
            if (size < BODY_KEEP_BYTES) kept.push(chunk.subarray(0, BODY_KEEP_BYTES - size));
            size += chunk.length;
            if (size > BODY_DRAIN_BYTES) response.destroy();
          });
          const done = () =>
            resolve({
              status: response.statusCode ?? 0,
              statusText: response.statusMessage ?? '',
              headers: pairs(response.rawHeaders),
              body: Buffer.concat(kept).toString('utf8'),
            });
          response.once('end', done);
          response.once('close', done);
          response.once('error', reject);
        });
        request.once('timeout', () => request.destroy(new Error(`no answer from ${parsed.host} within ${timeoutMs} ms`)));
        request.once('error', reject);
        request.end();
      });
    },
    close() {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}

/** A socket or TLS error in words, with what to do about the common ones. */
export function explainHttpError(error: Error & { code?: string }, url: string): string {
  const host = new URL(url).host;
  if (error.code === 'ECONNREFUSED') return `${error.message}: nothing listens at ${host} — is the server running, and on this port?`;
  if (error.code === 'ENOTFOUND') return `${error.message}: the host name does not resolve`;
  if (error.code && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(error.code)) return `${error.message} (${error.code}): the server's certificate is not trusted — skip verification for a test (--insecure)`;
  return error.message;
}
