/**
 * GSS-API tokens in flows no other extractor claims (SMB2 SESSION_SETUP, DCE/RPC binds, mail
 * AUTH, anything): found by their own framing, not by the protocol around them.
 *
 *   60 len 06 oid …       RFC 2743 §3.1 initial context token: krb5 (RFC 4121, and Microsoft's
 *                         1.2.840.48018.1.2.2), SPNEGO (RFC 4178), NTLMSSP
 *   a1 len 30 len a0|a1|a2|a3 …   SPNEGO NegTokenResp (RFC 4178 §4.2.2)
 *   6e / 6f / 7e len 30 len a0 03 02 01 05 a1 03 02 01 0e|0f|1e   bare AP-REQ, AP-REP, KRB-ERROR
 *   334 <base64> / + <base64> / AUTH GSSAPI <base64> / <base64>   a line of a text protocol
 *                         (SMTP RFC 4954, IMAP RFC 9051 §6.2.2, POP3 RFC 5034) holding one of those
 *
 * Authentication happens at the start of a connection: only the first 64 KiB of each direction
 * are looked at. Candidates are cheap to reject — the tag, a DER length that fits 64 KiB, the
 * next headers consistent with it, a known OID or pvno 5 and the matching msg-type — and only
 * the few that pass are decoded in full (main/krb's own decoders, which must accept the whole
 * token). A plausible candidate whose bytes have not all arrived holds the window from its first
 * byte until they do, so a token split over TCP segments is still found.
 */
import type { CaptureRecorder } from '../recorder';
import type { FlowDirection, PacketRef, StreamChunk, StreamGap, TcpFlow, TcpStreamHandler } from '../types';
import { CANDIDATE_TAG, examineCandidate, examineLine, GSS_CARVE_LOOK, TAG_INITIAL_CONTEXT, TAG_NEG_TOKEN_RESP, type Found } from './gss-tokens';
import type { ExtractContext, TcpExtractor } from './types';

// ---- the stream handler ----

/** Where a chunk of the window ends (stream offset) and the packet that carried it. */
interface ChunkMark {
  end: number;
  packet: PacketRef;
}

const LF = 0x0a;
const CARRIER_PREFIX = 8;

function isTextByte(byte: number): boolean {
  return (byte >= 0x20 && byte < 0x7f) || byte === 0x0d || byte === 0x09;
}

/** One direction's window: the bytes from the first undecided position on, within the first 64 KiB. */
class CarveDirection {
  buffer = new Uint8Array(0);
  length = 0;
  /** Stream offset of buffer[0]; of the window's end; of the next position to examine. */
  base = 0;
  received = 0;
  next = 0;
  /** Text lines: offset of the next byte to look at, where the current line starts, whether it is text so far. */
  textAt = 0;
  lineStart = 0;
  lineText = true;
  marks: ChunkMark[] = [];
  readonly first = new Uint8Array(CARRIER_PREFIX);
  firstLength = 0;
  stopped = false;
}

/** What a flow's first bytes say about the protocol around the tokens: a guess, for the reader. */
function guessCarrier(sides: readonly CarveDirection[], text: boolean): string | undefined {
  for (const side of sides) {
    const b = side.first.subarray(0, side.firstLength);
    // NetBIOS session message (RFC 1002 §4.3.1): type 0, 3-byte length, then the SMB header.
    if (b.length >= 8 && b[0] === 0 && (b[4] === 0xfe || b[4] === 0xff) && b[5] === 0x53 && b[6] === 0x4d && b[7] === 0x42) return b[4] === 0xfe ? 'SMB2' : 'SMB';
    // DCE/RPC connection-oriented PDU (C706 §12.6): version 5, minor 0/1, bind / bind_ack / alter_context(_resp) / auth3.
    if (b.length >= 3 && b[0] === 5 && b[1]! <= 1 && [0x0b, 0x0c, 0x0e, 0x0f, 0x10].includes(b[2]!)) return 'DCE/RPC';
  }
  if (!text) return undefined;
  const greeting = Buffer.from(sides[1]!.first.subarray(0, sides[1]!.firstLength)).toString('latin1');
  if (greeting.startsWith('220')) return 'SMTP';
  if (greeting.startsWith('* OK')) return 'IMAP';
  if (greeting.startsWith('+OK')) return 'POP3';
  return 'SMTP/IMAP';
}

export class GssCarveHandler implements TcpStreamHandler {
  /** Both directions are past their first 64 KiB: nothing more will be looked at. */
  done = false;
  private readonly sides = [new CarveDirection(), new CarveDirection()] as const;
  private recorder?: CaptureRecorder;

  constructor(
    private readonly flow: TcpFlow,
    private readonly ctx: ExtractContext,
  ) {}

  data(chunk: StreamChunk): void {
    const side = this.sides[chunk.direction];
    if (side.stopped || chunk.bytes.length === 0) return;
    if (chunk.streamOffset !== side.received) this.restart(chunk.direction, chunk.streamOffset);
    if (side.stopped) return;
    const take = Math.min(chunk.bytes.length, GSS_CARVE_LOOK - side.received);
    if (take <= 0) return this.stop(chunk.direction);
    this.append(side, chunk.bytes.subarray(0, take), chunk.packet);
    this.scan(chunk.direction, false);
    if (side.received >= GSS_CARVE_LOOK) this.stop(chunk.direction);
  }

  gap(gap: StreamGap): void {
    // A token across the hole is lost; the window starts again after it.
    if (!this.sides[gap.direction].stopped) this.restart(gap.direction, gap.streamOffset + gap.length);
  }

  end(_reason?: 'closed' | 'reset' | 'capture-ended'): void {
    for (const direction of [0, 1] as const) if (!this.sides[direction].stopped) this.scan(direction, true);
    this.recorder?.finish({ outcome: 'pending', reason: 'neither an AP-REP nor a KRB-ERROR settles the conversation in the capture' });
  }

  private append(side: CarveDirection, bytes: Uint8Array, packet: PacketRef): void {
    if (side.firstLength < CARRIER_PREFIX && side.received < CARRIER_PREFIX) {
      const n = Math.min(CARRIER_PREFIX - side.firstLength, bytes.length);
      side.first.set(bytes.subarray(0, n), side.firstLength);
      side.firstLength += n;
    }
    const needed = side.length + bytes.length;
    if (needed > side.buffer.length) {
      const grown = new Uint8Array(Math.min(GSS_CARVE_LOOK, Math.max(needed, side.buffer.length * 2, 1024)));
      grown.set(side.buffer.subarray(0, side.length));
      side.buffer = grown;
    }
    side.buffer.set(bytes, side.length);
    side.length += bytes.length;
    side.received += bytes.length;
    side.marks.push({ end: side.received, packet });
  }

  /** Looks at the window: binary candidates, then whole text lines; keeps what is undecided. */
  private scan(direction: FlowDirection, final: boolean): void {
    const side = this.sides[direction];
    const b = side.buffer;
    const end = side.length;
    let i = side.next - side.base;
    for (; i < end; i++) {
      if (!CANDIDATE_TAG[b[i]!]) continue;
      const found = examineCandidate(b, i, end, final);
      if (found === 'wait') break;
      if (found === 'no') continue;
      this.record(direction, side.base + i, b.slice(i, i + found.length), found, 'binary');
      i += found.length - 1;
    }
    side.next = side.base + i;
    this.scanLines(direction, side, end);
    this.trim(side);
  }

  private scanLines(direction: FlowDirection, side: CarveDirection, end: number): void {
    const b = side.buffer;
    let i = side.textAt - side.base;
    while (i < end) {
      if (!side.lineText) {
        // Not a text line: nothing to look at before the next one.
        const lf = b.subarray(i, end).indexOf(LF);
        if (lf < 0) break;
        i += lf + 1;
        side.lineStart = side.base + i;
        side.lineText = true;
        continue;
      }
      const byte = b[i]!;
      if (byte === LF) {
        const start = side.lineStart - side.base;
        if (i - start >= 16) {
          const line = Buffer.from(b.buffer, b.byteOffset + start, i - start).toString('latin1').replace(/\r$/, '');
          const found = examineLine(line);
          if (found) this.record(direction, side.lineStart, found.bytes, found, 'line', side.base + i + 1);
        }
        side.lineStart = side.base + i + 1;
      } else if (!isTextByte(byte)) {
        side.lineText = false;
      }
      i++;
    }
    side.textAt = side.base + end;
  }

  /** Drops window bytes no candidate or text line needs any more. */
  private trim(side: CarveDirection): void {
    const keep = Math.min(side.next, side.lineText ? side.lineStart : side.textAt);
    const drop = keep - side.base;
    if (drop <= 0 || (drop < 4096 && drop < side.length)) return;
    side.buffer.copyWithin(0, drop, side.length);
    side.length -= drop;
    side.base = keep;
    let stale = 0;
    while (stale < side.marks.length - 1 && side.marks[stale]!.end <= keep) stale++;
    if (stale) side.marks.splice(0, stale);
  }

  private restart(direction: FlowDirection, at: number): void {
    const side = this.sides[direction];
    this.scan(direction, true);
    side.length = 0;
    side.base = side.next = side.textAt = side.lineStart = side.received = at;
    side.lineText = false; // mid-line after a hole
    side.marks = [];
    if (at >= GSS_CARVE_LOOK) this.stop(direction);
  }

  private stop(direction: FlowDirection): void {
    const side = this.sides[direction];
    if (side.stopped) return;
    this.scan(direction, true);
    side.stopped = true;
    side.buffer = new Uint8Array(0);
    side.length = 0;
    side.marks = [];
    this.done = this.sides[0].stopped && this.sides[1].stopped;
  }

  /** The frames bytes [start, end) of a direction came from, and the one that completed them. */
  private framesOf(side: CarveDirection, start: number, end: number): { at: PacketRef; packets: number[] } {
    const packets: number[] = [];
    let at: PacketRef | undefined;
    let from = side.base;
    for (const mark of side.marks) {
      if (mark.end > start && from < end && !packets.includes(mark.packet.number)) packets.push(mark.packet.number);
      if (!at && mark.end >= end) at = mark.packet;
      from = mark.end;
    }
    return { at: at ?? side.marks.at(-1)!.packet, packets };
  }

  private record(direction: FlowDirection, offset: number, token: Uint8Array, found: Found, how: 'binary' | 'line', lineEnd?: number): void {
    const side = this.sides[direction];
    const { at, packets } = this.framesOf(side, offset, lineEnd ?? offset + token.length);
    if (!this.recorder) {
      const carriedBy = guessCarrier(this.sides, how === 'line');
      this.recorder = this.ctx.record({
        protocol: 'gss',
        mechanism: found.spnego ? 'SPNEGO' : 'GSS-API',
        client: this.flow.client,
        server: this.flow.server,
        flow: this.flow,
        first: at,
        ...(carriedBy ? { carriedBy } : {}),
      });
    }
    const framing = how === 'line' ? 'base64 line' : token[0] === TAG_INITIAL_CONTEXT ? 'GSS-API initial context token' : token[0] === TAG_NEG_TOKEN_RESP ? 'SPNEGO NegTokenResp' : 'bare Kerberos message';
    this.recorder.add({
      direction: direction === 0 ? 'client-to-server' : 'server-to-client',
      transport: { protocol: 'gss', packet: found.kind, fields: { framing, 'stream offset': offset } },
      at,
      packets,
      token,
      tokenKind: found.kind,
    });
    if (found.verdict) this.recorder.finish(found.verdict, at);
  }
}

export const gssCarveExtractor: TcpExtractor = {
  name: 'gss-carve',
  sniff: () => 'yes',
  create: (flow, ctx) => new GssCarveHandler(flow, ctx),
};
