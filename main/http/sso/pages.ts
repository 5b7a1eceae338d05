/**
 * The web console's pages: plain HTML, no script at all, one stylesheet from the same origin, so the
 * Content-Security-Policy can be `default-src 'none'`. Every value from outside is escaped.
 */
import type { HttpUser } from '../authenticate';

/** The message a WANdisco-style console shows after Kerberos failed and it falls back to a password. */
export const SSO_FALLBACK_MESSAGE = 'Unable to validate SSO/Kerberos ticket. Try logging in.';

export const CONSOLE_TITLE = 'Kerberos Bench console';

export const CONSOLE_CSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export const CONSOLE_CSS = `body{font:15px/1.5 system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1d2330}
main{max-width:42rem;margin:3rem auto;padding:2rem;background:#fff;border-radius:8px;box-shadow:0 1px 3px #0002}
h1{font-size:1.4rem;margin-top:0}.message{padding:.75rem 1rem;border-left:4px solid #c0392b;background:#fdf0ef}
.ok{border-left-color:#2e7d32;background:#eef7ee}dt{font-weight:600}code{background:#eef;padding:0 .25rem}
`;

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(title)}</title><link rel="stylesheet" href="/console.css"></head>
<body><main>
<h1>${escapeHtml(CONSOLE_TITLE)}</h1>
${body}
</main></body>
</html>
`;
}

function methodWords(user: HttpUser): string {
  return user.via === 'kerberos' ? 'Kerberos' : 'Basic';
}

/** The console's front page: who is signed in and how. */
export function consolePage(user: HttpUser, sso: boolean, fallbackWhy?: string): string {
  const how = user.via === 'kerberos' ? 'Kerberos single sign-on (SPNEGO)' : 'Basic (a console user name and password)';
  const lines = [
    `<p class="message ok" id="signed-in" data-user="${escapeHtml(user.name)}" data-method="${user.via}">Signed in as <strong>${escapeHtml(user.name)}</strong> via <strong>${methodWords(user)}</strong>.</p>`,
    '<dl>',
    `<dt>User</dt><dd>${escapeHtml(user.name)}${user.admin ? ' (admin)' : ''}</dd>`,
    `<dt>Authentication</dt><dd>${how}</dd>`,
    `<dt>Kerberos single sign-on</dt><dd id="sso-state">${sso ? 'enabled' : 'disabled'}</dd>`,
    '</dl>',
  ];
  if (fallbackWhy) lines.push(`<p>Kerberos did not sign you in: ${escapeHtml(fallbackWhy)}</p>`);
  lines.push('<p>Admins switch single sign-on with <code>POST /api/security/kerberos/enableSso</code> and <code>enable=true|false</code>.</p>');
  return page(`${CONSOLE_TITLE}: ${user.name}`, lines.join('\n'));
}

/** The 401 page: after a Kerberos failure (or without a ticket) the fallback message, else a plain sign-in prompt. */
export function signInPage(sso: boolean, why: string): string {
  const message = sso
    ? `<p class="message" id="sso-message">${escapeHtml(SSO_FALLBACK_MESSAGE)}</p>`
    : '<p class="message" id="sso-message">Kerberos single sign-on is off. Sign in with a console user name and password.</p>';
  return page(`${CONSOLE_TITLE}: sign in`, `${message}\n<p id="why">${escapeHtml(why)}</p>`);
}

export function errorPage(status: number, text: string): string {
  return page(`${CONSOLE_TITLE}: ${status}`, `<p class="message" id="error">${escapeHtml(text)}</p>`);
}
