/**
 * Finds the JDK and compiles the Java GSS worker (resources/java/kbench/*.java) once — and any
 * other root of Java sources the same way (resources/java-hocon, against a library jar).
 *
 * java and javac: $JAVA_HOME/bin first, then PATH. The classes go to a directory named by a hash
 * of the sources (and the javac version), so an edited source or another JDK compiles afresh and
 * an unchanged one never does:
 *
 *   $KBENCH_JAVA_CLASSES/<hash>/  or  <packageRoot>/out/java/<hash>/  or (not writable)
 *   <tmpdir>/kbench-java-<uid>/<hash>/
 *
 * Two processes may compile at once: each compiles into its own temporary directory and renames
 * it into place; the loser of the rename throws its copy away and uses the winner's.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { findExecutable, runTool } from '../../system/exec';
import { packageRoot } from '../../system/paths';

/** The Debian package that brings java and javac (FACTS.md: 17.0.x, ~260 MB). */
export const JDK_PACKAGE = 'openjdk-17-jdk-headless';
export const JDK_INSTALL_FIX = `sudo apt-get install -y ${JDK_PACKAGE}`;
export const JAVA_WORKER_CLASS = 'kbench.GssWorker';
const COMPLETE_MARK = '.complete';
const VERSION_TIMEOUT_MS = 10_000;
const JAVAC_TIMEOUT_MS = 120_000;

export interface JdkTool {
  path: string;
  /** "17.0.15" from `java -version` / `javac -version`; null when it would not say. */
  version: string | null;
}

export interface Jdk {
  java: JdkTool | null;
  javac: JdkTool | null;
  /** Where the tools were looked for, for messages. */
  searched: string;
}

async function executable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

async function findTool(name: 'java' | 'javac', env: NodeJS.ProcessEnv): Promise<string | null> {
  if (env.JAVA_HOME) {
    const inHome = path.join(env.JAVA_HOME, 'bin', name);
    if (await executable(inHome)) return inHome;
  }
  return findExecutable(name, env);
}

/** `java -version` prints to stderr ('openjdk version "17.0.15" 2025-04-15'); javac prints "javac 17.0.15" to stdout. */
async function toolVersion(file: string, env: NodeJS.ProcessEnv): Promise<string | null> {
  const run = await runTool(file, ['-version'], { timeoutMs: VERSION_TIMEOUT_MS, env });
  const text = `${run.stdout}\n${run.stderr}`;
  return /version "([^"]+)"/.exec(text)?.[1] ?? /^javac (\S+)/m.exec(text)?.[1] ?? null;
}

/** The JDK this machine has, if any. Never throws. */
export async function findJdk(env: NodeJS.ProcessEnv = process.env): Promise<Jdk> {
  const [java, javac] = await Promise.all([findTool('java', env), findTool('javac', env)]);
  const [javaVersion, javacVersion] = await Promise.all([java ? toolVersion(java, env) : null, javac ? toolVersion(javac, env) : null]);
  return {
    java: java ? { path: java, version: javaVersion } : null,
    javac: javac ? { path: javac, version: javacVersion } : null,
    searched: env.JAVA_HOME ? `$JAVA_HOME/bin (${env.JAVA_HOME}) and PATH` : 'PATH (JAVA_HOME is not set)',
  };
}

/**
 * The Java sources shipped with the bench. In a packaged app they are unpacked next to the asar
 * (electron-builder.yml asarUnpack): javac reads real files, not Electron's virtual asar ones.
 */
export function javaSourceDir(): string {
  return path.join(packageRoot().replace(/\.asar$/, '.asar.unpacked'), 'resources', 'java');
}

/** Every .java file under `dir`, sorted, and a hash of their names and contents. */
export async function javaSources(dir: string = javaSourceDir()): Promise<{ files: string[]; hash: string }> {
  const files = (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile() && entry.name.endsWith('.java'))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
  if (files.length === 0) throw new Error(`no Java sources in ${dir}: the bench install is incomplete`);
  const hash = createHash('sha256');
  for (const file of files) hash.update(path.relative(dir, file)).update('\0').update(await readFile(file)).update('\0');
  return { files, hash: hash.digest('hex').slice(0, 16) };
}

async function writableDir(dir: string): Promise<boolean> {
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Where compiled classes are kept (see the header). */
export async function classesRoot(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (env.KBENCH_JAVA_CLASSES) return path.resolve(env.KBENCH_JAVA_CLASSES);
  const inPackage = path.join(packageRoot(), 'out', 'java');
  if (await writableDir(inPackage)) return inPackage;
  const uid = typeof process.getuid === 'function' ? process.getuid() : 'user';
  return path.join(os.tmpdir(), `kbench-java-${uid}`);
}

async function isFile(file: string): Promise<boolean> {
  return stat(file).then(
    (info) => info.isFile(),
    () => false,
  );
}

/**
 * A root of Java sources the bench compiles once and caches by hash: the GSS worker
 * (resources/java) and helpers with a library of their own (resources/java-hocon + the Debian
 * typesafe-config jar).
 */
export interface JavaSourceRoot {
  /** In messages: "the Java GSS worker". */
  what: string;
  sourceDir: string;
  /** Jars javac compiles against (and java runs with); part of the cache key. */
  classpath?: readonly string[];
  /** A class file, relative to the classes directory, that a complete compilation holds. */
  markerClass: string;
  /** Put before the hash in the cache directory's name ("hocon-"); the worker has none. */
  cachePrefix?: string;
}

export interface CompiledJava {
  /** The classpath directory holding the compiled classes. */
  classes: string;
  /** Milliseconds javac took in this call; 0 when the classes were already there. */
  compileMs: number;
  java: JdkTool;
}

export type CompiledWorker = CompiledJava;

const WORKER_ROOT = (): JavaSourceRoot => ({ what: 'the Java GSS worker', sourceDir: javaSourceDir(), markerClass: path.join('kbench', 'GssWorker.class') });

async function isComplete(dir: string, root: JavaSourceRoot): Promise<boolean> {
  return (await isFile(path.join(dir, COMPLETE_MARK))) && (await isFile(path.join(dir, root.markerClass)));
}

/** The jars' names, sizes and times: another version of a jar compiles afresh. */
async function classpathHash(classpath: readonly string[]): Promise<string> {
  if (classpath.length === 0) return '';
  const hash = createHash('sha256');
  for (const jar of classpath) {
    const info = await stat(jar);
    hash.update(`${jar}\0${info.size}\0${info.mtimeMs}\0`);
  }
  return `-${hash.digest('hex').slice(0, 8)}`;
}

const compiling = new Map<string, Promise<CompiledJava>>();

/**
 * The compiled worker: from the cache, or compiled now. Throws an Error whose message says what is
 * missing and how to install it. Concurrent callers in this process share one compilation.
 */
export function compiledJavaWorker(env: NodeJS.ProcessEnv = process.env): Promise<CompiledWorker> {
  return compiledJavaSources(WORKER_ROOT(), env);
}

/** Any root of Java sources, compiled once per content (see compiledJavaWorker). */
export function compiledJavaSources(root: JavaSourceRoot, env: NodeJS.ProcessEnv = process.env): Promise<CompiledJava> {
  const key = `${root.sourceDir}\0${(root.classpath ?? []).join(path.delimiter)}\0${env.JAVA_HOME ?? ''}\0${env.KBENCH_JAVA_CLASSES ?? ''}\0${env.PATH ?? ''}`;
  let pending = compiling.get(key);
  if (!pending) {
    pending = compile(root, env);
    compiling.set(key, pending);
    // A failure is not cached: the user may install the JDK and try again.
    pending.catch(() => compiling.delete(key));
  }
  return pending;
}

async function compile(root: JavaSourceRoot, env: NodeJS.ProcessEnv): Promise<CompiledJava> {
  const jdk = await findJdk(env);
  if (!jdk.java) throw new Error(`no Java runtime found (looked in ${jdk.searched}): the Java engine needs a JDK: ${JDK_INSTALL_FIX}`);
  const classpath = root.classpath ?? [];
  const { files, hash } = await javaSources(root.sourceDir);
  const version = (jdk.javac?.version ?? jdk.java.version ?? 'jdk').replace(/[^\w.-]/g, '_');
  const target = path.join(await classesRoot(env), `${root.cachePrefix ?? ''}${hash}${await classpathHash(classpath)}-${version}`);
  if (await isComplete(target, root)) return { classes: target, compileMs: 0, java: jdk.java };
  if (!jdk.javac) throw new Error(`java is there (${jdk.java.path}) but javac is not (looked in ${jdk.searched}): the Java engine compiles ${root.what} once with javac: ${JDK_INSTALL_FIX}`);
  await mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
  const temporary = await mkdtemp(`${target}.tmp-`);
  try {
    const started = performance.now();
    const cp = classpath.length ? ['-cp', classpath.join(path.delimiter)] : [];
    const run = await runTool(jdk.javac.path, ['-encoding', 'UTF-8', '-nowarn', ...cp, '-d', temporary, ...files], { timeoutMs: JAVAC_TIMEOUT_MS, env });
    if (!run.ok) throw new Error(`javac could not compile ${root.what}: ${(run.error ?? run.stderr.trim()) || `exit code ${run.code}`}`);
    const compileMs = performance.now() - started;
    await writeFile(path.join(temporary, COMPLETE_MARK), `${jdk.javac.path} ${jdk.javac.version ?? ''}\n`);
    await renameIntoPlace(temporary, target, root);
    return { classes: target, compileMs, java: jdk.java };
  } finally {
    await rm(temporary, { recursive: true, force: true });
  }
}

/** rename(2) is atomic; when another process got there first, its complete copy wins. */
async function renameIntoPlace(from: string, to: string, root: JavaSourceRoot): Promise<void> {
  try {
    await rename(from, to);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if ((code === 'EEXIST' || code === 'ENOTEMPTY') && (await isComplete(to, root))) return;
    if (code === 'EEXIST' || code === 'ENOTEMPTY') {
      // A leftover without the mark (a crash mid-copy of an older bench): replace it.
      await rm(to, { recursive: true, force: true });
      await rename(from, to);
      return;
    }
    throw error;
  }
}
