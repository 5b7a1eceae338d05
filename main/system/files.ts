import { randomBytes } from 'node:crypto';
import { lstat, open, readFile, readlink, realpath, rename, rm, stat } from 'node:fs/promises';
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
 * Where a write to `file` lands: the file itself, or — when `file` is a symbolic link — the file
 * it points to, as long as that is in the same folder (a keytab kept as svc.keytab →
 * svc.kvno3.keytab). A link that leads out of the folder is refused: writing through it would let
 * whoever made the link choose what the user's save overwrites.
 */
export async function writeTarget(file: string): Promise<string> {
  const absolute = path.resolve(file);
  const info = await lstat(absolute).catch(() => null);
  if (!info?.isSymbolicLink()) return absolute;
  let folder: string;
  let resolved: string;
  try {
    folder = await realpath(path.dirname(absolute));
    const pointsTo = path.resolve(path.dirname(absolute), await readlink(absolute));
    // A dangling link would create its target: judge that by the folder it would land in.
    resolved = await realpath(pointsTo).catch(async () => path.join(await realpath(path.dirname(pointsTo)), path.basename(pointsTo)));
  } catch (error) {
    throw new Error(`${absolute} is a symbolic link that cannot be followed (${fsMessage(error)}): not written`);
  }
  if (path.dirname(resolved) !== folder) {
    throw new Error(`${absolute} is a symbolic link to ${resolved}, outside ${folder}: not written through it (remove the link, or save to that file itself)`);
  }
  return resolved;
}

/**
 * Writes a temp file next to the target, syncs it and renames it over the target: readers see the
 * old file or the new one, never half of one. The file gets `mode` (less what the umask takes),
 * never the old file's: saving over an executable or world-readable file must not keep either.
 * The temp file is created exclusively, so no planted file or link is written through; a
 * symbolic link at `file` is followed only within its folder (writeTarget). Returns the path written.
 */
export async function writeFileAtomic(file: string, bytes: Uint8Array, mode = 0o600): Promise<string> {
  const target = await writeTarget(file);
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'wx', mode);
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw new Error(`${file}: ${fsMessage(error)}`);
  }
  await syncFolder(path.dirname(target));
  return target;
}

/**
 * Makes a rename in `folder` durable: without it a power cut after the rename may bring back the
 * old name's entry (ext4 with data=ordered keeps file data, not the directory's). A kill -9 needs
 * no more than the rename itself. Best effort: some file systems refuse to open a folder for sync.
 */
async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r').catch(() => null);
  if (!handle) return;
  await handle.sync().catch(() => undefined);
  await handle.close();
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
