/**
 * The body of `PUT /_security/role_mapping/NAME`, parsed and checked as ES 8 does:
 *
 *   ExpressionRoleMapping.parse   an ObjectParser named "role-mapping" over enabled, roles,
 *                                 role_templates, rules, metadata (doc_type and type ignored);
 *                                 then build(): "failed to parse role-mapping [NAME]. missing field [roles|rules|enabled]"
 *   ExpressionParser              the rules DSL: one key per object, `any`/`all` take arrays,
 *                                 `except` only inside `all`, `field` holds exactly one field
 *   PutRoleMappingRequest.validate "Validation Failed: 1: role-mapping roles or role-templates are missing;"
 *
 * The error chain is ES's: a rules error is a parse_exception (or illegal_argument_exception for a
 * bad pattern) under x_content_parse_exception "[L:C] [role-mapping] failed to parse field [rules]",
 * under the parsing_exception that ExpressionRoleMapping.parse throws (root_cause, with line/col).
 *
 * Choices: role_templates (mustache scripts) are refused — this endpoint runs no scripts. JSON
 * duplicate keys are not detected (JSON.parse keeps the last; ES says "Duplicate field").
 */
import type { RoleMapping, RoleMappingRule, RoleRuleValue } from '../../api/http';
import { esError, validationException, type EsErrorBody, type EsErrorCause } from './errors';
import { compileFieldValue, FieldValueError } from './field-value';
import { locateEnd, locateJson, positionOf, type JsonPath } from './json-location';
import { findJsonSyntaxError } from './json-syntax';

export type RoleMappingParse = { ok: true; mapping: RoleMapping } | { ok: false; error: EsErrorBody };

/** Parses and validates a role mapping from the request body text. Never throws. */
export function parseRoleMapping(name: string, body: string): RoleMappingParse {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    return { ok: false, error: syntaxError(body, (error as Error).message) };
  }
  return checkRoleMapping(name, json, body);
}

/** The same checks on an already-parsed value (the role store's file, the service API). */
export function checkRoleMapping(name: string, json: unknown, text = JSON.stringify(json)): RoleMappingParse {
  try {
    const mapping = readMapping(name, json);
    const problems = validate(mapping);
    return problems.length > 0 ? { ok: false, error: validationException(problems) } : { ok: true, mapping };
  } catch (error) {
    if (error instanceof ParseFailure) return { ok: false, error: error.toEsError(text) };
    throw error;
  }
}

// ---- the ObjectParser level ----

/** A failure while parsing; located in the text only when the ES error is built. */
class ParseFailure extends Error {
  constructor(
    /** The innermost cause (parse_exception, illegal_argument_exception …), or null when the XContent level is the cause. */
    readonly inner: EsErrorCause | null,
    /** The x_content_parse_exception message without its "[L:C] " prefix; null: a build() failure. */
    readonly xcontent: string | null,
    readonly path: JsonPath,
    readonly atKey = false,
    readonly buildReason?: string,
  ) {
    super(xcontent ?? buildReason ?? inner?.reason ?? 'parse failure');
  }

  toEsError(text: string): EsErrorBody {
    if (this.buildReason) {
      const { line, col } = locateEnd(text);
      return esError(400, [{ type: 'parsing_exception', reason: this.buildReason, line, col }, { type: 'illegal_state_exception', reason: this.buildReason }]);
    }
    const { line, col } = locateJson(text, this.path, this.atKey);
    const reason = `[${line}:${col}] ${this.xcontent}`;
    const chain: EsErrorCause[] = [{ type: 'parsing_exception', reason, line, col }, { type: 'x_content_parse_exception', reason }];
    return esError(400, this.inner ? [...chain, this.inner] : chain);
  }
}

function syntaxError(body: string, fallback: string): EsErrorBody {
  const found = findJsonSyntaxError(body) ?? { offset: body.length, message: fallback };
  const { line, col } = positionOf(body, found.offset);
  const reason = `[${line}:${col}] ${found.message}`;
  return esError(400, [{ type: 'parsing_exception', reason, line, col }, { type: 'x_content_parse_exception', reason }]);
}

/** Jackson's token name for a JSON value. */
export function tokenOf(value: unknown): string {
  if (value === null) return 'VALUE_NULL';
  if (Array.isArray(value)) return 'START_ARRAY';
  if (typeof value === 'object') return 'START_OBJECT';
  if (typeof value === 'string') return 'VALUE_STRING';
  if (typeof value === 'number') return 'VALUE_NUMBER';
  return 'VALUE_BOOLEAN';
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const FIELDS = ['enabled', 'roles', 'role_templates', 'rules', 'metadata'];
const notSupported = (field: string, value: unknown) => new ParseFailure(null, `[role-mapping] ${field} doesn't support values of type: ${tokenOf(value)}`, [field]);
const failedField = (field: string, inner: EsErrorCause, path: JsonPath = [field], atKey = false) =>
  new ParseFailure(inner, `[role-mapping] failed to parse field [${field}]`, path, atKey);

function readMapping(name: string, json: unknown): RoleMapping {
  if (!isObject(json)) throw new ParseFailure(null, `[role-mapping] Expected START_OBJECT but was: ${tokenOf(json)}`, []);
  const out: Partial<RoleMapping> = {};
  for (const [key, value] of Object.entries(json)) {
    if (key === 'doc_type' || key === 'type') continue;
    if (key === 'enabled') out.enabled = readEnabled(value);
    else if (key === 'roles') out.roles = readRoles(value);
    else if (key === 'rules') out.rules = readRules(value);
    else if (key === 'metadata') out.metadata = readMetadata(value);
    else if (key === 'role_templates') {
      throw failedField(key, { type: 'illegal_argument_exception', reason: 'role_templates are not supported by this endpoint (kbench runs no mustache scripts): list the roles in [roles]' });
    } else throw new ParseFailure(null, `[role-mapping] unknown field [${key}]${didYouMean(key)}`, [key], true);
  }
  for (const field of ['roles', 'rules', 'enabled'] as const) {
    if (out[field] === undefined) throw new ParseFailure(null, null, [], false, `failed to parse role-mapping [${name}]. missing field [${field}]`);
  }
  return { enabled: out.enabled!, roles: out.roles!, rules: out.rules!, metadata: out.metadata ?? {} };
}

function readEnabled(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value !== 'string') throw notSupported('enabled', value);
  if (value === 'true' || value === 'false') return value === 'true';
  throw failedField('enabled', { type: 'illegal_argument_exception', reason: `Failed to parse value [${value}] as only [true] or [false] are allowed.` });
}

/** declareStringArray: an array, or one string; numbers and booleans are read as their text. */
function readRoles(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value)) throw notSupported('roles', value);
  return value.map((role, i) => {
    if (typeof role === 'string') return role;
    if (typeof role === 'number' || typeof role === 'boolean') return String(role);
    throw failedField('roles', { type: 'illegal_state_exception', reason: `Can't get text on a ${tokenOf(role)}` }, ['roles', i]);
  });
}

function readMetadata(value: unknown): Record<string, unknown> {
  if (!isObject(value)) throw notSupported('metadata', value);
  return value;
}

function readRules(value: unknown): RoleMappingRule {
  if (!isObject(value)) throw notSupported('rules', value);
  return parseRulesObject('rules', value, ['rules'], false);
}

/** ErrorOnUnknown's hint: known fields at least 70% similar (Levenshtein), as ES suggests them. */
function didYouMean(field: string): string {
  const close = FIELDS.filter((known) => similarity(field, known) > 0.7);
  if (close.length === 0) return '';
  return close.length === 1 ? ` did you mean [${close[0]}]?` : ` did you mean any of [${close.join(', ')}]?`;
}

function similarity(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(above + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return 1 - row[b.length]! / Math.max(a.length, b.length);
}

// ---- the rules DSL (ExpressionParser) ----

const rulesFailure = (reason: string, path: JsonPath, atKey = false) =>
  failedField('rules', { type: 'parse_exception', reason: `failed to parse rules expression. ${reason}` }, path, atKey);

function parseRulesObject(objectName: string, value: unknown, path: JsonPath, allowExcept: boolean): RoleMappingRule {
  if (!isObject(value)) throw rulesFailure(`expected [${objectName}] to be an object but found [${tokenOf(value)}] instead`, path);
  const keys = Object.keys(value);
  if (keys.length === 0) throw rulesFailure(`object [${objectName}] does not contain any fields`, path);
  const rule = parseExpression(keys[0]!, value[keys[0]!], [...path, keys[0]!], allowExcept, objectName);
  if (keys.length > 1) throw rulesFailure(`object [${objectName}] contains multiple fields`, [...path, keys[1]!], true);
  return rule;
}

function parseExpression(field: string, value: unknown, path: JsonPath, allowExcept: boolean, objectName: string): RoleMappingRule {
  if (field === 'any') return { any: parseExpressionArray('any', value, path, false) };
  if (field === 'all') return { all: parseExpressionArray('all', value, path, true) };
  if (field === 'field') return { field: parseFieldExpression(value, path) };
  if (field === 'except') {
    if (!allowExcept) throw rulesFailure(`field [except] is not allowed within [${objectName}]`, path, true);
    if (!isObject(value)) throw rulesFailure(`expected an object but found [${tokenOf(value)}] instead`, path);
    return { except: parseRulesObject('except', value, path, false) };
  }
  throw rulesFailure(`field [${field}] is not recognised in object [${objectName}]`, path, true);
}

function parseExpressionArray(name: string, value: unknown, path: JsonPath, allowExcept: boolean): RoleMappingRule[] {
  if (!Array.isArray(value)) throw rulesFailure(`field [${name}] requires an array`, path);
  return value.map((element, i) => parseRulesObject(name, element, [...path, i], allowExcept));
}

function parseFieldExpression(value: unknown, path: JsonPath): Record<string, RoleRuleValue | RoleRuleValue[]> {
  if (!isObject(value)) throw rulesFailure(`expected an object but found [${tokenOf(value)}] instead`, path);
  const keys = Object.keys(value);
  if (keys.length === 0) throw rulesFailure('object [field] does not contain any fields', path);
  const name = keys[0]!;
  const raw = value[name];
  const values = Array.isArray(raw) ? raw.map((v, i) => parseFieldValue(v, [...path, name, i])) : [parseFieldValue(raw, [...path, name])];
  if (keys.length > 1) throw rulesFailure('object [field] contains multiple fields', [...path, keys[1]!], true);
  if (name === '') throw failedField('rules', { type: 'illegal_argument_exception', reason: 'null or empty field name ()' }, path);
  if (values.length === 0) throw failedField('rules', { type: 'illegal_argument_exception', reason: 'null or empty values ([])' }, [...path, name]);
  // FieldExpression.toXContent writes a single value bare, several as an array.
  return { [name]: values.length === 1 ? values[0]! : values };
}

/** parseFieldValue: strings, booleans, numbers (read as a long: 1.9 becomes 1) and null. */
function parseFieldValue(value: unknown, path: JsonPath): RoleRuleValue {
  if (value !== null && typeof value === 'object') throw rulesFailure(`expected a field value but found [${tokenOf(value)}] instead`, path);
  const parsed = typeof value === 'number' ? Math.trunc(value) : (value as RoleRuleValue);
  try {
    compileFieldValue(parsed);
  } catch (error) {
    if (error instanceof FieldValueError) throw failedField('rules', { type: 'illegal_argument_exception', reason: error.message }, path);
    throw error;
  }
  return parsed;
}

// ---- PutRoleMappingRequest.validate ----

function validate(mapping: RoleMapping): string[] {
  const problems: string[] = [];
  if (mapping.roles.length === 0) problems.push('role-mapping roles or role-templates are missing');
  if (Object.keys(mapping.metadata ?? {}).some((key) => key.startsWith('_'))) problems.push('metadata keys may not start with [_]');
  return problems;
}
