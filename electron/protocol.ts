import { readFile, realpath } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { CustomScheme } from 'electron';
import { contentSecurityPolicy } from '../main/host/csp';
import { contentTypeOf, resolveStaticPath } from '../main/host/static';

// The callback forms: Electron's asar support patches them for reads inside app.asar.
const readFileAsync = promisify(readFile);
const realpathAsync = promisify(realpath);

/**
 * The window loads the renderer from kbench://app/ instead of file:// (Electron security checklist
 * item 18): a file:// page may read any other file:// URL, a page of our own scheme reaches only
 * what the handler below serves — the built renderer, nothing else on the disk.
 */
export const APP_SCHEME = 'kbench';
export const APP_HOST = 'app';
export const APP_ENTRY_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

/**
 * `standard` gives the scheme an origin (kbench://app), so 'self' in the CSP, relative URLs and
 * module scripts behave as on https; `secure` makes it a secure context. Deliberately absent:
 * `bypassCSP` (the policy must apply), `corsEnabled` (no other origin may read our files),
 * `allowServiceWorkers` and `stream`, which the renderer does not need.
 */
export const APP_SCHEME_PRIVILEGES: CustomScheme = {
  scheme: APP_SCHEME,
  privileges: { standard: true, secure: true, supportFetchAPI: true },
};

/** Headers on every file of the renderer: the CSP travels as a header too, not only as a <meta>. */
function rendererHeaders(file: string): Record<string, string> {
  return {
    'Content-Type': contentTypeOf(file),
    'Content-Security-Policy': contentSecurityPolicy(),
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-store',
  };
}

/** The real path of the file a URL path names, when it lies under `root` (itself a real path). */
async function realFileUnder(root: string, urlPath: string): Promise<string | null> {
  const file = resolveStaticPath(root, urlPath);
  const real = file ? await realpathAsync(file).catch(() => null) : null;
  return real && (real === root || real.startsWith(root + path.sep)) ? real : null;
}

function notFound(): Response {
  return new Response('Not found\n', { status: 404, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
}

/**
 * The protocol.handle handler for kbench:// (a real path `rendererRoot`, resolved once at start):
 * GET and HEAD of files under it on host "app", by their real path, so neither `..` (plain or
 * percent-encoded) nor a symbolic link in the renderer folder reaches any other file.
 */
export function createAppProtocolHandler(rendererRoot: string): (request: Request) => Promise<Response> {
  return async (request) => {
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return notFound();
    }
    if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return notFound();
    if (request.method !== 'GET' && request.method !== 'HEAD') return new Response(null, { status: 405 });
    const file = await realFileUnder(rendererRoot, url.pathname);
    const body = file ? await readFileAsync(file).catch(() => null) : null;
    if (!file || !body) return notFound();
    return new Response(request.method === 'HEAD' ? null : body, { status: 200, headers: rendererHeaders(file) });
  };
}
