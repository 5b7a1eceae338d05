/** The diagnose service: text and Exchanges against the catalog, setups against the environment, scenarios against the lab. */
import type { Diagnosis, DiagnosisInput, DiagnoseService, Finding, ScenarioInfo, ScenarioResult } from '../api/diagnose';
import type { LabService, LabTarget } from '../api/lab';
import type { EngineContext } from '../engine/context';
import { BenchFailure } from '../engine/failure';
import type { Exchange } from '../exchange/model';
import { profileEnv, resolveProfile } from '../gss/profiles';
import type { GssSupervisor } from '../gss/supervisor';
import { isAdScenario } from './ad-scenarios';
import { adLabUnavailable } from './ad/availability';
import { withAdFindings } from './ad/findings';
import { CATALOG } from './catalog';
import { diagnoseObservations, mergeFindings } from './diagnosis';
import { checkEnvironment, type EnvironmentReport } from './environment';
import { matchCatalog } from './match';
import { observeExchange, observeText } from './observations';
import { withKnownServerNames } from './server-names';
import { labStillWorks, removeScenarioDir, scenarioById, scenarioDir, SCENARIOS, type Attempt, type Scenario, type ScenarioContext } from './scenarios';

/** How long dispose() waits for a running scenario (they take a few seconds; tgt-expired about 6). */
const SCENARIO_DRAIN_MS = 8000;

function summaryOf(findings: readonly Finding[], input: DiagnosisInput): string {
  if (findings.length) {
    const top = findings[0]!;
    return `Most likely: ${top.title} (${Math.round(top.confidence * 100)} %)${findings.length > 1 ? `; ${findings.length - 1} more possible cause(s)` : ''}.`;
  }
  if (input.setup && !input.message && !input.exchange) return 'No problem found in this setup.';
  return 'No known Kerberos failure in this input. Paste the whole error (with the lines before it), or a KRB5_TRACE log (KRB5_TRACE=/dev/stderr your-command), or run "check my setup".';
}

export class DiagnoseServiceImpl implements DiagnoseService {
  constructor(
    private readonly context: EngineContext,
    private readonly gss: () => GssSupervisor,
    private readonly lab: LabService,
  ) {}

  async diagnose(input: DiagnosisInput): Promise<Diagnosis> {
    const started = Date.now();
    if (!input.message?.trim() && !input.exchange && !input.setup) throw new BenchFailure('give an error message, an Exchange, or a setup to check');
    const observations = [...(input.message ? observeText(input.message) : []), ...(input.exchange ? observeExchange(input.exchange) : [])];
    const lists = [matchCatalog(CATALOG, observations)];
    const report = input.setup ? await this.checkSetup(input.setup) : undefined;
    if (report) lists.push(report.findings);
    const findings = await this.specific(mergeFindings(...lists));
    return { findings, summary: summaryOf(findings, input), elapsedMs: Date.now() - started, ...(report ? { checks: report.checks } : {}) };
  }

  /**
   * Findings made specific from the lab: an unknown service principal names what was asked for
   * and, in a lab realm, what it knows; in an AD lab realm the directory (LDAP) says who holds the
   * SPN — two accounts make it a duplicate SPN — and which salt a key that does not decrypt needed.
   */
  private async specific(findings: Finding[]): Promise<Finding[]> {
    return withAdFindings(await withKnownServerNames(findings, this.lab), this.lab);
  }

  private async checkSetup(setup: NonNullable<DiagnosisInput['setup']>): Promise<EnvironmentReport> {
    // The lab profile is checked as it runs: brought up first, as every lab command does.
    if (setup.realm && setup.profile !== 'lab') throw new BenchFailure(`a realm picks a lab realm: it goes with profile lab, not ${setup.profile}`);
    const profile = await resolveProfile(setup.profile, { lab: () => this.lab, ...(setup.realm ? { realm: setup.realm } : {}), paths: { krb5Config: setup.krb5Config, ccache: setup.ccache, keytab: setup.keytab } });
    return checkEnvironment({
      env: profileEnv(profile),
      ...(setup.principal ? { principal: setup.principal } : {}),
      ...(setup.keytab ? { keytab: setup.keytab } : {}),
    });
  }

  async catalog() {
    return structuredClone([...CATALOG]);
  }

  async scenarios(): Promise<ScenarioInfo[]> {
    return SCENARIOS.map(({ id, title, expects, description }) => ({ id, title, expects, description }));
  }

  /** Scenarios break the one lab realm they share: a second one waits until the first has restored it. */
  private scenarioQueue: Promise<unknown> = Promise.resolve();
  private disposed = false;

  /**
   * Shutting down (Ctrl+C on kbench web): the scenario running now finishes, so it restores the
   * lab it broke and removes its scratch files, before the lab and the GSS workers go. Bounded:
   * web mode gives the whole shutdown 10 s.
   */
  async dispose(): Promise<void> {
    this.disposed = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.scenarioQueue, new Promise((resolve) => (timer = setTimeout(resolve, SCENARIO_DRAIN_MS)))]);
    clearTimeout(timer);
  }

  async runScenario(input: { id: string }): Promise<ScenarioResult> {
    if (this.disposed) throw new BenchFailure('the bench is shutting down: no new scenario starts');
    const scenario = scenarioById(input.id);
    if (!scenario) throw new BenchFailure(`no scenario "${input.id}" (kbench scenario list shows them)`);
    const run = this.scenarioQueue.then(() => this.runOne(scenario));
    this.scenarioQueue = run.catch(() => undefined);
    return run;
  }

  private async runOne(scenario: Scenario): Promise<ScenarioResult> {
    const started = Date.now();
    // AD scenarios run against the AD lab realm (AD.TEST), the others against the MIT one.
    const target: LabTarget = isAdScenario(scenario.id) ? { kind: 'ad' } : {};
    const unavailable = target.kind === 'ad' ? await adLabUnavailable() : null;
    if (unavailable) return failedToStart(scenario, unavailable, started);
    try {
      await this.lab.up(target);
    } catch (error) {
      return failedToStart(scenario, `the ${target.kind === 'ad' ? 'AD' : 'MIT'} lab realm could not be brought up: ${(error as Error).message}`, started);
    }
    const ctx: ScenarioContext = {
      lab: this.lab,
      gss: this.gss(),
      status: await this.lab.status(target),
      profile: await this.lab.profile(target),
      dir: await scenarioDir(this.context.dataDir, scenario.id),
    };
    let attempt: Attempt = { error: '', exchanges: [] };
    let findings: Finding[] = [];
    const problems: string[] = [];
    try {
      attempt = await scenario.run(ctx);
      // Diagnosed before the lab is restored: what the lab says about the failure (who holds an SPN) is true only now.
      if (attempt.error) findings = await this.specific(diagnoseObservations([...observeText(attempt.error, 'the captured error'), ...attempt.exchanges.flatMap((e: Exchange) => observeExchange(e))]));
    } catch (error) {
      problems.push(`the scenario could not run: ${(error as Error).message}`);
    } finally {
      try {
        await scenario.restore?.(ctx);
        // A fresh TGT: nothing a scenario did (rotations, clock changes) lingers in alice's ccache.
        await this.lab.refreshTicket(target);
      } catch (error) {
        problems.push(`restoring the lab failed: ${(error as Error).message}`);
      }
      await removeScenarioDir(ctx.dir);
    }
    const topFinding = findings[0]?.id ?? null;
    if (!problems.length && !attempt.error) problems.push('the broken flow did not fail');
    else if (!problems.length && topFinding !== scenario.expects) problems.push(`the top finding is ${topFinding ?? 'none'}, expected ${scenario.expects}`);
    const broken = await labStillWorks({ ...ctx, status: await this.lab.status(target), profile: await this.lab.profile(target) }).catch((error: Error) => error.message);
    if (broken) problems.push(`the lab does not work after the scenario: ${broken}`);
    return {
      id: scenario.id,
      passed: problems.length === 0,
      error: attempt.error,
      topFinding,
      findings,
      ...(problems.length ? { problem: problems.join('; ') } : {}),
      elapsedMs: Date.now() - started,
    };
  }
}

/** A scenario that could not start (the AD lab cannot run here, or would not come up): a result saying why, with the fix. */
function failedToStart(scenario: Scenario, problem: string, started: number): ScenarioResult {
  return { id: scenario.id, passed: false, error: '', topFinding: null, findings: [], problem, elapsedMs: Date.now() - started };
}
