import { defineConfig } from 'vitest/config';

/**
 * One runner for every kind of test, so `npm test` ends with one summary:
 *   unit         pure logic and thin adapters with fakes (test/unit)
 *   fuzz         hostile input against the decoders, seeded from real MIT traffic (test/fuzz)
 *   integration  this real machine: MIT tools, the binding, real sockets (test/integration)
 *   e2e          Debian Chromium driven by playwright-core against web mode (test/e2e)
 * Benchmarks live in test/bench and run with `npm run bench`, never as timed assertions.
 */
export default defineConfig({
  test: {
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 20_000 } },
      { extends: true, test: { name: 'integration', include: ['test/integration/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 60_000, globalSetup: ['test/global-teardown.ts'] } },
      { extends: true, test: { name: 'fuzz', include: ['test/fuzz/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 60_000 } },
      {
        extends: true,
        // The e2e Lab view test takes the shared AD lab too: its DC is stopped at the end here as well.
        test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], testTimeout: 90_000, hookTimeout: 90_000, fileParallelism: false, globalSetup: ['test/global-teardown.ts'] },
      },
      { extends: true, test: { name: 'bench', include: [], benchmark: { include: ['test/bench/**/*.bench.ts'] } } },
    ],
    // Benchmarks belong to the bench project only (npm run bench).
    benchmark: { include: [] },
  },
});
