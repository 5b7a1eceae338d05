/**
 * What diagnosing a pasted log costs. Baseline: one grep-like pass — the text split into lines and
 * each tested against one regular expression, the least any diagnosis must do. Compared in the
 * same run: the whole diagnosis (observations with trace parsing, every catalog matcher, ranking)
 * on a short kinit error with its KRB5_TRACE, and on a 5000-line log.
 */
import { afterAll, bench, describe } from 'vitest';
import { CATALOG } from '../../main/diagnose/catalog';
import { matchCatalog } from '../../main/diagnose/match';
import { observeText } from '../../main/diagnose/observations';
import { recordFigure } from './figures';

/** Lines shaped as MIT 1.20 traces them (pids and times vary), ending in the reported error. */
function traceLog(lines: number): string {
  const shapes = [
    (i: number) => `[4242] 1795336404.${i}: Getting initial credentials for alice@BENCH.TEST`,
    (i: number) => `[4242] 1795336404.${i}: Found entries for alice@BENCH.TEST in keytab: aes256-cts, aes128-cts`,
    (i: number) => `[4242] 1795336404.${i}: Sending unauthenticated request`,
    (i: number) => `[4242] 1795336404.${i}: Sending request (191 bytes) to BENCH.TEST`,
    (i: number) => `[4242] 1795336404.${i}: Resolving hostname kdc${i % 7}.bench.test`,
    (i: number) => `[4242] 1795336404.${i}: Retrieving alice@BENCH.TEST -> mqtt/localhost@BENCH.TEST from FILE:/tmp/cc with result: -1765328243/Matching credential not found`,
  ];
  const body = Array.from({ length: lines - 1 }, (_, i) => shapes[i % shapes.length]!(i));
  return [...body, "kinit: Cannot contact any KDC for realm 'BENCH.TEST' while getting initial credentials"].join('\n');
}

const SHORT = traceLog(12);
const LONG = traceLog(5000);
const GREP = /Cannot contact any KDC/i;

describe('diagnosing a kinit error with its KRB5_TRACE (12 lines)', () => {
  bench('one regex over the lines (baseline)', () => {
    SHORT.split('\n').filter((line) => GREP.test(line));
  });
  bench(`full diagnosis: observations + ${CATALOG.length} catalog entries + ranking`, () => {
    matchCatalog(CATALOG, observeText(SHORT));
  });
});

describe('diagnosing a 5000-line log', () => {
  bench('one regex over the lines (baseline)', () => {
    LONG.split('\n').filter((line) => GREP.test(line));
  });
  bench(`full diagnosis: observations + ${CATALOG.length} catalog entries + ranking`, () => {
    matchCatalog(CATALOG, observeText(LONG));
  });
});

afterAll(() => {
  const runs = Array.from({ length: 15 }, () => {
    const started = performance.now();
    matchCatalog(CATALOG, observeText(LONG));
    return performance.now() - started;
  }).sort((a, b) => a - b);
  recordFigure({ key: 'diagnose_5000_lines_ms', value: Number(runs[7]!.toFixed(1)), unit: 'ms', detail: `the whole diagnosis (observations, ${CATALOG.length} catalog entries, ranking) of a 5000-line KRB5_TRACE log, median of 15` });
});
