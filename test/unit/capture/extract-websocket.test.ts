/**
 * WebSocket deframing (RFC 6455 §5): the data frames' payload, unmasked, as one stream per
 * direction with its own offsets and the packets that carried it — masked and unmasked frames,
 * 7-bit, 16-bit and 64-bit lengths, fragmented messages with control frames between their
 * fragments, any split of the bytes — and MQTT over WebSocket read through it. Frames are built
 * here byte by byte from §5.2's layout.
 */
import { describe, expect, it } from 'vitest';
import { generatePacket } from '../../../main/broker/framing';
import { type MqttStreamHandler, mqttExtractor } from '../../../main/capture/extract/mqtt';
import { WebSocketDeframer, type WebSocketError } from '../../../main/capture/extract/websocket';
import { CaptureRecorder } from '../../../main/capture/recorder';
import type { FlowDirection, StreamChunk, StreamGap, TcpStreamHandler } from '../../../main/capture/types';

interface FrameSpec {
  opcode: number;
  payload: Uint8Array;
  fin?: boolean;
  mask?: number[];
  /** Force the 16-bit or 64-bit length form for a short payload. */
  lengthForm?: 16 | 64;
  rsv?: number;
}

/** A frame as §5.2 lays it out. */
function frame({ opcode, payload, fin = true, mask, lengthForm, rsv = 0 }: FrameSpec): Buffer {
  const bytes: number[] = [(fin ? 0x80 : 0) | (rsv << 4) | opcode];
  const maskBit = mask ? 0x80 : 0;
  const length = payload.length;
  if (lengthForm === 64 || length > 0xffff) {
    bytes.push(maskBit | 127);
    const high = Math.floor(length / 2 ** 32);
    bytes.push((high >>> 24) & 0xff, (high >>> 16) & 0xff, (high >>> 8) & 0xff, high & 0xff);
    bytes.push((length >>> 24) & 0xff, (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff);
  } else if (lengthForm === 16 || length > 125) {
    bytes.push(maskBit | 126, (length >> 8) & 0xff, length & 0xff);
  } else {
    bytes.push(maskBit | length);
  }
  const body = Buffer.from(payload);
  if (mask) {
    bytes.push(...mask);
    for (let k = 0; k < body.length; k++) body[k] = body[k]! ^ mask[k % 4]!;
  }
  return Buffer.concat([Buffer.from(bytes), body]);
}

class Collector implements TcpStreamHandler {
  readonly chunks: StreamChunk[] = [];
  readonly gaps: StreamGap[] = [];
  ended: string | undefined;
  data(chunk: StreamChunk): void {
    // The deframer's bytes are views valid during the call, as the scan's are.
    this.chunks.push({ ...chunk, bytes: new Uint8Array(chunk.bytes) });
  }
  gap(gap: StreamGap): void {
    this.gaps.push(gap);
  }
  end(reason: string): void {
    this.ended = reason;
  }
  stream(direction: FlowDirection): Buffer {
    const mine = this.chunks.filter((chunk) => chunk.direction === direction);
    let offset = 0;
    for (const chunk of mine) {
      expect(chunk.streamOffset).toBe(offset);
      offset += chunk.bytes.length;
    }
    return Buffer.concat(mine.map((chunk) => chunk.bytes));
  }
}

/** Sends `wire` as segments cut at `cuts`, frame numbers from 1. */
function push(deframer: WebSocketDeframer, direction: FlowDirection, wire: Buffer, cuts: number[] = [], firstFrame = 1): void {
  const at = [0, ...cuts.filter((cut) => cut > 0 && cut < wire.length), wire.length];
  let offset = 0;
  for (let k = 0; k + 1 < at.length; k++) {
    const bytes = new Uint8Array(wire.subarray(at[k], at[k + 1]));
    deframer.data({ direction, bytes, streamOffset: offset, packet: { number: firstFrame + k, seconds: 1_700_000_000, nanos: k } });
    offset += bytes.length;
  }
}

const MASK = [0x37, 0xfa, 0x21, 0x3d];
const bytesOf = (length: number, seed = 1): Buffer => Buffer.from(Array.from({ length }, (_, k) => (k * 31 + seed) & 0xff));

describe('WebSocketDeframer', () => {
  it('unmasks client frames and passes server frames through, with payload offsets and packets', () => {
    const collector = new Collector();
    const deframer = new WebSocketDeframer(collector);
    push(deframer, 0, frame({ opcode: 2, payload: Buffer.from('Hello'), mask: MASK }), [], 4);
    push(deframer, 1, frame({ opcode: 2, payload: Buffer.from('World!') }), [], 5);
    push(deframer, 0, frame({ opcode: 2, payload: Buffer.from('again'), mask: [1, 2, 3, 4] }), [], 6);
    expect(collector.stream(0).toString()).toBe('Helloagain');
    expect(collector.stream(1).toString()).toBe('World!');
    expect(collector.chunks.map((chunk) => [chunk.direction, chunk.streamOffset, chunk.packet.number])).toEqual([
      [0, 0, 4],
      [1, 0, 5],
      [0, 5, 6],
    ]);
    expect(deframer.done).toBe(false);
  });

  it('reads the 16-bit and 64-bit lengths, in their shortest form or not', () => {
    const payloads = [bytesOf(126), bytesOf(300, 2), bytesOf(70_000, 3), bytesOf(5, 4), bytesOf(9, 5)];
    const wire = Buffer.concat([
      frame({ opcode: 2, payload: payloads[0]!, mask: MASK }),
      frame({ opcode: 2, payload: payloads[1]! }),
      frame({ opcode: 2, payload: payloads[2]!, mask: MASK }),
      frame({ opcode: 2, payload: payloads[3]!, lengthForm: 64, mask: MASK }),
      frame({ opcode: 2, payload: payloads[4]!, lengthForm: 16 }),
    ]);
    const collector = new Collector();
    push(new WebSocketDeframer(collector), 0, wire);
    expect(collector.stream(0).equals(Buffer.concat(payloads))).toBe(true);
  });

  it('joins a fragmented message, skips ping and pong between fragments, and keeps the close', () => {
    const closes: unknown[] = [];
    const collector = new Collector();
    const deframer = new WebSocketDeframer(collector, { onClose: (close) => closes.push(close) });
    const closePayload = Buffer.concat([Buffer.from([0x03, 0xe8]), Buffer.from('bye')]);
    const wire = Buffer.concat([
      frame({ opcode: 2, payload: Buffer.from('frag-1|'), fin: false, mask: MASK }),
      frame({ opcode: 9, payload: Buffer.from('ping?'), mask: MASK }),
      frame({ opcode: 0, payload: Buffer.from('frag-2|'), fin: false, mask: MASK }),
      frame({ opcode: 10, payload: Buffer.alloc(0), mask: MASK }),
      frame({ opcode: 0, payload: Buffer.from('frag-3'), mask: MASK }),
      frame({ opcode: 1, payload: Buffer.from('+text'), mask: MASK }),
      frame({ opcode: 8, payload: closePayload, mask: MASK }),
    ]);
    push(deframer, 0, wire, [], 9);
    expect(collector.stream(0).toString()).toBe('frag-1|frag-2|frag-3+text');
    expect(deframer.closes).toEqual([{ direction: 0, code: 1000, reason: 'bye', packet: { number: 9, seconds: 1_700_000_000, nanos: 0 } }]);
    expect(closes).toEqual(deframer.closes);
  });

  it('gives the same payload and close for any split of the bytes, and names each piece’s packet', () => {
    const closePayload = Buffer.from([0x03, 0xe9]);
    const wire = Buffer.concat([
      frame({ opcode: 2, payload: bytesOf(130), fin: false, mask: MASK }),
      frame({ opcode: 9, payload: Buffer.from('p'), mask: MASK }),
      frame({ opcode: 0, payload: bytesOf(20, 9), mask: MASK }),
      frame({ opcode: 2, payload: bytesOf(7, 3), lengthForm: 64, mask: MASK }),
      frame({ opcode: 8, payload: closePayload, mask: MASK }),
    ]);
    const expected = Buffer.concat([bytesOf(130), bytesOf(20, 9), bytesOf(7, 3)]);
    for (let cut = 1; cut < wire.length; cut++) {
      for (const cuts of [[cut], [cut, cut + 1, cut + 3]]) {
        const collector = new Collector();
        const deframer = new WebSocketDeframer(collector);
        push(deframer, 0, wire, cuts);
        expect(collector.stream(0).equals(expected), `cut at ${cuts.join(',')}`).toBe(true);
        expect(deframer.closes.map((close) => close.code)).toEqual([1001]);
        // Every payload byte is attributed to the segment it came in.
        for (const chunk of collector.chunks) {
          expect(chunk.packet.number).toBeGreaterThanOrEqual(1);
          expect(chunk.packet.number).toBeLessThanOrEqual(cuts.length + 1);
        }
      }
    }
    const collector = new Collector();
    push(new WebSocketDeframer(collector), 0, wire, Array.from({ length: wire.length }, (_, k) => k));
    expect(collector.stream(0).equals(expected)).toBe(true);
  });

  it('stops a direction at a frame that breaks §5.2 or §5.4, and says why with the frame number', () => {
    const cases: [Buffer, RegExp][] = [
      [frame({ opcode: 2, payload: Buffer.from('zz'), rsv: 4 }), /RSV bits 0b100.*permessage-deflate/],
      [frame({ opcode: 9, payload: Buffer.alloc(126) }), /control frame of 126 bytes/],
      [frame({ opcode: 9, payload: Buffer.alloc(1), fin: false }), /fragmented control frame/],
      [frame({ opcode: 0, payload: Buffer.from('x') }), /continuation frame with no message/],
      [Buffer.concat([frame({ opcode: 2, payload: Buffer.from('a'), fin: false }), frame({ opcode: 2, payload: Buffer.from('b') })]), /new data frame inside a fragmented message/],
      [frame({ opcode: 3, payload: Buffer.from('x') }), /reserved data opcode 0x3/],
      [frame({ opcode: 0xb, payload: Buffer.from('x') }), /reserved control opcode 0xb/],
      [Buffer.from([0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 1]), /most significant bit/],
    ];
    for (const [wire, message] of cases) {
      const errors: WebSocketError[] = [];
      const collector = new Collector();
      const deframer = new WebSocketDeframer(collector, { onError: (error) => errors.push(error) });
      push(deframer, 1, Buffer.concat([wire, frame({ opcode: 2, payload: Buffer.from('after') })]), [], 12);
      expect(errors).toHaveLength(1);
      expect(errors[0]!).toMatchObject({ direction: 1, packet: 12 });
      expect(errors[0]!.message).toMatch(message);
      expect(collector.stream(1).toString()).not.toContain('after');
      push(deframer, 0, frame({ opcode: 2, payload: Buffer.from('other side'), mask: MASK }));
      expect(collector.stream(0).toString()).toBe('other side');
    }
  });

  it('hands a gap on at the payload position reached, and the end as it came', () => {
    const collector = new Collector();
    const deframer = new WebSocketDeframer(collector);
    push(deframer, 0, frame({ opcode: 2, payload: Buffer.from('abc'), mask: MASK }));
    deframer.gap({ direction: 0, streamOffset: 9, length: 100, packet: { number: 3, seconds: 1, nanos: 0 } });
    push(deframer, 0, frame({ opcode: 2, payload: Buffer.from('lost'), mask: MASK }));
    deframer.gap({ direction: 1, streamOffset: 0, length: 5, packet: { number: 4, seconds: 1, nanos: 0 } });
    deframer.end('reset');
    expect(collector.stream(0).toString()).toBe('abc');
    expect(collector.gaps).toEqual([
      { direction: 0, streamOffset: 3, length: 100, packet: { number: 3, seconds: 1, nanos: 0 } },
      { direction: 1, streamOffset: 0, length: 5, packet: { number: 4, seconds: 1, nanos: 0 } },
    ]);
    expect(collector.ended).toBe('reset');
    expect(deframer.done).toBe(true);
  });
});

describe('MQTT over WebSocket', () => {
  it('reads the authentication through the deframer, packets split across frames and segments', () => {
    const recorders: CaptureRecorder[] = [];
    const ctx = {
      record: (init: ConstructorParameters<typeof CaptureRecorder>[0]) => {
        const recorder = new CaptureRecorder({ ...init, carriedBy: 'WebSocket' }, () => {});
        recorders.push(recorder);
        return recorder;
      },
      openInner: () => {
        throw new Error('not here');
      },
      warn: (warning: unknown) => {
        throw new Error(`unexpected warning ${JSON.stringify(warning)}`);
      },
    };
    const flow = { id: 2, client: '127.0.0.1:40000', server: '127.0.0.1:8080', sawSyn: true };
    const mqtt = mqttExtractor.create(flow, ctx) as MqttStreamHandler;
    const deframer = new WebSocketDeframer(mqtt);
    const token = bytesOf(400, 7);
    const connect = generatePacket({ cmd: 'connect', protocolVersion: 5, clientId: 'ws-client', properties: { authenticationMethod: 'GSSAPI-KERBEROS', authenticationData: token } }, 5);
    const connack = generatePacket({ cmd: 'connack', sessionPresent: false, reasonCode: 0 }, 5);
    const publish = generatePacket({ cmd: 'publish', topic: 't', payload: Buffer.from('x'), qos: 0, dup: false, retain: false }, 5);
    // The CONNECT in two WebSocket frames, the second split over two TCP segments; the Remaining
    // Length itself straddles the first frame boundary.
    const clientWire = Buffer.concat([frame({ opcode: 2, payload: connect.subarray(0, 2), fin: false, mask: MASK }), frame({ opcode: 0, payload: connect.subarray(2), mask: MASK })]);
    push(deframer, 0, clientWire, [100], 1);
    push(deframer, 1, frame({ opcode: 2, payload: Buffer.concat([connack, publish]) }), [], 3);
    deframer.end('capture-ended');
    const exchange = recorders[0]!.exchange;
    expect(exchange.capture.carriedBy).toBe('WebSocket');
    expect(exchange.steps.map((step) => step.transport.packet)).toEqual(['CONNECT', 'CONNACK 0x00']);
    expect(exchange.steps[0]!.packets).toEqual([1, 2]);
    expect(exchange.steps[0]!.token).toBe(token.toString('base64'));
    expect(exchange.steps[0]!.raw).toBe(connect.toString('base64'));
    expect(exchange.verdict.outcome).toBe('success');
    expect(exchange.capture.session!.packets).toEqual({ PUBLISH: 1 });
  });
});
