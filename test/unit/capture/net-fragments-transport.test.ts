import { describe, expect, it } from 'vitest';
import { Ipv4Reassembler } from '../../../main/capture/ip-fragments';
import { parseTcp, parseUdp, TcpFlag } from '../../../main/capture/transport';
import type { CaptureWarning } from '../../../main/capture/types';
import { concat, ref, tcp, text, udp } from './net-builders';

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);

describe('Ipv4Reassembler', () => {
  it('completes in any order and records every frame number', () => {
    const r = new Ipv4Reassembler();
    expect(r.add('a', 'b', 17, 1, 16, false, bytes(4, 3), ref(7))).toEqual({ kind: 'pending' });
    expect(r.add('a', 'b', 17, 1, 0, true, bytes(8, 1), ref(8))).toEqual({ kind: 'pending' });
    const done = r.add('a', 'b', 17, 1, 8, true, bytes(8, 2), ref(9));
    expect(done).toEqual({ kind: 'complete', payload: concat(bytes(8, 1), bytes(8, 2), bytes(4, 3)), fragments: [7, 8, 9] });
  });

  it('copies the fragment bytes (the caller reuses its buffers)', () => {
    const r = new Ipv4Reassembler();
    const buf = bytes(8, 1);
    r.add('a', 'b', 6, 2, 0, true, buf, ref(1));
    buf.fill(9);
    const done = r.add('a', 'b', 6, 2, 8, false, bytes(8, 2), ref(2));
    expect(done.kind === 'complete' && Array.from(done.payload.subarray(0, 8))).toEqual(Array.from(bytes(8, 1)));
  });

  it('lets the first-seen bytes win overlaps, and the first last-fragment fix the length', () => {
    const r = new Ipv4Reassembler();
    r.add('a', 'b', 6, 3, 8, false, bytes(8, 2), ref(1));
    r.add('a', 'b', 6, 3, 8, false, bytes(16, 5), ref(2)); // contradicts: ignored past the first total
    r.add('a', 'b', 6, 3, 4, true, bytes(8, 7), ref(3));
    const done = r.add('a', 'b', 6, 3, 0, true, bytes(8, 1), ref(4));
    expect(done.kind === 'complete' && Array.from(done.payload)).toEqual([1, 1, 1, 1, 7, 7, 7, 7, 2, 2, 2, 2, 2, 2, 2, 2]);
  });

  it('drops a datagram still incomplete after 30 s of capture time, with a warning', () => {
    const warnings: CaptureWarning[] = [];
    const r = new Ipv4Reassembler({ warn: (w) => warnings.push(w) });
    r.add('10.0.0.1', '10.0.0.2', 17, 0x42, 0, true, bytes(8, 1), ref(5, 100));
    r.add('10.0.0.1', '10.0.0.2', 17, 0x43, 0, true, bytes(8, 1), ref(6, 120));
    expect(r.add('10.0.0.1', '10.0.0.2', 17, 0x44, 0, true, bytes(8, 1), ref(7, 131))).toEqual({ kind: 'pending' });
    expect(warnings).toEqual([
      { packet: 5, message: 'IP datagram 10.0.0.1 → 10.0.0.2 protocol 17 id 0x42 dropped, incomplete after 30 s of capture time (fragments in frames 5)' },
    ]);
    expect(r.pendingDatagrams).toBe(2);
    // The late last fragment of the dropped datagram starts over and stays pending.
    expect(r.add('10.0.0.1', '10.0.0.2', 17, 0x42, 8, false, bytes(8, 2), ref(8, 131))).toEqual({ kind: 'pending' });
  });

  it('bounds memory: evicts the oldest datagram beyond maxDatagrams or maxBytes', () => {
    const warnings: CaptureWarning[] = [];
    const r = new Ipv4Reassembler({ maxDatagrams: 3, warn: (w) => warnings.push(w) });
    for (let id = 0; id < 10; id++) r.add('a', 'b', 6, id, 0, true, bytes(8, id), ref(id + 1));
    expect(r.pendingDatagrams).toBe(3);
    expect(r.pendingBytes).toBe(24);
    expect(warnings).toHaveLength(7);
    expect(warnings[0]!.message).toMatch(/id 0x0 dropped, evicted/);

    const big = new Ipv4Reassembler({ maxBytes: 70_000, warn: () => {} });
    for (let id = 0; id < 5; id++) big.add('a', 'b', 6, id, 0, true, bytes(30_000, 1), ref(id));
    expect(big.pendingBytes).toBeLessThanOrEqual(70_000);
    expect(big.pendingDatagrams).toBe(2);
  });

  it('refuses a fragment that would pass 65 535 bytes', () => {
    const r = new Ipv4Reassembler();
    expect(r.add('a', 'b', 6, 1, 65_528, false, bytes(16, 0), ref(1))).toEqual({ kind: 'error', reason: 'fragment offset 65528 + length 16 exceeds 65535 bytes' });
  });

  it('warns about what is pending when the capture ends', () => {
    const warnings: CaptureWarning[] = [];
    const r = new Ipv4Reassembler({ warn: (w) => warnings.push(w) });
    r.add('a', 'b', 6, 1, 8, false, bytes(8, 0), ref(3));
    r.finish();
    expect(warnings[0]!.message).toMatch(/the capture ended before all its fragments arrived \(fragments in frames 3\)/);
    expect(r.pendingDatagrams).toBe(0);
  });
});

describe('parseTcp', () => {
  it('reads ports, numbers, flags and the payload after the options', () => {
    const seg = tcp({ sport: 1234, dport: 1883, seq: 0xfffffff0, ack: 0x80000001, flags: TcpFlag.PSH | TcpFlag.ACK, options: [1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2], payload: text('MQTT') });
    const r = parseTcp(concat([9, 9], seg), 2);
    expect(r).toEqual({ srcPort: 1234, dstPort: 1883, seq: 0xfffffff0, ack: 0x80000001, flags: 0x18, payload: text('MQTT') });
  });

  it('reports a short header and a bad data offset', () => {
    expect(parseTcp(new Uint8Array(12), 0)).toEqual({ error: 'TCP header at byte 0: 12 bytes, need 20' });
    const bad = tcp({});
    bad[12] = 0x40;
    expect(parseTcp(bad, 0)).toEqual({ error: 'TCP data offset at byte 12: 16 bytes, less than 20' });
    bad[12] = 0xf0;
    expect(parseTcp(bad, 0)).toEqual({ error: 'TCP data offset at byte 12: 60 bytes, runs past the 20 bytes of the segment' });
  });
});

describe('parseUdp', () => {
  it('reads the payload up to the UDP length', () => {
    expect(parseUdp(concat(udp(text('as-req'), 50000, 88), [0, 0]), 0)).toEqual({ srcPort: 50000, dstPort: 88, payload: text('as-req') });
  });

  it('reports bad lengths with their offset', () => {
    expect(parseUdp(new Uint8Array(4), 0)).toEqual({ error: 'UDP header at byte 0: 4 bytes, need 8' });
    expect(parseUdp(udp(text('x'), 1, 2, 4), 0)).toEqual({ error: 'UDP length at byte 4: 4, less than the 8-byte header' });
    expect(parseUdp(concat([0], udp(text('x'), 1, 2, 99)), 1)).toEqual({ error: 'UDP length at byte 5: 99, runs past the 9 bytes of the datagram' });
    expect(parseUdp(udp(text('jumbo'), 1, 2, 0), 0)).toMatchObject({ payload: text('jumbo') });
  });
});
