/**
 * The probe stepped slower than the broker's authentication deadline, through the services the UI
 * and the CLI use, against the bench's broker with the lab realm (real KDC, GSS workers, aedes,
 * MQTT.js). The deadline is shortened to 1.5 s so the test stays fast.
 *   - hold on (the default for the broker's 127.0.0.1 listeners): every pause says the broker
 *     holds its deadline, and waiting 2 s at each one still connects;
 *   - hold off: the first AUTH pause carries a countdown, the broker refuses with 0x87 while the
 *     probe waits, and the run ends — failed, nothing pending, the broker's Reason String in the
 *     CONNACK step and the verdict, next() refused in words, the diagnosis "auth-deadline".
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrokerStartOptions, ProbeView } from '../../main/api/broker';
import type { BenchEvent } from '../../main/api/events';
import { createEngine, type Engine } from '../../main/engine';

const DEADLINE_MS = 1_500;
/** Longer than the deadline at every pause. */
const PAUSE_MS = 2_100;
const REASON = `authentication did not finish within ${DEADLINE_MS} ms (this listener's deadline)`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(engine: Engine, id: string, done: (view: ProbeView) => boolean, timeoutMs = 15_000): Promise<ProbeView> {
  const started = Date.now();
  for (;;) {
    const view = await engine.api.probe.view(id);
    if (done(view)) return view;
    if (Date.now() - started > timeoutMs) throw new Error(`probe stuck in ${view.state}: ${JSON.stringify(view.pending)}`);
    await sleep(20);
  }
}

const settledOrWaiting = (v: ProbeView) => v.state === 'waiting' || v.state === 'connected' || v.state === 'failed' || v.state === 'closed';

describe('stepping the probe slower than the broker\'s authentication deadline', () => {
  let dataDir: string;
  let engine: Engine;
  const events: BenchEvent[] = [];

  async function startBroker(extra: Partial<BrokerStartOptions>): Promise<string> {
    const status = await engine.api.broker.start({ tcp: true, tls: false, ws: false, credentials: 'lab', variant: 'emqx', allowAnonymous: false, authDeadlineMs: DEADLINE_MS, ...extra });
    return status.listeners[0]!.url;
  }

  const stepProbe = (url: string) => engine.api.probe.start({ url, profile: 'lab', method: 'GSSAPI-KERBEROS', step: true, service: 'mqtt@localhost' });

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'kbench-probe-step-'));
    engine = createEngine({ runtime: 'cli', dataDir });
    engine.events.subscribe((event) => events.push(event));
  }, 120_000);

  afterAll(async () => {
    await engine?.api.broker.stop();
    await engine?.api.lab.down({ destroy: true }).catch(() => undefined);
    await engine?.dispose();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('connects when the broker holds its deadline, although every pause outlasts it', async () => {
    const url = await startBroker({});
    const status = await engine.api.broker.status();
    expect(status.listeners[0]).toMatchObject({ authDeadlineMs: DEADLINE_MS, holdDeadlineWhileStepping: true });
    let view = await stepProbe(url);
    const deadlines: unknown[] = [];
    for (let i = 0; i < 5; i++) {
      view = await until(engine, view.id, settledOrWaiting);
      if (view.state !== 'waiting') break;
      if (view.pending!.packet === 'AUTH') deadlines.push(view.pending!.peerDeadline);
      await sleep(view.pending!.packet === 'AUTH' ? PAUSE_MS : 0);
      view = await engine.api.probe.next(view.id);
    }
    view = await until(engine, view.id, (v) => v.state !== 'connecting');
    expect(view.state, view.exchanges[0]?.verdict.reason ?? view.error).toBe('connected');
    // Both AUTH pauses (the empty answer to the AP-REP, the reply to the security-layer offer) were told "held".
    expect(deadlines).toEqual([{ held: true }, { held: true }]);
    const server = (await engine.api.broker.exchanges()).at(-1)!;
    expect(server.verdict.outcome).toBe('success');
    expect(server.meta?.authDeadline).toMatch(/^held: a bench probe steps/);
    expect(server.steps[0]!.transport.fields).toMatchObject({ userProperties: 'kbench-step=1' });
    expect(view.exchanges[0]!.steps[0]!.transport.fields).toMatchObject({ userProperties: 'kbench-step=1' });
    await engine.api.probe.close(view.id);
  }, 60_000);

  it('ends the run with the broker\'s Reason String when the broker does not hold it', async () => {
    const url = await startBroker({ holdDeadlineWhileStepping: false });
    expect((await engine.api.broker.status()).listeners[0]!.holdDeadlineWhileStepping).toBe(false);
    let view = await stepProbe(url);
    view = await until(engine, view.id, settledOrWaiting);
    expect(view.pending?.packet).toBe('CONNECT');
    // The broker's clock starts at TCP accept: no deadline is known before CONNECT.
    expect(view.pending?.peerDeadline).toBeUndefined();
    view = await engine.api.probe.next(view.id);
    view = await until(engine, view.id, settledOrWaiting);
    expect(view.state).toBe('waiting');
    expect(view.pending?.packet).toBe('AUTH');

    // The countdown: the broker said how many ms it has left.
    const deadline = view.pending!.peerDeadline as { at: string };
    const left = Date.parse(deadline.at) - Date.now();
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThanOrEqual(DEADLINE_MS);

    // Wait past it without sending: the run ends by itself, never stuck in 'waiting' or 'connecting'.
    view = await until(engine, view.id, (v) => v.state !== 'waiting', 5_000);
    expect(view.state).toBe('failed');
    expect(view.pending).toBeNull();
    const exchange = view.exchanges.at(-1)!;
    expect(exchange.verdict).toMatchObject({ outcome: 'failure', code: '0x87 Not Authorized' });
    expect(exchange.verdict.reason).toContain(`the broker says: ${REASON}`);
    const connack = exchange.steps.at(-1)!;
    expect(connack.transport).toMatchObject({ packet: 'CONNACK', fields: { reasonCode: '0x87 Not Authorized', reasonString: REASON } });
    expect(connack.error).toBe(REASON);
    const lastUpdate = events.filter((e) => e.name === 'probe.update' && e.payload.id === view.id).at(-1)!;
    expect(lastUpdate.payload).toMatchObject({ state: 'failed', pending: null });

    // Nothing to send any more: next() says so, and the run stays failed.
    await expect(engine.api.probe.next(view.id)).rejects.toThrow(/nothing to send: this run has ended \(failed/);
    expect((await engine.api.probe.view(view.id)).state).toBe('failed');

    // The diagnosis (what the Probe view and kbench probe show) names the deadline.
    const diagnosis = await engine.api.diagnose.diagnose({ exchange });
    expect(diagnosis.findings[0]).toMatchObject({ id: 'auth-deadline', scenario: 'auth-deadline' });
    const server = (await engine.api.broker.exchanges()).at(-1)!;
    expect(server.verdict.reason).toBe(REASON);
    expect((await engine.api.diagnose.diagnose({ exchange: server })).findings[0]!.id).toBe('auth-deadline');
    await engine.api.probe.close(view.id);
  }, 60_000);

  it('through dispatch too: the hold setting is validated as the UI and web mode send it', async () => {
    const bad = await engine.invoke({ service: 'broker', method: 'start', args: [{ tcp: true, tls: false, ws: false, credentials: 'lab', variant: 'emqx', allowAnonymous: false, holdDeadlineWhileStepping: 'yes' }] });
    expect(bad.ok).toBe(false);
    const good = await engine.invoke({ service: 'broker', method: 'start', args: [{ tcp: true, tls: false, ws: false, credentials: 'lab', variant: 'emqx', allowAnonymous: false, holdDeadlineWhileStepping: false }] });
    expect(good.ok).toBe(true);
    expect((good as { value: { listeners: { holdDeadlineWhileStepping: boolean; authDeadlineMs: number }[] } }).value.listeners[0]).toMatchObject({ holdDeadlineWhileStepping: false, authDeadlineMs: 10_000 });
  }, 60_000);
});
