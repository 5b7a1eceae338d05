/**
 * The lab's krb5kdc as a detached process: it outlives the process that started it (`kbench lab up`
 * returns, the KDC keeps serving), so it is found again later from its pid file — and only believed
 * when the pid is alive AND is krb5kdc started with that very pid file (`-P PATH` in
 * /proc/PID/cmdline), never a recycled pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { open, readFile, rm, stat } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { udpBindable } from './backend';
import { RealmError, type MitRealm } from './mit/realm';
import { hasProcfs, isZombie, listPids, pidAlive, processArgv, processStartedAt } from './procfs';
import { fileSize, readFrom } from '../system/files';

const KDC_START_TIMEOUT_MS = 10_000;
const KDC_STOP_TIMEOUT_MS = 5_000;

export interface KdcProcess {
  pid: number;
  /** Unix milliseconds, when /proc can tell. */
  startedAt: number | null;
  /** The `-T` offset it runs with (0 when none). */
  clockOffsetSeconds: number;
}

/** What a krb5kdc command line says: its pid file (-P) and clock offset (-T). */
export function kdcArguments(argv: readonly string[]): { pidFile: string | null; clockOffsetSeconds: number } | null {
  if (!argv.length || path.basename(argv[0]!) !== 'krb5kdc') return null;
  const after = (flag: string) => {
    const at = argv.indexOf(flag);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  const offset = Number(after('-T') ?? 0);
  return { pidFile: after('-P') ?? null, clockOffsetSeconds: Number.isFinite(offset) ? offset : 0 };
}

async function readPid(pidFile: string): Promise<number | null> {
  const text = await readFile(pidFile, 'utf8').catch(() => '');
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

/**
 * The KDC whose pid file is `pidFile`, or null. A pid file whose process is gone, is a zombie or is
 * now something else is stale: the caller removes it (see clearStalePidFile).
 */
export async function findKdc(pidFile: string): Promise<KdcProcess | null> {
  const pid = await readPid(pidFile);
  if (pid === null || !pidAlive(pid)) return null;
  if (!(await hasProcfs())) return { pid, startedAt: null, clockOffsetSeconds: 0 };
  const argv = await processArgv(pid);
  const args = argv && kdcArguments(argv);
  if (!args || args.pidFile === null || path.resolve(args.pidFile) !== path.resolve(pidFile) || (await isZombie(pid))) return null;
  return { pid, startedAt: await processStartedAt(pid), clockOffsetSeconds: args.clockOffsetSeconds };
}

/** Removes a pid file that names no running KDC of ours; true when there was one to remove. */
export async function clearStalePidFile(pidFile: string): Promise<boolean> {
  const exists = await stat(pidFile).then(
    () => true,
    () => false,
  );
  if (!exists || (await findKdc(pidFile))) return false;
  await rm(pidFile, { force: true });
  return true;
}

/** Every krb5kdc on this machine whose pid file lies under `root` (orphan hunting). */
export async function kdcsUnder(root: string): Promise<{ pid: number; pidFile: string }[]> {
  const prefix = path.resolve(root) + path.sep;
  const found: { pid: number; pidFile: string }[] = [];
  for (const pid of await listPids()) {
    if (pid === process.pid) continue;
    const argv = await processArgv(pid);
    const args = argv && kdcArguments(argv);
    if (args?.pidFile && path.resolve(args.pidFile).startsWith(prefix)) found.push({ pid, pidFile: path.resolve(args.pidFile) });
  }
  return found;
}

/** SIGTERM, then SIGKILL after 5 s; resolves once the process is gone (or only a zombie). */
export async function stopPid(pid: number): Promise<void> {
  const gone = async () => !pidAlive(pid) || (await isZombie(pid));
  if (await gone()) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + KDC_STOP_TIMEOUT_MS;
  while (!(await gone())) {
    if (Date.now() > deadline) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        return;
      }
      for (let i = 0; i < 100 && !(await gone()); i++) await sleep(20);
      return;
    }
    await sleep(20);
  }
}

/** True when 127.0.0.1:port can be bound for both TCP and UDP right now (the KDC needs both). */
export async function loopbackPortFree(port: number): Promise<boolean> {
  const tcp = await new Promise<boolean>((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
  return tcp && udpBindable(port);
}

/**
 * Spawns a server in its own session (stdout and stderr appended to `outputFile`), waits until
 * `ready()` says it serves, then lets it go: it outlives this process. When it exits first or is not
 * ready within `timeoutMs`, it is stopped and `failure(reason)` is thrown; `pidFile` is removed.
 */
export async function spawnDetached(options: {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  outputFile: string;
  pidFile: string;
  ready: () => Promise<boolean>;
  timeoutMs: number;
  /** "stopped before answering (exit code 1)" or "did not answer within 10 s". */
  failure: (reason: string) => Promise<Error>;
}): Promise<{ pid: number; startedAt: number }> {
  const output = await open(options.outputFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(options.command, options.args, { env: options.env, stdio: ['ignore', output.fd, output.fd], detached: true });
  } finally {
    await output.close();
  }
  let exit: string | undefined;
  const exited = new Promise<false>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = signal ? `killed by ${signal}` : `exit code ${code}`;
      resolve(false);
    });
    child.once('error', (error) => {
      exit = error.message;
      resolve(false);
    });
  });
  try {
    const deadline = Date.now() + options.timeoutMs;
    while (Date.now() < deadline) {
      if (exit) throw await options.failure(`stopped before answering (${exit})`);
      // Whatever else listens on the port would keep the probe waiting; the server's exit ends it.
      if (await Promise.race([options.ready(), exited])) {
        child.unref(); // this process may now exit; the server lives on in its own session
        return { pid: child.pid!, startedAt: (await processStartedAt(child.pid!)) ?? Date.now() };
      }
      await sleep(20);
    }
    throw await options.failure(`did not answer within ${options.timeoutMs / 1000} s`);
  } catch (error) {
    // Never leave a half-started server behind.
    if (child.pid && !exit) await stopPid(child.pid);
    await rm(options.pidFile, { force: true });
    throw error;
  }
}

/**
 * Starts krb5kdc for `realm` in its own session (detached, stdio to kdc.stdout), waits until it
 * answers Kerberos requests, then lets it go: it keeps running when this process exits.
 */
export async function spawnDetachedKdc(realm: MitRealm, options: { clockOffsetSeconds?: number } = {}): Promise<KdcProcess> {
  const krb5kdc = await realm.toolPath('krb5kdc');
  await realm.toolPath('kinit'); // the readiness probe needs it: fail before a KDC is running
  const p = realm.paths;
  await rm(p.pidFile, { force: true });
  const logStart = await fileSize(p.kdcLog);
  const stdoutStart = await fileSize(p.kdcStdout);
  const offset = Math.trunc(options.clockOffsetSeconds ?? 0);
  // -n: no fork of its own (we detach it, so we know its pid at once); -P: the pid file we find it by;
  // -T: the clock offset the KDC works with (a testing switch of MIT's).
  const args = ['-n', '-r', realm.realm, '-P', p.pidFile, ...(offset ? ['-T', String(offset)] : [])];
  const started = await spawnDetached({
    command: krb5kdc,
    args,
    env: realm.env(),
    outputFile: p.kdcStdout,
    pidFile: p.pidFile,
    ready: () => realm.kdcAnswers(),
    timeoutMs: KDC_START_TIMEOUT_MS,
    failure: (reason) => startFailure(realm, `krb5kdc ${reason}${reason.startsWith('did not') ? ` on 127.0.0.1:${realm.port}` : ''}`, logStart, stdoutStart),
  });
  return { ...started, clockOffsetSeconds: offset };
}

async function startFailure(realm: MitRealm, message: string, logStart: number, stdoutStart: number): Promise<RealmError> {
  const log = (await readFrom(realm.paths.kdcLog, logStart)) + (await readFrom(realm.paths.kdcStdout, stdoutStart));
  const excerpt = log.trim().split('\n').slice(-15).join('\n');
  return new RealmError('kdc-start', message, excerpt ? `KDC log (${realm.paths.kdcLog}):\n${excerpt}` : 'the KDC wrote no log');
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));


