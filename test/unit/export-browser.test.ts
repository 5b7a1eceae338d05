/**
 * The browser export's files (pure generate) read back by JSON.parse, the user.js line parser and
 * the shell-word splitter; Chrome's allowlist matching. Chromium itself runs in
 * test/integration/export-browser.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { chromeAllows, parseUserJs, shellWords } from '../../main/export/browser/parse';
import { preText } from '../../main/export/browser/chromium';
import { browserTarget } from '../../main/export/targets/browser';
import { esModel } from '../fixtures/export/elasticsearch/model';

const fileOf = (files: { path: string; text: string }[], p: string) => files.find((f) => f.path === p)!.text;

describe('browser export: generate', () => {
  it('defaults to the HTTP host, no delegation; every file reads back', () => {
    const { files, notes } = browserTarget.generate(esModel(), false);
    expect(files.map((f) => [f.path, f.mode, f.redacted])).toEqual([
      ['browser/chrome-policy.json', 0o644, false],
      ['browser/chromium-flags.txt', 0o644, false],
      ['browser/firefox-user.js', 0o644, false],
      ['browser/firefox-policies.json', 0o644, false],
      ['browser/README.md', 0o644, false],
    ]);
    expect(JSON.parse(fileOf(files, 'browser/chrome-policy.json'))).toEqual({ AuthServerAllowlist: 'localhost', AuthNegotiateDelegateAllowlist: '' });
    expect(shellWords(fileOf(files, 'browser/chromium-flags.txt'))).toEqual(['--auth-server-allowlist=localhost']);
    const userJs = parseUserJs(fileOf(files, 'browser/firefox-user.js'));
    expect(userJs.problems).toEqual([]);
    expect(Object.fromEntries([...userJs.prefs].map(([k, v]) => [k, v.value]))).toEqual({
      'network.negotiate-auth.trusted-uris': 'localhost',
      'network.negotiate-auth.delegation-uris': '',
      'network.negotiate-auth.allow-non-fqdn': true,
    });
    expect(JSON.parse(fileOf(files, 'browser/firefox-policies.json'))).toEqual({ policies: { Authentication: { SPNEGO: ['localhost'], Delegated: [], AllowNonFQDN: { SPNEGO: true }, Locked: true } } });
    const readme = fileOf(files, 'browser/README.md');
    for (const where of ['/etc/opt/chrome/policies/managed/', '/etc/chromium/policies/managed/', '/etc/opt/edge/policies/managed/', 'HKLM\\SOFTWARE\\Policies\\Google\\Chrome', 'HKLM\\SOFTWARE\\Policies\\Microsoft\\Edge', '/etc/firefox/policies/policies.json', 'user.js']) {
      expect(readme).toContain(where);
    }
    expect(notes.join('\n')).toMatch(/HTTP\/localhost@BENCH\.TEST/);
  });

  it('keeps Chrome patterns as written, quotes them for the shell, and gives Firefox domain suffixes', () => {
    const model = esModel({ host: 'es1.example.com', browser: { allow: ['*.example.com', 'es1.example.com'], delegate: ['*.example.com'] } });
    const { files } = browserTarget.generate(model, false);
    expect(JSON.parse(fileOf(files, 'browser/chrome-policy.json'))).toEqual({ AuthServerAllowlist: '*.example.com,es1.example.com', AuthNegotiateDelegateAllowlist: '*.example.com' });
    const flags = fileOf(files, 'browser/chromium-flags.txt');
    expect(flags).toBe("--auth-server-allowlist='*.example.com,es1.example.com' --auth-negotiate-delegate-allowlist='*.example.com'\n");
    expect(shellWords(flags)).toEqual(['--auth-server-allowlist=*.example.com,es1.example.com', '--auth-negotiate-delegate-allowlist=*.example.com']);
    const prefs = parseUserJs(fileOf(files, 'browser/firefox-user.js')).prefs;
    expect(prefs.get('network.negotiate-auth.trusted-uris')?.value).toBe('.example.com,es1.example.com');
    expect(prefs.get('network.negotiate-auth.delegation-uris')?.value).toBe('.example.com');
    expect(prefs.has('network.negotiate-auth.allow-non-fqdn')).toBe(false);
  });
});

describe('browser export: readers', () => {
  it('parses user_pref lines and names the bad ones by line', () => {
    const reading = parseUserJs(['// comment', 'user_pref("a.b", "x,y");', 'user_pref("n", 3); // trailing', 'user_pref("c", true)', 'pref("d", false);', 'user_pref("a.b", "z");'].join('\n'));
    expect([...reading.prefs].map(([k, v]) => [k, v.value, v.line])).toEqual([
      ['a.b', 'z', 6],
      ['n', 3, 3],
    ]);
    expect(reading.problems.map((p) => p.line)).toEqual([4, 5, 6]);
    expect(reading.problems[2]!.message).toMatch(/set twice/);
  });

  it('matches Chrome allowlist patterns as HttpAuthFilterAllowlist does', () => {
    expect(chromeAllows('localhost', 'localhost')).toBe(true);
    expect(chromeAllows('localhost', 'LOCALHOST')).toBe(true);
    expect(chromeAllows('*.example.com', 'es1.example.com')).toBe(true);
    expect(chromeAllows('*.example.com', 'example.com')).toBe(false);
    expect(chromeAllows('*example.com', 'example.com')).toBe(true);
    expect(chromeAllows('.example.com', 'a.b.example.com')).toBe(true);
    expect(chromeAllows('es1.example.com', 'es2.example.com')).toBe(false);
    expect(chromeAllows('a, b ,localhost', 'localhost')).toBe(true);
  });

  it('takes the JSON out of the page Chromium prints for a JSON response', () => {
    expect(preText('<html><head></head><body><pre style="word-wrap: break-word;">{"a":"&lt;b&gt; &amp; c"}</pre></body></html>')).toBe('{"a":"<b> & c"}');
    expect(preText('<html><body>nothing</body></html>')).toBeNull();
  });
});
