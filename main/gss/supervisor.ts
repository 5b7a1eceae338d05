/**
 * GssSupervisor: one GSS worker process per Kerberos profile and runtime (or a pool of them, for
 * an acceptor that many clients reach at once), started lazily, replaced when it crashes, hangs
 * or its profile's settings change. Every call is checked (guards.ts) before
 * it is sent, so a refused call never reaches native code. A worker runs MIT through the native
 * binding in a forked Node process, or Java's own Kerberos stack in a JVM (profile.runtime
 * 'java'); worker-process.ts has what both share (pipelined calls, watchdogs, crash reports),
 * transport.ts and java/transport.ts what differs.
 *
 * Context handles name the worker generation that made them ("gss-3-c1"): every later call with
 * a handle goes to that worker, and once it is gone such calls fail with "context lost" instead of
 * reaching a fresh worker that never heard of them. In a pool, new contexts go to the member with
 * the fewest calls in flight; a member that dies takes only its own contexts with it.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { packageRoot } from '../system/paths';
import { checkCallParams, takesHandle, type GssMethod } from './guards';
import { javaTraceLines } from './java-trace';
import { JAVA_KIND, javaTransport, javaWorkerEnv } from './java/transport';
import { profileEnv, profileFingerprint } from './profiles';
import { traceLines } from './trace';
import { FORK_KIND, forkTransport } from './transport';
import { GssError, type GssCallResult, type GssClientStep, type GssHandle, type GssServerStep, type GssWorkerApi, type KerberosProfile } from './types';
import { runtimeOf, WorkerProcess, type GssWorkerEvent } from './worker-process';

export type { GssWorkerEvent } from './worker-process';

export const DEFAULT_CALL_TIMEOUT_MS = 15_000;
const DEFAULT_START_TIMEOUT_MS = 15_000;

/** Workers for one profile, as GssSupervisor.worker takes them. */
export interface GssWorkerOptions {
  /**
   * Up to this many worker processes share the profile's new contexts (default 1). A worker runs
   * its calls one at a time, so an acceptor that many clients reach at once wants one per core;
   * members start only when every running one is busy.
   */
  poolSize?: number;
}

/** A pool as large as the machine has cores to run it on. */
export function acceptorPoolSize(): number {
  return Math.max(1, Math.min(os.availableParallelism(), 8));
}

export interface GssSupervisorOptions {
  /** Per call; past it the worker is killed and replaced (default 15 s). */
  callTimeoutMs?: number;
  /** From spawn until the worker is ready (default 15 s; a Java worker's first compile comes before). */
  startTimeoutMs?: number;
  /** The environment profiles start from (default: this process's). */
  baseEnv?: NodeJS.ProcessEnv;
  /** The built MIT worker entry (default: out/main/gss-worker.js of this install). */
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
   * Test hook (worker env KBENCH_GSS_WORKER_TEST_CRASH=1): MIT: a real SIGSEGV inside the
   * binding; Java: the JVM halts. After stepping an initiator for `service` when given (so the
   * crash has trace lines).
   */
  debugCrash(service?: string): Promise<void>;
  /** Test hook: the worker blocks for `ms` (default an hour), like a native call that never returns. */
  debugHang(ms?: number): Promise<void>;
}

/** Where the built worker is: next to the bundled main process. */
export function defaultWorkerScript(): string {
  return path.join(packageRoot(), 'out', 'main', 'gss-worker.js');
}

/** Live workers are keyed by profile id and runtime: 'mit' and 'java' never share a process. */
function workerKey(profile: KerberosProfile): string {
  return `${runtimeOf(profile)}:${profile.id}`;
}

/** "java:lab" → "lab (java)"; MIT keys read as the bare id, as before. */
function describeKey(key: string): string {
  const [runtime, ...id] = key.split(':');
  return runtime === 'mit' ? id.join(':') : `${id.join(':')} (${runtime})`;
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
  /** The live workers by profile and runtime (workerKey): one, or a pool's members. */
  private readonly live = new Map<string, WorkerProcess[]>();
  /**
   * Every worker generation ever started: its profile and runtime (workerKey), and the process
   * while it lives; once it is gone only why and its pid, for "context lost" (keeping the dead
   * process's object cost ~19 kB per worker death, for as long as the bench ran).
   */
  private readonly generations = new Map<number, { key: string; worker: WorkerProcess } | { key: string; gone: { why: string; pid: number | undefined } }>();
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

  /** The GSS-API of `profile`'s worker (started at the first call); `{ ...profile, runtime: 'java' }` runs it on Java. */
  worker(profile: KerberosProfile, options: GssWorkerOptions = {}): GssWorker {
    return new ProfileWorker(this, { ...profile }, Math.max(1, Math.floor(options.poolSize ?? 1)));
  }

  /** pid of the live worker for a profile id and runtime (of a pool: its oldest member). */
  pid(profileId: string, runtime: 'mit' | 'java' = 'mit'): number | undefined {
    return this.pids(profileId, runtime)[0];
  }

  /** pids of every live worker for a profile id and runtime (a pool has several). */
  pids(profileId: string, runtime: 'mit' | 'java' = 'mit'): number[] {
    return (this.live.get(`${runtime}:${profileId}`) ?? []).flatMap((worker) => (worker.pid === undefined ? [] : [worker.pid]));
  }

  /** Stops every worker and deletes their trace files. The supervisor cannot be used afterwards. */
  async dispose(): Promise<void> {
    this.disposed = true;
    const workers = [...this.live.values()].flat();
    this.live.clear();
    await Promise.all(workers.map((worker) => worker.stop('the bench is shutting down its GSS workers')));
    if (this.traceDir) rmSync(this.traceDir, { recursive: true, force: true });
    this.removeExitHook?.();
  }

  /**
   * @internal The worker for `profile`'s next new context: the idlest live member, or a fresh one
   * if none runs, all of them are busy and the pool has room, or the profile's settings changed.
   */
  processFor(profile: KerberosProfile, poolSize = 1): WorkerProcess {
    if (this.disposed) throw new GssError('the GSS supervisor was disposed', [], 'guard');
    const key = workerKey(profile);
    const fingerprint = profileFingerprint(profile);
    const members = this.live.get(key) ?? [];
    for (const stale of members.filter((m) => m.alive && m.fingerprint !== fingerprint)) void stale.stop(`profile ${profile.id} changed its Kerberos paths`);
    const current = members.filter((m) => m.alive && m.fingerprint === fingerprint);
    this.live.set(key, current);
    const idlest = current.reduce<WorkerProcess | undefined>((best, m) => (best === undefined || m.callsInFlight < best.callsInFlight ? m : best), undefined);
    if (idlest && (idlest.callsInFlight === 0 || current.length >= poolSize)) return idlest;
    return this.startWorker(profile);
  }

  /** @internal The worker a handle belongs to, or a GssError saying why its context is gone. */
  processOf(profile: KerberosProfile, handle: GssHandle): { worker: WorkerProcess; local: string } {
    const { generation, local } = parseHandle(handle);
    const owner = this.generations.get(generation);
    if (!owner) throw new GssError(`${handle} is not a context handle of this bench`, [], 'guard');
    const key = workerKey(profile);
    if (owner.key !== key) throw new GssError(`${handle} belongs to profile ${describeKey(owner.key)}, not ${describeKey(key)}: use that profile's worker`, [], 'guard');
    if ('gone' in owner || !owner.worker.alive) {
      const gone = 'gone' in owner ? owner.gone : { why: owner.worker.goneBecause ?? 'is gone', pid: owner.worker.osPid };
      const label = runtimeOf(profile) === 'java' ? 'Java GSS worker' : 'GSS worker';
      throw new GssError(`context lost: ${handle} lived in the ${label} for profile ${profile.id} (pid ${gone.pid ?? '?'}), which ${gone.why}; start a new context`, [], 'crash');
    }
    return { worker: owner.worker, local };
  }

  private startWorker(profile: KerberosProfile): WorkerProcess {
    const java = runtimeOf(profile) === 'java';
    const script = this.options.workerScript ?? defaultWorkerScript();
    if (!java && !existsSync(script)) throw new GssError(`the GSS worker ${script} is missing: run npm run build`, [], 'guard');
    const generation = ++this.lastGeneration;
    const base = path.join(this.ensureTraceDir(), `${profile.id.replace(/[^\w.-]+/g, '_')}-${generation}`);
    const traceFile = `${base}.trace`;
    const baseEnv = this.options.baseEnv ?? process.env;
    const key = workerKey(profile);
    const worker = new WorkerProcess({
      profile,
      generation,
      transport: java
        ? javaTransport(profile, javaWorkerEnv(profile, baseEnv), { traceFile, jaasFile: `${base}.jaas` })
        : forkTransport(script, { ...profileEnv(profile, baseEnv), KRB5_TRACE: traceFile, ELECTRON_RUN_AS_NODE: '1' }),
      kind: java ? JAVA_KIND : FORK_KIND,
      traceFile,
      traceLines: java ? javaTraceLines : traceLines,
      callTimeoutMs: this.callTimeoutMs,
      startTimeoutMs: this.startTimeoutMs,
      onGone: (gone) => {
        const members = this.live.get(key)?.filter((m) => m !== gone);
        if (members?.length) this.live.set(key, members);
        else this.live.delete(key);
        this.generations.set(generation, { key, gone: { why: gone.goneBecause ?? 'is gone', pid: gone.osPid } });
      },
      onEvent: (event) => this.options.onWorkerEvent?.(event),
    });
    this.generations.set(generation, { key, worker });
    this.live.set(key, [...(this.live.get(key) ?? []), worker]);
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
    private readonly poolSize: number,
  ) {}

  get pid(): number | undefined {
    return this.supervisor.pid(this.profile.id, runtimeOf(this.profile));
  }

  start(): Promise<{ pid: number; startMs: number }> {
    return this.supervisor.processFor(this.profile, this.poolSize).ready;
  }

  async createClient(service: string, options?: { principal?: string; flags?: number; mech?: 'krb5' | 'spnego'; nameType?: 'hostbased' | 'principal' }): Promise<GssCallResult<{ handle: GssHandle }>> {
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

  async serverAccept(service: string, token: string): Promise<GssCallResult<GssServerStep & { handle?: GssHandle }>> {
    // The Java worker has no combined call: the same two steps, one round trip each.
    if (runtimeOf(this.profile) === 'java') return this.acceptInTwoCalls(service, token);
    const checked = checkCallParams('serverAccept', [service, token]);
    const worker = this.supervisor.processFor(this.profile, this.poolSize);
    const result = (await worker.call('serverAccept', checked)) as GssCallResult<GssServerStep & { handle?: string }>;
    const { handle, ...step } = result.value;
    return { value: { ...step, ...(handle === undefined ? {} : { handle: handleOf(worker.generation, handle) }) }, trace: result.trace };
  }

  private async acceptInTwoCalls(service: string, token: string): Promise<GssCallResult<GssServerStep & { handle?: GssHandle }>> {
    const created = await this.createServer(service);
    const { handle } = created.value;
    try {
      const step = await this.serverStep(handle, token);
      return { value: { ...step.value, ...(step.value.complete ? {} : { handle }) }, trace: [...created.trace, ...step.trace] };
    } catch (error) {
      await this.release(handle).catch(() => undefined);
      if (error instanceof GssError) throw new GssError(error.message, [...created.trace, ...error.trace], error.kind);
      throw error;
    }
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
    const worker = this.supervisor.processFor(this.profile, this.poolSize);
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

