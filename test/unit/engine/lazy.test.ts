import { describe, expect, it } from 'vitest';
import { LazyService } from '../../../main/engine/lazy';

interface Counter {
  add(n: number): Promise<number>;
  dispose(): Promise<void>;
}

function counter(log: string[]): LazyService<Counter> {
  return new LazyService<Counter>(async () => {
    log.push('load');
    let total = 0;
    return {
      add: async (n) => (total += n),
      dispose: async () => void log.push('dispose'),
    };
  });
}

describe('LazyService', () => {
  it('loads the service at its first call, once, however many calls wait for it', async () => {
    const log: string[] = [];
    const lazy = counter(log);
    expect(log).toEqual([]);
    const results = await Promise.all([lazy.service.add(1), lazy.service.add(2), lazy.service.add(3)]);
    expect(log).toEqual(['load']);
    expect(results.sort()).toEqual([1, 3, 6]);
    expect(await lazy.service.add(4)).toBe(10);
    expect(log).toEqual(['load']);
  });

  it('disposes a service that was loaded, and loads nothing to dispose one that never was', async () => {
    const unused: string[] = [];
    await counter(unused).dispose();
    expect(unused).toEqual([]);
    const used: string[] = [];
    const lazy = counter(used);
    await lazy.service.add(1);
    await lazy.dispose();
    expect(used).toEqual(['load', 'dispose']);
  });

  it('is not thenable, so awaiting the stand-in does not call the service', async () => {
    const log: string[] = [];
    const lazy = counter(log);
    expect(await lazy.service).toBe(lazy.service);
    expect(log).toEqual([]);
  });

  it('passes a failing load on to every call, as the call’s own rejection', async () => {
    const lazy = new LazyService<Counter>(async () => {
      throw new Error('module missing');
    });
    await expect(lazy.service.add(1)).rejects.toThrow('module missing');
    await expect(lazy.dispose()).resolves.toBeUndefined();
  });
});
