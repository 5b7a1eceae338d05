/**
 * The role-mapping editor's checks: a JSON syntax error at its line and column (V8's own message),
 * and ES's rule shape with the JSON path and the line each problem is on.
 */
import { describe, expect, it } from 'vitest';
import { lineColumnAt, lineOfPath, parseRoleMapping, roleMappingNameProblem, roleMappingText, ROLE_MAPPING_TEMPLATE, ruleSummary } from '../../../renderer/src/utils/role-mapping';

describe('parseRoleMapping', () => {
  it('takes the template back as it was written', () => {
    const parsed = parseRoleMapping(roleMappingText(ROLE_MAPPING_TEMPLATE));
    expect(parsed).toEqual({ ok: true, mapping: ROLE_MAPPING_TEMPLATE });
  });

  it('puts a syntax error on the line where the parser stopped', () => {
    const text = '{\n  "enabled": true,\n  "roles": ["a"]\n  "rules": {}\n}';
    const parsed = parseRoleMapping(text);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.problems).toHaveLength(1);
    expect(parsed.problems[0]!.line).toBe(4);
    expect(parsed.problems[0]!.message).toMatch(/JSON/);
  });

  it('puts an unexpected end at the end', () => {
    const parsed = parseRoleMapping('{\n  "enabled": true,');
    expect(!parsed.ok && parsed.problems[0]!.line).toBe(2);
  });

  it('names the rule path and its line for a rule of the wrong shape', () => {
    const text = JSON.stringify({ enabled: true, roles: ['r'], rules: { all: [{ field: { username: 'a' } }, { anyy: [] }] } }, null, 2);
    const parsed = parseRoleMapping(text);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.problems).toEqual([{ path: 'rules.all[1].anyy', message: expect.stringMatching(/unknown rule type "anyy"/), line: text.split('\n').findIndex((l) => l.includes('"anyy"')) + 1 }]);
  });

  it('wants enabled, roles and rules, and one type per rule', () => {
    const parsed = parseRoleMapping('{"roles": "admin", "rules": {"field": {"a": 1}, "any": []}}');
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.problems.map((p) => p.path)).toEqual(['enabled', 'roles', 'rules']);
  });

  it('refuses a field value that is an object', () => {
    const parsed = parseRoleMapping('{"enabled": true, "roles": ["r"], "rules": {"field": {"groups": ["a", {"b": 1}]}}}');
    expect(!parsed.ok && parsed.problems[0]!.path).toBe('rules.field.groups[1]');
  });

  it('stops at a nesting deeper than 32 rules without overflowing', () => {
    let rule: unknown = { field: { username: 'a' } };
    for (let i = 0; i < 40; i++) rule = { except: rule };
    const parsed = parseRoleMapping(JSON.stringify({ enabled: true, roles: ['r'], rules: rule }));
    expect(!parsed.ok && parsed.problems[0]!.message).toMatch(/deeper than 32/);
  });
});

describe('helpers', () => {
  it('finds lines and columns', () => {
    expect(lineColumnAt('ab\ncd', 4)).toEqual({ line: 2, column: 2 });
    expect(lineOfPath('{\n "rules": {\n  "all": []\n }\n}', 'rules.all')).toBe(3);
    expect(lineOfPath('{}', 'rules')).toBeUndefined();
  });

  it('summarises rules and checks names', () => {
    expect(ruleSummary({ all: [{ field: { username: '*' } }] })).toBe('all of 1');
    expect(ruleSummary({ except: { field: { username: 'bob' } } })).toBe('except (username = "bob")');
    expect(roleMappingNameProblem('a/b')).toMatch(/no slash/);
    expect(roleMappingNameProblem('kerberos_users')).toBeNull();
  });
});
