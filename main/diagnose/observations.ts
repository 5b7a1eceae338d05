/**
 * What a diagnosis looks at: observations gathered from a pasted text or a failed Exchange —
 * message lines, KRB5_TRACE lines with their com_err codes, KRB-ERROR codes (decoded tokens,
 * Windows event failure codes, protocol names), MQTT reason codes. Each remembers where it was
 * seen, so every finding can quote its evidence.
 */
import type { Exchange, ExchangeStep } from '../exchange/model';
import { parseTraceLine } from '../gss/trace';
import { ERROR_CODES } from '../krb/messages/error-codes';
import { findNode, type TreeNode } from '../krb/tree';

/**
 * `trace` marks what was seen in a KRB5_TRACE line rather than in the error reported: context, not
 * the failure itself (MIT traces non-fatal errors while it tries alternatives). `step` is the
 * index of the Exchange step it was seen in, so a finding's evidence links back to that step.
 */
export type Observation = (
  | { kind: 'message'; text: string; source: string }
  | { kind: 'com-err'; code: number; text: string; source: string }
  | { kind: 'krb-error'; code: number; text: string; source: string }
  | { kind: 'mqtt-reason'; code: number; text: string; source: string }
) & { trace?: true; step?: number };

/** The longest excerpt a finding quotes from one line. */
const MAX_QUOTE = 400;
/** How many lines of a pasted log are read (a whole log file is fine; a novel is cut). */
const MAX_LINES = 5000;

const KRB_ERROR_BY_NAME = new Map(Object.entries(ERROR_CODES).map(([code, [name]]) => [name, Number(code)]));
/** KDC_ERR_… / KRB_AP_ERR_… / KRB_ERR_… names as they appear in logs and Windows docs. */
const KRB_ERROR_NAME = /\b(KDC_ERR_[A-Z_]+|KRB_AP_ERR_[A-Z_]+|KRB_ERR_[A-Z_]+)\b/g;
/** Windows Security events 4768/4769/4771 print "Failure Code: 0x18" (or "Result Code:"). */
const WINDOWS_FAILURE_CODE = /\b(?:Failure|Result) Code:\s*0x([0-9a-f]{1,2})\b/gi;
/** An MQTT 5 reason code as the bench and MQTT.js print it: "0x87 Not Authorized", "CONNACK 0x8C". */
const MQTT_REASON = /\b0x(8[0-9a-f]|9[0-9a-f]|a[0-2])\b/gi;

/**
 * Trace lines that report an error as part of normal work: a cache or keytab lookup that misses
 * before the library fetches what it needs, and the KDC asking for pre-authentication (every
 * first AS-REQ of a principal with +requires_preauth gets that answer).
 */
const ROUTINE_TRACE = /^Retrieving .* with result: -?\d+\/|^Received error from KDC: -?\d+\/Additional pre-authentication required/;
/**
 * Java's debug output says this of every rc4/des3 key it skips in a keytab (JDK 17 disables them),
 * at every login in a realm that still issues such keys: routine in a trace. A real rc4-only
 * failure shows in the error itself ("Encryption type RC4 with HMAC is not supported/enabled").
 */
const ROUTINE_JAVA_TRACE = /^Found unsupported keytype \(\d+\)/;

const quote = (text: string) => (text.length > MAX_QUOTE ? `${text.slice(0, MAX_QUOTE)}…` : text);

/** Observations in one line of text, `source` saying where the line is. */
function observeLine(line: string, source: string, options: { mqtt: boolean; trace?: boolean }): Observation[] {
  const trace = parseTraceLine(line);
  const text = trace ? trace.message : line.trim();
  if (!text || (trace && ROUTINE_TRACE.test(text)) || (options.trace && ROUTINE_JAVA_TRACE.test(text))) return [];
  // What every observation of this line shares: the quote, where it was seen, and whether it is a trace line.
  const seen = { text: quote(text), source, ...(trace || options.trace ? { trace: true as const } : {}) };
  const found: Observation[] = [{ kind: 'message', ...seen }];
  for (const code of trace?.codes ?? []) found.push({ kind: 'com-err', code, ...seen });
  for (const match of text.matchAll(KRB_ERROR_NAME)) {
    const code = KRB_ERROR_BY_NAME.get(match[1]!);
    if (code !== undefined) found.push({ kind: 'krb-error', code, ...seen });
  }
  for (const match of text.matchAll(WINDOWS_FAILURE_CODE)) found.push({ kind: 'krb-error', code: parseInt(match[1]!, 16), ...seen });
  if (options.mqtt) {
    for (const match of text.matchAll(MQTT_REASON)) found.push({ kind: 'mqtt-reason', code: parseInt(match[1]!, 16), ...seen });
  }
  return found;
}

const RESOLVING = /Resolving hostname (\S+)/;
const CONTACTED = /(?:request|connection) to (?:dgram|stream)|Sending (?:initial UDP|TCP) request/;

/**
 * MIT 1.20 words a KDC name that does not resolve as "Cannot contact any KDC"; only the trace
 * tells them apart: the last "Resolving hostname" line is followed by no request to any address.
 */
function unresolvedKdcHost(lines: readonly string[], label: string): Observation[] {
  const failedAt = lines.findIndex((l) => /Cannot contact any KDC/i.test(l));
  if (failedAt < 0) return [];
  let host: string | undefined;
  for (const line of lines.slice(0, failedAt)) {
    const resolving = RESOLVING.exec(line);
    if (resolving) host = resolving[1];
    else if (CONTACTED.test(line)) host = undefined;
  }
  return host ? [{ kind: 'message', text: `KDC host ${host} did not resolve (KRB5_TRACE: "Resolving hostname ${host}" with no request sent after it)`, source: `${label}, KRB5_TRACE` }] : [];
}

/** A pasted error message or log excerpt, line by line. */
export function observeText(text: string, label = 'the pasted text'): Observation[] {
  const lines = text.split(/\r?\n/).slice(0, MAX_LINES);
  const single = lines.filter((l) => l.trim()).length === 1;
  return [...lines.flatMap((line, i) => observeLine(line, single ? label : `${label}, line ${i + 1}`, { mqtt: true })), ...unresolvedKdcHost(lines, label)];
}

/** The error-code of a KRB-ERROR token the step carried (decoded by the Exchange's decoder). */
function krbErrorCode(tree: TreeNode | undefined): number | undefined {
  if (!tree) return undefined;
  const node = findNode(tree, 'error-code');
  const value = typeof node?.value === 'number' ? node.value : typeof node?.value === 'string' ? parseInt(node.value, 10) : NaN;
  return Number.isInteger(value) ? value : undefined;
}

function stepLabel(step: ExchangeStep): string {
  return `step ${step.index + 1} (${step.transport.packet})`;
}

/** What one step shows; `position` is its index in the Exchange's steps. */
function observeStep(step: ExchangeStep, position: number): Observation[] {
  const label = stepLabel(step);
  const found: Observation[] = [];
  if (step.error) found.push(...observeLine(step.error, `${label} error`, { mqtt: false }));
  for (const line of step.trace ?? []) found.push(...observeLine(line, `${label} KRB5_TRACE`, { mqtt: false, trace: true }));
  const code = krbErrorCode(step.decoded);
  if (code !== undefined) found.push({ kind: 'krb-error', code, text: `KRB-ERROR error-code ${code}${ERROR_CODES[code] ? ` (${ERROR_CODES[code][0]})` : ''}`, source: `${label} token` });
  const reason = step.transport.fields?.reasonCode;
  if (typeof reason === 'string') {
    const m = /^0x([0-9a-f]{2})/i.exec(reason);
    if (m && parseInt(m[1]!, 16) >= 0x80) found.push({ kind: 'mqtt-reason', code: parseInt(m[1]!, 16), text: `${step.transport.packet} ${reason}`, source: label });
  }
  return found.map((o) => ({ ...o, step: position }));
}

/** A failed Exchange: its verdict, every step's error, trace lines and KRB-ERROR tokens. */
export function observeExchange(exchange: Exchange): Observation[] {
  const found: Observation[] = [];
  const { verdict } = exchange;
  if (verdict.reason) found.push(...observeLine(verdict.reason, `the ${exchange.source} Exchange's verdict`, { mqtt: false }));
  if (verdict.code) found.push(...observeLine(verdict.code, `the ${exchange.source} Exchange's verdict code`, { mqtt: true }));
  exchange.steps.forEach((step, position) => found.push(...observeStep(step, position)));
  // A client that failed before it had a token to send never reached the service: getting the
  // ticket failed (its TGT, the KDC, the service name), not the service's check of one.
  const sentToken = exchange.steps.some((s) => s.direction === 'client-to-server' && s.token !== undefined);
  if (exchange.role === 'client' && verdict.outcome === 'failure' && !sentToken && verdict.reason) {
    found.push({ kind: 'message', text: quote(`the client failed before sending any token: ${verdict.reason}`), source: `the ${exchange.source} Exchange (client side)` });
  }
  return found;
}
