/**
 * What a file or a paste is, named for the user before anything tries to parse it as something
 * else: "a pcapng capture", "a FILE credential cache (version 4)", "a KRB-CRED (.kirbi)", "base64
 * text". Read from magic numbers and leading bytes — only 05 01/05 02 (keytab, or a ccache of
 * format 1 or 2) needs a parse to tell — so a keytab command handed a ccache, or the decoder
 * handed a capture, can say what it got and where it belongs.
 */
import { parsesAsCcache } from './ccache';
import { AUTH_HEADER_NAME, isPrintableText } from './decode/input';
import { KrbDecodeError } from './errors';
import { isInitialContextToken } from './gss/framing';
import { isNtlmssp } from './gss/ntlm';
import { parseKeytab } from './keytab';
import { kerberosMessageName } from './messages';
import { isKrbCred } from './messages/cred';

export type InputKind =
  | 'keytab'
  | 'ccache'
  | 'kirbi'
  | 'kerberos-message'
  | 'gss-token'
  | 'spnego'
  | 'ntlmssp'
  | 'pcap'
  | 'pcapng'
  | 'gzip'
  | 'http-header'
  | 'hex-text'
  | 'base64-text'
  | 'text'
  | 'empty'
  | 'unknown';

export interface InputFormat {
  kind: InputKind;
  /** "a pcapng capture", "a FILE credential cache (version 4)". */
  description: string;
}

const PCAP_MAGIC: Record<string, string> = {
  a1b2c3d4: 'big-endian, microsecond timestamps',
  d4c3b2a1: 'little-endian, microsecond timestamps',
  a1b23c4d: 'big-endian, nanosecond timestamps',
  '4d3cb2a1': 'little-endian, nanosecond timestamps',
};

const hexStart = (bytes: Uint8Array) => Buffer.from(bytes.subarray(0, 4)).toString('hex');

/** How much of an input is looked at to call it text. */
const TEXT_SAMPLE = 4096;

function describeText(bytes: Uint8Array): InputFormat {
  const text = Buffer.from(bytes.subarray(0, TEXT_SAMPLE)).toString('latin1').trim();
  if (AUTH_HEADER_NAME.test(text)) return { kind: 'http-header', description: 'an HTTP authentication header line' };
  if (/^(?:negotiate|kerberos)\s+\S/i.test(text)) return { kind: 'http-header', description: 'a Negotiate token as HTTP carries it' };
  const compact = text.replace(/\s/g, '');
  if (/^(?:0x)?[0-9a-fA-F:,-]+$/.test(compact) && compact.length >= 8) return { kind: 'hex-text', description: 'hex text' };
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(compact) && compact.length >= 8) return { kind: 'base64-text', description: 'base64 text' };
  const first = text.split(/\r?\n/)[0]!.slice(0, 40);
  return { kind: 'text', description: `text starting "${first}"` };
}

/**
 * 05 01 and 05 02 start a keytab (format 1 or 2) and a ccache of format 1 or 2 alike: the one
 * that parses completely wins; a keytab when neither does (its error is the likelier help).
 */
export function keytabOrOldCcache(bytes: Uint8Array): 'keytab' | 'ccache' {
  try {
    parseKeytab(bytes);
    return 'keytab';
  } catch (error) {
    if (!(error instanceof KrbDecodeError)) throw error;
    return parsesAsCcache(bytes) ? 'ccache' : 'keytab';
  }
}

/** Names what `bytes` is from its first bytes. */
export function identifyInput(bytes: Uint8Array): InputFormat {
  if (bytes.length === 0) return { kind: 'empty', description: 'an empty file' };
  const start = hexStart(bytes);
  if (PCAP_MAGIC[start]) return { kind: 'pcap', description: `a pcap capture (${PCAP_MAGIC[start]})` };
  if (start === '0a0d0d0a') return { kind: 'pcapng', description: 'a pcapng capture' };
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return { kind: 'gzip', description: 'a gzip-compressed file' };
  if (bytes[0] === 0x05 && (bytes[1] === 0x01 || bytes[1] === 0x02) && keytabOrOldCcache(bytes) === 'keytab') {
    return { kind: 'keytab', description: `a keytab (version 0x05${bytes[1] === 1 ? '01' : '02'})` };
  }
  if (bytes[0] === 0x05 && bytes[1]! >= 0x01 && bytes[1]! <= 0x04) return { kind: 'ccache', description: `a FILE credential cache (version ${bytes[1]})` };
  if (isKrbCred(bytes)) return { kind: 'kirbi', description: 'a KRB-CRED (.kirbi: tickets exported with their session keys)' };
  const message = kerberosMessageName(bytes);
  if (message) return { kind: 'kerberos-message', description: `a Kerberos ${message}` };
  if (isInitialContextToken(bytes)) return { kind: 'gss-token', description: 'a GSS-API token' };
  if (bytes[0] === 0xa1 || bytes[0] === 0xa0) return { kind: 'spnego', description: 'a SPNEGO token' };
  if (isNtlmssp(bytes)) return { kind: 'ntlmssp', description: 'an NTLMSSP message' };
  if (isPrintableText(bytes, TEXT_SAMPLE)) return describeText(bytes);
  return { kind: 'unknown', description: `${bytes.length} bytes starting ${start}` };
}

/** Where each kind of input is read, for "… is X, not Y: open it with …" messages. */
export const READ_WITH: Partial<Record<InputKind, string>> = {
  keytab: 'kbench keytab show, or the Keytab view',
  ccache: 'kbench ccache show, or the Credential cache view',
  kirbi: 'kbench ccache show, or the Credential cache view',
  'kerberos-message': 'kbench decode, or the Decoder view',
  'gss-token': 'kbench decode, or the Decoder view',
  spnego: 'kbench decode, or the Decoder view',
  ntlmssp: 'kbench decode, or the Decoder view',
  'http-header': 'kbench decode, or the Decoder view',
  'hex-text': 'kbench decode, or the Decoder view',
  'base64-text': 'kbench decode, or the Decoder view',
};

/**
 * "…: this is a FILE credential cache (version 4), not a keytab — read it with kbench ccache
 * show, or the Credential cache view". Undefined when the input is what was wanted (or nothing
 * recognisable), so the caller's own parse error stands.
 */
export function wrongInputMessage(bytes: Uint8Array, wanted: InputKind, wantedName: string): string | undefined {
  const format = identifyInput(bytes);
  if (format.kind === wanted || format.kind === 'unknown' || format.kind === 'empty') return undefined;
  if (wanted === 'ccache' && format.kind === 'kirbi') return undefined;
  const where = READ_WITH[format.kind];
  const captures = format.kind === 'pcap' || format.kind === 'pcapng' || format.kind === 'gzip' ? ' — open it in the Captures view or with kbench capture scan FILE' : '';
  return `this is ${format.description}, not ${wantedName}${where ? ` — read it with ${where}` : captures}`;
}
