/**
 * Finding the messages inside what users paste when it is not one message on its own:
 *
 * - Kerberos over TCP as a capture shows it (RFC 4120 §7.2.2): each message follows a 4-byte
 *   big-endian record mark holding its length; the top bit is reserved (0). A mark is accepted
 *   only when the DER message behind it is exactly that long (or the kpasswd message behind it
 *   says that length itself), so a record stream cannot be mistaken for anything else.
 * - A GSS-API initial context token (RFC 2743 §3.1: 0x60, length, mechanism OID, inner token)
 *   inside some other security blob — an SMB2 SESSION_SETUP buffer, an LDAP bind, a raw packet:
 *   found by its framing and a mechanism OID we know (SPNEGO, Kerberos, NTLMSSP), whose declared
 *   length must fit the input.
 */
import { readTlv } from '../der/reader';
import { KrbDecodeError } from '../errors';
import { isKerberosMech, NTLMSSP_OID, parseInitialContextToken, SPNEGO_OID } from '../gss/framing';
import { isKpasswdMessage } from '../kpasswd';
import { kerberosMessageName } from '../messages';

/** Where a message lies in the input: absolute offset and length. */
export interface Span {
  offset: number;
  length: number;
}

export interface TcpRecords {
  /** The messages, each behind its 4-byte mark (the mark is at `offset - 4`). */
  records: Span[];
  /** Bytes after the last whole record that are not one: where they start and why. */
  rest?: { offset: number; reason: string };
}

const RECORD_MARK = 4;
const RESERVED_BIT = 0x80000000;

/** The length of the DER message at `at`, or undefined when none starts there. */
function derLength(bytes: Uint8Array, at: number, end: number): number | undefined {
  try {
    const tlv = readTlv({ bytes, base: 0 }, at, end, 'message', '');
    return tlv.headerLength + tlv.length;
  } catch (error) {
    if (error instanceof KrbDecodeError) return undefined;
    throw error;
  }
}

/** Why the 4 bytes at `at` are not a record mark of a Kerberos message, or the message's length. */
function recordAt(bytes: Uint8Array, at: number): number | string {
  if (at + RECORD_MARK > bytes.length) return `${bytes.length - at} byte(s) cannot hold a 4-byte record mark`;
  const mark = new DataView(bytes.buffer, bytes.byteOffset + at, RECORD_MARK).getUint32(0);
  if (mark & RESERVED_BIT) return `record mark 0x${mark.toString(16)} has the reserved top bit set`;
  const start = at + RECORD_MARK;
  if (start + mark > bytes.length) return `record mark says ${mark} bytes, ${bytes.length - start} follow`;
  // kpasswd over TCP (RFC 3244) uses the same marks; its own length field must agree with the mark.
  if (isKpasswdMessage(bytes.subarray(start, start + mark))) return mark;
  if (!kerberosMessageName(bytes.subarray(start, start + mark))) return 'no Kerberos message follows the record mark';
  const message = derLength(bytes, start, start + mark);
  if (message !== mark) return `record mark says ${mark} bytes, the message behind it is ${message ?? 'not'} DER of that length`;
  return mark;
}

/**
 * The records of a Kerberos-over-TCP stream, when the input starts with one; undefined otherwise.
 * Records are read until the input ends or something is not a record (then `rest` says why).
 */
export function tcpRecords(bytes: Uint8Array): TcpRecords | undefined {
  const records: Span[] = [];
  let at = 0;
  while (at < bytes.length) {
    const length = recordAt(bytes, at);
    if (typeof length === 'string') return records.length ? { records, rest: { offset: at, reason: length } } : undefined;
    records.push({ offset: at + RECORD_MARK, length });
    at += RECORD_MARK + length;
  }
  return records.length ? { records } : undefined;
}

/** Mechanisms worth finding inside other data: their tokens are what users come to decode. */
function knownMechanism(oid: string): boolean {
  return oid === SPNEGO_OID || oid === NTLMSSP_OID || isKerberosMech(oid);
}

/** The longest input searched for embedded tokens (a pasted packet or blob, not a capture). */
const MAX_SEARCH = 4 * 1024 * 1024;

/**
 * GSS-API initial context tokens inside `bytes` (not at offset 0: that is a token, not a blob),
 * in order and not overlapping.
 */
export function embeddedTokens(bytes: Uint8Array): Span[] {
  const found: Span[] = [];
  const limit = Math.min(bytes.length, MAX_SEARCH);
  for (let at = 1; at < limit; at++) {
    if (bytes[at] !== 0x60) continue;
    const length = derLength(bytes, at, bytes.length);
    if (length === undefined || length < 4) continue;
    try {
      const token = parseInitialContextToken(bytes.subarray(at, at + length), at);
      if (!knownMechanism(token.mechOid)) continue;
    } catch (error) {
      if (error instanceof KrbDecodeError) continue;
      throw error;
    }
    found.push({ offset: at, length });
    at += length - 1;
  }
  return found;
}

/** RFC 4120 §7.5.7 message types (each is also the message's APPLICATION tag number). */
const MESSAGE_TYPES = new Set([10, 11, 12, 13, 14, 15, 20, 21, 22, 30]);

/**
 * The [APPLICATION n] tag a SEQUENCE lacks when a message was serialised without it (some
 * libraries and scripts dump the inner SEQUENCE): its first field is pvno 5 ([0], or [1] in a
 * KDC-REQ) and the next one is msg-type ([1], or [2]) — and the msg-type of every Kerberos message
 * is its APPLICATION tag number. Undefined unless all of that holds, so nothing else is taken for one.
 */
export function missingApplicationTag(bytes: Uint8Array): number | undefined {
  const read = (at: number, end: number) => {
    try {
      return readTlv({ bytes, base: 0 }, at, end, 'message', '');
    } catch (error) {
      if (error instanceof KrbDecodeError) return undefined;
      throw error;
    }
  };
  const sequence = read(0, bytes.length);
  if (!sequence || sequence.tagClass !== 'universal' || sequence.tagNumber !== 16 || sequence.headerLength + sequence.length !== bytes.length) return undefined;
  const integerIn = (field: ReturnType<typeof read>, tag: number): number | undefined => {
    if (!field || field.tagClass !== 'context' || field.tagNumber !== tag) return undefined;
    const inner = read(field.offset + field.headerLength, field.offset + field.headerLength + field.length);
    if (!inner || inner.tagNumber !== 2 || inner.length !== 1) return undefined;
    return bytes[inner.offset + inner.headerLength];
  };
  const first = read(sequence.headerLength, bytes.length);
  if (!first) return undefined;
  const pvnoTag = first.tagNumber; // [0] in most messages, [1] in KDC-REQ
  if (integerIn(first, pvnoTag) !== 5 || pvnoTag > 1) return undefined;
  const second = read(first.offset + first.headerLength + first.length, bytes.length);
  const msgType = integerIn(second, pvnoTag + 1);
  if (msgType === undefined || !MESSAGE_TYPES.has(msgType) || !kerberosMessageName(Uint8Array.of(0x60 | msgType))) return undefined;
  return msgType;
}
