/**
 * Lucene's regular-expression syntax (org.apache.lucene.util.automaton.RegExp), as ES uses it for a
 * role-mapping value written `/…/` (Automatons.buildAutomaton: `new RegExp(regex, RegExp.ALL |
 * RegExp.DEPRECATED_COMPLEMENT)`), translated to an anchored JavaScript RegExp.
 *
 * Lucene is not Perl: there are no anchors (the whole value must match, always), `^` and `$` are
 * plain characters, and with ALL flags `@` means "any string", `#` the empty language, `"…"` a
 * literal string, `<1-10>` a numeric interval, `~` complement and `&` intersection. The classic
 * trap: `/.*@BENCH.TEST/` reads `@` as "any string", so it also matches "alice-evil-BENCHxTEST";
 * write `\@` (and `\.`). describeLuceneRegex() says so in the trace.
 *
 * Not translated (refused with LuceneRegexError, `unsupported`): `~`, `&` and `<…>` — JavaScript
 * has no bounded complement or intersection, and these never appear in real role mappings we know.
 */

export class LuceneRegexError extends Error {
  override name = 'LuceneRegexError';
  constructor(
    message: string,
    /** 0-based offset in the regex (without the slashes). */
    readonly position: number,
    /** A valid Lucene operator this emulation does not translate (ES would accept it). */
    readonly unsupported = false,
  ) {
    super(message);
  }
}

const literal = (ch: string) => `\\u{${ch.codePointAt(0)!.toString(16)}}`;
/** Lucene 9's shorthand classes, as JavaScript class bodies. */
const SHORTHAND: Record<string, string> = { d: '0-9', w: '0-9A-Za-z_', s: '\\t\\n\\v\\f\\r ' };

class Translator {
  private pos = 0;
  private readonly chars: string[];

  constructor(readonly source: string) {
    this.chars = [...source];
  }

  translate(): string {
    const out = this.union();
    if (this.more()) throw new LuceneRegexError(`end-of-string expected at position ${this.pos}`, this.pos);
    return out;
  }

  private more(): boolean {
    return this.pos < this.chars.length;
  }
  private peek(set: string): boolean {
    return this.more() && set.includes(this.chars[this.pos]!);
  }
  private next(): string {
    if (!this.more()) throw new LuceneRegexError('unexpected end-of-string', this.pos);
    return this.chars[this.pos++]!;
  }
  private expect(ch: string): void {
    if (!this.peek(ch)) throw new LuceneRegexError(`expected '${ch}' at position ${this.pos}`, this.pos);
    this.pos++;
  }

  private union(): string {
    const left = this.concat();
    if (!this.peek('|')) return left;
    this.pos++;
    return `${left}|${this.union()}`;
  }

  private concat(): string {
    if (this.peek('&')) throw new LuceneRegexError(`the intersection operator '&' (position ${this.pos}) is not supported by this emulation`, this.pos, true);
    let out = '';
    while (this.more() && !this.peek(')|')) {
      if (this.peek('&')) throw new LuceneRegexError(`the intersection operator '&' (position ${this.pos}) is not supported by this emulation`, this.pos, true);
      out += this.repeat();
    }
    return out;
  }

  private repeat(): string {
    let out = this.complement();
    while (this.peek('?*+{')) {
      const op = this.next();
      out = op === '{' ? `(?:${out}){${this.bounds()}}` : `(?:${out})${op}`;
    }
    return out;
  }

  private bounds(): string {
    const min = this.integer();
    let text = min;
    if (this.peek(',')) {
      this.pos++;
      text += ',' + (this.peek('}') ? '' : this.integer());
    }
    this.expect('}');
    return text;
  }

  private integer(): string {
    const start = this.pos;
    while (this.peek('0123456789')) this.pos++;
    if (start === this.pos) throw new LuceneRegexError(`expected integer at position ${this.pos}`, this.pos);
    return this.chars.slice(start, this.pos).join('');
  }

  private complement(): string {
    if (this.peek('~')) throw new LuceneRegexError(`the complement operator '~' (position ${this.pos}) is not supported by this emulation`, this.pos, true);
    return this.peek('[') ? this.charClass() : this.simple();
  }

  private charClass(): string {
    this.pos++;
    const negated = this.peek('^');
    if (negated) this.pos++;
    let body = '';
    do {
      body += this.classItem();
    } while (this.more() && !this.peek(']'));
    this.expect(']');
    return `[${negated ? '^' : ''}${body}]`;
  }

  private classItem(): string {
    const shorthand = this.shorthand(true);
    if (shorthand !== null) return shorthand;
    const from = this.charExp();
    if (!this.peek('-') || this.chars[this.pos + 1] === ']') return literal(from);
    this.pos++;
    const to = this.charExp();
    if (from.codePointAt(0)! > to.codePointAt(0)!) {
      throw new LuceneRegexError(`invalid range: from (${from}) cannot be > to (${to})`, this.pos);
    }
    return `${literal(from)}-${literal(to)}`;
  }

  /** `\d \D \w \W \s \S` (Lucene 9); null when the next thing is not one. */
  private shorthand(inClass: boolean): string | null {
    if (!this.peek('\\')) return null;
    const letter = this.chars[this.pos + 1];
    if (letter === undefined || !'dDwWsS'.includes(letter)) return null;
    this.pos += 2;
    const body = SHORTHAND[letter.toLowerCase()]!;
    const negated = letter !== letter.toLowerCase();
    if (inClass) return negated ? `\\${letter}` : body;
    return negated ? `[^${body}]` : `[${body}]`;
  }

  private charExp(): string {
    const ch = this.next();
    return ch === '\\' ? this.next() : ch;
  }

  private simple(): string {
    const shorthand = this.shorthand(false);
    if (shorthand !== null) return shorthand;
    const ch = this.chars[this.pos]!;
    if (ch === '.') return this.advance('[\\s\\S]');
    if (ch === '#') return this.advance('(?!)');
    if (ch === '@') return this.advance('[\\s\\S]*');
    if (ch === '"') return this.quoted();
    if (ch === '(') return this.group();
    if (ch === '<') throw new LuceneRegexError(`intervals and named automata '<…>' (position ${this.pos}) are not supported by this emulation`, this.pos, true);
    return literal(this.charExp());
  }

  private advance(out: string): string {
    this.pos++;
    return out;
  }

  private quoted(): string {
    this.pos++;
    const start = this.pos;
    while (this.more() && !this.peek('"')) this.pos++;
    if (!this.more()) throw new LuceneRegexError(`expected '"' at position ${this.pos}`, this.pos);
    const text = this.chars.slice(start, this.pos).map(literal).join('');
    this.pos++;
    return `(?:${text})`;
  }

  private group(): string {
    this.pos++;
    if (this.peek(')')) return this.advance('(?:)');
    const inner = this.union();
    this.expect(')');
    return `(?:${inner})`;
  }
}

/** Compiles a Lucene regex (the text between the slashes) to a JavaScript RegExp that must match the whole value. */
export function compileLuceneRegex(source: string): RegExp {
  return new RegExp(`^(?:${new Translator(source).translate()})$`, 'u');
}

/** A note for the trace when the regex holds an operator that surprises Perl-style readers. */
export function describeLuceneRegex(source: string): string | undefined {
  const unescaped = (ch: string) => new RegExp(`(^|[^\\\\])(\\\\\\\\)*\\${ch}`).test(source);
  if (unescaped('@')) return "in Lucene regex an unescaped @ means 'any string'; write \\@ for the character";
  if (/^\^|\$$/.test(source)) return 'Lucene regex has no anchors: ^ and $ are plain characters and the whole value must match anyway';
  return undefined;
}
