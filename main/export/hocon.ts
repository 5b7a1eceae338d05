/**
 * HOCON checked by the reference implementation: com.typesafe.config (Debian
 * libtypesafe-config-java) through a small Java program (resources/java-hocon), compiled once
 * like the Java GSS worker. EMQX reads HOCON with its own Erlang parser; the reference parser is
 * what the format is defined by, and a file it reads back with the same values is a file any
 * conforming reader takes.
 */
import { access, realpath } from 'node:fs/promises';
import path from 'node:path';
import { compiledJavaSources, JDK_INSTALL_FIX, type CompiledJava } from '../gss/java/launcher';
import { runTool } from '../system/exec';
import { packageRoot } from '../system/paths';

export const TYPESAFE_CONFIG_PACKAGE = 'libtypesafe-config-java';
export const TYPESAFE_CONFIG_JAR = '/usr/share/java/typesafe-config.jar';
const HOCON_CHECK_CLASS = 'kbench.hocon.HoconCheck';
const RUN_TIMEOUT_MS = 30_000;

export type HoconValueType = 'STRING' | 'NUMBER' | 'BOOLEAN' | 'NULL' | 'OBJECT' | 'LIST';

export interface HoconEntry {
  /** "authentication[0].principal": keys joined with ".", list items by index; odd keys JSON-quoted. */
  path: string;
  /** The resolved value; null for null and for an empty object or list. */
  value: string | number | boolean | null;
  type: HoconValueType;
  /** 1-based line of the value in the file (ConfigValue.origin().lineNumber()); -1 when unknown. */
  line: number;
}

export type HoconParse = { ok: true; entries: HoconEntry[]; parser: string } | { ok: false; message: string; line: number; parser: string };

/** The jar: KBENCH_TYPESAFE_CONFIG_JAR, else Debian's. */
export function typesafeConfigJar(env: NodeJS.ProcessEnv = process.env): string {
  return env.KBENCH_TYPESAFE_CONFIG_JAR || TYPESAFE_CONFIG_JAR;
}

/** "com.typesafe.config 1.3.1" from the jar's real name (Debian links typesafe-config.jar → typesafe-config-1.3.1.jar). */
async function parserName(jar: string): Promise<string> {
  const real = await realpath(jar).catch(() => jar);
  const version = /-(\d[\w.]*)\.jar$/.exec(path.basename(real))?.[1];
  return version ? `com.typesafe.config ${version}` : 'com.typesafe.config';
}

function hoconSourceDir(): string {
  return path.join(packageRoot().replace(/\.asar$/, '.asar.unpacked'), 'resources', 'java-hocon');
}

/** The compiled checker; throws with the Debian package to install when the jar or the JDK is missing. */
async function compiledChecker(jar: string, env: NodeJS.ProcessEnv): Promise<CompiledJava> {
  try {
    await access(jar);
  } catch {
    const install = `sudo apt-get install -y ${TYPESAFE_CONFIG_PACKAGE} (or point KBENCH_TYPESAFE_CONFIG_JAR at a typesafe-config jar)`;
    throw new Error(`the reference HOCON parser is missing: no ${jar} — install it: ${install}`);
  }
  try {
    const root = { what: 'the HOCON checker', sourceDir: hoconSourceDir(), classpath: [jar], markerClass: path.join('kbench', 'hocon', 'HoconCheck.class'), cachePrefix: 'hocon-' };
    return await compiledJavaSources(root, env);
  } catch (error) {
    throw new Error(`${(error as Error).message} (the HOCON check runs com.typesafe.config from ${TYPESAFE_CONFIG_PACKAGE} on Java; ${JDK_INSTALL_FIX})`);
  }
}

/**
 * Parses and resolves one HOCON file with com.typesafe.config. A file it refuses comes back as
 * { ok: false, message, line }; a missing JDK or jar throws, naming what to install.
 */
export async function parseHoconWithJava(file: string, env: NodeJS.ProcessEnv = process.env): Promise<HoconParse> {
  const jar = typesafeConfigJar(env);
  const compiled = await compiledChecker(jar, env);
  const parser = await parserName(jar);
  const run = await runTool(compiled.java.path, ['-cp', [compiled.classes, jar].join(path.delimiter), HOCON_CHECK_CLASS, path.resolve(file)], { timeoutMs: RUN_TIMEOUT_MS, env });
  if (!run.ok) throw new Error(`the HOCON checker did not run: ${(run.error ?? run.stderr.trim()) || `exit code ${run.code}`}`);
  let answer: { entries?: HoconEntry[]; error?: { message: string; line: number } };
  try {
    answer = JSON.parse(run.stdout) as typeof answer;
  } catch {
    throw new Error(`the HOCON checker printed no JSON: ${run.stdout.slice(0, 200) || run.stderr.slice(0, 200) || 'nothing'}`);
  }
  if (answer.error) return { ok: false, message: answer.error.message, line: answer.error.line, parser };
  return { ok: true, entries: answer.entries ?? [], parser };
}
