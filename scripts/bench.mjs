#!/usr/bin/env node
/**
 * `npm run bench`: every benchmark in test/bench (vitest bench, project "bench"), then one table of
 * the figures users feel, written to bench-results.json at the repository root. Each figure is
 * measured by its benchmark in the same run as its baseline (test/bench/figures.ts records it).
 *
 *   npm run bench                      all benchmarks (needs `npm run build`: workers, CLI, renderer)
 *   npm run bench -- test/bench/x.ts   only some files (the JSON then holds only their figures)
 *   npm run bench -- --strict          exit 1 when a figure is missing or misses its goal
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The figures the issue asks for, with their goals (none: reported only). */
export const GOALS = [
  { key: 'broker_gssapi_vs_raw_gss', goal: '>=', limit: 0.5 },
  { key: 'gateway_plain_vs_aedes', goal: '>=', limit: 0.9 },
  { key: 'capture_scan_vs_tshark', goal: '>=', limit: 10 },
  { key: 'capture_peak_rss_mb', goal: '<', limit: 200 },
  { key: 'http_negotiate_vs_raw_gss' },
  { key: 'ticket_decrypt_vs_openssl_aes', goal: '>=', limit: 0.5 },
  { key: 'ticket_decrypts_per_s' },
  { key: 'lab_up_ms', goal: '<', limit: 1000 },
  { key: 'ad_lab_up_ms', goal: '<', limit: 1500 },
  { key: 'web_ready_ms', goal: '<', limit: 1500 },
  { key: 'renderer_bundle_gz_kb', goal: '<', limit: 1024 },
  { key: 'diagnose_5000_lines_ms' },
];

export function verdictOf(goal, value) {
  if (value === undefined) return 'not measured';
  if (!goal.goal) return '';
  const met = goal.goal === '>=' ? value >= goal.limit : value < goal.limit;
  return `${met ? 'met' : 'MISSED'} (${goal.goal} ${goal.limit})`;
}

function gitCommit() {
  const run = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' });
  return run.status === 0 ? run.stdout.trim() : null;
}

function main() {
  const args = process.argv.slice(2);
  const strict = args.includes('--strict');
  const files = args.filter((a) => a !== '--strict');
  if (!existsSync(path.join(ROOT, 'out/main/gss-worker.js'))) {
    console.error('bench: the build is missing (out/main): run `npm run build` first');
    process.exit(2);
  }
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'kbench-bench-'));
  const figuresFile = path.join(scratch, 'figures.jsonl');
  writeFileSync(figuresFile, '');
  const started = Date.now();
  const vitest = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/vitest/vitest.mjs'), 'bench', '--run', '--project', 'bench', ...files], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, KBENCH_BENCH_FIGURES: figuresFile },
  });
  const figures = new Map();
  for (const line of readFileSync(figuresFile, 'utf8').split('\n').filter(Boolean)) {
    const figure = JSON.parse(line);
    figures.set(figure.key, figure);
  }
  rmSync(scratch, { recursive: true, force: true });

  const known = new Set(GOALS.map((g) => g.key));
  const rows = [...GOALS, ...[...figures.keys()].filter((k) => !known.has(k)).map((key) => ({ key }))].map((goal) => {
    const figure = figures.get(goal.key);
    return { ...goal, value: figure?.value, unit: figure?.unit, detail: figure?.detail, verdict: verdictOf(goal, figure?.value) };
  });
  const results = {
    measuredAt: new Date().toISOString(),
    commit: gitCommit(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? 'unknown', memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version },
    durationSeconds: Math.round((Date.now() - started) / 1000),
    files: files.length ? files : 'all',
    ...Object.fromEntries(rows.filter((r) => r.value !== undefined).map((r) => [r.key, r.value])),
    details: Object.fromEntries(rows.map((r) => [r.key, r.value === undefined ? { verdict: 'not measured in this run' } : { unit: r.unit, goal: r.goal ? `${r.goal} ${r.limit}` : null, verdict: r.verdict, how: r.detail }])),
  };
  writeFileSync(path.join(ROOT, 'bench-results.json'), `${JSON.stringify(results, null, 2)}\n`);

  const width = Math.max(...rows.map((r) => r.key.length));
  console.log(`\nKerberos Bench figures (bench-results.json, ${results.commit ?? 'no commit'}, ${results.machine.cpus} cores, ${results.durationSeconds} s):`);
  for (const r of rows) {
    const value = r.value === undefined ? '—' : `${Number.isInteger(r.value) ? r.value : r.value.toFixed(2)} ${r.unit}`;
    console.log(`  ${r.key.padEnd(width)}  ${value.padStart(12)}  ${r.verdict}`);
  }
  const missing = rows.filter((r) => known.has(r.key) && r.value === undefined).length;
  const missed = rows.filter((r) => r.verdict.startsWith('MISSED')).length;
  console.log(`  ${missing} not measured, ${missed} missed a goal`);
  if (vitest.status !== 0) process.exit(vitest.status ?? 1);
  if (strict && (missing || missed)) process.exit(1);
}

main();
