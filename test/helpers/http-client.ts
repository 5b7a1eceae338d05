/**
 * Clients for the HTTP endpoint tests: real curl (7.88 here) with `--negotiate -u :`, and a raw
 * node:http request for headers curl would never send. Every call is bounded by a timeout.
 */
import { execFile } from 'node:child_process';
import http from 'node:http';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface HttpResult {
  status: number;
  /** The last response's header block (curl prints every response of a Negotiate exchange). */
  headers: string;
  body: string;
}

/** One curl call: the last response's status line and headers, and its body. Never throws for an HTTP status. */
export async function curl(args: string[], env: NodeJS.ProcessEnv): Promise<HttpResult> {
  const { stdout } = await exec('curl', ['-sS', '--max-time', '10', '-D', '-', ...args], { env, timeout: 15_000, encoding: 'utf8', maxBuffer: 4 * 1024 * 1024 });
  const blocks = stdout.split(/\r\n\r\n/);
  const headerBlocks: string[] = [];
  while (blocks.length && /^HTTP\/\d(\.\d)? \d{3}/.test(blocks[0]!)) headerBlocks.push(blocks.shift()!);
  const headers = headerBlocks.at(-1) ?? '';
  return { status: Number(/^HTTP\/\d(?:\.\d)? (\d{3})/.exec(headers)?.[1] ?? 0), headers, body: blocks.join('\r\n\r\n') };
}

/** Every value of a header in a curl header block (case-insensitive name). */
export function headerValues(block: string, name: string): string[] {
  return block
    .split(/\r\n/)
    .filter((line) => line.toLowerCase().startsWith(`${name.toLowerCase()}:`))
    .map((line) => line.slice(name.length + 1).trim());
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Every header line by name (WWW-Authenticate may come several times). */
  distinct: NodeJS.Dict<string[]>;
  body: string;
}

/** A request with exactly these headers (through `agent` to keep one connection), bounded by 10 s. */
export function rawRequest(options: { port: number; method?: string; path?: string; headers?: Record<string, string>; body?: string; agent?: http.Agent }): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: '127.0.0.1', port: options.port, method: options.method ?? 'GET', path: options.path ?? '/', headers: options.headers ?? {}, agent: options.agent ?? false, timeout: 10_000 },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, distinct: response.headersDistinct, body }));
      },
    );
    request.on('timeout', () => request.destroy(new Error('request timed out')));
    request.on('error', reject);
    request.end(options.body);
  });
}

/** The WWW-Authenticate values of a node:http response, as a list. */
export function challengesOf(response: RawResponse): string[] {
  return response.distinct['www-authenticate'] ?? [];
}
