/**
 * The role-mapping editor's checks, before anything goes to the engine: the JSON's syntax (with the
 * line and column the parser stopped at) and the shape Elasticsearch's role-mapping API takes
 * (`PUT /_security/role_mapping/NAME`: `enabled`, `roles`, `rules` built of `field`, `any`, `all`,
 * `except`), each problem with the JSON path and the line it is on. The engine checks again and
 * answers with ES's own reason; this only makes the common mistakes visible where they are typed.
 */
import type { RoleMapping, RoleMappingRule } from '@api/index';

export interface RoleMappingProblem {
  /** "rules.all[1].field", or "" for the document itself. */
  path: string;
  message: string;
  /** 1-based line and column in the text, when known. */
  line?: number;
  column?: number;
}

export type RoleMappingParse = { ok: true; mapping: RoleMapping } | { ok: false; problems: RoleMappingProblem[] };

/** A mapping to start from: everyone in the lab realm gets the role "monitoring_user". */
export const ROLE_MAPPING_TEMPLATE: RoleMapping = {
  enabled: true,
  roles: ['monitoring_user'],
  rules: { all: [{ field: { 'realm.name': 'kerb1' } }, { field: { username: '*@BENCH.TEST' } }] },
};

export function roleMappingText(mapping: RoleMapping): string {
  return JSON.stringify(mapping, null, 2);
}

/** 1-based line and column of a character offset. */
export function lineColumnAt(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split('\n');
  return { line: lines.length, column: lines.at(-1)!.length + 1 };
}

/** Where JSON.parse stopped: V8 says "at position N" (and, lately, "(line L column C)"). */
function syntaxProblem(text: string, error: Error): RoleMappingProblem {
  const message = error.message.replace(/^JSON\.parse: /, '');
  const lineCol = /line (\d+) column (\d+)/.exec(message);
  if (lineCol) return { path: '', message, line: Number(lineCol[1]), column: Number(lineCol[2]) };
  const position = /position (\d+)/.exec(message);
  if (position) return { path: '', message, ...lineColumnAt(text, Number(position[1])) };
  if (/end of (JSON )?input/i.test(message)) return { path: '', message, ...lineColumnAt(text, text.length) };
  return { path: '', message };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const RULE_KINDS = ['field', 'any', 'all', 'except'] as const;

/** Problems of one rule at `path` (ES: exactly one of field/any/all/except per rule object). */
function ruleProblems(rule: unknown, path: string, depth: number): RoleMappingProblem[] {
  if (depth > 32) return [{ path, message: 'rules nest deeper than 32 levels' }];
  if (!isObject(rule)) return [{ path, message: 'a rule is an object with one of "field", "any", "all" or "except"' }];
  const keys = Object.keys(rule);
  const unknown = keys.filter((k) => !(RULE_KINDS as readonly string[]).includes(k));
  if (unknown.length) return [{ path: `${path}.${unknown[0]}`, message: `unknown rule type "${unknown[0]}": use "field", "any", "all" or "except"` }];
  if (keys.length !== 1) return [{ path, message: keys.length ? `a rule has exactly one type; this one has ${keys.join(' and ')}` : 'empty rule: give "field", "any", "all" or "except"' }];
  const kind = keys[0] as (typeof RULE_KINDS)[number];
  const body = rule[kind];
  const at = `${path}.${kind}`;
  if (kind === 'field') {
    if (!isObject(body) || Object.keys(body).length !== 1) return [{ path: at, message: 'a field rule names one field: {"field": {"username": "*@BENCH.TEST"}}' }];
    const [name, value] = Object.entries(body)[0]!;
    const values = Array.isArray(value) ? value : [value];
    const bad = values.findIndex((v) => v !== null && !['string', 'number', 'boolean'].includes(typeof v));
    return bad >= 0 ? [{ path: `${at}.${name}${Array.isArray(value) ? `[${bad}]` : ''}`, message: 'a field value is a string (exact, wildcard or /regex/), a number, a boolean or null' }] : [];
  }
  if (kind === 'except') return ruleProblems(body, at, depth + 1);
  if (!Array.isArray(body)) return [{ path: at, message: `"${kind}" takes an array of rules` }];
  return body.flatMap((child, i) => ruleProblems(child, `${at}[${i}]`, depth + 1));
}

function shapeProblems(value: unknown): RoleMappingProblem[] {
  if (!isObject(value)) return [{ path: '', message: 'a role mapping is a JSON object with "enabled", "roles" and "rules"' }];
  const problems: RoleMappingProblem[] = [];
  const known = ['enabled', 'roles', 'rules', 'metadata'];
  for (const key of Object.keys(value)) if (!known.includes(key)) problems.push({ path: key, message: `unknown field "${key}" (this bench takes ${known.join(', ')})` });
  if (typeof value.enabled !== 'boolean') problems.push({ path: 'enabled', message: '"enabled" is required: true or false' });
  if (!Array.isArray(value.roles) || value.roles.some((r) => typeof r !== 'string' || !r)) problems.push({ path: 'roles', message: '"roles" is an array of role names' });
  if (value.rules === undefined) problems.push({ path: 'rules', message: '"rules" is required' });
  else problems.push(...ruleProblems(value.rules, 'rules', 0));
  if (value.metadata !== undefined && !isObject(value.metadata)) problems.push({ path: 'metadata', message: '"metadata" is an object' });
  return problems;
}

/**
 * The line a JSON path's last key sits on: found by walking the keys in order through the text
 * (good enough for a hand-written mapping; undefined when a key cannot be found).
 */
export function lineOfPath(text: string, path: string): number | undefined {
  const keys = path.match(/[^.[\]]+|\[\d+\]/g) ?? [];
  let from = 0;
  for (const key of keys) {
    if (key.startsWith('[')) continue;
    const at = text.indexOf(JSON.stringify(key), from);
    if (at < 0) return undefined;
    from = at + 1;
  }
  return keys.length ? lineColumnAt(text, from - 1).line : undefined;
}

/** The editor's text as a mapping, or the problems with it, each where it is. */
export function parseRoleMapping(text: string): RoleMappingParse {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { ok: false, problems: [syntaxProblem(text, e as Error)] };
  }
  const problems = shapeProblems(value).map((p) => ({ ...p, ...(p.path ? { line: lineOfPath(text, p.path) } : {}) }));
  return problems.length ? { ok: false, problems } : { ok: true, mapping: value as RoleMapping };
}

/** What a rule is, in a few words, for the mapping list ("all of 2", "field username"). */
export function ruleSummary(rule: RoleMappingRule): string {
  if ('field' in rule) {
    const [name, value] = Object.entries(rule.field)[0] ?? ['?', ''];
    return `${name} = ${JSON.stringify(value)}`;
  }
  if ('any' in rule) return `any of ${rule.any.length}`;
  if ('all' in rule) return `all of ${rule.all.length}`;
  return `except (${ruleSummary(rule.except)})`;
}

/** ES's name rule for a role mapping: what the URL path takes (no slashes, not empty). */
export function roleMappingNameProblem(name: string): string | null {
  if (!name.trim()) return 'Give the mapping a name (it goes in PUT /_security/role_mapping/NAME).';
  if (!/^[A-Za-z0-9_.@+-][A-Za-z0-9_.@+ -]{0,253}$/.test(name)) return 'A mapping name has letters, digits and _ . - @ + (and no slash).';
  return null;
}
