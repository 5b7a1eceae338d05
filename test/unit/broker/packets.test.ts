/**
 * The packets the gateway sends and splices: reason codes valid per packet, 3.1.1 return codes,
 * CONNACK properties appended on the bytes (checked by mqtt-packet parsing the result), and the
 * short forms parsed without mqtt-packet.
 */
import type { IConnackPacket } from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { MalformedPacketError, PacketFramer, generatePacket, parsePacket, readFixedHeader, readVariableByteInteger, variableByteInteger } from '../../../main/broker/framing';
import {
  appendConnackProperties,
  connackFailureCode,
  connackResult,
  describePacket,
  disconnectFailureCode,
  mqttReasonLabel,
  parseFrame,
  refusalConnack,
  returnCodeLabel,
} from '../../../main/broker/packets';

function frameOf(bytes: Buffer) {
  return new PacketFramer().push(bytes).packets[0]!;
}

describe('reason codes', () => {
  it('keeps a failure code the packet can carry, else 0x87', () => {
    expect(connackFailureCode(0x8c)).toBe(0x8c);
    expect(connackFailureCode(0x95)).toBe(0x95);
    expect(connackFailureCode(0x8e)).toBe(0x87);
    expect(connackFailureCode(0x00)).toBe(0x87);
    expect(disconnectFailureCode(0x8c)).toBe(0x87);
    expect(disconnectFailureCode(0x82)).toBe(0x82);
  });

  it('names codes', () => {
    expect(mqttReasonLabel(0x87)).toBe('0x87 Not Authorized');
    expect(mqttReasonLabel(0x8e)).toBe('0x8e Session Taken Over');
    expect(returnCodeLabel(5)).toBe('0x05 Connection Refused, not authorized');
  });

  it('says a refusal in 3.1.1 only when it has a return code for it', () => {
    expect(refusalConnack(4, 0x87)).toEqual({ cmd: 'connack', sessionPresent: false, returnCode: 5 });
    expect(refusalConnack(4, 0x8c)?.returnCode).toBe(5);
    expect(refusalConnack(4, 0x81)).toBeUndefined();
    expect(refusalConnack(5, 0x95, 'too big')).toEqual({ cmd: 'connack', sessionPresent: false, reasonCode: 0x95, properties: { reasonString: 'too big' } });
  });

  it('describes DISCONNECT 0x00 as a normal disconnection', () => {
    expect(describePacket({ cmd: 'disconnect', reasonCode: 0 }, 5).fields?.reasonCode).toBe('0x00 Normal Disconnection');
  });
});

describe('variable byte integers', () => {
  it.each([0, 127, 128, 16_383, 16_384, 268_435_455])('round-trips %i', (value) => {
    const bytes = variableByteInteger(value);
    expect(readVariableByteInteger(Buffer.concat([Buffer.from([9]), bytes]), 1)).toEqual({ value, length: bytes.length });
  });
  it('refuses what does not fit', () => {
    expect(() => variableByteInteger(268_435_456)).toThrow(RangeError);
    expect(readVariableByteInteger(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x01]), 0)).toBeUndefined();
  });
});

describe('appendConnackProperties', () => {
  const aedesConnack: IConnackPacket = { cmd: 'connack', sessionPresent: true, reasonCode: 0, properties: { sharedSubscriptionAvailable: false, assignedClientIdentifier: 'aedes_1' } };

  it('adds Authentication Method, Data and Maximum Packet Size that mqtt-packet reads back', () => {
    const bytes = appendConnackProperties(generatePacket(aedesConnack, 5), {
      authenticationMethod: 'GSSAPI-KERBEROS',
      authenticationData: Buffer.alloc(200, 0xab),
      maximumPacketSize: 1_048_576,
    });
    expect(readFixedHeader(bytes)!.packetLength).toBe(bytes.length);
    const parsed = parsePacket(bytes, 5) as IConnackPacket;
    expect(parsed).toMatchObject({ cmd: 'connack', sessionPresent: true, reasonCode: 0 });
    expect(parsed.properties).toMatchObject({ sharedSubscriptionAvailable: false, assignedClientIdentifier: 'aedes_1', authenticationMethod: 'GSSAPI-KERBEROS', maximumPacketSize: 1_048_576 });
    expect(parsed.properties?.authenticationData).toEqual(Buffer.alloc(200, 0xab));
  });

  it('grows the Property Length and Remaining Length across a varint boundary', () => {
    const bytes = appendConnackProperties(generatePacket(aedesConnack, 5), { authenticationData: Buffer.alloc(20_000, 1) });
    expect((parsePacket(bytes, 5) as IConnackPacket).properties?.authenticationData?.length).toBe(20_000);
  });

  it('works on a CONNACK without properties, and refuses data a property cannot hold', () => {
    const bare = Buffer.from([0x20, 0x02, 0x00, 0x00]);
    expect((parsePacket(appendConnackProperties(bare, { authenticationMethod: 'X' }), 5) as IConnackPacket).properties?.authenticationMethod).toBe('X');
    expect(() => appendConnackProperties(bare, { authenticationData: Buffer.alloc(70_000) })).toThrow(/65535/);
  });

  it('reads Session Present and the code from the bytes', () => {
    expect(connackResult(frameOf(generatePacket({ ...aedesConnack, reasonCode: 0x87 }, 5)))).toEqual({ sessionPresent: true, code: 0x87 });
  });
});

describe('parseFrame', () => {
  it('reads the short PINGREQ and DISCONNECT forms itself and checks the reason code', () => {
    expect(parseFrame(frameOf(Buffer.from([0xc0, 0x00])), 5)).toEqual({ cmd: 'pingreq' });
    expect(parseFrame(frameOf(Buffer.from([0xe0, 0x00])), 5)).toEqual({ cmd: 'disconnect', reasonCode: 0 });
    expect(parseFrame(frameOf(Buffer.from([0xe0, 0x01, 0x04])), 5)).toEqual({ cmd: 'disconnect', reasonCode: 4 });
    expect(parseFrame(frameOf(Buffer.from([0xe0, 0x00])), 4)).toEqual({ cmd: 'disconnect' });
    expect(() => parseFrame(frameOf(Buffer.from([0xe0, 0x01, 0x18])), 5)).toThrow(MalformedPacketError);
  });

  it('leaves the rest to mqtt-packet', () => {
    const disconnect = generatePacket({ cmd: 'disconnect', reasonCode: 0x04, properties: { sessionExpiryInterval: 60 } }, 5);
    expect(parseFrame(frameOf(disconnect), 5)).toMatchObject({ cmd: 'disconnect', reasonCode: 4, properties: { sessionExpiryInterval: 60 } });
  });
});
