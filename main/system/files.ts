import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';

/** A file-system error in words: "no such file", "permission denied". */
export function fsMessage(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return (error as Error).message;
}

/** A KEYRING:, KCM:, MEMORY: … name where a file was needed: the caller asked for the wrong thing. */
export class NotAFileError extends Error {
  override name = 'NotAFileError';
}

/** Strips a FILE:/WRFILE: prefix (KRB5CCNAME / KRB5_KTNAME style); other types are not files. */
export function kerberosFilePath(name: string, what: 'keytab' | 'ccache'): string {
  const match = /^([A-Z]+):(.*)$/.exec(name);
  if (!match) return name;
  if (match[1] === 'FILE' || match[1] === 'WRFILE') return match[2]!;
  throw new NotAFileError(`${match[1]}: ${what}s of this type are not files; kbench reads FILE: ${what}s only`);
}

/** Reads a file the user named; errors are one line naming the file. */
export async function readUserFile(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    throw new Error(`${file}: ${fsMessage(error)}`);
  }
}

/**
 * Writes a temp file next to the target, syncs it and renames it over the target: readers see the
 * old file or the new one, never half of one. Keeps an existing file's mode; new files get `mode`.
 */
export async function writeFileAtomic(file: string, bytes: Uint8Array, mode = 0o600): Promise<void> {
  const existingMode = await stat(file).then(
    (s) => s.mode & 0o777,
    () => mode,
  );
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'wx', existingMode);
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw new Error(`${file}: ${fsMessage(error)}`);
  }
}

/** Size of a file in bytes; 0 when it does not exist (yet). */
export async function fileSize(file: string): Promise<number> {
  return stat(file).then(
    (s) => s.size,
    () => 0,
  );
}

/** What a growing file (a log) holds from byte `from` on; '' when it cannot be read. */
export async function readFrom(file: string, from: number): Promise<string> {
  return readFile(file).then(
    (data) => data.subarray(from).toString('utf8'),
    () => '',
  );
}
