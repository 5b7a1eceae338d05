import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deepExchangeJson } from '../helpers/deep-tree';
import { invokeOver, openBenchSocket, startKbenchWeb, upgrade, type RunningWeb } from '../helpers/web';

const exec = promisify(execFile);
const kbench = (...args: string[]) =>
  exec(process.execPath, [path.resolve('bin/kbench.js'), ...args], { encoding: 'utf8' }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

describe('the built kbench command', () => {
  it('doctor --json prints an array of checks with id and ok', async () => {
    const { code, stdout } = await kbench('doctor', '--json');
    expect(code).toBe(0);
    const items = JSON.parse(stdout) as { id: string; ok: boolean }[];
    expect(items.length).toBeGreaterThanOrEqual(8);
    for (const item of items) expect(item).toEqual(expect.objectContaining({ id: expect.any(String), ok: expect.any(Boolean) }));
    expect(items.find((i) => i.id === 'krb5kdc')?.ok).toBe(true);
  });

  it('doctor prints a readable table ending in a summary', async () => {
    const { code, stdout } = await kbench('doctor');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^ok {3}krb5kdc +\/usr\/sbin\/krb5kdc/m);
    expect(stdout).toMatch(/all required checks pass/);
  });

  it('exits 2 on usage errors', async () => {
    expect((await kbench('doctor', '--bogus')).code).toBe(2);
    expect((await kbench()).code).toBe(2);
  });
});

describe('kbench web --port 0', () => {
  let web: RunningWeb;
  beforeAll(async () => {
    web = await startKbenchWeb();
  });
  afterAll(async () => {
    await web?.stop();
  });

  it('prints a tokened URL that serves the app, and sets no cookie', async () => {
    const response = await fetch(web.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('set-cookie')).toBeNull();
    expect(await response.text()).toContain('<title>Kerberos Bench</title>');
  });

  it('refuses the API without the token', async () => {
    expect(await upgrade(`ws://127.0.0.1:${web.port}/api`, { headers: { Origin: web.origin } })).toEqual({ outcome: 'refused', status: 401 });
  });

  it('survives an API message nested 800 levels deep: answers invalid-input and goes on serving', async () => {
    const ws = await openBenchSocket(web.port, web.token);
    const text = `{"type":"invoke","id":1,"service":"diagnose","method":"diagnose","args":[{"exchange":${deepExchangeJson(800)}}]}`;
    expect(await invokeOver(ws, 1, text)).toMatchObject({ id: 1, result: { ok: false, error: { code: 'invalid-input' } } });
    expect(await invokeOver(ws, 2, JSON.stringify({ type: 'invoke', id: 2, service: 'system', method: 'info', args: [] }))).toMatchObject({
      id: 2,
      result: { ok: true, value: { runtime: 'web' } },
    });
    ws.close();
    expect(web.child.exitCode).toBeNull();
  });

  it('stops cleanly on Ctrl+C', async () => {
    expect(await web.stop()).toBe(0);
  });
});
