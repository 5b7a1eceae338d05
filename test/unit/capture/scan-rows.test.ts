/**
 * A large capture's rows leave memory: the scan spills each finished Exchange's row next to the
 * Exchange, the service pages through them (`rows`, `omitRows`), and `kbench capture scan --json`
 * streams them a page at a time. Each path must give exactly what holding every row did: the
 * same rows, in the same order, and the same --json bytes as one JSON.stringify of the whole.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaptureReport, CaptureRow } from '../../../main/api/capture';
import { CaptureServiceImpl } from '../../../main/capture/service';
import { ExchangeSpill } from '../../../main/capture/spill';
import type { Exchange } from '../../../main/exchange/model';
import { runCli } from '../../../main/cli';
import { json, StreamedList, writeJson } from '../../../main/cli/format';
import { BenchEventBus } from '../../../main/engine/events';
import { generateMqttCapture } from '../../bench/capture-generator';

/** More sessions than the CLI's page of 1000 rows: the --json output is written in two pages. */
const SESSIONS = 1_200;

/** `kbench capture scan --json` as it was built before streaming: one object, one JSON.stringify. */
function wholeScanJson(report: CaptureReport): string {
  return json({
    packets: report.packets,
    exchanges: report.exchanges.map((row: CaptureRow) => ({
      id: row.id,
      protocol: row.protocol,
      client: row.client,
      server: row.server,
      method: row.method,
      rounds: row.rounds,
      verdict: row.verdict,
      reasonCode: row.reasonCode,
      principals: row.principals,
      ticket: row.ticket ? { sname: row.ticket.sname, kvno: row.ticket.kvno, etype: row.ticket.etype } : null,
      linked: row.linked,
      diagnosis: row.diagnosis,
    })),
    warnings: report.warnings.map((w) => (w.packet ? `frame ${w.packet}: ${w.message}` : w.message)),
    ...(report.error ? { error: report.error } : {}),
    tls: report.tls,
    keys: report.keys,
  });
}

async function* pagesOf<T>(items: T[], size: number): AsyncGenerator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

function written(): { write: (text: string) => void; text: () => string } {
  let out = '';
  return { write: (t) => void (out += t), text: () => out };
}

describe('writeJson', () => {
  const value = { packets: 3, list: [{ a: 1, b: ['x', 'y\nz'], c: null }, { a: 2, b: [], c: { d: 'e' } }, { a: 3, b: [1], c: 'q"uote' }], none: [], after: { k: [1, 2] } };

  it('prints a list given a page at a time exactly as json() prints the whole object', async () => {
    for (const size of [1, 2, 3]) {
      const out = written();
      await writeJson(out.write, { ...value, list: new StreamedList(pagesOf(value.list, size)) });
      expect(out.text()).toBe(json(value));
    }
  });

  it('prints an empty streamed list, an empty page and undefined members as JSON.stringify does', async () => {
    const out = written();
    await writeJson(out.write, { packets: 3, list: new StreamedList(pagesOf([], 1)), gone: undefined, after: [] });
    expect(out.text()).toBe(json({ packets: 3, list: [], after: [] }));
    const empty = written();
    await writeJson(empty.write, {});
    expect(empty.text()).toBe(json({}));
  });
});

describe('ExchangeSpill', () => {
  const exchange = (id: string, steps: number, filler = ''): Exchange => ({
    id,
    source: 'capture',
    role: 'observer',
    mechanism: 'GSSAPI-KERBEROS',
    startedAt: '2026-01-01T00:00:00.000Z',
    steps: Array.from({ length: steps }, (_, index) => ({ index, direction: 'client-to-server' as const, at: '2026-01-01T00:00:01.000Z', elapsedMs: index, transport: { protocol: 'mqtt' as const, packet: 'CONNECT' }, token: filler })),
    verdict: { outcome: 'success', reason: 'accepted — ✓ unicode' },
  });

  it('reads every Exchange and row back as put, a replaced one from its new line in its first slot, lines larger than its buffer too', () => {
    const spill = new ExchangeSpill<{ id: string; n: number }>();
    try {
      const big = exchange('big', 2, 'A'.repeat(1_500_000));
      const put = [exchange('a', 1), big, exchange('c', 3, 'é'.repeat(70_000))];
      const slots = put.map((e, n) => spill.put(e, { id: e.id, n }));
      // Enough small ones to flush the buffer several times.
      for (let i = 0; i < 3000; i++) spill.put(exchange(`s${i}`, 2, 'B'.repeat(600)), { id: `s${i}`, n: i });
      const again = exchange('a', 5, 'again');
      expect(spill.put(again, { id: 'a', n: 99 })).toBe(slots[0]);
      expect(spill.size).toBe(3003);
      expect(spill.get('a')).toEqual(again);
      expect(spill.row(slots[0]!)).toEqual({ id: 'a', n: 99 });
      expect(spill.get('big')).toEqual(big);
      expect(spill.row(slots[1]!)).toEqual({ id: 'big', n: 1 });
      expect(spill.get('c')).toEqual(put[2]);
      expect(spill.row(spill.slotOf('s2999')!)).toEqual({ id: 's2999', n: 2999 });
      expect(spill.get('s1500')).toEqual(exchange('s1500', 2, 'B'.repeat(600)));
      expect(spill.get('nope')).toBeUndefined();
    } finally {
      spill.dispose();
    }
    expect(spill.get('a')).toBeUndefined();
  });
});

describe('a capture with more conversations than a page', () => {
  let dir: string;
  let file: string;
  const services: CaptureServiceImpl[] = [];
  const service = (): CaptureServiceImpl => {
    const made = new CaptureServiceImpl({ runtime: 'cli', dataDir: os.tmpdir(), electronVersion: null, events: new BenchEventBus() }, () => Promise.reject(new Error('no replay here')));
    services.push(made);
    return made;
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-scan-rows-'));
    file = path.join(dir, 'sessions.pcapng');
    await generateMqttCapture(file, { packets: 30_000, sessions: SESSIONS, seed: 3 });
  }, 60_000);
  afterAll(async () => {
    await Promise.all(services.map((made) => made.dispose()));
    await rm(dir, { recursive: true, force: true });
  });

  it('rows() pages give the report rows, in order; omitRows leaves them out of the report only', async () => {
    const capture = service();
    const whole = await capture.scan({ id: 'whole', source: { path: file } });
    expect(whole.exchanges).toHaveLength(SESSIONS);
    const pages = [await capture.rows('whole', 0, 500), await capture.rows('whole', 500, 500), await capture.rows('whole', 1000, 500), await capture.rows('whole', 1500, 500)];
    expect(pages.map((p) => p.total)).toEqual([SESSIONS, SESSIONS, SESSIONS, SESSIONS]);
    expect(pages.map((p) => p.rows.length)).toEqual([500, 500, 200, 0]);
    expect(pages.flatMap((p) => p.rows)).toEqual(whole.exchanges);
    const firstFrames = whole.exchanges.map((row) => Number(/-f(\d+)/.exec(row.id)![1]));
    expect(firstFrames).toEqual([...firstFrames].sort((a, b) => a - b));

    const omitted = await capture.scan({ id: 'omitted', source: { path: file }, omitRows: true });
    expect(omitted).toEqual({ ...whole, id: 'omitted', durationMs: omitted.durationMs, exchanges: [], timelines: [] });
    expect((await capture.rows('omitted', 0, 10_000)).rows).toEqual(whole.exchanges);
  }, 60_000);

  it('kbench capture scan --json streams the same bytes as one JSON.stringify of every row', async () => {
    const whole = await service().scan({ source: { path: file } });
    let stdout = '';
    const code = await runCli(['capture', 'scan', file, '--json'], { stdout: (t) => void (stdout += t), stderr: () => {}, env: { ...process.env, KBENCH_DATA_DIR: dir }, isTty: false });
    expect(code).toBe(0);
    expect(stdout).toBe(wholeScanJson(whole));
    expect((JSON.parse(stdout) as { exchanges: unknown[] }).exchanges).toHaveLength(SESSIONS);
  }, 60_000);
});
