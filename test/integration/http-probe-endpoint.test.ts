/**
 * The probe against the bench's own endpoint (Elasticsearch mode, the lab realm's HTTP/localhost
 * key), with the initiator on MIT and on the JVM's Kerberos stack: both authenticate alice, both
 * verify the endpoint's mutual-authentication token, and the endpoint answers ES's JSON.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GssRuntime, NegotiateProbeView } from '../../main/api/http';
import { createEngine, type Engine } from '../../main/engine';

describe('the Negotiate probe against the bench\'s endpoint', () => {
  let dataDir: string;
  let engine: Engine;
  let url: string;

  async function probe(engineName: GssRuntime, target = `${url}/_security/_authenticate`): Promise<NegotiateProbeView> {
    const { id } = await engine.api.negotiate.start({ url: target, profile: 'lab', engine: engineName, step: false });
    const started = Date.now();
    for (;;) {
      const view = await engine.api.negotiate.view(id);
      if (view.state !== 'running') return view;
      if (Date.now() - started > 40_000) throw new Error(`probe stuck in ${view.state}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'kbench-probe-endpoint-'));
    engine = createEngine({ runtime: 'cli', dataDir });
    await engine.api.lab.up();
    const status = await engine.api.http.serve({ mode: 'elasticsearch', credentials: 'lab', port: 0 });
    url = status.url!;
  }, 120_000);

  afterAll(async () => {
    await engine?.api.http.stop().catch(() => undefined);
    await engine?.api.lab.down({ destroy: true }).catch(() => undefined);
    await engine?.dispose();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it.each<GssRuntime>(['mit', 'java'])('engine %s: 200 from _authenticate, mutual authentication verified', async (runtime) => {
    const view = await probe(runtime);
    expect(view.state, `${view.exchange.verdict.reason} ${view.error ?? ''}`).toBe('done');
    expect(view.mutual).toBe('verified');
    expect(view.exchange.steps.map((s) => s.transport.packet)).toEqual(['GET', '401', 'Authorization', '200']);
    expect(view.exchange.steps[2]!.tokenKind).toMatch(/SPNEGO/);
    expect(JSON.parse(view.hops.at(-1)!.body!)).toMatchObject({ username: 'alice@BENCH.TEST', authentication_realm: { type: 'kerberos' } });
    expect(view.spn.checks.find((c) => c.spn === 'HTTP/localhost')).toMatchObject({ kdcKnows: true, keytabHoldsCurrentKey: true });
  }, 60_000);

  it.each<GssRuntime>(['mit', 'java'])('engine %s: an IP address asks for HTTP/127.0.0.1, which the KDC does not know — in the engine\'s own words', async (runtime) => {
    const view = await probe(runtime, `${url.replace('localhost', '127.0.0.1')}/_security/_authenticate`);
    expect(view.state).toBe('failed');
    // The text is the engine's (MIT: "Server … not found in Kerberos database", Java: "… (7) - LOOKING_UP_SERVER").
    expect(view.exchange.verdict.reason).toContain('the KDC does not know the SPN HTTP/127.0.0.1');
    expect(view.spn.checks.find((c) => c.spn === 'HTTP/127.0.0.1')).toMatchObject({ kdcKnows: false });
  }, 60_000);
});
