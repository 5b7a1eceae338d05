/**
 * Browsers: the Chrome/Edge managed policy (AuthServerAllowlist, AuthNegotiateDelegateAllowlist),
 * the same as Chromium flags, and Firefox's network.negotiate-auth.* prefs (user.js, policies.json)
 * — proven by reading them back and by Debian's Chromium signing in with the flags
 * (main/export/browser/).
 */
import { browserFiles, browserSettings } from '../browser/files';
import { proveBrowser } from '../browser/proofs';
import type { ExportTarget } from '../types';

export const browserTarget: ExportTarget = {
  info: {
    id: 'browser',
    title: 'Browser SPNEGO settings',
    summary: 'Chrome/Edge policy JSON (AuthServerAllowlist, AuthNegotiateDelegateAllowlist), the Chromium flags, and Firefox user.js / policies.json for Kerberos sign-in.',
    proofs: ['policy JSON and flags read back', 'Firefox user.js read line by line', 'Chromium with the flags signs in through SPNEGO (when Chromium is installed)'],
  },
  generate(model) {
    const s = browserSettings(model);
    return {
      files: browserFiles(model, s),
      notes: [
        `Chrome/Chromium/Edge: put chrome-policy.json in the managed-policy folder (README.md lists them), or start the browser with ${'`'}chromium-flags.txt${'`'}'s flags.`,
        'Firefox: copy firefox-user.js to the profile directory as user.js, or firefox-policies.json as the enterprise policy.',
        `Users need a ticket (kinit ${model.client.principal}); the server needs the key of HTTP/${browserSettings(model).host}@${model.realm}.`,
        ...(browserSettings(model).delegate.length ? [] : ['No host gets delegated credentials (the safe default): set browser.delegate only for services that must act as the user.']),
      ],
    };
  },
  prove: (context) => proveBrowser(context),
};
