/**
 * MQTT packet framing: fixed header and Remaining Length (MQTT 5 §1.5.5, §2.1), whole packets
 * out of any split of the byte stream, oversize refused from the declared length alone, and
 * mqtt-packet's errors (and throws) turned into MalformedPacketError.
 */
import fc from 'fast-check';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import {
  MalformedPacketError,
  MAX_REMAINING_LENGTH,
  PacketFramer,
  PacketParser,
  PacketType,
  generatePacket,
  packetTypeName,
  parsePacket,
  peekProtocolLevel,
  readFixedHeader,
  variableByteInteger,
} from '../../../main/broker/framing';

/** MQTT 5 §1.5.5's boundary values of the Variable Byte Integer, with their encodings. */
const SPEC_VBI: [number, number[]][] = [
  [0, [0x00]],
  [127, [0x7f]],
  [128, [0x80, 0x01]],
  [16_383, [0xff, 0x7f]],
  [16_384, [0x80, 0x80, 0x01]],
  [2_097_151, [0xff, 0xff, 0x7f]],
  [2_097_152, [0x80, 0x80, 0x80, 0x01]],
  [MAX_REMAINING_LENGTH, [0xff, 0xff, 0xff, 0x7f]],
];

describe('variableByteInteger', () => {
  it.each(SPEC_VBI)('encodes %i as the spec does', (value, bytes) => {
    expect([...variableByteInteger(value)]).toEqual(bytes);
  });
  it('refuses what does not fit', () => {
    expect(() => variableByteInteger(MAX_REMAINING_LENGTH + 1)).toThrow(RangeError);
    expect(() => variableByteInteger(-1)).toThrow(RangeError);
  });
});

describe('readFixedHeader', () => {
  it.each(SPEC_VBI)('reads Remaining Length %i', (length, encoded) => {
    const bytes = Buffer.from([0x30, ...encoded]);
    const header = readFixedHeader(bytes)!;
    expect(header).toEqual({ type: PacketType.PUBLISH, flags: 0, remainingLength: length, headerLength: bytes.length, packetLength: bytes.length + length });
    // Every shorter prefix is incomplete, not an error.
    for (let end = 0; end < bytes.length; end++) expect(readFixedHeader(bytes.subarray(0, end))).toBeUndefined();
  });

  it('refuses a Remaining Length over 4 bytes, type 0, wrong flags, PUBLISH QoS 3', () => {
    expect(() => readFixedHeader(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]))).toThrow(/longer than 4 bytes/);
    expect(() => readFixedHeader(Buffer.from([0x00, 0x00]))).toThrow(MalformedPacketError);
    expect(() => readFixedHeader(Buffer.from([0x80, 0x00]))).toThrow(/SUBSCRIBE fixed-header flags must be 0b0010/);
    expect(() => readFixedHeader(Buffer.from([0xf1, 0x00]))).toThrow(/AUTH fixed-header flags/);
    expect(() => readFixedHeader(Buffer.from([0x36, 0x00]))).toThrow(/both QoS bits/);
    expect(readFixedHeader(Buffer.from([0x82, 0x00]))?.type).toBe(PacketType.SUBSCRIBE);
    expect(readFixedHeader(Buffer.from([0x3d, 0x00]))?.flags).toBe(0x0d);
  });

  it('names packet types', () => {
    expect(packetTypeName(15)).toBe('AUTH');
    expect(packetTypeName(0)).toBe('reserved (0)');
  });
});

const samplePackets: Packet[] = [
  { cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: 'c1', clean: true, keepalive: 30, properties: { authenticationMethod: 'GSSAPI-KERBEROS', authenticationData: Buffer.alloc(300, 7) } },
  { cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'GSSAPI-KERBEROS', authenticationData: Buffer.from([1, 2, 3]) } },
  { cmd: 'publish', topic: 'a/b', payload: Buffer.alloc(20_000, 1), qos: 1, messageId: 7, dup: false, retain: false, properties: { contentType: 'x' } },
  { cmd: 'pingreq' },
  { cmd: 'disconnect', reasonCode: 0 },
];

describe('PacketFramer', () => {
  const stream = Buffer.concat(samplePackets.map((p) => generatePacket(p, 5)));

  /** Packets as hex: vitest compares strings much faster than Buffers. */
  function frameAll(chunks: Buffer[], framer = new PacketFramer()): string[] {
    return chunks.flatMap((chunk) => framer.push(chunk).packets.map((f) => f.bytes.toString('hex')));
  }

  it('finds the same whole packets in one chunk, byte by byte, and at any split', () => {
    const expected = samplePackets.map((p) => generatePacket(p, 5).toString('hex'));
    expect(frameAll([stream])).toEqual(expected);
    expect(frameAll([...stream].map((b) => Buffer.from([b])))).toEqual(expected);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 12 }), (cuts) => {
        const points = [0, ...[...new Set(cuts)].sort((a, b) => a - b), stream.length];
        const chunks = points.slice(1).map((end, i) => stream.subarray(points[i], end));
        expect(frameAll(chunks)).toEqual(expected);
      }),
    );
  });

  it('hands out a packet inside one chunk without copying it', () => {
    const [first] = new PacketFramer().push(stream).packets;
    expect(first!.bytes.buffer).toBe(stream.buffer);
    expect(first!.header.type).toBe(PacketType.CONNECT);
  });

  it('refuses a packet over the limit from its fixed header, and keeps nothing of it', () => {
    const framer = new PacketFramer(1024);
    const small = generatePacket({ cmd: 'pingreq' }, 5);
    // A PUBLISH declaring 100 MB: only its first 7 bytes arrive.
    const result = framer.push(Buffer.concat([small, Buffer.from([0x30, ...variableByteInteger(100_000_000), 0x00, 0x01])]));
    expect(result.packets.map((p) => p.bytes)).toEqual([small]);
    expect(result.oversize).toMatchObject({ type: PacketType.PUBLISH, remainingLength: 100_000_000, packetLength: 100_000_005 });
    expect(framer.pendingBytes).toBe(0);
    expect(framer.push(Buffer.alloc(4096)).packets).toEqual([]);
    expect(framer.pendingBytes).toBe(0);
  });

  it('accepts a packet exactly at the limit', () => {
    const packet = generatePacket({ cmd: 'publish', topic: 't', payload: Buffer.alloc(100), qos: 0, dup: false, retain: false }, 5);
    expect(new PacketFramer(packet.length).push(packet).packets).toHaveLength(1);
    expect(new PacketFramer(packet.length - 1).push(packet).oversize?.packetLength).toBe(packet.length);
  });

  it('stops at a malformed fixed header, after the packets before it', () => {
    const framer = new PacketFramer();
    const result = framer.push(Buffer.concat([generatePacket({ cmd: 'pingreq' }, 5), Buffer.from([0x00, 0x00])]));
    expect(result.packets).toHaveLength(1);
    expect(result.malformed).toBeInstanceOf(MalformedPacketError);
    expect(framer.push(generatePacket({ cmd: 'pingreq' }, 5)).packets).toEqual([]);
  });
});

describe('parsePacket and PacketParser', () => {
  it('parses AUTH only knowing the protocol version is 5', () => {
    const auth = generatePacket(samplePackets[1]!, 5);
    expect(parsePacket(auth, 5)).toMatchObject({ cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'GSSAPI-KERBEROS' } });
    expect(() => parsePacket(auth, 4)).toThrow(MalformedPacketError);
    // §3.15.2.1: Remaining Length 0 means 0x00 Success without properties.
    expect(parsePacket(Buffer.from([0xf0, 0x00]), 5)).toEqual({ cmd: 'auth', reasonCode: 0 });
  });

  it('reads the version from CONNECT itself', () => {
    const connect = parsePacket(generatePacket(samplePackets[0]!, 5));
    expect(connect).toMatchObject({ cmd: 'connect', protocolVersion: 5, clientId: 'c1' });
    expect(peekProtocolLevel(generatePacket(samplePackets[0]!, 5))).toBe(5);
    expect(peekProtocolLevel(generatePacket({ cmd: 'connect', protocolId: 'MQIsdp', protocolVersion: 3, clientId: 'x', clean: true, keepalive: 0 }, 3))).toBe(3);
    expect(peekProtocolLevel(Buffer.from([0x10, 0x05, 0x00]))).toBeUndefined();
    expect(peekProtocolLevel(generatePacket({ cmd: 'pingreq' }, 5))).toBeUndefined();
  });

  it('turns every mqtt-packet error or throw on a truncated or corrupt packet into MalformedPacketError', () => {
    const whole = [...samplePackets.map((p) => generatePacket(p, 5))];
    fc.assert(
      fc.property(fc.integer({ min: 0, max: whole.length - 1 }), fc.integer({ min: 0, max: 400 }), fc.integer({ min: 0, max: 255 }), (which, at, value) => {
        const bytes = Buffer.from(whole[which]!);
        const header = readFixedHeader(bytes)!;
        const position = header.headerLength + (at % Math.max(1, bytes.length - header.headerLength));
        if (position < bytes.length) bytes[position] = value;
        try {
          parsePacket(bytes, 5);
        } catch (error) {
          expect(error).toBeInstanceOf(MalformedPacketError);
        }
      }),
      { numRuns: 2_000 },
    );
    // A CONNECT whose Remaining Length says 3 bytes of the protocol name.
    expect(() => parsePacket(Buffer.from([0x10, 0x03, 0x00, 0x04, 0x4d]))).toThrow(MalformedPacketError);
  });

  it('keeps one parser per connection and replaces it after an error', () => {
    const parser = new PacketParser(5);
    const auth = generatePacket(samplePackets[1]!, 5);
    expect(parser.parse(auth).cmd).toBe('auth');
    expect(() => parser.parse(Buffer.from([0xf0, 0x02, 0x42, 0x00]))).toThrow(/Invalid auth reason code/);
    expect(parser.parse(auth).cmd).toBe('auth');
    expect(parser.parse(generatePacket(samplePackets[2]!, 5))).toMatchObject({ cmd: 'publish', topic: 'a/b', messageId: 7 });
  });

  it('generates what mqtt-packet parses back', () => {
    for (const packet of samplePackets) {
      const bytes = generatePacket(packet, 5);
      const parsed = parsePacket(bytes, 5);
      expect(parsed.cmd).toBe(packet.cmd);
      expect(mqttPacket.generate(parsed, { protocolVersion: 5 })).toEqual(bytes);
    }
  });
});

describe('property values that run past the end of the packet', () => {
  // The fuzzer's CONNECT (test/fuzz/mqtt-gateway.test.ts): a User Property name length 0x0048
  // where the seed had 0x0001. mqtt-packet 9.0.2 kept a User Property named null; the gateway
  // then let the client authenticate and failed with 0x83 replaying the CONNECT to aedes.
  const fuzzed = Buffer.from(
    '107900044d51545405ce003c43150009544553542d4543484f160005616c696365110000001e21000a270000100026000b6b62656e63682d737465700004686f6c642600486100013126000161000132000666757a7a2d31051800000005000a77696c6c2f746f7069630004676f6e650005616c69636500027077',
    'hex',
  );

  it('is a Malformed Packet naming the property and its byte (User Property name)', () => {
    expect(() => parsePacket(fuzzed)).toThrow('the UTF-8 String Pair property at byte 67 runs past the end of the packet');
    // Byte 67 is where the User Property's name length (0x0048) starts.
    expect(fuzzed.readUInt16BE(67)).toBe(0x48);
  });

  it.each([
    ['Authentication Method', { authenticationMethod: 'GSSAPI' }, 'UTF-8 Encoded String property'],
    ['Authentication Data', { authenticationData: Buffer.from('token') }, 'Binary Data property'],
    ['Receive Maximum', { receiveMaximum: 10 }, 'Two Byte Integer property'],
  ])('is a Malformed Packet when the %s is cut short inside the properties', (_name, properties, field) => {
    const whole = generatePacket({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: '', clean: true, keepalive: 0, properties }, 5);
    // Keep the declared lengths, drop the value's last byte and everything after it.
    const propertiesEnd = 2 + 10 + 1 + whole[12]!;
    const cut = Buffer.from(whole.subarray(0, propertiesEnd - 1));
    cut[1] = cut.length - 2;
    const error = (() => {
      try {
        parsePacket(cut);
      } catch (caught) {
        return caught as MalformedPacketError;
      }
    })();
    expect(error).toBeInstanceOf(MalformedPacketError);
    // Byte 14: the value, after the 10-byte variable header start, Property Length and identifier.
    expect([error?.message, error?.offset]).toEqual([`the ${field} at byte 14 runs past the end of the packet`, 14]);
  });
});

describe('UTF-8 Encoded Strings (MQTT-1.5.4-1, -2)', () => {
  /** A CONNECT whose Authentication Method bytes are replaced by `method` (same length as the placeholder). */
  function connectWithMethod(method: Buffer): { bytes: Buffer; at: number } {
    const placeholder = 'M'.repeat(method.length);
    const bytes = generatePacket({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: 'kbench-utf8', clean: true, keepalive: 60, properties: { authenticationMethod: placeholder } }, 5);
    const at = bytes.indexOf(placeholder);
    method.copy(bytes, at);
    return { bytes, at: at - 2 };
  }

  it.each([
    ['an invalid byte', Buffer.from([0x47, 0xff, 0x53])],
    ['a lone continuation byte', Buffer.from([0x47, 0x80, 0x53])],
    ['an encoded surrogate (U+D800)', Buffer.from([0xed, 0xa0, 0x80])],
    ['an overlong "/"', Buffer.from([0xc0, 0xaf, 0x53])],
    ['a code point past U+10FFFF', Buffer.from([0xf4, 0x90, 0x80, 0x80])],
    ['a truncated sequence', Buffer.from([0x47, 0x53, 0xe2, 0x82])],
  ])('is a Malformed Packet when it holds %s, naming the byte', (_label, method) => {
    const { bytes, at } = connectWithMethod(method);
    const error = (() => {
      try {
        new PacketParser().parse(bytes);
      } catch (caught) {
        return caught as MalformedPacketError;
      }
    })();
    expect(error).toBeInstanceOf(MalformedPacketError);
    expect(error?.message).toBe(`the UTF-8 Encoded String at byte ${at} is not well-formed UTF-8 (MQTT-1.5.4-1)`);
    expect(error?.offset).toBe(at);
  });

  it('names the byte in a packet parsed after others by the shared parser', () => {
    parsePacket(connectWithMethod(Buffer.from('GSSAPI-KERBEROS')).bytes);
    const { bytes, at } = connectWithMethod(Buffer.from([0xff, 0xfe]));
    expect(() => parsePacket(bytes)).toThrow(`the UTF-8 Encoded String at byte ${at} is not well-formed`);
  });

  it('is a Malformed Packet when it holds U+0000', () => {
    const { bytes, at } = connectWithMethod(Buffer.from('GSSAPI\u0000', 'utf8'));
    expect(() => parsePacket(bytes)).toThrow(`the UTF-8 Encoded String at byte ${at} contains U+0000 (MQTT-1.5.4-2)`);
  });

  it('reads well-formed strings of any script, and the parser goes on after a refusal', () => {
    const parser = new PacketParser();
    expect(() => parser.parse(connectWithMethod(Buffer.from([0xff])).bytes)).toThrow(MalformedPacketError);
    const { bytes } = connectWithMethod(Buffer.from('GSSAPI-KERBEROS-Ä€😀', 'utf8'));
    expect(parser.parse(bytes)).toMatchObject({ cmd: 'connect', properties: { authenticationMethod: 'GSSAPI-KERBEROS-Ä€😀' } });
  });
});
