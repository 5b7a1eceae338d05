import { describe, expect, it } from 'vitest';
import { resolveStaticPath } from '../../../main/host/static';
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
