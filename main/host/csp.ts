/**
 * The renderer's Content-Security-Policy: only our own scripts and styles, no inline code, no
 * eval, no frames, no form posts. Web mode adds its WebSocket origin to connect-src.
 * renderer/index.html carries the same policy as a <meta> tag (minus frame-ancestors, which
 * browsers ignore there), for the Electron window that loads it from file://.
 */
export function contentSecurityPolicy(connectSources: readonly string[] = []): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src ${["'self'", ...connectSources].join(' ')}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
