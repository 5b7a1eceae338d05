/**
 * Load and faults, the heavier variant of test/integration/load-faults.test.ts (issue 18, item 2):
 * each round is 2,000 MQTT clients in four waves of 500 — plain, GSSAPI-KERBEROS, chain methods
 * with a hanging custom server, clients that reset mid-authentication — with the same faults (krb5kdc SIGKILLed mid-wave and restarted,
 * the broker's GSS worker SIGKILLed mid-wave), every successful client kept connected until the
 * round's end. After each round: connects per second, verdict counts, and heap (after a full GC),
 * RSS, file descriptors and sockets against the baseline, so a leak shows as a trend over rounds.
 * Records load_1000_clients_s: seconds per 1,000 clients of a round under faults.
 * Needs the build (out/main/gss-worker.js).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import { recordFigure } from './figures';
import {
  afterChallenges,
  closeClients,
  countVerdicts,
  faultExplains,
  killBrokerWorker,
  killKdc,
  matchesExpected,
  resources,
  restartKdc,
  runWave,
  startLoadWorld,
  type ClientResult,
  type Fault,
  type LoadWorld,
  type Mix,
  type Resources,
} from '../helpers/load';

const WAVE: Mix = {
  'plain-v5': 80,
  'plain-v4': 40,
  'plain-refused': 30,
  gssapi: 120,
  'chain-password': 50,
  'chain-bad-password': 30,
  'chain-gssapi': 60,
  'chain-deadline': 30,
  'fresh-tgs': 20,
  'abandon-gssapi': 20,
  'abandon-chain': 20,
};
const WARM_UP: Mix = { 'plain-v5': 4, 'plain-v4': 3, 'plain-refused': 3, gssapi: 6, 'chain-password': 3, 'chain-bad-password': 3, 'chain-gssapi': 3, 'chain-deadline': 3, 'fresh-tgs': 2, 'abandon-gssapi': 2, 'abandon-chain': 2 };
const ROUNDS = 3;

interface Round {
  clients: number;
  seconds: number;
  counts: Record<string, number>;
  unexplained: number;
  noVerdict: number;
  /** Event-loop delay of this process (broker and clients share it), ms. */
  loopDelay: { p99: number; max: number };
  after: Resources;
}

let world: LoadWorld;
let baseline: Resources;
const rounds: Round[] = [];

beforeAll(async () => {
  world = await startLoadWorld({ customTimeoutMs: 800, deadlineMs: 1_500, clientBoundMs: 30_000 });
  await closeClients(world, await runWave(world, { name: 'warm', mix: WARM_UP }));
  baseline = await resources(world);
}, 120_000);

afterAll(async () => {
  try {
    report();
  } finally {
    await world?.close();
  }
});

/** One round: four waves, the faults in the middle two; then every client closed. */
async function faultRound(): Promise<void> {
  const n = rounds.length;
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const started = performance.now();
  const waves: Array<{ fault?: Fault; results: ClientResult[] }> = [];
  waves.push({ results: await runWave(world, { name: `r${n}w1`, mix: WAVE }) });
  waves.push({ fault: 'kdc-down', results: await runWave(world, { name: `r${n}w2`, mix: WAVE, midWave: async () => void (await killKdc(world)) }) });
  await restartKdc(world);
  const killWorker = async () => {
    await afterChallenges(world, 3);
    killBrokerWorker(world);
  };
  waves.push({ fault: 'worker-killed', results: await runWave(world, { name: `r${n}w3`, mix: WAVE, midWave: killWorker }) });
  waves.push({ results: await runWave(world, { name: `r${n}w4`, mix: WAVE }) });
  const seconds = (performance.now() - started) / 1000;
  delay.disable();
  const loopDelay = { p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 };
  const all = waves.flatMap((w) => w.results);
  await closeClients(world, all, 30_000);
  const odd = waves.flatMap((w, i) => w.results.filter((r) => !matchesExpected(r) && !faultExplains(r, w.fault)).map((r) => ({ wave: i + 1, ...r })));
  for (const r of odd.slice(0, 5)) console.log(`  round ${n + 1} wave ${r.wave}: unexplained ${r.client} ${JSON.stringify(r.verdict)}`);
  const unexplained = odd.length;
  const noVerdict = all.filter((r) => ['timeout', 'closed', 'client-error'].includes(r.verdict.kind)).length;
  world.serverVerdicts.clear();
  world.customTimedOut.clear();
  rounds.push({ clients: all.length, seconds, counts: countVerdicts(all), unexplained, noVerdict, loopDelay, after: await resources(world) });
}

function report(): void {
  const show = (r: Resources) => `heap ${r.heapMb.toFixed(1)} MB, RSS ${r.rssMb.toFixed(0)} MB, ${r.fds} fds (${r.sockets} sockets), GSS workers' fds ${r.workerFds.join('/')}`;
  console.log(`\nload under faults: baseline ${show(baseline)}`);
  for (const [i, round] of rounds.entries()) {
    console.log(`  round ${i + 1}: ${round.clients} clients in ${round.seconds.toFixed(1)} s = ${(round.clients / round.seconds).toFixed(0)} connects/s; ${round.unexplained} unexplained, ${round.noVerdict} without verdict; event-loop delay p99 ${round.loopDelay.p99.toFixed(0)} ms, max ${round.loopDelay.max.toFixed(0)} ms; after: ${show(round.after)}`);
  }
  const last = rounds.at(-1);
  if (!last) return;
  console.log(`  verdicts of the last round: ${JSON.stringify(last.counts)}`);
  const perThousand = rounds.reduce((sum, r) => sum + r.seconds / (r.clients / 1000), 0) / rounds.length;
  recordFigure({
    key: 'load_1000_clients_s',
    value: perThousand,
    unit: 's',
    detail: `seconds per 1,000 mixed MQTT clients (plain, GSSAPI-KERBEROS, chain with a hanging custom server) with krb5kdc and the GSS worker SIGKILLed mid-run; mean of ${rounds.length} rounds of ${last.clients}`,
  });
}

describe('load: 2,000 mixed clients per round, KDC and GSS worker killed mid-round', () => {
  bench('one round (4 waves of 500, all closed after)', faultRound, { iterations: ROUNDS, time: 0, warmupIterations: 0, warmupTime: 0 });
});
