/**
 * The `importer` service: a configuration file the user already has (krb5.conf, an EMQX
 * authentication block, elasticsearch.yml, a Hazelcast security section, Azure YAML) read into a
 * setup the bench runs, with every setting it could not use named by file and line; and "test my
 * config", which runs the product's real flow with it.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { FileSource } from '../../api/inspect';
import type { ImportFormat, ImportReadInput, ImportResult, ImportService, ImportTestInput, ImportTestResult } from '../../api/export';
import type { EngineContext } from '../../engine/context';
import { BenchFailure } from '../../engine/failure';
import type { GssSupervisor } from '../../gss/supervisor';
import type { LabStatus } from '../../api/lab';
import type { LabServiceImpl } from '../../lab/service';
import type { ImportReading, ImportSourceText } from '../types';
import { IMPORTERS, importerFor } from '.';

/** Configuration files are small; anything bigger is not one (and is not read into memory whole). */
const MAX_IMPORT_BYTES = 4 * 1024 * 1024;
const TEST_TIMEOUT_MS = 180_000;

/** The text of a file on disk or dropped in the UI; a binary or huge file is refused with why. */
export async function importSource(source: FileSource): Promise<ImportSourceText> {
  let bytes: Buffer;
  let file: string;
  if ('path' in source) {
    file = path.resolve(source.path);
    const info = await stat(file).catch((error: unknown) => {
      throw new BenchFailure(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
    });
    if (!info.isFile()) throw new BenchFailure(`${file} is not a file`);
    if (info.size > MAX_IMPORT_BYTES) throw new BenchFailure(`${file} is ${info.size} bytes: a configuration file to import is at most ${MAX_IMPORT_BYTES / 1024 / 1024} MiB`);
    bytes = await readFile(file);
  } else {
    file = source.name || 'dropped file';
    bytes = Buffer.from(source.base64, 'base64');
    if (bytes.length > MAX_IMPORT_BYTES) throw new BenchFailure(`${file} is ${bytes.length} bytes: a configuration file to import is at most ${MAX_IMPORT_BYTES / 1024 / 1024} MiB`);
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    const line = bytes.subarray(0, nul).toString('latin1').split('\n').length;
    throw new BenchFailure(`${file}:${line}: a NUL byte at offset ${nul}: this is not a text configuration file (a keytab or ccache? open it in the Keytab or Ccache view)`);
  }
  return { file, text: bytes.toString('utf8'), onDisk: 'path' in source };
}

/** --as wins; otherwise the first importer that recognises the text, saying why. */
function pickFormat(source: ImportSourceText, as?: ImportFormat): { format: ImportFormat; detectedBy: string } {
  if (as) return { format: as, detectedBy: `--as ${as}` };
  for (const importer of IMPORTERS) {
    const why = importer.detect(source);
    if (why) return { format: importer.format, detectedBy: why };
  }
  throw new BenchFailure(`cannot tell what ${source.file} configures: name the format (--as ${IMPORTERS.map((i) => i.format).join('|')})`);
}

export class ImportServiceImpl implements ImportService {
  constructor(
    readonly context: EngineContext,
    readonly supervisor: () => GssSupervisor,
    readonly lab: LabServiceImpl,
  ) {}

  async read(input: ImportReadInput): Promise<ImportResult> {
    const source = await importSource(input.file);
    return this.readSource(source, input.as);
  }

  async test(input: ImportTestInput): Promise<ImportTestResult> {
    const source = await importSource(input.file);
    const result = await this.readSource(source, input.as);
    const errors = result.problems.filter((p) => p.severity === 'error');
    if (errors.length) {
      const detail = errors.map((p) => `${p.file}:${p.line}: ${p.message}${p.fix ? ` — ${p.fix}` : ''}`).join('\n');
      return { import: result, ok: false, against: 'nothing (the file cannot be used)', steps: [{ name: 'read the configuration', ok: false, detail }] };
    }
    const against = input.against ?? { kind: 'lab' };
    let labStatus: LabStatus | undefined;
    if (against.kind === 'lab') {
      const target = against.realm ? { realm: against.realm } : {};
      labStatus = await this.lab.up(target);
    }
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error('timed out')), TEST_TIMEOUT_MS);
    const started = performance.now();
    try {
      const reading: ImportReading = { files: result.files, understood: result.understood, unused: result.unused, problems: result.problems, setup: result.setup };
      const run = await importerFor(result.format).test(reading, { engine: this.context, supervisor: this.supervisor, lab: this.lab, ...(labStatus ? { labStatus } : {}), signal: controller.signal });
      return { import: result, ok: run.steps.length > 0 && run.steps.every((s) => s.ok), against: run.against, steps: run.steps, ...(run.exchange ? { exchange: run.exchange } : {}) };
    } catch (error) {
      const ms = Math.round(performance.now() - started);
      return { import: result, ok: false, against: labStatus ? `lab realm ${labStatus.realm}` : 'the imported realm', steps: [{ name: 'run the flow', ok: false, detail: (error as Error).message, ms }] };
    } finally {
      clearTimeout(timer);
    }
  }

  async dispose(): Promise<void> {}

  private async readSource(source: ImportSourceText, as?: ImportFormat): Promise<ImportResult> {
    const { format, detectedBy } = pickFormat(source, as);
    let reading: ImportReading;
    try {
      reading = await importerFor(format).read(source);
    } catch (error) {
      // An importer bug must not look like a bad file, nor crash the caller: it is reported as such.
      reading = { files: [source.file], understood: [], unused: [], problems: [{ file: source.file, line: 1, severity: 'error', message: `the ${format} importer failed: ${(error as Error).message}` }], setup: {} };
    }
    const problems = [...reading.problems].sort((a, b) => (a.file === b.file ? a.line - b.line : a.file.localeCompare(b.file)));
    return { file: source.file, format, detectedBy, files: reading.files, understood: reading.understood, unused: reading.unused, problems, setup: reading.setup };
  }
}
