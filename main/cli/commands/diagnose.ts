/**
 * `kbench diagnose`: an error message, a saved Exchange or a setup → ranked causes and fixes.
 * `kbench scenario`: reproduce catalog entries against the lab realm and check the diagnosis.
 */
import { readFile } from 'node:fs/promises';
import type { Diagnosis, DiagnosisInput, Finding, ScenarioResult, SetupCheck, SetupMeasurement } from '../../api/diagnose';
import { parseExchange } from '../../exchange/serialize';
import { fsMessage } from '../../system/files';
import { logSafe } from '../../system/log-safe';
import { EXIT_FAILURE, EXIT_OK, UsageError, type CliIo, type Command } from '../command';
import { json, padEnd, palette, useColour, type Palette } from '../format';
import { readStdin, str, type CliIoWithStdin } from '../password-options';

function percent(confidence: number): string {
  return `${Math.round(confidence * 100)} %`;
}

/** One finding as a terminal block: title, cause, fix with commands, evidence, how to reproduce. */
export function findingText(finding: Finding, rank: number, p: Palette): string {
  const lines = [
    `${rank}. ${p.bold(finding.title)}  ${p.dim(`${finding.id} · ${percent(finding.confidence)}`)}`,
    `   cause: ${finding.cause}`,
    `   fix:   ${finding.fix}`,
    ...(finding.commands ?? []).map((c) => `     $ ${c}`),
    ...finding.evidence.slice(0, 4).map((e) => `   ${p.dim('seen in')} ${logSafe(e.source)}: ${logSafe(e.text)}`),
    ...(finding.evidence.length > 4 ? [`   ${p.dim(`… and ${finding.evidence.length - 4} more`)}`] : []),
    ...(finding.scenario ? [`   ${p.dim(`reproduce it: kbench scenario run ${finding.scenario}`)}`] : []),
  ];
  return `${lines.join('\n')}\n`;
}

/** "round trip 0.8 ms (UDP 127.0.0.1:88)": a measurement as the Diagnose view shows it. */
export function measurementText(m: SetupMeasurement): string {
  return `${m.label} ${m.value}${m.unit ? ` ${m.unit}` : ''}${m.note ? ` (${m.note})` : ''}`;
}

/**
 * Every setup check with what it measured, passing ones too ("show the work"); a failed check
 * adds its verdict line, so what went wrong is there without --json.
 */
export function checksText(checks: readonly SetupCheck[], subject: string, p: Palette): string {
  const failed = checks.filter((c) => !c.ok).length;
  const width = Math.min(48, Math.max(...checks.map((c) => c.title.length))) + 2;
  const lines = checks.map((c) => {
    const shown = c.measured.length ? c.measured.map(measurementText).join(' · ') : c.detail;
    const head = `  ${c.ok ? p.ok('✓') : p.bad('✗')} ${padEnd(c.title, width)}${logSafe(shown)}`;
    return c.ok || !c.measured.length ? head : `${head}\n      ${p.dim(logSafe(c.detail))}`;
  });
  return `Checked ${subject}: ${checks.length} checks, ${checks.length - failed} ok${failed ? `, ${p.bad(`${failed} failed`)}` : ''}\n${lines.join('\n')}\n\n`;
}

function diagnosisText(diagnosis: Diagnosis, subject: string, p: Palette): string {
  const checks = diagnosis.checks?.length ? checksText(diagnosis.checks, subject, p) : '';
  return [checks, `${diagnosis.summary}\n`, ...diagnosis.findings.map((f, i) => `\n${findingText(f, i + 1, p)}`)].join('');
}

async function messageFrom(value: string | undefined, io: CliIoWithStdin): Promise<string | undefined> {
  if (value === undefined) return undefined;
  return value === '-' ? readStdin(io) : value;
}

export const diagnoseCommand: Command = {
  name: 'diagnose',
  summary: 'map a Kerberos error, a failed Exchange or your setup to causes and fixes',
  usage: ['diagnose [--message TEXT|-] [--exchange FILE] [--check] [--principal P] [--keytab KT] [--profile lab|system|custom] [--realm R] [--krb5-config F] [--ccache F] [--json]'],
  details: `--message takes an error message or a log excerpt (KRB5_TRACE lines welcome); "-" reads it
from standard input: \`kinit alice 2>&1 | kbench diagnose --message -\`. --exchange takes an Exchange
saved by the bench (broker, probe, SASL). Without either, or with --check, --principal or
--keytab, it checks the setup of a profile (default system: your environment and krb5.conf;
--profile lab the lab realm, --realm R which one: AD.TEST is the AD lab):
krb5.conf, KDC reachability and clock, DNS of the service host, the keytab against the KDC, the
ccache. Findings are ranked best first, each with its cause, a fix (commands to copy), the
evidence and, when the bench can reproduce it, the scenario. A setup check first lists every check
with what it measured, passing ones too (KDC round trip per transport, clock skew and its limit,
kvno at the KDC and in the keytab, enctypes). --json prints { "findings": [...] }, plus
"checks": [ { id, title, ok, detail, elapsedMs, measured: [ { label, value, unit?, note? } ] } ]
for a setup check. Exit code 1 when the setup check finds a problem, else 0.`,
  options: {
    message: { type: 'string' },
    exchange: { type: 'string' },
    check: { type: 'boolean' },
    principal: { type: 'string' },
    keytab: { type: 'string' },
    profile: { type: 'string' },
    realm: { type: 'string' },
    'krb5-config': { type: 'string' },
    ccache: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(input) {
    const { values, io } = input;
    const message = await messageFrom(str(input, 'message'), io);
    const exchangeFile = str(input, 'exchange');
    let exchange;
    if (exchangeFile) {
      try {
        exchange = parseExchange(await readFile(exchangeFile, 'utf8'));
      } catch (error) {
        throw new UsageError(`--exchange ${exchangeFile}: ${(error as NodeJS.ErrnoException).code ? fsMessage(error) : (error as Error).message}`, diagnoseCommand);
      }
    }
    const custom = Boolean(values['krb5-config'] || values.ccache);
    const realm = str(input, 'realm');
    const profile = (str(input, 'profile') ?? (custom ? 'custom' : realm ? 'lab' : 'system')) as 'lab' | 'system' | 'custom';
    if (realm && profile !== 'lab') throw new UsageError('--realm picks a lab realm: it goes with --profile lab', diagnoseCommand);
    if (!['lab', 'system', 'custom'].includes(profile)) throw new UsageError('--profile must be lab, system or custom', diagnoseCommand);
    if (custom && profile !== 'custom') throw new UsageError(`--${values['krb5-config'] ? 'krb5-config' : 'ccache'} makes a custom profile; it cannot be combined with --profile ${profile}`, diagnoseCommand);
    const wantsSetup = Boolean(values.check || values.principal || values.keytab || custom || values.profile || realm) || (!message && !exchange);
    const request: DiagnosisInput = {
      ...(message ? { message } : {}),
      ...(exchange ? { exchange } : {}),
      ...(wantsSetup
        ? {
            setup: {
              profile,
              ...(realm ? { realm } : {}),
              ...(str(input, 'principal') ? { principal: str(input, 'principal')! } : {}),
              ...(str(input, 'keytab') ? { keytab: str(input, 'keytab')! } : {}),
              ...(str(input, 'krb5-config') ? { krb5Config: str(input, 'krb5-config')! } : {}),
              ...(str(input, 'ccache') ? { ccache: str(input, 'ccache')! } : {}),
            },
          }
        : {}),
    };
    const diagnosis = await input.engine().api.diagnose.diagnose(request);
    const subject = `the ${profile} profile${realm ? ` of ${realm}` : ''}${request.setup?.principal ? ` for ${request.setup.principal}` : ''}`;
    const asJson = { findings: diagnosis.findings, ...(diagnosis.checks ? { checks: diagnosis.checks } : {}) };
    io.stdout(values.json ? json(asJson) : diagnosisText(diagnosis, subject, palette(useColour(io.isTty, io.env))));
    return wantsSetup && diagnosis.findings.some((f) => f.id.startsWith('env.')) ? EXIT_FAILURE : EXIT_OK;
  },
};

function scenarioLine(result: ScenarioResult, p: Palette): string {
  const mark = result.passed ? p.ok('✓') : p.bad('✗');
  const seconds = (result.elapsedMs / 1000).toFixed(1);
  const head = `${mark} ${result.id} → ${result.topFinding ?? 'no finding'} (${seconds} s)`;
  return `${head}\n    error: ${result.error || '(none)'}${result.problem ? `\n    ${p.bad('problem')}: ${result.problem}` : ''}\n`;
}

/** The JSON contract: { scenarios: [ { id, passed, error, topFinding } ] } (plus details). */
function scenarioJson(result: ScenarioResult) {
  return { id: result.id, passed: result.passed, error: result.error, topFinding: result.topFinding, ...(result.problem ? { problem: result.problem } : {}), elapsedMs: result.elapsedMs };
}

const scenarioList: Command = {
  name: 'list',
  summary: 'the scenarios: what each breaks and which catalog entry it expects',
  usage: ['scenario list [--json]'],
  options: { json: { type: 'boolean' } },
  async run({ values, io, engine }) {
    const scenarios = await engine().api.diagnose.scenarios();
    if (values.json) io.stdout(json({ scenarios }));
    else for (const s of scenarios) io.stdout(`${s.id.padEnd(26)}${s.title} → ${s.expects}\n${' '.repeat(26)}${s.description}\n`);
    return EXIT_OK;
  },
};

async function runScenarios(ids: string[], io: CliIo, run: (id: string) => Promise<ScenarioResult>, asJson: boolean): Promise<ScenarioResult[]> {
  const p = palette(useColour(io.isTty, io.env));
  const results: ScenarioResult[] = [];
  for (const [i, id] of ids.entries()) {
    if (!asJson && ids.length > 1) io.stderr(p.dim(`[${i + 1}/${ids.length}] ${id} …\n`));
    const result = await run(id);
    results.push(result);
    if (!asJson) io.stdout(scenarioLine(result, p));
  }
  return results;
}

const scenarioRun: Command = {
  name: 'run',
  summary: 'break the lab one way, run the real flow, check the diagnosis, restore the lab',
  usage: ['scenario run (ID | --all [--ad]) [--json]'],
  details:
    'Needs the lab realm (brought up if needed). --all runs the scenarios of the MIT lab realm; --all --ad those of the AD lab realm (ad-*: a Samba AD DC, which runs as root). ' +
    'Exit code 1 when a scenario fails.',
  options: { all: { type: 'boolean' }, ad: { type: 'boolean' }, json: { type: 'boolean' } },
  positionals: { min: 0, max: 1 },
  async run({ values, positionals, io, engine }) {
    const api = engine().api.diagnose;
    if (Boolean(values.all) === Boolean(positionals[0])) throw new UsageError('give one scenario ID or --all', scenarioRun);
    if (values.ad && !values.all) throw new UsageError('--ad goes with --all (an AD scenario is run by its ID: ad-…)', scenarioRun);
    // AD scenarios (ad-*) need the AD lab realm, a Samba DC run as root: --all leaves them to --all --ad.
    const ids = values.all ? (await api.scenarios()).map((s) => s.id).filter((id) => id.startsWith('ad-') === Boolean(values.ad)) : [positionals[0]!];
    const results = await runScenarios(ids, io, (id) => api.runScenario({ id }), Boolean(values.json));
    if (values.json) io.stdout(json({ scenarios: results.map(scenarioJson) }));
    else if (results.length > 1) io.stdout(`${results.filter((r) => r.passed).length} of ${results.length} scenarios passed\n`);
    return results.every((r) => r.passed) ? EXIT_OK : EXIT_FAILURE;
  },
};

export const scenarioCommand: Command = {
  name: 'scenario',
  summary: 'reproduce Kerberos failures in the lab realm and check the diagnosis names them',
  usage: [],
  subcommands: [scenarioList, scenarioRun],
};
