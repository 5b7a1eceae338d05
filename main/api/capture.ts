/**
 * Captures: a pcap/pcapng file → every authentication conversation in it as an Exchange, decoded
 * and decrypted with a key ring, linked to the KDC exchanges that issued its tickets, diagnosed;
 * a selection saved as JSON or as a small pcapng; an Exchange replayed against a broker.
 */
import type { Exchange } from '../exchange/model';
import type { FileSource, KeySource } from './inspect';

export interface CaptureScanOptions {
  /** A client-chosen id, so a running scan can be cancelled and its progress events recognised. */
  id?: string;
  /** The capture: a path on the engine's machine, or the bytes (drag and drop in web mode). */
  source: FileSource;
  keys?: KeySource[];
  /** A TLS key log (SSLKEYLOGFILE format): TLS 1.2/1.3 connections it has secrets for are decrypted. */
  keylog?: FileSource;
  /** Show key bytes in decrypted parts (hidden by default). */
  revealSecrets?: boolean;
  /**
   * Leave the report's `exchanges` and `timelines` empty and read the rows a page at a time with
   * `rows()`: a capture with tens of thousands of conversations then never holds them all at once.
   */
  omitRows?: boolean;
}

export type CaptureVerdict = 'success' | 'failure' | 'incomplete';

/** One row of the conversation table (and of `kbench capture scan --json`). */
export interface CaptureRow {
  id: string;
  protocol: 'mqtt' | 'kerberos' | 'http' | 'ldap' | 'gss';
  client: string;
  server: string;
  /** Authentication method: "GSSAPI-KERBEROS", "AS", "TGS", "Negotiate", "Basic", "GSSAPI" … */
  method: string;
  /** Steps that carried a token or a KDC message. */
  rounds: number;
  verdict: CaptureVerdict;
  /** MQTT reason code of the CONNACK/DISCONNECT that ended it, else null. */
  reasonCode: number | null;
  /** The verdict in words, and its code ("0x87", "KDC_ERR_PREAUTH_FAILED", "401"). */
  reason: string;
  code?: string;
  principals: string[];
  /** `enctype` is the etype's name as MIT prints it ("aes256-cts-hmac-sha1-96"). */
  ticket: { sname: string; kvno: number | null; etype: number; enctype: string } | null;
  linked: string[];
  /** Catalog id of the top diagnosis finding of a failed Exchange. */
  diagnosis: string | null;
  diagnosisTitle?: string;
  startedAt: string;
  /** Frames the Exchange's steps came from. */
  frames: number;
  carriedBy?: string;
}

/** A TLS connection in the capture: its SNI, and whether the key log opened it. */
export interface CaptureTlsConnection {
  flow: number;
  client: string;
  server: string;
  sni?: string;
  alpn?: string[];
  version?: string;
  cipherSuite?: string;
  decrypted: boolean;
  /** Why it stayed closed: no key log, no secrets for its client random, unsupported suite. */
  reason?: string;
}

/** One key of the ring and what it opened. */
export interface CaptureKeyUse {
  /** "keytab svc.keytab: mqtt/localhost@BENCH.TEST kvno 2 aes256-cts-hmac-sha1-96", "session key … (learnt in frame 12)". */
  source: string;
  origin: 'keytab' | 'ccache' | 'password' | 'raw' | 'learned';
  enctype: string;
  /** How many encrypted parts it opened. */
  opened: number;
}

/** One client's way through the KDC and the services, in time order. */
export interface CaptureTimeline {
  /** The client principal, or its address when no principal is known. */
  client: string;
  entries: { exchangeId: string; at: string; protocol: CaptureRow['protocol']; label: string; verdict: CaptureVerdict; code?: string }[];
}

export interface CaptureReport {
  id: string;
  /** The file's name as the user gave it. */
  file: string;
  format?: 'pcap' | 'pcapng';
  gzip?: boolean;
  packets: number;
  bytes: number;
  durationMs: number;
  exchanges: CaptureRow[];
  timelines: CaptureTimeline[];
  tls: CaptureTlsConnection[];
  keys: CaptureKeyUse[];
  warnings: { packet?: number; message: string }[];
  /** The scan stopped early here (truncated file, corrupt block); everything before it is kept. */
  error?: string;
  cancelled?: boolean;
}

/** A page of a scan's conversation table, and how many rows the table has. */
export interface CaptureRowPage {
  total: number;
  rows: CaptureRow[];
}

export interface CaptureProgress {
  id: string;
  bytesRead: number;
  totalBytes: number;
  packets: number;
  exchanges: number;
  elapsedMs: number;
}

export type CaptureExportFormat = 'json' | 'pcapng';

export interface CaptureExportResult {
  /** Where it was written (when a path was given), else the bytes. */
  path?: string;
  base64?: string;
  name: string;
  bytes: number;
}

export type ReplayMode = 'verbatim' | 'fresh' | 'lab';

export interface ReplayOptions {
  exchange: Exchange;
  /** mqtt://host:port (or mqtts://, ws://): the broker to replay against. */
  to: string;
  mode: ReplayMode;
  /** fresh: whose credentials make the new tokens (default: lab). */
  profile?: 'lab' | 'system';
  /** fresh/lab: the GSS service name; default from the captured ticket's sname. */
  service?: string;
}

/** One compared aspect of two Exchanges. */
export interface ExchangeDiffRow {
  aspect: string;
  original: string;
  replay: string;
  same: boolean;
}

export interface ExchangeDiff {
  rows: ExchangeDiffRow[];
  /** What differs, in words, most telling first. */
  summary: string[];
}

export interface ReplayResult {
  original: Exchange;
  replay: Exchange;
  diff: ExchangeDiff;
  /** What the replay did on the way (lab realm made, listener started), in words. */
  notes: string[];
}

export interface CaptureService {
  /** Reads the whole file (progress as `capture.progress` events) and returns the conversation table. */
  scan(options: CaptureScanOptions): Promise<CaptureReport>;
  /** Rows [offset, offset + limit) of a scan's conversation table, in the report's order. */
  rows(captureId: string, offset: number, limit: number): Promise<CaptureRowPage>;
  /** Stops a running scan: it resolves with what was found so far, `cancelled: true`. */
  cancel(id: string): Promise<void>;
  /** One Exchange of a scan, fully decoded with the capture's key ring. */
  exchange(captureId: string, exchangeId: string): Promise<Exchange>;
  /** A selection as Exchange JSON (exact round trip) or as a pcapng of just its frames. */
  export(captureId: string, exchangeIds: string[], format: CaptureExportFormat, path?: string): Promise<CaptureExportResult>;
  /** Exchanges saved as JSON (one, an array, or a kbench-exchanges bundle), with their table rows. */
  open(source: FileSource): Promise<{ exchanges: Exchange[]; rows: CaptureRow[] }>;
  /** Replays an Exchange's client side: a new Exchange and its diff against the original. */
  replay(options: ReplayOptions): Promise<ReplayResult>;
}
