import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
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
    // status, level, id, what was found: the Doctor view's words.
    expect(stdout).toMatch(/^ok +required +krb5kdc +\/usr\/sbin\/krb5kdc/m);
    expect(stdout).toMatch(/^\d+\/\d+ required checks pass · \d+\/\d+ recommended checks pass · \d+\/\d+ info checks pass$/m);
    expect(stdout).toMatch(/all required checks pass/);
  });

  it('exits 2 on usage errors', async () => {
    expect((await kbench('doctor', '--bogus')).code).toBe(2);
    expect((await kbench()).code).toBe(2);
  });
});

describe('kbench keytab show after a key change', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-cli-keytab-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('flags the entries whose kvno is older than the newest of the same principal, as klist lists them', async () => {
    const file = path.join(dir, 'rotated.keytab');
    for (const [principal, kvno] of [['mqtt/broker@CLI.TEST', '2'], ['mqtt/broker@CLI.TEST', '3'], ['HTTP/web@CLI.TEST', '1']] as const) {
      expect((await kbench('keytab', 'add', file, '--principal', principal, '--random', '--kvno', kvno)).code).toBe(0);
    }
    // MIT's klist reads the same file: the kvnos the flags talk about are the ones it lists.
    const klist = await exec('klist', ['-k', file], { encoding: 'utf8' });
    expect(klist.stdout.match(/^\s+2 mqtt\/broker@CLI\.TEST$/gm)).toHaveLength(2);

    const text = await kbench('keytab', 'show', file);
    expect(text.code).toBe(0);
    const rows = text.stdout.split('\n').filter((l) => /^\s+\d+ \d{4}-/.test(l));
    expect(rows).toHaveLength(6);
    for (const row of rows) {
      const old = /^\s+2 .*mqtt\/broker@CLI\.TEST/.test(row);
      expect(row.endsWith('(old kvno 2 < 3: kept for tickets issued before the key change)'), row).toBe(old);
    }
    const { entries } = JSON.parse((await kbench('keytab', 'show', file, '--json')).stdout) as { entries: { principal: string; kvno: number; superseded?: { newestKvno: number; note: string } }[] };
    expect(entries.filter((e) => e.superseded).map((e) => [e.principal, e.kvno, e.superseded!.newestKvno])).toEqual([
      ['mqtt/broker@CLI.TEST', 2, 3],
      ['mqtt/broker@CLI.TEST', 2, 3],
    ]);
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
