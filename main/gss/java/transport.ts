/**
 * The Java worker's transport: `java … kbench.GssWorker` with NDJSON requests on its stdin and
 * NDJSON answers on its stdout (resources/java/kbench/GssWorker.java). Launching takes a few
 * steps before there is a process: find the JDK, compile the worker once (launcher.ts), read
 * the client keytab's principal, write the JAAS file. Their failures end the worker as "could
 * not be started (…)", naming what to install.
 *
 * The JVM's own fatal-error report (hs_err summary) goes to stdout: non-JSON stdout lines are
 * kept with stderr, for the crash message.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { parseKeytab } from '../../krb/keytab';
import { formatPrincipal } from '../../krb/names';
import { fileOf, profileEnv } from '../profiles';
import type { GssRequest, GssWorkerMessage } from '../protocol';
import type { TransportEvents, TransportFactory, TransportKind, WorkerTransport } from '../transport';
import type { KerberosProfile } from '../types';
import { generateJaasConfig, javaKrb5Conf, jaasSettingsFor } from './jaas';
import { compiledJavaWorker, JAVA_WORKER_CLASS, JDK_INSTALL_FIX } from './launcher';

/** One answer line may carry a 1 MiB token and 1 MiB of trace; past this, the worker is broken. */
const MAX_LINE_CHARS = 8 * 1024 * 1024;

export const JAVA_KIND: TransportKind = {
  label: 'Java GSS worker',
  nativeCrash: 'the JVM crashed',
  loadFailed: 'could not start Java GSS',
  loadFix: 'check the JDK (kbench doctor)',
  startFix: `check the JDK (kbench doctor; ${JDK_INSTALL_FIX})`,
};

/** Environment variables that would change what the JVM does behind the profile's back. */
const JVM_OPTION_VARIABLES = ['JAVA_TOOL_OPTIONS', 'JDK_JAVA_OPTIONS', '_JAVA_OPTIONS'];

export interface JavaWorkerFiles {
  /** Where the worker appends its debug output (the supervisor's private directory). */
  traceFile: string;
  /** Where a generated JAAS configuration is written (same directory), unless the profile brings its own. */
  jaasFile: string;
}

/** The JVM's environment: the profile's (Java reads KRB5CCNAME), without JVM option variables for lab/custom profiles. */
export function javaWorkerEnv(profile: KerberosProfile, baseEnv: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env = profileEnv(profile, baseEnv);
  if (profile.kind !== 'system') for (const name of JVM_OPTION_VARIABLES) delete env[name];
  return env;
}

/** The java command line for a profile (after the java executable). */
export function javaWorkerArgs(profile: KerberosProfile, classes: string, files: { traceFile: string; jaasConfig: string }): string[] {
  const args = ['-XX:+UseSerialGC', '-Xshare:auto', '-Dsun.security.krb5.debug=true', '-Dsun.security.spnego.debug=true'];
  const krb5Conf = javaKrb5Conf(profile.krb5Config);
  if (krb5Conf) args.push(`-Djava.security.krb5.conf=${krb5Conf}`);
  args.push(`-Djava.security.auth.login.config=${files.jaasConfig}`, `-Dkbench.trace=${files.traceFile}`);
  const ccacheFile = fileOf(profile.ccache);
  if (ccacheFile) args.push(`-Dkbench.ccacheFile=${ccacheFile}`);
  args.push('-cp', classes, JAVA_WORKER_CLASS);
  return args;
}

/** The first principal in the client keytab: Krb5LoginModule's useKeyTab needs one named. */
async function clientKeytabPrincipal(profile: KerberosProfile): Promise<string | undefined> {
  const file = fileOf(profile.clientKeytab);
  if (!file) return undefined;
  try {
    const first = parseKeytab(await readFile(file)).keytab.entries[0];
    return first ? formatPrincipal(first.principal) : undefined;
  } catch {
    return undefined; // unreadable: Java then says so itself at login ("Unable to obtain password from user")
  }
}

export function javaTransport(profile: KerberosProfile, env: NodeJS.ProcessEnv, files: JavaWorkerFiles): TransportFactory {
  return (events) => new JavaTransport(profile, env, files, events);
}

class JavaTransport implements WorkerTransport {
  private child: ChildProcess | undefined;
  private cancelled = false;
  private stdoutBuffer = '';
  private ownsJaasFile = false;

  constructor(
    private readonly profile: KerberosProfile,
    private readonly env: NodeJS.ProcessEnv,
    private readonly files: JavaWorkerFiles,
    private readonly events: TransportEvents,
  ) {
    this.launch().catch((error: unknown) => {
      if (!this.cancelled) events.failed(error instanceof Error ? error : new Error(String(error)));
    });
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    if (!this.child) return !this.cancelled;
    return this.child.pid !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  send(request: GssRequest): void {
    const line = `${JSON.stringify(request)}\n`;
    this.child?.stdin?.write(line, (error) => {
      if (error) this.child?.kill('SIGKILL');
    });
  }

  kill(): void {
    if (this.child) {
      this.child.kill('SIGKILL');
      return;
    }
    // Still launching (compiling, say): no process to kill; it will never be spawned.
    if (this.cancelled) return;
    this.cancelled = true;
    setImmediate(() => this.events.exit(null, 'SIGKILL'));
  }

  setBusy(busy: boolean): void {
    const child = this.child;
    if (!child) return;
    const streams = [child.stdin, child.stdout, child.stderr] as Array<{ ref?(): void; unref?(): void } | null>;
    if (busy) child.ref();
    else child.unref();
    for (const stream of streams) {
      if (busy) stream?.ref?.();
      else stream?.unref?.();
    }
  }

  private async launch(): Promise<void> {
    const compiled = await compiledJavaWorker(this.env);
    const jaasConfig = await this.jaasConfig();
    if (this.cancelled) return this.cleanUp();
    const child = spawn(compiled.java.path, javaWorkerArgs(this.profile, compiled.classes, { traceFile: this.files.traceFile, jaasConfig }), {
      env: this.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdin.on('error', () => undefined); // EPIPE when the JVM is gone: its close is the report
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => this.onStdout(chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => this.events.stderr(chunk));
    // 'close', not 'exit': the last answer line may still be in the stdout pipe when the JVM exits.
    child.once('close', (code, signal) => {
      void this.cleanUp();
      this.events.exit(code, signal);
    });
    child.once('error', (error) => {
      void this.cleanUp();
      this.events.failed(new Error(`${compiled.java.path}: ${error.message}`));
    });
    this.events.spawned();
  }

  private async jaasConfig(): Promise<string> {
    if (this.profile.jaasConfig) return this.profile.jaasConfig;
    const text = generateJaasConfig(jaasSettingsFor(this.profile, await clientKeytabPrincipal(this.profile)));
    await writeFile(this.files.jaasFile, text, { mode: 0o600 });
    this.ownsJaasFile = true;
    return this.files.jaasFile;
  }

  private async cleanUp(): Promise<void> {
    if (this.ownsJaasFile) await rm(this.files.jaasFile, { force: true });
  }

  private onStdout(chunk: string): void {
    this.stdoutBuffer += chunk;
    let newline = this.stdoutBuffer.indexOf('\n');
    while (newline >= 0) {
      const line = this.stdoutBuffer.slice(0, newline);
      this.stdoutBuffer = this.stdoutBuffer.slice(newline + 1);
      this.onLine(line);
      newline = this.stdoutBuffer.indexOf('\n');
    }
    if (this.stdoutBuffer.length > MAX_LINE_CHARS) {
      this.events.stderr(`an answer line longer than ${MAX_LINE_CHARS} characters`);
      this.stdoutBuffer = '';
      this.child?.kill('SIGKILL');
    }
  }

  private onLine(line: string): void {
    if (line.trim() === '') return;
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      this.events.stderr(`${line}\n`); // the JVM's own words (a fatal error report), not protocol
      return;
    }
    if (typeof message === 'object' && message !== null) this.events.message(message as GssWorkerMessage);
  }
}
