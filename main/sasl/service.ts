/**
 * The SASL view's engine side: a client and a server of ours talking through the bench, one
 * message per step, each keeping its own Exchange.
 */
import { randomUUID } from 'node:crypto';
import type { FileSource } from '../api/inspect';
import type { LabService } from '../api/lab';
import type { SaslRunOptions, SaslRunView, SaslService } from '../api/sasl';
import { BenchFailure } from '../engine/failure';
import type { Exchange } from '../exchange/model';
import { ExchangeRecorder } from '../exchange/recorder';
import { fileOf, systemProfile, withRuntime } from '../gss/profiles';
import type { GssSupervisor } from '../gss/supervisor';
import type { KerberosProfile } from '../gss/types';
import { parseKeytab } from '../krb/keytab';
import { kerberosFilePath, readUserFile } from '../system/files';
import { SaslGssapiClient } from './client';
import { OFFERS, SaslProtocolError } from './layers';
import { SaslGssapiServer } from './server';
import { decodeTranscript } from './transcript';

interface Run {
  id: string;
  options: SaslRunOptions;
  client: SaslGssapiClient;
  server: SaslGssapiServer;
  clientRecorder: ExchangeRecorder;
  serverRecorder: ExchangeRecorder;
  /** The message in flight and who receives it next. */
  pending: { to: 'client' | 'server'; token: Buffer } | null;
  started: boolean;
}

const MAX_RUNS = 20;

export class SaslServiceImpl implements SaslService {
  private readonly runs = new Map<string, Run>();

  constructor(
    private readonly gss: () => GssSupervisor,
    private readonly lab: LabService,
  ) {}

  /** The named profile on the engine the run asks for (MIT unless 'java'). */
  private async profile(options: SaslRunOptions): Promise<KerberosProfile> {
    const profile = options.profile === 'lab' ? await this.labProfile(options.realm) : systemProfile();
    return withRuntime(profile, options.engine ?? 'mit');
  }

  /** Another lab realm (an AD one) gets its own profile id: one GSS worker per realm, as the probe does. */
  private async labProfile(realm: string | undefined): Promise<KerberosProfile> {
    return realm ? { ...(await this.lab.profile({ realm })), id: `lab:${realm}` } : this.lab.profile();
  }

  async start(options: SaslRunOptions): Promise<SaslRunView> {
    if (options.engine === 'java' && options.layer !== 'none') {
      // The client's integrity/privacy half is the bench's RFC 4121 code, keyed from the ccache;
      // the JVM keeps its service ticket (and session key) in its Subject, never in the ccache.
      throw new BenchFailure(`the Java engine runs SASL with layer none only: Java keeps the service ticket's session key inside the JVM (it never writes tickets to the ccache), and the ${options.layer} layer needs it; choose layer none, or engine mit`);
    }
    const profile = await this.profile(options);
    const keytabFile = fileOf(profile.keytab);
    if (!keytabFile) throw new BenchFailure(`the ${profile.name} profile has no FILE: keytab for the server side`);
    const keytab = parseKeytab(await readUserFile(kerberosFilePath(keytabFile, 'keytab'))).keytab.entries;
    const ccachePath = fileOf(profile.ccache);
    const common = { mechanism: 'GSSAPI', service: options.service, profile: profile.id, source: 'sasl' as const };
    const clientRecorder = new ExchangeRecorder({ ...common, role: 'client' });
    const serverRecorder = new ExchangeRecorder({ ...common, role: 'server' });
    const worker = this.gss().worker(profile);
    const run: Run = {
      id: randomUUID(),
      options,
      client: new SaslGssapiClient({
        gss: worker,
        service: options.service,
        desiredLayer: options.layer,
        ...(options.authzid ? { authzid: options.authzid } : {}),
        ...(ccachePath ? { ccachePath } : {}),
        recorder: clientRecorder,
      }),
      server: new SaslGssapiServer({ gss: worker, service: options.service, offer: OFFERS[options.offer], keytab, keytabLabel: keytabFile, recorder: serverRecorder }),
      clientRecorder,
      serverRecorder,
      pending: null,
      started: false,
    };
    // Keep a bounded number of runs: the oldest goes first.
    if (this.runs.size >= MAX_RUNS) await this.close(this.runs.keys().next().value!);
    this.runs.set(run.id, run);
    return this.view(run);
  }

  private run(id: string): Run {
    const run = this.runs.get(id);
    if (!run) throw new BenchFailure(`no SASL run ${id} (closed, or the engine restarted)`);
    return run;
  }

  private state(run: Run): SaslRunView['state'] {
    const outcomes = [run.clientRecorder.exchange.verdict.outcome, run.serverRecorder.exchange.verdict.outcome];
    if (outcomes.includes('failure')) return 'failed';
    if (run.server.established) return 'established';
    return run.started ? 'running' : 'ready';
  }

  private next(run: Run): string | null {
    const state = this.state(run);
    if (state === 'failed' || state === 'established') return null;
    if (!run.started) return `the client starts: ${run.options.engine === 'java' ? 'Java GSS' : 'MIT'} builds the AP-REQ, sent as the initial response`;
    if (!run.pending) return null;
    return run.pending.to === 'server' ? 'the server takes the client\'s message' : 'the client takes the server\'s challenge';
  }

  private view(run: Run): SaslRunView {
    return {
      id: run.id,
      options: run.options,
      state: this.state(run),
      next: this.next(run),
      client: structuredClone(run.clientRecorder.exchange),
      server: structuredClone(run.serverRecorder.exchange),
    };
  }

  async step(id: string): Promise<SaslRunView> {
    const run = this.run(id);
    const state = this.state(run);
    if (state === 'failed' || state === 'established') return this.view(run);
    if (!run.started) {
      run.started = true;
      const reply = await run.client.start();
      run.pending = reply.kind === 'response' ? { to: 'server', token: reply.token } : null;
      if (reply.kind === 'failure') run.serverRecorder.finish({ outcome: 'failure', reason: `the client gave up: ${reply.reason}` });
      return this.view(run);
    }
    const pending = run.pending;
    if (!pending) return this.view(run);
    run.pending = null;
    if (pending.to === 'server') {
      const reply = await run.server.receive(pending.token);
      if (reply.kind === 'challenge') run.pending = { to: 'client', token: reply.token };
      if (reply.kind === 'failure') run.clientRecorder.finish({ outcome: 'failure', reason: `the server refused: ${reply.reason}` });
    } else {
      const reply = await run.client.receive(pending.token);
      if (reply.kind === 'response') run.pending = { to: 'server', token: reply.token };
      if (reply.kind === 'failure') run.serverRecorder.finish({ outcome: 'failure', reason: `the client gave up: ${reply.reason}` });
    }
    return this.view(run);
  }

  async finish(id: string): Promise<SaslRunView> {
    for (let i = 0; i < 16; i++) {
      const view = await this.step(id);
      if (view.state === 'established' || view.state === 'failed') return view;
    }
    throw new BenchFailure('no verdict after 16 steps');
  }

  async send(id: string, from: 'client' | 'server', text: string): Promise<SaslRunView> {
    const run = this.run(id);
    if (!run.server.established || !run.client.established) throw new BenchFailure('application messages need an established exchange: step until the server accepts');
    const plaintext = Buffer.from(text, 'utf8');
    try {
      if (from === 'client') run.server.unprotect(await run.client.protect(plaintext));
      else await run.client.unprotect(run.server.protect(plaintext));
    } catch (error) {
      if (error instanceof SaslProtocolError) throw new BenchFailure(error.message);
      throw error;
    }
    return this.view(run);
  }

  async close(id: string): Promise<void> {
    const run = this.runs.get(id);
    if (!run) return;
    this.runs.delete(id);
    await Promise.all([run.client.dispose(), run.server.dispose()]);
  }

  async decodeTranscript(text: string, keytab: FileSource): Promise<Exchange> {
    const label = 'path' in keytab ? kerberosFilePath(keytab.path, 'keytab') : keytab.name;
    const bytes = 'path' in keytab ? await readUserFile(label) : Buffer.from(keytab.base64, 'base64');
    let entries;
    try {
      entries = parseKeytab(bytes).keytab.entries;
    } catch (error) {
      throw new BenchFailure(`${label}: ${(error as Error).message}`, { part: 'keytab' });
    }
    try {
      return decodeTranscript(text, [{ kind: 'keytab', label, entries }]);
    } catch (error) {
      // `part` says which input is wrong: `kbench sasl decode` names the transcript file then.
      throw new BenchFailure((error as Error).message, { part: 'transcript' });
    }
  }
}
