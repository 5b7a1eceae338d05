/**
 * Text that came from someone else — a client id, an Authentication Method, a principal name, a
 * reason string, a KDC log line — made safe for one line of a log or a terminal. A client that
 * has not authenticated yet chooses its client id: left raw, a newline in it forges a log line of
 * its own, and an escape sequence (ESC [ 2 J) clears or rewrites the screen of whoever reads the
 * log. Every C0 control (newline and tab included), DEL, every C1 control (0x9B is a one-byte
 * CSI on some terminals), the Unicode line and paragraph separators and the bidirectional
 * overrides that reorder what a reader sees are written as escapes: \n, \r, \t, \x1b, \u202e.
 * Everything else passes through, non-ASCII letters included.
 */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escape(char: string): string {
  const code = char.charCodeAt(0);
  return NAMED[char] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
}

export function logSafe(text: string): string {
  return text.replace(UNSAFE, escape);
}
