/**
 * Exchange helpers for the viewers: the file format (the same envelope main/exchange/serialize.ts
 * writes, built and read here because the renderer imports only types from main/), a "C:"/"S:" transcript
 * made from an Exchange's steps, and KRB5_TRACE lines split into highlighted parts.
 */
import type { Exchange, ExchangeStep } from '@api/index';
import { bytesToBase64 } from './bytes';

export const EXCHANGE_FORMAT = 'kbench-exchange';
export const EXCHANGE_VERSION = 1;

/** `{ "format": "kbench-exchange", "version": 1, "exchange": … }`, as `kbench … --exchange FILE` writes it. */
/** An Exchange's verdict as a mark: ✓ success, ✗ failure, … still pending. */
export function verdictMark(exchange: Exchange): string {
  return exchange.verdict.outcome === 'success' ? '✓' : exchange.verdict.outcome === 'failure' ? '✗' : '…';
}

export function exchangeFileText(exchange: Exchange): string {
  return `${JSON.stringify({ format: EXCHANGE_FORMAT, version: EXCHANGE_VERSION, exchange }, null, 2)}\n`;
}

/**
 * The Exchange in a saved `{ "format": "kbench-exchange", "version": 1, "exchange": … }` file.
 * Only the envelope is checked here; whether the Exchange itself is well formed is the engine's
 * call (it validates every Diagnose input) and comes back as the call's error.
 */
export function parseExchangeFile(text: string, name = 'the file'): Exchange {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`${name} is not JSON: ${(error as Error).message}`);
  }
  const envelope = parsed as { format?: unknown; exchange?: unknown } | null;
  if (!envelope || typeof envelope !== 'object' || Array.isArray(envelope)) throw new Error(`${name} is not a kbench-exchange file (expected a JSON object).`);
  if (envelope.format !== EXCHANGE_FORMAT) {
    throw new Error(`${name} is not a kbench-exchange file: its "format" is ${envelope.format === undefined ? 'missing' : JSON.stringify(envelope.format)}, expected "${EXCHANGE_FORMAT}".`);
  }
  const exchange = envelope.exchange as Partial<Exchange> | undefined;
  if (!exchange || typeof exchange !== 'object' || !Array.isArray(exchange.steps) || !exchange.verdict) throw new Error(`${name} has no "exchange" with steps and a verdict.`);
  return exchange as Exchange;
}

/** "sasl-server-2026-11-22T06-43-14.kbench-exchange.json". */
export function exchangeFileName(exchange: Exchange): string {
  const when = exchange.startedAt.replace(/\.\d+Z$/, '').replace(/:/g, '-');
  return `${exchange.source}-${exchange.role}-${when}.kbench-exchange.json`;
}

const encoder = new TextEncoder();

/**
 * The Cyrus sample programs' transcript of an Exchange's SASL messages: "S: " + the mechanism
 * list, then one "C:"/"S:" line per token; the initial response carries "GSSAPI\0" in front, as
 * sasl-sample-client sends it. Steps without a token (an abort) are left out.
 */
export function transcriptFromExchange(exchange: Exchange): string {
  const mechanism = exchange.mechanism || 'GSSAPI';
  const lines = [`S: ${bytesToBase64(encoder.encode(mechanism))}`];
  let first = true;
  for (const step of exchange.steps) {
    if (step.token === undefined) continue;
    const side = step.direction === 'client-to-server' ? 'C' : 'S';
    if (first && side === 'C') {
      const token = Uint8Array.from(atob(step.token), (c) => c.charCodeAt(0));
      const prefix = encoder.encode(`${mechanism}\0`);
      const joined = new Uint8Array(prefix.length + token.length);
      joined.set(prefix);
      joined.set(token, prefix.length);
      lines.push(`C: ${bytesToBase64(joined)}`);
      first = false;
      continue;
    }
    lines.push(`${side}: ${step.token}`);
  }
  return `${lines.join('\n')}\n`;
}

/** How many bytes a step's base64 token holds. */
export function tokenLength(step: ExchangeStep): number | null {
  if (step.token === undefined) return null;
  const padding = step.token.endsWith('==') ? 2 : step.token.endsWith('=') ? 1 : 0;
  return (step.token.length / 4) * 3 - padding;
}

export type TracePartKind = 'text' | 'prefix' | 'code-ok' | 'code-bad' | 'key' | 'num';

export interface TracePart {
  kind: TracePartKind;
  text: string;
}

/** "[22394] 1795329795.117843: " — MIT's pid and timestamp in front of every line. */
const PREFIX = /^\[\d+\] \d+\.\d+: /;
/**
 * Result codes ("-1765328243/Matching credential not found", "0/Success"), key fingerprints
 * ("aes256-cts/CC4E") and the other numbers (seqnum, ports, byte counts).
 */
const PARTS = /(-?\d+)(?=\/[A-Z])|\b[a-z][a-z0-9-]*\/[0-9A-F]{4}\b|\b\d+(?:\.\d+)*\b/g;

/** A KRB5_TRACE line split for highlighting: prefix muted, error codes red, success codes green. */
export function traceParts(line: string): TracePart[] {
  const parts: TracePart[] = [];
  let rest = line;
  const prefix = PREFIX.exec(line);
  if (prefix) {
    parts.push({ kind: 'prefix', text: prefix[0] });
    rest = line.slice(prefix[0].length);
  }
  let last = 0;
  for (const match of rest.matchAll(PARTS)) {
    const at = match.index ?? 0;
    if (at > last) parts.push({ kind: 'text', text: rest.slice(last, at) });
    const kind: TracePartKind = match[1] !== undefined ? (Number(match[1]) === 0 ? 'code-ok' : 'code-bad') : /\//.test(match[0]) ? 'key' : 'num';
    parts.push({ kind, text: match[0] });
    last = at + match[0].length;
  }
  if (last < rest.length) parts.push({ kind: 'text', text: rest.slice(last) });
  return parts;
}
