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
