/**
 * Browser SPNEGO settings: which hosts a browser answers `WWW-Authenticate: Negotiate` for, and
 * which it may delegate (forward) the user's TGT to.
 *
 *   Chrome / Edge / Chromium  AuthServerAllowlist, AuthNegotiateDelegateAllowlist (managed policy, comma-separated;
 *                             "*.example.com" and "*example.com" patterns); the same as command-line flags
 *   Firefox                   network.negotiate-auth.trusted-uris / delegation-uris (comma-separated URL prefixes
 *                             or domain suffixes: ".example.com"); non-FQDN hosts need allow-non-fqdn
 */
import type { ExportFile } from '../../api/export';
import type { ExportModel } from '../types';

export const CHROME_POLICY = 'browser/chrome-policy.json';
export const CHROMIUM_FLAGS = 'browser/chromium-flags.txt';
export const FIREFOX_USER_JS = 'browser/firefox-user.js';
export const FIREFOX_POLICIES = 'browser/firefox-policies.json';
export const README = 'browser/README.md';

export interface BrowserSettings {
  /** Hosts or patterns SPNEGO is allowed for, as written ("*.example.com" kept). */
  allow: string[];
  /** Hosts credentials may be delegated to; empty: none. */
  delegate: string[];
  /** The service's host (the proofs' target). */
  host: string;
}

export function browserSettings(model: ExportModel): BrowserSettings {
  const host = model.options.host ?? model.http.host;
  const options = model.options.browser ?? {};
  return { allow: options.allow?.length ? [...options.allow] : [host], delegate: [...(options.delegate ?? [])], host };
}

/** Chrome's "*.example.com" is Firefox's ".example.com" (a domain suffix); other entries are the same. */
export function firefoxList(hosts: string[]): string {
  return hosts.map((h) => (h.startsWith('*.') ? h.slice(1) : h.startsWith('*') ? h.slice(1) : h)).join(',');
}

/** Firefox refuses Negotiate to a host without a dot (intranet short names, localhost) unless allow-non-fqdn is set. */
export function needsNonFqdn(hosts: string[]): boolean {
  return hosts.some((h) => !h.includes('.') && !h.includes('*') && !/^https?:/.test(h));
}

export function chromePolicy(s: BrowserSettings): Record<string, string> {
  return { AuthServerAllowlist: s.allow.join(','), AuthNegotiateDelegateAllowlist: s.delegate.join(',') };
}

/** The flags as a shell would take them: values quoted, so "*.example.com" is not globbed. */
export function chromiumFlags(s: BrowserSettings): string[] {
  return [`--auth-server-allowlist=${s.allow.join(',')}`, ...(s.delegate.length ? [`--auth-negotiate-delegate-allowlist=${s.delegate.join(',')}`] : [])];
}

export function chromiumFlagsText(s: BrowserSettings): string {
  const quoted = chromiumFlags(s).map((flag) => {
    const [name, value] = [flag.slice(0, flag.indexOf('=') + 1), flag.slice(flag.indexOf('=') + 1)];
    return /^[\w.,:-]+$/.test(value) ? flag : `${name}'${value}'`;
  });
  return `${quoted.join(' ')}\n`;
}

export function firefoxUserJs(model: ExportModel, s: BrowserSettings): string {
  const lines = [
    `// Firefox: Kerberos (SPNEGO) sign-in for realm ${model.realm}, made by kbench from ${model.basis}.`,
    '// Copy into the profile directory (about:profiles → Root Directory) as user.js, or append to it; restart Firefox.',
    `user_pref("network.negotiate-auth.trusted-uris", ${JSON.stringify(firefoxList(s.allow))});`,
    `user_pref("network.negotiate-auth.delegation-uris", ${JSON.stringify(firefoxList(s.delegate))});`,
  ];
  if (needsNonFqdn(s.allow)) lines.push('// A host without a dot (localhost, an intranet short name): Firefox refuses Negotiate to it without this.', 'user_pref("network.negotiate-auth.allow-non-fqdn", true);');
  return `${lines.join('\n')}\n`;
}

/** Firefox enterprise policies (policies.json): the same lists, locked for every profile. */
export function firefoxPolicies(s: BrowserSettings): unknown {
  return {
    policies: {
      Authentication: {
        SPNEGO: s.allow.map((h) => firefoxList([h])),
        Delegated: s.delegate.map((h) => firefoxList([h])),
        ...(needsNonFqdn(s.allow) ? { AllowNonFQDN: { SPNEGO: true } } : {}),
        Locked: true,
      },
    },
  };
}

export function browserReadme(model: ExportModel, s: BrowserSettings): string {
  const allow = s.allow.join(',');
  const delegate = s.delegate.join(',');
  return [
    `# Browser SPNEGO settings (realm ${model.realm})`,
    '',
    `Made by kbench from ${model.basis}. Negotiate is allowed for \`${allow}\`; credentials are delegated to ${delegate ? `\`${delegate}\`` : 'no host'}.`,
    `The browser asks the KDC for \`HTTP/<host in the URL>@${model.realm}\` (Chrome and Firefox leave the port out), so the user needs a ticket (\`kinit\`) and the server a keytab for that name.`,
    '',
    '## Chrome, Chromium, Edge — managed policy (`chrome-policy.json`)',
    '',
    '- Google Chrome on Linux: copy to `/etc/opt/chrome/policies/managed/kerberos.json`',
    '- Chromium on Linux (Debian, Ubuntu): `/etc/chromium/policies/managed/kerberos.json`',
    '- Microsoft Edge on Linux: `/etc/opt/edge/policies/managed/kerberos.json`',
    `- Windows (Group Policy or the registry), string values: \`reg add "HKLM\\SOFTWARE\\Policies\\Google\\Chrome" /v AuthServerAllowlist /t REG_SZ /d "${allow}"\`, and for Edge under \`HKLM\\SOFTWARE\\Policies\\Microsoft\\Edge\`${delegate ? `; the same for AuthNegotiateDelegateAllowlist = "${delegate}"` : ''}`,
    `- macOS: \`defaults write com.google.Chrome AuthServerAllowlist "${allow}"\` (a configuration profile for managed Macs)`,
    '',
    'Check it at `chrome://policy` (or `edge://policy`). An empty AuthNegotiateDelegateAllowlist delegates nothing, the safe default.',
    'Chrome builds the SPN from the host name after a DNS lookup of its canonical name (CNAME) unless DisableAuthNegotiateCnameLookup is true, and leaves the port out unless EnableAuthNegotiatePort is true: the server\'s keytab must hold HTTP/<that name>.',
    '',
    '## Chromium command line (`chromium-flags.txt`)',
    '',
    'The same settings for one run: `chromium $(cat chromium-flags.txt)`, or on Debian in `/etc/chromium.d/kerberos`: `export CHROMIUM_FLAGS="$CHROMIUM_FLAGS <the flags>"`.',
    'Chromium on Linux loads its GSSAPI library only after it has seen a Negotiate challenge once; the first visit of a new profile may fall back to Basic or fail: reload.',
    '',
    '## Firefox',
    '',
    '- `firefox-user.js`: copy to the profile directory as `user.js` (about:profiles → Root Directory; on Linux `~/.mozilla/firefox/<profile>/`), then restart.',
    '- `firefox-policies.json`: for every profile, locked — Linux `/etc/firefox/policies/policies.json`, Windows and macOS `distribution/policies.json` in the installation directory.',
    '',
    'Check it at `about:config` (network.negotiate-auth.*) or `about:policies`.',
    '',
  ].join('\n');
}

const file = (path: string, language: ExportFile['language'], text: string, purpose: string): ExportFile => ({ path, language, text, mode: 0o644, purpose, redacted: false });

export function browserFiles(model: ExportModel, s: BrowserSettings): ExportFile[] {
  return [
    file(CHROME_POLICY, 'json', `${JSON.stringify(chromePolicy(s), null, 2)}\n`, 'Chrome/Edge/Chromium managed policy: /etc/opt/chrome/policies/managed/, /etc/chromium/policies/managed/, /etc/opt/edge/policies/managed/ (Windows: the registry)'),
    file(CHROMIUM_FLAGS, 'shell', chromiumFlagsText(s), 'the same settings as Chromium/Chrome command-line flags'),
    file(FIREFOX_USER_JS, 'text', firefoxUserJs(model, s), 'Firefox: user.js in the profile directory'),
    file(FIREFOX_POLICIES, 'json', `${JSON.stringify(firefoxPolicies(s), null, 2)}\n`, 'Firefox enterprise policy: /etc/firefox/policies/policies.json (Linux) or distribution/policies.json'),
    file(README, 'markdown', browserReadme(model, s), 'where each file goes, per browser and system'),
  ];
}
