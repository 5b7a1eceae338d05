/**
 * GssSupervisor: one GSS worker process per Kerberos profile, started lazily, replaced when it
 * crashes, hangs or its profile's paths change. Every call is checked (guards.ts) before it is
 * sent, so a refused call never reaches native code. Calls are sent as they come (pipelined) and
 * the worker runs them one at a time in that order, each with a timeout, so each result carries
 * exactly its own KRB5_TRACE lines.
 *
 * Context handles name the worker generation that made them ("gss-3-c1"): once that worker is
 * gone, calls with its handles fail with "context lost" instead of reaching a fresh worker that
 * never heard of them.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { packageRoot } from '../system/paths';
import { checkCallParams, takesHandle, type GssDebugMethod, type GssMethod } from './guards';
import { profileEnv, profileFingerprint } from './profiles';
import { isResponse, type GssRequest, type GssWorkerMessage } from './protocol';
import { traceLines } from './trace';
import { GssError, type GssCallResult, type GssClientStep, type GssHandle, type GssServerStep, type GssWorkerApi, type KerberosProfile } from './types';

export const DEFAULT_CALL_TIMEOUT_MS = 15_000;
const DEFAULT_START_TIMEOUT_MS = 15_000;
/** Trace lines quoted in a crash or timeout message (all of them go into GssError.trace). */
const QUOTED_TRACE_LINES = 5;
const STDERR_TAIL_BYTES = 4096;
/** Signals that mean the binding (or MIT under it) crashed, rather than someone killing the worker. */
const NATIVE_CRASH_SIGNALS = new Set(['SIGSEGV', 'SIGBUS', 'SIGABRT', 'SIGILL', 'SIGFPE', 'SIGTRAP', 'SIGSYS']);

export interface GssWorkerEvent {
  type: 'started' | 'crashed' | 'stopped';
  profileId: string;
  pid: number;
  /** started: milliseconds from fork until the worker had the binding loaded. */
  startMs?: number;
  /** crashed / stopped: what happened, in words ("died with SIGSEGV during clientWrap"). */
  reason?: string;
}

export interface GssSupervisorOptions {
  /** Per call; past it the worker is killed and replaced (default 15 s). */
  callTimeoutMs?: number;
  /** From fork until the binding is loaded (default 15 s). */
  startTimeoutMs?: number;
  /** The environment profiles start from (default: this process's). */
  baseEnv?: NodeJS.ProcessEnv;
  /** The built worker entry (default: out/main/gss-worker.js of this install). */
  workerScript?: string;
  onWorkerEvent?: (event: GssWorkerEvent) => void;
}

/** A profile's GSS-API, plus what a UI or a test wants to know about the process behind it. */
export interface GssWorker extends GssWorkerApi {
  readonly profile: KerberosProfile;
  /** The live worker process, if one runs. */
  readonly pid: number | undefined;
  /** Starts the worker now instead of at the first call. */
  start(): Promise<{ pid: number; startMs: number }>;
  /**
   * Test hook (worker env KBENCH_GSS_WORKER_TEST_CRASH=1): a real SIGSEGV inside the binding,
   * after stepping an initiator for `service` when given (so the crash has trace lines).
   */
  debugCrash(service?: string): Promise<void>;
  /** Test hook: the worker blocks for `ms` (default an hour), like a native call that never returns. */
  debugHang(ms?: number): Promise<void>;
}

/** Where the built worker is: next to the bundled main process. */
export function defaultWorkerScript(): string {
  return path.join(packageRoot(), 'out', 'main', 'gss-worker.js');
}

// ---- one worker process -----------------------------------------------------------------------

interface PendingCall {
  id: number;
  method: GssMethod | GssDebugMethod;
  params: unknown[];
  resolve(result: GssCallResult<unknown>): void;
  reject(error: GssError): void;
}

/** Why a worker is gone: the words and the kind its pending calls fail with. */
interface Fate {
  kind: 'crash' | 'timeout';
  /** "died with SIGSEGV during clientWrap: a native crash in the kerberos binding" */
  what: string;
  /** Appended to the in-flight call's message. */
  then: string;
  trace: string[];
  /** 'crashed' or 'stopped' for onWorkerEvent. */
  event: 'crashed' | 'stopped';
}

interface WorkerProcessOptions {
  profile: KerberosProfile;
  generation: number;
  script: string;
  env: NodeJS.ProcessEnv;
  traceFile: string;
  callTimeoutMs: number;
  startTimeoutMs: number;
  /** Called once, when the worker is gone for whatever reason. */
  onGone(worker: WorkerProcess, fate: Fate): void;
  onEvent(event: GssWorkerEvent): void;
}

class WorkerProcess {
  readonly generation: number;
  readonly fingerprint: string;
  readonly ready: Promise<{ pid: number; startMs: number }>;
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;
  private state: 'starting' | 'ready' | 'gone' = 'starting';
  private fate: Fate | undefined;
  /** Calls made before the worker was ready. */
  private readonly waiting: PendingCall[] = [];
  /**
   * Calls sent and not yet answered, oldest first. The worker runs them one at a time in this
   * order, so the oldest is the one running: pipelining hides the IPC round trip without
   * mixing up whose trace lines are whose.
   */
  private readonly sent: PendingCall[] = [];
  /** Fires when the running call has run for callTimeoutMs (re-armed at every answer). */
  private watchdog: NodeJS.Timeout | undefined;
  private nextId = 1;
  /** Where the trace file ended when the last answered call ended: the next call's lines start here. */
  private traceOffset = 0;
  private stderrTail = '';
  private readonly forkedAt = performance.now();

  constructor(private readonly options: WorkerProcessOptions) {
    this.generation = options.generation;
    this.fingerprint = profileFingerprint(options.profile);
    this.child = fork(options.script, [], {
      env: options.env,
      // Never inherit --inspect, loaders or test-runner flags from the bench's own process.
      execArgv: [],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'json',
    });
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
    });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      // A fork that never started has no exit to wait for.
      this.child.once('error', () => this.child.pid === undefined && resolve());
    });
    this.ready = new Promise((resolve, reject) => {
      const startTimer = setTimeout(
        () => this.goneWith({ kind: 'timeout', what: `did not start within ${seconds(options.startTimeoutMs)}`, then: 'it was stopped', trace: [], event: 'stopped' }),
        options.startTimeoutMs,
      );
      this.child.on('message', (message: GssWorkerMessage) => this.onMessage(message, resolve, startTimer));
      this.child.once('exit', (code, signal) => {
        clearTimeout(startTimer);
        this.onExit(code, signal);
        if (this.fate) reject(this.errorFor(this.fate));
      });
      this.child.once('error', (error) => {
        clearTimeout(startTimer);
        this.goneWith({ kind: 'crash', what: `could not be started (${error.message})`, then: 'check that Node runs', trace: [], event: 'crashed' });
        reject(this.errorFor(this.fate!));
      });
    });
    // Nobody may be waiting for the start (a call fails through its own promise).
    this.ready.catch(() => undefined);
    this.updateRef();
  }

  get pid(): number | undefined {
    return this.state === 'gone' ? undefined : this.child.pid;
  }

  /** The process id, also after it is gone (for messages). */
  get osPid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return this.state !== 'gone';
  }

  call(method: GssMethod | GssDebugMethod, params: unknown[]): Promise<GssCallResult<unknown>> {
    if (this.fate) return Promise.reject(this.errorFor(this.fate));
    return new Promise((resolve, reject) => {
      const call = { id: this.nextId++, method, params, resolve, reject };
      if (this.state === 'ready') this.send(call);
      else this.waiting.push(call);
      this.updateRef();
    });
  }

  /** Stops the worker; pending calls fail with `fate` (a 'stopped' event, not a crash). */
  stop(why: string): Promise<void> {
    this.goneWith({ kind: 'crash', what: `was stopped (${why})`, then: 'the call never finished', trace: [], event: 'stopped' });
    return this.exited;
  }

  /** Why this worker is gone, for "context lost" messages; undefined while it runs. */
  get goneBecause(): string | undefined {
    return this.fate?.what;
  }

  // ---- internals ----

  /** The call that is running in the worker now (the oldest unanswered one). */
  private get running(): PendingCall | undefined {
    return this.sent[0];
  }

  private send(call: PendingCall): void {
    this.sent.push(call);
    // Nothing was running: this call starts now, and so does its clock.
    if (this.sent.length === 1) this.armWatchdog();
    const request: GssRequest = { id: call.id, method: call.method, params: call.params };
    this.child.send(request, (error) => {
      // The exit handler reports the worker's death; a failed send needs no second report.
      if (error) this.child.kill('SIGKILL');
    });
  }

  private armWatchdog(): void {
    clearTimeout(this.watchdog);
    this.watchdog = undefined;
    if (this.sent.length > 0) this.watchdog = setTimeout(() => this.onTimeout(), this.options.callTimeoutMs);
  }

  private onMessage(message: GssWorkerMessage, ready: (value: { pid: number; startMs: number }) => void, startTimer: NodeJS.Timeout): void {
    if (!isResponse(message)) {
      clearTimeout(startTimer);
      if (message.type === 'ready') {
        this.state = 'ready';
        const startMs = performance.now() - this.forkedAt;
        ready({ pid: message.pid, startMs });
        this.options.onEvent({ type: 'started', profileId: this.options.profile.id, pid: message.pid, startMs });
        for (const call of this.waiting.splice(0)) this.send(call);
        this.updateRef();
      } else {
        this.goneWith({ kind: 'crash', what: `could not load the kerberos binding: ${message.message}`, then: 'fix the binding (kbench doctor shows the cause)', trace: [], event: 'crashed' });
      }
      return;
    }
    const call = this.running;
    if (!call || call.id !== message.id) return; // an answer after a timeout: already failed
    if ('error' in message && message.fatal) {
      // The worker exits after this answer: it is gone now, for this call and all behind it.
      const { message: what, trace } = message.error;
      this.goneWith({ kind: 'crash', what: `reported: ${what}`, then: 'the worker exits and a fresh one takes over', trace, event: 'crashed' });
      return;
    }
    this.sent.shift();
    this.armWatchdog(); // the next call starts running now
    this.traceOffset = message.traceEnd;
    if ('result' in message) call.resolve(message.result);
    else call.reject(new GssError(message.error.message, message.error.trace, message.error.kind));
    this.updateRef();
  }

  private onTimeout(): void {
    const call = this.running;
    if (!call) return;
    const trace = this.traceSinceLastCall();
    this.goneWith({
      kind: 'timeout',
      what: `did not answer ${call.method} within ${seconds(this.options.callTimeoutMs)}`,
      then: 'it was stopped and a fresh worker takes over',
      trace,
      event: 'stopped',
    });
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.fate) return; // we stopped it, and said why
    const during = this.running ? ` during ${this.running.method}` : this.state === 'starting' ? ' while starting' : ' while idle';
    const stderr = stderrSummary(this.stderrTail);
    let what: string;
    if (signal && NATIVE_CRASH_SIGNALS.has(signal)) what = `died with ${signal}${during}: a native crash in the kerberos binding`;
    else if (signal) what = `was killed by ${signal}${during}`;
    else what = `exited with code ${code}${during}`;
    if (stderr) what += ` (stderr: ${stderr})`;
    const then = this.state === 'starting' ? 'the next call tries a fresh worker' : 'a fresh worker takes over';
    this.goneWith({ kind: 'crash', what, then, trace: this.traceSinceLastCall(), event: 'crashed' });
  }

  /** Marks the worker gone (once), fails every pending call, kills the process if it still runs. */
  private goneWith(fate: Fate): void {
    if (this.fate) return;
    this.fate = fate;
    this.state = 'gone';
    clearTimeout(this.watchdog);
    const [running, ...behind] = this.sent.splice(0);
    if (running) running.reject(this.errorFor(fate));
    for (const call of behind) call.reject(this.errorFor(fate, `this ${call.method} call was waiting behind it and never ran`));
    // Calls made while it was starting: the start failure is their answer.
    for (const call of this.waiting.splice(0)) call.reject(this.errorFor(fate));
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    this.updateRef();
    this.options.onGone(this, fate);
    void this.exited.then(() => {
      this.options.onEvent({ type: fate.event, profileId: this.options.profile.id, pid: this.child.pid ?? 0, reason: fate.what });
      rmSync(this.options.traceFile, { force: true });
    });
    this.updateRef();
  }

  /** The error a call gets when the worker is gone; fate.what names the call that was running. */
  private errorFor(fate: Fate, then = fate.then): GssError {
    const quoted = fate.trace.slice(-QUOTED_TRACE_LINES);
    const lastLines = quoted.length > 0 ? `\nlast KRB5_TRACE lines:\n  ${quoted.join('\n  ')}` : '';
    return new GssError(`the GSS worker for profile ${this.options.profile.id} ${fate.what}; ${then}${lastLines}`, fate.trace, fate.kind);
  }

  /** What MIT logged since the last answered call: the lines of the call that never answered. */
  private traceSinceLastCall(): string[] {
    try {
      const end = statSync(this.options.traceFile).size;
      if (end <= this.traceOffset) return [];
      const from = Math.max(this.traceOffset, end - 64 * 1024);
      const buffer = Buffer.alloc(end - from);
      const fd = openSync(this.options.traceFile, 'r');
      try {
        readSync(fd, buffer, 0, buffer.length, from);
      } finally {
        closeSync(fd);
      }
      return traceLines(buffer.toString('utf8'));
    } catch {
      return [];
    }
  }

  /** An idle worker must not keep the bench's event loop alive (a CLI run ends when its work does). */
  private updateRef(): void {
    // An idle worker is unref'd (a CLI may exit around it); a dying one stays ref'd until its exit
    // arrives, or whoever awaits stop() would see the event loop end first.
    const dying = this.state === 'gone' && this.child.exitCode === null && this.child.signalCode === null;
    const busy = dying || this.state === 'starting' || (this.state === 'ready' && this.sent.length > 0);
    const channel = this.child.channel as { ref?(): void; unref?(): void } | undefined;
    if (busy) {
      this.child.ref();
      channel?.ref?.();
    } else {
      this.child.unref();
      channel?.unref?.();
    }
    (this.child.stderr as { unref?(): void } | null)?.unref?.();
  }
}

/** Node's last words: the error line of a stack trace if there is one, else the last lines. */
function stderrSummary(tail: string): string {
  const lines = tail.split('\n').map((line) => line.trim()).filter((line) => line !== '' && line !== '}' && !/^Node\.js v\d/.test(line));
  const errorLine = lines.filter((line) => /\b\w*Error\b/.test(line) && !/^at /.test(line)).pop();
  return errorLine ?? lines.slice(-3).join(' | ');
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

// ---- handles ----------------------------------------------------------------------------------

const HANDLE = /^gss-(\d+)-([cs]\d+)$/;

function handleOf(generation: number, local: string): GssHandle {
  return `gss-${generation}-${local}`;
}

function parseHandle(handle: unknown): { generation: number; local: string } {
  const m = typeof handle === 'string' ? HANDLE.exec(handle) : null;
  if (!m) throw new GssError(`${JSON.stringify(handle)} is not a GSS context handle (createClient / createServer return them)`, [], 'guard');
  return { generation: Number(m[1]), local: m[2]! };
}

// ---- the supervisor ---------------------------------------------------------------------------

export class GssSupervisor {
  private readonly live = new Map<string, WorkerProcess>();
  /** Every worker generation ever started: its profile, and the process while it lives. */
  private readonly generations = new Map<number, { profileId: string; worker: WorkerProcess }>();
  private lastGeneration = 0;
  private traceDir: string | undefined;
  private removeExitHook: (() => void) | undefined;
  private disposed = false;
  private readonly callTimeoutMs: number;
  private readonly startTimeoutMs: number;

  constructor(private readonly options: GssSupervisorOptions = {}) {
    this.callTimeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    this.startTimeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  }

  /** The GSS-API of `profile`'s worker (started at the first call). */
  worker(profile: KerberosProfile): GssWorker {
    return new ProfileWorker(this, { ...profile });
  }

  /** pid of the live worker for a profile id. */
  pid(profileId: string): number | undefined {
    return this.live.get(profileId)?.pid;
  }

  /** Stops every worker and deletes their trace files. The supervisor cannot be used afterwards. */
  async dispose(): Promise<void> {
    this.disposed = true;
    const workers = [...this.live.values()];
    this.live.clear();
    await Promise.all(workers.map((worker) => worker.stop('the bench is shutting down its GSS workers')));
    if (this.traceDir) rmSync(this.traceDir, { recursive: true, force: true });
    this.removeExitHook?.();
  }

  /** @internal The live worker for `profile`; a fresh one if none runs or the profile's paths changed. */
  processFor(profile: KerberosProfile): WorkerProcess {
    if (this.disposed) throw new GssError('the GSS supervisor was disposed', [], 'guard');
    const current = this.live.get(profile.id);
    if (current?.alive && current.fingerprint === profileFingerprint(profile)) return current;
    if (current) void current.stop(`profile ${profile.id} changed its Kerberos paths`);
    return this.startWorker(profile);
  }

  /** @internal The worker a handle belongs to, or a GssError saying why its context is gone. */
  processOf(profile: KerberosProfile, handle: GssHandle): { worker: WorkerProcess; local: string } {
    const { generation, local } = parseHandle(handle);
    const owner = this.generations.get(generation);
    if (!owner) throw new GssError(`${handle} is not a context handle of this bench`, [], 'guard');
    if (owner.profileId !== profile.id) throw new GssError(`${handle} belongs to profile ${owner.profileId}, not ${profile.id}: use that profile's worker`, [], 'guard');
    if (!owner.worker.alive) {
      const why = owner.worker.goneBecause ?? 'is gone';
      throw new GssError(`context lost: ${handle} lived in the GSS worker for profile ${profile.id} (pid ${owner.worker.osPid ?? '?'}), which ${why}; start a new context`, [], 'crash');
    }
    return { worker: owner.worker, local };
  }

  private startWorker(profile: KerberosProfile): WorkerProcess {
    const script = this.options.workerScript ?? defaultWorkerScript();
    if (!existsSync(script)) throw new GssError(`the GSS worker ${script} is missing: run npm run build`, [], 'guard');
    const generation = ++this.lastGeneration;
    const traceFile = path.join(this.ensureTraceDir(), `${profile.id.replace(/[^\w.-]+/g, '_')}-${generation}.trace`);
    const env = { ...profileEnv(profile, this.options.baseEnv ?? process.env), KRB5_TRACE: traceFile, ELECTRON_RUN_AS_NODE: '1' };
    const worker = new WorkerProcess({
      profile,
      generation,
      script,
      env,
      traceFile,
      callTimeoutMs: this.callTimeoutMs,
      startTimeoutMs: this.startTimeoutMs,
      onGone: (gone) => {
        if (this.live.get(profile.id) === gone) this.live.delete(profile.id);
      },
      onEvent: (event) => this.options.onWorkerEvent?.(event),
    });
    this.generations.set(generation, { profileId: profile.id, worker });
    this.live.set(profile.id, worker);
    return worker;
  }

  private ensureTraceDir(): string {
    if (this.traceDir) return this.traceDir;
    // Private (0700): trace lines name principals, ccaches and key fingerprints.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kbench-gss-'));
    this.traceDir = dir;
    // A CLI run may end without dispose(): the workers follow their parent out (IPC disconnect),
    // and their trace files must not stay behind either.
    const cleanUp = () => rmSync(dir, { recursive: true, force: true });
    process.once('exit', cleanUp);
    this.removeExitHook = () => process.removeListener('exit', cleanUp);
    return dir;
  }
}

// ---- the per-profile API ----------------------------------------------------------------------

class ProfileWorker implements GssWorker {
  constructor(
    private readonly supervisor: GssSupervisor,
    readonly profile: KerberosProfile,
  ) {}

  get pid(): number | undefined {
    return this.supervisor.pid(this.profile.id);
  }

  start(): Promise<{ pid: number; startMs: number }> {
    return this.supervisor.processFor(this.profile).ready;
  }

  async createClient(service: string, options?: { principal?: string; flags?: number; mech?: 'krb5' | 'spnego' }): Promise<GssCallResult<{ handle: GssHandle }>> {
    return this.create('createClient', [service, options]);
  }

  async createServer(service: string): Promise<GssCallResult<{ handle: GssHandle }>> {
    return this.create('createServer', [service]);
  }

  clientStep(handle: GssHandle, challenge: string): Promise<GssCallResult<GssClientStep>> {
    return this.onContext('clientStep', [handle, challenge]) as Promise<GssCallResult<GssClientStep>>;
  }

  clientWrap(handle: GssHandle, data: string, options: { protect: boolean }): Promise<GssCallResult<{ token: string }>> {
    return this.onContext('clientWrap', [handle, data, options]) as Promise<GssCallResult<{ token: string }>>;
  }

  clientUnwrap(handle: GssHandle, token: string): Promise<GssCallResult<{ data: string }>> {
    return this.onContext('clientUnwrap', [handle, token]) as Promise<GssCallResult<{ data: string }>>;
  }

  serverStep(handle: GssHandle, token: string): Promise<GssCallResult<GssServerStep>> {
    return this.onContext('serverStep', [handle, token]) as Promise<GssCallResult<GssServerStep>>;
  }

  async release(handle: GssHandle): Promise<void> {
    try {
      await this.onContext('release', [handle]);
    } catch (error) {
      // Releasing a context whose worker is gone: nothing left to release.
      if (!(error instanceof GssError && error.kind === 'crash')) throw error;
    }
  }

  async debugCrash(service?: string): Promise<void> {
    await this.supervisor.processFor(this.profile).call('debugCrash', service === undefined ? [] : [service]);
  }

  async debugHang(ms?: number): Promise<void> {
    await this.supervisor.processFor(this.profile).call('debugHang', ms === undefined ? [] : [ms]);
  }

  private async create(method: 'createClient' | 'createServer', params: unknown[]): Promise<GssCallResult<{ handle: GssHandle }>> {
    const checked = checkCallParams(method, params);
    const worker = this.supervisor.processFor(this.profile);
    const result = (await worker.call(method, checked)) as GssCallResult<{ handle: string }>;
    return { value: { handle: handleOf(worker.generation, result.value.handle) }, trace: result.trace };
  }

  private async onContext(method: GssMethod, params: unknown[]): Promise<GssCallResult<unknown>> {
    if (!takesHandle(method)) throw new Error(`${method} takes no handle`);
    const checked = checkCallParams(method, params);
    const { worker, local } = this.supervisor.processOf(this.profile, params[0] as GssHandle);
    return worker.call(method, [local, ...checked.slice(1)]);
  }
}

