/**
 * LDAP binds over TCP, on any port (RFC 4511 §4.2, §4.1.1, BER with definite lengths only §5.1):
 *
 *   LDAPMessage ::= SEQUENCE { messageID INTEGER, protocolOp CHOICE { …, controls [0] OPTIONAL } }
 *   BindRequest  ::= [APPLICATION 0] SEQUENCE { version INTEGER, name LDAPDN,
 *                      authentication CHOICE { simple [0] OCTET STRING, sasl [3] SaslCredentials } }
 *   SaslCredentials ::= SEQUENCE { mechanism LDAPString, credentials OCTET STRING OPTIONAL }
 *   BindResponse ::= [APPLICATION 1] SEQUENCE { resultCode ENUMERATED, matchedDN, diagnosticMessage,
 *                      referral [3] OPTIONAL, serverSaslCreds [7] OCTET STRING OPTIONAL }
 *
 * Recognised by its first message: a bindRequest (SASL or simple), or a searchRequest (the rootDSE
 * lookup clients such as Windows make before binding). One Exchange per bind: each bindRequest
 * carries the SASL credentials as its token, each bindResponse its serverSaslCreds;
 * saslBindInProgress (14) goes on, success (0) and every other code end it (RFC 4513 §5.2.1.2).
 * A simple bind's password is never recorded, only its length. Once the bind is settled the
 * extractor stops: after a GSSAPI bind with a security layer the rest is SASL-wrapped (RFC 4752 §3.3).
 */
import { contentOf, contentStart, nodeEnd, readTlv, type DerInput, type DerNode } from '../../krb/der/reader';
import { KrbDecodeError } from '../../krb/errors';
import type { CaptureRecorder, CaptureStepInit } from '../recorder';
import type { PacketRef, StreamChunk, StreamGap, TcpFlow, TcpStreamHandler } from '../types';
import { BER_BAD, BER_MORE, berLength, MessageAssembler } from './framing';
import type { ExtractContext, SniffVerdict, TcpExtractor } from './types';

/** The BER identifier octets LDAP's grammar uses (RFC 4511 §4). */
const LdapTag = {
  SEQUENCE: 0x30,
  INTEGER: 0x02,
  OCTET_STRING: 0x04,
  BIND_REQUEST: 0x60,
  BIND_RESPONSE: 0x61,
  SEARCH_REQUEST: 0x63,
  SIMPLE: 0x80,
  SASL: 0xa3,
  SERVER_SASL_CREDS: 0x87,
} as const;

/** RFC 4511 §4.1.9 and Appendix A resultCode values. */
export const LdapResultCode: Record<number, [name: string, meaning: string]> = {
  0: ['success', 'the bind succeeded'],
  1: ['operationsError', 'the operation is not properly sequenced'],
  2: ['protocolError', 'the server received data that is not well-formed'],
  7: ['authMethodNotSupported', 'the server does not support the authentication method'],
  8: ['strongerAuthRequired', 'the server requires stronger authentication'],
  13: ['confidentialityRequired', 'the server requires confidentiality (TLS or a SASL security layer)'],
  14: ['saslBindInProgress', 'the server requires the client to send a new bind request to continue'],
  32: ['noSuchObject', 'the name does not exist'],
  34: ['invalidDNSyntax', 'the name is not a valid DN'],
  48: ['inappropriateAuthentication', 'the credentials are not appropriate for the entry (anonymous bind refused)'],
  49: ['invalidCredentials', 'the credentials are invalid (wrong password or key, expired or unknown account)'],
  50: ['insufficientAccessRights', 'the client lacks the rights for the operation'],
  51: ['busy', 'the server is too busy'],
  52: ['unavailable', 'the server is shutting down or unavailable'],
  53: ['unwillingToPerform', 'the server is unwilling to perform the operation'],
  80: ['other', 'the server hit an error that fits no other code'],
};
const SUCCESS = 0;
const SASL_BIND_IN_PROGRESS = 14;

/** Past this, a "message" before the bind is not worth buffering (a rootDSE answer is a few KiB). */
const MAX_MESSAGE = 1 << 20;
/** Messages read before a bindRequest: beyond them, the connection is not a bind. */
const MAX_BEFORE_BIND = 16;
/** Tag + 4-byte length: enough to know a message's length. */
const BER_HEADER_MAX = 6;

// ---- recognising ----

/** Steps over the TLV at `at` expecting tag `tag`; returns the next offset, -1 for more bytes, -2 for no. */
function skip(bytes: Uint8Array, at: number, end: number, tag: number): number {
  if (at >= end) return BER_MORE;
  if (bytes[at] !== tag) return BER_BAD;
  const length = berLength(bytes, at, end);
  return length < 0 ? length : at + length;
}

/** Whether `first` (a client's first bytes) starts an LDAPMessage holding a bind or a search. */
function sniffLdap(first: Uint8Array, direction: number): SniffVerdict {
  if (direction !== 0) return 'no';
  const n = first.length;
  if (n === 0) return 'more';
  if (first[0] !== LdapTag.SEQUENCE) return 'no';
  const total = berLength(first, 0, n);
  if (total === BER_MORE) return 'more';
  if (total === BER_BAD || total > MAX_MESSAGE) return 'no';
  const start = first[1]! < 0x80 ? 2 : 2 + (first[1]! & 0x7f);
  const end = Math.min(n, total);
  if (start + 2 <= n && (first[start] !== LdapTag.INTEGER || first[start + 1]! < 1 || first[start + 1]! > 4)) return 'no';
  const op = skip(first, start, end, LdapTag.INTEGER);
  if (op < 0) return op === BER_MORE && end === n ? 'more' : 'no';
  if (op >= n) return 'more';
  if (first[op] === LdapTag.SEARCH_REQUEST) {
    // Controls [0] may follow the protocolOp, so the operation ends at or before the message.
    const length = berLength(first, op, n);
    return length === BER_MORE ? 'more' : length > 0 && op + length <= total ? 'yes' : 'no';
  }
  if (first[op] !== LdapTag.BIND_REQUEST) return 'no';
  const opStart = op + (first[op + 1]! < 0x80 ? 2 : 2 + ((first[op + 1] ?? 0) & 0x7f));
  const name = skip(first, opStart, end, LdapTag.INTEGER);
  const auth = name < 0 ? name : skip(first, name, end, LdapTag.OCTET_STRING);
  if (auth < 0) return auth === BER_MORE && end === n ? 'more' : 'no';
  if (auth >= n) return 'more';
  return first[auth] === LdapTag.SIMPLE || first[auth] === LdapTag.SASL ? 'yes' : 'no';
}

function measureMessage(head: Uint8Array, fill: number): number | string {
  if (head[0] !== LdapTag.SEQUENCE) return `0x${head[0]!.toString(16).padStart(2, '0')} does not start an LDAPMessage (SEQUENCE 0x30)`;
  const length = berLength(head, 0, fill);
  return length === BER_BAD ? 'an LDAPMessage length is indefinite or longer than 4 bytes' : length;
}

// ---- reading ----

interface LdapMessage {
  messageID: number;
  /** The protocolOp's identifier octet. */
  op: number;
  input: DerInput;
  /** The protocolOp's fields, in order. */
  fields: DerNode[];
}

function parseMessage(bytes: Uint8Array): LdapMessage {
  const input = { bytes, base: 0 };
  const outer = readTlv(input, 0, bytes.length, 'LDAPMessage', '');
  const id = readTlv(input, contentStart(outer), nodeEnd(outer), 'LDAPMessage', 'messageID');
  const op = readTlv(input, nodeEnd(id), nodeEnd(outer), 'LDAPMessage', 'protocolOp');
  const fields: DerNode[] = [];
  if (op.constructed) for (let at = contentStart(op), end = nodeEnd(op); at < end; at = nodeEnd(fields[fields.length - 1]!)) fields.push(readTlv(input, at, end, 'LDAPMessage', 'protocolOp'));
  return { messageID: int(input, id), op: bytes[op.offset]!, input, fields };
}

function int(input: DerInput, node: DerNode | undefined): number {
  if (!node || node.length === 0 || node.length > 4) return -1;
  let value = 0;
  for (const b of contentOf(input, node)) value = value * 256 + b;
  return value;
}

function text(input: DerInput, node: DerNode | undefined): string {
  if (!node) return '';
  const bytes = contentOf(input, node);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

// ---- the bind ----

/** One LDAP connection until its bind is settled. */
class LdapBindFlow implements TcpStreamHandler {
  /** Set once the bind is settled (or cannot be read): the scan may stop feeding this flow. */
  done = false;
  private readonly readers: [MessageAssembler, MessageAssembler];
  private recorder: CaptureRecorder | undefined;
  private bindId = -1;
  private seen = 0;

  constructor(
    private readonly flow: TcpFlow,
    private readonly ctx: ExtractContext,
  ) {
    this.readers = [
      new MessageAssembler(measureMessage, BER_HEADER_MAX, MAX_MESSAGE, (message, frames, at) => this.message(0, message, frames, at)),
      new MessageAssembler(measureMessage, BER_HEADER_MAX, MAX_MESSAGE, (message, frames, at) => this.message(1, message, frames, at)),
    ];
  }

  data(chunk: StreamChunk): void {
    if (this.done) return;
    const reader = this.readers[chunk.direction];
    reader.push(chunk.bytes, chunk.packet);
    if (reader.broken && !this.done) this.stop(chunk.packet, reader.broken);
  }

  gap(gap: StreamGap): void {
    if (this.done) return;
    const side = gap.direction ? 'server → client' : 'client → server';
    this.recorder?.noteGap(`${side}: ${gap.length} bytes missing at stream byte ${gap.streamOffset}, before frame ${gap.packet.number}`);
    this.stop(gap.packet, `${gap.length} bytes missing before frame ${gap.packet.number}`);
  }

  end(): void {
    this.recorder?.finish({ outcome: 'pending', reason: 'the capture ends before the bind does' });
    this.done = true;
  }

  private stop(at: PacketRef, why: string): void {
    this.done = true;
    if (!this.recorder) return;
    this.recorder.finish({ outcome: 'pending', reason: `the bind could not be read to its end: ${why}` });
    this.ctx.warn({ packet: at.number, message: `LDAP (flow ${this.flow.id}): ${why}` });
  }

  private message(direction: 0 | 1, bytes: Uint8Array, frames: number[], at: PacketRef): void {
    if (this.done) return;
    if (++this.seen > MAX_BEFORE_BIND && !this.recorder) return void (this.done = true);
    try {
      const message = parseMessage(bytes);
      if (direction === 0 && message.op === LdapTag.BIND_REQUEST) this.bindRequest(message, bytes, frames, at);
      else if (direction === 1 && message.op === LdapTag.BIND_RESPONSE && this.recorder) this.bindResponse(message, this.recorder, frames, at);
    } catch (error) {
      if (!(error instanceof KrbDecodeError)) throw error;
      this.stop(at, error.message);
    }
  }

  private bindRequest(message: LdapMessage, bytes: Uint8Array, frames: number[], at: PacketRef): void {
    const { input, fields } = message;
    const [version, name, auth] = fields;
    const dn = text(input, name);
    const fieldsOut: Record<string, string | number> = { messageID: message.messageID, version: int(input, version), name: dn };
    const step: CaptureStepInit = { direction: 'client-to-server', transport: { protocol: 'ldap', packet: 'bindRequest', fields: fieldsOut }, at, packets: frames };
    let mechanism = 'simple';
    if (auth && input.bytes[auth.offset] === LdapTag.SASL) {
      const mech = readTlv(input, contentStart(auth), nodeEnd(auth), 'SaslCredentials', 'mechanism');
      mechanism = text(input, mech);
      const credentials = nodeEnd(mech) < nodeEnd(auth) ? readTlv(input, nodeEnd(mech), nodeEnd(auth), 'SaslCredentials', 'credentials') : undefined;
      if (credentials) step.token = contentOf(input, credentials);
      step.raw = bytes;
      step.summary = `bindRequest #${message.messageID} SASL ${mechanism}${dn ? ` as "${dn}"` : ''}, ${credentials ? `credentials ${credentials.length} bytes` : 'no credentials'}`;
    } else {
      // Never keep a simple bind's password, nor the message that holds it.
      fieldsOut.password = `<${auth?.length ?? 0} bytes hidden>`;
      step.summary = `bindRequest #${message.messageID} simple "${dn}", password: ${fieldsOut.password}`;
    }
    fieldsOut.mechanism = mechanism;
    this.recorder ??= this.ctx.record({ protocol: 'ldap', mechanism, client: this.flow.client, server: this.flow.server, flow: this.flow, first: at });
    this.bindId = message.messageID;
    this.recorder.add(step);
    this.recorder.finish({ outcome: 'pending', reason: `no bindResponse to bindRequest #${message.messageID} in the capture` });
  }

  private bindResponse(message: LdapMessage, recorder: CaptureRecorder, frames: number[], at: PacketRef): void {
    const { input, fields } = message;
    const code = int(input, fields[0]);
    const [name, meaning] = LdapResultCode[code] ?? [`resultCode ${code}`, 'an unknown result code'];
    const diagnostic = text(input, fields[2]);
    const creds = fields.slice(3).find((f) => input.bytes[f.offset] === LdapTag.SERVER_SASL_CREDS);
    const transportFields: Record<string, string | number> = { messageID: message.messageID, resultCode: code, result: name };
    if (text(input, fields[1])) transportFields.matchedDN = text(input, fields[1]);
    if (diagnostic) transportFields.diagnosticMessage = diagnostic;
    const step: CaptureStepInit = {
      direction: 'server-to-client',
      transport: { protocol: 'ldap', packet: 'bindResponse', fields: transportFields },
      at,
      packets: frames,
      summary: `bindResponse #${message.messageID} ${name} (${code})${diagnostic ? `: ${diagnostic}` : ''}${creds ? `, serverSaslCreds ${creds.length} bytes` : ''}`,
      ...(creds ? { token: contentOf(input, creds) } : {}),
      ...(message.messageID !== this.bindId ? { error: `answers message #${message.messageID}, the bindRequest was #${this.bindId}` } : {}),
    };
    recorder.add(step);
    if (code === SASL_BIND_IN_PROGRESS) {
      recorder.finish({ outcome: 'pending', reason: 'the capture ends during the SASL bind (saslBindInProgress)' });
      return;
    }
    this.done = true;
    if (code === SUCCESS) recorder.finish({ outcome: 'success', reason: `bound with ${recorder.exchange.mechanism}` }, at);
    else recorder.finish({ outcome: 'failure', code: `${code} ${name}`, reason: diagnostic || meaning }, at);
  }
}

export const ldapExtractor: TcpExtractor = {
  name: 'ldap',
  sniff: sniffLdap,
  create: (flow, ctx) => new LdapBindFlow(flow, ctx),
};
