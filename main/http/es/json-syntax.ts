/**
 * Where and why a JSON text is malformed, in Jackson's words (ES reads bodies with Jackson, and
 * answers "[L:C] <Jackson's message>"). JSON.parse names no position for many errors, so after it
 * fails this small scanner walks the text to the first offending character. Jackson's trailing
 * "\n at [Source: …; line: L, column: C]" is left out. Text after the first complete value is not
 * checked (ES's parsers stop reading there too).
 */

export interface JsonSyntaxError {
  /** 0-based offset of the offending character (text.length for end-of-input). */
  offset: number;
  message: string;
}

const VALUE_EXPECTED = "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')";

class Stop extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

/** The first syntax error, or null when the text's first value is well formed. */
export function findJsonSyntaxError(text: string): JsonSyntaxError | null {
  const scanner = new Scanner(text);
  try {
    scanner.value();
    return null;
  } catch (error) {
    if (error instanceof Stop) return { offset: error.offset, message: error.message };
    throw error;
  }
}

class Scanner {
  private pos = 0;
  constructor(private readonly text: string) {}

  value(): void {
    this.blank();
    const ch = this.text[this.pos];
    if (ch === undefined) throw new Stop(this.pos, 'Unexpected end-of-input: expected a value');
    if (ch === '{') return this.container('}', 'Object');
    if (ch === '[') return this.container(']', 'Array');
    if (ch === '"') return this.string();
    if (ch === '-' || (ch >= '0' && ch <= '9')) return this.number();
    const word = /^[A-Za-z0-9_$]+/.exec(this.text.slice(this.pos))?.[0];
    if (word === 'true' || word === 'false' || word === 'null') {
      this.pos += word.length;
      return;
    }
    if (word) throw new Stop(this.pos, `Unrecognized token '${word}': was expecting ${VALUE_EXPECTED}`);
    throw new Stop(this.pos, `Unexpected character (${describe(ch)}): expected a valid value ${VALUE_EXPECTED}`);
  }

  private container(close: '}' | ']', kind: 'Object' | 'Array'): void {
    this.pos++;
    this.blank();
    if (this.text[this.pos] === close) {
      this.pos++;
      return;
    }
    for (;;) {
      if (kind === 'Object') this.member();
      else this.value();
      this.blank();
      const ch = this.text[this.pos];
      if (ch === undefined) throw new Stop(this.pos, `Unexpected end-of-input: expected close marker for ${kind}`);
      this.pos++;
      if (ch === close) return;
      if (ch !== ',') throw new Stop(this.pos - 1, `Unexpected character (${describe(ch)}): was expecting comma to separate ${kind} entries`);
    }
  }

  private member(): void {
    this.blank();
    const ch = this.text[this.pos];
    if (ch === undefined) throw new Stop(this.pos, 'Unexpected end-of-input: expected close marker for Object');
    if (ch !== '"') throw new Stop(this.pos, `Unexpected character (${describe(ch)}): was expecting double-quote to start field name`);
    this.string();
    this.blank();
    const colon = this.text[this.pos];
    if (colon !== ':') {
      if (colon === undefined) throw new Stop(this.pos, 'Unexpected end-of-input: expected close marker for Object');
      throw new Stop(this.pos, `Unexpected character (${describe(colon)}): was expecting a colon to separate field name and value`);
    }
    this.pos++;
    this.value();
  }

  private string(): void {
    this.pos++;
    for (;;) {
      const ch = this.text[this.pos];
      if (ch === undefined) throw new Stop(this.pos, 'Unexpected end-of-input: was expecting closing quote for a string value');
      this.pos++;
      if (ch === '"') return;
      if (ch === '\\') this.escape();
      else if (ch < ' ') {
        throw new Stop(this.pos - 1, `Illegal unquoted character ((CTRL-CHAR, code ${ch.charCodeAt(0)})): has to be escaped using backslash to be included in string value`);
      }
    }
  }

  private escape(): void {
    const ch = this.text[this.pos];
    if (ch === 'u' && /^[0-9A-Fa-f]{4}/.test(this.text.slice(this.pos + 1))) {
      this.pos += 5;
      return;
    }
    if (ch !== undefined && '"\\/bfnrt'.includes(ch)) {
      this.pos++;
      return;
    }
    throw new Stop(this.pos, `Unrecognized character escape ${ch === undefined ? 'at end of input' : describe(ch)}`);
  }

  private number(): void {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(this.text.slice(this.pos));
    if (!match) throw new Stop(this.pos, `Unexpected character (${describe(this.text[this.pos + 1] ?? '')}) in numeric value: expected digit (0-9) to follow minus sign, for valid numeric value`);
    this.pos += match[0].length;
  }

  private blank(): void {
    while (this.pos < this.text.length && ' \t\r\n'.includes(this.text[this.pos]!)) this.pos++;
  }
}

/** Jackson's `'x' (code 120)`. */
function describe(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  return code < 32 ? `CTRL-CHAR, code ${code}` : `'${ch}' (code ${code})`;
}
