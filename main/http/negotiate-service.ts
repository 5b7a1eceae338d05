/**
 * The Negotiate probe as a Bench API service: runs in the engine, steps on request, reports each
 * change as a `negotiate.update` event. Each run also predicts the SPN every client stack asks for
 * and, when NTLM shows up, says why Kerberos was not used.
 */
import { randomUUID } from 'node:crypto';
import type { NegotiateProbeOptions, NegotiateProbePending, NegotiateProbeView, NegotiateService, SpnPredictionReport, SpnPredictOptions } from '../api/http';
import type { LabService } from '../api/lab';
import type { EngineContext } from '../engine/context';
import { BenchFailure } from '../engine/failure';
import { customProfile, fileOf, resolveProfile } from '../gss/profiles';
import type { GssSupervisor } from '../gss/supervisor';
import type { KerberosProfile } from '../gss/types';
import { explainNtlm, kerberosCredentials } from './ntlm-detect';
import { NegotiateProbe, type NegotiateProbeOutcome } from './probe';
import { spnReport } from './spn-check';

interface NegotiateRun {
  id: string;
  options: NegotiateProbeOptions;
  profile: KerberosProfile;
  probe: NegotiateProbe;
  state: NegotiateProbeView['state'];
  pending: { pending: NegotiateProbePending; release: () => void } | null;
  spn: SpnPredictionReport;
  outcome?: NegotiateProbeOutcome;
  ntlm?: string;
  error?: string;
}

const MAX_RUNS = 20;
const DEFAULT_MAX_REDIRECTS = 5;

/** "HTTP/host", "HTTP@host" or "HTTP/host@REALM" → the GSS host-based name "HTTP@host" the binding imports. */
export function hostBasedName(spn: string): string {
  const slash = /^([^/@]+)\/([^@]+)(@.*)?$/.exec(spn);
  if (slash) return `${slash[1]}@${slash[2]}`;
  if (/^[^/@]+@[^@]+$/.test(spn)) return spn;
  throw new BenchFailure(`"${spn}" is not an SPN: write HTTP/host (or HTTP@host)`);
}

export class NegotiateServiceImpl implements NegotiateService {
  private readonly runs = new Map<string, NegotiateRun>();

  constructor(
    private readonly context: EngineContext,
    private readonly gss: () => GssSupervisor,
    private readonly lab: LabService,
  ) {}

  /** The profile a probe or a prediction names; another lab realm gets its own id (its own worker). */
  private async profileOf(options: { profile: 'lab' | 'system' | 'custom'; realm?: string; krb5Config?: string; ccache?: string; clientKeytab?: string; keytab?: string }): Promise<KerberosProfile> {
    if (options.profile === 'custom') {
      return customProfile({
        ...(options.krb5Config ? { krb5Config: options.krb5Config } : {}),
        ...(options.ccache ? { ccache: options.ccache } : {}),
        ...(options.clientKeytab ? { clientKeytab: options.clientKeytab } : {}),
        ...(options.keytab ? { keytab: options.keytab } : {}),
      });
    }
    const profile = await resolveProfile(options.profile, { lab: () => this.lab, ...(options.realm ? { realm: options.realm } : {}) });
    return options.profile === 'lab' && options.realm ? { ...profile, id: `lab:${options.realm}` } : profile;
  }

  private snapshot(run: NegotiateRun): NegotiateProbeView {
    const { probe } = run;
    return structuredClone({
      id: run.id,
      options: { ...run.options, ...(run.options.basic ? { basic: { user: run.options.basic.user, password: '' } } : {}) },
      state: run.state,
      pending: run.pending?.pending ?? null,
      hops: probe.hops,
      exchange: probe.exchange,
      mutual: probe.mutual,
      ...(run.ntlm ? { ntlm: run.ntlm } : {}),
      spn: run.spn,
      ...(run.outcome?.status !== undefined ? { status: run.outcome.status } : {}),
      ...(run.error ? { error: run.error } : {}),
    });
  }

  private update(run: NegotiateRun): void {
    this.context.events.emit('negotiate.update', this.snapshot(run));
  }

  async start(options: NegotiateProbeOptions): Promise<NegotiateProbeView> {
    const base = await this.profileOf(options);
    const engine = options.engine ?? 'mit';
    // The profile is the worker's identity: the Java runtime never shares the MIT worker's process.
    const profile: KerberosProfile = engine === 'java' ? { ...base, id: `${base.id}:java`, runtime: 'java' } : base;
    const service = options.spn ? hostBasedName(options.spn) : undefined;
    const spn = await this.predictWith(options.url, base, service ? { extraSpns: [service.replace('@', '/')] } : {});
    const run = { id: randomUUID(), options, profile, state: 'running', pending: null, spn } as Omit<NegotiateRun, 'probe'> as NegotiateRun;
    const ccachePath = fileOf(profile.ccache);
    run.probe = new NegotiateProbe({
      url: options.url,
      gss: this.gss().worker(profile),
      profileId: profile.id,
      ...(ccachePath ? { ccachePath } : {}),
      ...(service ? { service } : {}),
      mech: options.mech ?? 'spnego',
      maxRedirects: options.maxRedirects ?? DEFAULT_MAX_REDIRECTS,
      ...(options.basic ? { basic: options.basic } : {}),
      ...(options.insecure ? { insecure: true } : {}),
      onChange: () => this.update(run),
      ...(options.step ? { beforeSend: (pending: NegotiateProbePending, ended: AbortSignal) => this.waitForNext(run, pending, ended) } : {}),
    });
    if (this.runs.size >= MAX_RUNS) await this.close(this.runs.keys().next().value!);
    this.runs.set(run.id, run);
    void run.probe.run().then((outcome) => this.finished(run, outcome));
    return this.snapshot(run);
  }

  private async finished(run: NegotiateRun, outcome: NegotiateProbeOutcome): Promise<void> {
    if (run.state === 'closed') return;
    run.outcome = outcome;
    run.pending = null;
    if (outcome.error) run.error = outcome.error;
    const asked = outcome.services[0]?.replace('@', '/') ?? run.spn.predictions[0]?.spn ?? '';
    const check = run.spn.checks.find((c) => c.spn === asked);
    const credentials = await kerberosCredentials(run.profile.ccache);
    run.ntlm = explainNtlm({
      ...outcome.ntlm,
      host: run.spn.host,
      hostIsAddress: run.spn.hostIsAddress,
      spn: asked,
      ...(check ? { check } : {}),
      ...(outcome.gssError ? { gssError: outcome.gssError } : {}),
      ...(credentials ? { credentials } : {}),
      ...(outcome.ntlm.serverOffersNtlm ? { browsers: run.spn.predictions.filter((p) => p.client === 'chromium' || p.client === 'firefox') } : {}),
    });
    if (!run.ntlm) delete run.ntlm;
    run.state = outcome.exchange.verdict.outcome === 'success' ? 'done' : 'failed';
    this.update(run);
  }

  /** Step mode: the probe waits here until next(); closing the run ends the pause. */
  private waitForNext(run: NegotiateRun, pending: NegotiateProbePending, ended: AbortSignal): Promise<void> {
    return new Promise<void>((release) => {
      const entry = { pending, release };
      run.pending = entry;
      run.state = 'waiting';
      ended.addEventListener(
        'abort',
        () => {
          if (run.pending === entry) run.pending = null;
          release();
        },
        { once: true },
      );
      this.update(run);
    });
  }

  private run(id: string): NegotiateRun {
    const run = this.runs.get(id);
    if (!run) throw new BenchFailure(`no Negotiate probe run ${id}`);
    return run;
  }

  async next(id: string): Promise<NegotiateProbeView> {
    const run = this.run(id);
    const entry = run.pending;
    if (!entry) {
      const why = run.state === 'running' ? 'the probe is waiting for the server' : `this run has ended (${run.state}${run.error ? `: ${run.error}` : ''}) — start a new one`;
      throw new BenchFailure(run.options.step ? `nothing to send: ${why}` : 'nothing to send: this run is not in step mode');
    }
    run.pending = null;
    run.state = 'running';
    entry.release();
    this.update(run);
    return this.snapshot(run);
  }

  async view(id: string): Promise<NegotiateProbeView> {
    return this.snapshot(this.run(id));
  }

  async close(id: string): Promise<void> {
    const run = this.runs.get(id);
    if (!run) return;
    this.runs.delete(id);
    run.state = 'closed';
    run.probe.close();
    run.pending?.release();
  }

  private async predictWith(url: string, profile: KerberosProfile, options: { keytab?: string; browsers?: SpnPredictOptions['browsers']; extraSpns?: string[] }): Promise<SpnPredictionReport> {
    try {
      const keytab = options.keytab ?? fileOf(profile.keytab);
      return await spnReport(url, { profile, ...(keytab ? { keytab } : {}), ...(options.browsers ? { browsers: options.browsers } : {}), ...(options.extraSpns ? { extraSpns: options.extraSpns } : {}) });
    } catch (error) {
      if (error instanceof TypeError || (error instanceof Error && /only http/.test(error.message))) throw new BenchFailure(`${url}: ${error.message}`);
      throw error;
    }
  }

  async predictSpn(options: SpnPredictOptions): Promise<SpnPredictionReport> {
    const profile = await this.profileOf({ profile: options.profile ?? 'system', ...options });
    return this.predictWith(options.url, profile, options);
  }

  async dispose(): Promise<void> {
    await Promise.all([...this.runs.keys()].map((id) => this.close(id)));
  }
}
