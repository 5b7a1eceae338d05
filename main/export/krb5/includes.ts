/**
 * A krb5.conf and every file it pulls in with `include FILE` / `includedir DIR`, read the way MIT's
 * profile library reads them (util/profile/prof_parse.c), each parsed by the bench's own profile
 * reader (main/inspect/krb5conf.ts, which uses main/krb/profile.ts).
 *
 * MIT's rules, checked against MIT 1.20 here:
 * - a missing file or directory fails the whole library: "Included profile file could not be read"
 *   / "Included profile directory could not be read" (kinit: "… while initializing Kerberos 5 library");
 * - includedir reads, in name order, the files whose names are only letters, digits, "-" and "_",
 *   or end in ".conf" and do not start with "." (so editor backups and dpkg leftovers are skipped);
 * - a relative path is opened from the program's working directory, whatever it is at the time;
 * - there is no loop check: a → b → a is followed until files cannot be opened any more, and then
 *   fails with the "could not be read" text above.
 * Reading is synchronous: the files are small and the export target re-reads an imported file
 * from its pure generate().
 */
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import type { ImportProblem, ImportUnused } from '../../api/export';
import type { Krb5ConfDocument } from '../../api/profile';
import { describeProfile } from '../../inspect/krb5conf';

export const MIT_INCLUDE_FILE_ERROR = 'Included profile file could not be read';
export const MIT_INCLUDE_DIR_ERROR = 'Included profile directory could not be read';
const MIT_CONTEXT = 'while initializing Kerberos 5 library';
/** Bounds a mistaken include (a whole /etc, a device): more than any real configuration. */
const MAX_FILES = 64;
const MAX_BYTES = 1024 * 1024;

/** One file as MIT reads it, and where its relations stand in MIT's reading order. */
export interface Krb5Fragment {
  file: string;
  doc: Krb5ConfDocument;
  /** The include path to it (lines of the include directives, index in an includedir): sorts relations in reading order. */
  order: number[];
}

export interface Krb5Files {
  fragments: Krb5Fragment[];
  problems: ImportProblem[];
  unused: ImportUnused[];
}

/** The names includedir reads (MIT 1.15+: also "*.conf", but never hidden files). */
export function includedirReads(name: string): boolean {
  return /^[A-Za-z0-9_-]+$/.test(name) || (name.endsWith('.conf') && !name.startsWith('.'));
}

/** Compares two reading-order keys: MIT reads the smaller first. */
export function compareOrder(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

export function readKrb5Files(source: { file: string; text: string; onDisk: boolean }): Krb5Files {
  const walker = new IncludeWalker(source.onDisk);
  const start = source.onDisk ? realOrSame(source.file) : source.file;
  walker.visit(source.file, source.text, [], [start]);
  return { fragments: walker.fragments, problems: walker.problems, unused: walker.unused };
}

type Include = Krb5ConfDocument['includes'][number];

class IncludeWalker {
  readonly fragments: Krb5Fragment[] = [];
  readonly problems: ImportProblem[] = [];
  readonly unused: ImportUnused[] = [];

  constructor(private readonly onDisk: boolean) {}

  visit(file: string, text: string, order: number[], stack: string[]): void {
    const doc = describeProfile(text, file);
    this.fragments.push({ file, doc, order });
    for (const include of doc.includes) {
      if (!this.onDisk) {
        this.unused.push({ key: include.kind, value: include.path, file, line: include.line, why: 'cannot be followed for a dropped file: import the file from its place on disk to read what it includes' });
        continue;
      }
      const target = this.target(include, file);
      if (include.kind === 'include') this.includeFile(target, include, file, [...order, include.line], stack);
      else this.includeDir(target, include, file, [...order, include.line], stack);
    }
  }

  private target(include: Include, file: string): string {
    if (path.isAbsolute(include.path)) return include.path;
    const target = path.resolve(path.dirname(file), include.path);
    this.problems.push({
      file,
      line: include.line,
      severity: 'warning',
      message: `${include.kind} ${include.path} is a relative path: MIT opens it from the working directory of each program, not beside this file (read here as ${target})`,
      fix: `write the absolute path: ${include.kind} ${target}`,
    });
    return target;
  }

  private includeFile(target: string, include: Include, from: string, order: number[], stack: string[]): void {
    let real: string;
    try {
      real = realpathSync(target);
    } catch (error) {
      this.mitFailure(include, from, `${target}: ${code(error)}`, MIT_INCLUDE_FILE_ERROR, `create ${target}, or remove line ${include.line} ("include ${include.path}")`);
      return;
    }
    if (stack.includes(real)) {
      const loop = [...stack.slice(stack.indexOf(real)), real].map((f) => path.basename(f)).join(' → ');
      this.problems.push({
        file: from,
        line: include.line,
        severity: 'error',
        message: `include loop: ${loop}. MIT has no loop check: it follows the includes until it cannot open more files and fails with "${MIT_INCLUDE_FILE_ERROR} ${MIT_CONTEXT}"`,
        fix: `remove line ${include.line} of ${from} ("include ${include.path}"): ${path.basename(real)} is already being read when this line is reached`,
      });
      return;
    }
    if (this.fragments.length >= MAX_FILES) {
      this.problems.push({ file: from, line: include.line, severity: 'error', message: `more than ${MAX_FILES} files included: ${target} is not read`, fix: 'include fewer files' });
      return;
    }
    const text = this.readText(real, include, from);
    if (text !== undefined) this.visit(real, text, order, [...stack, real]);
  }

  private readText(real: string, include: Include, from: string): string | undefined {
    try {
      const info = statSync(real);
      if (info.isDirectory()) {
        this.mitFailure(include, from, `${real} is a directory`, MIT_INCLUDE_FILE_ERROR, `write "includedir ${include.path}" to read the files in it`);
        return undefined;
      }
      if (info.size > MAX_BYTES) {
        this.problems.push({ file: from, line: include.line, severity: 'error', message: `${real} is ${info.size} bytes: not a krb5.conf fragment`, fix: `check the path on line ${include.line}` });
        return undefined;
      }
      return readFileSync(real, 'utf8');
    } catch (error) {
      this.mitFailure(include, from, `${real}: ${code(error)}`, MIT_INCLUDE_FILE_ERROR, `make ${real} readable, or remove line ${include.line}`);
      return undefined;
    }
  }

  private includeDir(target: string, include: Include, from: string, order: number[], stack: string[]): void {
    let names: string[];
    try {
      names = readdirSync(target).sort();
    } catch (error) {
      this.mitFailure(include, from, `${target}: ${code(error)}`, MIT_INCLUDE_DIR_ERROR, `create the directory ${target}, or remove line ${include.line} ("includedir ${include.path}")`);
      return;
    }
    names.forEach((name, index) => {
      const file = path.join(target, name);
      if (!includedirReads(name)) {
        this.unused.push({ key: 'includedir', value: file, file: from, line: include.line, why: 'not read by MIT: includedir reads only names of letters, digits, "-" and "_", or ending in ".conf" (not starting with ".")' });
        return;
      }
      // A subdirectory opens but reads as empty in MIT: nothing to follow.
      if (!isFile(file)) return;
      this.includeFile(file, include, from, [...order, index], stack);
    });
  }

  private mitFailure(include: Include, from: string, what: string, mitText: string, fix: string): void {
    this.problems.push({ file: from, line: include.line, severity: 'error', message: `${include.kind} ${include.path}: ${what}. MIT refuses the whole configuration: "${mitText} ${MIT_CONTEXT}"`, fix });
  }
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

function realOrSame(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return path.resolve(file);
  }
}

const code = (error: unknown): string => (error as NodeJS.ErrnoException).code ?? String(error);
