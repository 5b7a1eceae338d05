import { describe, expect, it } from 'vitest';
import { TcpReassembler } from '../../../main/capture/tcp-reassembly';
import { TcpFlag } from '../../../main/capture/transport';
import type { CaptureWarning, StreamChunk, StreamGap, TcpFlow, TcpStreamHandler } from '../../../main/capture/types';
import { seg } from './net-builders';

const { SYN, ACK, FIN, RST, PSH } = TcpFlag;
const C = '10.0.0.1';
const S = '10.0.0.2';

type Event = { flow: number } & (
  | { kind: 'data'; dir: number; offset: number; text: string; frame: number }
  | { kind: 'gap'; dir: number; offset: number; length: number; frame: number }
  | { kind: 'end'; reason: string }
);

/** A reassembler whose handlers log everything; `doneAfter` makes a handler say done after N chunks. */
function harness(options: { maxPendingBytes?: number; doneAfter?: number } = {}) {
  const flows: TcpFlow[] = [];
  const events: Event[] = [];
  const warnings: CaptureWarning[] = [];
  const r = new TcpReassembler({
    maxPendingBytes: options.maxPendingBytes,
    warn: (w) => warnings.push(w),
    open(flow) {
      flows.push(flow);
      let chunks = 0;
      const handler: TcpStreamHandler & { done?: boolean } = {
        data(c: StreamChunk) {
          events.push({ flow: flow.id, kind: 'data', dir: c.direction, offset: c.streamOffset, text: new TextDecoder().decode(c.bytes), frame: c.packet.number });
          if (options.doneAfter !== undefined && ++chunks >= options.doneAfter) handler.done = true;
        },
        gap(g: StreamGap) {
          events.push({ flow: flow.id, kind: 'gap', dir: g.direction, offset: g.streamOffset, length: g.length, frame: g.packet.number });
        },
        end(reason) {
          events.push({ flow: flow.id, kind: 'end', reason });
        },
      };
      return handler;
    },
  });
  const send = (...args: Parameters<typeof seg>) => r.segment(...seg(...args));
  /** Client → server / server → client with ports 40000 ↔ 1883. */
  const c = (seq: number, flags: number, data = '', frame = 1, ack = 0) => send(C, 40000, S, 1883, seq, flags, data, frame, ack);
  const s = (seq: number, flags: number, data = '', frame = 1, ack = 0) => send(S, 1883, C, 40000, seq, flags, data, frame, ack);
  const stream = (flow: number, dir: number) =>
    events
      .filter((e): e is Extract<Event, { kind: 'data' }> => e.flow === flow && e.kind === 'data' && e.dir === dir)
      .map((e) => e.text)
      .join('');
  return { r, flows, events, warnings, send, c, s, stream };
}

/** The three-way handshake with ISNs 100 (client) and 5000 (server). */
function handshake(h: ReturnType<typeof harness>) {
  h.c(100, SYN, '', 1);
  h.s(5000, SYN | ACK, '', 2, 101);
  h.c(101, ACK, '', 3, 5001);
}

describe('TcpReassembler', () => {
  it('delivers in-order data with stream offsets from the byte after the SYN', () => {
    const h = harness();
    handshake(h);
    h.c(101, PSH | ACK, 'CONNECT', 4);
    h.s(5001, PSH | ACK, 'CONNACK', 5);
    h.c(108, PSH | ACK, 'AUTH', 6);
    expect(h.flows).toEqual([{ id: 0, client: '10.0.0.1:40000', server: '10.0.0.2:1883', sawSyn: true }]);
    expect(h.events).toEqual([
      { flow: 0, kind: 'data', dir: 0, offset: 0, text: 'CONNECT', frame: 4 },
      { flow: 0, kind: 'data', dir: 1, offset: 0, text: 'CONNACK', frame: 5 },
      { flow: 0, kind: 'data', dir: 0, offset: 7, text: 'AUTH', frame: 6 },
    ]);
    expect(h.r.openFlows).toBe(1);
  });

  it('buffers out-of-order segments and delivers them once the hole fills', () => {
    const h = harness();
    handshake(h);
    h.c(111, ACK, 'klmno', 4);
    h.c(106, ACK, 'fghij', 5);
    expect(h.events).toEqual([]);
    h.c(101, ACK, 'abcde', 6);
    expect(h.events.map((e) => e.kind === 'data' && [e.offset, e.text, e.frame])).toEqual([
      [0, 'abcde', 6],
      [5, 'fghij', 5],
      [10, 'klmno', 4],
    ]);
  });

  it('ignores retransmissions and delivers only the new part of an overlap', () => {
    const h = harness();
    handshake(h);
    h.c(101, ACK, 'abcde', 4);
    h.c(101, ACK, 'abcde', 5); // retransmission
    h.c(104, ACK, 'deFGH', 6); // overlaps 'de'
    h.c(109, ACK, 'IJ', 7);
    h.c(106, ACK, 'fgh', 8); // all old
    expect(h.stream(0, 0)).toBe('abcdeFGHIJ');
    expect(h.events.map((e) => e.kind === 'data' && e.frame)).toEqual([4, 6, 7]);
  });

  it('first-seen wins among buffered overlapping segments', () => {
    const h = harness();
    handshake(h);
    h.c(106, ACK, 'FGHIJ', 4);
    h.c(106, ACK, 'xxxxxxx', 5); // same start, longer: only its tail is new
    h.c(101, ACK, 'abcde', 6);
    expect(h.stream(0, 0)).toBe('abcdeFGHIJxx');
  });

  it('follows the sequence numbers across 2^32', () => {
    const h = harness();
    const isn = 0xfffffff8;
    h.c(isn, SYN, '', 1);
    h.s(7, SYN | ACK, '', 2, isn + 1);
    h.c(isn + 1, ACK, 'abcd', 3); // 0xfffffff9..0xfffffffc
    h.c(isn + 9, ACK, 'ijkl', 4); // wrapped: 0x00000001, out of order
    h.c(isn + 5, ACK, 'efgh', 5); // 0xfffffffd..0x00000000
    h.c(isn + 5, ACK, 'efgh', 6); // retransmission across the wrap
    expect(h.stream(0, 0)).toBe('abcdefghijkl');
    expect(h.events.filter((e) => e.kind === 'data').map((e) => e.kind === 'data' && e.offset)).toEqual([0, 4, 8]);
  });

  it('keeps counting past 4 GiB of stream', () => {
    let lastOffset = -1;
    const r = new TcpReassembler({ open: () => ({ data: (c) => (lastOffset = c.streamOffset), gap() {}, end() {} }) });
    r.segment(...seg(C, 40000, S, 1883, 0, SYN));
    const big = new Uint8Array(1 << 20);
    let seq = 1;
    for (let i = 0; i < 4097; i++) {
      r.segment(...seg(C, 40000, S, 1883, seq, ACK, big, 2 + i));
      seq = (seq + big.length) >>> 0;
    }
    expect(lastOffset).toBe(4096 * 2 ** 20);
  });

  it('starts mid-stream at the first byte seen, the first sender as client', () => {
    const h = harness();
    h.s(9000, PSH | ACK, 'server-first', 1);
    h.c(300, PSH | ACK, 'then-client', 2);
    h.s(9012, PSH | ACK, '!', 3);
    expect(h.flows).toEqual([{ id: 0, client: '10.0.0.2:1883', server: '10.0.0.1:40000', sawSyn: false }]);
    expect(h.events.map((e) => e.kind === 'data' && [e.dir, e.offset, e.text])).toEqual([
      [0, 0, 'server-first'],
      [1, 0, 'then-client'],
      [0, 12, '!'],
    ]);
  });

  it('takes the receiver of a first-seen SYN-ACK as the client, its ack as the client offset 0', () => {
    const h = harness();
    h.s(5000, SYN | ACK, '', 1, 101);
    h.c(105, ACK, 'efgh', 2, 5001); // bytes 101..104 were never seen
    h.c(101, ACK, 'abcd', 3);
    expect(h.flows[0]).toEqual({ id: 0, client: '10.0.0.1:40000', server: '10.0.0.2:1883', sawSyn: true });
    expect(h.stream(0, 0)).toBe('abcdefgh');
  });

  it('reports a hole at close with its stream offset and length, then delivers what follows', () => {
    const h = harness();
    handshake(h);
    h.c(101, ACK, '0123456789', 4);
    h.c(121, ACK, 'KLMNOPQRST', 5); // 111..120 lost by the capture
    h.c(131, FIN | ACK, '', 6);
    h.s(5001, FIN | ACK, '', 7);
    h.c(132, ACK, '', 8); // the last ACK belongs to the closed flow: no new flow
    expect(h.events).toEqual([
      { flow: 0, kind: 'data', dir: 0, offset: 0, text: '0123456789', frame: 4 },
      { flow: 0, kind: 'gap', dir: 0, offset: 10, length: 10, frame: 5 },
      { flow: 0, kind: 'data', dir: 0, offset: 20, text: 'KLMNOPQRST', frame: 5 },
      { flow: 0, kind: 'end', reason: 'closed' },
    ]);
    expect(h.flows).toHaveLength(1);
    expect(h.r.openFlows).toBe(0);
  });

  it('ends a flow on RST and starts a new one on a new SYN (port reuse), ids in order of first packet', () => {
    const h = harness();
    handshake(h);
    h.c(101, ACK, 'first', 4);
    h.send('10.0.0.9', 5555, S, 1883, 1, PSH | ACK, 'other flow', 5);
    h.s(5001, RST | ACK, '', 6);
    h.c(106, ACK, 'late', 7); // after the reset: ignored, same tuple
    h.c(7777, SYN, '', 8); // port reuse
    h.s(300, SYN | ACK, '', 9, 7778);
    h.c(7778, ACK, 'second', 10);
    expect(h.flows.map((f) => [f.id, f.client, f.server])).toEqual([
      [0, '10.0.0.1:40000', '10.0.0.2:1883'],
      [1, '10.0.0.9:5555', '10.0.0.2:1883'],
      [2, '10.0.0.1:40000', '10.0.0.2:1883'],
    ]);
    expect(h.events.filter((e) => e.kind === 'end')).toEqual([{ flow: 0, kind: 'end', reason: 'reset' }]);
    expect(h.stream(0, 0)).toBe('first');
    expect(h.stream(2, 0)).toBe('second');
    expect(h.r.openFlows).toBe(2);
  });

  it('keeps a retransmitted SYN in its flow, and ends an open flow whose ports a new SYN reuses', () => {
    const h = harness();
    h.c(100, SYN, '', 1);
    h.c(100, SYN, '', 2); // retransmitted SYN
    h.s(5000, SYN | ACK, '', 3, 101);
    h.c(101, ACK, 'x', 4);
    expect(h.flows).toHaveLength(1);
    h.c(900, SYN, '', 5); // no FIN seen: the old connection is gone all the same
    expect(h.flows).toHaveLength(2);
    expect(h.events.at(-1)).toEqual({ flow: 0, kind: 'end', reason: 'closed' });
    expect(h.warnings[0]!.message).toMatch(/TCP flow 0 .* a new SYN reused its ports before it closed/);
  });

  it('bounds the out-of-order buffer: past maxPendingBytes the hole is skipped and reported', () => {
    const h = harness({ maxPendingBytes: 25 });
    handshake(h);
    h.c(101, ACK, 'aaaaa', 4);
    h.c(116, ACK, '0123456789', 5); // hole 106..115
    h.c(126, ACK, '0123456789', 6);
    expect(h.events.filter((e) => e.kind !== 'data' || e.offset > 0)).toEqual([]);
    h.c(136, ACK, '0123456789', 7); // 30 bytes pending > 25
    expect(h.events.slice(1)).toEqual([
      { flow: 0, kind: 'gap', dir: 0, offset: 5, length: 10, frame: 5 },
      { flow: 0, kind: 'data', dir: 0, offset: 15, text: '0123456789', frame: 5 },
      { flow: 0, kind: 'data', dir: 0, offset: 25, text: '0123456789', frame: 6 },
      { flow: 0, kind: 'data', dir: 0, offset: 35, text: '0123456789', frame: 7 },
    ]);
    expect(h.warnings[0]!.message).toBe('TCP flow 0 client → server: more than 25 bytes waiting behind a hole, 10 bytes at stream offset 5 skipped');
    h.c(106, ACK, 'late-retransmission', 8); // too late: already skipped, ignored
    expect(h.events).toHaveLength(5);
  });

  it('stops delivering to a handler that says done, still ending it once', () => {
    const h = harness({ doneAfter: 1 });
    handshake(h);
    h.c(106, ACK, 'later', 4);
    h.c(101, ACK, 'first', 5);
    h.c(111, ACK, 'more', 6);
    h.s(5001, ACK, 'reply', 7);
    h.c(115, FIN | ACK, '', 8);
    h.s(5006, FIN | ACK, '', 9);
    expect(h.events).toEqual([
      { flow: 0, kind: 'data', dir: 0, offset: 0, text: 'first', frame: 5 },
      { flow: 0, kind: 'end', reason: 'closed' },
    ]);
  });

  it('finish() flushes buffered data after a gap and ends every open flow', () => {
    const h = harness();
    handshake(h);
    h.c(111, ACK, 'tail', 4);
    h.send('::1', 6000, '::1', 1883, 50, ACK, 'v6', 5);
    h.r.finish();
    expect(h.events).toEqual([
      { flow: 1, kind: 'data', dir: 0, offset: 0, text: 'v6', frame: 5 },
      { flow: 0, kind: 'gap', dir: 0, offset: 0, length: 10, frame: 4 },
      { flow: 0, kind: 'data', dir: 0, offset: 10, text: 'tail', frame: 4 },
      { flow: 0, kind: 'end', reason: 'capture-ended' },
      { flow: 1, kind: 'end', reason: 'capture-ended' },
    ]);
    expect(h.flows[1]).toMatchObject({ client: '[::1]:6000', server: '[::1]:1883' });
    expect(h.r.openFlows).toBe(0);
  });

  it('passes the payload view straight through on the in-order path (no copy)', () => {
    let seen: Uint8Array | undefined;
    const r = new TcpReassembler({ open: () => ({ data: (c) => (seen = c.bytes), gap() {}, end() {} }) });
    const [d, sgm] = seg(C, 1, S, 2, 10, ACK, 'abc');
    r.segment(d, sgm);
    expect(seen).toBe(sgm.payload);
  });

  it('forgets closed flows beyond maxClosedFlows (memory bounded by open flows)', () => {
    let opened = 0;
    const r = new TcpReassembler({ maxClosedFlows: 10, open: () => (opened++, { data() {}, gap() {}, end() {} }) });
    for (let port = 1; port <= 100; port++) {
      r.segment(...seg(C, port, S, 80, 1, SYN));
      r.segment(...seg(C, port, S, 80, 2, RST));
    }
    expect(opened).toBe(100);
    expect(r.openFlows).toBe(0);
    // Ten tombstones, each entered both ways.
    expect((r as unknown as { table: Map<number, unknown> }).table.size).toBe(20);
  });

  it('ends the oldest open flow beyond maxOpenFlows: a SYN flood keeps memory bounded (found by fuzzing, issue 18)', () => {
    const ended: [number, string][] = [];
    const warnings: CaptureWarning[] = [];
    const r = new TcpReassembler({
      maxOpenFlows: 10,
      warn: (w) => warnings.push(w),
      open: (flow) => ({ data() {}, gap() {}, end: (reason) => void ended.push([flow.id, reason]) }),
    });
    for (let port = 1; port <= 100; port++) r.segment(...seg(C, port, S, 80, 1, SYN, '', port));
    expect(r.openFlows).toBe(10);
    expect(ended).toHaveLength(90);
    expect(ended.slice(0, 2)).toEqual([
      [0, 'capture-ended'],
      [1, 'capture-ended'],
    ]);
    expect(warnings[0]).toMatchObject({ packet: 11, message: expect.stringMatching(/^TCP flow 0 \(10\.0\.0\.1:1 ↔ 10\.0\.0\.2:80\) ended early: more than 10 flows open at once/) });
    // A late packet of an ended flow is absorbed by its tombstone, not taken for a new flow.
    r.segment(...seg(C, 1, S, 80, 2, PSH | ACK, 'late', 101));
    expect(r.openFlows).toBe(10);
  });

  it('tells apart flows that share their ports (other hosts, symmetric ports) and finds each again', () => {
    const h = harness();
    const hosts = ['10.0.0.1', '10.0.0.3', '10.0.0.5'];
    for (const [i, host] of hosts.entries()) h.send(host, 40000, S, 1883, 10, PSH | ACK, `hello from ${i}`, i + 1);
    h.send('10.9.0.1', 5000, '10.9.0.2', 5000, 1, PSH | ACK, 'sym-a', 4);
    h.send('10.9.0.2', 5000, '10.9.0.1', 5000, 1, PSH | ACK, 'sym-b', 5);
    for (const [i, host] of hosts.entries()) h.send(S, 1883, host, 40000, 99, PSH | ACK, `reply ${i}`, 6 + i);
    for (const [i, host] of hosts.entries()) h.send(host, 40000, S, 1883, 10 + 12, PSH | ACK, `, again ${i}`, 9 + i);
    expect(h.flows.map((f) => f.client)).toEqual(['10.0.0.1:40000', '10.0.0.3:40000', '10.0.0.5:40000', '10.9.0.1:5000']);
    for (let i = 0; i < 3; i++) {
      expect(h.stream(i, 0)).toBe(`hello from ${i}, again ${i}`);
      expect(h.stream(i, 1)).toBe(`reply ${i}`);
    }
    expect([h.stream(3, 0), h.stream(3, 1)]).toEqual(['sym-a', 'sym-b']);
    h.send(hosts[1]!, 40000, S, 1883, 0, RST, '', 20);
    h.send(hosts[1]!, 40000, S, 1883, 500, SYN, '', 21); // reuse on a shared ports pair
    expect(h.flows).toHaveLength(5);
    expect(h.r.openFlows).toBe(4);
  });
});
