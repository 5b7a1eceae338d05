/**
 * Small readers for what the browser export writes, used by its proofs: Firefox's user.js
 * (`user_pref("name", value);` lines), a shell line of flags, and Chrome's allowlist matching
 * (HttpAuthFilterAllowlist: comma-separated host patterns, "*" a wildcard, ".example.com" a suffix).
 */

export type PrefValue = string | number | boolean;

export interface UserJsReading {
  prefs: Map<string, { value: PrefValue; line: number }>;
  problems: { line: number; message: string }[];
}

const USER_PREF = /^user_pref\(\s*("(?:[^"\\]|\\.)*")\s*,\s*("(?:[^"\\]|\\.)*"|true|false|-?\d+)\s*\)\s*;\s*(\/\/.*)?$/;

/** Reads user.js line by line as Firefox's pref parser would accept it (one pref per line here). */
export function parseUserJs(text: string): UserJsReading {
  const prefs: UserJsReading['prefs'] = new Map();
  const problems: UserJsReading['problems'] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('//')) return;
    const match = USER_PREF.exec(line);
    if (!match) {
      problems.push({ line: index + 1, message: `not a user_pref("name", value); line: ${line}` });
      return;
    }
    const name = JSON.parse(match[1]!) as string;
    const token = match[2]!;
    const value: PrefValue = token.startsWith('"') ? (JSON.parse(token) as string) : token === 'true' ? true : token === 'false' ? false : Number(token);
    if (prefs.has(name)) problems.push({ line: index + 1, message: `${name} is set twice (line ${prefs.get(name)!.line} and ${index + 1}): the last one wins` });
    prefs.set(name, { value, line: index + 1 });
  });
  return { prefs, problems };
}

/** Splits a shell line into arguments: '…' and "…" quoting, no expansion. */
export function shellWords(text: string): string[] {
  const words: string[] = [];
  let current = '';
  let quote: '"' | "'" | null = null;
  let inWord = false;
  for (const ch of text.trim()) {
    if (quote) {
      if (ch === quote) quote = null;
      else current += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
    } else {
      current += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(current);
  return words;
}

/** Does a Chrome allowlist ("localhost,*.example.com") let Negotiate answer for this host? */
export function chromeAllows(allowlist: string, host: string): boolean {
  const wanted = host.toLowerCase();
  return allowlist
    .split(',')
    .map((p) => p.trim().toLowerCase())
    .filter(Boolean)
    .some((pattern) => {
      const glob = pattern.startsWith('.') ? `*${pattern}` : pattern;
      const regex = new RegExp(`^${glob.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
      return regex.test(wanted);
    });
}
