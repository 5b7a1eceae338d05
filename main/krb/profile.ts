/**
 * MIT "profile" files: krb5.conf and kdc.conf. Pure text → tree; resolving `include` and
 * `includedir` is left to the caller (this module does no I/O).
 *
 * Format (MIT krb5 docs, "krb5.conf"):
 *   [section]
 *   tag = value
 *   tag = {              subsection
 *     tag = value
 *   }
 *   # or ; starts a comment line; a trailing `*` after a value or `}` marks it final;
 *   include FILE / includedir DIR at the start of a line pull in other files.
 * A tag may repeat (several `kdc =` lines); values keep their order.
 */

export interface ProfileValue {
  value: string;
  /** 1-based line number in the source text. */
  line: number;
}

/** A section or subsection: each tag maps to its values and subsections in file order. */
export interface ProfileSection {
  relations: Map<string, (ProfileValue | ProfileSection)[]>;
  line: number;
}

export interface ProfileInclude {
  kind: 'include' | 'includedir';
  path: string;
  line: number;
}

export interface ProfileProblem {
  line: number;
  message: string;
}

export interface ParsedProfile {
  source: string;
  sections: Map<string, ProfileSection>;
  includes: ProfileInclude[];
  problems: ProfileProblem[];
}

function newSection(line: number): ProfileSection {
  return { relations: new Map(), line };
}

function addRelation(section: ProfileSection, tag: string, entry: ProfileValue | ProfileSection): void {
  const list = section.relations.get(tag);
  if (list) list.push(entry);
  else section.relations.set(tag, [entry]);
}

/** Strips quotes and the final-marker `*` from a relation value. */
function unquote(raw: string): string {
  const trimmed = raw.trim();
  if (trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"')) {
    return trimmed.slice(1, -1).replace(/\\(["\\ntb])/g, (_m, c: string) => ({ n: '\n', t: '\t', b: '\b' })[c] ?? c);
  }
  return trimmed;
}

export function parseProfile(text: string, source = '<text>'): ParsedProfile {
  const result: ParsedProfile = { source, sections: new Map(), includes: [], problems: [] };
  // Stack of open (sub)sections; index 0 is the current top-level section.
  const stack: ProfileSection[] = [];
  const lines = text.split(/\r?\n/);

  lines.forEach((rawLine, index) => {
    const line = index + 1;
    const directive = /^(include|includedir)\s+(.+?)\s*$/.exec(rawLine);
    if (directive) {
      result.includes.push({ kind: directive[1] as ProfileInclude['kind'], path: directive[2]!, line });
      return;
    }
    const text = rawLine.trim();
    if (text === '' || text.startsWith('#') || text.startsWith(';')) return;

    const header = /^\[([^\]]+)\]\s*\*?$/.exec(text);
    if (header) {
      if (stack.length > 1) result.problems.push({ line, message: `section [${header[1]}] opened inside an unclosed subsection` });
      const name = header[1]!.trim();
      const section = result.sections.get(name) ?? newSection(line);
      result.sections.set(name, section);
      stack.length = 0;
      stack.push(section);
      return;
    }
    if (/^}\s*\*?$/.test(text)) {
      if (stack.length <= 1) result.problems.push({ line, message: 'unmatched "}"' });
      else stack.pop();
      return;
    }
    const relation = /^([^=]+?)\s*=\s*(.*)$/.exec(text);
    if (!relation) {
      result.problems.push({ line, message: `cannot parse line: ${text}` });
      return;
    }
    const current = stack[stack.length - 1];
    if (!current) {
      result.problems.push({ line, message: `relation "${relation[1]}" outside any [section]` });
      return;
    }
    const tag = relation[1]!;
    const value = relation[2]!;
    if (value === '{' || value === '{*') {
      const child = newSection(line);
      addRelation(current, tag, child);
      stack.push(child);
    } else {
      addRelation(current, tag, { value: unquote(value.replace(/\s*\*$/, '')), line });
    }
  });
  if (stack.length > 1) result.problems.push({ line: lines.length, message: 'subsection not closed with "}" at end of file' });
  return result;
}

function isSection(entry: ProfileValue | ProfileSection): entry is ProfileSection {
  return 'relations' in entry;
}

/**
 * Looks up a path such as `['libdefaults', 'default_realm']` or `['realms', 'EXAMPLE.COM', 'kdc']`
 * across profiles in precedence order (MIT: the first file that has a relation wins) and returns
 * all string values found in the first profile that has any.
 */
export function profileValues(profiles: readonly ParsedProfile[], path: readonly string[]): ProfileValue[] {
  const [sectionName, ...tags] = path;
  if (sectionName === undefined || tags.length === 0) return [];
  for (const profile of profiles) {
    let nodes: (ProfileValue | ProfileSection)[] = [];
    const section = profile.sections.get(sectionName);
    if (!section) continue;
    let current: ProfileSection[] = [section];
    for (const [i, tag] of tags.entries()) {
      nodes = current.flatMap((s) => s.relations.get(tag) ?? []);
      if (i < tags.length - 1) current = nodes.filter(isSection);
    }
    const values = nodes.filter((n): n is ProfileValue => !isSection(n));
    if (values.length > 0) return values;
  }
  return [];
}

/** First value at `path`, or undefined. */
export function profileValue(profiles: readonly ParsedProfile[], path: readonly string[]): string | undefined {
  return profileValues(profiles, path)[0]?.value;
}

/** Names of the subsections directly under `[section]`, e.g. the realms in `[realms]`. */
export function profileSubsections(profiles: readonly ParsedProfile[], sectionName: string): string[] {
  const names = new Set<string>();
  for (const profile of profiles) {
    const section = profile.sections.get(sectionName);
    if (!section) continue;
    for (const [tag, entries] of section.relations) if (entries.some(isSection)) names.add(tag);
  }
  return [...names];
}
