import { describe, expect, it } from 'vitest';
import type { EsErrorBody } from '../../../main/http/es/errors';
import { parseRoleMapping } from '../../../main/http/es/role-mapping';

const body = (rules: unknown, extra: Record<string, unknown> = {}) => JSON.stringify({ roles: ['r'], enabled: true, rules, ...extra });

function failure(text: string): EsErrorBody {
  const result = parseRoleMapping('m1', text);
  if (result.ok) throw new Error(`expected ${text} to be refused`);
  return result.error;
}

/** The innermost cause's reason: what ES's parse_exception says under the wrappers. */
function innermost(error: EsErrorBody): { type: string; reason: string } {
  let cause: { type: string; reason: string; caused_by?: unknown } = error.error;
  while (cause.caused_by) cause = cause.caused_by as typeof cause;
  return { type: cause.type, reason: cause.reason };
}

describe('valid role mappings', () => {
  it('keeps the mapping, writes one field value bare, reads numbers as longs', () => {
    const result = parseRoleMapping('m1', body({ all: [{ field: { username: ['*@BENCH.TEST'] } }, { field: { 'metadata.level': 2.9 } }, { except: { field: { dn: null } } }] }));
    expect(result).toEqual({
      ok: true,
      mapping: {
        enabled: true,
        roles: ['r'],
        rules: { all: [{ field: { username: '*@BENCH.TEST' } }, { field: { 'metadata.level': 2 } }, { except: { field: { dn: null } } }] },
        metadata: {},
      },
    });
  });

  it('accepts roles as one string, enabled as "true", and ignores doc_type', () => {
    const result = parseRoleMapping('m1', JSON.stringify({ roles: 'r', enabled: 'false', rules: { field: { username: 'x' } }, doc_type: 'role-mapping', metadata: { k: 1 } }));
    expect(result).toMatchObject({ ok: true, mapping: { roles: ['r'], enabled: false, metadata: { k: 1 } } });
  });
});

describe('rules refused with ES’s parse_exception texts', () => {
  const cases: [string, unknown, string][] = [
    ['except at the top', { except: { field: { username: 'x' } } }, 'field [except] is not allowed within [rules]'],
    ['except in any', { any: [{ except: { field: { username: 'x' } } }] }, 'field [except] is not allowed within [any]'],
    ['except in except', { all: [{ except: { except: { field: { username: 'x' } } } }] }, 'field [except] is not allowed within [except]'],
    ['two fields in one field rule', { field: { username: 'x', dn: 'y' } }, 'object [field] contains multiple fields'],
    ['two rules in one object', { any: [], all: [] }, 'object [rules] contains multiple fields'],
    ['an empty rules object', {}, 'object [rules] does not contain any fields'],
    ['an empty field rule', { field: {} }, 'object [field] does not contain any fields'],
    ['any without an array', { any: { field: { username: 'x' } } }, 'field [any] requires an array'],
    ['an unknown rule', { match: { username: 'x' } }, 'field [match] is not recognised in object [rules]'],
    ['a string in all', { all: ['x'] }, 'expected [all] to be an object but found [VALUE_STRING] instead'],
    ['except without an object', { all: [{ except: 'x' }] }, 'expected an object but found [VALUE_STRING] instead'],
    ['an object as a value', { field: { username: { x: 1 } } }, 'expected a field value but found [START_OBJECT] instead'],
  ];
  it.each(cases)('%s', (_name, rules, reason) => {
    const error = failure(body(rules));
    expect(error.status).toBe(400);
    expect(innermost(error)).toEqual({ type: 'parse_exception', reason: `failed to parse rules expression. ${reason}` });
    expect(error.error.type).toBe('parsing_exception');
    expect(error.error.reason).toMatch(/^\[\d+:\d+\] \[role-mapping\] failed to parse field \[rules\]$/);
    expect(error.error.caused_by!.type).toBe('x_content_parse_exception');
    expect(error.error.root_cause).toEqual([{ type: 'parsing_exception', reason: error.error.reason, line: error.error.line, col: error.error.col }]);
  });

  it('locates the offending token by line and column', () => {
    const text = '{\n  "roles": ["r"],\n  "enabled": true,\n  "rules": { "field": { "username": "x", "dn": "y" } }\n}';
    const error = failure(text);
    expect([error.error.line, error.error.col]).toEqual([4, 42]);
    expect(text.split('\n')[3]!.slice(41)).toMatch(/^"dn"/);
  });

  it('refuses bad patterns with illegal_argument_exception', () => {
    expect(innermost(failure(body({ field: { username: '/a(b/' } })))).toEqual({ type: 'illegal_argument_exception', reason: "expected ')' at position 3" });
    expect(innermost(failure(body({ field: { username: '/foo*' } }))).reason).toMatch(/^invalid pattern \[\/foo\*\]\. patterns starting with '\/' indicate/);
    expect(innermost(failure(body({ field: { username: [] } })))).toEqual({ type: 'illegal_argument_exception', reason: 'null or empty values ([])' });
    expect(innermost(failure(body({ field: { username: '/~(bob)/' } }))).reason).toContain('not supported by this emulation');
  });
});

describe('the mapping itself', () => {
  it('names a missing field', () => {
    const error = failure('{"roles":["r"],"enabled":true}');
    expect(error.error).toMatchObject({ type: 'parsing_exception', reason: 'failed to parse role-mapping [m1]. missing field [rules]', line: 1, col: 30 });
    expect(error.error.caused_by).toEqual({ type: 'illegal_state_exception', reason: 'failed to parse role-mapping [m1]. missing field [rules]' });
    expect(failure('{"rules":{"field":{"username":"x"}},"enabled":true}').error.reason).toBe('failed to parse role-mapping [m1]. missing field [roles]');
    expect(failure('{"rules":{"field":{"username":"x"}},"roles":["r"]}').error.reason).toBe('failed to parse role-mapping [m1]. missing field [enabled]');
  });

  it('refuses unknown fields, suggesting the near one', () => {
    expect(failure(body({ field: { username: 'x' } }, { rule: {} })).error.reason).toMatch(/^\[1:\d+\] \[role-mapping\] unknown field \[rule\] did you mean \[rules\]\?$/);
    expect(failure(body({ field: { username: 'x' } }, { colour: 1 })).error.reason).toMatch(/unknown field \[colour\]$/);
  });

  it('refuses wrong value types with ObjectParser’s texts', () => {
    expect(failure(body({ field: { username: 'x' } }, { enabled: 1 })).error.reason).toMatch(/\[role-mapping\] enabled doesn't support values of type: VALUE_NUMBER$/);
    expect(innermost(failure(body({ field: { username: 'x' } }, { enabled: 'yes' })))).toEqual({
      type: 'illegal_argument_exception',
      reason: 'Failed to parse value [yes] as only [true] or [false] are allowed.',
    });
    expect(failure(body({ field: { username: 'x' } }, { metadata: 'x' })).error.reason).toMatch(/metadata doesn't support values of type: VALUE_STRING$/);
    expect(failure(body('x')).error.reason).toMatch(/rules doesn't support values of type: VALUE_STRING$/);
    expect(failure('[]').error.reason).toBe('[1:1] [role-mapping] Expected START_OBJECT but was: START_ARRAY');
    expect(failure(body({ field: { username: 'x' } }, { role_templates: [] })).error.reason).toMatch(/failed to parse field \[role_templates\]$/);
  });

  it('runs ES’s request validation after parsing', () => {
    const error = failure(body({ field: { username: 'x' } }, { roles: [], metadata: { _reserved: 1 } }));
    expect(error).toEqual({
      error: {
        root_cause: [
          {
            type: 'action_request_validation_exception',
            reason: 'Validation Failed: 1: role-mapping roles or role-templates are missing;2: metadata keys may not start with [_];',
          },
        ],
        type: 'action_request_validation_exception',
        reason: 'Validation Failed: 1: role-mapping roles or role-templates are missing;2: metadata keys may not start with [_];',
      },
      status: 400,
    });
  });

  it('answers malformed JSON with Jackson’s words at line:column', () => {
    expect(failure('{"roles":["r"], "enabled": tru}').error.reason).toBe(
      "[1:28] Unrecognized token 'tru': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')",
    );
    expect(failure('{\n  roles: 1}').error).toMatchObject({ line: 2, col: 3, reason: "[2:3] Unexpected character ('r' (code 114)): was expecting double-quote to start field name" });
    expect(failure('{"roles" ["r"]}').error.reason).toBe("[1:10] Unexpected character ('[' (code 91)): was expecting a colon to separate field name and value");
    expect(failure('{"roles":["r"] "x":1}').error.reason).toBe("[1:16] Unexpected character ('\"' (code 34)): was expecting comma to separate Object entries");
    expect(failure('{"roles":["r"').error.reason).toBe('[1:14] Unexpected end-of-input: expected close marker for Array');
    expect(failure('{"roles":["r"],').error.type).toBe('parsing_exception');
  });
});
