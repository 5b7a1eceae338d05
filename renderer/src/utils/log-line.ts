/**
 * Log lines as the bench shows them: MIT's KRB5_TRACE lines ("[22394] 1795329795.117843: …", the
 * time in seconds since 1970) and the KDC's syslog lines ("Nov 22 06:25:09 vm krb5kdc[30604](info):
 * …"), each with a readable local time, its message and a severity that says how to colour it.
 * MIT traces errors it recovers from (a cache miss before it asks the KDC, the KDC asking for
 * pre-authentication): those are routine, not failures, and are not shown in red.
 */

/**
 * error: a failure (red); routine: an error MIT recovers from (amber); reply: something received
 * from the peer or the KDC (accent); issued: the KDC issued a ticket (green); noise: the bench's own
 * readiness checks (dimmed); normal: the rest.
 */
export type LogSeverity = 'error' | 'routine' | 'reply' | 'issued' | 'noise' | 'normal';

export interface LogLineView {
  /** "07:31:02.123" (KRB5_TRACE, local time) or "06:25:09" (KDC log); '' when the line has none. */
  time: string;
  /** The line without its pid and time. */
  text: string;
  /** The line as written, for the tooltip. */
  raw: string;
  severity: LogSeverity;
}

/** "[22394] 1795329795.117843: " — MIT's pid and timestamp in front of every trace line. */
const TRACE_PREFIX = /^\[(\d+)\] (\d+)\.(\d+): /;
/** "Nov 22 06:25:09 vm krb5kdc[30604](info): …". */
const KDC_LOG = /^\w{3} [ \d]\d (\d\d:\d\d:\d\d) \S+ krb5kdc\[\d+\]\((\w+)\): (.*)$/;

/** Errors MIT traces on its way to what it needs (the same lines the diagnosis leaves out). */
const ROUTINE = /^Retrieving .* with result: -?\d+\/|^Received error from KDC: -?\d+\/Additional pre-authentication required|NEEDED_PREAUTH/;
const NOISE = /kbench-probe-[0-9a-f]+@|^closing down fd \d+$/;
/** A non-zero com_err code ("-1765328243/Matching credential not found"), or failure words. */
const ERROR = /(?:^|[\s:(])-\d+\/|\b(?:error|errors|failed|failure|fails|Retrying|cannot|can't|unable|not found|expired|skew|denied|refused|PREAUTH_FAILED|UNKNOWN_SERVER|CLIENT_NOT_FOUND|REVOKED|BAD_INTEGRITY)\b/i;
const ISSUED = /\bISSUE:/;
const REPLY = /^(?:Received|Response was from)|\breceived\b/;

/** How a line's message should be coloured (the rule both the Exchange trace and the KDC log use). */
export function logSeverity(text: string): LogSeverity {
  if (NOISE.test(text)) return 'noise';
  if (ROUTINE.test(text)) return 'routine';
  if (ISSUED.test(text)) return 'issued';
  if (ERROR.test(text)) return 'error';
  if (REPLY.test(text)) return 'reply';
  return 'normal';
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** Seconds (and microseconds) since 1970 as "07:31:02.123" in the local time zone. */
export function localClock(seconds: number, microseconds = 0): string {
  const date = new Date(seconds * 1000 + Math.floor(microseconds / 1000));
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/** One log line split into its local time, its message and its severity. */
export function logLineView(line: string): LogLineView {
  const trace = TRACE_PREFIX.exec(line);
  if (trace) {
    const text = line.slice(trace[0].length);
    const micros = Number(trace[3]!.padEnd(6, '0').slice(0, 6));
    return { time: localClock(Number(trace[2]), micros), text, raw: line, severity: logSeverity(text) };
  }
  const kdc = KDC_LOG.exec(line);
  if (kdc) {
    const text = kdc[3]!;
    const level = kdc[2]!;
    // syslog's own level wins when it says error.
    const severity = /^(?:err|error|crit|alert|emerg)$/.test(level) ? 'error' : logSeverity(text);
    return { time: kdc[1]!, text, raw: line, severity };
  }
  return { time: '', text: line, raw: line, severity: logSeverity(line) };
}
