/** The probe as a Bench API service: runs in the engine, steps on request, reports live. */
import { randomUUID } from 'node:crypto';
import type { ProbePending, ProbeService, ProbeStartOptions, ProbeView } from '../api/broker';
import type { LabService } from '../api/lab';
import type { EngineContext } from '../engine/context';
import { BenchFailure } from '../engine/failure';
import type { Exchange } from '../exchange/model';
import { resolveProfile } from '../gss/profiles';
import type { GssSupervisor } from '../gss/supervisor';
import { readUserFile } from '../system/files';
import { MqttProbe, STEP_MODE_TIMEOUT_MS, type ProbeNextStep } from './probe';

interface ProbeRun {
  id: string;
  options: ProbeStartOptions;
  probe: MqttProbe;
  state: ProbeView['state'];
  pending: (ProbeNextStep & { release: () => void }) | null;
  exchanges: Exchange[];
  live: Exchange | undefined;
  published?: ProbeView['published'];
  error?: string;
}

const MAX_RUNS = 20;

function pendingView({ packet, description, token, peerDeadline }: ProbeNextStep): ProbePending {
  return { packet, description, token, ...(peerDeadline ? { peerDeadline } : {}) };
}

/** Why next() has nothing to send, in words. */
function nothingPending(run: ProbeRun): string {
  const last = run.exchanges.at(-1);
  const why = run.error ?? (last?.verdict.outcome === 'failure' ? last.verdict.reason : undefined);
  if (run.state === 'failed' || run.state === 'closed') return `nothing to send: this run has ended (${run.state}${why ? `: ${why}` : ''}) — start a new one`;
  if (run.state === 'connected') return 'nothing to send: the probe is connected (re-authenticate to step again)';
  return run.options.step ? 'nothing to send yet: the probe is waiting for the broker' : 'nothing to send: this run is not in step mode';
}

export class ProbeServiceImpl implements ProbeService {
  private readonly runs = new Map<string, ProbeRun>();

  constructor(
    private readonly context: EngineContext,
    private readonly gss: () => GssSupervisor,
    private readonly lab: LabService,
  ) {}

  private snapshot(run: ProbeRun): ProbeView {
    const exchanges = run.live && !run.exchanges.includes(run.live) ? [...run.exchanges, run.live] : run.exchanges;
    return structuredClone({
      id: run.id,
      options: run.options,
      state: run.state,
      pending: run.pending ? pendingView(run.pending) : null,
      exchanges,
      ...(run.published ? { published: run.published } : {}),
      ...(run.error ? { error: run.error } : {}),
    });
  }

  private update(run: ProbeRun): void {
    this.context.events.emit('probe.update', this.snapshot(run));
  }

  async start(options: ProbeStartOptions): Promise<ProbeView> {
    // Another lab realm gets its own profile id: one GSS worker per realm, not one restarted per switch.
    const profile =
      options.profile === 'lab'
        ? options.realm
          ? { ...(await this.lab.profile({ realm: options.realm })), id: `lab:${options.realm}` }
          : await this.lab.profile()
        : await resolveProfile(options.profile, { lab: () => this.lab, paths: options.paths ?? {} });
    // The probe's callbacks need the run, and the run needs the probe: fill it in right after.
    const run = { id: randomUUID(), options, state: 'connecting', pending: null, exchanges: [], live: undefined } as Omit<ProbeRun, 'probe'> as ProbeRun;
    run.probe = new MqttProbe({
      url: options.url,
      gss: this.gss(),
      profile,
      method: options.method,
      ...(options.service ? { service: options.service } : {}),
      ...(options.clientId ? { clientId: options.clientId } : {}),
      ...(options.layer ? { layer: options.layer } : {}),
      ...(options.keyLogFile ? { keyLogFile: options.keyLogFile } : {}),
      ...(options.keepalive !== undefined ? { keepalive: options.keepalive } : {}),
      ...(options.cleanStart !== undefined ? { cleanStart: options.cleanStart } : {}),
      ...(options.connectProperties ? { connectProperties: options.connectProperties } : {}),
      ...(options.caFile ? { ca: await readUserFile(options.caFile) } : {}),
      ...(options.insecure ? { rejectUnauthorized: false } : {}),
      // A person reads each packet before it goes: MQTT.js's 15 s connect timer would cut them off.
      ...(options.step ? { timeoutMs: STEP_MODE_TIMEOUT_MS } : {}),
      onConnectionLost: (reason) => {
        if (run.state === 'closed') return;
        run.pending = null;
        run.state = 'closed';
        run.error = reason;
        this.update(run);
      },
      onStep: (exchange) => {
        run.live = exchange;
        this.update(run);
      },
      ...(options.step ? { beforeSend: (next: ProbeNextStep, ended: AbortSignal) => this.waitForNext(run, next, ended) } : {}),
    });
    if (this.runs.size >= MAX_RUNS) await this.close(this.runs.keys().next().value!);
    this.runs.set(run.id, run);
    void run.probe.connect().then(
      (exchange) => {
        run.exchanges.push(exchange);
        run.live = undefined;
        run.pending = null;
        run.state = exchange.verdict.outcome === 'success' ? 'connected' : 'failed';
        this.update(run);
      },
      (error: Error) => {
        run.state = 'failed';
        run.error = error.message;
        this.update(run);
      },
    );
    return this.snapshot(run);
  }

  /**
   * Step mode: the probe waits here until next(). When the connection ends meanwhile (the broker
   * refused, or gave up at its deadline) the pause ends with it: nothing is pending any more, and
   * the run's outcome comes from the connect (or re-authentication) that just finished.
   */
  private waitForNext(run: ProbeRun, next: ProbeNextStep, ended: AbortSignal): Promise<void> {
    return new Promise<void>((release) => {
      const pending = { ...next, release };
      run.pending = pending;
      run.state = 'waiting';
      ended.addEventListener(
        'abort',
        () => {
          if (run.pending === pending) run.pending = null;
          release();
        },
        { once: true },
      );
      this.update(run);
    });
  }

  private run(id: string): ProbeRun {
    const run = this.runs.get(id);
    if (!run) throw new BenchFailure(`no probe run ${id}`);
    return run;
  }

  async next(id: string): Promise<ProbeView> {
    const run = this.run(id);
    const pending = run.pending;
    if (!pending) throw new BenchFailure(nothingPending(run));
    run.pending = null;
    run.state = 'connecting';
    pending.release();
    this.update(run);
    return this.snapshot(run);
  }

  /** Starts a re-authentication in the background (in step mode it pauses like connect does). */
  async reauthenticate(id: string): Promise<ProbeView> {
    const run = this.run(id);
    if (run.state !== 'connected') throw new BenchFailure('re-authentication needs a connected probe');
    run.state = 'connecting';
    delete run.error;
    void run.probe.reauthenticate().then(
      (exchange) => {
        run.exchanges.push(exchange);
        run.live = undefined;
        run.pending = null;
        run.state = run.probe.connected ? 'connected' : 'failed';
        this.update(run);
      },
      (error: Error) => {
        run.error = error.message;
        run.state = run.probe.connected ? 'connected' : 'failed';
        this.update(run);
      },
    );
    return this.snapshot(run);
  }

  async publish(id: string, topic?: string): Promise<ProbeView> {
    const run = this.run(id);
    try {
      run.published = await run.probe.publishTest(topic);
    } catch (error) {
      throw new BenchFailure((error as Error).message);
    }
    this.update(run);
    return this.snapshot(run);
  }

  async view(id: string): Promise<ProbeView> {
    return this.snapshot(this.run(id));
  }

  async close(id: string): Promise<void> {
    const run = this.runs.get(id);
    if (!run) return;
    this.runs.delete(id);
    run.pending?.release();
    await run.probe.close();
    run.state = 'closed';
  }

  async dispose(): Promise<void> {
    await Promise.all([...this.runs.keys()].map((id) => this.close(id)));
  }
}
