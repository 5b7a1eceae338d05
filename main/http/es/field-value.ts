/**
 * One value of a role-mapping `field` rule, and how ES compares it with a user's field.
 *
 * ES (FieldExpression.FieldValue.buildAutomaton) builds an automaton only for a string that
 * contains `*` (Regex.isSimpleMatchPattern) or is a Lucene regex (`/…/`, longer than one char).
 * So `?` is a wildcard only inside a value that also has a `*`: "al?ce" is compared exactly,
 * "al?ce*" matches "alice@X". A `\` in a wildcard escapes the next character. A value with `*`
 * that starts with `/` but does not end with one is refused with Automatons' own text.
 *
 * Comparison (ExpressionModel.buildPredicate) goes by the type of the USER's value: a string is
 * run through the automaton or compared with equals (so the number 5 never equals "5"), a number
 * by numeric value, a boolean by equals, a missing field matches only null, and a collection
 * (groups) matches when any element does; an empty collection matches nothing, not even null.
 */
import type { RoleRuleValue } from '../../api/http';
import { compileLuceneRegex, describeLuceneRegex, LuceneRegexError } from './lucene-regex';

export type FieldMatcher =
  | { kind: 'exact'; value: RoleRuleValue }
  | { kind: 'wildcard'; value: string; regex: RegExp }
  | { kind: 'regex'; value: string; regex: RegExp; note?: string };

/** The IllegalArgumentException ES throws while building a value's automaton. */
export class FieldValueError extends Error {
  override name = 'FieldValueError';
  constructor(
    message: string,
    /** The Lucene operator is valid in ES but this emulation does not translate it. */
    readonly unsupported = false,
  ) {
    super(message);
  }
}

const isLuceneRegex = (s: string) => s.length > 1 && s.startsWith('/') && s.endsWith('/');

/** Builds the matcher for one value, as FieldValue's constructor does (throws FieldValueError). */
export function compileFieldValue(value: RoleRuleValue): FieldMatcher {
  if (typeof value !== 'string' || !(value.includes('*') || isLuceneRegex(value))) return { kind: 'exact', value };
  if (value.startsWith('/')) {
    if (!isLuceneRegex(value)) {
      throw new FieldValueError(
        `invalid pattern [${value}]. patterns starting with '/' indicate regular expression pattern and therefore must also end with '/'. ` +
          `other patterns (those that do not start with '/') will be treated as simple wildcard patterns`,
      );
    }
    const source = value.slice(1, -1);
    try {
      const note = describeLuceneRegex(source);
      return { kind: 'regex', value, regex: compileLuceneRegex(source), ...(note ? { note } : {}) };
    } catch (error) {
      if (error instanceof LuceneRegexError) throw new FieldValueError(error.message, error.unsupported);
      throw error;
    }
  }
  return { kind: 'wildcard', value, regex: wildcardRegex(value) };
}

/** Automatons.wildcard: `*` any string, `?` any one character, `\x` the character x. */
function wildcardRegex(pattern: string): RegExp {
  const chars = [...pattern];
  let out = '';
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (ch === '*') out += '[\\s\\S]*';
    else if (ch === '?') out += '[\\s\\S]';
    else if (ch === '\\' && i + 1 < chars.length) out += literal(chars[++i]!);
    else out += literal(ch);
  }
  return new RegExp(`^${out}$`, 'u');
}

const literal = (ch: string) => `\\u{${ch.codePointAt(0)!.toString(16)}}`;

/** What the user has in a field: undefined when ES's model does not define the field at all. */
export type ModelValue = string | number | boolean | null | undefined | string[];

/** ExpressionModel's predicate for one user value against one rule value. */
export function matchesValue(userValue: ModelValue, matcher: FieldMatcher): boolean {
  if (Array.isArray(userValue)) return userValue.some((element) => matchesValue(element, matcher));
  if (userValue === undefined || userValue === null) return matcher.kind === 'exact' && matcher.value === null;
  if (typeof userValue === 'string') return matcher.kind === 'exact' ? matcher.value === userValue : matcher.regex.test(userValue);
  if (matcher.kind !== 'exact') return false;
  return typeof userValue === typeof matcher.value && userValue === matcher.value;
}

/** "the wildcard *@BENCH.TEST", "the regex /…/", "alice", "null", "the number 5". */
export function describeMatcher(matcher: FieldMatcher): string {
  if (matcher.kind === 'wildcard') return `the wildcard ${matcher.value}`;
  if (matcher.kind === 'regex') return `the regex ${matcher.value}`;
  const value = matcher.value;
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  return `the ${typeof value} ${String(value)}`;
}
