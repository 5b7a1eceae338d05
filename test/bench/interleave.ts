/**
 * Rates measured in interleaved batches: each round runs a batch of every mode, starting with a
 * different one each time, so the machine's drift (other load, CPU frequency) falls on all modes
 * alike; the first rounds warm up and are not counted. Operations per second by mode, in order.
 */
export async function interleavedRates(modes: ReadonlyArray<readonly [string, () => Promise<void>]>, rounds: number, batch: number, warmupRounds = 2): Promise<number[]> {
  const elapsed = modes.map(() => 0);
  for (let round = 0; round < rounds; round++) {
    for (let m = 0; m < modes.length; m++) {
      const index = (m + round) % modes.length;
      const started = performance.now();
      for (let i = 0; i < batch; i++) await modes[index]![1]();
      if (round >= warmupRounds) elapsed[index]! += performance.now() - started;
    }
  }
  return elapsed.map((ms) => (((rounds - warmupRounds) * batch) / ms) * 1000);
}

/** Per-round times of one mode measured by interleavedTimesSync, warm-up rounds left out. */
export interface RoundTimes {
  /** Wall-clock milliseconds per round. */
  wall: number[];
  /** Process CPU milliseconds per round (user + system): what other processes on a busy machine do not inflate. */
  cpu: number[];
}

/** Starts timing one batch; the returned function stores its wall and CPU time in `into` (unless a warm-up round). */
function batchTimer(into: RoundTimes, counted: boolean): () => void {
  const cpuStart = process.cpuUsage();
  const started = performance.now();
  return () => {
    const wall = performance.now() - started;
    const cpu = process.cpuUsage(cpuStart);
    if (!counted) return;
    into.wall.push(wall);
    into.cpu.push((cpu.user + cpu.system) / 1000);
  };
}

/** interleavedRates with each batch's wall and CPU time kept per round (see RoundTimes). */
export async function interleavedTimes(modes: ReadonlyArray<readonly [string, () => Promise<void>]>, rounds: number, batch: number, warmupRounds = 2): Promise<RoundTimes[]> {
  const times: RoundTimes[] = modes.map(() => ({ wall: [], cpu: [] }));
  for (let round = 0; round < rounds; round++) {
    for (let m = 0; m < modes.length; m++) {
      const index = (m + round) % modes.length;
      const done = batchTimer(times[index]!, round >= warmupRounds);
      for (let i = 0; i < batch; i++) await modes[index]![1]();
      done();
    }
  }
  return times;
}

/**
 * interleavedRates for synchronous operations (crypto, decoding), with the CPU time of each batch
 * beside its wall time: on a machine shared with other jobs, wall time measures the scheduler as
 * much as the code, CPU time of a synchronous loop measures the code.
 */
export function interleavedTimesSync(modes: ReadonlyArray<readonly [string, () => void]>, rounds: number, batch: number, warmupRounds = 2): RoundTimes[] {
  const times: RoundTimes[] = modes.map(() => ({ wall: [], cpu: [] }));
  for (let round = 0; round < rounds; round++) {
    for (let m = 0; m < modes.length; m++) {
      const index = (m + round) % modes.length;
      const done = batchTimer(times[index]!, round >= warmupRounds);
      for (let i = 0; i < batch; i++) modes[index]![1]();
      done();
    }
  }
  return times;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Speed of mode `a` relative to mode `b` (> 1: a is faster): the median over rounds of b's time ÷ a's. */
export function medianSpeedRatio(a: readonly number[], b: readonly number[]): number {
  return median(a.map((t, round) => b[round]! / t));
}
