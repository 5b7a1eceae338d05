/**
 * The candidate checks of gss-carve.ts: whether a GSS-API token (initial context token, SPNEGO
 * NegTokenResp, bare AP-REQ / AP-REP / KRB-ERROR) starts at a position of a byte window, or fills
 * a base64 line of a text protocol. Cheap header checks first, then main/krb's full decoders.
 * Kept apart from the stream handler, which only manages the windows and records what is found.
 */
import type { ExchangeVerdict } from '../../exchange/model';
import { derOid } from '../../krb/der/writer';
import { KERBEROS_OIDS, NTLMSSP_OID, parseInitialContextToken, SPNEGO_OID, isKerberosMech, tokIdName } from '../../krb/gss/framing';
import { isNtlmssp } from '../../krb/gss/ntlm';
import { decodeSpnego, innerTokenFormat } from '../../krb/gss/spnego';
import { decodeKerberosMessage, errorCodeName } from '../../krb/messages';

/** Bytes of each direction looked at. */
export const GSS_CARVE_LOOK = 64 * 1024;
export const TAG_INITIAL_CONTEXT = 0x60;
export const TAG_NEG_TOKEN_RESP = 0xa1;
/** [APPLICATION n] of the bare Kerberos messages a GSS peer may send: AP-REQ 14, AP-REP 15, KRB-ERROR 30. */
const BARE_MESSAGES: Record<number, string> = { 0x6e: 'AP-REQ', 0x6f: 'AP-REP', 0x7e: 'KRB-ERROR' };
const MECH_OIDS = [KERBEROS_OIDS.krb5, KERBEROS_OIDS.msKrb5, SPNEGO_OID, NTLMSSP_OID].map((oid) => derOid(oid));
const SEQUENCE = 0x30;
/** The first bytes a token may start with, as a table: the scan's inner loop looks at every byte. */
export const CANDIDATE_TAG = new Uint8Array(256);
for (const tag of [TAG_INITIAL_CONTEXT, TAG_NEG_TOKEN_RESP, ...Object.keys(BARE_MESSAGES).map(Number)]) CANDIDATE_TAG[tag] = 1;
/** What follows a bare message's SEQUENCE header: pvno [0] INTEGER 5, msg-type [1] INTEGER = its APPLICATION tag number. */
const PVNO_AND_MSG_TYPE: Record<number, Uint8Array> = Object.fromEntries(
  Object.keys(BARE_MESSAGES).map((tag) => [tag, Uint8Array.of(0xa0, 0x03, 0x02, 0x01, 0x05, 0xa1, 0x03, 0x02, 0x01, Number(tag) & 0x1f)]),
);

/** A token found at a position: its length, what it is, what it settles (AP-REP success, KRB-ERROR or SPNEGO reject failure). */
export interface Found {
  length: number;
  /** "AP-REQ", "SPNEGO NegTokenInit (AP-REQ)", "NegTokenResp accept-completed (AP-REP)", "NTLMSSP" … */
  kind: string;
  spnego: boolean;
  verdict?: ExchangeVerdict;
}

type Examined = Found | 'wait' | 'no';

/** Total length of the DER TLV at `at` ('wait' when its header is cut off), undefined when it cannot be one. */
function tlvLength(b: Uint8Array, at: number, end: number): number | 'wait' | undefined {
  if (at + 2 > end) return 'wait';
  const first = b[at + 1]!;
  if (first < 0x80) return 2 + first;
  const count = first & 0x7f;
  // DER: definite, minimal long form; three length bytes are more than a 64 KiB window needs.
  if (count === 0 || count > 3) return undefined;
  if (at + 2 + count > end) return 'wait';
  if (b[at + 2] === 0) return undefined;
  let length = 0;
  for (let k = 0; k < count; k++) length = length * 256 + b[at + 2 + k]!;
  return length < 0x80 ? undefined : 2 + count + length;
}

/** Whether the TLV at `at` has `tag` and spans exactly `total` bytes; 'wait' when too few bytes are there to tell. */
function headerFits(b: Uint8Array, at: number, end: number, tag: number, total: number): boolean | 'wait' {
  if (at >= end) return 'wait';
  if (b[at] !== tag) return false;
  const length = tlvLength(b, at, end);
  return length === 'wait' ? 'wait' : length === total;
}

function headerSize(b: Uint8Array, at: number): number {
  const first = b[at + 1]!;
  return first < 0x80 ? 2 : 2 + (first & 0x7f);
}

function startsWith(b: Uint8Array, at: number, end: number, prefix: Uint8Array): boolean | 'wait' {
  const n = Math.min(prefix.length, end - at);
  for (let i = 0; i < n; i++) if (b[at + i] !== prefix[i]) return false;
  return n === prefix.length ? true : 'wait';
}

/** The cheap checks on what is there so far: true (plausible), false, or 'wait'. */
function plausible(b: Uint8Array, at: number, end: number, total: number): boolean | 'wait' {
  const tag = b[at]!;
  const content = at + headerSize(b, at);
  const contentEnd = at + total;
  if (tag === TAG_INITIAL_CONTEXT) {
    let sawWait = false;
    for (const oid of MECH_OIDS) {
      const match = startsWith(b, content, end, oid);
      if (match === true) return content + oid.length < contentEnd;
      if (match === 'wait') sawWait = true;
    }
    return sawWait ? 'wait' : false;
  }
  const sequence = headerFits(b, content, end, SEQUENCE, contentEnd - content);
  if (sequence !== true) return sequence;
  const first = content + headerSize(b, content);
  if (first >= end) return 'wait';
  if (tag === TAG_NEG_TOKEN_RESP) return b[first]! >= 0xa0 && b[first]! <= 0xa3;
  // RFC 4120 §5.5.1, §5.5.2, §5.9.1.
  return startsWith(b, first, end, PVNO_AND_MSG_TYPE[tag]!);
}

interface Kind {
  kind: string;
  spnego?: boolean;
  verdict?: ExchangeVerdict;
}

/** A Kerberos message that decodes in full (KrbDecodeError otherwise). */
function kerberosKind(message: Uint8Array): Kind {
  const decoded = decodeKerberosMessage(message);
  if (decoded.kind === 'AP-REP') return { kind: 'AP-REP', verdict: { outcome: 'success', reason: 'the acceptor answered with an AP-REP' } };
  if (decoded.kind === 'KRB-ERROR') {
    const code = (decoded.value as { errorCode?: number }).errorCode;
    const name = code === undefined ? undefined : errorCodeName(code);
    return { kind: 'KRB-ERROR', verdict: { outcome: 'failure', reason: `the acceptor answered with a KRB-ERROR${name ? ` (${name})` : ''}`, ...(name ? { code: name } : {}) } };
  }
  return { kind: decoded.kind };
}

/** A mechanism token inside SPNEGO (mechToken / responseToken): what it is, when it parses. */
function innerKind(token: Uint8Array): Kind | undefined {
  const format = innerTokenFormat(token);
  if (format === 'NTLMSSP' || format === 'NEGOEX') return { kind: format };
  if (format === 'Kerberos') return kerberosKind(token);
  if (format === 'InitialContextToken') return initialContextKind(token);
  return undefined;
}

/** TOK_ID name (RFC 4121 §4.1) of each Kerberos message a context token may carry. */
const TOK_ID_OF: Record<string, string> = { 'AP-REQ': 'KRB_AP_REQ', 'AP-REP': 'KRB_AP_REP', 'KRB-ERROR': 'KRB_ERROR' };

function initialContextKind(token: Uint8Array): Kind | undefined {
  const framed = parseInitialContextToken(token);
  if (framed.mechOid === SPNEGO_OID) {
    const spnego = decodeSpnego(token);
    if (spnego.value.kind !== 'negTokenInit') return undefined;
    const mechToken = spnego.value.mechToken;
    const inner = mechToken ? innerKind(mechToken) : undefined;
    if (mechToken && !inner) return undefined;
    return { kind: `SPNEGO ${spnego.value.variant}${inner ? ` (${inner.kind})` : ''}`, spnego: true, ...(inner?.verdict ? { verdict: inner.verdict } : {}) };
  }
  if (framed.mechOid === NTLMSSP_OID) return isNtlmssp(framed.inner) ? { kind: 'NTLMSSP' } : undefined;
  if (!isKerberosMech(framed.mechOid) || framed.tokId === undefined) return undefined;
  const kind = kerberosKind(framed.inner);
  // The TOK_ID must name the message behind it.
  return TOK_ID_OF[kind.kind] !== undefined && TOK_ID_OF[kind.kind] === tokIdName(framed.tokId) ? kind : undefined;
}

function negTokenRespKind(token: Uint8Array): Kind | undefined {
  const spnego = decodeSpnego(token);
  const value = spnego.value;
  if (value.kind !== 'negTokenResp' || (value.negState === undefined && !value.supportedMech && !value.responseToken)) return undefined;
  const inner = value.responseToken?.length ? innerKind(value.responseToken) : undefined;
  if (value.responseToken?.length && !inner) return undefined;
  const state = value.negStateName ?? 'NegTokenResp';
  const kind = `NegTokenResp ${state}${inner ? ` (${inner.kind})` : ''}`;
  if (value.negStateName === 'reject') return { kind, verdict: { outcome: 'failure', reason: 'the acceptor rejected the token (SPNEGO negState reject)', code: 'reject' } };
  return { kind, ...(inner?.verdict ? { verdict: inner.verdict } : {}) };
}

/**
 * Whether a token starts at `at`: its length and kind, 'no', or 'wait' (plausible so far, more
 * bytes needed; `final` says no more will come).
 */
export function examineCandidate(b: Uint8Array, at: number, end: number, final: boolean): Examined {
  const tag = b[at]!;
  if (!CANDIDATE_TAG[tag]) return 'no';
  const total = tlvLength(b, at, end);
  if (total === 'wait') return final ? 'no' : 'wait';
  if (total === undefined || total < 12 || total > GSS_CARVE_LOOK) return 'no';
  const ok = plausible(b, at, end, total);
  if (ok === 'wait' || (ok && at + total > end)) return final ? 'no' : 'wait';
  if (!ok) return 'no';
  const token = b.subarray(at, at + total);
  let kind: Kind | undefined;
  try {
    if (tag === TAG_INITIAL_CONTEXT) kind = initialContextKind(token);
    else if (tag === TAG_NEG_TOKEN_RESP) kind = negTokenRespKind(token);
    else kind = kerberosKind(token);
  } catch {
    // The full decode refused it (a KrbDecodeError naming why): not a token. Whatever else a
    // decoder throws on hostile bytes must not stop the scan either.
    return 'no';
  }
  return kind ? { length: total, spnego: tag === TAG_NEG_TOKEN_RESP || kind.spnego === true, kind: kind.kind, ...(kind.verdict ? { verdict: kind.verdict } : {}) } : 'no';
}

const BASE64_LINE = /^(?:334 |\+ ?|(?:[!-~]+ )?(?:AUTH|AUTHENTICATE) [A-Za-z0-9_-]+ )?([A-Za-z0-9+/]{16,}={0,2})$/i;

/** A token in one line of a text protocol: the whole base64 must decode to exactly one token. */
export function examineLine(line: string): (Found & { bytes: Buffer }) | undefined {
  const match = BASE64_LINE.exec(line);
  if (!match || match[1]!.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(match[1]!, 'base64');
  const found = examineCandidate(bytes, 0, bytes.length, true);
  return typeof found === 'object' && found.length === bytes.length ? { ...found, bytes } : undefined;
}
