/**
 * Writing an export's files: each under the output directory at its relative path, atomically,
 * with its own mode (keytabs and files with secrets 0600). Nothing is overwritten unless asked,
 * and a file that would land outside the directory is refused.
 */
import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { ExportFile, ExportSaveResult } from '../api/export';
import { BenchFailure } from '../engine/failure';
import { writeFileAtomic } from '../system/files';

function bytesOf(file: ExportFile): Buffer {
  return file.binary !== undefined ? Buffer.from(file.binary, 'base64') : Buffer.from(file.text, 'utf8');
}

/** The file's place under dir; a path that climbs out of it (an imported name, say) is refused. */
function placeOf(dir: string, file: ExportFile): string {
  const target = path.resolve(dir, file.path);
  if (target !== dir && !target.startsWith(dir + path.sep)) throw new BenchFailure(`export file "${file.path}" would be written outside ${dir}`);
  return target;
}

async function exists(file: string): Promise<boolean> {
  return access(file, constants.F_OK).then(
    () => true,
    () => false,
  );
}

/** A withheld file (a keytab whose secrets were not revealed) is listed, not written. */
function writable(file: ExportFile): boolean {
  return !file.withheld && !(file.language === 'binary' && file.binary === undefined);
}

export async function saveExport(files: readonly ExportFile[], dir: string, force: boolean): Promise<ExportSaveResult> {
  const toWrite = files.filter(writable);
  const places = toWrite.map((file) => ({ file, target: placeOf(dir, file) }));
  const existing = (await Promise.all(places.map(async (p) => ((await exists(p.target)) ? p.target : null)))).filter((p): p is string => p !== null);
  if (existing.length && !force) {
    throw new BenchFailure(`${existing.length === 1 ? 'a file exists' : `${existing.length} files exist`} (pass --force / force to replace): ${existing.join(', ')}`, { reason: 'exists', files: existing });
  }
  const written: ExportSaveResult['written'] = [];
  for (const { file, target } of places) {
    await mkdir(path.dirname(target), { recursive: true, mode: 0o755 });
    const bytes = bytesOf(file);
    await writeFileAtomic(target, bytes, file.mode);
    written.push({ path: target, mode: file.mode, bytes: bytes.length });
  }
  const withheld = files.filter((f) => !writable(f)).map((f) => ({ path: path.join(dir, f.path), why: f.withheld ?? 'its secrets were not revealed' }));
  return { dir, written, withheld };
}

/** The proofs' copy: every file, secrets in place, in a directory nobody else can read. */
export async function writeProofFiles(dir: string, files: readonly ExportFile[]): Promise<void> {
  for (const file of files) {
    if (file.language === 'binary' && file.binary === undefined) continue;
    const target = placeOf(dir, file);
    await mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
    await writeFileAtomic(target, bytesOf(file), file.mode);
  }
}
