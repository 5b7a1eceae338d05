/**
 * Routes a TCP flow (or bytes tunnelled inside one: WebSocket payload, decrypted TLS) to the
 * extractor its first bytes belong to — by content, on any port. Until one claims the flow the
 * router keeps copies of what arrived (bounded); then it replays them to the chosen handler and
 * gets out of the way.
 */
import type { ExtractContext, TcpExtractor } from './extract/types';
import type { StreamChunk, StreamGap, TcpFlow, TcpStreamHandler } from './types';

/** Bytes of one direction looked at before giving up on every extractor but the fallback. */
const SNIFF_LIMIT = 4096;
/** Chunks held while undecided (a server that speaks first, then a silent client). */
const MAX_HELD_CHUNKS = 64;

type Held = { kind: 'data'; chunk: StreamChunk } | { kind: 'gap'; gap: StreamGap };

export class FlowRouter implements TcpStreamHandler {
  private handler: TcpStreamHandler | undefined;
  private held: Held[] = [];
  private readonly first: [Uint8Array[], Uint8Array[]] = [[], []];
  private readonly firstLength: [number, number] = [0, 0];
  /** Directions whose bytes every extractor has turned down. */
  private readonly refused: [boolean, boolean] = [false, false];

  constructor(
    private readonly flow: TcpFlow,
    private readonly extractors: readonly TcpExtractor[],
    /** Claims whatever no extractor recognised (the GSS token carver). */
    private readonly fallback: TcpExtractor,
    private readonly ctx: ExtractContext,
    /** Called once the flow and its handler have ended. */
    private readonly onEnd?: () => void,
  ) {}

  /** The chosen handler wants nothing more: reassembly may skip the flow. */
  get done(): boolean {
    return (this.handler as { done?: boolean } | undefined)?.done === true;
  }

  data(chunk: StreamChunk): void {
    if (this.handler) return this.handler.data(chunk);
    const copy: StreamChunk = { ...chunk, bytes: Uint8Array.prototype.slice.call(chunk.bytes) };
    this.held.push({ kind: 'data', chunk: copy });
    const d = chunk.direction;
    if (this.firstLength[d] < SNIFF_LIMIT) {
      this.first[d].push(copy.bytes);
      this.firstLength[d] += copy.bytes.length;
    }
    this.decide(d);
  }

  gap(gap: StreamGap): void {
    if (this.handler) return this.handler.gap(gap);
    this.held.push({ kind: 'gap', gap });
  }

  end(reason: 'closed' | 'reset' | 'capture-ended'): void {
    // Never claimed: whatever arrived still goes through the carver (a short conversation).
    if (!this.handler && this.held.length > 0) this.choose(this.fallback);
    this.handler?.end(reason);
    this.onEnd?.();
  }

  private decide(direction: 0 | 1): void {
    if (this.refused[direction]) return this.maybeFallBack();
    const bytes = joined(this.first[direction], this.firstLength[direction]);
    let waiting = false;
    for (const extractor of this.extractors) {
      const verdict = extractor.sniff(bytes, direction);
      if (verdict === 'yes') return this.choose(extractor);
      if (verdict === 'more') waiting = true;
    }
    if (!waiting || this.firstLength[direction] >= SNIFF_LIMIT) {
      this.refused[direction] = true;
      this.maybeFallBack();
    }
  }

  /** The carver takes the flow once the client's bytes (or, failing those, the server's) are refused. */
  private maybeFallBack(): void {
    if (this.refused[0] || (this.refused[1] && this.held.length >= MAX_HELD_CHUNKS)) this.choose(this.fallback);
  }

  private choose(extractor: TcpExtractor): void {
    const handler = extractor.create(this.flow, this.ctx);
    this.handler = handler;
    const held = this.held;
    this.held = [];
    this.first[0] = [];
    this.first[1] = [];
    for (const item of held) {
      if (item.kind === 'data') handler.data(item.chunk);
      else handler.gap(item.gap);
    }
  }
}

function joined(parts: Uint8Array[], length: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
