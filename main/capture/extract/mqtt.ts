/**
 * MQTT 3.1, 3.1.1 and 5 in a capture, recognised by content on any port: the CONNECT that opens a
 * connection (MQTT 5 §3.1, 3.1.1 §3.1), every AUTH of the enhanced authentication (§4.12) and of
 * re-authentication (§4.12.1), the CONNACK that settles it (§3.2) and a DISCONNECT before it
 * (§3.14) become one Exchange; the rest of the session is only counted.
 *
 *   client ─ CONNECT (Authentication Method, Data) ─▶        packets parsed in full with
 *          ◀─ AUTH 0x18 ─┐                                     mqtt-packet, one step each, with
 *          ─ AUTH 0x18 ─▶ ┘ (any number of rounds)              every frame they came from
 *          ◀─ CONNACK 0x00 / 0x87 … ─                          → the verdict
 *          ─ PUBLISH … ─▶ ◀─ PUBACK … ─                        fixed headers only: counted
 *          ─ AUTH 0x19 ─▶ … ◀─ AUTH 0x00 / DISCONNECT ─        re-authentication: steps again
 *
 * Why frame by hand instead of PacketFramer: a step must name every frame its packet came from
 * (a Remaining Length split across segments included), and after the CONNACK a capture of a
 * million PUBLISH packets must cost a loop over fixed headers — type nibble and Variable Byte
 * Integer (§1.5.5, §2.1.4) — with no copy, no parse and no allocation per packet. Only the
 * packets that become steps are copied out of the scan's buffers (they are views, valid only
 * during the call). MQTT has no resynchronisation marker: after a gap or a malformed packet the
 * direction (or the flow) is no longer read.
 */
import type { IAuthPacket, IConnackPacket, IConnectPacket, IDisconnectPacket, Packet } from 'mqtt-packet';
import { type FixedHeader, MalformedPacketError, PacketType, type ProtocolVersion, packetTypeName, parsePacket, readFixedHeader } from '../../broker/framing';
import { mqttReasonLabel, parseFrame, returnCodeLabel } from '../../broker/packets';
import type { ExchangeVerdict, StepDirection, TransportPacket } from '../../exchange/model';
import type { CaptureRecorder } from '../recorder';
import type { FlowDirection, PacketRef, StreamChunk, StreamGap, TcpFlow, TcpStreamHandler } from '../types';
import type { ExtractContext, SniffVerdict, TcpExtractor } from './types';

/**
 * The largest packet copied out for a full parse. CONNECT, CONNACK, AUTH and DISCONNECT carry at
 * most a few 64 KiB strings and binaries (§1.5.4, §1.5.6); a declared length past this is a
 * stream that is not MQTT, and is not buffered.
 */
const MAX_PARSED_PACKET = 16 * 1024 * 1024;

/** Protocol Name (§3.1.2.1) as a UTF-8 Encoded String, with the Protocol Levels it goes with. */
const PROTOCOL_NAMES: readonly { bytes: readonly number[]; levels: readonly number[] }[] = [
  { bytes: [0x00, 0x04, 0x4d, 0x51, 0x54, 0x54], levels: [4, 5] }, // "MQTT": 3.1.1 and 5
  { bytes: [0x00, 0x06, 0x4d, 0x51, 0x49, 0x73, 0x64, 0x70], levels: [3] }, // "MQIsdp": 3.1
];

/**
 * Whether `first` starts with a CONNECT: first byte 0x10 (§3.1.1), a Remaining Length of at most
 * 4 bytes, then Protocol Name "MQTT" with level 4 or 5, or "MQIsdp" with level 3 (the top bit
 * of the level marks a bridge, as Mosquitto sends it). 'more' while the bytes so far fit one.
 */
export function sniffMqttConnect(first: Uint8Array): SniffVerdict {
  if (first.length === 0) return 'more';
  if (first[0] !== 0x10) return 'no';
  let remainingLength = 0;
  let at = 1;
  for (;;) {
    if (at > 4) return 'no';
    if (at >= first.length) return 'more';
    const byte = first[at]!;
    remainingLength += (byte & 0x7f) * 128 ** (at - 1);
    at++;
    if ((byte & 0x80) === 0) break;
  }
  let verdict: SniffVerdict = 'no';
  for (const name of PROTOCOL_NAMES) {
    const level = first[at + name.bytes.length];
    let matches = true;
    for (let i = 0; i < name.bytes.length && at + i < first.length; i++) {
      if (first[at + i] !== name.bytes[i]) {
        matches = false;
        break;
      }
    }
    if (!matches) continue;
    if (level === undefined) {
      verdict = 'more';
      continue;
    }
    // Protocol Name, Level, Connect Flags and Keep Alive at least (§3.1.2).
    if (name.levels.includes(level & 0x7f) && remainingLength >= name.bytes.length + 4) return 'yes';
  }
  return verdict;
}

/** "0x87": the code as the Exchange and the packet name show it. */
function hex(code: number): string {
  return `0x${code.toString(16).toUpperCase().padStart(2, '0')}`;
}

function versionName(version: ProtocolVersion): string {
  return version === 5 ? '5' : version === 4 ? '3.1.1' : '3.1';
}

type Fields = Record<string, string | number | boolean>;

/** User Properties (§3.1.2.11.8) as one field: "name=value; name=value". */
function userPropertiesText(properties: Record<string, string | string[]>): string {
  return Object.entries(properties)
    .flatMap(([name, value]) => (Array.isArray(value) ? value : [value]).map((v) => `${name}=${v}`))
    .join('; ');
}

/**
 * Every property of a packet as fields, by mqtt-packet's names (authenticationMethod,
 * sessionExpiryInterval, receiveMaximum …). Binary ones are shown by their length only: the
 * Authentication Data is the step's token, and Correlation Data is the application's.
 */
function putProperties(fields: Fields, properties: object | undefined, prefix = ''): void {
  for (const [name, value] of Object.entries(properties ?? {}) as [string, unknown][]) {
    const key = prefix ? `${prefix}${name[0]!.toUpperCase()}${name.slice(1)}` : name;
    if (value === undefined || value === null) continue;
    if (name === 'userProperties') fields[key] = userPropertiesText(value as Record<string, string | string[]>);
    else if (value instanceof Uint8Array) fields[`${key}Length`] = value.length;
    else if (Array.isArray(value)) fields[key] = value.join(', ');
    else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') fields[key] = value;
  }
}

function connectFields(packet: IConnectPacket, version: ProtocolVersion): Fields {
  const fields: Fields = {
    protocolName: packet.protocolId ?? 'MQTT',
    protocolLevel: version,
    clientId: packet.clientId,
  };
  // mqtt-packet reads the bridge bit of the level (0x80) but its typings do not say so.
  if ((packet as { bridgeMode?: boolean }).bridgeMode) fields.bridge = true;
  fields[version === 5 ? 'cleanStart' : 'cleanSession'] = packet.clean ?? false;
  fields.keepAlive = packet.keepalive ?? 0;
  fields.usernameFlag = packet.username !== undefined;
  if (packet.username !== undefined) fields.username = packet.username;
  // Never the password itself: the Exchange is saved, exported and shared.
  if (packet.password !== undefined) fields.password = `<${packet.password.length} bytes hidden>`;
  fields.willFlag = packet.will !== undefined;
  if (packet.will) {
    fields.willTopic = packet.will.topic;
    fields.willQoS = packet.will.qos ?? 0;
    fields.willRetain = packet.will.retain ?? false;
    fields.willPayloadLength = packet.will.payload.length;
    putProperties(fields, packet.will.properties, 'will');
  }
  putProperties(fields, packet.properties);
  return fields;
}

const CLIENT: StepDirection = 'client-to-server';
const SERVER: StepDirection = 'server-to-client';

/** One direction of the flow: a fixed-header state machine that survives any split. */
class DirectionState {
  /** 0: the next byte starts a packet; 1–4: the next is Remaining Length byte n; BODY: inside the body. */
  headerAt = 0;
  type = 0;
  remainingLength = 0;
  multiplier = 1;
  headerLength = 0;
  /** Body bytes still to skip (a counted packet) or to copy (a parsed one). */
  bodyLeft = 0;
  /** Whether the packet being read becomes a step (copied and parsed) or is only counted. */
  collecting = false;
  /** The fixed header of the packet being collected, as sent. */
  readonly header = new Uint8Array(5);
  parts: Uint8Array[] = [];
  /** Every frame that carried a byte of the packet being collected. */
  frames: number[] = [];
  /** Whether this side has sent a byte (or lost one) yet. */
  started = false;
  stopped = false;
  /** Stopped by a gap: what was lost may have been the answer. */
  lostBytes = false;
}

const BODY = 5;

const NO_DIRECTION = -1;

/** Packet-type names, indexed by the type nibble, for the session summary. */
const TYPE_NAMES = Array.from({ length: 16 }, (_, type) => packetTypeName(type));

type Phase = 'connect' | 'authenticating' | 'session';

export class MqttStreamHandler implements TcpStreamHandler {
  /** Nothing more is wanted from this flow: reassembly may skip it. */
  done = false;

  private readonly directions = [new DirectionState(), new DirectionState()] as const;
  /** The direction the CONNECT came from (the flow's client unless the capture saw it the other way). */
  private clientDirection: FlowDirection | typeof NO_DIRECTION = NO_DIRECTION;
  private phase: Phase = 'connect';
  private version: ProtocolVersion = 4;
  private recorder: CaptureRecorder | undefined;
  private first: PacketRef | undefined;
  private reauthenticating = false;
  private reauthentications = 0;
  private acceptedReason = '';

  /** Session summary: packets by type nibble, bytes, and the time span from the CONNACK. */
  private readonly counts = new Array<number>(16).fill(0);
  private sessionBytes = 0;
  private sessionStartMs = NaN;
  private lastMs = NaN;

  constructor(
    private readonly flow: TcpFlow,
    private readonly ctx: ExtractContext,
  ) {}

  data(chunk: StreamChunk): void {
    if (this.done) return;
    const ref = chunk.packet;
    this.lastMs = ref.seconds * 1000 + ref.nanos / 1e6;
    this.first ??= { number: ref.number, seconds: ref.seconds, nanos: ref.nanos };
    const state = this.directions[chunk.direction];
    if (state.stopped || chunk.bytes.length === 0) return;
    if (!state.started) {
      state.started = true;
      if (this.clientDirection === NO_DIRECTION) {
        // The CONNECT opens the conversation; a side whose first bytes are something else
        // started before the capture and cannot be framed.
        if (chunk.bytes[0] !== 0x10) {
          state.stopped = true;
          return;
        }
        this.clientDirection = chunk.direction;
      }
    }
    this.consume(state, chunk.direction, chunk.bytes, ref);
  }

  gap(gap: StreamGap): void {
    if (this.done) return;
    const state = this.directions[gap.direction];
    if (state.stopped) return;
    // Nothing read yet depends on the missing bytes: the side whose bytes start with a CONNECT
    // after them is the client, and a CONNECT may still follow a hole before it.
    if (this.clientDirection === NO_DIRECTION && !state.started) return;
    if (this.phase === 'connect' && gap.direction === this.clientDirection && state.headerAt === 0) return;
    // Otherwise the bytes after the hole may start mid-packet (the server's first ones too).
    state.started = true;
    state.stopped = true;
    state.lostBytes = true;
    state.parts = [];
    const side = gap.direction === this.clientDirection ? 'client → server' : 'server → client';
    const text = `${side}: ${gap.length} bytes missing at stream byte ${gap.streamOffset}, before frame ${gap.packet.number}; MQTT cannot resynchronise, the rest of this direction is not read`;
    if (this.recorder) {
      this.recorder.noteGap(text);
      if (!this.recorder.finished && gap.direction !== this.clientDirection) {
        this.recorder.exchange.verdict.reason = `bytes of the server's answer are missing (before frame ${gap.packet.number}): the CONNACK may have been among them`;
      }
    } else {
      this.ctx.warn({ packet: gap.packet.number, message: `MQTT ${this.flow.client} ↔ ${this.flow.server}: ${text}` });
    }
    if (this.directions[0].stopped && this.directions[1].stopped) this.stop();
  }

  end(reason: 'closed' | 'reset' | 'capture-ended'): void {
    if (this.done) return;
    const recorder = this.recorder;
    if (recorder && reason !== 'capture-ended') {
      const server = this.clientDirection === 1 ? this.directions[0] : this.directions[1];
      const how = reason === 'reset' ? 'the connection was reset' : 'the server closed the connection';
      if (!recorder.finished && !server.lostBytes) {
        recorder.finish({ outcome: 'failure', reason: `${how} during authentication` });
      } else if (this.reauthenticating && recorder.exchange.verdict.outcome === 'success') {
        recorder.exchange.verdict = { outcome: 'failure', reason: `${how} during re-authentication` };
      }
    }
    this.stop();
  }

  // ---- framing --------------------------------------------------------------------------------

  /**
   * The hot path: a counted packet costs its fixed header's bytes and one addition for its body,
   * whatever the split; only packets that become steps are copied.
   */
  private consume(state: DirectionState, direction: FlowDirection, bytes: Uint8Array, ref: PacketRef): void {
    const n = bytes.length;
    let i = 0;
    if (state.collecting && state.frames[state.frames.length - 1] !== ref.number) state.frames.push(ref.number);
    while (i < n) {
      if (state.headerAt === BODY) {
        const take = state.bodyLeft < n - i ? state.bodyLeft : n - i;
        if (state.collecting) state.parts.push(bytes.slice(i, i + take));
        state.bodyLeft -= take;
        i += take;
        if (state.bodyLeft === 0) {
          state.headerAt = 0;
          if (state.collecting && !this.complete(state, direction, ref)) return;
        }
        continue;
      }
      const byte = bytes[i++]!;
      if (state.headerAt === 0) {
        const type = byte >> 4;
        state.type = type;
        state.remainingLength = 0;
        state.multiplier = 1;
        state.headerAt = 1;
        state.collecting = this.wants(direction, type);
        if (state.collecting) {
          state.header[0] = byte;
          state.parts = [];
          state.frames = [ref.number];
        } else if (type === 0) {
          this.malformed(direction, type, undefined, [ref.number], ref, 'packet type 0 is reserved (§2.1.2)');
          return;
        }
        continue;
      }
      if (state.collecting) state.header[state.headerAt] = byte;
      state.remainingLength += (byte & 0x7f) * state.multiplier;
      if ((byte & 0x80) !== 0) {
        if (state.headerAt === 4) {
          this.malformed(direction, state.type, undefined, state.collecting ? state.frames : [ref.number], ref, 'Remaining Length longer than 4 bytes (§1.5.5)');
          return;
        }
        state.headerAt++;
        state.multiplier *= 128;
        continue;
      }
      state.headerLength = state.headerAt + 1;
      state.bodyLeft = state.remainingLength;
      state.headerAt = BODY;
      if (!state.collecting) {
        this.counts[state.type]!++;
        this.sessionBytes += state.headerLength + state.remainingLength;
      } else if (state.headerLength + state.remainingLength > MAX_PARSED_PACKET) {
        const declared = state.headerLength + state.remainingLength;
        this.malformed(direction, state.type, undefined, state.frames, ref, `declares ${declared} bytes, more than any ${packetTypeName(state.type)} can carry`);
        return;
      }
      if (state.bodyLeft === 0) {
        state.headerAt = 0;
        if (state.collecting && !this.complete(state, direction, ref)) return;
      }
    }
  }

  /** Which packets become steps; the rest are counted. */
  private wants(direction: FlowDirection, type: number): boolean {
    if (this.phase === 'session') {
      return (type === PacketType.AUTH && this.version === 5) || (type === PacketType.DISCONNECT && this.reauthenticating);
    }
    if (direction === this.clientDirection) {
      return this.phase === 'connect' || type === PacketType.AUTH || type === PacketType.DISCONNECT;
    }
    return this.phase !== 'connect' && (type === PacketType.CONNACK || type === PacketType.AUTH || type === PacketType.DISCONNECT);
  }

  /** A collected packet is whole: parse it and record its step. False when the flow is no longer read. */
  private complete(state: DirectionState, direction: FlowDirection, ref: PacketRef): boolean {
    const raw = Buffer.concat([state.header.subarray(0, state.headerLength), ...state.parts]);
    const frames = state.frames;
    state.parts = [];
    state.collecting = false;
    const type = state.type;
    if (this.phase === 'session') {
      this.counts[type]!++;
      this.sessionBytes += raw.length;
    }
    let packet: Packet;
    try {
      packet = this.parse(raw, type, direction);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // A malformed CONNECT may still hold a password: its bytes are not kept.
      this.malformed(direction, type, type === PacketType.CONNECT ? undefined : raw, frames, ref, message);
      return false;
    }
    switch (packet.cmd) {
      case 'connect':
        this.onConnect(packet, raw, frames, ref);
        break;
      case 'auth':
        this.onAuth(packet, direction, raw, frames, ref);
        break;
      case 'connack':
        this.onConnack(packet, raw, frames, ref);
        break;
      case 'disconnect':
        this.onDisconnect(packet, direction, raw, frames, ref);
        break;
      default:
        break;
    }
    return !this.done;
  }

  private parse(raw: Buffer, type: number, direction: FlowDirection): Packet {
    const header = readFixedHeader(raw) as FixedHeader;
    if (this.phase === 'connect') {
      if (direction !== this.clientDirection || type !== PacketType.CONNECT) {
        throw new MalformedPacketError(`the first packet must be CONNECT, got ${packetTypeName(type)} (§3.1)`);
      }
      return parsePacket(raw);
    }
    if (type === PacketType.DISCONNECT && this.version === 5 && header.remainingLength >= 1) {
      // An observer shows the reason code the peer sent, even one the spec does not allow in a
      // DISCONNECT (0x8C Bad Authentication Method, which some brokers send): parse with 0x00
      // there, then put the real one back.
      const code = raw[header.headerLength]!;
      const copy = Buffer.from(raw);
      copy[header.headerLength] = 0x00;
      const packet = parseFrame({ header, bytes: copy }, 5) as IDisconnectPacket;
      return { ...packet, reasonCode: code };
    }
    return parseFrame({ header, bytes: raw }, this.version);
  }

  // ---- the steps ------------------------------------------------------------------------------

  private direction(direction: FlowDirection): StepDirection {
    return direction === this.clientDirection ? CLIENT : SERVER;
  }

  private open(mechanism: string): CaptureRecorder {
    const reversed = this.clientDirection === 1;
    const recorder = this.ctx.record({
      protocol: 'mqtt',
      mechanism,
      client: reversed ? this.flow.server : this.flow.client,
      server: reversed ? this.flow.client : this.flow.server,
      flow: this.flow,
      first: this.first!,
    });
    this.recorder = recorder;
    return recorder;
  }

  private onConnect(packet: IConnectPacket, raw: Buffer, frames: number[], at: PacketRef): void {
    this.version = packet.protocolVersion ?? 4;
    this.phase = 'authenticating';
    const method = packet.properties?.authenticationMethod;
    const mechanism = method ?? (packet.username !== undefined ? 'username/password' : 'none');
    const recorder = this.open(mechanism);
    recorder.exchange.meta = { ...recorder.exchange.meta, clientId: packet.clientId, mqttVersion: versionName(this.version) };
    const data = packet.properties?.authenticationData;
    const credentials = method
      ? `${method}${data ? ` with ${data.length} bytes of Authentication Data` : ''}`
      : packet.username !== undefined
        ? `user "${packet.username}"${packet.password !== undefined ? ' with a password' : ''}`
        : 'no credentials';
    recorder.add({
      direction: CLIENT,
      transport: { protocol: 'mqtt', packet: 'CONNECT', fields: connectFields(packet, this.version) },
      at,
      packets: frames,
      ...(data ? { token: data } : {}),
      // The CONNECT as sent is what a verbatim replay sends — unless it carries a password,
      // which the Exchange never holds.
      ...(packet.password === undefined ? { raw } : {}),
      summary: `MQTT ${versionName(this.version)} CONNECT, client id "${packet.clientId}", ${credentials}`,
    });
  }

  private onAuth(packet: IAuthPacket, direction: FlowDirection, raw: Buffer, frames: number[], at: PacketRef): void {
    const recorder = this.recorder!;
    const code = packet.reasonCode;
    const fields: Fields = { reasonCode: mqttReasonLabel(code) };
    putProperties(fields, packet.properties);
    const data = packet.properties?.authenticationData;
    const reasonString = packet.properties?.reasonString;
    recorder.add({
      direction: this.direction(direction),
      transport: { protocol: 'mqtt', packet: `AUTH ${hex(code)}`, fields },
      at,
      packets: frames,
      ...(data ? { token: data } : {}),
      raw,
      summary: `AUTH ${mqttReasonLabel(code)}${data ? `, ${data.length} bytes of Authentication Data` : ''}${reasonString ? `: ${reasonString}` : ''}`,
    });
    if (this.phase !== 'session') return;
    const fromClient = direction === this.clientDirection;
    if (fromClient && code === 0x19) this.reauthenticating = true;
    if (!fromClient && code === 0x00 && this.reauthenticating) {
      this.reauthenticating = false;
      this.reauthentications++;
      if (recorder.exchange.verdict.outcome === 'success') {
        recorder.exchange.verdict = { outcome: 'success', reason: `${this.acceptedReason}; re-authenticated ${this.reauthentications} time(s)`, code: hex(0) };
        recorder.exchange.finishedAt = new Date(Math.floor(at.seconds * 1000 + at.nanos / 1e6)).toISOString();
      }
    }
  }

  private onConnack(packet: IConnackPacket, raw: Buffer, frames: number[], at: PacketRef): void {
    const recorder = this.recorder!;
    const v5 = this.version === 5;
    const code = (v5 ? packet.reasonCode : packet.returnCode) ?? 0;
    const label = v5 ? mqttReasonLabel(code) : returnCodeLabel(code);
    const fields: Fields = v5 ? { reasonCode: label } : { returnCode: label };
    fields.sessionPresent = packet.sessionPresent;
    putProperties(fields, packet.properties);
    const data = packet.properties?.authenticationData;
    const reasonString = packet.properties?.reasonString;
    const said = `CONNACK ${label}${reasonString ? `: ${reasonString}` : ''}`;
    recorder.add({
      direction: SERVER,
      transport: { protocol: 'mqtt', packet: `CONNACK ${hex(code)}`, fields },
      at,
      packets: frames,
      ...(data ? { token: data } : {}),
      raw,
      summary: `${said}${packet.sessionPresent ? ' (session present)' : ''}${data ? `, ${data.length} bytes of Authentication Data` : ''}`,
    });
    let verdict: ExchangeVerdict;
    if (code === 0) {
      this.acceptedReason = `the server accepted the connection (${recorder.exchange.mechanism}): ${said}`;
      verdict = { outcome: 'success', reason: this.acceptedReason, code: hex(code) };
      this.phase = 'session';
      this.sessionStartMs = at.seconds * 1000 + at.nanos / 1e6;
      // Counted from here; the figures are brought up to date when the flow ends.
      this.writeSession();
    } else {
      verdict = { outcome: 'failure', reason: `the server refused the connection: ${said}`, code: hex(code) };
      // No session follows a refusal (§3.2.2.2): whatever comes is counted, not parsed.
      this.phase = 'session';
    }
    recorder.finish(verdict, at);
  }

  private onDisconnect(packet: IDisconnectPacket, direction: FlowDirection, raw: Buffer, frames: number[], at: PacketRef): void {
    const recorder = this.recorder!;
    const v5 = this.version === 5;
    const code = packet.reasonCode ?? 0;
    // DISCONNECT's 0x00 is "Normal Disconnection" (§3.14.2.1), not "Success".
    const label = code === 0 ? '0x00 Normal Disconnection' : mqttReasonLabel(code);
    const fields: Fields = v5 ? { reasonCode: label } : {};
    putProperties(fields, packet.properties);
    const reasonString = packet.properties?.reasonString;
    const said = `DISCONNECT${v5 ? ` ${label}` : ''}${reasonString ? `: ${reasonString}` : ''}`;
    recorder.add({
      direction: this.direction(direction),
      transport: { protocol: 'mqtt', packet: v5 ? `DISCONNECT ${hex(code)}` : 'DISCONNECT', fields },
      at,
      packets: frames,
      raw,
      summary: said,
    });
    const who = direction === this.clientDirection ? 'the client gave up' : 'the server ended the connection';
    const verdict: ExchangeVerdict = { outcome: 'failure', reason: '', ...(v5 ? { code: hex(code) } : {}) };
    if (this.phase === 'session') {
      this.reauthenticating = false;
      verdict.reason = `${who} during re-authentication with ${said}`;
      recorder.exchange.verdict = verdict;
      recorder.exchange.finishedAt = new Date(Math.floor(at.seconds * 1000 + at.nanos / 1e6)).toISOString();
    } else {
      verdict.reason = `${who} before CONNACK with ${said}`;
      recorder.finish(verdict, at);
      this.phase = 'session';
    }
  }

  /** A packet that is not MQTT: a step saying so, a warning, and the flow is no longer read. */
  private malformed(direction: FlowDirection, type: number, raw: Buffer | undefined, frames: number[], at: PacketRef, message: string): void {
    const recorder = this.recorder ?? this.open('unknown');
    const name = packetTypeName(type);
    const from = direction === this.clientDirection ? 'client' : 'server';
    const transport: TransportPacket = { protocol: 'mqtt', packet: name };
    recorder.add({ direction: this.direction(direction), transport, at, packets: frames, ...(raw ? { raw } : {}), error: `malformed ${name}: ${message}` });
    this.ctx.warn({
      packet: at.number,
      message: `MQTT ${recorder.exchange.capture.client} → ${recorder.exchange.capture.server}: malformed ${name} from the ${from} in frame ${at.number}: ${message}; the rest of this connection is not read`,
    });
    if (!recorder.finished) recorder.finish({ outcome: 'failure', reason: `malformed ${name} from the ${from} in frame ${at.number}: ${message}` }, at);
    this.stop();
  }

  /** Nothing more is read from this flow: the session summary as it stands. */
  private stop(): void {
    this.directions[0].stopped = true;
    this.directions[1].stopped = true;
    this.directions[0].parts = [];
    this.directions[1].parts = [];
    this.done = true;
    this.writeSession();
  }

  private writeSession(): void {
    const recorder = this.recorder;
    if (!recorder) return;
    const packets: Record<string, number> = {};
    let any = false;
    for (let type = 0; type < 16; type++) {
      if (this.counts[type]! > 0) {
        packets[TYPE_NAMES[type]!] = this.counts[type]!;
        any = true;
      }
    }
    const connected = !Number.isNaN(this.sessionStartMs);
    if (!any && !connected) return;
    const durationMs = connected && this.lastMs > this.sessionStartMs ? Math.round((this.lastMs - this.sessionStartMs) * 1000) / 1000 : 0;
    recorder.exchange.capture.session = { packets, bytes: this.sessionBytes, durationMs };
  }
}

export const mqttExtractor: TcpExtractor = {
  name: 'mqtt',
  sniff: (first) => sniffMqttConnect(first),
  create: (flow, ctx) => new MqttStreamHandler(flow, ctx),
};
