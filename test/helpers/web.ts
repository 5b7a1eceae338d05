import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { WIRE_PROTOCOL, WIRE_TOKEN_PREFIX, type WireServerMessage } from '../../main/api/wire';

export interface RunningWeb {
  url: string;
  origin: string;
  token: string;
  port: number;
  child: ChildProcess;
  output(): string;
  stop(): Promise<number | null>;
}

/** Starts the real `kbench web --port 0` (the built CLI) and waits for the URL it prints. */
export function startKbenchWeb(extraArgs: string[] = [], env: NodeJS.ProcessEnv = process.env): Promise<RunningWeb> {
  // kbench web brings the lab realm up by default; tests that did not give it a data dir of their
  // own must not start a KDC in the user's data directory.
  const ownDataDir = Boolean(env.KBENCH_DATA_DIR && env.KBENCH_DATA_DIR !== process.env.KBENCH_DATA_DIR);
  const lab = ownDataDir ? [] : ['--no-lab'];
  // Without a data dir of its own, each web host still gets a fresh one: the workspace (the view
  // left last, its state) must not carry from one test file to the next.
  const dataDir = ownDataDir ? env.KBENCH_DATA_DIR! : mkdtempSync(path.join(os.tmpdir(), 'kbench-web-data-'));
  const child = spawn(process.execPath, [path.resolve('bin/kbench.js'), 'web', '--port', '0', ...lab, ...extraArgs], {
    env: { ...env, KBENCH_DATA_DIR: dataDir, DISPLAY: '', WAYLAND_DISPLAY: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`kbench web printed no URL within 20 s:\n${output}`));
    }, 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /http:\/\/127\.0\.0\.1:(\d+)\/\?token=([A-Za-z0-9_-]+)/.exec(output);
      if (!match) return;
      clearTimeout(timer);
      resolve({
        url: match[0],
        origin: `http://127.0.0.1:${match[1]}`,
        port: Number(match[1]),
        token: match[2]!,
        child,
        output: () => output,
        stop: () =>
          new Promise<number | null>((done) => {
            if (child.exitCode !== null) return done(child.exitCode);
            child.once('exit', (code) => done(code));
            child.kill('SIGINT');
          }).finally(() => {
            if (!ownDataDir) rmSync(dataDir, { recursive: true, force: true });
          }),
      });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`kbench web exited with ${code}:\n${output}`));
    });
  });
}

/** What a browser page of ours offers on the upgrade: the protocol and the token. */
export function benchProtocols(token: string): string[] {
  return [WIRE_PROTOCOL, `${WIRE_TOKEN_PREFIX}${token}`];
}

export type UpgradeOutcome = { outcome: 'open'; ws: WebSocket } | { outcome: 'refused'; status: number };

/** Opens a WebSocket and reports either 'open' or the HTTP status of the refused upgrade. */
export function upgrade(url: string, options: { headers?: Record<string, string>; protocols?: string[] } = {}): Promise<UpgradeOutcome> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, options.protocols ?? [], { headers: options.headers ?? {} });
    ws.once('open', () => resolve({ outcome: 'open', ws }));
    ws.once('unexpected-response', (_req, res) => resolve({ outcome: 'refused', status: res.statusCode ?? 0 }));
    ws.once('error', () => resolve({ outcome: 'refused', status: 0 }));
  });
}

/** The Bench API over web mode's WebSocket, as the page uses it (our Origin, the token as a subprotocol). */
export async function openBenchSocket(port: number, token: string): Promise<WebSocket> {
  const connection = await upgrade(`ws://127.0.0.1:${port}/api`, { headers: { Origin: `http://127.0.0.1:${port}` }, protocols: benchProtocols(token) });
  if (connection.outcome !== 'open') throw new Error(`the upgrade was refused: HTTP ${connection.status}`);
  return connection.ws;
}

/** The next message the host sends that matches `predicate`. */
export function nextMessage(ws: WebSocket, predicate: (m: WireServerMessage) => boolean = () => true): Promise<WireServerMessage> {
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData) => {
      const message = JSON.parse(data.toString()) as WireServerMessage;
      if (!predicate(message)) return;
      ws.off('message', onMessage);
      resolve(message);
    };
    ws.on('message', onMessage);
  });
}

/** Sends one invocation (as raw text, so tests can send what JSON.stringify could not make) and waits for its result. */
export async function invokeOver(ws: WebSocket, id: number, text: string): Promise<WireServerMessage> {
  const answer = nextMessage(ws, (m) => m.type === 'result' && (m.id === id || m.id === null));
  ws.send(text);
  return answer;
}
