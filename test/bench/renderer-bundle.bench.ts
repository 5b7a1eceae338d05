/**
 * What the window downloads before it shows anything: every file of the built renderer
 * (out/renderer: `npm run build`), each gzipped as a server or the browser cache would hold it.
 * Goal: renderer_bundle_gz_kb < 1024. The bench times gzip of the whole bundle (level 6, what web
 * mode's host would use) against copying the same bytes, so the run also shows what compressing
 * it costs; the figure is the size.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, bench, describe } from 'vitest';
import { recordFigure } from './figures';

const RENDERER = path.resolve('out/renderer');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    return statSync(file).isDirectory() ? filesUnder(file) : [file];
  });
}

const files = filesUnder(RENDERER).map((file) => ({ file, bytes: readFileSync(file) }));
if (!files.some((f) => f.file.endsWith('.js'))) throw new Error(`no built renderer in ${RENDERER}: run npm run build first`);

afterAll(() => {
  const raw = files.reduce((sum, f) => sum + f.bytes.length, 0);
  const gz = files.reduce((sum, f) => sum + gzipSync(f.bytes).length, 0);
  const js = files.filter((f) => f.file.endsWith('.js'));
  recordFigure({
    key: 'renderer_bundle_gz_kb',
    value: Math.round(gz / 1024),
    unit: 'kB',
    detail: `${files.length} files in out/renderer, ${Math.round(raw / 1024)} kB raw (${js.length} JS: ${Math.round(js.reduce((s, f) => s + f.bytes.length, 0) / 1024)} kB), gzip level 6`,
  });
});

describe('the renderer bundle', () => {
  bench('baseline: copy every file', () => {
    for (const f of files) Buffer.from(f.bytes);
  });
  bench('gzip every file', () => {
    for (const f of files) gzipSync(f.bytes);
  });
});
