/**
 * How a GSS worker process is started and talked to. WorkerProcess (worker-process.ts) keeps the
 * protocol, the calls in flight, the watchdogs and the crash reports; a transport only moves the
 * messages of protocol.ts:
 *   - fork: the MIT worker, Node's child_process.fork with its IPC channel (JSON);
 *   - java: the Java worker, a JVM with NDJSON on its stdin/stdout (java/transport.ts).
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { GssRequest, GssWorkerMessage } from './protocol';

/** What a transport reports to its WorkerProcess. */
export interface TransportEvents {
  /** The process exists now: the start clock runs from here. */
  spawned(): void;
  message(message: GssWorkerMessage): void;
  /** The process is gone (code, or the signal that killed it). */
  exit(code: number | null, signal: NodeJS.Signals | null): void;
  /** It could not be started (when pid is undefined, no exit follows). */
  failed(error: Error): void;
  /** Output that is not protocol: the last of it is quoted when the worker dies. */
  stderr(text: string): void;
}

export interface WorkerTransport {
  /** The process id once spawned. */
  readonly pid: number | undefined;
  /** True until the process has exited (or never started). */
  readonly running: boolean;
  /** Sends one request; a failed send kills the process (its exit is then the report). */
  send(request: GssRequest): void;
  kill(): void;
  /** A busy worker keeps the event loop alive; an idle one must not (a CLI run ends when its work does). */
  setBusy(busy: boolean): void;
}

/** What the messages of a worker call the thing behind it. */
export interface TransportKind {
  /** "GSS worker" / "Java GSS worker" */
  label: string;
  /** What a SIGSEGV/SIGABRT means for this runtime. */
  nativeCrash: string;
  /** What a 'load-failed' message means, and its fix. */
  loadFailed: string;
  loadFix: string;
  /** The fix when the process could not even be started. */
  startFix: string;
}

export type TransportFactory = (events: TransportEvents) => WorkerTransport;

export const FORK_KIND: TransportKind = {
  label: 'GSS worker',
  nativeCrash: 'a native crash in the kerberos binding',
  loadFailed: 'could not load the kerberos binding',
  loadFix: 'fix the binding (kbench doctor shows the cause)',
  startFix: 'check that Node runs',
};

/** The MIT worker: a Node process forked with an IPC channel; its environment is the profile. */
export function forkTransport(script: string, env: NodeJS.ProcessEnv): TransportFactory {
  return (events) => new ForkTransport(script, env, events);
}

class ForkTransport implements WorkerTransport {
  private readonly child: ChildProcess;

  constructor(script: string, env: NodeJS.ProcessEnv, events: TransportEvents) {
    this.child = fork(script, [], {
      env,
      // Never inherit --inspect, loaders or test-runner flags from the bench's own process.
      execArgv: [],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'json',
    });
    this.child.stderr?.on('data', (chunk: Buffer) => events.stderr(chunk.toString('utf8')));
    this.child.on('message', (message: GssWorkerMessage) => events.message(message));
    this.child.once('exit', (code, signal) => events.exit(code, signal));
    this.child.once('error', (error) => events.failed(error));
    events.spawned();
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.pid !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  send(request: GssRequest): void {
    this.child.send(request, (error) => {
      // The exit handler reports the worker's death; a failed send needs no second report.
      if (error) this.child.kill('SIGKILL');
    });
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }

  setBusy(busy: boolean): void {
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
