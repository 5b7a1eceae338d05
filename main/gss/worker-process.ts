/**
 * One GSS worker process, whatever runs inside it (the MIT binding under Node, or the JVM): the
 * calls in flight, the per-call watchdog, the start timeout, and what a call gets when the worker
 * dies. The transport (transport.ts) only starts the process and moves messages.
 *
 * Calls are sent as they come (pipelined) and the worker runs them one at a time in that order,
 * so the oldest unanswered call is the running one and each result carries exactly its own trace
 * lines. Both workers append their trace to a file (KRB5_TRACE, or the JVM's captured debug
 * output): when a worker dies mid-call, the lines after the last answer's traceEnd are that call's.
 */
import { closeSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { GssDebugMethod, GssMethod } from './guards';
import { isResponse, type GssRequest, type GssWorkerMessage } from './protocol';
import { profileFingerprint } from './profiles';
import type { TransportFactory, TransportKind, WorkerTransport } from './transport';
import { GssError, type GssCallResult, type KerberosProfile } from './types';

/** Trace lines quoted in a crash or timeout message (all of them go into GssError.trace). */
const QUOTED_TRACE_LINES = 5;
const STDERR_TAIL_BYTES = 4096;
/** Signals that mean the runtime crashed (native code), rather than someone killing the worker. */
const NATIVE_CRASH_SIGNALS = new Set(['SIGSEGV', 'SIGBUS', 'SIGABRT', 'SIGILL', 'SIGFPE', 'SIGTRAP', 'SIGSYS']);

export interface GssWorkerEvent {
  type: 'started' | 'crashed' | 'stopped';
  profileId: string;
  /** Which GSS implementation the worker runs. */
  runtime: 'mit' | 'java';
  pid: number;
  /** started: milliseconds from spawn until the worker was ready (binding loaded, or JVM up). */
  startMs?: number;
  /** crashed / stopped: what happened, in words ("died with SIGSEGV during clientWrap"). */
  reason?: string;
}

interface PendingCall {
  id: number;
  method: GssMethod | GssDebugMethod;
  params: unknown[];
  resolve(result: GssCallResult<unknown>): void;
  reject(error: GssError): void;
}

/** Why a worker is gone: the words and the kind its pending calls fail with. */
export interface Fate {
  kind: 'crash' | 'timeout';
  /** "died with SIGSEGV during clientWrap: a native crash in the kerberos binding" */
  what: string;
  /** Appended to the in-flight call's message. */
  then: string;
  trace: string[];
  /** 'crashed' or 'stopped' for onWorkerEvent. */
  event: 'crashed' | 'stopped';
}

export interface WorkerProcessOptions {
  profile: KerberosProfile;
  generation: number;
  transport: TransportFactory;
  kind: TransportKind;
  traceFile: string;
  /** Splits trace file text into lines (MIT's and Java's lines differ). */
  traceLines(text: string): string[];
  callTimeoutMs: number;
  startTimeoutMs: number;
  /** Called once, when the worker is gone for whatever reason. */
  onGone(worker: WorkerProcess, fate: Fate): void;
  onEvent(event: GssWorkerEvent): void;
}

type Ready = { pid: number; startMs: number };

export class WorkerProcess {
  readonly generation: number;
  readonly fingerprint: string;
  readonly ready: Promise<Ready>;
  private readonly transport: WorkerTransport;
  private readonly exited: Promise<void>;
  private state: 'starting' | 'ready' | 'gone' = 'starting';
  private fate: Fate | undefined;
  /** Calls made before the worker was ready. */
  private readonly waiting: PendingCall[] = [];
  /** Calls sent and not yet answered, oldest first: the oldest is the one running. */
  private readonly sent: PendingCall[] = [];
  /** Fires when the running call has run for callTimeoutMs (re-armed at every answer). */
  private watchdog: NodeJS.Timeout | undefined;
  private startTimer: NodeJS.Timeout | undefined;
  private nextId = 1;
  /** Where the trace file ended when the last answered call ended: the next call's lines start here. */
  private traceOffset = 0;
  private stderrTail = '';
  private spawnedAt = performance.now();
  private settleReady: { resolve(ready: Ready): void; reject(error: GssError): void } | undefined;
  private markExited: () => void = () => undefined;

  constructor(private readonly options: WorkerProcessOptions) {
    this.generation = options.generation;
    this.fingerprint = profileFingerprint(options.profile);
    this.exited = new Promise((resolve) => (this.markExited = resolve));
    this.ready = new Promise((resolve, reject) => (this.settleReady = { resolve, reject }));
    // Nobody may be waiting for the start (a call fails through its own promise).
    this.ready.catch(() => undefined);
    this.transport = options.transport({
      spawned: () => this.onSpawned(),
      message: (message) => this.onMessage(message),
      exit: (code, signal) => this.onExit(code, signal),
      failed: (error) => this.onFailed(error),
      stderr: (text) => (this.stderrTail = (this.stderrTail + text).slice(-STDERR_TAIL_BYTES)),
    });
    this.updateRef();
  }

  get pid(): number | undefined {
    return this.state === 'gone' ? undefined : this.transport.pid;
  }

  /** The process id, also after it is gone (for messages). */
  get osPid(): number | undefined {
    return this.transport.pid;
  }

  get alive(): boolean {
    return this.state !== 'gone';
  }

  /** Calls made and not yet answered (running, queued at the worker, or waiting for its start). */
  get callsInFlight(): number {
    return this.sent.length + this.waiting.length;
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

  private get running(): PendingCall | undefined {
    return this.sent[0];
  }

  private send(call: PendingCall): void {
    this.sent.push(call);
    // Nothing was running: this call starts now, and so does its clock.
    if (this.sent.length === 1) this.armWatchdog();
    const request: GssRequest = { id: call.id, method: call.method, params: call.params };
    this.transport.send(request);
  }

  private armWatchdog(): void {
    clearTimeout(this.watchdog);
    this.watchdog = undefined;
    if (this.sent.length > 0) this.watchdog = setTimeout(() => this.onTimeout(), this.options.callTimeoutMs);
  }

  private onSpawned(): void {
    this.spawnedAt = performance.now();
    const ms = this.options.startTimeoutMs;
    this.startTimer = setTimeout(() => this.goneWith({ kind: 'timeout', what: `did not start within ${seconds(ms)}`, then: 'it was stopped', trace: [], event: 'stopped' }), ms);
  }

  private onReady(pid: number): void {
    this.state = 'ready';
    const startMs = performance.now() - this.spawnedAt;
    this.settleReady?.resolve({ pid, startMs });
    this.options.onEvent({ type: 'started', profileId: this.options.profile.id, runtime: runtimeOf(this.options.profile), pid, startMs });
    for (const call of this.waiting.splice(0)) this.send(call);
    this.updateRef();
  }

  private onMessage(message: GssWorkerMessage): void {
    if (!isResponse(message)) {
      clearTimeout(this.startTimer);
      if (this.state !== 'starting') return;
      if (message.type === 'ready') this.onReady(message.pid);
      else this.goneWith({ kind: 'crash', what: `${this.options.kind.loadFailed}: ${message.message}`, then: this.options.kind.loadFix, trace: [], event: 'crashed' });
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

  private onFailed(error: Error): void {
    clearTimeout(this.startTimer);
    this.goneWith({ kind: 'crash', what: `could not be started (${error.message})`, then: this.options.kind.startFix, trace: [], event: 'crashed' });
    // No process, so no exit will come.
    if (this.transport.pid === undefined) this.markExited();
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    clearTimeout(this.startTimer);
    if (!this.fate) this.goneWith({ kind: 'crash', what: this.exitWords(code, signal), then: this.state === 'starting' ? 'the next call tries a fresh worker' : 'a fresh worker takes over', trace: this.traceSinceLastCall(), event: 'crashed' });
    this.markExited();
    this.updateRef();
  }

  private exitWords(code: number | null, signal: NodeJS.Signals | null): string {
    const during = this.running ? ` during ${this.running.method}` : this.state === 'starting' ? ' while starting' : ' while idle';
    const stderr = stderrSummary(this.stderrTail);
    let what: string;
    if (signal && NATIVE_CRASH_SIGNALS.has(signal)) what = `died with ${signal}${during}: ${this.options.kind.nativeCrash}`;
    else if (signal) what = `was killed by ${signal}${during}`;
    else what = `exited with code ${code}${during}`;
    return stderr ? `${what} (stderr: ${stderr})` : what;
  }

  /** Marks the worker gone (once), fails every pending call, kills the process if it still runs. */
  private goneWith(fate: Fate): void {
    if (this.fate) return;
    this.fate = fate;
    this.state = 'gone';
    clearTimeout(this.watchdog);
    clearTimeout(this.startTimer);
    this.settleReady?.reject(this.errorFor(fate));
    const [running, ...behind] = this.sent.splice(0);
    if (running) running.reject(this.errorFor(fate));
    for (const call of behind) call.reject(this.errorFor(fate, `this ${call.method} call was waiting behind it and never ran`));
    // Calls made while it was starting: the start failure is their answer.
    for (const call of this.waiting.splice(0)) call.reject(this.errorFor(fate));
    if (this.transport.running) this.transport.kill();
    this.updateRef();
    this.options.onGone(this, fate);
    void this.exited.then(() => {
      this.options.onEvent({ type: fate.event, profileId: this.options.profile.id, runtime: runtimeOf(this.options.profile), pid: this.transport.pid ?? 0, reason: fate.what });
      rmSync(this.options.traceFile, { force: true });
    });
  }

  /** The error a call gets when the worker is gone; fate.what names the call that was running. */
  private errorFor(fate: Fate, then = fate.then): GssError {
    const quoted = fate.trace.slice(-QUOTED_TRACE_LINES);
    const lastLines = quoted.length > 0 ? `\nlast ${this.options.kind.label === 'GSS worker' ? 'KRB5_TRACE' : 'debug'} lines:\n  ${quoted.join('\n  ')}` : '';
    return new GssError(`the ${this.options.kind.label} for profile ${this.options.profile.id} ${fate.what}; ${then}${lastLines}`, fate.trace, fate.kind);
  }

  /** What the worker logged since the last answered call: the lines of the call that never answered. */
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
      return this.options.traceLines(buffer.toString('utf8'));
    } catch {
      return [];
    }
  }

  private updateRef(): void {
    // An idle worker is unref'd (a CLI may exit around it); a dying one stays ref'd until its exit
    // arrives, or whoever awaits stop() would see the event loop end first.
    const dying = this.state === 'gone' && this.transport.running;
    this.transport.setBusy(dying || this.state === 'starting' || (this.state === 'ready' && this.sent.length > 0));
  }
}

export function runtimeOf(profile: KerberosProfile): 'mit' | 'java' {
  return profile.runtime ?? 'mit';
}

/** Node's (or the JVM's) last words: the error line of a stack trace if there is one, else the last lines. */
function stderrSummary(tail: string): string {
  const lines = tail.split('\n').map((line) => line.trim()).filter((line) => line !== '' && line !== '}' && !/^Node\.js v\d/.test(line));
  const errorLine = lines.filter((line) => /\b\w*(Error|Exception)\b/.test(line) && !/^at /.test(line)).pop();
  return errorLine ?? lines.slice(-3).join(' | ');
}

export function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
