/**
 * WebSocket framing (RFC 6455 §5) in a capture, after an HTTP `Upgrade: websocket` and its 101
 * answer: the payload of the data frames, unmasked, handed on as one byte stream per direction
 * to the handler of what travels inside (MQTT over WebSocket, which may split a control packet
 * over frames or put several in one: MQTT 5 §6).
 *
 *    0                   1                   2                   3
 *   |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
 *   |I|S|S|S|  (4)  |A|     (7)     |   (16 bits if 126, 64 if 127)  |
 *   |N|V|V|V|       |S|             |                                |
 *   | Masking-key (4 bytes, when MASK: every client frame, §5.3) | Payload Data …
 *
 * Data frames (text 0x1, binary 0x2, continuation 0x0) carry the stream; control frames
 * (close 0x8, ping 0x9, pong 0xA, §5.5) are skipped — a close is kept with its status code and
 * reason. Frames may be split across chunks at any byte: the header is a small state machine,
 * and the mask position carries over. The payload's stream offsets count payload bytes only,
 * and each forwarded piece names the packet that carried it, so the inner handler knows every
 * frame its own messages came from. Like MQTT, WebSocket has no resynchronisation marker: after
 * a gap or a frame that breaks §5.2 the direction is no longer read.
 */
import type { FlowDirection, PacketRef, StreamChunk, StreamGap, TcpStreamHandler } from '../types';

/** Opcodes (§5.2, §11.8). */
export const WebSocketOpcode = {
  Continuation: 0x0,
  Text: 0x1,
  Binary: 0x2,
  Close: 0x8,
  Ping: 0x9,
  Pong: 0xa,
} as const;

/** A Close frame (§5.5.1): the status code (§7.4) and reason when the frame has them. */
export interface WebSocketClose {
  direction: FlowDirection;
  code?: number;
  reason?: string;
  packet: PacketRef;
}

/** A frame that breaks §5.2: the direction is no longer read. */
export interface WebSocketError {
  direction: FlowDirection;
  /** The frame number of the packet holding the offending byte. */
  packet: number;
  message: string;
}

export interface WebSocketDeframerOptions {
  onClose?(close: WebSocketClose): void;
  onError?(error: WebSocketError): void;
}

/** Largest control-frame payload (§5.5). */
const MAX_CONTROL_PAYLOAD = 125;
/** Bytes of the longest frame header: 2 + 8 (64-bit length) + 4 (masking key). */
const MAX_HEADER = 14;

class DirectionState {
  readonly header = new Uint8Array(MAX_HEADER);
  /** Header bytes collected, and how many this frame's header has (known after its second byte). */
  headerHave = 0;
  headerNeed = 2;
  /** Reading the payload of the current frame. */
  inPayload = false;
  payloadLeft = 0;
  opcode = 0;
  masked = false;
  readonly mask = new Uint8Array(4);
  /** Position in the masking key of the next payload byte (§5.3: j = i MOD 4). */
  maskAt = 0;
  /** A data message whose last frame (FIN) has not come yet: continuations belong to it (§5.4). */
  inMessage = false;
  /** A control frame's payload, unmasked, while it arrives. */
  control = new Uint8Array(MAX_CONTROL_PAYLOAD);
  controlHave = 0;
  /** Offset of the next payload byte in the stream handed to the inner handler. */
  payloadOffset = 0;
  stopped = false;
}

export class WebSocketDeframer implements TcpStreamHandler {
  /** Every Close frame seen, in order. */
  readonly closes: WebSocketClose[] = [];
  private readonly directions = [new DirectionState(), new DirectionState()] as const;

  constructor(
    private readonly inner: TcpStreamHandler,
    private readonly options: WebSocketDeframerOptions = {},
  ) {}

  /** Nothing more is wanted: the inner handler is done, or neither direction can be read. */
  get done(): boolean {
    return (this.inner as { done?: boolean }).done === true || (this.directions[0].stopped && this.directions[1].stopped);
  }

  data(chunk: StreamChunk): void {
    const state = this.directions[chunk.direction];
    if (state.stopped) return;
    const bytes = chunk.bytes;
    const n = bytes.length;
    let i = 0;
    while (i < n) {
      if (!state.inPayload) {
        state.header[state.headerHave++] = bytes[i++]!;
        if (state.headerHave === 2) state.headerNeed = 2 + extendedLengthBytes(state.header[1]!) + (state.header[1]! & 0x80 ? 4 : 0);
        if (state.headerHave < state.headerNeed) continue;
        const problem = this.startFrame(state);
        if (problem) {
          this.fail(chunk.direction, chunk.packet, problem);
          return;
        }
        if (state.payloadLeft === 0 && !this.endFrame(state, chunk.direction, chunk.packet)) return;
        continue;
      }
      const take = state.payloadLeft < n - i ? state.payloadLeft : n - i;
      const piece = bytes.subarray(i, i + take);
      i += take;
      state.payloadLeft -= take;
      if (state.opcode >= WebSocketOpcode.Close) {
        this.unmaskInto(state, piece, state.control, state.controlHave);
        state.controlHave += take;
      } else {
        let payload = piece;
        if (state.masked) {
          payload = new Uint8Array(take);
          this.unmaskInto(state, piece, payload, 0);
        }
        const offset = state.payloadOffset;
        state.payloadOffset += take;
        this.inner.data({ direction: chunk.direction, bytes: payload, streamOffset: offset, packet: chunk.packet });
        if ((this.inner as { done?: boolean }).done === true) {
          // The inner handler wants nothing more (a malformed MQTT packet): no more unmasking.
          this.directions[0].stopped = true;
          this.directions[1].stopped = true;
          return;
        }
      }
      if (state.payloadLeft === 0 && !this.endFrame(state, chunk.direction, chunk.packet)) return;
    }
  }

  /**
   * The frame bytes lost cannot be told apart from the payload bytes lost, nor where the next
   * frame starts: the inner handler hears of a gap at the payload position reached (its length
   * is the TCP gap's, an upper bound), and the direction is no longer read.
   */
  gap(gap: StreamGap): void {
    const state = this.directions[gap.direction];
    if (state.stopped) return;
    state.stopped = true;
    this.inner.gap({ direction: gap.direction, streamOffset: state.payloadOffset, length: gap.length, packet: gap.packet });
  }

  end(reason: 'closed' | 'reset' | 'capture-ended'): void {
    this.inner.end(reason);
  }

  /** The header is whole: length, mask and the checks of §5.2 / §5.4 / §5.5. Returns a problem, if any. */
  private startFrame(state: DirectionState): string | undefined {
    const header = state.header;
    const first = header[0]!;
    const second = header[1]!;
    const fin = (first & 0x80) !== 0;
    const opcode = first & 0x0f;
    if ((first & 0x70) !== 0) {
      return `RSV bits 0b${((first >> 4) & 0x7).toString(2).padStart(3, '0')} set: an extension (permessage-deflate compresses with RSV1) the bench does not read (RFC 6455 §5.2)`;
    }
    let length = second & 0x7f;
    let at = 2;
    if (length === 126) {
      length = (header[2]! << 8) | header[3]!;
      at = 4;
    } else if (length === 127) {
      const high = ((header[2]! << 24) >>> 0) + (header[3]! << 16) + (header[4]! << 8) + header[5]!;
      const low = ((header[6]! << 24) >>> 0) + (header[7]! << 16) + (header[8]! << 8) + header[9]!;
      if (high >= 0x8000_0000) return 'a 64-bit payload length with its most significant bit set (RFC 6455 §5.2)';
      if (high > 0x1f_ffff) return `a payload length of ${high} × 2^32 bytes, past what can be counted`;
      length = high * 2 ** 32 + low;
      at = 10;
    }
    state.masked = (second & 0x80) !== 0;
    if (state.masked) {
      state.mask.set(header.subarray(at, at + 4));
      state.maskAt = 0;
    }
    if (opcode >= WebSocketOpcode.Close) {
      if (opcode > WebSocketOpcode.Pong) return `reserved control opcode 0x${opcode.toString(16)} (RFC 6455 §5.2)`;
      if (!fin) return 'a fragmented control frame (RFC 6455 §5.5)';
      if (length > MAX_CONTROL_PAYLOAD) return `a control frame of ${length} bytes, more than 125 (RFC 6455 §5.5)`;
      state.controlHave = 0;
    } else if (opcode === WebSocketOpcode.Continuation) {
      if (!state.inMessage) return 'a continuation frame with no message to continue (RFC 6455 §5.4)';
    } else if (opcode === WebSocketOpcode.Text || opcode === WebSocketOpcode.Binary) {
      if (state.inMessage) return 'a new data frame inside a fragmented message (RFC 6455 §5.4)';
    } else {
      return `reserved data opcode 0x${opcode.toString(16)} (RFC 6455 §5.2)`;
    }
    if (opcode < WebSocketOpcode.Close) state.inMessage = !fin;
    state.opcode = opcode;
    state.payloadLeft = length;
    state.inPayload = true;
    return undefined;
  }

  /** The frame's payload is whole; false when the direction is no longer read. */
  private endFrame(state: DirectionState, direction: FlowDirection, packet: PacketRef): boolean {
    state.inPayload = false;
    state.headerHave = 0;
    state.headerNeed = 2;
    if (state.opcode === WebSocketOpcode.Close) {
      const payload = state.control.subarray(0, state.controlHave);
      const close: WebSocketClose = { direction, packet: { number: packet.number, seconds: packet.seconds, nanos: packet.nanos } };
      if (payload.length >= 2) close.code = (payload[0]! << 8) | payload[1]!;
      if (payload.length > 2) close.reason = Buffer.from(payload.subarray(2)).toString('utf8');
      this.closes.push(close);
      this.options.onClose?.(close);
    }
    return !state.stopped;
  }

  private unmaskInto(state: DirectionState, from: Uint8Array, to: Uint8Array, at: number): void {
    if (!state.masked) {
      to.set(from, at);
      return;
    }
    const mask = state.mask;
    let j = state.maskAt;
    for (let k = 0; k < from.length; k++) {
      to[at + k] = from[k]! ^ mask[j]!;
      j = (j + 1) & 3;
    }
    state.maskAt = j;
  }

  private fail(direction: FlowDirection, packet: PacketRef, message: string): void {
    this.directions[direction].stopped = true;
    this.options.onError?.({ direction, packet: packet.number, message: `WebSocket: ${message}; the rest of this direction is not read` });
  }
}

/** Bytes of extended payload length the second header byte announces (§5.2). */
function extendedLengthBytes(second: number): number {
  const length = second & 0x7f;
  return length === 126 ? 2 : length === 127 ? 8 : 0;
}
