import { describe, expect, it } from 'vitest';
import type { Exchange, ExchangeStep } from '../../../main/exchange/model';
import { apReqStep, doneSteps, nextStep, noTicks, START_STEPS, ticksFrom } from '../../../renderer/src/stores/start-steps';

const step = (index: number, direction: ExchangeStep['direction'], packet: string, token?: string, tokenKind?: string): ExchangeStep => ({
  index,
  direction,
  at: '2026-12-06T07:00:00.000Z',
  elapsedMs: index,
  transport: { protocol: 'mqtt', packet },
  ...(token !== undefined ? { token } : {}),
  ...(tokenKind ? { tokenKind } : {}),
});

const exchange = (steps: ExchangeStep[]): Exchange => ({
  id: 'e1',
  source: 'probe',
  role: 'client',
  mechanism: 'GSSAPI-KERBEROS',
  startedAt: '2026-12-06T07:00:00.000Z',
  steps,
  verdict: { outcome: 'success', reason: 'connected' },
});

describe('the Start-here path', () => {
  it('is done step by step: ticks and the real state both count, the first step not done is next', () => {
    const ticks = { ...noTicks(), token: '2026-12-06T07:00:00.000Z' };
    const done = doneSteps(ticks, { lab: true, broker: false });
    expect(START_STEPS.filter((id) => done[id])).toEqual(['lab', 'token']);
    expect(nextStep(done)).toBe('broker');
    expect(nextStep(doneSteps(Object.fromEntries(START_STEPS.map((id) => [id, 'x'])) as ReturnType<typeof noTicks>, {}))).toBeNull();
  });

  it('reads saved ticks from a workspace of any age: unknown steps and non-strings are dropped', () => {
    expect(ticksFrom({ lab: '2026-12-06T07:00:00.000Z', broker: 3, warp: 'x' })).toEqual({ ...noTicks(), lab: '2026-12-06T07:00:00.000Z' });
    expect(ticksFrom(null)).toEqual(noTicks());
    expect(ticksFrom('lab')).toEqual(noTicks());
  });

  it('finds the AP-REQ in a probe Exchange: the client token called AP-REQ, else the first client token', () => {
    const emqx = exchange([
      step(0, 'client-to-server', 'CONNECT', 'YIIC', 'GSS-API initial context token (AP-REQ)'),
      step(1, 'server-to-client', 'AUTH', 'b4GZ', 'GSS-API initial context token (AP-REP)'),
      step(2, 'client-to-server', 'AUTH', '', 'empty'),
    ]);
    expect(apReqStep(emqx)?.index).toBe(0);
    const unnamed = exchange([step(0, 'client-to-server', 'CONNECT'), step(1, 'client-to-server', 'AUTH', 'YIIB')]);
    expect(apReqStep(unnamed)?.index).toBe(1);
    expect(apReqStep(exchange([step(0, 'server-to-client', 'CONNACK')]))).toBeNull();
  });
});
