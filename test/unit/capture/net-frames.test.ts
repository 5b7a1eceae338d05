import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeFrame, ipv6String, type FrameResult } from '../../../main/capture/frames';
import { Ipv4Reassembler } from '../../../main/capture/ip-fragments';
import type { IpDatagram } from '../../../main/capture/types';
import { concat, ethernet, ipv4, ipv6, ipv6FragmentBody, nullLoop, packet, sll, sll2, tcp, text, udp, v6 } from './net-builders';

const TCP = tcp({ sport: 40000, dport: 1883, seq: 1, payload: text('hello') });

function decode(linkType: number, data: Uint8Array, frags = new Ipv4Reassembler(), number = 1, seconds?: number): FrameResult {
  return decodeFrame(packet(linkType, data, number, seconds), frags);
}

function datagram(r: FrameResult): IpDatagram {
  if (r.kind !== 'ip') throw new Error(`expected a datagram, got ${JSON.stringify(r)}`);
  return r.datagram;
}

function reason(r: FrameResult): string {
  if (r.kind !== 'skip' || r.reason === undefined) throw new Error(`expected a skip with a reason, got ${r.kind}`);
  return r.reason;
}

describe('decodeFrame: link layers', () => {
  it('reads Ethernet + IPv4 + TCP and trims the Ethernet padding', () => {
    const small = ipv4(tcp({ payload: new Uint8Array(0) }));
    const padded = concat(ethernet(0x0800, small), new Uint8Array(6)); // 14 + 40 + 6 = 60-byte minimum frame
    const d = datagram(decode(1, padded));
    expect(d).toMatchObject({ family: 4, src: '10.0.0.1', dst: '10.0.0.2', protocol: 6 });
    expect(d.payload.length).toBe(20);
    expect(d.fragments).toBeUndefined();
  });

  it('follows 802.1Q, QinQ (0x88a8, 0x9100) and nested tags', () => {
    for (const tags of [
      [[0x8100, 10]],
      [[0x88a8, 100], [0x8100, 10]],
      [[0x9100, 7], [0x8100, 8]],
      [[0x88a8, 1], [0x8100, 2], [0x8100, 3]],
    ] as [number, number][][]) {
      const d = datagram(decode(1, ethernet(0x0800, ipv4(TCP), tags)));
      expect(d.payload).toEqual(TCP);
    }
    const v6frame = ethernet(0x86dd, ipv6(TCP), [[0x8100, 5]]);
    expect(datagram(decode(1, v6frame)).src).toBe('2001:db8::1');
  });

  it('skips ARP and 802.3/LLC frames quietly, and a runaway VLAN stack with a reason', () => {
    expect(decode(1, ethernet(0x0806, new Uint8Array(28)))).toEqual({ kind: 'skip' });
    expect(decode(1, ethernet(0x0026, new Uint8Array(38)))).toEqual({ kind: 'skip' });
    const tags = Array.from({ length: 9 }, () => [0x8100, 1] as [number, number]);
    expect(reason(decode(1, ethernet(0x0800, ipv4(TCP), tags)))).toMatch(/more than 8 nested tags/);
    expect(reason(decode(1, ethernet(0x8100, new Uint8Array(2))))).toBe('VLAN tag at byte 14: 2 bytes, need 4');
    expect(reason(decode(1, new Uint8Array(10)))).toBe('Ethernet header at byte 0: 10 bytes, need 14');
  });

  it('reads Linux SLL (113) and SLL2 (276)', () => {
    expect(datagram(decode(113, sll(0x0800, ipv4(TCP)))).payload).toEqual(TCP);
    expect(datagram(decode(113, sll(0x86dd, ipv6(TCP)))).family).toBe(6);
    expect(datagram(decode(276, sll2(0x0800, ipv4(TCP)))).payload).toEqual(TCP);
    expect(datagram(decode(276, sll2(0x86dd, ipv6(TCP)))).dst).toBe('2001:db8::2');
    expect(decode(113, sll(0x0004, new Uint8Array(20)))).toEqual({ kind: 'skip' });
    expect(reason(decode(276, new Uint8Array(19)))).toMatch(/SLL2 header at byte 0/);
  });

  it('reads BSD NULL in either byte order and OpenBSD LOOP (big-endian)', () => {
    for (const le of [true, false]) {
      expect(datagram(decode(0, nullLoop(2, le, ipv4(TCP)))).family).toBe(4);
      for (const af of [24, 28, 30]) expect(datagram(decode(0, nullLoop(af, le, ipv6(TCP)))).family).toBe(6);
    }
    expect(datagram(decode(108, nullLoop(2, false, ipv4(TCP)))).family).toBe(4);
    expect(datagram(decode(108, nullLoop(24, false, ipv6(TCP)))).family).toBe(6);
    expect(decode(0, nullLoop(7, true, new Uint8Array(20)))).toEqual({ kind: 'skip' });
  });

  it('reads raw IP: 101/12/14 by the version nibble, 228 IPv4, 229 IPv6', () => {
    for (const lt of [101, 12, 14]) {
      expect(datagram(decode(lt, ipv4(TCP))).family).toBe(4);
      expect(datagram(decode(lt, ipv6(TCP))).family).toBe(6);
    }
    expect(datagram(decode(228, ipv4(TCP))).family).toBe(4);
    expect(datagram(decode(229, ipv6(TCP))).family).toBe(6);
    expect(reason(decode(101, Uint8Array.from([0x50, 0, 0])))).toBe('raw IP version at byte 0: 5, neither 4 nor 6');
    expect(reason(decode(229, ipv4(TCP)))).toBe('IPv6 version at byte 0: 4');
  });

  it('names an unknown link type', () => {
    expect(reason(decode(147, new Uint8Array(40)))).toBe('link type 147 is not supported (interface 0)');
  });
});

describe('decodeFrame: IPv4', () => {
  it('skips the IP options (IHL > 5)', () => {
    const d = datagram(decode(228, ipv4(TCP, { options: [0x94, 0x04, 0, 0, 0x01, 0x01, 0x01, 0x00] })));
    expect(d.payload).toEqual(TCP);
  });

  it('passes UDP and other protocols through with their number', () => {
    const u = udp(text('krb'), 5000, 88);
    expect(datagram(decode(228, ipv4(u, { protocol: 17 })))).toMatchObject({ protocol: 17, payload: u });
    expect(datagram(decode(228, ipv4(new Uint8Array(8), { protocol: 1 }))).protocol).toBe(1);
  });

  it('reports broken headers with the field and its offset', () => {
    expect(reason(decode(1, ethernet(0x0800, ipv4(TCP, { ihl: 12 }))))).toBe('IPv4 header length at byte 14: 12 bytes, less than 20');
    expect(reason(decode(1, ethernet(0x0800, ipv4(TCP, { ihl: 60 }))))).toBe('IPv4 header length at byte 14: 60 bytes, runs past the 45 captured');
    expect(reason(decode(1, ethernet(0x0800, ipv4(TCP, { totalLength: 400 }))))).toBe('IPv4 total length at byte 16: 400, runs past the 45 bytes of the frame');
    expect(reason(decode(1, ethernet(0x0800, ipv4(TCP, { totalLength: 10 }))))).toBe('IPv4 total length at byte 16: 10, less than the 20-byte header');
    expect(reason(decode(1, ethernet(0x0800, Uint8Array.from([0x60, ...new Uint8Array(30)]))))).toBe('IPv4 version at byte 14: 6');
    expect(reason(decode(1, ethernet(0x0800, new Uint8Array(12))))).toBe('IPv4 header at byte 14: 12 bytes, need 20');
    const cut = ethernet(0x0800, ipv4(TCP, { totalLength: 1500 }));
    expect(reason(decodeFrame(packet(1, cut, 1, 0, 1514), new Ipv4Reassembler()))).toMatch(/IPv4 total length at byte 16: 1500, the frame was cut to 59 bytes by the snap length/);
  });

  it('takes a total length of 0 (TSO super-packet) as "what was captured"', () => {
    expect(datagram(decode(228, ipv4(TCP, { totalLength: 0 }))).payload).toEqual(TCP);
  });

  it('reassembles fragments out of order, first-seen bytes winning an overlap', () => {
    const whole = concat(udp(text('0123456789abcdef0123456789ABCDEF'), 5000, 88)); // 40 bytes
    const frags = new Ipv4Reassembler();
    const f = (off: number, end: number, more: boolean, fill?: number) =>
      ethernet(0x0800, ipv4(fill === undefined ? whole.subarray(off, end) : new Uint8Array(end - off).fill(fill), { protocol: 17, id: 77, fragOffset: off, more }));
    expect(decode(1, f(32, 40, false), frags, 10)).toEqual({ kind: 'fragment' });
    expect(decode(1, f(8, 24, true), frags, 11)).toEqual({ kind: 'fragment' });
    // Overlaps 16..24 (already seen) with garbage: the first-seen bytes must win.
    expect(decode(1, f(16, 32, true, 0xee), frags, 12)).toEqual({ kind: 'fragment' });
    const done = datagram(decode(1, f(0, 8, true), frags, 13));
    expect(done.payload.subarray(0, 24)).toEqual(whole.subarray(0, 24));
    expect(done.payload.subarray(24, 32)).toEqual(new Uint8Array(8).fill(0xee));
    expect(done.payload.subarray(32)).toEqual(whole.subarray(32));
    expect(done.fragments).toEqual([10, 11, 12, 13]);
    expect(done.packet.number).toBe(13);
    expect(frags.pendingDatagrams).toBe(0);
    expect(frags.pendingBytes).toBe(0);
  });

  it('keeps datagrams with the same id apart by source, destination and protocol', () => {
    const frags = new Ipv4Reassembler();
    const a = ipv4(new Uint8Array(8).fill(1), { id: 5, more: true });
    const b = ipv4(new Uint8Array(8).fill(2), { id: 5, more: true, src: '10.9.9.9' });
    decode(228, a, frags);
    decode(228, b, frags);
    const endA = datagram(decode(228, ipv4(new Uint8Array(4).fill(3), { id: 5, fragOffset: 8 }), frags));
    expect(Array.from(endA.payload)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 3, 3, 3, 3]);
    expect(frags.pendingDatagrams).toBe(1);
  });
});

describe('decodeFrame: IPv6', () => {
  it('walks hop-by-hop, routing, destination options and AH to the TCP header', () => {
    const ext = [{ type: 0 }, { type: 43, body: [0, 0, 0, 0, 0, 0, ...new Array(8).fill(0)] }, { type: 60 }, { type: 51, body: new Array(14).fill(0) }];
    const d = datagram(decode(229, ipv6(TCP, { ext })));
    expect(d).toMatchObject({ family: 6, protocol: 6, src: '2001:db8::1', dst: '2001:db8::2' });
    expect(d.payload).toEqual(TCP);
  });

  it('stops at No Next Header (59) and passes other upper layers (ICMPv6 58) through', () => {
    expect(decode(229, ipv6(new Uint8Array(0), { protocol: 59 }))).toEqual({ kind: 'skip' });
    expect(datagram(decode(229, ipv6(new Uint8Array(8), { protocol: 58 }))).protocol).toBe(58);
  });

  it('names a broken extension header and a payload length past the frame', () => {
    const bad = ipv6(TCP, { ext: [{ type: 60, body: [0, 0, 0, 0, 0, 0] }] });
    bad[41] = 200; // Hdr Ext Len: (200 + 1) × 8 bytes
    expect(reason(decode(229, bad))).toBe('IPv6 extension header 60 length at byte 41: 1608 bytes, runs past the 33 left');
    expect(reason(decode(229, ipv6(TCP, { payloadLength: 500 })))).toBe('IPv6 payload length at byte 4: 500, runs past the 25 bytes of the frame');
  });

  it('reassembles IPv6 fragments (and reads an atomic fragment as a whole datagram)', () => {
    const whole = tcp({ payload: text('0123456789abcdefghij') }); // 40 bytes
    const frags = new Ipv4Reassembler();
    const second = ipv6(whole.subarray(24), { protocol: 6, ext: [{ type: 44, body: ipv6FragmentBody(24, false, 0xabcdef) }] });
    const first = ipv6(whole.subarray(0, 24), { protocol: 6, ext: [{ type: 44, body: ipv6FragmentBody(0, true, 0xabcdef) }] });
    expect(decode(229, second, frags, 3)).toEqual({ kind: 'fragment' });
    const d = datagram(decode(229, first, frags, 4));
    expect(d.payload).toEqual(whole);
    expect(d.fragments).toEqual([3, 4]);
    const atomic = ipv6(whole, { ext: [{ type: 44, body: ipv6FragmentBody(0, false, 9) }] });
    expect(datagram(decode(229, atomic)).payload).toEqual(whole);
  });
});

describe('addresses', () => {
  it('prints IPv6 per RFC 5952', () => {
    const cases: [string, string][] = [
      ['0:0:0:0:0:0:0:1', '::1'],
      ['0:0:0:0:0:0:0:0', '::'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
      ['fe80:0:0:0:0:0:0:0', 'fe80::'],
      ['2001:DB8:AAAA:0:0:0:0:FFFF', '2001:db8:aaaa::ffff'],
      ['0:0:0:0:0:ffff:c000:280', '::ffff:192.0.2.128'],
    ];
    for (const [input, want] of cases) expect(ipv6String(Uint8Array.from(v6(input)), 0)).toBe(want);
  });

  it('agrees with the WHATWG URL serializer (RFC 5952 compression) on random addresses, cache included', () => {
    const group = fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff }));
    fc.assert(
      fc.property(fc.array(group, { minLength: 8, maxLength: 8 }), (g) => {
        fc.pre(!(g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff));
        const bytes = Uint8Array.from(g.flatMap((x) => [x >>> 8, x & 0xff]));
        const url = new URL(`http://[${g.map((x) => x.toString(16)).join(':')}]/`).hostname.slice(1, -1);
        expect(ipv6String(bytes, 0)).toBe(url);
        expect(ipv6String(bytes, 0)).toBe(url);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('decodeFrame: hostile bytes', () => {
  it('never throws, whatever the link type and bytes', () => {
    const frags = new Ipv4Reassembler();
    fc.assert(
      fc.property(fc.constantFrom(0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 999), fc.uint8Array({ maxLength: 120 }), (lt, bytes) => {
        const r = decodeFrame(packet(lt, bytes), frags);
        expect(['ip', 'skip', 'fragment']).toContain(r.kind);
      }),
      { numRuns: 1000 },
    );
  });

  it('never throws on mutated valid frames', () => {
    const frags = new Ipv4Reassembler();
    const bases = [
      ethernet(0x0800, ipv4(TCP, { options: [1, 1, 1, 0] }), [[0x8100, 3]]),
      ethernet(0x86dd, ipv6(TCP, { ext: [{ type: 0 }, { type: 44, body: ipv6FragmentBody(8, true, 1) }] })),
      sll2(0x0800, ipv4(TCP, { more: true, fragOffset: 64 })),
    ];
    fc.assert(
      fc.property(fc.constantFrom(...bases), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.nat(), (base, edits, cut) => {
        const b = base.slice(0, Math.max(0, base.length - (cut % 8)));
        for (const [i, v] of edits) if (b.length > 0) b[i % b.length] = v;
        const lt = base === bases[2] ? 276 : 1;
        expect(() => decodeFrame(packet(lt, b), frags)).not.toThrow();
      }),
      { numRuns: 1000 },
    );
  });
});
