import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { WireServerMessage } from '../../main/api/wire';
import { createEngine, type Engine } from '../../main/engine';
import { startWebHost, type WebHost } from '../../main/host/server';

/** A raw HTTP GET, so we control the Host header (fetch does not let us). */
function get(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens a WebSocket and reports either 'open' or the HTTP status of the refused upgrade. */
function upgrade(url: string, headers: Record<string, string> = {}): Promise<{ outcome: 'open'; ws: WebSocket } | { outcome: 'refused'; status: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve({ outcome: 'open', ws }));
    ws.once('unexpected-response', (_req, res) => resolve({ outcome: 'refused', status: res.statusCode ?? 0 }));
    ws.once('error', () => resolve({ outcome: 'refused', status: 0 }));
  });
}

function nextMessage(ws: WebSocket, predicate: (m: WireServerMessage) => boolean = () => true): Promise<WireServerMessage> {
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

describe('web host', () => {
  let engine: Engine;
  let host: WebHost;
  beforeAll(async () => {
    engine = createEngine({ runtime: 'web' });
    host = await startWebHost({ engine, port: 0 });
  });
  afterAll(async () => {
    await host.close();
    await engine.dispose();
  });

  it('says clearly when the port is taken', async () => {
    await expect(startWebHost({ engine, port: host.port })).rejects.toThrow(`port ${host.port} on 127.0.0.1 is in use`);
  });

  it('binds 127.0.0.1 and prints a tokened URL', () => {
    expect(host.url).toBe(`http://127.0.0.1:${host.port}/?token=${host.token}`);
    expect(host.token.length).toBeGreaterThanOrEqual(32);
  });

  it('refuses requests without the token or with a wrong one (401)', async () => {
    const hostHeader = { Host: `127.0.0.1:${host.port}` };
    expect((await get(host.port, '/', hostHeader)).status).toBe(401);
    expect((await get(host.port, '/assets/x.js', hostHeader)).status).toBe(401);
    expect((await get(host.port, '/?token=wrong', hostHeader)).status).toBe(401);
    expect((await get(host.port, '/', { ...hostHeader, Cookie: `kbench_token_${host.port}=wrong` })).status).toBe(401);
    // A cookie for another bench on another port does not open this one.
    expect((await get(host.port, '/', { ...hostHeader, Cookie: `kbench_token_1=${host.token}` })).status).toBe(401);
  });

  it('trades the URL token for a cookie and serves the app with a strict CSP', async () => {
    const first = await get(host.port, `/?token=${host.token}`, { Host: `127.0.0.1:${host.port}` });
    expect(first.status).toBe(200);
    expect(first.body).toContain('<div id="app">');
    const cookie = String(first.headers['set-cookie']).split(';')[0]!;
    expect(String(first.headers['set-cookie'])).toMatch(/HttpOnly; SameSite=Strict/);

    const page = await get(host.port, '/', { Host: `127.0.0.1:${host.port}`, Cookie: cookie });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<div id="app">');
    expect(page.headers['content-security-policy']).toContain(`connect-src 'self' ws://127.0.0.1:${host.port}`);
    expect(page.headers['x-frame-options']).toBe('DENY');

    const asset = /src="\.\/(assets\/[^"]+\.js)"/.exec(page.body)![1]!;
    expect((await get(host.port, `/${asset}`, { Host: `127.0.0.1:${host.port}`, Cookie: cookie })).status).toBe(200);
    expect((await get(host.port, '/../package.json', { Host: `127.0.0.1:${host.port}`, Cookie: cookie })).status).toBe(404);
  });

  it('refuses a foreign Host header even with the token (DNS rebinding)', async () => {
    expect((await get(host.port, `/?token=${host.token}`, { Host: `evil.example:${host.port}` })).status).toBe(403);
  });

  it('refuses WebSocket upgrades without the token or from another Origin', async () => {
    const base = `ws://127.0.0.1:${host.port}/api`;
    expect(await upgrade(base)).toEqual({ outcome: 'refused', status: 401 });
    expect(await upgrade(`${base}?token=wrong`)).toEqual({ outcome: 'refused', status: 401 });
    expect(await upgrade(`${base}?token=${host.token}`, { Origin: 'http://evil.example' })).toEqual({ outcome: 'refused', status: 403 });
    expect(await upgrade(`${base}?token=${host.token}`, { Origin: `http://127.0.0.1:${host.port + 1}` })).toEqual({ outcome: 'refused', status: 403 });
    expect(await upgrade(`ws://127.0.0.1:${host.port}/other?token=${host.token}`)).toEqual({ outcome: 'refused', status: 404 });
  });

  it('serves the Bench API over the WebSocket to our own origin', async () => {
    const connection = await upgrade(`ws://127.0.0.1:${host.port}/api`, {
      Origin: `http://127.0.0.1:${host.port}`,
      Cookie: `kbench_token_${host.port}=${host.token}`,
    });
    if (connection.outcome !== 'open') throw new Error(`refused: ${connection.status}`);
    const { ws } = connection;
    ws.send(JSON.stringify({ type: 'invoke', id: 7, service: 'system', method: 'info', args: [] }));
    expect(await nextMessage(ws, (m) => m.type === 'result')).toMatchObject({ type: 'result', id: 7, result: { ok: true, value: { runtime: 'web' } } });

    ws.send(JSON.stringify({ type: 'invoke', id: 8, service: 'system', method: 'doctor', args: [42] }));
    expect(await nextMessage(ws, (m) => m.type === 'result')).toMatchObject({ id: 8, result: { ok: false, error: { code: 'invalid-input' } } });

    ws.send('{not json');
    expect(await nextMessage(ws, (m) => m.type === 'result')).toMatchObject({ id: null, result: { ok: false, error: { code: 'invalid-input' } } });

    // Events reach the browser: a doctor run streams its progress.
    const progress = nextMessage(ws, (m) => m.type === 'event');
    ws.send(JSON.stringify({ type: 'invoke', id: 9, service: 'system', method: 'doctor', args: [] }));
    expect(await progress).toMatchObject({ type: 'event', event: { name: 'system.doctorProgress', payload: { done: 1 } } });
    expect(host.clients).toBe(1);
    ws.close();
  });
});
