import { randomUUID } from 'node:crypto';
import type { CaptureReport, CaptureRow, CaptureRowPage } from '../../api/capture';
import type { KeySource } from '../../api/inspect';
import { EXIT_FAILURE, EXIT_OK, UsageError, type Command, type CommandInput } from '../command';
import type { Engine } from '../../engine';
import { json, padEnd, palette, StreamedList, useColour, writeJson, type Palette } from '../format';
import { invokeService } from '../invoke';
import { fileAndRawKeySources, keyOptions } from '../key-options';
import { formatTree } from '../tree-format';

/** The decoder's key options, with passwords, principals and salts repeatable (a capture names many clients). */
const keyRingOptions = {
  ...keyOptions,
  password: { type: 'string', multiple: true },
  principal: { type: 'string', multiple: true },
  salt: { type: 'string', multiple: true },
  nthash: { type: 'string', multiple: true },
  keylog: { type: 'string' },
  reveal: { type: 'boolean' },
} as const;

const KEY_RING_HELP = `Key ring: --keytab KT (repeatable), --ccache CC (repeatable), --key ETYPE:HEX (repeatable),
--nthash HEX (an NT hash: the RC4-HMAC key, repeatable), --password P --principal NAME [--salt S]
(repeatable, paired in order; the salt defaults to the one the capture's ETYPE-INFO2 names, else
REALM+name). Session keys and subkeys learnt from every decrypted AS-REP, TGS-REP, ticket and
authenticator open the later messages of the capture. --keylog FILE (SSLKEYLOGFILE format) decrypts
TLS 1.2/1.3 connections (AES-GCM, ChaCha20-Poly1305). --reveal shows key bytes.`;

function list(values: CommandInput['values'], name: string): string[] {
  const value = values[name];
  return Array.isArray(value) ? value.map(String) : value === undefined ? [] : [String(value)];
}

/** The key sources of the ring, from the repeatable options (passwords paired with principals in order). */
function keyRingFrom(input: CommandInput, command: Command): KeySource[] {
  const { values, io } = input;
  const keys = fileAndRawKeySources(values, command);
  for (const hash of list(values, 'nthash')) {
    if (!/^[0-9a-fA-F]{32}$/.test(hash)) throw new UsageError(`--nthash: "${hash}" is not 32 hex digits`, command);
    keys.push({ kind: 'raw', key: `rc4-hmac:${hash}` });
  }
  const passwords = list(values, 'password');
  if (passwords.length === 0 && io.env.KBENCH_PASSWORD !== undefined) passwords.push(io.env.KBENCH_PASSWORD);
  const principals = list(values, 'principal');
  const salts = list(values, 'salt');
  if (passwords.length !== principals.length) throw new UsageError('give one --principal for each --password (a capture names many clients)', command);
  passwords.forEach((password, i) => keys.push({ kind: 'password', password, principal: principals[i]!, ...(salts[i] !== undefined ? { salt: salts[i] } : {}) }));
  return keys;
}

/** "42% · 120 000 packets/s · ETA 3 s" on one terminal line. */
function progressLine(p: { bytesRead: number; totalBytes: number; packets: number; exchanges: number; elapsedMs: number }): string {
  const fraction = p.totalBytes > 0 ? Math.min(1, p.bytesRead / p.totalBytes) : 0;
  const seconds = p.elapsedMs / 1000;
  const rate = seconds > 0 ? Math.round(p.packets / seconds) : 0;
  const eta = fraction > 0 ? Math.max(0, Math.round(seconds / fraction - seconds)) : undefined;
  return `${Math.round(fraction * 100)}% · ${p.packets} packets (${rate}/s) · ${p.exchanges} conversations${eta !== undefined ? ` · ETA ${eta} s` : ''}`;
}

async function runScan(input: CommandInput, command: Command, file: string, omitRows = false): Promise<CaptureReport> {
  const { values, io } = input;
  const keys = keyRingFrom(input, command);
  const engine = input.engine();
  const id = randomUUID();
  const progress = io.stderrIsTty ?? io.isTty;
  const stop = progress
    ? engine.events.subscribe((event) => {
        if (event.name === 'capture.progress' && event.payload.id === id) io.stderr(`\r\u001b[K${progressLine(event.payload)}`);
      })
    : () => {};
  // Ctrl-C stops the scan; what was found so far is still printed.
  const cancel = () => void engine.api.capture.cancel(id);
  process.once('SIGINT', cancel);
  try {
    return await invokeService(engine, 'capture', 'scan', {
      id,
      source: { path: file },
      keys,
      ...(values.keylog ? { keylog: { path: String(values.keylog) } } : {}),
      ...(values.reveal ? { revealSecrets: true } : {}),
      ...(omitRows ? { omitRows } : {}),
    });
  } finally {
    process.off('SIGINT', cancel);
    stop();
    if (progress) io.stderr('\r\u001b[K');
  }
}

/** Rows fetched per `capture.rows` call: the CLI holds one page of a large capture's table at a time. */
const ROWS_PAGE = 1000;

/** The scan's rows a page at a time, from the service (the report came without them: `omitRows`). */
async function* rowPages(engine: Engine, captureId: string, first: CaptureRowPage): AsyncGenerator<CaptureRow[]> {
  let page = first;
  let offset = 0;
  for (;;) {
    yield page.rows;
    offset += page.rows.length;
    if (offset >= page.total || page.rows.length === 0) return;
    page = await invokeService(engine, 'capture', 'rows', captureId, offset, ROWS_PAGE);
  }
}

/** One conversation as `--json` lists it. */
function jsonRow(row: CaptureRow) {
  return {
    id: row.id,
    protocol: row.protocol,
    client: row.client,
    server: row.server,
    method: row.method,
    rounds: row.rounds,
    verdict: row.verdict,
    reasonCode: row.reasonCode,
    principals: row.principals,
    ticket: row.ticket ? { sname: row.ticket.sname, kvno: row.ticket.kvno, etype: row.ticket.etype } : null,
    linked: row.linked,
    diagnosis: row.diagnosis,
  };
}

/** The JSON the issue promises: packets, the conversations (streamed a page at a time), the warnings. */
async function writeScanJson(write: (text: string) => void, report: CaptureReport, pages: AsyncIterable<CaptureRow[]>): Promise<void> {
  await writeJson(write, {
    packets: report.packets,
    exchanges: new StreamedList(mapPages(pages, jsonRow)),
    warnings: report.warnings.map((w) => (w.packet ? `frame ${w.packet}: ${w.message}` : w.message)),
    ...(report.error ? { error: report.error } : {}),
    tls: report.tls,
    keys: report.keys,
  });
}

async function* mapPages<T, U>(pages: AsyncIterable<T[]>, fn: (item: T) => U): AsyncGenerator<U[]> {
  for await (const page of pages) yield page.map(fn);
}

function rowText(row: CaptureRow, p: Palette): string {
  const mark = row.verdict === 'success' ? p.ok('✓') : row.verdict === 'failure' ? p.bad('✗') : p.dim('…');
  const ticket = row.ticket ? ` ticket ${row.ticket.sname} kvno ${row.ticket.kvno ?? '-'} etype ${row.ticket.etype}` : '';
  const lines = [`${mark} ${padEnd(row.protocol, 8)} ${padEnd(row.method, 16)} ${row.client} → ${row.server}${row.carriedBy ? ` (${row.carriedBy})` : ''}`];
  lines.push(`    ${p.dim(row.id)} ${row.rounds} rounds · ${row.reason}${row.code ? ` [${row.code}]` : ''}${ticket}`);
  if (row.principals.length) lines.push(`    principals: ${row.principals.join(', ')}`);
  if (row.diagnosis) lines.push(`    diagnosis: ${row.diagnosisTitle ?? row.diagnosis} (${row.diagnosis})`);
  if (row.linked.length) lines.push(`    linked: ${row.linked.join(', ')}`);
  return `${lines.join('\n')}\n`;
}

/** The table in words, written a page of rows at a time. */
async function writeScanText(write: (text: string) => void, report: CaptureReport, first: CaptureRowPage, pages: AsyncIterable<CaptureRow[]>, colour: boolean): Promise<void> {
  const p = palette(colour);
  write(`${report.file}: ${report.packets} packets, ${first.total} authentication conversations (${report.durationMs} ms)\n`);
  for await (const page of pages) if (page.length) write(page.map((row) => rowText(row, p)).join(''));
  const lines: string[] = [];
  for (const tls of report.tls) lines.push(`TLS ${tls.client} → ${tls.server}${tls.sni ? ` SNI ${tls.sni}` : ''} ${tls.version ?? ''} ${tls.decrypted ? 'decrypted' : `not decrypted: ${tls.reason ?? ''}`}`);
  const used = report.keys.filter((k) => k.opened > 0);
  if (report.keys.length) lines.push(`Keys: ${report.keys.length} on the ring, ${used.length} opened something`);
  for (const key of used) lines.push(`  ${key.source}: opened ${key.opened}`);
  if (report.warnings.length) lines.push(`${report.warnings.length} warnings (--json lists them), first: ${report.warnings[0]!.message}`);
  if (report.error) lines.push(p.bad(`The scan stopped early: ${report.error} — everything before it is listed.`));
  if (report.cancelled) lines.push(p.bad('Cancelled: the conversations found so far are listed.'));
  if (lines.length) write(`${lines.join('\n')}\n`);
}

const scanCommand: Command = {
  name: 'scan',
  summary: 'find every authentication conversation in a pcap/pcapng (gzip too), decoded and decrypted',
  usage: ['capture scan FILE [--keytab KT]… [--password P --principal NAME]… [--key ETYPE:HEX]… [--nthash HEX]… [--keylog FILE] [--json]'],
  details: `Reads the file once, streaming (pcap in either byte order, µs or ns; pcapng with several sections
and interfaces; gzip), reassembles IPv4 fragments and TCP, and finds by content on any port: MQTT
3.1.1/5 (plain, WebSocket, TLS), Kerberos over UDP and TCP, HTTP Negotiate/Basic, LDAP SASL binds,
and GSS-API/SPNEGO tokens in any other protocol. Each conversation is linked to the KDC exchanges
that issued its tickets; failed ones are diagnosed. A progress line goes to stderr on a terminal.
${KEY_RING_HELP}
Exit code 0 when the file was read to its end, 1 when it stopped early (truncated or corrupt).`,
  options: { ...keyRingOptions, json: { type: 'boolean' } },
  positionals: { min: 1, max: 1 },
  async run(input) {
    // The rows come a page at a time: a capture's table of tens of thousands is never held whole.
    const report = await runScan(input, scanCommand, input.positionals[0]!, true);
    const engine = input.engine();
    const first = await invokeService(engine, 'capture', 'rows', report.id, 0, ROWS_PAGE);
    const pages = rowPages(engine, report.id, first);
    const write = (text: string) => input.io.stdout(text);
    if (input.values.json) await writeScanJson(write, report, pages);
    else await writeScanText(write, report, first, pages, useColour(input.io.isTty, input.io.env));
    return report.error ? EXIT_FAILURE : EXIT_OK;
  },
};

const showCommand: Command = {
  name: 'show',
  summary: 'one conversation of a capture: every step, its token decoded and decrypted',
  usage: ['capture show FILE --exchange ID [key ring options] [--json]'],
  details: KEY_RING_HELP,
  options: { ...keyRingOptions, exchange: { type: 'string' }, json: { type: 'boolean' } },
  positionals: { min: 1, max: 1 },
  async run(input) {
    const id = input.values.exchange;
    if (typeof id !== 'string') throw new UsageError('--exchange ID is required (kbench capture scan FILE lists them)', showCommand);
    const report = await runScan(input, showCommand, input.positionals[0]!);
    const exchange = await invokeService(input.engine(), 'capture', 'exchange', report.id, resolveId(report, id, showCommand));
    if (input.values.json) {
      input.io.stdout(json(exchange));
      return EXIT_OK;
    }
    const capture = exchange.capture!;
    const lines = [`${exchange.mechanism} ${capture.client} → ${capture.server}: ${exchange.verdict.outcome} — ${exchange.verdict.reason}`];
    if (capture.diagnosis) lines.push(`diagnosis: ${capture.diagnosis.title} (${capture.diagnosis.id})`);
    for (const step of exchange.steps) {
      lines.push('', `${step.index + 1}. ${step.direction === 'client-to-server' ? '→' : '←'} ${step.transport.packet} frames ${step.packets?.join(',') ?? ''} +${step.elapsedMs} ms${step.tokenKind ? ` · ${step.tokenKind}` : ''}`);
      if (step.summary) lines.push(`   ${step.summary}`);
      if (step.error) lines.push(`   error: ${step.error}`);
      if (step.decoded) lines.push(...formatTree(step.decoded).map((l) => `   ${l}`));
      for (const key of step.learnedKeys ?? []) lines.push(`   learnt: ${key}`);
    }
    input.io.stdout(`${lines.join('\n')}\n`);
    return EXIT_OK;
  },
};

/** An id as printed ("mqtt-f26": protocol and first frame), or its first characters when they name one Exchange. */
function resolveId(report: CaptureReport, id: string, command: Command): string {
  const exact = report.exchanges.find((row) => row.id === id);
  if (exact) return exact.id;
  const matches = report.exchanges.filter((row) => row.id.startsWith(id));
  if (matches.length === 1) return matches[0]!.id;
  throw new UsageError(matches.length === 0 ? `the capture has no conversation ${id}` : `${id} names ${matches.length} conversations: give more of the id`, command);
}

const exportCommand: Command = {
  name: 'export',
  summary: 'save conversations as Exchange JSON, or as a small pcapng of just their frames',
  usage: ['capture export FILE --exchange ID [--exchange ID]… -o OUT.json|OUT.pcapng [key ring options]'],
  details: `The format follows the output name: .pcapng writes only the frames the conversations came from
(to share without the rest of the capture); anything else writes Exchange JSON (one Exchange, or a
kbench-exchanges bundle), which \`kbench replay\` and the Captures view open again.
${KEY_RING_HELP}`,
  options: { ...keyRingOptions, exchange: { type: 'string', multiple: true }, output: { type: 'string', short: 'o' }, json: { type: 'boolean' } },
  positionals: { min: 1, max: 1 },
  async run(input) {
    const ids = list(input.values, 'exchange');
    const output = input.values.output;
    if (ids.length === 0) throw new UsageError('--exchange ID is required (kbench capture scan FILE lists them)', exportCommand);
    if (typeof output !== 'string') throw new UsageError('-o OUT.json or -o OUT.pcapng is required', exportCommand);
    const report = await runScan(input, exportCommand, input.positionals[0]!);
    const chosen = ids.map((id) => resolveId(report, id, exportCommand));
    const format = /\.pcapng$/i.test(output) ? 'pcapng' : 'json';
    const result = await invokeService(input.engine(), 'capture', 'export', report.id, chosen, format, output);
    input.io.stdout(input.values.json ? json(result) : `wrote ${result.path} (${result.bytes} bytes, ${chosen.length} conversation${chosen.length === 1 ? '' : 's'})\n`);
    return EXIT_OK;
  },
};

export const captureCommand: Command = {
  name: 'capture',
  summary: 'authentication conversations in pcap/pcapng captures: scan, show, export',
  usage: ['capture scan FILE …', 'capture show FILE --exchange ID', 'capture export FILE --exchange ID -o OUT'],
  subcommands: [scanCommand, showCommand, exportCommand],
};
