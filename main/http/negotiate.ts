/**
 * HTTP authentication headers for SPNEGO over HTTP (RFC 4559 §4) and Basic (RFC 7617), on the
 * grammar of RFC 7235 §2.1 / §4.1:
 *
 *   WWW-Authenticate = 1#challenge
 *   Authorization    = credentials
 *   challenge / credentials = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
 *   auth-param = token BWS "=" BWS ( token / quoted-string )
 *   token68    = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
 *
 *   RFC 4559: "WWW-Authenticate: Negotiate" (first challenge), "Negotiate <base64 gssapi-data>"
 *   (continue or mutual-authentication token), "Authorization: Negotiate <base64 gssapi-data>".
 *   RFC 7617: "Basic realm=\"security\", charset=\"UTF-8\"", "Authorization: Basic base64(user:password)".
 *
 * A challenge list is ambiguous at its commas (they separate both challenges and auth-params): after
 * a comma, `token BWS "="` continues the current challenge's parameters, anything else starts a new
 * challenge. A token68 ending in "=" is told from an auth-param by what follows the "=" run.
 * Errors are HttpHeaderError, naming the header and the character offset; nothing here throws anything else.
 */

/** A header value that does not follow the grammar: which header, where, and what was expected. */
export class HttpHeaderError extends Error {
  constructor(
    /** "Authorization", "WWW-Authenticate". */
    readonly header: string,
    /** 0-based character offset in the header value. */
    readonly offset: number,
    readonly reason: string,
  ) {
    super(`${header} at character ${offset}: ${reason}`);
    this.name = 'HttpHeaderError';
  }
}

export interface AuthChallenge {
  /** As sent ("Negotiate", "basic"); compare with sameScheme (schemes are case-insensitive). */
  scheme: string;
  token68?: string;
  /** Where the token68 starts in the header value (for error offsets). */
  token68Offset?: number;
  /** auth-params, names lower-cased (they are case-insensitive), quoted-string values unescaped. */
  params: Record<string, string>;
}

/** Decoded `Authorization` credentials. */
export type HttpCredentials =
  | { scheme: 'Negotiate'; token: Buffer; base64: string }
  | { scheme: 'Basic'; user: string; password: string }
  | { scheme: 'other'; name: string };

/** The most a sane Authorization / WWW-Authenticate value takes (a Kerberos token with a PAC is ~2–12 KB). */
export const MAX_AUTH_HEADER_CHARS = 64 * 1024;

const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const TOKEN68_CHAR = /[A-Za-z0-9\-._~+/]/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function sameScheme(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** A cursor over one header value; every failure names the header and the offset. */
class HeaderReader {
  pos = 0;
  constructor(
    readonly header: string,
    readonly text: string,
  ) {}

  fail(reason: string, at = this.pos): never {
    throw new HttpHeaderError(this.header, at, reason);
  }
  get done(): boolean {
    return this.pos >= this.text.length;
  }
  peek(): string {
    return this.text[this.pos] ?? '';
  }
  /** OWS / BWS: optional spaces and tabs. */
  skipSpace(): number {
    const start = this.pos;
    while (this.peek() === ' ' || this.peek() === '\t') this.pos++;
    return this.pos - start;
  }
  token(what: string): string {
    const start = this.pos;
    while (!this.done && TCHAR.test(this.peek())) this.pos++;
    if (this.pos === start) this.fail(`expected ${what} (a token) but found ${describeChar(this.peek())}`);
    return this.text.slice(start, this.pos);
  }
  quotedString(): string {
    const start = this.pos;
    this.pos++; // the opening DQUOTE
    let value = '';
    for (;;) {
      if (this.done) this.fail('quoted-string is not closed (no ending ")', start);
      const char = this.text[this.pos++]!;
      if (char === '"') return value;
      if (char === '\\') {
        if (this.done) this.fail('quoted-pair "\\" at the end of the value', this.pos - 1);
        value += this.text[this.pos++]!;
      } else if (char < ' ' && char !== '\t') this.fail(`control character ${describeChar(char)} inside a quoted-string`, this.pos - 1);
      else value += char;
    }
  }
  /** A token68 here, when one ends at the end of the value, a "," or spaces before them; else undefined (not moved). */
  token68(): string | undefined {
    let end = this.pos;
    while (end < this.text.length && TOKEN68_CHAR.test(this.text[end]!)) end++;
    if (end === this.pos) return undefined;
    while (this.text[end] === '=') end++;
    let after = end;
    while (this.text[after] === ' ' || this.text[after] === '\t') after++;
    if (after < this.text.length && this.text[after] !== ',') return undefined;
    const value = this.text.slice(this.pos, end);
    this.pos = end;
    return value;
  }
}

function describeChar(char: string): string {
  if (char === '') return 'the end of the value';
  const code = char.codePointAt(0)!;
  return code < 0x20 || code === 0x7f ? `control character 0x${code.toString(16).padStart(2, '0')}` : `"${char}"`;
}

/**
 * Is the reader at `token BWS "=" BWS value` (an auth-param), without moving? A run like "abc=="
 * with nothing after it but a comma or the end is a token68 (base64 padding), not a parameter.
 */
function atAuthParam(reader: HeaderReader): boolean {
  const { text } = reader;
  let i = reader.pos;
  while (i < text.length && TCHAR.test(text[i]!)) i++;
  if (i === reader.pos) return false;
  while (text[i] === ' ' || text[i] === '\t') i++;
  if (text[i] !== '=') return false;
  while (text[i] === '=') i++;
  while (text[i] === ' ' || text[i] === '\t') i++;
  return i < text.length && text[i] !== ',';
}

function readAuthParam(reader: HeaderReader, params: Record<string, string>): void {
  const nameAt = reader.pos;
  const name = reader.token('an auth-param name').toLowerCase();
  reader.skipSpace();
  if (reader.peek() !== '=') reader.fail(`expected "=" after auth-param ${name}`);
  reader.pos++;
  reader.skipSpace();
  const value = reader.peek() === '"' ? reader.quotedString() : reader.token(`the value of ${name}`);
  if (name in params) reader.fail(`auth-param ${name} appears twice (RFC 7235 §2.1: each parameter name only once per challenge)`, nameAt);
  params[name] = value;
}

/** One challenge or credentials: scheme, then a token68 or auth-params up to the next challenge. */
function readChallenge(reader: HeaderReader, list: boolean): AuthChallenge {
  const scheme = reader.token('an auth-scheme');
  const challenge: AuthChallenge = { scheme, params: {} };
  const spaces = reader.skipSpace();
  if (reader.done || reader.peek() === ',') return challenge;
  if (spaces === 0) reader.fail(`expected a space after the auth-scheme ${scheme} but found ${describeChar(reader.peek())}`);
  if (!atAuthParam(reader)) {
    const at = reader.pos;
    const token68 = reader.token68();
    if (token68 === undefined) reader.fail(`expected a token68 or auth-params after ${scheme} but found ${describeChar(reader.peek())}`);
    challenge.token68 = token68;
    challenge.token68Offset = at;
    reader.skipSpace();
    return challenge;
  }
  for (;;) {
    readAuthParam(reader, challenge.params);
    reader.skipSpace();
    if (reader.done) return challenge;
    if (reader.peek() !== ',') reader.fail(`expected "," or the end after an auth-param but found ${describeChar(reader.peek())}`);
    const comma = reader.pos;
    while (reader.peek() === ',' || reader.peek() === ' ' || reader.peek() === '\t') reader.pos++;
    if (reader.done) return challenge;
    if (!atAuthParam(reader)) {
      if (!list) reader.fail('credentials carry one auth-scheme: a second one starts here');
      reader.pos = comma;
      return challenge;
    }
  }
}

function checkLength(header: string, value: string): void {
  if (value.length > MAX_AUTH_HEADER_CHARS) throw new HttpHeaderError(header, MAX_AUTH_HEADER_CHARS, `the value is ${value.length} characters long; more than ${MAX_AUTH_HEADER_CHARS} is refused`);
}

/**
 * Parses one or more `WWW-Authenticate` (or `Proxy-Authenticate`) values into their challenges, in
 * order. Several header lines are one list (RFC 7230 §3.2.2); offsets then count within each line.
 */
export function parseChallenges(values: string | readonly string[], header = 'WWW-Authenticate'): AuthChallenge[] {
  const challenges: AuthChallenge[] = [];
  for (const value of typeof values === 'string' ? [values] : values) {
    checkLength(header, value);
    const reader = new HeaderReader(header, value);
    for (;;) {
      while (reader.peek() === ',' || reader.peek() === ' ' || reader.peek() === '\t') reader.pos++;
      if (reader.done) break;
      challenges.push(readChallenge(reader, true));
      reader.skipSpace();
      if (!reader.done && reader.peek() !== ',') reader.fail(`expected "," between challenges but found ${describeChar(reader.peek())}`);
    }
  }
  return challenges;
}

function quote(value: string): string {
  return `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** One challenge as a header value: `Negotiate`, `Negotiate <b64>`, `Basic realm="security", charset="UTF-8"`. */
export function formatChallenge(challenge: AuthChallenge): string {
  if (challenge.token68 !== undefined) return `${challenge.scheme} ${challenge.token68}`;
  const params = Object.entries(challenge.params).map(([name, value]) => `${name}=${quote(value)}`);
  return params.length ? `${challenge.scheme} ${params.join(', ')}` : challenge.scheme;
}

function decodeBase64Token(header: string, text: string, at: number, what: string): Buffer {
  if (!BASE64.test(text) || text.length % 4 === 1) {
    const bad = [...text].findIndex((c, i) => !/[A-Za-z0-9+/=]/.test(c) || (c === '=' && /[^=]/.test(text.slice(i))));
    throw new HttpHeaderError(header, at + Math.max(bad, 0), `${what} is not base64${bad >= 0 ? ` (${describeChar(text[bad]!)})` : ` (${text.length} characters with this padding cannot be base64)`}`);
  }
  return Buffer.from(text, 'base64');
}

/**
 * Parses an `Authorization` value. Negotiate: the token decoded from base64 (RFC 4559 §4.2; an
 * empty token is an error). Basic: user-id ":" password in UTF-8 (RFC 7617 §2; the user-id holds no
 * colon). Other schemes are returned by name.
 */
export function parseAuthorization(value: string, header = 'Authorization'): HttpCredentials {
  checkLength(header, value);
  const reader = new HeaderReader(header, value);
  reader.skipSpace();
  const challenge = readChallenge(reader, false);
  if (reader.peek() === ',') reader.fail('credentials carry one auth-scheme: a second one starts after this ","');
  if (!reader.done) reader.fail(`unexpected ${describeChar(reader.peek())} after the credentials`);
  const tokenAt = challenge.token68Offset ?? value.length;
  const token68 = challenge.token68;
  if (sameScheme(challenge.scheme, 'Negotiate')) {
    if (token68 === undefined) return reader.fail('Negotiate credentials carry a base64 GSS-API token (RFC 4559 §4.2), and this one has none', challenge.scheme.length);
    const token = decodeBase64Token(header, token68, tokenAt, 'the Negotiate token');
    if (token.length === 0) reader.fail('the Negotiate token is empty', tokenAt);
    return { scheme: 'Negotiate', token, base64: token68 };
  }
  if (sameScheme(challenge.scheme, 'Basic')) {
    if (token68 === undefined) return reader.fail('Basic credentials are base64(user-id ":" password) (RFC 7617 §2), and there are none', challenge.scheme.length);
    const text = decodeBase64Token(header, token68, tokenAt, 'the Basic credentials').toString('utf8');
    const colon = text.indexOf(':');
    if (colon < 0) reader.fail('the Basic credentials decode to text without ":" between user-id and password', tokenAt);
    // eslint-disable-next-line no-control-regex -- RFC 7617 §2: user-id and password exclude control characters
    if (/[\u0000-\u001f\u007f]/.test(text)) reader.fail('the Basic credentials contain a control character (RFC 7617 §2 forbids them)', tokenAt);
    return { scheme: 'Basic', user: text.slice(0, colon), password: text.slice(colon + 1) };
  }
  return { scheme: 'other', name: challenge.scheme };
}

/** `Negotiate <b64>` or `Basic <b64(user:password)>`. */
export function formatAuthorization(credentials: Exclude<HttpCredentials, { scheme: 'other' }>): string {
  if (credentials.scheme === 'Negotiate') return `Negotiate ${credentials.token.toString('base64')}`;
  return `Basic ${Buffer.from(`${credentials.user}:${credentials.password}`, 'utf8').toString('base64')}`;
}

/** What an Exchange shows of credentials: the Negotiate token's length, never a Basic password. */
export function describeCredentials(credentials: HttpCredentials): string {
  if (credentials.scheme === 'Negotiate') return `Negotiate <${credentials.token.length}-byte token>`;
  if (credentials.scheme === 'Basic') return `Basic ${credentials.user}:••••`;
  return `${credentials.name} <credentials>`;
}

/** The RFC 4559 challenge: bare `Negotiate`, or with a continue / mutual-authentication token. */
export function negotiateChallenge(token?: Uint8Array): string {
  return token && token.length ? `Negotiate ${Buffer.from(token).toString('base64')}` : 'Negotiate';
}

/** The RFC 7617 challenge, `Basic realm="…", charset="UTF-8"`. */
export function basicChallenge(realm: string): string {
  return formatChallenge({ scheme: 'Basic', params: { realm, charset: 'UTF-8' } });
}
