/**
 * TOML configuration files of the chain methods (Azure's passwords.toml and x509Attributes.toml):
 * parsed with smol-toml, every problem reported as file:line with the key path, so the loader can
 * turn it into a `ChainProblem` as it stands.
 */
import { parse, TomlError } from 'smol-toml';
import { BenchFailure } from '../../engine/failure';

export type TomlTable = Record<string, unknown>;

/** A configuration file the chain cannot use: where (file, 1-based line, key path) and what. */
export class ConfigFileError extends BenchFailure {
  constructor(
    readonly file: string,
    readonly line: number,
    /** "client1.attributes.floor"; empty for the file as a whole. */
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${file}:${line}: ${path ? `${path}: ` : ''}${reason}`);
    this.name = 'ConfigFileError';
  }
}

/** A TOML file's parsed document; syntax errors carry smol-toml's own line. */
export function parseTomlFile(text: string, file: string): TomlTable {
  try {
    return parse(text) as TomlTable;
  } catch (error) {
    if (error instanceof TomlError) throw new ConfigFileError(file, error.line, '', firstLine(error.message));
    throw new ConfigFileError(file, 1, '', error instanceof Error ? error.message : String(error));
  }
}

// smol-toml's message repeats the source lines under the first one; the line number says where.
const firstLine = (message: string): string => message.split('\n')[0]!.replace(/^Invalid TOML document: /, '');

export const isTable = (value: unknown): value is TomlTable => typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);

/** A table's key path as TOML writes it: bare keys as they are, others quoted. */
export const keyPath = (keys: string[]): string => keys.map((k) => (/^[A-Za-z0-9_-]+$/.test(k) ? k : JSON.stringify(k))).join('.');

/**
 * Where a table or key is written, found by scanning the text (smol-toml keeps no positions):
 * the line of `[a.b]` / `a.b = …` / `b = …` under `[a]`; the nearest enclosing one when the exact
 * path is not written out (inline tables); line 1 when nothing matches.
 */
export function tomlLine(text: string, keys: string[]): number {
  let table: string[] = [];
  let best = { line: 1, depth: 0 };
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const found = pathOnLine(lines[i]!, table);
    if (!found) continue;
    if (found.header) table = found.path;
    const depth = sharedPrefix(found.path, keys);
    if (depth === found.path.length && depth > best.depth) best = { line: i + 1, depth };
    if (depth === keys.length && found.path.length === keys.length) return i + 1;
  }
  return best.line;
}

function pathOnLine(line: string, table: string[]): { path: string[]; header: boolean } | undefined {
  const header = /^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$/.exec(line);
  if (header) return { path: splitDotted(header[1]!), header: true };
  const key = /^\s*((?:"(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_-]+)(?:\s*\.\s*(?:"(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_-]+))*)\s*=/.exec(line);
  if (key) return { path: [...table, ...splitDotted(key[1]!)], header: false };
  return undefined;
}

function splitDotted(text: string): string[] {
  const parts = text.match(/"(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_-]+/g) ?? [];
  return parts.map((p) => (p.startsWith('"') ? (JSON.parse(p) as string) : p.startsWith("'") ? p.slice(1, -1) : p));
}

function sharedPrefix(a: string[], b: string[]): number {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}

/** Reads one TOML file's tables and keys, failing with file:line for anything out of place. */
export class TomlReader {
  constructor(
    readonly text: string,
    readonly file: string,
  ) {}

  fail(keys: string[], reason: string): never {
    throw new ConfigFileError(this.file, tomlLine(this.text, keys), keyPath(keys), reason);
  }

  /** The table's keys must be among `allowed`. */
  onlyKeys(table: TomlTable, keys: string[], allowed: string[]): void {
    for (const key of Object.keys(table)) {
      if (!allowed.includes(key)) this.fail([...keys, key], `unknown key "${key}" (expected ${allowed.map((a) => `"${a}"`).join(' or ')})`);
    }
  }

  table(value: unknown, keys: string[]): TomlTable {
    if (!isTable(value)) this.fail(keys, `must be a table, not ${describe(value)}`);
    return value;
  }

  string(value: unknown, keys: string[]): string {
    if (value === undefined) this.fail(keys.slice(0, -1), `"${keys[keys.length - 1]}" is missing`);
    if (typeof value !== 'string') this.fail(keys, `must be a string, not ${describe(value)}`);
    return value;
  }

  /** `[x.attributes]`: string values only, as Azure's authorization reads them. */
  attributes(value: unknown, keys: string[]): Record<string, string> {
    if (value === undefined) return {};
    const table = this.table(value, keys);
    const out: Record<string, string> = {};
    for (const [name, v] of Object.entries(table)) out[name] = this.string(v, [...keys, name]);
    return out;
  }
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return 'a date';
  if (isTable(value)) return 'a table';
  return `a ${typeof value}`;
}
