/**
 * The JVM's Kerberos debug output (-Dsun.security.krb5.debug=true, sun.security.spnego.debug and
 * Krb5LoginModule's debug=true), as a Java GSS worker returns it in GssCallResult.trace. Unlike
 * MIT's KRB5_TRACE the lines carry no pid or time, and some events span several lines:
 *
 *   >>> KrbKdcReq send: kdc=127.0.0.1 TCP:18977, timeout=30000, number of retries =3, #bytes=726
 *   >>>KRBError:
 *   	 error code is 7
 *   	 error Message is Server not found in Kerberos database
 *   >>> EType: sun.security.krb5.internal.crypto.Aes256CtsHmacSha1EType
 *   default etypes for default_tgs_enctypes: 18 17 20 19.
 *   0000: 01 00 6E 82 02 B0 30 82   02 AC A0 03 02 01 05 A1  ..n...0.........
 *   	at java.security.jgss/sun.security.krb5.KrbTgsRep.<init>(KrbTgsRep.java:72)
 *
 * This module picks out what a diagnosis or a viewer wants (KDC requests, KDC errors with their
 * code, enctypes, the login module's lines) and marks hex dumps and stack frames so a viewer can
 * fold them. Anything else stays 'other', unchanged.
 */

export type JavaTraceKind = 'kdc-request' | 'kdc-error' | 'enctypes' | 'login' | 'spnego' | 'hex' | 'stack' | 'other';

export interface JavaTraceEntry {
  kind: JavaTraceKind;
  /** The line as the JVM printed it. */
  raw: string;
  /** kdc-request: "127.0.0.1 TCP:18977". */
  kdc?: string;
  /** kdc-error: the KRB-ERROR error-code (RFC 4120 §7.5.9), e.g. 7 for S_PRINCIPAL_UNKNOWN. */
  errorCode?: number;
  /** kdc-error: its e-text, when the next lines give it. */
  errorText?: string;
  /** enctypes: the numbers named on the line (RFC 3961 etype numbers). */
  enctypes?: number[];
}

/** Splits trace text into its non-empty lines (the raw form GssCallResult.trace carries). */
export function javaTraceLines(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.replace(/\r$/, ''))
    .filter((line) => line.trim() !== '');
}

/** Java's EType class names → RFC 3961 numbers (the ones JDK 17 has). */
const ETYPE_CLASSES: Record<string, number> = {
  DesCbcCrcEType: 1,
  DesCbcMd5EType: 3,
  Des3CbcHmacSha1KdEType: 16,
  Aes128CtsHmacSha1EType: 17,
  Aes256CtsHmacSha1EType: 18,
  Aes128CtsHmacSha2EType: 19,
  Aes256CtsHmacSha2EType: 20,
  ArcFourHmacEType: 23,
};

const KDC_REQUEST = /^>>> KrbKdcReq send: kdc=(\S+ (?:TCP|UDP):\d+)/;
const KDC_ERROR_START = /^>>>\s*KRBError:/;
const ERROR_CODE = /^\s*error code is (-?\d+)/;
const ERROR_TEXT = /^\s*error Message is (.*)$/;
const ETYPE_CLASS = /^>>> EType: \S*\.(\w+EType)\b/;
const ETYPE_LIST = /etypes? for \w+: ([\d ]+)\.?$|^Added key: (\d+),|keyType=(\d+)/i;
const HEX_LINE = /^[0-9A-F]{4}: (?:[0-9A-F]{2} +){1,16}/;
const STACK_LINE = /^\s+at \S+\(|^Caused by: |^\s+\.\.\. \d+ more$/;
const LOGIN_LINE = /^(?:Debug is\s+true|\[Krb5LoginModule\]|Commit Succeeded|principal is |Acquire TGT|Will use keytab|Principal is |\t\t\[Krb5LoginModule\])/;
const SPNEGO_LINE = /^(?:SpNegoContext|SNegoContext|Entered SpNego|SpNego)/;

function enctypesOf(line: string): number[] | undefined {
  const cls = ETYPE_CLASS.exec(line)?.[1];
  if (cls) return ETYPE_CLASSES[cls] === undefined ? undefined : [ETYPE_CLASSES[cls]];
  const m = ETYPE_LIST.exec(line);
  if (!m) return undefined;
  const list = (m[1] ?? m[2] ?? m[3] ?? '').trim();
  const numbers = list.split(/\s+/).map(Number).filter((n) => Number.isInteger(n));
  return numbers.length > 0 ? numbers : undefined;
}

/** One line on its own (multi-line KRB-ERRORs are joined by parseJavaTrace). */
export function parseJavaTraceLine(raw: string): JavaTraceEntry {
  const kdc = KDC_REQUEST.exec(raw)?.[1];
  if (kdc) return { kind: 'kdc-request', raw, kdc };
  if (KDC_ERROR_START.test(raw)) return { kind: 'kdc-error', raw };
  if (HEX_LINE.test(raw)) return { kind: 'hex', raw };
  if (STACK_LINE.test(raw)) return { kind: 'stack', raw };
  const enctypes = enctypesOf(raw);
  if (enctypes) return { kind: 'enctypes', raw, enctypes };
  if (LOGIN_LINE.test(raw)) return { kind: 'login', raw };
  if (SPNEGO_LINE.test(raw)) return { kind: 'spnego', raw };
  return { kind: 'other', raw };
}

/** Every line, with each KRB-ERROR's code and text taken from the lines under it. */
export function parseJavaTrace(lines: string | readonly string[]): JavaTraceEntry[] {
  const list = typeof lines === 'string' ? javaTraceLines(lines) : lines;
  const entries: JavaTraceEntry[] = [];
  let openError: JavaTraceEntry | undefined;
  for (const raw of list) {
    const entry = parseJavaTraceLine(raw);
    if (entry.kind === 'kdc-error') openError = entry;
    else if (openError && /^\s/.test(raw)) {
      const code = ERROR_CODE.exec(raw)?.[1];
      const text = ERROR_TEXT.exec(raw)?.[1];
      if (code !== undefined) openError.errorCode = Number(code);
      if (text !== undefined) openError.errorText = text.trim();
    } else openError = undefined;
    entries.push(entry);
  }
  return entries;
}

/** What a call's trace says in short: KDCs asked, KDC errors, enctypes seen (first occurrence first). */
export function summarizeJavaTrace(lines: readonly string[]): { kdcRequests: string[]; kdcErrors: Array<{ code: number; text?: string }>; enctypes: number[] } {
  const summary = { kdcRequests: [] as string[], kdcErrors: [] as Array<{ code: number; text?: string }>, enctypes: [] as number[] };
  for (const entry of parseJavaTrace(lines)) {
    if (entry.kdc) summary.kdcRequests.push(entry.kdc);
    if (entry.errorCode !== undefined) summary.kdcErrors.push(entry.errorText === undefined ? { code: entry.errorCode } : { code: entry.errorCode, text: entry.errorText });
    for (const etype of entry.enctypes ?? []) if (!summary.enctypes.includes(etype)) summary.enctypes.push(etype);
  }
  return summary;
}
