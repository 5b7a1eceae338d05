/**
 * Keytab files on disk, for every part of the engine that reads or writes one (the Keytab view's
 * save, the lab's exports, `kbench keytab`). Writing refuses to replace a file that is not a
 * keytab unless the user confirmed it, and always leaves the keys 0600.
 */
import { readFile, stat } from 'node:fs/promises';
import { BenchFailure } from '../engine/failure';
import { KrbDecodeError } from '../krb/errors';
import { wrongInputMessage } from '../krb/identify';
import { KEYTAB_V2, parseKeytab, writeKeytab, type Keytab } from '../krb/keytab';
import { enctypeName, formatPrincipal } from '../krb/names';
import { fsMessage, kerberosFilePath, writeFileAtomic, writeTarget } from './files';

/** Larger than any keytab worth opening: such a file is not one, and is not read to find out. */
const MAX_KEYTAB_BYTES = 16 * 1024 * 1024;

/** The file a keytab save would replace is something else: the user must confirm (`replace`). */
export class NotAKeytabError extends BenchFailure {
  constructor(
    readonly path: string,
    looksLike: string,
  ) {
    super(`${path} exists and is not a keytab (${looksLike}): not replaced. Save somewhere else, or confirm that it may be replaced (--force).`, {
      reason: 'not-a-keytab',
      path,
    });
    this.name = 'NotAKeytabError';
  }
}

/** Reads and decodes a keytab (FILE: prefix allowed); errors are one line naming the file (and field and byte offset). */
export async function readKeytabFile(name: string, options: { missingIsEmpty?: boolean } = {}): Promise<Keytab> {
  const file = kerberosFilePath(name, 'keytab');
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    if (options.missingIsEmpty && (error as NodeJS.ErrnoException).code === 'ENOENT') return { version: KEYTAB_V2, entries: [] };
    throw new Error(`${file}: ${fsMessage(error)}`);
  }
  try {
    return parseKeytab(bytes).keytab;
  } catch (error) {
    // A ccache, a capture, a token given as a keytab: say what it is rather than where parsing stopped.
    if (error instanceof KrbDecodeError) throw new Error(`${file}: ${wrongInputMessage(bytes, 'keytab', 'a keytab') ?? error.message}`);
    throw error;
  }
}

/** A principal's key versions (ascending) and enctypes in a keytab file (FILE: prefix allowed). */
export async function keytabKeysOf(name: string, principal: string): Promise<{ kvnos: number[]; enctypes: string[] }> {
  const mine = (await readKeytabFile(name)).entries.filter((e) => formatPrincipal(e.principal) === principal);
  return { kvnos: [...new Set(mine.map((e) => e.kvno))].sort((a, b) => a - b), enctypes: [...new Set(mine.map((e) => enctypeName(e.enctype)))] };
}

/** What a file that is not a keytab seems to be, in a few words for the refusal. */
function describeContent(head: Buffer, size: number): string {
  const text = head.subarray(0, 64).toString('utf8');
  const firstLine = text.split(/\r?\n/)[0]!.trim();
  if (firstLine && /^[\x20-\x7e]+$/.test(firstLine)) return `${size} bytes starting "${firstLine.slice(0, 40)}"`;
  return `${size} bytes that do not parse as one`;
}

/** Throws NotAKeytabError when `target` holds something other than a keytab (absent or empty is fine). */
async function refuseToReplaceNonKeytab(target: string): Promise<void> {
  const info = await stat(target).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw new Error(`${target}: ${fsMessage(error)}`);
  });
  if (!info || (info.isFile() && info.size === 0)) return;
  if (!info.isFile()) throw new BenchFailure(`${target} is not a regular file: a keytab cannot be saved there`);
  if (info.size > MAX_KEYTAB_BYTES) throw new NotAKeytabError(target, `${info.size} bytes`);
  const bytes = await readFile(target);
  try {
    parseKeytab(bytes);
  } catch (error) {
    if (!(error instanceof KrbDecodeError)) throw error;
    throw new NotAKeytabError(target, describeContent(bytes, bytes.length));
  }
}

/**
 * Where a keytab saved as `name` lands (a symbolic link is followed only within its folder), after
 * refusing a file there that is not a keytab unless `replace`. Call it before work that cannot be
 * undone (new keys), so a refusal comes first.
 */
export async function keytabSaveTarget(name: string, options: { replace?: boolean | undefined } = {}): Promise<string> {
  const target = await writeTarget(kerberosFilePath(name, 'keytab'));
  if (!options.replace) await refuseToReplaceNonKeytab(target);
  return target;
}

/**
 * Writes a keytab (temp file + rename, mode 0600 whatever the old file's was), refusing to
 * replace a file that is not a keytab unless `replace`. Returns the path written.
 */
export async function writeKeytabFile(name: string, keytab: Keytab | Uint8Array, options: { replace?: boolean | undefined } = {}): Promise<string> {
  const target = await keytabSaveTarget(name, options);
  return writeFileAtomic(target, keytab instanceof Uint8Array ? keytab : writeKeytab(keytab), 0o600);
}
