/**
 * The sample custom authentication server (`kbench chain custom-server`): the protocol of
 * docs/chain-custom-auth.md over HTTPS, passing a fixed list of users and failing everyone else.
 * A starting point for a server of one's own, and the other end of the `custom` method in tests.
 *
 * Users come from a TOML file shaped like Azure's passwords.toml, with the password in clear:
 *   [client1]
 *   password = "secret"
 *   [client1.attributes]
 *   floor = "1"
 * One line per request goes to `log`: who asked and the outcome — never the password.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { parse, TomlError } from 'smol-toml';
import { logSafe } from '../../system/log-safe';
import type { CustomAuthAnswer } from './methods/custom';

export interface CustomServerUser {
  password: string;
  attributes: Record<string, string>;
}

export type CustomServerUsers = Map<string, CustomServerUser>;

/** A users file that cannot be read as the sample server expects: "users.toml:3: …". */
export class UsersFileError extends Error {
  override name = 'UsersFileError';
}

const MAX_REQUEST_BYTES = 64 * 1024;

function asUser(name: string, entry: unknown, source: string): CustomServerUser {
  if (!entry || typeof entry !== 'object' || Array.isArray(entry)) throw new UsersFileError(`${source}: [${name}] is not a table`);
  const { password, attributes, ...rest } = entry as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length) throw new UsersFileError(`${source}: [${name}] has unknown key ${unknown[0]} (password and attributes only)`);
  if (typeof password !== 'string') throw new UsersFileError(`${source}: [${name}].password is missing or not a string`);
  const out: Record<string, string> = {};
  if (attributes !== undefined) {
    if (!attributes || typeof attributes !== 'object' || Array.isArray(attributes)) throw new UsersFileError(`${source}: [${name}.attributes] is not a table`);
    for (const [key, value] of Object.entries(attributes)) {
      if (typeof value !== 'string') throw new UsersFileError(`${source}: [${name}.attributes].${key} is not a string`);
      out[key] = value;
    }
  }
  return { password, attributes: out };
}

/** Parses the users TOML; errors name the file and, for syntax, the line. */
export function parseUsersToml(text: string, source = 'users.toml'): CustomServerUsers {
  let document: Record<string, unknown>;
  try {
    document = parse(text) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof TomlError) throw new UsersFileError(`${source}:${error.line}: ${error.message.split('\n')[0]}`);
    throw error;
  }
  return new Map(Object.entries(document).map(([name, entry]) => [name, asUser(name, entry, source)]));
}

export async function readUsersFile(file: string): Promise<CustomServerUsers> {
  return parseUsersToml(await readFile(file, 'utf8'), file);
}

/** `--allow USER:PASSWORD` (the first colon splits: passwords may contain colons). */
export function parseAllow(value: string): [string, CustomServerUser] {
  const colon = value.indexOf(':');
  if (colon <= 0) throw new UsersFileError(`--allow "${value.slice(0, colon < 0 ? 20 : colon)}…" is not USER:PASSWORD`);
  return [value.slice(0, colon), { password: value.slice(colon + 1), attributes: {} }];
}

function samePassword(presented: Buffer, expected: string): boolean {
  // Equal-length digests, so the comparison takes the same time whatever was presented.
  const digest = (b: Buffer) => createHash('sha256').update(b).digest();
  return timingSafeEqual(digest(presented), digest(Buffer.from(expected, 'utf8')));
}

export interface SampleDecision {
  status: number;
  answer: CustomAuthAnswer;
  /** For the log line: who asked (escaped) — no password. */
  who: string;
}

/** The sample's policy on one request body: pass listed users with the right password. */
export function decideSample(body: string, users: CustomServerUsers): SampleDecision {
  let request: Record<string, unknown>;
  try {
    const value: unknown = JSON.parse(body);
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('not an object');
    request = value as Record<string, unknown>;
  } catch {
    return { status: 400, answer: { result: 'fail', reason: 'request is not a JSON object' }, who: '?' };
  }
  const username = typeof request.username === 'string' ? request.username : undefined;
  const clientId = typeof request.clientId === 'string' ? request.clientId : '?';
  const who = `client=${logSafe(clientId)} username=${username === undefined ? '(none)' : logSafe(username)} from ${logSafe(String(request.remoteAddress ?? '?'))}`;
  if (username === undefined) return { status: 200, answer: { result: 'fail', reason: 'no username' }, who };
  const user = users.get(username);
  if (!user) return { status: 200, answer: { result: 'fail', reason: `unknown user ${username}` }, who };
  const password = typeof request.password === 'string' ? Buffer.from(request.password, 'base64') : undefined;
  if (!password) return { status: 200, answer: { result: 'fail', reason: 'no password' }, who };
  if (!samePassword(password, user.password)) return { status: 200, answer: { result: 'fail', reason: 'wrong password' }, who };
  return { status: 200, answer: { result: 'pass', attributes: user.attributes }, who };
}

export interface CustomAuthServerOptions {
  certPem: string;
  keyPem: string;
  users: CustomServerUsers;
  host?: string;
  /** 0 (default): any free port. */
  port?: number;
  log?(line: string): void;
}

export interface CustomAuthServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

function handle(request: IncomingMessage, response: ServerResponse, options: CustomAuthServerOptions): void {
  const reply = (status: number, answer: CustomAuthAnswer) => {
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
  };
  if (request.method !== 'POST') return reply(405, { result: 'fail', reason: 'POST a JSON request' });
  const chunks: Buffer[] = [];
  let size = 0;
  request.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= MAX_REQUEST_BYTES) chunks.push(chunk);
  });
  request.on('end', () => {
    if (size > MAX_REQUEST_BYTES) return reply(413, { result: 'fail', reason: `request larger than ${MAX_REQUEST_BYTES} bytes` });
    const decision = decideSample(Buffer.concat(chunks).toString('utf8'), options.users);
    const outcome = decision.answer.result === 'pass' ? 'pass' : `fail (${logSafe(decision.answer.reason ?? '')})`;
    options.log?.(`${new Date().toISOString()} ${decision.who}: ${outcome}\n`);
    reply(decision.status, decision.answer);
  });
  request.on('error', () => response.destroy());
}

export async function startCustomAuthServer(options: CustomAuthServerOptions): Promise<CustomAuthServer> {
  const server = https.createServer({ cert: options.certPem, key: options.keyPem }, (request, response) => handle(request, response, options));
  // A client that connects and says nothing must not hold a socket forever.
  server.requestTimeout = 10_000;
  server.headersTimeout = 10_000;
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `https://${shownHost}:${port}/`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
