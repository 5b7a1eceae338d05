/**
 * Builds one Exchange out of a capture: like ExchangeRecorder, but times come from the packets,
 * every step names the frames it came from, and each token is handed to the scan's decoder the
 * moment it is added — in packet order, so keys learnt from an earlier message (a TGS-REP's
 * session key) open the later ones (the AP-REQ's authenticator).
 */
import { randomUUID } from 'node:crypto';
import type { CaptureOrigin, Exchange, ExchangeStep, ExchangeVerdict, TransportPacket } from '../exchange/model';
import type { RecordInit } from './extract/types';
import type { PacketRef } from './types';

/** What the scan does with a token: decode it (with the capture's key ring) into the step. */
export type StepDecoder = (step: ExchangeStep, token: Uint8Array, exchange: Exchange) => void;

export interface CaptureStepInit {
  direction: ExchangeStep['direction'];
  transport: TransportPacket;
  /** The packet that completed the message (its time is the step's time). */
  at: PacketRef;
  /** Every frame the message came from, when several (a record over many segments). */
  packets?: readonly number[];
  /** The GSS/SASL token or Kerberos message carried: decoded by the scan. */
  token?: Uint8Array;
  /** The whole transport packet (an MQTT packet with its fixed header), kept for verbatim replay. */
  raw?: Uint8Array;
  /** Shown when the scan's decoder has nothing better. */
  tokenKind?: string;
  summary?: string;
  error?: string;
}

function epochMs(ref: PacketRef): number {
  return ref.seconds * 1000 + ref.nanos / 1e6;
}

function iso(ref: PacketRef): string {
  return new Date(Math.floor(epochMs(ref))).toISOString();
}

export class CaptureRecorder {
  readonly exchange: Exchange & { capture: CaptureOrigin };
  private readonly startMs: number;
  private readonly frames = new Set<number>();
  /** Set by the scan once the Exchange went to the spill; a later step opens it again. */
  finalized = false;
  onReopen?: () => void;

  constructor(
    init: RecordInit,
    private readonly decode: StepDecoder,
    file?: string,
    /** Stable across scans of the same file (`kbench capture show FILE --exchange ID` scans again). */
    id: string = randomUUID(),
  ) {
    this.startMs = epochMs(init.first);
    this.exchange = {
      id,
      source: 'capture',
      role: 'observer',
      mechanism: init.mechanism,
      startedAt: iso(init.first),
      steps: [],
      verdict: { outcome: 'pending', reason: 'the capture ends before the conversation does' },
      meta: { client: init.client, server: init.server },
      capture: {
        ...(file ? { file } : {}),
        protocol: init.protocol,
        client: init.client,
        server: init.server,
        ...(init.flow ? { flow: init.flow.id } : {}),
        ...(init.carriedBy ? { carriedBy: init.carriedBy } : {}),
        packets: [],
        principals: [],
        linked: [],
      },
    };
  }

  /** Milliseconds from the conversation's first packet to `ref`. */
  elapsed(ref: PacketRef): number {
    return Math.round((epochMs(ref) - this.startMs) * 1000) / 1000;
  }

  add(init: CaptureStepInit): ExchangeStep {
    if (this.finalized) {
      this.finalized = false;
      this.onReopen?.();
    }
    const packets = [...new Set([...(init.packets ?? []), init.at.number])].sort((a, b) => a - b);
    for (const n of packets) this.frames.add(n);
    const step: ExchangeStep = {
      index: this.exchange.steps.length,
      direction: init.direction,
      at: iso(init.at),
      elapsedMs: this.elapsed(init.at),
      transport: init.transport,
      packets,
      ...(init.tokenKind ? { tokenKind: init.tokenKind } : {}),
      ...(init.summary ? { summary: init.summary } : {}),
      ...(init.error ? { error: init.error } : {}),
    };
    if (init.raw) step.raw = Buffer.from(init.raw.buffer, init.raw.byteOffset, init.raw.byteLength).toString('base64');
    if (init.token) {
      step.token = Buffer.from(init.token.buffer, init.token.byteOffset, init.token.byteLength).toString('base64');
      this.decode(step, init.token, this.exchange);
    }
    this.exchange.steps.push(step);
    return step;
  }

  /** A gap in the bytes of this conversation, in words ("client → server: 1460 bytes missing at stream byte 2920, before frame 17"). */
  noteGap(text: string): void {
    (this.exchange.capture.gaps ??= []).push(text);
  }

  /** Settles the verdict once; `at` is the packet that decided it (absent: the capture ended). */
  finish(verdict: ExchangeVerdict, at?: PacketRef): Exchange {
    // A pending verdict may be replaced (by a settled one, or a pending one with a better reason); a settled one stays.
    if (this.exchange.verdict.outcome === 'pending') this.exchange.verdict = verdict;
    if (at && !this.exchange.finishedAt) this.exchange.finishedAt = iso(at);
    this.exchange.capture.packets = [...this.frames].sort((a, b) => a - b);
    return this.exchange;
  }

  get finished(): boolean {
    return this.exchange.verdict.outcome !== 'pending';
  }
}
