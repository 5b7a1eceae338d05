import { describe, expect, it } from 'vitest';
import { HistoryServiceImpl } from '../../../main/workspace/history';
import { ExchangeRecorder } from '../../../main/exchange/recorder';
import { parseExchange } from '../../../main/exchange/serialize';
import type { Exchange } from '../../../main/exchange/model';

function exchange(source: Exchange['source'], outcome: 'success' | 'failure', reason: string): Exchange {
  const recorder = new ExchangeRecorder({ source, role: source === 'broker' ? 'server' : 'client', mechanism: 'GSSAPI-KERBEROS', service: 'mqtt@localhost' });
  recorder.add({ direction: 'client-to-server', transport: { protocol: 'mqtt', packet: 'CONNECT' } });
  return recorder.finish({ outcome, reason });
}

describe('history service', () => {
  it('lists newest first, replaces a changed Exchange, filters by source, outcome and words', async () => {
    const history = new HistoryServiceImpl();
    const a = exchange('broker', 'success', 'authenticated as alice@BENCH.TEST');
    const b = exchange('probe', 'failure', 'Server mqtt/127.0.0.1@BENCH.TEST not found');
    history.record(a);
    history.record(b);
    history.record({ ...a, verdict: { outcome: 'failure', reason: 'DISCONNECT 0x87 after re-authentication' } });
    expect((await history.list()).map((e) => e.id)).toEqual([b.id, a.id]);
    expect((await history.list({ outcome: 'failure' })).length).toBe(2);
    expect((await history.list({ source: 'probe' })).map((e) => e.id)).toEqual([b.id]);
    expect((await history.list({ text: 'mqtt/127.0.0.1 NOT' })).map((e) => e.id)).toEqual([b.id]);
    expect(await history.list({ text: 'nothing-like-this' })).toEqual([]);
  });

  it('leaves out runs with no steps yet', async () => {
    const history = new HistoryServiceImpl();
    const empty = new ExchangeRecorder({ source: 'sasl', role: 'client', mechanism: 'GSSAPI' }).exchange;
    history.record(empty);
    expect(await history.list()).toEqual([]);
  });

  it('exports one Exchange as an Exchange file, several as a list; deletes and clears', async () => {
    const history = new HistoryServiceImpl();
    const a = exchange('broker', 'success', 'ok');
    const b = exchange('sasl', 'failure', 'bad');
    history.record(a);
    history.record(b);
    const one = await history.export([a.id]);
    expect(parseExchange(one.json).id).toBe(a.id);
    expect(one.fileName).toMatch(/^kbench-exchange-broker-.*\.json$/);
    const all = await history.export();
    expect(all.count).toBe(2);
    expect(JSON.parse(all.json)).toMatchObject({ format: 'kbench-exchanges', version: 1 });
    expect(await history.remove([a.id, 'nope'])).toBe(1);
    expect(await history.clear()).toBe(1);
    expect(await history.list()).toEqual([]);
  });
});
