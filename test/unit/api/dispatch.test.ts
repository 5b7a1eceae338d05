import { describe, expect, it } from 'vitest';
import { benchMethods, type BenchApi } from '../../../main/api/contract';
import { benchInputSchemas } from '../../../main/api/schemas';
import { BenchFailure, dispatch, MAX_INPUT_NESTING, tooDeepAt } from '../../../main/engine/dispatch';
import { MAX_TREE_DEPTH } from '../../../main/krb/tree';
import { deepExchangeJson, deepTree, exchangeWithTree } from '../../helpers/deep-tree';
import { createEngine } from '../../../main/engine';

/** A service double for the dispatcher only: the real services are tested against the machine. */
function recordingApi(): { api: BenchApi; calls: string[] } {
  const calls: string[] = [];
  const api: BenchApi = {
    ...createEngine({ runtime: 'cli' }).api,
    system: {
      doctor: async () => {
        calls.push('doctor');
        return [];
      },
      info: async () => {
        calls.push('info');
        throw new BenchFailure('info is broken on purpose', { why: 'test' });
      },
    },
  };
  return { api, calls };
}

describe('dispatch', () => {
  it('calls the method when service, method and arguments are valid', async () => {
    const { api, calls } = recordingApi();
    expect(await dispatch(api, { service: 'system', method: 'doctor', args: [] })).toEqual({ ok: true, value: [] });
    expect(calls).toEqual(['doctor']);
  });

  it.each([
    ['unknown service', { service: 'nosuch', method: 'doctor', args: [] }],
    ['unknown method', { service: 'system', method: 'nosuch', args: [] }],
    ['prototype key as service', { service: '__proto__', method: 'toString', args: [] }],
    ['prototype key as method', { service: 'system', method: 'constructor', args: [] }],
    ['inherited method', { service: 'system', method: 'hasOwnProperty', args: [] }],
  ])('refuses an %s without calling anything', async (_label, request) => {
    const { api, calls } = recordingApi();
    const result = await dispatch(api, request);
    expect(result).toMatchObject({ ok: false, error: { code: 'unknown-method' } });
    expect(calls).toEqual([]);
  });

  it.each([
    ['not an object', 'system.doctor'],
    ['args not an array', { service: 'system', method: 'doctor', args: 'x' }],
    ['missing args', { service: 'system', method: 'doctor' }],
    ['too many args', { service: 'system', method: 'doctor', args: new Array(100).fill(0) }],
  ])('refuses a malformed envelope: %s', async (_label, request) => {
    const { api, calls } = recordingApi();
    expect(await dispatch(api, request)).toMatchObject({ ok: false, error: { code: 'invalid-input' } });
    expect(calls).toEqual([]);
  });

  it('validates arguments against the method schema', async () => {
    const { api, calls } = recordingApi();
    const result = await dispatch(api, { service: 'system', method: 'doctor', args: ['unexpected'] });
    expect(result).toMatchObject({ ok: false, error: { code: 'invalid-input' } });
    if (!result.ok) expect(result.error.message).toContain('system.doctor');
    expect(calls).toEqual([]);
  });

  it('turns a thrown service error into data, keeping BenchFailure details', async () => {
    const { api } = recordingApi();
    expect(await dispatch(api, { service: 'system', method: 'info', args: [] })).toEqual({
      ok: false,
      error: { code: 'failed', message: 'info is broken on purpose', details: { why: 'test' } },
    });
  });
});

describe('dispatch never throws', () => {
  it('answers invalid-input for an Exchange whose field tree nests 800 levels deep, before any service runs', async () => {
    const { api, calls } = recordingApi();
    const args = JSON.parse(`[{"exchange":${deepExchangeJson(800)}}]`) as unknown[];
    const result = await dispatch(api, { service: 'diagnose', method: 'diagnose', args });
    expect(result).toMatchObject({ ok: false, error: { code: 'invalid-input' } });
    if (!result.ok) expect(result.error.message).toMatch(/^Invalid input for diagnose\.diagnose: args\[0\]\.exchange\.steps\[0\]\.decoded.* is nested deeper than 512 levels$/);
    expect(calls).toEqual([]);
  });

  it('names the step of a tree just past the tree limit', async () => {
    const { api } = recordingApi();
    const result = await dispatch(api, { service: 'diagnose', method: 'diagnose', args: [{ exchange: exchangeWithTree(deepTree(MAX_TREE_DEPTH + 1)) }] });
    expect(result).toMatchObject({ ok: false, error: { code: 'invalid-input' } });
    if (!result.ok) expect(result.error.message).toContain(`the field tree is nested deeper than ${MAX_TREE_DEPTH} levels`);
  });

  it('finds deep nesting anywhere in the arguments, without recursion', () => {
    let nested: unknown = 'x';
    for (let i = 0; i < 100_000; i++) nested = { a: [nested] };
    expect(tooDeepAt(nested, MAX_INPUT_NESTING)).toBe('args.a[0].a[0].a[0].a[0]');
    expect(tooDeepAt({ a: [{ b: 1 }] }, 3)).toBeNull();
    expect(tooDeepAt({ a: [{ b: {} }] }, 2)).toBe('args.a[0].b');
  });

  it('answers even when validation itself fails in a way nobody foresaw', async () => {
    const { api, calls } = recordingApi();
    const hostile = {
      service: 'system',
      method: 'doctor',
      get args(): unknown[] {
        throw new Error('a getter that throws');
      },
    };
    expect(await dispatch(api, hostile)).toEqual({ ok: false, error: { code: 'invalid-input', message: 'The request could not be validated: a getter that throws' } });
    expect(calls).toEqual([]);
  });

  it('turns a service that throws something that is not an Error into data', async () => {
    const { api } = recordingApi();
    const odd = { ...api, system: { ...api.system, doctor: () => Promise.reject({ toString: () => { throw new Error('no'); } }) } } as BenchApi;
    expect(await dispatch(odd, { service: 'system', method: 'doctor', args: [] })).toEqual({ ok: false, error: { code: 'failed', message: 'an error that cannot be described' } });
  });
});

describe('contract', () => {
  it('lists exactly the methods that have input schemas', () => {
    const fromSchemas = Object.fromEntries(Object.entries(benchInputSchemas).map(([s, m]) => [s, Object.keys(m).sort()]));
    const fromList = Object.fromEntries(Object.entries(benchMethods).map(([s, m]) => [s, [...m].sort()]));
    expect(fromList).toEqual(fromSchemas);
  });
});
