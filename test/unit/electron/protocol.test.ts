import { mkdtemp, mkdir, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_ENTRY_URL, APP_SCHEME_PRIVILEGES, createAppProtocolHandler } from '../../../electron/protocol';

/**
 * The kbench:// handler against a real renderer folder on disk, with Node's own Request and
 * Response (the types protocol.handle passes and expects): only files under the folder come out.
 */
describe('kbench:// protocol', () => {
  let base: string;
  let handle: (request: Request) => Promise<Response>;

  beforeAll(async () => {
    base = await realpath(await mkdtemp(path.join(tmpdir(), 'kbench-protocol-')));
    const renderer = path.join(base, 'renderer');
    await mkdir(path.join(renderer, 'assets'), { recursive: true });
    await writeFile(path.join(renderer, 'index.html'), '<!doctype html><title>bench</title>');
    await writeFile(path.join(renderer, 'assets', 'index-abc.js'), 'console.log(1)');
    await writeFile(path.join(base, 'secret.txt'), 'outside the renderer');
    await symlink(path.join(base, 'secret.txt'), path.join(renderer, 'assets', 'link.txt'));
    handle = createAppProtocolHandler(renderer);
  });
  afterAll(() => rm(base, { recursive: true, force: true }));

  const get = (url: string, method = 'GET') => handle(new Request(url, { method }));

  it('serves the renderer entry with its type, the CSP and nosniff', async () => {
    const response = await get(APP_ENTRY_URL);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('<title>bench</title>');
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toMatch(/^default-src 'none'; script-src 'self'/);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('serves assets, and in-app routes as the entry', async () => {
    const asset = await get('kbench://app/assets/index-abc.js');
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await asset.text()).toBe('console.log(1)');
    expect(await (await get('kbench://app/doctor')).text()).toContain('<title>bench</title>');
    expect(await (await get(APP_ENTRY_URL, 'HEAD')).text()).toBe('');
  });

  it.each([
    'kbench://app/../secret.txt',
    'kbench://app/%2e%2e/secret.txt',
    'kbench://app/..%2fsecret.txt',
    'kbench://app/assets/..%2f..%2fsecret.txt',
    'kbench://app/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
    'kbench://app/assets/%00.js',
    'kbench://app/%E0%A4%A.js',
    'kbench://app/assets/link.txt',
    'kbench://app/%2fetc%2fpasswd.txt',
    'kbench://app/C:%5cWindows%5cwin.ini',
    'kbench://app/missing.js',
  ])('refuses %s (outside the renderer, a link out of it, or no file)', async (url) => {
    const response = await get(url);
    expect(response.status).toBe(404);
    expect(await response.text()).not.toContain('outside the renderer');
  });

  it('answers only for host "app" of its own scheme, and only GET and HEAD', async () => {
    expect((await get('kbench://other/index.html')).status).toBe(404);
    expect((await get('https://app/index.html')).status).toBe(404);
    expect((await get(APP_ENTRY_URL, 'POST')).status).toBe(405);
  });

  it('is a standard, secure scheme that neither bypasses the CSP nor opens itself to other origins', () => {
    expect(APP_SCHEME_PRIVILEGES.scheme).toBe('kbench');
    expect(APP_SCHEME_PRIVILEGES.privileges).toMatchObject({ standard: true, secure: true });
    for (const privilege of ['bypassCSP', 'corsEnabled', 'allowServiceWorkers', 'stream'] as const) {
      expect(APP_SCHEME_PRIVILEGES.privileges?.[privilege], privilege).toBeFalsy();
    }
  });
});
