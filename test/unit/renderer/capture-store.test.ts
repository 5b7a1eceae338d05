/**
 * The Captures view's store against a fake capture service: the table's filters and sort, a scan
 * with its id and progress events, the selected Exchange loaded once, "open the file again" when
 * the engine no longer holds the capture, Exchanges opened from a saved file, and what is written
 * to the workspace — never a password or a raw key.
 */
import type { BenchEventName, BenchEvents, CaptureReport, CaptureRow, CaptureScanOptions, Exchange } from '@api/index';
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BenchCallError, type BenchClient } from '../../../renderer/src/api/client';
import { isUnknownCapture, ticketText, useCaptureStore, visibleRows, type CaptureFilters } from '../../../renderer/src/stores/capture';
import { useWorkspaceStore } from '../../../renderer/src/stores/workspace';

function row(id: string, over: Partial<CaptureRow> = {}): CaptureRow {
  return {
    id,
    protocol: 'mqtt',
    client: '127.0.0.1:40000',
    server: '127.0.0.1:1883',
    method: 'GSSAPI-KERBEROS',
    rounds: 3,
    verdict: 'success',
    reasonCode: 0,
    reason: 'CONNACK 0x00 Success',
    principals: ['alice@BENCH.TEST', 'mqtt/localhost@BENCH.TEST'],
    ticket: { sname: 'mqtt/localhost@BENCH.TEST', kvno: 2, etype: 18, enctype: 'aes256-cts-hmac-sha1-96' },
    linked: [],
    diagnosis: null,
    startedAt: '2026-01-01T00:00:01.000Z',
    frames: 6,
    ...over,
  };
}

const ROWS = [
  row('a'),
  row('b', { protocol: 'kerberos', method: 'TGS', server: '127.0.0.1:88', verdict: 'failure', code: 'KDC_ERR_S_PRINCIPAL_UNKNOWN', principals: ['nosuch/localhost@BENCH.TEST'], ticket: { sname: 'krbtgt/BENCH.TEST@BENCH.TEST', kvno: 1, etype: 18, enctype: 'aes256-cts-hmac-sha1-96' }, startedAt: '2026-01-01T00:00:00.500Z', frames: 2 }),
  row('c', { server: '10.0.0.9:8883', verdict: 'incomplete', principals: [], ticket: null, startedAt: '2026-01-01T00:00:02.000Z', frames: 3 }),
];
const NO_FILTERS: CaptureFilters = { protocol: '', verdict: '', principal: '', server: '' };

function exchangeOf(id: string): Exchange {
  return { id, source: 'capture', role: 'observer', mechanism: 'GSSAPI-KERBEROS', startedAt: '2026-01-01T00:00:01.000Z', steps: [], verdict: { outcome: 'success', reason: 'ok' } };
}

describe('conversation table helpers', () => {
  it('filters by protocol, verdict, principal (or the ticket sname) and server', () => {
    expect(visibleRows(ROWS, { ...NO_FILTERS, protocol: 'kerberos' }, { key: 'startedAt', dir: 'asc' }).map((r) => r.id)).toEqual(['b']);
    expect(visibleRows(ROWS, { ...NO_FILTERS, verdict: 'incomplete' }, { key: 'startedAt', dir: 'asc' }).map((r) => r.id)).toEqual(['c']);
    expect(visibleRows(ROWS, { ...NO_FILTERS, principal: 'ALICE' }, { key: 'startedAt', dir: 'asc' }).map((r) => r.id)).toEqual(['a']);
    expect(visibleRows(ROWS, { ...NO_FILTERS, principal: 'mqtt/' }, { key: 'startedAt', dir: 'asc' }).map((r) => r.id)).toEqual(['a']);
    expect(visibleRows(ROWS, { ...NO_FILTERS, server: ':8883' }, { key: 'startedAt', dir: 'asc' }).map((r) => r.id)).toEqual(['c']);
  });

  it('sorts by time, numbers as numbers, and keeps the capture order on ties', () => {
    expect(visibleRows(ROWS, NO_FILTERS, { key: 'startedAt', dir: 'asc' }).map((r) => r.id)).toEqual(['b', 'a', 'c']);
    expect(visibleRows(ROWS, NO_FILTERS, { key: 'frames', dir: 'desc' }).map((r) => r.id)).toEqual(['a', 'c', 'b']);
    expect(visibleRows(ROWS, NO_FILTERS, { key: 'rounds', dir: 'asc' }).map((r) => r.id)).toEqual(['a', 'b', 'c']);
  });

  it('writes a ticket as sname, kvno and enctype name', () => {
    expect(ticketText({ sname: 'mqtt/localhost@BENCH.TEST', kvno: 2, etype: 18, enctype: 'aes256-cts-hmac-sha1-96' })).toBe('mqtt/localhost@BENCH.TEST kvno 2 aes256-cts-hmac-sha1-96');
    expect(ticketText({ sname: 'HTTP/web@R', kvno: null, etype: 99, enctype: 'etype 99' })).toBe('HTTP/web@R etype 99');
  });

  it("recognises the engine's answer for a capture it no longer holds", () => {
    expect(isUnknownCapture(new BenchCallError('failed', 'the engine no longer holds capture 1f2e: open the file again'))).toBe(true);
    expect(isUnknownCapture(new BenchCallError('failed', 'x', { reason: 'unknown-capture' }))).toBe(true);
    expect(isUnknownCapture(new BenchCallError('failed', 'the capture has no Exchange 9'))).toBe(false);
    expect(isUnknownCapture(new Error('the engine no longer holds capture 1'))).toBe(false);
  });


});

describe('the capture store', () => {
  let listeners: Map<string, (payload: unknown) => void>;
  let scans: CaptureScanOptions[];
  let exchangeCalls: string[];
  let holds: boolean;
  let bench: BenchClient;
  const report = (id: string): CaptureReport => ({ id, file: 'x.pcapng', packets: 10, bytes: 1000, durationMs: 5, exchanges: ROWS, timelines: [], tls: [], keys: [], warnings: [] });

  beforeEach(() => {
    vi.useFakeTimers();
    setActivePinia(createPinia());
    listeners = new Map();
    scans = [];
    exchangeCalls = [];
    holds = true;
    const api = {
      capture: {
        scan: async (options: CaptureScanOptions) => {
          scans.push(options);
          listeners.get('capture.progress')?.({ id: options.id, bytesRead: 500, totalBytes: 1000, packets: 5, exchanges: 1, elapsedMs: 10 });
          return report(options.id!);
        },
        cancel: async () => undefined,
        exchange: async (_capture: string, id: string) => {
          exchangeCalls.push(id);
          if (!holds) throw new BenchCallError('failed', 'the engine no longer holds capture 1: open the file again');
          return exchangeOf(id);
        },
        open: async () => ({ exchanges: [exchangeOf('saved-1')], rows: [row('saved-1')] }),
      },
      workspace: { saveView: async () => undefined, addRecent: async () => [] },
    };
    bench = {
      api: api as unknown as BenchClient['api'],
      runtime: 'web',
      on: <K extends BenchEventName>(name: K, listener: (payload: BenchEvents[K]) => void) => {
        listeners.set(name, listener as (payload: unknown) => void);
        return () => undefined;
      },
      onState: () => () => undefined,
    };
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('scans with an id of its own, the keys and the key log; sees its progress; loads the selected Exchange once', async () => {
    const store = useCaptureStore();
    store.addKey({ kind: 'password', principal: 'alice@R', password: 'secret-pw' });
    store.keylog = { path: '/tmp/keys.log' };
    const progress: unknown[] = [];
    const seen = store.$subscribe(() => store.scan?.progress && progress.push(store.scan.progress));
    await store.open(bench, { path: '/tmp/x.pcapng' });
    seen();
    expect(scans).toHaveLength(1);
    expect(scans[0]!.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(scans[0]!.keys).toEqual([{ kind: 'password', principal: 'alice@R', password: 'secret-pw' }]);
    expect(scans[0]!.keylog).toEqual({ path: '/tmp/keys.log' });
    expect(progress.length).toBeGreaterThan(0);
    expect(store.scan).toBeNull();
    expect(store.report?.id).toBe(scans[0]!.id);
    await store.select(bench, 'a');
    await store.select(bench, 'a');
    expect(exchangeCalls).toEqual(['a']);
    expect(store.exchange?.id).toBe('a');
  });

  it('says "open the file again" when the engine no longer holds the capture', async () => {
    const store = useCaptureStore();
    await store.open(bench, { path: '/tmp/x.pcapng' });
    holds = false;
    await store.select(bench, 'b');
    expect(store.stale).toBe(true);
    expect(store.exchange).toBeNull();
    expect(store.exchangeError).toBeNull();
  });

  it('opens saved Exchanges as a table of their own, without calling the engine for them', async () => {
    const store = useCaptureStore();
    await store.openSaved(bench, { base64: 'e30=', name: 'saved.json' });
    expect(store.rows.map((r) => r.id)).toEqual(['saved-1']);
    expect(store.exchange?.id).toBe('saved-1');
    expect(exchangeCalls).toEqual([]);
  });

  it('keeps keytab paths, filters and the selection in the workspace, never passwords or raw keys', async () => {
    const workspace = useWorkspaceStore();
    const store = useCaptureStore();
    store.addKey({ kind: 'password', principal: 'alice@R', password: 'secret-pw' });
    store.addKey({ kind: 'raw', key: '23:00112233445566778899aabbccddeeff' });
    store.addKey({ kind: 'keytab', source: { path: '/etc/svc.keytab' } });
    await store.open(bench, { path: '/tmp/x.pcapng' });
    store.filters.protocol = 'kerberos';
    await store.select(bench, 'b');
    await vi.advanceTimersByTimeAsync(1000);
    const kept = JSON.stringify(workspace.views);
    expect(kept).not.toContain('secret-pw');
    expect(kept).not.toContain('00112233');
    const saved = workspace.views.captures as { keys: unknown; filters: { protocol: string }; selectedId: string; path: string };
    expect(saved.keys).toEqual([{ kind: 'keytab', path: '/etc/svc.keytab' }]);
    expect(saved.filters.protocol).toBe('kerberos');
    expect(saved.selectedId).toBe('b');
    expect(saved.path).toBe('/tmp/x.pcapng');
    expect((workspace.views['captures.report'] as unknown as { report: CaptureReport }).report.exchanges).toHaveLength(3);

    // A reload: a new store restores the table and the selection from the workspace.
    setActivePinia(createPinia());
    const again = useWorkspaceStore();
    again.views = workspace.views;
    const restored = useCaptureStore();
    expect(restored.rows).toHaveLength(3);
    expect(restored.selectedId).toBe('b');
    expect(restored.keys.map((k) => k.key.kind)).toEqual(['keytab']);
  });
});
