/**
 * MQTT packets as the gateway speaks and records them: reason-code names and which packet may
 * carry which code (MQTT 5 §2.4, §3.2.2.2, §3.14.2.1), the packets the gateway itself sends,
 * and each packet described as an Exchange step's TransportPacket.
 */
import type {
  IAuthPacket,
  IConnackPacket,
  IConnectPacket,
  IDisconnectPacket,
  IPublishPacket,
  Packet,
} from 'mqtt-packet';
import type { TransportPacket } from '../exchange/model';
import { REASON_NAMES, ReasonCode, reasonLabel } from './auth';
import {
  type Frame,
  MalformedPacketError,
  PacketType,
  type ProtocolVersion,
  parsePacket,
  readFixedHeader,
  readVariableByteInteger,
  MAX_REMAINING_LENGTH,
  variableByteIntegerLength,
  writeVariableByteInteger,
} from './framing';

/** Names of the MQTT 5 reason codes auth.ts does not list (§2.4, table 2-6). */
const MORE_REASON_NAMES: Record<number, string> = {
  0x04: 'Disconnect With Will Message',
  0x8a: 'Banned',
  0x8b: 'Server Shutting Down',
  0x8e: 'Session Taken Over',
  0x8f: 'Topic Filter Invalid',
  0x90: 'Topic Name Invalid',
  0x93: 'Receive Maximum Exceeded',
  0x94: 'Topic Alias Invalid',
  0x96: 'Message Rate Too High',
  0x99: 'Payload Format Invalid',
  0x9a: 'Retain Not Supported',
  0x9b: 'QoS Not Supported',
  0x9c: 'Use Another Server',
  0x9d: 'Server Moved',
  0x9e: 'Shared Subscriptions Not Supported',
  0x9f: 'Connection Rate Exceeded',
  0xa0: 'Maximum Connect Time',
  0xa1: 'Subscription Identifiers Not Supported',
  0xa2: 'Wildcard Subscriptions Not Supported',
};

/** "0x87 Not Authorized", "0x8e Session Taken Over". */
export function mqttReasonLabel(code: number): string {
  let label = MQTT_REASON_LABELS.get(code);
  if (label === undefined) {
    label = REASON_NAMES[code] !== undefined || MORE_REASON_NAMES[code] === undefined ? reasonLabel(code) : `0x${code.toString(16).padStart(2, '0')} ${MORE_REASON_NAMES[code]}`;
    // Reason codes are bytes: at most 256 labels, made once each (every connection records some).
    if (Number.isInteger(code) && code >= 0 && code <= 0xff) MQTT_REASON_LABELS.set(code, label);
  }
  return label;
}
const MQTT_REASON_LABELS = new Map<number, string>();

/** MQTT 3.1 / 3.1.1 CONNACK return codes (3.1.1 §3.2.2.3). */
const RETURN_CODE_NAMES = [
  'Connection Accepted',
  'Connection Refused, unacceptable protocol version',
  'Connection Refused, identifier rejected',
  'Connection Refused, Server unavailable',
  'Connection Refused, bad user name or password',
  'Connection Refused, not authorized',
];

/** "0x05 Connection Refused, not authorized". */
export function returnCodeLabel(code: number): string {
  return `0x${code.toString(16).padStart(2, '0')} ${RETURN_CODE_NAMES[code] ?? 'return code'}`;
}

/** The label of a CONNACK's result in the connection's protocol version. */
export function connackLabel(version: ProtocolVersion, code: number): string {
  return version === 5 ? mqttReasonLabel(code) : returnCodeLabel(code);
}

/** Reason codes a CONNACK may carry (§3.2.2.2). */
const CONNACK_CODES = new Set([0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8c, 0x90, 0x95, 0x97, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9f]);
/** Reason codes a server's DISCONNECT may carry (§3.14.2.1; 0x04 is the client's only). */
const DISCONNECT_CODES = new Set([
  0x00, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8b, 0x8d, 0x8e, 0x8f, 0x90, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0x9b, 0x9c,
  0x9d, 0x9e, 0x9f, 0xa0, 0xa1, 0xa2,
]);

/**
 * An authenticator's failure code as a CONNACK may carry it. A code CONNACK cannot carry
 * becomes 0x87 Not Authorized: the refusal is still an authentication failure.
 */
export function connackFailureCode(code: number): number {
  return code !== 0x00 && CONNACK_CODES.has(code) ? code : ReasonCode.NotAuthorized;
}

/**
 * The same for DISCONNECT (re-authentication). Note 0x8C Bad Authentication Method is a CONNACK
 * code only: a DISCONNECT cannot carry it, so it becomes 0x87 too.
 */
export function disconnectFailureCode(code: number): number {
  return code !== 0x00 && DISCONNECT_CODES.has(code) ? code : ReasonCode.NotAuthorized;
}

/**
 * MQTT 3.1.1 has no reason codes: the few refusals it can express map to return codes; for
 * the rest (malformed packet, protocol error, packet too large) the server just closes the
 * connection (3.1.1 §4.8).
 */
function returnCodeFor(reasonCode: number): number | undefined {
  switch (reasonCode) {
    case ReasonCode.UnsupportedProtocolVersion:
      return 1;
    case ReasonCode.ClientIdentifierNotValid:
      return 2;
    case ReasonCode.ServerUnavailable:
    case ReasonCode.ServerBusy:
      return 3;
    case ReasonCode.BadUserNameOrPassword:
      return 4;
    case ReasonCode.NotAuthorized:
    case ReasonCode.BadAuthenticationMethod:
      return 5;
    default:
      return undefined;
  }
}

/** A refusing CONNACK, or undefined when the version has no way to say it (close instead). */
export function refusalConnack(version: ProtocolVersion, reasonCode: number, reasonString?: string): IConnackPacket | undefined {
  if (version === 5) {
    return { cmd: 'connack', sessionPresent: false, reasonCode, ...(reasonString ? { properties: { reasonString } } : {}) };
  }
  const returnCode = returnCodeFor(reasonCode);
  return returnCode === undefined ? undefined : { cmd: 'connack', sessionPresent: false, returnCode };
}

export function authPacket(reasonCode: number, authenticationMethod: string, authenticationData?: Buffer, reasonString?: string): IAuthPacket {
  return {
    cmd: 'auth',
    reasonCode,
    properties: {
      authenticationMethod,
      ...(authenticationData ? { authenticationData } : {}),
      ...(reasonString ? { reasonString } : {}),
    },
  };
}

export function disconnectPacket(reasonCode: number, reasonString?: string): IDisconnectPacket {
  return { cmd: 'disconnect', reasonCode, ...(reasonString ? { properties: { reasonString } } : {}) };
}

/** What the gateway adds to aedes's CONNACK (MQTT 5 §3.2.2.3). */
export interface ConnackAdditions {
  authenticationMethod?: string;
  authenticationData?: Buffer;
  maximumPacketSize?: number;
}

/** The added properties' encoded size (§2.2.2.2: identifier, then the value). */
function additionsLength(additions: ConnackAdditions, method: Buffer | undefined): number {
  let length = 0;
  if (additions.maximumPacketSize !== undefined) length += 5;
  if (method) length += 3 + method.length;
  if (additions.authenticationData !== undefined) length += 3 + additions.authenticationData.length;
  return length;
}

function writeBinaryProperty(target: Buffer, offset: number, identifier: number, value: Buffer, name: string): number {
  if (value.length > 0xffff) throw new RangeError(`${name} of ${value.length} bytes does not fit a property (at most 65535)`);
  target[offset] = identifier;
  target.writeUInt16BE(value.length, offset + 1);
  value.copy(target, offset + 3);
  return offset + 3 + value.length;
}

/**
 * An MQTT 5 CONNACK's bytes with properties appended. Spliced rather than parsed and generated
 * again, into one buffer: this runs for every connection, and the round trip through mqtt-packet
 * costs more.
 */
export function appendConnackProperties(connack: Buffer, additions: ConnackAdditions): Buffer {
  const header = readFixedHeader(connack);
  if (!header || header.type !== 2 || connack.length !== header.packetLength) throw new Error('not a whole CONNACK');
  const body = connack.subarray(header.headerLength);
  // Acknowledge Flags and Reason Code, then Property Length and the properties (§3.2.2).
  const existing = body.length > 2 ? readVariableByteInteger(body, 2) : { value: 0, length: 0 };
  if (!existing || 2 + existing.length + existing.value !== body.length) throw new Error('CONNACK Property Length does not match its Remaining Length');
  const method = additions.authenticationMethod !== undefined ? Buffer.from(additions.authenticationMethod, 'utf8') : undefined;
  const propertyLength = existing.value + additionsLength(additions, method);
  const remainingLength = 2 + variableByteIntegerLength(propertyLength) + propertyLength;
  if (remainingLength > MAX_REMAINING_LENGTH) throw new RangeError(`${remainingLength} does not fit a Variable Byte Integer`);
  const out = Buffer.allocUnsafe(1 + variableByteIntegerLength(remainingLength) + remainingLength);
  out[0] = connack[0]!;
  let at = writeVariableByteInteger(out, remainingLength, 1);
  out[at++] = body[0]!;
  out[at++] = body[1]!;
  at = writeVariableByteInteger(out, propertyLength, at);
  at += body.copy(out, at, 2 + existing.length);
  if (additions.maximumPacketSize !== undefined) {
    out[at] = 0x27;
    out.writeUInt32BE(additions.maximumPacketSize, at + 1);
    at += 5;
  }
  if (method) at = writeBinaryProperty(out, at, 0x15, method, 'Authentication Method');
  if (additions.authenticationData !== undefined) writeBinaryProperty(out, at, 0x16, additions.authenticationData, 'Authentication Data');
  return out;
}

/**
 * A whole packet parsed, the shortest forms without mqtt-packet: PINGREQ, and DISCONNECT with
 * at most a reason code — what a connection sends most after CONNECT, parsed for every one.
 */
export function parseFrame(frame: Frame, version: ProtocolVersion): Packet {
  const { type, remainingLength, headerLength } = frame.header;
  if (remainingLength === 0 && type === PacketType.PINGREQ) return { cmd: 'pingreq' };
  if (type === PacketType.DISCONNECT && remainingLength <= (version === 5 ? 1 : 0)) {
    const reasonCode = remainingLength === 1 ? frame.bytes[headerLength]! : 0;
    // 0x04 Disconnect with Will Message is the client's own (§3.14.2.1).
    if (reasonCode !== 0x04 && !DISCONNECT_CODES.has(reasonCode)) throw new MalformedPacketError('Invalid disconnect reason code');
    return version === 5 ? { cmd: 'disconnect', reasonCode } : { cmd: 'disconnect' };
  }
  return parsePacket(frame.bytes, version);
}

/** A CONNACK's Session Present flag and reason code (3.1.1: return code), read from its bytes. */
export function connackResult(frame: Frame): { sessionPresent: boolean; code: number } {
  const at = frame.header.headerLength;
  if (frame.header.remainingLength < 2) throw new MalformedPacketError('CONNACK shorter than 2 bytes');
  return { sessionPresent: (frame.bytes[at]! & 0x01) === 1, code: frame.bytes[at + 1]! };
}

/** The MQTT 5 reason-code-or-return-code of a packet, when it has one. */
export function packetCode(packet: Packet): number | undefined {
  if (packet.cmd === 'connack') return packet.reasonCode ?? packet.returnCode;
  if (packet.cmd === 'auth' || packet.cmd === 'disconnect') return packet.reasonCode;
  return undefined;
}

type Fields = Record<string, string | number | boolean>;

function put(fields: Fields, name: string, value: string | number | boolean | undefined): void {
  if (value !== undefined) fields[name] = value;
}

/** User Properties (§2.2.2.2, 0x26) as one field: "name=value; name=value". */
function userPropertiesText(properties: Record<string, string | string[]> | undefined): string | undefined {
  if (!properties) return undefined;
  const pairs = Object.entries(properties).flatMap(([name, value]) => (Array.isArray(value) ? value : [value]).map((v) => `${name}=${v}`));
  return pairs.length ? pairs.join('; ') : undefined;
}

function connectFields(packet: IConnectPacket): Fields {
  const fields: Fields = { protocolVersion: packet.protocolVersion ?? 4, clientId: packet.clientId };
  const v5 = packet.protocolVersion === 5;
  put(fields, v5 ? 'cleanStart' : 'cleanSession', packet.clean);
  put(fields, 'keepAlive', packet.keepalive);
  put(fields, 'username', packet.username);
  if (packet.password !== undefined) fields.password = '(present, hidden)';
  if (packet.will) fields.willTopic = packet.will.topic;
  const p = packet.properties;
  put(fields, 'authenticationMethod', p?.authenticationMethod);
  put(fields, 'authenticationDataLength', p?.authenticationData?.length);
  put(fields, 'sessionExpiryInterval', p?.sessionExpiryInterval);
  put(fields, 'receiveMaximum', p?.receiveMaximum);
  put(fields, 'maximumPacketSize', p?.maximumPacketSize);
  put(fields, 'userProperties', userPropertiesText(p?.userProperties));
  return fields;
}

function connackFields(packet: IConnackPacket, version: ProtocolVersion): Fields {
  const code = packet.reasonCode ?? packet.returnCode ?? 0;
  const fields: Fields = version === 5 ? { reasonCode: mqttReasonLabel(code) } : { returnCode: returnCodeLabel(code) };
  fields.sessionPresent = packet.sessionPresent;
  const p = packet.properties;
  put(fields, 'authenticationMethod', p?.authenticationMethod);
  put(fields, 'authenticationDataLength', p?.authenticationData?.length);
  put(fields, 'assignedClientIdentifier', p?.assignedClientIdentifier);
  put(fields, 'maximumPacketSize', p?.maximumPacketSize);
  put(fields, 'reasonString', p?.reasonString);
  return fields;
}

function authFields(packet: IAuthPacket): Fields {
  const fields: Fields = { reasonCode: mqttReasonLabel(packet.reasonCode) };
  put(fields, 'authenticationMethod', packet.properties?.authenticationMethod);
  put(fields, 'authenticationDataLength', packet.properties?.authenticationData?.length);
  put(fields, 'reasonString', packet.properties?.reasonString);
  put(fields, 'userProperties', userPropertiesText(packet.properties?.userProperties));
  return fields;
}

function disconnectFields(packet: IDisconnectPacket, version: ProtocolVersion): Fields {
  const fields: Fields = {};
  // DISCONNECT's 0x00 is "Normal Disconnection" (§3.14.2.1), not "Success".
  if (version === 5) fields.reasonCode = packet.reasonCode ? mqttReasonLabel(packet.reasonCode) : '0x00 Normal Disconnection';
  put(fields, 'reasonString', packet.properties?.reasonString);
  put(fields, 'sessionExpiryInterval', packet.properties?.sessionExpiryInterval);
  return fields;
}

function publishFields(packet: IPublishPacket): Fields {
  return { topic: String(packet.topic), qos: packet.qos, retain: packet.retain, payloadLength: packet.payload.length };
}

function packetFields(packet: Packet, version: ProtocolVersion): Fields {
  switch (packet.cmd) {
    case 'connect':
      return connectFields(packet);
    case 'connack':
      return connackFields(packet, version);
    case 'auth':
      return authFields(packet);
    case 'disconnect':
      return disconnectFields(packet, version);
    case 'publish':
      return publishFields(packet);
    default:
      return packet.messageId !== undefined ? { messageId: packet.messageId } : {};
  }
}

/** "connack" → "CONNACK", made once per command rather than once per recorded packet. */
const UPPER_NAMES = new Map<string, string>();

/** A packet as an Exchange step's transport: packet "AUTH", fields { reasonCode: "0x18 Continue Authentication", … }. */
export function describePacket(packet: Packet, version: ProtocolVersion): TransportPacket {
  let name = UPPER_NAMES.get(packet.cmd);
  if (name === undefined) UPPER_NAMES.set(packet.cmd, (name = packet.cmd.toUpperCase()));
  return { protocol: 'mqtt', packet: name, fields: packetFields(packet, version) };
}
