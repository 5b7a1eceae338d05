/**
 * A compiled Java HttpURLConnection client (test/helpers/java/SpnegoGet.java): javac once per test
 * run into a temp dir, then `java -cp DIR SpnegoGet URL` with the lab's krb5.conf and ccache
 * (FACTS.md: HttpURLConnection does SPNEGO from KRB5CCNAME with useSubjectCredsOnly=false; the host
 * part is lower-cased, so use http://localhost, never 127.0.0.1).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runProgram, type ProgramRun } from './cli';

export const javaMissing: boolean = !existsSync('/usr/bin/javac') || !existsSync('/usr/bin/java');

/** Compiles SpnegoGet.java into a fresh temp dir; returns the class path, which the caller removes when done. */
export async function compileSpnegoGet(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-java-client-'));
  const result = await runProgram('javac', ['-d', dir, path.resolve('test/helpers/java/SpnegoGet.java')], process.env, '', 60_000);
  if (result.code !== 0) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`javac failed: ${result.stderr}`);
  }
  return dir;
}

/** GET `url` with Java's HttpURLConnection as the ccache's owner. */
export function javaGet(classPath: string, url: string, krb5Config: string, ccache: string): Promise<ProgramRun & { status: number; body: string }> {
  const env = { ...process.env, KRB5CCNAME: ccache };
  const args = [`-Djava.security.krb5.conf=${krb5Config}`, '-Djavax.security.auth.useSubjectCredsOnly=false', '-cp', classPath, 'SpnegoGet', url];
  return runProgram('java', args, env, '', 30_000).then((run) => {
    const [first, ...rest] = run.stdout.split('\n');
    return { ...run, status: Number(first), body: rest.join('\n') };
  });
}
