/**
 * `kbench capture scan` against tshark on the same generated pcapng, in the same run (issue 13
 * item 10: goal ≥ 10× tshark's speed, peak RSS < 200 MB, also for a file ten times larger):
 *   - baseline: tshark finding the MQTT packets — `-Y mqtt -T fields -e mqtt.msgtype`, with
 *     `-d tcp.port==P,mqtt` for the non-standard broker ports (tshark finds MQTT by port only),
 *   - the CLI (`node bin/kbench.js capture scan F --json`, the built out/ code: `npm run build`),
 *     taking turns with tshark for three rounds: a 2-second run on a shared 2-core machine moves
 *     by ±20% from one minute to the next, so the figure is the middle round's speed ratio,
 *   - scanCapture in this process (no CLI start-up, no JSON),
 *   - the CLI on the ten-times file (ten times the sessions too), and on one with ten times the packets
 *     but the 1M file's sessions (both skipped, with a note, when the disk has < 4 GB free).
 * Each is one long run (no warm-up); the table at the end gives seconds, packets/s, MB/s, the
 * peak RSS of every spawned run, and the speed ratios. Every run's findings are checked against
 * what the generator wrote, and a mismatch is printed loudly: a broken scan measures nothing.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { rm, statfs } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import { scanCapture } from '../../main/capture/scan';
import { BROKER_PORTS, generateMqttCapture, type MqttCaptureSummary } from './capture-generator';
import { recordFigure } from './figures';
import { median } from './interleave';

const ROOT = path.resolve(import.meta.dirname, '../..');
const PACKETS = 1_000_000;
const LARGE_FACTOR = 10;
const MIN_FREE_FOR_LARGE = 4 * 1024 ** 3;
/** Bump when the generator's output changes, so files from an older generator are not reused. */
const GENERATOR_VERSION = 1;
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

interface GeneratedFile {
  file: string;
  summary: MqttCaptureSummary;
  size: number;
}

interface Row {
  run: string;
  seconds: number;
  packets: number;
  bytes: number;
  peakRssMb?: number;
  check: string;
}

const rows: Row[] = [];
/** tshark and the CLI on the 1M file take turns this many times; the middle speed ratio is the figure. */
const ROUNDS = 3;
/** tshark's seconds ÷ the CLI's, per round. */
const roundRatios: number[] = [];
const notes: string[] = [];
let small: GeneratedFile | undefined;
let large: GeneratedFile | undefined;
/** Ten times the packets, the same number of sessions (each ten times longer): memory follows conversations, not packets. */
let long: GeneratedFile | undefined;

/** The file for these parameters, generated once and reused while it has the recorded size. */
async function capture(packets: number, sessions?: number): Promise<GeneratedFile> {
  const file = path.join(os.tmpdir(), `kbench-capture-mqtt-v${GENERATOR_VERSION}-p${packets}${sessions ? `-s${sessions}` : ''}-seed1.pcapng`);
  const meta = `${file}.json`;
  if (existsSync(file) && existsSync(meta)) {
    const saved = JSON.parse(readFileSync(meta, 'utf8')) as GeneratedFile;
    if (statSync(file).size === saved.size) return saved;
  }
  const started = performance.now();
  const summary = await generateMqttCapture(file, { packets, seed: 1, ...(sessions ? { sessions } : {}) });
  const generated: GeneratedFile = { file, summary, size: statSync(file).size };
  writeFileSync(meta, JSON.stringify(generated));
  notes.push(`generated ${file}: ${summary.packets} packets, ${summary.sessions} sessions, ${(generated.size / 1e6).toFixed(0)} MB in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return generated;
}

/** VmHWM of a live process, in kB (undefined once it is gone). */
function highWaterMark(pid: number): number | undefined {
  try {
    const match = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs a command with stdout into `outFile`; the peak RSS from GNU time's %M (exact, at exit),
 * else the last VmHWM polled every 50 ms.
 */
async function measure(command: string, args: string[], outFile: string): Promise<{ seconds: number; peakRssKb?: number }> {
  const rssFile = `${outFile}.rss`;
  const argv = TIME ? [TIME, '-f', '%M', '-o', rssFile, command, ...args] : [command, ...args];
  const out = openSync(outFile, 'w');
  const started = performance.now();
  const child = spawn(argv[0]!, argv.slice(1), { cwd: ROOT, stdio: ['ignore', out, 'pipe'] });
  closeSync(out);
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
  let polled: number | undefined;
  const poll = TIME
    ? undefined
    : setInterval(() => {
        polled = highWaterMark(child.pid!) ?? polled;
      }, 50);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  const seconds = (performance.now() - started) / 1000;
  if (poll) clearInterval(poll);
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${code}: ${stderr}`);
  let peakRssKb = polled;
  if (TIME && existsSync(rssFile)) {
    peakRssKb = Number(readFileSync(rssFile, 'utf8').trim().split('\n').at(-1));
    await rm(rssFile, { force: true });
  }
  return { seconds, peakRssKb };
}

function loud(message: string): string {
  const line = `!!!!!!!! ${message} !!!!!!!!`;
  console.log(`\n${line}\n`);
  return `MISMATCH: ${message}`;
}

/** What the scan found against what the generator wrote: packets, sessions, refusals. */
function checkScan(label: string, g: GeneratedFile, found: { packets: number; exchanges: { protocol: string; verdict: string }[] }): string {
  const mqtt = found.exchanges.filter((e) => e.protocol === 'mqtt');
  const failures = mqtt.filter((e) => e.verdict === 'failure').length;
  const successes = mqtt.filter((e) => e.verdict === 'success').length;
  const expected = { packets: g.summary.packets, exchanges: g.summary.sessions, failures: g.summary.refused, successes: g.summary.sessions - g.summary.refused };
  const got = { packets: found.packets, exchanges: found.exchanges.length, failures, successes };
  if (JSON.stringify(got) !== JSON.stringify(expected)) return loud(`${label}: expected ${JSON.stringify(expected)}, the scan says ${JSON.stringify(got)}`);
  return `ok: ${got.exchanges} exchanges (${got.failures} refused)`;
}

async function runCli(label: string, g: GeneratedFile): Promise<Row> {
  const outFile = path.join(os.tmpdir(), `kbench-capture-bench-${process.pid}.json`);
  const { seconds, peakRssKb } = await measure(process.execPath, ['bin/kbench.js', 'capture', 'scan', g.file, '--json'], outFile);
  let check: string;
  try {
    check = checkScan(label, g, JSON.parse(readFileSync(outFile, 'utf8')) as { packets: number; exchanges: { protocol: string; verdict: string }[] });
  } catch (error) {
    check = loud(`${label}: the --json output does not parse: ${(error as Error).message}`);
  }
  await rm(outFile, { force: true });
  return { run: label, seconds, packets: g.summary.packets, bytes: g.size, peakRssMb: peakRssKb === undefined ? undefined : peakRssKb / 1024, check };
}

/** tshark finding the MQTT packets of `g` (the baseline), checked against the generator's count. */
async function runTshark(g: GeneratedFile): Promise<Row> {
  const outFile = path.join(os.tmpdir(), `kbench-capture-bench-${process.pid}.tshark`);
  const decodeAs = BROKER_PORTS.filter((p) => p !== 1883).flatMap((p) => ['-d', `tcp.port==${p},mqtt`]);
  const { seconds, peakRssKb } = await measure('tshark', ['-r', g.file, ...decodeAs, '-Y', 'mqtt', '-T', 'fields', '-e', 'mqtt.msgtype'], outFile);
  // One line per frame holding MQTT; CONNECT is type 1.
  let frames = 0;
  let connects = 0;
  for (const line of readFileSync(outFile, 'utf8').split('\n')) {
    if (line === '') continue;
    frames++;
    for (const type of line.split(',')) if (type === '1') connects++;
  }
  await rm(outFile, { force: true });
  const check = connects === g.summary.sessions ? `ok: ${connects} CONNECT in ${frames} MQTT frames` : loud(`tshark found ${connects} CONNECT, the generator wrote ${g.summary.sessions}`);
  return { run: 'tshark (1M)', seconds, packets: g.summary.packets, bytes: g.size, peakRssMb: peakRssKb === undefined ? undefined : peakRssKb / 1024, check };
}

/** The run with the middle time of `runs` (its check, the largest peak RSS of them all). */
function middle(runs: Row[]): Row {
  const sorted = [...runs].sort((a, b) => a.seconds - b.seconds);
  const peaks = runs.flatMap((r) => (r.peakRssMb === undefined ? [] : [r.peakRssMb]));
  const failed = runs.find((r) => !r.check.startsWith('ok'));
  return { ...sorted[Math.floor(sorted.length / 2)]!, ...(failed ? { check: failed.check } : {}), peakRssMb: peaks.length ? Math.max(...peaks) : undefined };
}

beforeAll(async () => {
  small = await capture(PACKETS);
  const free = await statfs(os.tmpdir());
  const freeBytes = free.bavail * free.bsize;
  const largeFile = path.join(os.tmpdir(), `kbench-capture-mqtt-v${GENERATOR_VERSION}-p${PACKETS * LARGE_FACTOR}-seed1.pcapng`);
  // A file already there counts as room.
  if (freeBytes >= MIN_FREE_FOR_LARGE || existsSync(largeFile)) {
    large = await capture(PACKETS * LARGE_FACTOR);
    long = await capture(PACKETS * LARGE_FACTOR, small.summary.sessions);
  }
  else notes.push(`skipped the ${LARGE_FACTOR}× file: ${(freeBytes / 1024 ** 3).toFixed(1)} GB free in ${os.tmpdir()}, it needs ${MIN_FREE_FOR_LARGE / 1024 ** 3} GB`);
}, 600_000);

afterAll(() => {
  const baseline = rows.find((r) => r.run.startsWith('tshark'));
  const table = rows.map((r) => ({
    run: r.run,
    seconds: r.seconds.toFixed(2),
    'packets/s': Math.round(r.packets / r.seconds).toLocaleString('en-US'),
    'MB/s': (r.bytes / 1e6 / r.seconds).toFixed(1),
    'peak RSS MB': r.peakRssMb === undefined ? '—' : r.peakRssMb.toFixed(0),
    'speed vs tshark': baseline ? `${(r.packets / r.seconds / (baseline.packets / baseline.seconds)).toFixed(1)}×` : '—',
    check: r.check,
  }));
  console.log('\nCapture scan benchmark (1M: the middle of three interleaved runs, else one run; MB/s over the file size; speed = packets/s ÷ tshark packets/s)');
  for (const note of notes) console.log(`  ${note}`);
  console.table(table);
  if (!TIME) console.log('  peak RSS: the last VmHWM polled every 50 ms (/usr/bin/time is not installed)');
  const cli = rows.find((r) => r.run === 'kbench CLI (1M)');
  if (baseline && cli) {
    const ratio = median(roundRatios);
    recordFigure({ key: 'capture_scan_vs_tshark', value: ratio, unit: '×', detail: `kbench capture scan --json (CLI) vs tshark -Y mqtt, ${(cli.packets / 1e6).toFixed(0)}M packets, packets/s; the middle of ${roundRatios.length} interleaved rounds (${roundRatios.map((r) => `${r.toFixed(1)}×`).join(', ')})` });
  }
  const peaks = rows.filter((r) => r.run.startsWith('kbench') && r.peakRssMb !== undefined).map((r) => r.peakRssMb!);
  if (peaks.length) recordFigure({ key: 'capture_peak_rss_mb', value: Math.round(Math.max(...peaks)), unit: 'MB', detail: `the largest peak RSS of the CLI scans (${rows.filter((r) => r.run.startsWith('kbench')).map((r) => r.run).join(', ')})` });
});

const once = { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 };

describe('capture scan: kbench vs tshark', () => {
  // Declared async: tinybench calls a plain function an extra time or two to learn whether it is async.
  bench(
    `baseline: tshark -Y mqtt -T fields -e mqtt.msgtype, and kbench capture scan --json (CLI), ${ROUNDS} interleaved rounds (1M)`,
    async () => {
      const tshark: Row[] = [];
      const cli: Row[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        // Each goes first in turn: a slow phase of the machine falls on both alike.
        if (round % 2 === 0) tshark.push(await runTshark(small!));
        cli.push(await runCli('kbench CLI (1M)', small!));
        if (round % 2 === 1) tshark.push(await runTshark(small!));
        roundRatios.push(tshark[round]!.seconds / cli[round]!.seconds);
      }
      notes.push(`1M, ${ROUNDS} interleaved rounds: tshark ${tshark.map((r) => r.seconds.toFixed(1)).join(', ')} s; the CLI ${cli.map((r) => r.seconds.toFixed(2)).join(', ')} s; speed ratios ${roundRatios.map((r) => `${r.toFixed(1)}×`).join(', ')} (the middle one counts)`);
      rows.push(middle(tshark), middle(cli));
    },
    once,
  );

  bench(
    'scanCapture in process (1M)',
    async () => {
      const g = small!;
      const started = performance.now();
      const result = await scanCapture({ file: g.file });
      const seconds = (performance.now() - started) / 1000;
      const found = { packets: result.packets, exchanges: Array.from(result.found, (e) => ({ protocol: e.capture.protocol, verdict: e.verdict.outcome })) };
      result.dispose();
      rows.push({ run: 'scanCapture in process (1M)', seconds, packets: g.summary.packets, bytes: g.size, check: checkScan('scanCapture (1M)', g, found) });
    },
    once,
  );

  bench(
    `kbench capture scan --json, CLI (${LARGE_FACTOR}M)`,
    async () => {
      if (!large) return;
      rows.push(await runCli(`kbench CLI (${LARGE_FACTOR}M)`, large));
    },
    once,
  );

  bench(
    `kbench capture scan --json, CLI (${LARGE_FACTOR}M, the 1M file's sessions)`,
    async () => {
      if (!long) return;
      rows.push(await runCli(`kbench CLI (${LARGE_FACTOR}M, ${long.summary.sessions} sessions)`, long));
    },
    once,
  );
});
