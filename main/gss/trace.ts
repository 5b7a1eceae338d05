/**
 * MIT krb5 trace lines (KRB5_TRACE). Each line is one event the library logged:
 *
 *   [30147] 1795328651.419131: TGS request result: -1765328377/Server x/h@R not found in Kerberos database
 *
 * pid in brackets, seconds.microseconds (MIT keeps them strictly increasing inside a process), a
 * colon, the message. Error results are written "code/text" with the com_err code, which the
 * binding's Error messages do not carry — the trace is where the numeric codes live.
 */

export interface TraceEntry {
  /** The process that logged the line (a GSS worker's pid). */
  pid: number;
  /** Seconds since the epoch with microseconds, as MIT wrote it. */
  time: number;
  message: string;
  /** com_err / errno error codes in the message, in order, without repeats (e.g. -1765328377); "0/Success" is none. */
  codes: number[];
  /** The line as MIT wrote it. */
  raw: string;
}

const LINE = /^\[(\d+)\] (\d+)\.(\d+): (.*)$/;
/** "result: -1765328377/Server …": MIT's "{kerr}" / "{errno}" formats print code/message. */
const CODE_WITH_TEXT = /(?<![\w./:-])(-?\d+)\/(?=\S)/g;
/** A bare com_err code (every MIT error table has a base below -2^20). */
const BARE_COM_ERR = /(?<![\w./:])-\d{7,10}(?![\d.])/g;

/** Codes in one trace message, in the order they appear. */
export function traceCodes(message: string): number[] {
  const found: Array<{ at: number; code: number }> = [];
  for (const m of message.matchAll(CODE_WITH_TEXT)) found.push({ at: m.index, code: Number(m[1]) });
  for (const m of message.matchAll(BARE_COM_ERR)) found.push({ at: m.index, code: Number(m[0]) });
  const codes: number[] = [];
  for (const { code } of found.sort((a, b) => a.at - b.at)) {
    if (code !== 0 && Number.isSafeInteger(code) && !codes.includes(code)) codes.push(code);
  }
  return codes;
}

/** One trace line, or null when it is not in MIT's format (a partial line, other output). */
export function parseTraceLine(line: string): TraceEntry | null {
  const raw = line.replace(/\r?\n$/, '');
  const m = LINE.exec(raw);
  if (!m) return null;
  const message = m[4]!;
  return {
    pid: Number(m[1]),
    // The fraction is microseconds, zero-padded by MIT: "1795328651.000012".
    time: Number(m[2]) + Number(m[3]) / 10 ** m[3]!.length,
    message,
    codes: traceCodes(message),
    raw,
  };
}

/** Splits trace text into its non-empty lines (the raw form GssCallResult.trace carries). */
export function traceLines(text: string): string[] {
  return text.split('\n').filter((line) => line.trim() !== '');
}

/** Parses every line in MIT's format; other lines are skipped. */
export function parseTrace(lines: string | readonly string[]): TraceEntry[] {
  const list = typeof lines === 'string' ? traceLines(lines) : lines;
  return list.map(parseTraceLine).filter((entry): entry is TraceEntry => entry !== null);
}

/** Every code in the trace, first occurrence first: what a diagnosis looks up. */
export function traceErrorCodes(lines: readonly string[]): number[] {
  const codes: number[] = [];
  for (const entry of parseTrace(lines)) for (const code of entry.codes) if (!codes.includes(code)) codes.push(code);
  return codes;
}
