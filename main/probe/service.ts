/** The probe as a Bench API service: runs in the engine, steps on request, reports live. */
import { randomUUID } from 'node:crypto';
import type { ProbeService, ProbeStartOptions, ProbeView } from '../api/broker';
import type { LabService } from '../api/lab';
import type { EngineContext } from '../engine/context';
import { BenchFailure } from '../engine/failure';
import type { Exchange } from '../exchange/model';
import { systemProfile } from '../gss/profiles';
import type { GssSupervisor } from '../gss/supervisor';
import { readUserFile } from '../system/files';
import { MqttProbe, type ProbeNextStep } from './probe';

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
/** How long a stepped connect or re-authentication may take, pauses included. */
const STEP_MODE_TIMEOUT_MS = 10 * 60_000;

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
      pending: run.pending ? { packet: run.pending.packet, description: run.pending.description, token: run.pending.token } : null,
      exchanges,
      ...(run.published ? { published: run.published } : {}),
      ...(run.error ? { error: run.error } : {}),
    });
  }

  private update(run: ProbeRun): void {
    this.context.events.emit('probe.update', this.snapshot(run));
  }

  async start(options: ProbeStartOptions): Promise<ProbeView> {
    const profile = options.profile === 'lab' ? await this.lab.profile() : systemProfile();
    // The probe's callbacks need the run, and the run needs the probe: fill it in right after.
    const run = { id: randomUUID(), options, state: 'connecting', pending: null, exchanges: [], live: undefined } as Omit<ProbeRun, 'probe'> as ProbeRun;
    run.probe = new MqttProbe({
      url: options.url,
      gss: this.gss(),
      profile,
      method: options.method,
      ...(options.service ? { service: options.service } : {}),
      ...(options.clientId ? { clientId: options.clientId } : {}),
      ...(options.caFile ? { ca: await readUserFile(options.caFile) } : {}),
      ...(options.insecure ? { rejectUnauthorized: false } : {}),
      // A person reads each packet before it goes: MQTT.js's 15 s connect timer would cut them off.
      ...(options.step ? { timeoutMs: STEP_MODE_TIMEOUT_MS } : {}),
      onConnectionLost: (reason) => {
        if (run.state === 'closed') return;
        run.state = 'closed';
        run.error = reason;
        this.update(run);
      },
      onStep: (exchange) => {
        run.live = exchange;
        this.update(run);
      },
      ...(options.step
        ? {
            beforeSend: (next: ProbeNextStep) =>
              new Promise<void>((release) => {
                run.pending = { ...next, release };
                run.state = 'waiting';
                this.update(run);
              }),
          }
        : {}),
    });
    if (this.runs.size >= MAX_RUNS) await this.close(this.runs.keys().next().value!);
    this.runs.set(run.id, run);
    void run.probe.connect().then(
      (exchange) => {
        run.exchanges.push(exchange);
        run.live = undefined;
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

  private run(id: string): ProbeRun {
    const run = this.runs.get(id);
    if (!run) throw new BenchFailure(`no probe run ${id}`);
    return run;
  }

  async next(id: string): Promise<ProbeView> {
    const run = this.run(id);
    const pending = run.pending;
    if (!pending) throw new BenchFailure('nothing is waiting to be sent');
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
