/**
 * The renderer's Content-Security-Policy: only our own scripts and styles, no inline code, no
 * eval, no frames, no form posts. 'self' is the page's own origin: kbench://app in the Electron
 * window (electron/protocol.ts sends this policy as a header with every file), http://127.0.0.1:PORT
 * in web mode, which adds its WebSocket origin to connect-src. renderer/index.html carries the
 * same policy as a <meta> tag (minus frame-ancestors, which browsers ignore there) for whatever
 * loads the page without the header (test/unit/electron/security-checklist.test.ts keeps the two equal).
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
