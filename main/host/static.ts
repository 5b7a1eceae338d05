import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import path from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * Maps a URL path onto a file under `root`, refusing anything that resolves outside it.
 * Paths without an extension fall back to index.html (client-side routes).
 */
export function resolveStaticPath(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const relative = decoded === '/' || path.extname(decoded) === '' ? 'index.html' : decoded.replace(/^\/+/, '');
  const resolved = path.resolve(root, relative);
  return inside(root, resolved) ? resolved : null;
}

/** Whether `file` is `root` or lies under it. */
function inside(root: string, file: string): boolean {
  return file === root || file.startsWith(root + path.sep);
}

/** The Content-Type a renderer file is served with (web mode and the Electron kbench:// protocol alike). */
export function contentTypeOf(file: string): string {
  return CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream';
}

/**
 * Where the file a URL names really is, when that is inside `root` (itself a real path): a
 * symbolic link in the renderer folder must not serve a file from anywhere else on the machine.
 */
async function realFileUnder(root: string, urlPath: string): Promise<string | null> {
  const file = resolveStaticPath(root, urlPath);
  const real = file ? await realpath(file).catch(() => null) : null;
  return real && inside(root, real) ? real : null;
}

/** Serves a file of `root` (a real path: the web host resolves it once at start). */
export async function serveStatic(root: string, urlPath: string, response: ServerResponse, headOnly: boolean): Promise<void> {
  const file = await realFileUnder(root, urlPath);
  const info = file ? await stat(file).catch(() => null) : null;
  if (!file || !info?.isFile()) {
    response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Not found\n');
    return;
  }
  const isIndex = path.basename(file) === 'index.html';
  response.writeHead(200, {
    'Content-Type': contentTypeOf(file),
    'Content-Length': info.size,
    // Hashed asset names may be cached; the index must always be fresh.
    'Cache-Control': isIndex ? 'no-store' : 'private, max-age=3600',
  });
  if (headOnly) {
    response.end();
    return;
  }
  createReadStream(file).pipe(response);
}
