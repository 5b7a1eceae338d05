import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveStaticPath, serveStatic } from '../../../main/host/static';
import { contentSecurityPolicy } from '../../../main/host/csp';

describe('resolveStaticPath', () => {
  const root = '/srv/renderer';
  it('maps assets and falls back to index.html for routes', () => {
    expect(resolveStaticPath(root, '/')).toBe('/srv/renderer/index.html');
    expect(resolveStaticPath(root, '/assets/index-abc.js')).toBe('/srv/renderer/assets/index-abc.js');
    expect(resolveStaticPath(root, '/doctor')).toBe('/srv/renderer/index.html');
  });
  it('refuses anything outside the root', () => {
    expect(resolveStaticPath(root, '/../package.json')).toBeNull();
    expect(resolveStaticPath(root, '/%2e%2e/%2e%2e/etc/passwd.txt')).toBeNull();
    expect(resolveStaticPath(root, '/assets/%00.js')).toBeNull();
    expect(resolveStaticPath(root, '/%E0%A4%A')).toBeNull();
    expect(resolveStaticPath('/srv/renderer', '/../renderer-evil/x.js')).toBeNull();
  });
});

describe('contentSecurityPolicy', () => {
  it('allows only our own code and the given WebSocket origins', () => {
    const csp = contentSecurityPolicy(['ws://127.0.0.1:1234']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self' ws://127.0.0.1:1234");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe|\*/);
  });
});

describe('serveStatic', () => {
  let root: string;
  let outside: string;
  beforeAll(async () => {
    const base = await realpath(await mkdtemp(path.join(os.tmpdir(), 'kbench-static-')));
    root = path.join(base, 'renderer');
    outside = path.join(base, 'secret.txt');
    await mkdir(path.join(root, 'assets'), { recursive: true });
    await writeFile(path.join(root, 'index.html'), '<div id="app"></div>');
    await writeFile(path.join(root, 'assets', 'app.js'), 'console.log(1)');
    await writeFile(outside, 'the user’s secret');
    await symlink(outside, path.join(root, 'assets', 'leak.txt'));
    await symlink(path.dirname(outside), path.join(root, 'up'));
    await symlink(path.join(root, 'assets', 'app.js'), path.join(root, 'assets', 'alias.js'));
  });
  afterAll(async () => {
    await rm(path.dirname(root), { recursive: true, force: true });
  });

  /** Serves `urlPath` into a recording response: the status and body it got. */
  async function get(urlPath: string): Promise<{ status: number; body: string }> {
    let status = 0;
    let body = '';
    const done = new Promise<void>((resolve) => {
      const sink = new Writable({
        write(chunk: Buffer, _encoding, callback) {
          body += chunk.toString();
          callback();
        },
      });
      sink.on('finish', () => resolve());
      const response = Object.assign(sink, {
        writeHead(code: number) {
          status = code;
          return response;
        },
      });
      void serveStatic(root, urlPath, response as unknown as ServerResponse, false);
    });
    await done;
    return { status, body };
  }

  it('serves files under the renderer folder, links within it included', async () => {
    expect(await get('/assets/app.js')).toEqual({ status: 200, body: 'console.log(1)' });
    expect(await get('/assets/alias.js')).toEqual({ status: 200, body: 'console.log(1)' });
    expect((await get('/doctor')).body).toContain('id="app"');
  });

  it('does not follow a symbolic link out of the renderer folder', async () => {
    expect(await get('/assets/leak.txt')).toEqual({ status: 404, body: 'Not found\n' });
    expect(await get('/up/secret.txt')).toEqual({ status: 404, body: 'Not found\n' });
  });
});
