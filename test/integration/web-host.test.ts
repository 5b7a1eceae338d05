import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { createEngine, type Engine } from '../../main/engine';
import { startWebHost, type WebHost } from '../../main/host/server';
import { kdcsUnder, stopPid } from '../../main/lab/kdc-process';
import { kbenchProcess } from '../helpers/cli';
import { deepExchangeJson } from '../helpers/deep-tree';
import { descendantsOf, stillRunning } from '../helpers/process-tree';
import { benchProtocols, invokeOver, nextMessage, openBenchSocket, startKbenchWeb, upgrade } from '../helpers/web';

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

describe('web host', () => {
  let engine: Engine;
  let host: WebHost;
  let api: string;
  let ownOrigin: Record<string, string>;
  beforeAll(async () => {
    engine = createEngine({ runtime: 'web' });
    host = await startWebHost({ engine, port: 0 });
    api = `ws://127.0.0.1:${host.port}/api`;
    ownOrigin = { Origin: `http://127.0.0.1:${host.port}` };
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

  it('serves the static app, which holds no secret, with a strict CSP and never a cookie', async () => {
    const hostHeader = { Host: `127.0.0.1:${host.port}` };
    for (const path of ['/', `/?token=${host.token}`, '/lab']) {
      const page = await get(host.port, path, hostHeader);
      expect(page.status).toBe(200);
      expect(page.body).toContain('<div id="app">');
      expect(page.body).not.toContain(host.token);
      expect(page.headers['set-cookie']).toBeUndefined();
      expect(page.headers['content-security-policy']).toContain(`connect-src 'self' ws://127.0.0.1:${host.port}`);
      expect(page.headers['x-frame-options']).toBe('DENY');
      expect(page.headers['referrer-policy']).toBe('no-referrer');
    }
    const index = await get(host.port, '/', hostHeader);
    const asset = /src="\.\/(assets\/[^"]+\.js)"/.exec(index.body)![1]!;
    const script = await get(host.port, `/${asset}`, hostHeader);
    expect(script.status).toBe(200);
    expect(script.body).not.toContain(host.token);
    expect((await get(host.port, '/../package.json', hostHeader)).status).toBe(404);
  });

  it('refuses a foreign Host header (DNS rebinding)', async () => {
    expect((await get(host.port, `/`, { Host: `evil.example:${host.port}` })).status).toBe(403);
    expect((await get(host.port, `/?token=${host.token}`, { Host: `evil.example:${host.port}` })).status).toBe(403);
  });

  it('opens the API only to the token offered as a subprotocol: not to a cookie, not to the query', async () => {
    expect(await upgrade(api)).toEqual({ outcome: 'refused', status: 401 });
    expect(await upgrade(api, { headers: { ...ownOrigin, Cookie: `kbench_token_${host.port}=${host.token}` } })).toEqual({ outcome: 'refused', status: 401 });
    expect(await upgrade(`${api}?token=${host.token}`, { headers: ownOrigin })).toEqual({ outcome: 'refused', status: 401 });
    expect(await upgrade(api, { headers: ownOrigin, protocols: benchProtocols('wrong') })).toEqual({ outcome: 'refused', status: 401 });
    expect(await upgrade(api, { headers: ownOrigin, protocols: [`kbench.token.${host.token}x`] })).toEqual({ outcome: 'refused', status: 401 });
  });

  it('refuses the token from another Origin, and other paths', async () => {
    const protocols = benchProtocols(host.token);
    expect(await upgrade(api, { headers: { Origin: 'http://evil.example' }, protocols })).toEqual({ outcome: 'refused', status: 403 });
    expect(await upgrade(api, { headers: { Origin: `http://127.0.0.1:${host.port + 1}` }, protocols })).toEqual({ outcome: 'refused', status: 403 });
    expect(await upgrade(`ws://127.0.0.1:${host.port}/other`, { protocols })).toEqual({ outcome: 'refused', status: 404 });
  });

  it('serves the Bench API to our own origin and answers with the protocol, never echoing the token', async () => {
    const ws = await openBenchSocket(host.port, host.token);
    expect(ws.protocol).toBe('kbench.v1');
    expect(await invokeOver(ws, 7, JSON.stringify({ type: 'invoke', id: 7, service: 'system', method: 'info', args: [] }))).toMatchObject({
      type: 'result',
      id: 7,
      result: { ok: true, value: { runtime: 'web' } },
    });
    expect(await invokeOver(ws, 8, JSON.stringify({ type: 'invoke', id: 8, service: 'system', method: 'doctor', args: [42] }))).toMatchObject({
      id: 8,
      result: { ok: false, error: { code: 'invalid-input' } },
    });
    expect(await invokeOver(ws, -1, '{not json')).toMatchObject({ id: null, result: { ok: false, error: { code: 'invalid-input' } } });

    // Events reach the browser: a doctor run streams its progress.
    const progress = nextMessage(ws, (m) => m.type === 'event');
    ws.send(JSON.stringify({ type: 'invoke', id: 9, service: 'system', method: 'doctor', args: [] }));
    expect(await progress).toMatchObject({ type: 'event', event: { name: 'system.doctorProgress', payload: { done: 1 } } });
    expect(host.clients).toBe(1);
    ws.close();
  });

  it('answers a diagnose call whose Exchange nests 800 levels deep with invalid-input, and keeps serving', async () => {
    const ws = await openBenchSocket(host.port, host.token);
    const text = `{"type":"invoke","id":1,"service":"diagnose","method":"diagnose","args":[{"exchange":${deepExchangeJson(800)}}]}`;
    expect(text.length).toBeGreaterThan(40_000);
    const answer = await invokeOver(ws, 1, text);
    expect(answer).toMatchObject({ type: 'result', id: 1, result: { ok: false, error: { code: 'invalid-input' } } });
    expect(await invokeOver(ws, 2, JSON.stringify({ type: 'invoke', id: 2, service: 'system', method: 'info', args: [] }))).toMatchObject({ id: 2, result: { ok: true } });
    ws.close();
  });
});

/**
 * `kbench web` as a user runs it, stopped the two ways a user stops it. It brings the lab realm
 * up, runs a SASL exchange (a GSS worker process) and the broker; after SIGTERM or SIGINT it must
 * exit 0 and leave none of the processes it started. The lab KDC is the exception by design
 * (detached: it outlives the command, README "Stopping web mode"), and must still be running.
 */
describe('kbench web stops everything it started on SIGTERM and SIGINT', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-web-stop-'));
    env = { ...process.env, KBENCH_DATA_DIR: path.join(dir, 'data'), NO_COLOR: '1' };
  });

  afterAll(async () => {
    await kbenchProcess(['lab', 'down', '--destroy'], env).catch(() => undefined);
    for (const { pid } of dir ? await kdcsUnder(dir) : []) await stopPid(pid);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function call(ws: WebSocket, id: number, service: string, method: string, args: unknown[]): Promise<unknown> {
    const answer = await invokeOver(ws, id, JSON.stringify({ type: 'invoke', id, service, method, args }));
    if (answer.type !== 'result' || !answer.result.ok) throw new Error(`${service}.${method}: ${JSON.stringify(answer)}`);
    return answer.result.value;
  }

  it.each(['SIGTERM', 'SIGINT'] as const)('%s', async (signal) => {
    const web = await startKbenchWeb([], env);
    const ws = await openBenchSocket(web.port, web.token);
    const run = (await call(ws, 1, 'sasl', 'start', [{ service: 'mqtt@localhost', profile: 'lab', offer: 'emqx', layer: 'none' }])) as { id: string };
    expect(await call(ws, 2, 'sasl', 'finish', [run.id])).toMatchObject({ state: 'established' });
    await call(ws, 3, 'broker', 'start', [{ tcp: true, tls: false, ws: false, credentials: 'lab', variant: 'emqx', allowAnonymous: false }]);
    const kdcPid = ((await call(ws, 4, 'lab', 'status', [{}])) as { pid: number }).pid;

    const started = descendantsOf(web.child.pid!);
    const ours = started.filter((p) => p.pid !== kdcPid);
    expect(ours.map((p) => p.comm), 'the GSS worker runs as a child of kbench web').toContain('node');
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => web.child.once('exit', (code, by) => resolve([code, by])));
    web.child.kill(signal);
    expect(await exited, web.output()).toEqual([0, null]);
    expect(web.output()).toContain(`${signal}: stopping web mode`);
    // Give the kernel a moment to reap what died with it, then look for survivors.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(ours.filter(stillRunning).map((p) => `${p.pid} ${p.comm}`)).toEqual([]);
    const kdc = started.find((p) => p.pid === kdcPid);
    if (kdc) expect(stillRunning(kdc), 'the lab KDC outlives kbench web').toBe(true);
  }, 90_000);
});

describe('kbench web stopped while a scenario runs', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-web-scenario-stop-'));
    env = { ...process.env, KBENCH_DATA_DIR: path.join(dir, 'data'), NO_COLOR: '1' };
  });

  afterAll(async () => {
    await kbenchProcess(['lab', 'down', '--destroy'], env).catch(() => undefined);
    for (const { pid } of dir ? await kdcsUnder(dir) : []) await stopPid(pid);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('lets the scenario finish (its scratch files go with it) before it exits', async () => {
    const web = await startKbenchWeb([], env);
    const ws = await openBenchSocket(web.port, web.token);
    // tgt-expired waits 4.5 s with a short-lived TGT in its scratch folder: SIGTERM comes meanwhile.
    ws.send(JSON.stringify({ type: 'invoke', id: 1, service: 'diagnose', method: 'runScenario', args: [{ id: 'tgt-expired' }] }));
    const scratch = path.join(dir, 'data', 'scenarios');
    await expect.poll(async () => (await readdir(scratch).catch(() => [])).length, { timeout: 20_000 }).toBe(1);
    const exited = new Promise<number | null>((resolve) => web.child.once('exit', (code) => resolve(code)));
    web.child.kill('SIGTERM');
    expect(await exited, web.output()).toBe(0);
    expect(await readdir(scratch).catch(() => [] as string[])).toEqual([]);
  }, 90_000);
});
