/**
 * What the Bench API adapters cost. Baseline: calling the service directly. Compared in the same
 * run: the validating dispatcher (what Electron IPC runs in main) and a full web-mode WebSocket
 * round trip. vitest prints each as a ratio of the fastest.
 */
import { afterAll, beforeAll, bench, describe } from 'vitest';
import WebSocket from 'ws';
import { createEngine } from '../../main/engine';
import { startWebHost, type WebHost } from '../../main/host/server';
import { benchProtocols } from '../helpers/web';

const engine = createEngine({ runtime: 'web' });
let host: WebHost;
let ws: WebSocket;
let nextId = 1;
const waiting = new Map<number, () => void>();

beforeAll(async () => {
  host = await startWebHost({ engine, port: 0 });
  ws = new WebSocket(`ws://127.0.0.1:${host.port}/api`, benchProtocols(host.token));
  await new Promise((resolve) => ws.once('open', resolve));
  ws.on('message', (data) => {
    const { id } = JSON.parse(data.toString()) as { id: number };
    waiting.get(id)?.();
    waiting.delete(id);
  });
});
afterAll(async () => {
  ws.close();
  await host.close();
});

describe('system.info() through each adapter', () => {
  bench('direct service call (baseline)', async () => {
    await engine.api.system.info();
  });
  bench('dispatcher: envelope + zod validation (Electron IPC path)', async () => {
    await engine.invoke({ service: 'system', method: 'info', args: [] });
  });
  bench('web mode: WebSocket round trip', async () => {
    const id = nextId++;
    await new Promise<void>((resolve) => {
      waiting.set(id, resolve);
      ws.send(JSON.stringify({ type: 'invoke', id, service: 'system', method: 'info', args: [] }));
    });
  });
});
