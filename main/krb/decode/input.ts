import { KrbDecodeError } from '../errors';

/** "Authorization:", "WWW-Authenticate:" … in front of a pasted token. */
export const AUTH_HEADER_NAME = /^(?:(?:proxy-)?authorization|www-authenticate|proxy-authenticate)\s*:\s*/i;

/**
 * Printable ASCII and tab/CR/LF only — a pasted token, a header line, a config file — judged on
 * the first `sample` bytes (all of them by default).
 */
export function isPrintableText(bytes: Uint8Array, sample = bytes.length): boolean {
  const head = bytes.subarray(0, sample);
  for (const b of head) if ((b < 0x20 || b > 0x7e) && b !== 0x09 && b !== 0x0a && b !== 0x0d) return false;
  return head.length > 0;
}

/**
 * Turns what users paste into bytes: hex (spaces, colons, 0x allowed) or base64 (standard or
 * URL-safe), optionally behind an HTTP header or a SASL transcript prefix:
 * "Authorization: Negotiate YIIC…", "WWW-Authenticate: Negotiate oYG…", "C: YII…".
 */
export function parseTokenText(text: string): Buffer {
  let body = text.trim();
  body = body.replace(AUTH_HEADER_NAME, '');
  body = body.replace(/^(?:negotiate|kerberos|ntlm)\s+/i, '');
  body = body.replace(/^[CS]:\s*/, '');
  if (body === '') throw new KrbDecodeError('input', '', 0, 'nothing to decode');
  const hex = body.replace(/0x/gi, '').replace(/[\s:,-]/g, '');
  if (/^[0-9a-fA-F]+$/.test(hex) && hex.length % 2 === 0) return Buffer.from(hex, 'hex');
  const b64 = body.replace(/\s/g, '');
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(b64)) {
    const bytes = Buffer.from(b64.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (bytes.length > 0) return bytes;
  }
  throw new KrbDecodeError('input', '', 0, 'not hex or base64 (paste a token, a header such as "Negotiate …", or open a file)');
}
