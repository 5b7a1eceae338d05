/**
 * Role mappings evaluated against a user, with a trace that says why every rule matched or not.
 *
 * The user's model is what ES's UserRoleMapper.UserData.asModel() defines:
 *   username      the user name ("alice@BENCH.TEST", or "alice" with remove_realm_name)
 *   dn            only when the realm gives one (Kerberos: never, so the field is missing)
 *   groups        always defined; the Kerberos realm's is empty, which matches nothing (not even null)
 *   metadata.KEY  one field per metadata entry (kerberos_realm, kerberos_user_principal_name)
 *   realm.name    the realm's name in elasticsearch.yml ("kerb1")
 * A field the model does not define matches only null (ExpressionModel.NULL_PREDICATE).
 *
 * Rules (RoleMapperExpression.match): field = any of its values; any = at least one child; all =
 * every child (an empty `all` matches, an empty `any` does not); except = the child does not match.
 * A disabled mapping is not evaluated at all. Every child is evaluated here (ES short-circuits) so
 * the trace explains each one; the outcome is the same.
 *
 * Parsing and validation of a PUT body live in role-mapping-parse.ts.
 */
import type { RoleMapping, RoleMappingEvaluation, RoleMappingRule, RoleMappingTestResult, RoleMappingUser, RoleRuleTrace, RoleRuleValue } from '../../api/http';
import { compileFieldValue, describeMatcher, matchesValue, type FieldMatcher, type ModelValue } from './field-value';

export { checkRoleMapping, parseRoleMapping, type RoleMappingParse } from './role-mapping-parse';

/** Evaluates every mapping (sorted by name) against the user; roles = the sorted union granted. */
export function testRoleMappings(mappings: Record<string, RoleMapping>, user: RoleMappingUser): RoleMappingTestResult {
  const evaluations = Object.keys(mappings)
    .sort()
    .map((name) => evaluateRoleMapping(name, mappings[name]!, user));
  const roles = [...new Set(evaluations.flatMap((e) => e.granted))].sort();
  return { user, roles, mappings: evaluations };
}

export function evaluateRoleMapping(name: string, mapping: RoleMapping, user: RoleMappingUser): RoleMappingEvaluation {
  if (!mapping.enabled) return { name, enabled: false, matched: false, granted: [], why: 'disabled: ES does not evaluate a mapping with "enabled": false' };
  const trace = evaluateRule(mapping.rules, modelOf(user));
  return {
    name,
    enabled: true,
    matched: trace.matched,
    granted: trace.matched ? [...mapping.roles] : [],
    trace,
    why: trace.matched ? `rules matched: grants ${mapping.roles.join(', ')}` : `rules did not match: ${trace.why}`,
  };
}

/** The fields ES's model defines for this user (absent key = field not defined). */
export function modelOf(user: RoleMappingUser): Map<string, ModelValue> {
  const model = new Map<string, ModelValue>([['username', user.username]]);
  if (user.dn !== undefined) model.set('dn', user.dn);
  model.set('groups', user.groups);
  for (const [key, value] of Object.entries(user.metadata)) model.set(`metadata.${key}`, value);
  model.set('realm.name', user.realmName);
  return model;
}

export function evaluateRule(rule: RoleMappingRule, model: Map<string, ModelValue>): RoleRuleTrace {
  const text = JSON.stringify(rule);
  if ('field' in rule) return evaluateField(text, rule.field, model);
  if ('any' in rule) return evaluateAny(text, rule.any.map((r) => evaluateRule(r, model)));
  if ('all' in rule) return evaluateAll(text, rule.all.map((r) => evaluateRule(r, model)));
  const inner = evaluateRule(rule.except, model);
  const why = inner.matched ? `the excepted rule matched (${inner.why}), so except does not` : `the excepted rule did not match (${inner.why}), so except matches`;
  return { rule: text, matched: !inner.matched, why, children: [inner] };
}

const ordinal = (i: number) => `#${i + 1}`;

function evaluateAny(rule: string, children: RoleRuleTrace[]): RoleRuleTrace {
  const hits = children.flatMap((c, i) => (c.matched ? [ordinal(i)] : []));
  if (children.length === 0) return { rule, matched: false, why: 'an empty any matches nothing', children };
  const why =
    hits.length > 0
      ? `${hits.length} of ${children.length} rules matched (${hits.join(', ')}); any needs one`
      : `none of the ${children.length} rules matched; any needs one`;
  return { rule, matched: hits.length > 0, why, children };
}

function evaluateAll(rule: string, children: RoleRuleTrace[]): RoleRuleTrace {
  const misses = children.flatMap((c, i) => (c.matched ? [] : [`${ordinal(i)}: ${c.why}`]));
  if (children.length === 0) return { rule, matched: true, why: 'an empty all matches everyone', children };
  const why = misses.length === 0 ? `all ${children.length} rules matched` : `${misses.length} of ${children.length} rules did not match (${misses.join('; ')})`;
  return { rule, matched: misses.length === 0, why, children };
}

function evaluateField(rule: string, field: Record<string, RoleRuleValue | RoleRuleValue[]>, model: Map<string, ModelValue>): RoleRuleTrace {
  const [name, raw] = Object.entries(field)[0]!;
  const matchers = (Array.isArray(raw) ? raw : [raw]).map(compileFieldValue);
  const defined = model.has(name);
  const userValue = model.get(name);
  const index = matchers.findIndex((m) => matchesValue(userValue, m));
  return { rule, matched: index >= 0, why: fieldWhy(name, defined, userValue, matchers, index) };
}

function fieldWhy(name: string, defined: boolean, userValue: ModelValue, matchers: FieldMatcher[], index: number): string {
  if (!defined) {
    const nulls = index >= 0 ? 'so the null value matches' : `only null matches a missing field, not ${matchers.map(describeMatcher).join(', ')}`;
    return `${name} is not a field of this user: ${nulls}`;
  }
  const have = describeUserValue(name, userValue);
  const notes = matchers.flatMap((m) => (m.kind === 'regex' && m.note ? [m.note] : []));
  const suffix = notes.length > 0 ? ` (note: ${notes.join('; ')})` : '';
  if (index >= 0) {
    const which = matchers.length > 1 ? `value ${ordinal(index)} of ${matchers.length}, ` : '';
    return `${have} ${verbFor(matchers[index]!, true)} ${which}${describeMatcher(matchers[index]!)}${suffix}`;
  }
  if (Array.isArray(userValue) && userValue.length === 0) return `${have}: an empty list matches no value, not even null`;
  if (matchers.length > 1) return `${have} matches none of ${matchers.map(describeMatcher).join(', ')}${suffix}`;
  const typeNote = typeMismatch(userValue, matchers[0]!);
  return `${have} ${verbFor(matchers[0]!, false)} ${describeMatcher(matchers[0]!)}${typeNote}${suffix}`;
}

function describeUserValue(name: string, value: ModelValue): string {
  if (Array.isArray(value)) return value.length === 0 ? `${name} is empty (the Kerberos realm gives no groups)` : `${name} [${value.join(', ')}]`;
  return `${name} ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`;
}

function verbFor(matcher: FieldMatcher, matched: boolean): string {
  if (matcher.kind === 'exact') return matched ? 'equals' : 'is not';
  return matched ? 'matches' : 'does not match';
}

/** ES compares by the user's value type: the string "5" never equals the number 5. */
function typeMismatch(userValue: ModelValue, matcher: FieldMatcher): string {
  if (matcher.kind !== 'exact' || matcher.value === null || userValue === undefined || userValue === null || Array.isArray(userValue)) return '';
  return typeof userValue !== typeof matcher.value ? ` (a ${typeof userValue} never equals a ${typeof matcher.value} in ES)` : '';
}
