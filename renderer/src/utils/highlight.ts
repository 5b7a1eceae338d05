/**
 * A small syntax highlighter for the Export view's previews: the formats the bench exports and
 * imports (krb5.conf, HOCON, YAML, XML, TOML, JSON, JAAS, properties, TypeScript, shell, Markdown).
 * No editor library: the previews are read-only, and a table of sticky regexes per language is
 * enough to tell keys, values, comments and sections apart.
 *
 * Each language is a small state machine: a state is a list of rules tried in order at the
 * current position; the first non-empty match becomes a token and may switch the state (into an
 * XML comment, a TOML multi-line string …). Lines are lexed one at a time, so `^` means "at the
 * start of the line"; a state may fall back to another at the end of each line (a krb5 value ends
 * with its line). Every character of the input ends up in exactly one token, so the text shown is
 * the text copied. The output is tokens, rendered by Vue as text (escaped by Vue, never as markup).
 */

export type TokenKind = 'comment' | 'key' | 'string' | 'number' | 'keyword' | 'section' | 'tag' | 'attr' | 'variable' | 'punct' | 'type' | 'function';

export interface Token {
  text: string;
  /** null: plain text. */
  kind: TokenKind | null;
}

/** One line of the input, as tokens (joined, they give the line back). */
export type HighlightedLine = Token[];

interface Rule {
  re: RegExp;
  kind: TokenKind | null;
  /** The state after this token. */
  next?: string;
}

interface State {
  rules: Rule[];
  /** The state the next line starts in (default: this one). */
  eol?: string;
}

type Grammar = Record<string, State> & { main: State };

/** Lines longer than this are shown plain after this many characters (a base64 blob, a minified file). */
const MAX_LINE = 4000;
/** Files longer than this many lines are shown plain after it. */
const MAX_LINES = 20_000;

const r = (re: RegExp, kind: TokenKind | null, next?: string): Rule => ({ re: new RegExp(re.source, re.flags.includes('y') ? re.flags : `${re.flags}y`), kind, next });

const DQ = /"(?:[^"\\]|\\.)*"?/;
const SQ = /'(?:[^'\\]|\\.)*'?/;
const SPACE = r(/\s+/, null);

// ---- line-based formats: krb5.conf, properties, JAAS, shell ---------------------------------------

/** krb5.conf (MIT profile syntax): [sections], `name = value`, `REALM = {` … `}`; # and ; comments. */
const krb5: Grammar = {
  main: {
    rules: [
      r(/^\s*[#;].*/, 'comment'),
      r(/^\s*\[[^\]]*\]?/, 'section'),
      r(/^\s*include(?:dir)?(?=\s)/, 'keyword', 'value'),
      r(/[^\s=#;{}[\]]+(?=\s*=)/, 'key'),
      r(/=/, 'punct', 'value'),
      r(/[{}]/, 'punct'),
      r(/\*$/, 'punct'),
      SPACE,
    ],
  },
  value: {
    eol: 'main',
    rules: [
      r(/\{/, 'punct', 'main'),
      SPACE,
      r(DQ, 'string'),
      r(/(?:true|false|yes|no)(?![\w.-])/i, 'keyword'),
      r(/\d+[smhd]?(?![\w.:/-])/, 'number'),
      r(/[^\s{"]+/, 'string'),
    ],
  },
};

/** Java .properties: `key=value` or `key: value`; # and ! comments. */
const properties: Grammar = {
  main: { rules: [r(/^\s*[#!].*/, 'comment'), r(/[^\s=:#!]+(?=\s*[=:])/, 'key'), r(/[=:]/, 'punct', 'value'), SPACE] },
  value: { eol: 'main', rules: [r(/(?:true|false)(?![\w.])/, 'keyword'), r(/\d+(?![\w.])/, 'number'), r(/\$\{[^}]*\}?/, 'variable'), r(/[^$]+|\$/, 'string')] },
};

const blockComment = (back: string): State => ({ rules: [r(/.*?\*\//, 'comment', back), r(/.+/, 'comment')] });

/** A JAAS login configuration: `Entry { module flag option=value …; };`. */
const jaas: Grammar = {
  main: {
    rules: [
      r(/\/\/.*/, 'comment'),
      r(/\/\*/, 'comment', 'block'),
      r(/[\w.-]+(?=\s*\{)/, 'section'),
      r(/(?:required|requisite|sufficient|optional)(?![\w.])/, 'keyword'),
      r(/[A-Za-z_][\w.]*(?=\s*=)/, 'key'),
      r(DQ, 'string'),
      r(/(?:true|false)(?![\w.])/, 'keyword'),
      r(/[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+/, 'type'),
      r(/[{};=]/, 'punct'),
      SPACE,
    ],
  },
  block: blockComment('main'),
};

const SHELL_WORDS = /(?:if|then|else|elif|fi|for|do|done|while|until|case|esac|in|export|function|return|set|local|sudo|exit)(?![\w-])/;

/** A shell script or command list: comments, quoted strings, $VARS, --flags. */
const shell: Grammar = {
  main: {
    rules: [
      r(/^\s*#.*/, 'comment'),
      r(/(?<=\s)#.*/, 'comment'),
      r(SQ, 'string'),
      r(DQ, 'string'),
      r(/\$\{[^}]*\}?|\$[A-Za-z_]\w*|\$[0-9@#?*$!-]/, 'variable'),
      r(/(?<=^|\s)--?[A-Za-z][\w-]*/, 'attr'),
      r(new RegExp(`(?<=^|[\\s;|&(])${SHELL_WORDS.source}`), 'keyword'),
      r(/(?<=^|[\s;|&(])[A-Za-z_]\w*(?==)/, 'key'),
      r(/[|&;<>()\\=]/, 'punct'),
      r(/[^\s'"$|&;<>()\\#=]+/, null),
      SPACE,
    ],
  },
};

// ---- structured formats: JSON, YAML, TOML, HOCON, XML -------------------------------------------

const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/;

const json: Grammar = {
  main: {
    rules: [
      r(new RegExp(`${DQ.source}(?=\\s*:)`), 'key'),
      r(DQ, 'string'),
      r(NUMBER, 'number'),
      r(/(?:true|false|null)(?!\w)/, 'keyword'),
      r(/[{}[\],:]/, 'punct'),
      SPACE,
    ],
  },
};

/** Where a YAML scalar ends: before a comment, the end of the line, or a flow separator. */
const YAML_END = /(?=\s*(?:#|$|,|\]|\}))/.source;

const yaml: Grammar = {
  main: {
    rules: [
      r(/^\s*#.*/, 'comment'),
      r(/(?<=\s)#.*/, 'comment'),
      r(/^(?:---|\.\.\.)(?=\s|$)/, 'punct'),
      r(/(?<=^\s*(?:-\s+)*)-(?=\s|$)/, 'punct'),
      r(/(?<=^\s*(?:-\s+)*|[{,]\s*)(?:"(?:[^"\\]|\\.)*"|'[^']*'|[^\s#'"{}[\],:][^#{}[\],]*?)(?=\s*:(?:\s|$))/, 'key'),
      r(DQ, 'string'),
      r(/'(?:[^']|'')*'?/, 'string'),
      r(/[&*][\w-]+/, 'variable'),
      r(/![\w!/.-]*/, 'type'),
      r(new RegExp(`(?:true|false|null|yes|no|on|off|~)${YAML_END}`, 'i'), 'keyword'),
      r(new RegExp(`[-+]?\\d+(?:\\.\\d+)?(?:[eE][+-]?\\d+)?${YAML_END}`), 'number'),
      r(/[|>][-+]?\d*(?=\s*(?:#|$))/, 'punct'),
      r(/[{}[\],:?]/, 'punct'),
      r(/[^\s#{}[\],:'"]+(?::[^\s#{}[\],]+)*/, 'string'),
      SPACE,
    ],
  },
};

const TOML_KEY = /(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')/.source;

const toml: Grammar = {
  main: {
    rules: [
      r(/#.*/, 'comment'),
      r(/^\s*\[\[[^\]]*\]\]|^\s*\[[^\]]*\]/, 'section'),
      r(new RegExp(`${TOML_KEY}(?:\\s*\\.\\s*${TOML_KEY})*(?=\\s*=)`), 'key'),
      r(/"""/, 'string', 'basic'),
      r(/'''/, 'string', 'literal'),
      r(DQ, 'string'),
      r(/'[^']*'?/, 'string'),
      r(/\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)?/, 'number'),
      r(/[+-]?(?:0x[0-9a-fA-F_]+|0o[0-7_]+|0b[01_]+|\d[\d_]*(?:\.\d[\d_]*)?(?:[eE][+-]?\d+)?|inf|nan)(?![\w.])/, 'number'),
      r(/(?:true|false)(?![\w-])/, 'keyword'),
      r(/[=[\]{},.]/, 'punct'),
      SPACE,
    ],
  },
  basic: { rules: [r(/(?:[^"\\]|\\.|"(?!""))*"""/, 'string', 'main'), r(/.+/, 'string')] },
  literal: { rules: [r(/(?:[^']|'(?!''))*'''/, 'string', 'main'), r(/.+/, 'string')] },
};

const HOCON_KEY = /(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*")/.source;

/** HOCON (EMQX's configuration): keys before =, :, += or {; ${substitutions}; """multi-line""". */
const hocon: Grammar = {
  main: {
    rules: [
      r(/(?:#|\/\/).*/, 'comment'),
      r(/"""/, 'string', 'triple'),
      r(/\$\{\??[^}]*\}?/, 'variable'),
      r(new RegExp(`${HOCON_KEY}(?:\\.${HOCON_KEY})*(?=\\s*(?:=|:|\\+=|\\{))`), 'key'),
      r(DQ, 'string'),
      r(/\d+(?:\.\d+)?(?:ms|s|m|h|d|KB|MB|GB)?(?![\w.-])/, 'number'),
      r(/(?:true|false|null|on|off|yes|no)(?![\w.-])/, 'keyword'),
      r(/\+=|[{}[\],:=]/, 'punct'),
      r(/[^\s{}[\],:=#"$/]+|\//, 'string'),
      SPACE,
    ],
  },
  triple: { rules: [r(/.*?"""/, 'string', 'main'), r(/.+/, 'string')] },
};

const xml: Grammar = {
  main: {
    rules: [
      r(/<!--/, 'comment', 'comment'),
      r(/<!\[CDATA\[/, 'string', 'cdata'),
      r(/<!DOCTYPE[^>]*>/i, 'tag'),
      r(/<\?[\w-]+/, 'tag', 'inTag'),
      r(/<\/?[\w:.-]+/, 'tag', 'inTag'),
      r(/&[#\w]+;/, 'variable'),
      r(/[^<&]+/, null),
    ],
  },
  inTag: {
    rules: [
      SPACE,
      r(/[\w:.-]+(?=\s*=)/, 'attr'),
      r(/=/, 'punct'),
      r(/"[^"]*"?|'[^']*'?/, 'string'),
      r(/\/?>|\?>/, 'tag', 'main'),
    ],
  },
  comment: { rules: [r(/.*?-->/, 'comment', 'main'), r(/.+/, 'comment')] },
  cdata: { rules: [r(/.*?\]\]>/, 'string', 'main'), r(/.+/, 'string')] },
};

// ---- programs and prose: TypeScript, Markdown -----------------------------------------------------

const TS_KEYWORDS =
  /(?:import|from|export|default|const|let|var|function|async|await|return|if|else|for|of|in|new|class|interface|type|extends|implements|throw|try|catch|finally|while|do|break|continue|switch|case|typeof|instanceof|as|void|null|undefined|true|false|this|enum|readonly|private|public|protected|static|keyof|satisfies|yield)(?![\w$])/;

const typescript: Grammar = {
  main: {
    rules: [
      r(/\/\/.*/, 'comment'),
      r(/\/\*/, 'comment', 'block'),
      r(/`/, 'string', 'template'),
      r(SQ, 'string'),
      r(DQ, 'string'),
      r(TS_KEYWORDS, 'keyword'),
      r(/(?:0[xX][0-9a-fA-F_]+|\d[\d_]*(?:\.\d+)?(?:[eE][+-]?\d+)?)n?(?![\w$])/, 'number'),
      r(/[A-Z][\w$]*/, 'type'),
      r(/[A-Za-z_$][\w$]*(?=\s*\()/, 'function'),
      r(/[A-Za-z_$][\w$]*/, null),
      r(/[{}()[\];,.:=<>+\-*/!?&|%^~@]/, 'punct'),
      SPACE,
    ],
  },
  block: blockComment('main'),
  template: { rules: [r(/(?:[^`\\$]|\\.|\$(?!\{))+/, 'string'), r(/\$\{[^}]*\}?/, 'variable'), r(/`/, 'string', 'main')] },
};

const markdown: Grammar = {
  main: {
    rules: [
      r(/^```.*/, 'punct', 'fence'),
      r(/^#{1,6}\s.*/, 'section'),
      r(/^\s*(?:[-*+]|\d+\.)(?=\s)/, 'punct'),
      r(/`[^`]*`?/, 'string'),
      r(/\*\*[^*]+\*\*/, 'keyword'),
      r(/\[[^\]]*\]\([^)]*\)/, 'attr'),
      r(/[^`*[]+|[*[]/, null),
    ],
  },
  fence: { rules: [r(/^```.*/, 'punct', 'main'), r(/.+/, 'string')] },
};

const GRAMMARS: Record<string, Grammar> = { krb5, ini: krb5, properties, jaas, shell, json, yaml, toml, hocon, xml, typescript, markdown };

/** The grammar for a language name (ExportLanguage, or a file's extension); null: plain text. */
function grammarFor(language: string): Grammar | null {
  const aliases: Record<string, string> = { ts: 'typescript', js: 'typescript', javascript: 'typescript', yml: 'yaml', conf: 'hocon', sh: 'shell', bash: 'shell', md: 'markdown' };
  return GRAMMARS[aliases[language] ?? language] ?? null;
}

/** Appends a token, merging it into the previous one of the same kind. */
function push(tokens: Token[], text: string, kind: TokenKind | null): void {
  if (!text) return;
  const last = tokens[tokens.length - 1];
  if (last && last.kind === kind) last.text += text;
  else tokens.push({ text, kind });
}

/** Lexes one line from `state`; returns its tokens and the state the next line starts in. */
function lexLine(line: string, grammar: Grammar, start: string): { tokens: Token[]; state: string } {
  const tokens: Token[] = [];
  const body = line.length > MAX_LINE ? line.slice(0, MAX_LINE) : line;
  let state = start;
  let at = 0;
  while (at < body.length) {
    const rules = (grammar[state] ?? grammar.main).rules;
    let matched = false;
    for (const rule of rules) {
      rule.re.lastIndex = at;
      const match = rule.re.exec(body);
      if (!match || !match[0]) continue;
      push(tokens, match[0], rule.kind);
      at += match[0].length;
      if (rule.next) state = rule.next;
      matched = true;
      break;
    }
    // Nothing matched: the character is plain text (a stray quote, an operator no rule names).
    if (!matched) push(tokens, body[at++]!, null);
  }
  push(tokens, line.slice(body.length), null);
  return { tokens, state: grammar[state]?.eol ?? state };
}

/** YAML block scalars (`key: |` and `key: >`): the more-indented lines after them are text. */
function yamlBlockStart(line: string): number | null {
  const match = /^(\s*)(?:-\s+)*[^#]*:\s*[|>][-+]?\d*\s*(?:#.*)?$/.exec(line);
  return match ? match[1]!.length : null;
}

/** Highlights `text` as `language`; a language without a grammar (text, binary) comes back plain. */
export function highlight(text: string, language: string): HighlightedLine[] {
  const lines = text.split('\n');
  const grammar = grammarFor(language);
  if (!grammar) return lines.map((line) => (line ? [{ text: line, kind: null }] : []));
  const out: HighlightedLine[] = [];
  let state = 'main';
  // YAML only: the indentation of the key that opened a block scalar (null: not in one).
  let blockIndent: number | null = null;
  for (const [index, line] of lines.entries()) {
    if (index >= MAX_LINES) {
      out.push(line ? [{ text: line, kind: null }] : []);
      continue;
    }
    if (grammar === yaml && blockIndent !== null) {
      const indent = /^\s*/.exec(line)![0].length;
      if (!line.trim() || indent > blockIndent) {
        out.push(line ? [{ text: line, kind: 'string' }] : []);
        continue;
      }
      blockIndent = null;
    }
    const lexed = lexLine(line, grammar, state);
    out.push(lexed.tokens);
    state = lexed.state;
    if (grammar === yaml) blockIndent = yamlBlockStart(line);
  }
  return out;
}
