/**
 * Role mappings kept in `<dataDir>/http/role-mappings.json`, in the shape of ES's
 * `GET /_security/role_mapping` answer: `{ "NAME": {enabled, roles, rules, metadata}, … }`, so a
 * user can paste one into the other.
 *
 * Loaded lazily and re-read when the file's mtime or size changes (a hand edit takes effect
 * without a restart). Writes are serialized and atomic (writeFileAtomic: temp file + rename, 0600).
 *
 * A corrupt file never loses data. Choice: the store REFUSES to read or write while the file is
 * bad, with a RoleStoreError naming the file, line and column and what is wrong (bad JSON, or a
 * mapping ES would reject, with ES's reason). Nothing is overwritten; the user fixes the file, or
 * calls moveAside(), which renames it to `role-mappings.json.bad-<ISO time>` and starts empty.
 */
import { mkdir, readFile, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import type { RoleMapping } from '../../api/http';
import { fsMessage, writeFileAtomic } from '../../system/files';
import type { EsErrorCause } from './errors';
import { locateJson, positionOf } from './json-location';
import { findJsonSyntaxError } from './json-syntax';
import { checkRoleMapping } from './role-mapping-parse';

export class RoleStoreError extends Error {
  override name = 'RoleStoreError';
  constructor(
    readonly file: string,
    /** What is wrong, without the location. */
    readonly reason: string,
    readonly line?: number,
    readonly col?: number,
  ) {
    super(`${file}${line ? `:${line}:${col ?? 1}` : ''}: ${reason}`);
  }
}

type Snapshot = { mtimeMs: number; size: number; mappings: Record<string, RoleMapping> };

export class RoleMappingStore {
  private cache: Snapshot | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly file: string) {}

  /** The store of a data directory: `<dataDir>/http/role-mappings.json`. */
  static inDataDir(dataDir: string): RoleMappingStore {
    return new RoleMappingStore(path.join(dataDir, 'http', 'role-mappings.json'));
  }

  /** Every mapping by name (a copy). Throws RoleStoreError when the file is corrupt. */
  async all(): Promise<Record<string, RoleMapping>> {
    return structuredClone(await this.load());
  }

  async get(name: string): Promise<RoleMapping | undefined> {
    const mapping = (await this.load())[name];
    return mapping ? structuredClone(mapping) : undefined;
  }

  /** Creates or replaces; `created` is false for a replace, as ES answers. The mapping must be valid (parseRoleMapping). */
  async put(name: string, mapping: RoleMapping): Promise<{ created: boolean }> {
    return this.serialized(async () => {
      const mappings = { ...(await this.load()) };
      const created = !Object.hasOwn(mappings, name);
      mappings[name] = structuredClone(mapping);
      await this.save(mappings);
      return { created };
    });
  }

  async delete(name: string): Promise<{ found: boolean }> {
    return this.serialized(async () => {
      const mappings = { ...(await this.load()) };
      if (!Object.hasOwn(mappings, name)) return { found: false };
      delete mappings[name];
      await this.save(mappings);
      return { found: true };
    });
  }

  /** Renames a (corrupt) file to `…json.bad-<time>` and starts empty; returns the new name. */
  async moveAside(): Promise<string> {
    return this.serialized(async () => {
      const aside = `${this.file}.bad-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      try {
        await rename(this.file, aside);
      } catch (error) {
        throw new RoleStoreError(this.file, `could not move the file aside to ${aside}: ${fsMessage(error)}`);
      }
      this.cache = null;
      return aside;
    });
  }

  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async load(): Promise<Record<string, RoleMapping>> {
    const info = await stat(this.file).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return null;
      throw new RoleStoreError(this.file, fsMessage(error));
    });
    if (!info) return (this.cache = { mtimeMs: 0, size: 0, mappings: {} }).mappings;
    if (this.cache && this.cache.mtimeMs === info.mtimeMs && this.cache.size === info.size) return this.cache.mappings;
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      throw new RoleStoreError(this.file, fsMessage(error));
    }
    const mappings = parseStoreText(this.file, text);
    this.cache = { mtimeMs: info.mtimeMs, size: info.size, mappings };
    return mappings;
  }

  private async save(mappings: Record<string, RoleMapping>): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.file, Buffer.from(JSON.stringify(mappings, null, 2) + '\n'), 0o600);
    const info = await stat(this.file);
    this.cache = { mtimeMs: info.mtimeMs, size: info.size, mappings };
  }
}

/** Parses the file's text; throws RoleStoreError at the line and column of the first problem. */
export function parseStoreText(file: string, text: string): Record<string, RoleMapping> {
  if (text.trim() === '') return {};
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    const found = findJsonSyntaxError(text) ?? { offset: text.length, message: (error as Error).message };
    const { line, col } = positionOf(text, found.offset);
    throw new RoleStoreError(file, `not valid JSON: ${found.message}; the file was left as it is`, line, col);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new RoleStoreError(file, 'expected an object of role mappings by name ({"NAME": {"enabled": …}})', 1, 1);
  }
  const mappings: Record<string, RoleMapping> = {};
  for (const [name, value] of Object.entries(json)) {
    const checked = checkRoleMapping(name, value);
    if (!checked.ok) {
      const { line, col } = locateJson(text, [name], true);
      const cause = innermost(checked.error.error);
      throw new RoleStoreError(file, `role mapping [${name}] is not valid: ${cause.type}: ${cause.reason}`, line, col);
    }
    mappings[name] = checked.mapping;
  }
  return mappings;
}

function innermost(error: EsErrorCause): EsErrorCause {
  let cause = error;
  while (cause.caused_by) cause = cause.caused_by;
  return cause;
}
