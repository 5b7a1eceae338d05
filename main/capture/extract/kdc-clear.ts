/**
 * What a KDC message (RFC 4120 §5.4.1, §5.4.2, §5.9.1) shows in clear: a light DER walk for the
 * cname, realm, sname, nonce, etypes, pa-data types, the error code and e-text, and the ticket's
 * sname/kvno/etype. Kept apart from kerberos.ts, which frames and pairs the messages; the scan
 * decodes and decrypts each message itself.
 */
import { createHash } from 'node:crypto';
import type { CaptureTicket } from '../../exchange/model';
import { contentOf, contentStart, nodeEnd, readTlv, UniversalTag, type DerInput, type DerNode } from '../../krb/der/reader';
import { KrbDecodeError } from '../../krb/errors';
import { ERROR_CODES } from '../../krb/messages/error-codes';
import { PA_TYPES } from '../../krb/messages/padata';
import { enctypeName, formatName } from '../../krb/names';

/** RFC 4120 §7.5.7 message types, which are also the messages' [APPLICATION n] tags. */
export const KrbTag = { AS_REQ: 0x6a, AS_REP: 0x6b, TGS_REQ: 0x6c, TGS_REP: 0x6d, KRB_ERROR: 0x7e } as const;

export const isRequestTag = (tag: number | undefined) => tag === KrbTag.AS_REQ || tag === KrbTag.TGS_REQ;
export const isReplyTag = (tag: number | undefined) => tag === KrbTag.AS_REP || tag === KrbTag.TGS_REP || tag === KrbTag.KRB_ERROR;

export interface KdcMessage {
  /** "AS-REQ", "KRB-ERROR" … */
  name: string;
  tag: number;
  kind?: 'AS' | 'TGS';
  fields: Record<string, string | number>;
  summary: string;
  /** The retry key's principal: cname@realm of an AS-REQ, sname@realm of a TGS-REQ. */
  principal?: string;
  nonce?: number;
  errorCode?: number;
  eText?: string;
  ticket?: CaptureTicket;
  error?: string;
}

const NAMES: Record<number, [string, 'AS' | 'TGS' | undefined]> = {
  [KrbTag.AS_REQ]: ['AS-REQ', 'AS'],
  [KrbTag.AS_REP]: ['AS-REP', 'AS'],
  [KrbTag.TGS_REQ]: ['TGS-REQ', 'TGS'],
  [KrbTag.TGS_REP]: ['TGS-REP', 'TGS'],
  [KrbTag.KRB_ERROR]: ['KRB-ERROR', undefined],
};

/** The explicit [n] fields of a SEQUENCE (the value inside each tag), by tag number. */
function explicitFields(input: DerInput, sequence: DerNode, structure: string): (DerNode | undefined)[] {
  const fields: (DerNode | undefined)[] = [];
  const end = nodeEnd(sequence);
  for (let at = contentStart(sequence); at < end; ) {
    const tag = readTlv(input, at, end, structure, '');
    if (tag.tagClass === 'context' && tag.constructed && tag.tagNumber < 16) fields[tag.tagNumber] = readTlv(input, contentStart(tag), nodeEnd(tag), structure, `[${tag.tagNumber}]`);
    at = nodeEnd(tag);
  }
  return fields;
}

/** The SEQUENCE inside an [APPLICATION n] wrapper. */
function unwrap(input: DerInput, app: DerNode, structure: string): DerNode {
  const sequence = readTlv(input, contentStart(app), nodeEnd(app), structure, '');
  if (sequence.tagNumber !== UniversalTag.SEQUENCE) throw new KrbDecodeError(structure, '', sequence.offset, 'expected a SEQUENCE inside the application tag');
  return sequence;
}

function int(input: DerInput, node: DerNode | undefined): number | undefined {
  if (!node || node.length === 0 || node.length > 6) return undefined;
  const bytes = contentOf(input, node);
  let value = bytes[0]! & 0x80 ? -1 : 0;
  for (const b of bytes) value = value * 256 + b;
  return value;
}

function text(input: DerInput, node: DerNode | undefined): string | undefined {
  if (!node) return undefined;
  const bytes = contentOf(input, node);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

function each(input: DerInput, sequence: DerNode | undefined, visit: (node: DerNode) => void): void {
  if (!sequence) return;
  const end = nodeEnd(sequence);
  for (let at = contentStart(sequence); at < end; ) {
    const node = readTlv(input, at, end, 'SEQUENCE OF', '');
    visit(node);
    at = nodeEnd(node);
  }
}

/** PrincipalName { [0] name-type, [1] SEQUENCE OF KerberosString } as "svc/host". */
function principalName(input: DerInput, node: DerNode | undefined): string | undefined {
  if (!node) return undefined;
  const components: string[] = [];
  each(input, explicitFields(input, node, 'PrincipalName')[1], (part) => components.push(text(input, part)!));
  return formatName(components);
}

function describeRequest(input: DerInput, f: (DerNode | undefined)[], message: KdcMessage): void {
  const padata: string[] = [];
  each(input, f[3], (pa) => {
    const type = int(input, explicitFields(input, pa, 'PA-DATA')[1]) ?? -1;
    padata.push(PA_TYPES[type] ?? `padata-type ${type}`);
  });
  if (!f[4]) throw new KrbDecodeError(message.name, 'req-body', 0, 'missing');
  const body = explicitFields(input, f[4], 'KDC-REQ-BODY');
  const cname = principalName(input, body[1]);
  const realm = text(input, body[2]) ?? '';
  const sname = principalName(input, body[3]);
  const etypes: number[] = [];
  each(input, body[8], (etype) => etypes.push(int(input, etype) ?? -1));
  message.nonce = int(input, body[7]);
  message.principal = message.kind === 'AS' ? `${cname ?? '?'}@${realm}` : `${sname ?? '?'}@${realm}`;
  Object.assign(message.fields, { realm, etypes: etypes.join(' ') }, cname ? { cname } : {}, sname ? { sname } : {});
  if (message.nonce !== undefined) message.fields.nonce = message.nonce;
  if (padata.length) message.fields.padata = padata.join(' ');
  const client = cname ? ` ${cname}@${realm}` : '';
  message.summary = `${message.name}${client} → ${sname ?? '?'}@${realm}, etypes ${etypes.join(' ')}${padata.length ? `, ${padata.join(' ')}` : ''}`;
}

function describeReply(input: DerInput, f: (DerNode | undefined)[], message: KdcMessage): void {
  const crealm = text(input, f[3]) ?? '';
  const cname = principalName(input, f[4]);
  if (!f[5]) throw new KrbDecodeError(message.name, 'ticket', 0, 'missing');
  const ticket = explicitFields(input, unwrap(input, f[5], 'Ticket'), 'Ticket');
  const realm = text(input, ticket[1]) ?? '';
  const sname = principalName(input, ticket[2]) ?? '?';
  const encPart = ticket[3] ? explicitFields(input, ticket[3], 'EncryptedData') : [];
  const etype = int(input, encPart[0]) ?? -1;
  const kvno = int(input, encPart[1]) ?? null;
  const cipher = encPart[2] ? contentOf(input, encPart[2]) : new Uint8Array(0);
  const fingerprint = createHash('sha256').update(cipher).digest('hex').slice(0, 32);
  message.ticket = { sname, realm, kvno, etype, fingerprint };
  Object.assign(message.fields, { crealm, cname: cname ?? '?', sname, realm, etype }, kvno === null ? {} : { kvno });
  message.summary = `${message.name} ${cname ?? '?'}@${crealm}, ticket ${sname}@${realm}${kvno === null ? '' : ` kvno ${kvno}`} ${enctypeName(etype)}`;
}

function describeError(input: DerInput, f: (DerNode | undefined)[], message: KdcMessage): void {
  const code = int(input, f[6]) ?? -1;
  const name = ERROR_CODES[code]?.[0] ?? `error ${code}`;
  message.errorCode = code;
  message.eText = text(input, f[11]);
  const cname = principalName(input, f[8]);
  Object.assign(message.fields, { errorCode: code, error: name, realm: text(input, f[9]) ?? '', sname: principalName(input, f[10]) ?? '?' });
  if (cname) message.fields.cname = `${cname}@${text(input, f[7]) ?? ''}`;
  if (message.eText) message.fields.eText = message.eText;
  message.summary = `KRB-ERROR ${name} (${code})${message.eText ? `: ${message.eText}` : ''}`;
}

/** What a KDC message shows in clear; a message that does not decode keeps its name and an error. */
export function describeMessage(bytes: Uint8Array): KdcMessage {
  const tag = bytes[0]!;
  const [name, kind] = NAMES[tag] ?? [`[APPLICATION ${tag & 0x1f}]`, undefined];
  const message: KdcMessage = { name, tag, fields: {}, summary: name, ...(kind ? { kind } : {}) };
  try {
    const input = { bytes, base: 0 };
    const f = explicitFields(input, unwrap(input, readTlv(input, 0, bytes.length, name, ''), name), name);
    if (isRequestTag(tag)) describeRequest(input, f, message);
    else if (tag === KrbTag.KRB_ERROR) describeError(input, f, message);
    else if (isReplyTag(tag)) describeReply(input, f, message);
  } catch (error) {
    if (!(error instanceof KrbDecodeError)) throw error;
    message.error = error.message;
  }
  return message;
}
