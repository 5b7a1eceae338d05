/**
 * Figures a benchmark measures itself (interleaved ratios, peak memory, milliseconds to ready),
 * beside the operations per second vitest measures. `npm run bench` (scripts/bench.mjs) points
 * KBENCH_BENCH_FIGURES at a file, runs every benchmark, and gathers these lines with vitest's own
 * results into bench-results.json. Run alone (`npx vitest bench …`), the figures are printed only.
 */
import { appendFileSync } from 'node:fs';

export interface Figure {
  /** The key in bench-results.json, e.g. "gateway_plain_vs_aedes". */
  key: string;
  value: number;
  /** Unit or what the ratio is of, for the table: "×", "ms", "MB", "/s", "kB". */
  unit: string;
  /** One line on how it was measured. */
  detail: string;
}

export function recordFigure(figure: Figure): void {
  console.log(`  figure ${figure.key} = ${Number.isInteger(figure.value) ? figure.value : figure.value.toFixed(3)} ${figure.unit} (${figure.detail})`);
  const file = process.env.KBENCH_BENCH_FIGURES;
  if (file) appendFileSync(file, `${JSON.stringify(figure)}\n`);
}
