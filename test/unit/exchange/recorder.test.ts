import { afterEach, describe, expect, it, vi } from 'vitest';
import { ExchangeRecorder, isoNow } from '../../../main/exchange/recorder';

afterEach(() => vi.useRealTimers());

describe('isoNow', () => {
  it('writes what toISOString writes, across milliseconds, seconds, days and years', () => {
    vi.useFakeTimers();
    for (const start of [Date.UTC(2026, 11, 7, 9, 5, 33, 998), Date.UTC(2026, 11, 31, 23, 59, 59, 999), Date.UTC(1999, 0, 1, 0, 0, 0, 0), 0]) {
      vi.setSystemTime(start);
      for (let step = 0; step < 5; step++) {
        expect(isoNow()).toBe(new Date().toISOString());
        expect(isoNow()).toBe(new Date().toISOString());
        vi.setSystemTime(Date.now() + 1);
      }
      vi.setSystemTime(start + 86_400_000 + 7);
      expect(isoNow()).toBe(new Date().toISOString());
    }
  });

  it('gives every step of one millisecond the same string', () => {
    vi.useFakeTimers();
    vi.setSystemTime(Date.UTC(2026, 11, 7, 9, 0, 0, 1));
    const recorder = new ExchangeRecorder({ source: 'broker', role: 'server', mechanism: 'anonymous' });
    const first = recorder.add({ direction: 'client-to-server', transport: { protocol: 'mqtt', packet: 'CONNECT' } });
    const second = recorder.add({ direction: 'server-to-client', transport: { protocol: 'mqtt', packet: 'CONNACK' } });
    expect(first.at).toBe('2026-12-07T09:00:00.001Z');
    expect(second.at).toBe(first.at);
    expect(recorder.exchange.startedAt).toBe(first.at);
  });
});

describe('ExchangeRecorder listeners', () => {
  it('tells each listener of each step until it leaves', () => {
    const recorder = new ExchangeRecorder({ source: 'broker', role: 'server', mechanism: 'anonymous' });
    const seen: string[] = [];
    const leaveA = recorder.onStep((step) => seen.push(`a${step.index}`));
    recorder.onStep((step) => seen.push(`b${step.index}`));
    recorder.add({ direction: 'client-to-server', transport: { protocol: 'mqtt', packet: 'CONNECT' } });
    leaveA();
    leaveA();
    recorder.add({ direction: 'server-to-client', transport: { protocol: 'mqtt', packet: 'CONNACK' } });
    expect(seen).toEqual(['a0', 'b0', 'b1']);
  });
});
