/**
 * Web mode's start-up as a user meets it: `kbench web --no-lab` spawned (the built CLI: `npm run
 * build`) until its first Bench API answer over the WebSocket — Node start, engine, HTTP host,
 * the URL printed, the upgrade with the token, `system.info` answered. Baseline in the same run:
 * `node -e 0`, what any Node command costs before it does anything. Goal: web_ready_ms < 1500.
 * (The lab realm's start is measured by lab.bench.ts; `kbench web` without --no-lab adds it.)
 */
import { afterAll, bench, describe } from 'vitest';
import { execFile } from 'node:child_process';
import { recordFigure } from './figures';
import { invokeOver, openBenchSocket, startKbenchWeb } from '../helpers/web';

const samples: number[] = [];

async function webReady(): Promise<void> {
  const started = performance.now();
  const web = await startKbenchWeb();
  try {
    const ws = await openBenchSocket(web.port, web.token);
    const answer = await invokeOver(ws, 1, JSON.stringify({ type: 'invoke', id: 1, service: 'system', method: 'info', args: [] }));
    if (answer.type !== 'result' || !answer.result.ok) throw new Error(`system.info did not answer: ${JSON.stringify(answer)}`);
    samples.push(performance.now() - started);
    ws.close();
  } finally {
    await web.stop();
  }
}

const nodeStart = () => new Promise<void>((resolve, reject) => execFile(process.execPath, ['-e', '0'], (error) => (error ? reject(error) : resolve())));

afterAll(() => {
  if (!samples.length) return;
  const sorted = [...samples].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  recordFigure({ key: 'web_ready_ms', value: Math.round(median), unit: 'ms', detail: `kbench web --no-lab spawned → first Bench API answer (system.info over the WebSocket), median of ${samples.length}` });
});

const options = { iterations: 8, time: 0, warmupIterations: 1, warmupTime: 0 };

describe('web mode: start to first API answer', () => {
  bench('baseline: node -e 0', nodeStart, options);
  bench('kbench web --no-lab → system.info answered', webReady, options);
});
