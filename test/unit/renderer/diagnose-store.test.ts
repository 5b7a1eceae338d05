/**
 * "Check my setup" in the Diagnose store: a result belongs to the profile it was made for.
 * Choosing another profile (or other custom paths) drops it, and an answer still on its way for
 * the old profile is dropped when it arrives. The engine is the real one (no lab: a custom
 * profile whose files do not exist, which the real checks report on).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createPinia, setActivePinia } from 'pinia';
import { nextTick } from 'vue';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../../main/engine';
import type { BenchClient } from '../../../renderer/src/api/client';
import { useDiagnoseStore } from '../../../renderer/src/stores/diagnose';

describe('the Diagnose store, check my setup', () => {
  let dir: string;
  let engine: Engine;
  let bench: BenchClient;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-diagnose-store-'));
    engine = createEngine({ runtime: 'web', dataDir: dir });
    bench = { api: engine.api, runtime: 'web', on: () => () => undefined, onState: () => () => undefined };
  });
  afterAll(async () => {
    await engine.dispose();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => setActivePinia(createPinia()));

  function customSetup(store: ReturnType<typeof useDiagnoseStore>, name: string): void {
    store.setup = { profile: 'custom', krb5Config: path.join(dir, `${name}.conf`), ccache: `FILE:${path.join(dir, `${name}.ccache`)}`, keytab: '', principal: '' };
  }

  it('keeps every check with what it measured, and drops them when the profile changes', async () => {
    const store = useDiagnoseStore();
    customSetup(store, 'first');
    await nextTick();
    await store.checkSetup(bench);
    const checks = store.results.setup?.diagnosis.checks ?? [];
    expect(checks.map((c) => c.id)).toEqual(expect.arrayContaining(['krb5-conf', 'ccache', 'kerberos-binding']));
    expect(checks.find((c) => c.id === 'kerberos-binding')!.measured.map((m) => m.label)).toContain('version');

    store.setup.principal = 'mqtt/broker.example.com@EXAMPLE.COM'; // same profile: the result stays
    await nextTick();
    expect(store.results.setup).not.toBeNull();
    store.setup.krb5Config = path.join(dir, 'other.conf'); // other custom paths: another profile
    await nextTick();
    expect(store.results.setup).toBeNull();
    await store.checkSetup(bench);
    expect(store.results.setup).not.toBeNull();
    store.setup.profile = 'system';
    await nextTick();
    expect(store.results.setup).toBeNull();
    expect(store.errors.setup).toBeNull();
  });

  it('drops an answer that arrives after the profile changed', async () => {
    const store = useDiagnoseStore();
    customSetup(store, 'slow');
    await nextTick();
    const running = store.checkSetup(bench);
    expect(store.busy).toBe('setup');
    store.setup.profile = 'system';
    await nextTick();
    await running;
    expect(store.busy).toBeNull();
    expect(store.results.setup).toBeNull();
  });
});
