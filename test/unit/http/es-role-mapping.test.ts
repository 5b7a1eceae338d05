import { describe, expect, it } from 'vitest';
import type { RoleMapping, RoleMappingRule, RoleMappingUser } from '../../../main/api/http';
import { kerberosUser } from '../../../main/http/es/authenticate';
import { compileFieldValue, matchesValue } from '../../../main/http/es/field-value';
import { evaluateRoleMapping, evaluateRule, modelOf, testRoleMappings } from '../../../main/http/es/role-mapping';

const realm = { name: 'kerb1', removeRealmName: false };
const alice: RoleMappingUser = kerberosUser('alice@BENCH.TEST', realm);
const on = (rules: RoleMappingRule, roles = ['r']): RoleMapping => ({ enabled: true, roles, rules, metadata: {} });
const trace = (rules: RoleMappingRule, user = alice) => evaluateRule(rules, modelOf(user));

describe('field rules', () => {
  it('compares an exact value and says so either way', () => {
    expect(trace({ field: { username: 'alice@BENCH.TEST' } })).toMatchObject({ matched: true, why: 'username "alice@BENCH.TEST" equals "alice@BENCH.TEST"' });
    expect(trace({ field: { username: 'bob@BENCH.TEST' } })).toMatchObject({ matched: false, why: 'username "alice@BENCH.TEST" is not "bob@BENCH.TEST"' });
    // Case matters: ES compares with String.equals.
    expect(trace({ field: { username: 'Alice@BENCH.TEST' } }).matched).toBe(false);
  });

  it('matches wildcards; ? is a wildcard only in a value that also has *', () => {
    expect(trace({ field: { username: '*@BENCH.TEST' } })).toMatchObject({ matched: true, why: 'username "alice@BENCH.TEST" matches the wildcard *@BENCH.TEST' });
    expect(trace({ field: { username: '*@OTHER.TEST' } })).toMatchObject({ matched: false, why: 'username "alice@BENCH.TEST" does not match the wildcard *@OTHER.TEST' });
    expect(trace({ field: { username: 'al?ce@*' } }).matched).toBe(true);
    expect(trace({ field: { username: 'al?ce@BENCH.TEST' } }).matched).toBe(false);
    expect(trace({ field: { username: '*' } }).matched).toBe(true);
    // A backslash escapes the next character: \* is a literal star.
    expect(trace({ field: { username: 'alice\\*' } }, kerberosUser('alice*', realm)).matched).toBe(true);
    expect(trace({ field: { username: 'alice\\*' } }, kerberosUser('alicex', realm)).matched).toBe(false);
  });

  it('matches /regex/ values as Lucene does: whole value, @ = any string', () => {
    expect(trace({ field: { username: '/alice\\@BENCH\\.TEST/' } }).matched).toBe(true);
    expect(trace({ field: { username: '/alice/' } }).matched).toBe(false);
    expect(trace({ field: { username: '/[a-z]+\\@BENCH\\.TEST/' } }).matched).toBe(true);
    const loose = trace({ field: { username: '/alice@TEST/' } }, kerberosUser('alice-evil-TEST', realm));
    expect(loose.matched).toBe(true);
    expect(loose.why).toContain("unescaped @ means 'any string'");
    // ^ and $ are plain characters in Lucene.
    expect(trace({ field: { username: '/^alice.*/' } }).matched).toBe(false);
    expect(trace({ field: { username: '/(alice|bob)"@BENCH.TEST"/' } }).matched).toBe(true);
    expect(trace({ field: { username: '/a.{4}\\@.*/' } }).matched).toBe(true);
    expect(trace({ field: { username: '/\\w+\\@\\w+\\.\\w+/' } }).matched).toBe(true);
  });

  it('compares numbers and booleans by type, as ES’s model does', () => {
    const five = compileFieldValue(5);
    expect(matchesValue(5, five)).toBe(true);
    expect(matchesValue('5', five)).toBe(false);
    expect(matchesValue(true, compileFieldValue(true))).toBe(true);
    expect(matchesValue('true', compileFieldValue(true))).toBe(false);
    const user = { ...alice, metadata: { ...alice.metadata, level: '5' } };
    expect(trace({ field: { 'metadata.level': 5 } }, user)).toMatchObject({
      matched: false,
      why: 'metadata.level "5" is not the number 5 (a string never equals a number in ES)',
    });
  });

  it('matches null only where the model has no such field', () => {
    expect(trace({ field: { 'metadata.department': null } })).toMatchObject({
      matched: true,
      why: 'metadata.department is not a field of this user: so the null value matches',
    });
    expect(trace({ field: { 'metadata.department': 'sales' } }).why).toBe('metadata.department is not a field of this user: only null matches a missing field, not "sales"');
    expect(trace({ field: { dn: null } }).matched).toBe(true);
    expect(trace({ field: { 'metadata.department': 'sales' } }).matched).toBe(false);
    // groups is always defined; empty, it matches nothing, not even null.
    expect(trace({ field: { groups: null } })).toMatchObject({ matched: false, why: expect.stringContaining('an empty list matches no value, not even null') });
    const withGroups = { ...alice, groups: ['cn=admins,dc=bench'] };
    expect(trace({ field: { groups: 'cn=admins,*' } }, withGroups).matched).toBe(true);
  });

  it('reads an array of values as any-of and names the one that matched', () => {
    const hit = trace({ field: { username: ['bob@BENCH.TEST', '*@BENCH.TEST', null] } });
    expect(hit).toMatchObject({ matched: true, why: 'username "alice@BENCH.TEST" matches value #2 of 3, the wildcard *@BENCH.TEST' });
    const miss = trace({ field: { username: ['bob', '/carol.*/'] } });
    expect(miss).toMatchObject({ matched: false, why: 'username "alice@BENCH.TEST" matches none of "bob", the regex /carol.*/' });
  });

  it('knows realm.name and the Kerberos metadata fields', () => {
    expect(trace({ field: { 'realm.name': 'kerb1' } }).matched).toBe(true);
    expect(trace({ field: { 'metadata.kerberos_realm': 'BENCH.TEST' } }).matched).toBe(true);
    expect(trace({ field: { 'metadata.kerberos_user_principal_name': 'alice@BENCH.TEST' } }).matched).toBe(true);
  });
});

describe('any, all, except', () => {
  const yes = { field: { username: '*@BENCH.TEST' } };
  const no = { field: { username: 'bob' } };

  it('any needs one child and explains each', () => {
    const t = trace({ any: [no, yes] });
    expect(t).toMatchObject({ matched: true, why: '1 of 2 rules matched (#2); any needs one' });
    expect(t.children!.map((c) => c.matched)).toEqual([false, true]);
    expect(t.children![0]!.why).toBe('username "alice@BENCH.TEST" is not "bob"');
    expect(trace({ any: [no, no] })).toMatchObject({ matched: false, why: 'none of the 2 rules matched; any needs one' });
    expect(trace({ any: [] })).toMatchObject({ matched: false, why: 'an empty any matches nothing' });
  });

  it('all needs every child and names the ones that failed', () => {
    expect(trace({ all: [yes, yes] })).toMatchObject({ matched: true, why: 'all 2 rules matched' });
    expect(trace({ all: [yes, no] })).toMatchObject({ matched: false, why: '1 of 2 rules did not match (#2: username "alice@BENCH.TEST" is not "bob")' });
    expect(trace({ all: [] }).matched).toBe(true);
  });

  it('except inverts its rule and says why', () => {
    const t = trace({ all: [yes, { except: { field: { username: 'alice@*' } } }] });
    expect(t.matched).toBe(false);
    expect(t.children![1]).toMatchObject({ matched: false, why: expect.stringMatching(/^the excepted rule matched \(.*\), so except does not$/) });
    expect(trace({ all: [yes, { except: no }] }).matched).toBe(true);
  });

  it('puts a sentence on every rule of a nested tree', () => {
    const t = trace({ all: [{ any: [no, yes] }, { except: { all: [no] } }, { field: { 'realm.name': ['kerb1', 'kerb2'] } }] });
    const sentences: string[] = [];
    const walk = (node: typeof t) => {
      sentences.push(node.why);
      node.children?.forEach(walk);
    };
    walk(t);
    expect(t.matched).toBe(true);
    expect(sentences).toHaveLength(8);
    expect(sentences.every((s) => s.length > 10)).toBe(true);
  });
});

describe('mappings', () => {
  it('does not evaluate a disabled mapping', () => {
    const e = evaluateRoleMapping('off', { ...on({ field: { username: '*' } }), enabled: false }, alice);
    expect(e).toEqual({ name: 'off', enabled: false, matched: false, granted: [], why: 'disabled: ES does not evaluate a mapping with "enabled": false' });
  });

  it('grants the sorted union of every matching mapping’s roles', () => {
    const result = testRoleMappings(
      {
        zeta: on({ field: { username: '*@BENCH.TEST' } }, ['monitoring_user', 'kibana_admin']),
        alpha: on({ field: { 'realm.name': 'kerb1' } }, ['kibana_admin']),
        nobody: on({ field: { username: 'bob' } }, ['superuser']),
        off: { ...on({ field: { username: '*' } }, ['superuser']), enabled: false },
      },
      alice,
    );
    expect(result.roles).toEqual(['kibana_admin', 'monitoring_user']);
    expect(result.mappings.map((m) => [m.name, m.matched])).toEqual([
      ['alpha', true],
      ['nobody', false],
      ['off', false],
      ['zeta', true],
    ]);
    expect(result.mappings[1]!.why).toBe('rules did not match: username "alice@BENCH.TEST" is not "bob"');
    expect(result.mappings[0]!.why).toBe('rules matched: grants kibana_admin');
  });

  it('maps remove_realm_name users by the short name', () => {
    const short = kerberosUser('alice@BENCH.TEST', { name: 'kerb1', removeRealmName: true });
    expect(short).toEqual({
      username: 'alice',
      realmName: 'kerb1',
      metadata: { kerberos_user_principal_name: 'alice@BENCH.TEST', kerberos_realm: 'BENCH.TEST' },
      groups: [],
    });
    const mappings = { full: on({ field: { username: 'alice@BENCH.TEST' } }, ['full']), short: on({ field: { username: 'alice' } }, ['short']) };
    expect(testRoleMappings(mappings, short).roles).toEqual(['short']);
    expect(testRoleMappings(mappings, alice).roles).toEqual(['full']);
  });
});
