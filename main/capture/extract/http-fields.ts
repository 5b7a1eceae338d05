/**
 * HTTP header fields for http.ts (RFC 9110, RFC 9112 §2.1, §5.2): the head of a message split
 * into its start line and field values, the credentials of Authorization / Proxy-Authorization,
 * and the challenges of WWW-Authenticate / Proxy-Authenticate. Pure functions of a complete
 * head; kept apart from the stream handler, which only gathers heads and skips bodies.
 */

export interface HttpHead {
  startLine: string;
  /** Field values by lower-case name, in order (a repeated field gives several). */
  fields: Map<string, string[]>;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** RFC 9110 §11.2 token68: base64 (and its URL-safe variant) with padding. */
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;
const SCHEME_AND_REST = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+)(?:[ \t]+(.*))?$/;
/** The schemes whose conversations are recorded, by their lower-case name (schemes are case-insensitive). */
const SCHEMES: Record<string, string> = { negotiate: 'Negotiate', kerberos: 'Kerberos', ntlm: 'NTLM', basic: 'Basic' };

/** The head (start line and field lines, RFC 9112 §2.1); a reason string when it is not one. */
export function parseHead(bytes: Uint8Array): HttpHead | string {
  const lines = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1').split(/\r?\n/);
  const fields = new Map<string, string[]>();
  let last: string[] | undefined;
  for (let i = 1; i < lines.length && lines[i] !== ''; i++) {
    const line = lines[i]!;
    if (line[0] === ' ' || line[0] === '\t') {
      // obs-fold (RFC 9112 §5.2): a continuation of the previous field value.
      if (!last) return 'the header section starts with a continuation line';
      last[last.length - 1] += ` ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0 || !TOKEN.test(line.slice(0, colon))) return `bad header field line "${line.slice(0, 60)}"`;
    const name = line.slice(0, colon).toLowerCase();
    last = fields.get(name) ?? [];
    last.push(line.slice(colon + 1).trim());
    fields.set(name, last);
  }
  return { startLine: lines[0]!, fields };
}

/** What a request's Authorization carries; Basic keeps the user name and the password's length only. */
export interface Credentials {
  mechanism: string;
  token?: Uint8Array;
  fields: Record<string, string>;
  summary?: string;
  error?: string;
}

function basicCredentials(header: string, param: string): Credentials {
  const fields: Record<string, string> = { [header]: 'Basic' };
  if (!TOKEN68.test(param)) return { mechanism: 'Basic', fields, error: `${header}: Basic credentials are not base64` };
  const decoded = Buffer.from(param, 'base64');
  const colon = decoded.indexOf(0x3a);
  if (colon < 0) return { mechanism: 'Basic', fields, error: `${header}: Basic credentials have no ":" between user-id and password` };
  const user = decoded.subarray(0, colon).toString('utf8');
  const hidden = `<${decoded.length - colon - 1} bytes hidden>`;
  decoded.fill(0);
  return { mechanism: 'Basic', fields: { ...fields, user, password: hidden }, summary: `Basic credentials for ${user}, password ${hidden}` };
}

export function parseCredentials(head: HttpHead): Credentials | undefined {
  for (const [name, header] of [['authorization', 'Authorization'], ['proxy-authorization', 'Proxy-Authorization']] as const) {
    const value = head.fields.get(name)?.[0];
    const match = value === undefined ? null : SCHEME_AND_REST.exec(value);
    const scheme = match ? SCHEMES[match[1]!.toLowerCase()] : undefined;
    if (!match || !scheme) continue;
    const param = (match[2] ?? '').trim();
    if (scheme === 'Basic') return basicCredentials(header, param);
    const fields = { [header]: scheme };
    if (!param) return { mechanism: scheme, fields, error: `${header}: ${scheme} carries no token` };
    if (!TOKEN68.test(param)) return { mechanism: scheme, fields, error: `${header}: the ${scheme} token is not base64` };
    const token = Buffer.from(param, 'base64');
    return { mechanism: scheme, fields, token, summary: `${header}: ${scheme}, ${token.length}-byte token` };
  }
  return undefined;
}

/** Splits a field value at commas outside quoted strings (RFC 9110 §5.6.1, §5.6.4). */
function splitList(value: string): string[] {
  const out: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\' && quoted) i++;
    else if (c === '"') quoted = !quoted;
    else if (c === ',' && !quoted) {
      out.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(value.slice(start).trim());
  return out.filter((element) => element !== '');
}

export interface Challenge {
  scheme: string;
  token?: Uint8Array;
  realm?: string;
  error?: string;
}

/**
 * The challenges of every WWW-Authenticate (or Proxy-Authenticate) field (RFC 9110 §11.6.1):
 * several fields, or several challenges in one, separated by commas that may also separate
 * a challenge's auth-params. An element that starts with a token not followed by "=" opens a challenge.
 */
export function parseChallenges(head: HttpHead, name: string): { all: Challenge[]; known: Challenge[] } {
  const all: Challenge[] = [];
  for (const value of head.fields.get(name) ?? []) {
    for (const element of splitList(value)) {
      const match = SCHEME_AND_REST.exec(element);
      const rest = match?.[2]?.trim();
      const current = all.at(-1);
      if (match && !rest?.startsWith('=')) {
        const challenge: Challenge = { scheme: SCHEMES[match[1]!.toLowerCase()] ?? match[1]! };
        all.push(challenge);
        if (rest) readChallengeParam(challenge, rest);
      } else if (current) {
        readChallengeParam(current, element);
      }
    }
  }
  const known = all.filter((c) => Object.values(SCHEMES).includes(c.scheme));
  // The mechanism a conversation is named after: Negotiate when offered.
  known.sort((a, b) => Number(b.scheme === 'Negotiate') - Number(a.scheme === 'Negotiate'));
  return { all, known };
}

function readChallengeParam(challenge: Challenge, param: string): void {
  const realm = /^realm[ \t]*=[ \t]*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/i.exec(param);
  if (realm) challenge.realm = (realm[1] ?? realm[2] ?? '').replace(/\\(.)/g, '$1');
  else if (challenge.scheme !== 'Basic' && challenge.token === undefined) {
    if (TOKEN68.test(param)) challenge.token = Buffer.from(param, 'base64');
    else challenge.error = `WWW-Authenticate: the ${challenge.scheme} token is not base64`;
  }
}
