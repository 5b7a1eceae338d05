/**
 * The `capture` service: scans files (progress as events, cancellable), keeps the last few scans
 * in memory to open their Exchanges and export selections, opens saved Exchanges, replays.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type {
  CaptureExportFormat,
  CaptureExportResult,
  CaptureKeyUse,
  CaptureReport,
  CaptureRow,
  CaptureRowPage,
  CaptureScanOptions,
  CaptureService,
  CaptureTimeline,
  CaptureVerdict,
  ReplayOptions,
  ReplayResult,
} from '../api/capture';
import type { FileSource } from '../api/inspect';
import type { EngineContext } from '../engine/context';
import { BenchFailure } from '../engine/failure';
import type { Exchange } from '../exchange/model';
import { parseExchanges, serializeExchanges } from '../exchange/serialize';
import { keySpecs } from '../inspect/service';
import { enctypeName } from '../krb/names';
import { readUserFile, writeFileAtomic } from '../system/files';
import { CaptureFormatError } from './errors';
import { timelineClient } from './link';
import { selectPackets } from './reader';
import { decodeExchange, foundOf, scanCapture, type FoundExchange, type ScanResult } from './scan';
import { TlsKeyLog } from './tls/keylog';

/** Scans kept for opening and exporting; the oldest goes first. */
const KEPT_SCANS = 4;

interface KeptScan {
  id: string;
  file: string;
  name: string;
  /** A temporary copy of uploaded bytes, removed with the scan. */
  temporary?: string;
  result: ScanResult;
  revealSecrets: boolean;
}

export function verdictOf(exchange: Pick<Exchange, 'verdict'>): CaptureVerdict {
  return exchange.verdict.outcome === 'pending' ? 'incomplete' : exchange.verdict.outcome;
}

/** The MQTT reason code that ended an Exchange ("0x87" on its verdict), else null. */
function reasonCodeOf(exchange: FoundExchange): number | null {
  if (exchange.capture?.protocol !== 'mqtt') return null;
  const code = exchange.verdict.code ?? '';
  const match = /^0x([0-9a-f]{1,2})$/i.exec(code);
  if (match) return parseInt(match[1]!, 16);
  return exchange.verdict.outcome === 'success' ? 0 : null;
}

export function captureRow(exchange: FoundExchange): CaptureRow {
  const capture = exchange.capture;
  const ticket = capture.ticket;
  return {
    id: exchange.id,
    protocol: capture.protocol,
    client: capture.client,
    server: capture.server,
    method: exchange.mechanism,
    rounds: exchange.rounds,
    verdict: verdictOf(exchange),
    reasonCode: reasonCodeOf(exchange),
    reason: exchange.verdict.reason,
    ...(exchange.verdict.code ? { code: exchange.verdict.code } : {}),
    principals: capture.principals,
    ticket: ticket ? { sname: `${ticket.sname}@${ticket.realm}`, kvno: ticket.kvno, etype: ticket.etype, enctype: enctypeName(ticket.etype) } : null,
    linked: capture.linked,
    diagnosis: capture.diagnosis?.id ?? null,
    ...(capture.diagnosis ? { diagnosisTitle: capture.diagnosis.title } : {}),
    startedAt: exchange.startedAt,
    frames: exchange.frames,
    ...(capture.carriedBy ? { carriedBy: capture.carriedBy } : {}),
  };
}

/**
 * The row of a saved Exchange: a capture's from its capture origin, any other's (a broker
 * connection, a probe run, from a History export) from what the Exchange itself says.
 */
export function rowOfExchange(exchange: Exchange): CaptureRow {
  if (exchange.capture) return captureRow(foundOf(exchange));
  const first = exchange.steps[0]?.transport.protocol;
  return captureRow({
    id: exchange.id,
    mechanism: exchange.mechanism,
    startedAt: exchange.startedAt,
    verdict: exchange.verdict,
    capture: {
      protocol: first && first !== 'sasl' ? first : 'gss',
      client: exchange.meta?.client ?? exchange.meta?.remoteAddress ?? '',
      server: exchange.meta?.url ?? exchange.service ?? '',
      principals: [exchange.identity?.principal, exchange.service].filter((p): p is string => !!p),
      linked: [],
    },
    rounds: exchange.steps.filter((s) => s.token !== undefined).length,
    target: exchange.service ?? '',
    frames: 0,
    firstFrame: 0,
  });
}

function timelines(result: ScanResult): CaptureTimeline[] {
  const byClient = new Map<string, CaptureTimeline>();
  for (const exchange of result.found) {
    const client = timelineClient(exchange, result.ticketUse);
    const timeline = byClient.get(client) ?? { client, entries: [] };
    const capture = exchange.capture;
    const target = exchange.target;
    timeline.entries.push({
      exchangeId: exchange.id,
      at: exchange.startedAt,
      protocol: capture.protocol,
      label: `${exchange.mechanism} → ${target}`,
      verdict: verdictOf(exchange),
      ...(exchange.verdict.code ? { code: exchange.verdict.code } : {}),
    });
    byClient.set(client, timeline);
  }
  return [...byClient.values()];
}

function keyUses(result: ScanResult): CaptureKeyUse[] {
  return result.session.keyring.made().map((key) => ({
    source: key.source,
    origin: key.origin,
    enctype: enctypeName(key.enctype),
    opened: result.keyUse.get(key.source) ?? 0,
  }));
}

/** The report of a scan; with `omitRows`, without its rows and timelines (`rows()` pages through them). */
export function reportOf(id: string, name: string, result: ScanResult, omitRows = false): CaptureReport {
  return {
    id,
    file: name,
    ...(result.format ? { format: result.format } : {}),
    ...(result.gzip !== undefined ? { gzip: result.gzip } : {}),
    packets: result.packets,
    bytes: result.bytes,
    durationMs: result.durationMs,
    exchanges: omitRows ? [] : Array.from(result.found, captureRow),
    timelines: omitRows ? [] : timelines(result),
    tls: result.tls,
    keys: keyUses(result),
    warnings: result.warnings,
    ...(result.error ? { error: result.error.message } : {}),
    ...(result.cancelled ? { cancelled: true } : {}),
  };
}

export interface CaptureReplayer {
  (options: ReplayOptions): Promise<ReplayResult>;
}

export class CaptureServiceImpl implements CaptureService {
  private readonly scans: KeptScan[] = [];
  private readonly running = new Map<string, AbortController>();

  constructor(
    private readonly context: EngineContext,
    private readonly replayer: CaptureReplayer,
  ) {}

  async scan(options: CaptureScanOptions): Promise<CaptureReport> {
    const id = options.id ?? randomUUID();
    if (this.running.has(id)) throw new BenchFailure(`a scan with id ${id} is already running`);
    const controller = new AbortController();
    this.running.set(id, controller);
    let temporary: string | undefined;
    try {
      const { file, name, temp } = await this.materialise(options.source);
      temporary = temp;
      const keys = await keySpecs(options.keys ?? [], []);
      const parsed = options.keylog ? await this.keylog(options.keylog) : undefined;
      const keylog = parsed?.keylog;
      const started = performance.now();
      const result = await scanCapture({
        file,
        displayName: name,
        keys,
        ...(keylog ? { keylog } : {}),
        revealSecrets: options.revealSecrets ?? false,
        signal: controller.signal,
        onProgress: (p) => this.context.events.emit('capture.progress', { id, ...p, elapsedMs: Math.round(performance.now() - started) }),
      });
      // The key log's unreadable lines come first: they explain a TLS connection left closed.
      if (parsed) result.warnings.unshift(...parsed.warnings.map((message) => ({ message: `TLS key log: ${message}` })));
      this.keep({ id, file, name, ...(temporary ? { temporary } : {}), result, revealSecrets: options.revealSecrets ?? false });
      temporary = undefined;
      return reportOf(id, name, result, options.omitRows ?? false);
    } catch (error) {
      if (error instanceof CaptureFormatError) throw new BenchFailure(error.message);
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new BenchFailure(`no such file: ${(error as NodeJS.ErrnoException).path ?? ''}`);
      throw error;
    } finally {
      this.running.delete(id);
      if (temporary) await rm(path.dirname(temporary), { recursive: true, force: true });
    }
  }

  async rows(captureId: string, offset: number, limit: number): Promise<CaptureRowPage> {
    const found = this.kept(captureId).result.found;
    return { total: found.length, rows: found.slice(offset, offset + limit).map(captureRow) };
  }

  async cancel(id: string): Promise<void> {
    this.running.get(id)?.abort();
  }

  async exchange(captureId: string, exchangeId: string): Promise<Exchange> {
    const scan = this.kept(captureId);
    const exchange = scan.result.load(exchangeId);
    if (!exchange) throw new BenchFailure(`the capture has no Exchange ${exchangeId}`);
    return decodeExchange(exchange, scan.result.session, scan.revealSecrets);
  }

  async export(captureId: string, exchangeIds: string[], format: CaptureExportFormat, target?: string): Promise<CaptureExportResult> {
    const scan = this.kept(captureId);
    const chosen = exchangeIds.map((id) => {
      const exchange = scan.result.load(id);
      if (!exchange) throw new BenchFailure(`the capture has no Exchange ${id}`);
      return exchange;
    });
    const stem = path.basename(scan.name).replace(/\.(pcapng|pcap|cap)(\.gz)?$/i, '');
    let bytes: Buffer;
    let name: string;
    if (format === 'json') {
      bytes = Buffer.from(serializeExchanges(chosen.map((e) => decodeExchange(e, scan.result.session, scan.revealSecrets))));
      name = `${stem}-${chosen.length === 1 ? chosen[0]!.id.slice(0, 8) : `${chosen.length}-exchanges`}.json`;
    } else {
      const frames = new Set(chosen.flatMap((e) => e.capture!.packets));
      bytes = await selectPackets(scan.file, frames);
      name = `${stem}-${frames.size}-frames.pcapng`;
    }
    if (!target) return { name, base64: bytes.toString('base64'), bytes: bytes.length };
    await mkdir(path.dirname(path.resolve(target)), { recursive: true });
    return { name, path: await writeFileAtomic(target, bytes), bytes: bytes.length };
  }

  async open(source: FileSource): Promise<{ exchanges: Exchange[]; rows: CaptureRow[] }> {
    const bytes = 'path' in source ? await readUserFile(source.path) : Buffer.from(source.base64, 'base64');
    try {
      const exchanges = parseExchanges(bytes.toString('utf8'));
      return { exchanges, rows: exchanges.map(rowOfExchange) };
    } catch (error) {
      throw new BenchFailure(`${'path' in source ? source.path : source.name}: ${(error as Error).message}`);
    }
  }

  replay(options: ReplayOptions): Promise<ReplayResult> {
    return this.replayer(options);
  }

  async dispose(): Promise<void> {
    for (const controller of this.running.values()) controller.abort();
    for (const scan of this.scans.splice(0)) await this.forget(scan);
  }

  private kept(captureId: string): KeptScan {
    const scan = this.scans.find((s) => s.id === captureId);
    if (!scan) throw new BenchFailure(`the engine no longer holds capture ${captureId}: open the file again`);
    return scan;
  }

  private keep(scan: KeptScan): void {
    const old = this.scans.findIndex((s) => s.id === scan.id);
    if (old >= 0) void this.forget(this.scans.splice(old, 1)[0]!);
    this.scans.push(scan);
    while (this.scans.length > KEPT_SCANS) void this.forget(this.scans.shift()!);
  }

  /** A scan no longer kept: its spill file and its uploaded bytes go. */
  private async forget(scan: KeptScan): Promise<void> {
    scan.result.dispose();
    if (scan.temporary) await rm(path.dirname(scan.temporary), { recursive: true, force: true });
  }

  /** A path is read where it is; uploaded bytes go to a private temporary file (export re-reads it). */
  private async materialise(source: FileSource): Promise<{ file: string; name: string; temp?: string }> {
    if ('path' in source) {
      const info = await stat(source.path).catch(() => undefined);
      if (!info) throw new BenchFailure(`no such file: ${source.path}`);
      if (!info.isFile()) throw new BenchFailure(`${source.path} is not a file`);
      return { file: source.path, name: source.path };
    }
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-capture-'));
    const file = path.join(dir, path.basename(source.name) || 'capture');
    await writeFile(file, Buffer.from(source.base64, 'base64'), { mode: 0o600 });
    return { file, name: source.name, temp: file };
  }

  private async keylog(source: FileSource): Promise<ReturnType<typeof TlsKeyLog.parse>> {
    const text = 'path' in source ? (await readUserFile(source.path)).toString('utf8') : Buffer.from(source.base64, 'base64').toString('utf8');
    return TlsKeyLog.parse(text);
  }
}
