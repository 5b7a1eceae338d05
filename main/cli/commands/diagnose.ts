/**
 * `kbench diagnose`: an error message, a saved Exchange or a setup → ranked causes and fixes.
 * `kbench scenario`: reproduce catalog entries against the lab realm and check the diagnosis.
 */
import { readFile } from 'node:fs/promises';
import type { Diagnosis, DiagnosisInput, Finding, ScenarioResult } from '../../api/diagnose';
import { parseExchange } from '../../exchange/serialize';
import { fsMessage } from '../../system/files';
import { logSafe } from '../../system/log-safe';
import { EXIT_FAILURE, EXIT_OK, UsageError, type CliIo, type Command } from '../command';
import { json, palette, useColour, type Palette } from '../format';
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

function diagnosisText(diagnosis: Diagnosis, p: Palette): string {
  return [`${diagnosis.summary}\n`, ...diagnosis.findings.map((f, i) => `\n${findingText(f, i + 1, p)}`)].join('');
}

async function messageFrom(value: string | undefined, io: CliIoWithStdin): Promise<string | undefined> {
  if (value === undefined) return undefined;
  return value === '-' ? readStdin(io) : value;
}

export const diagnoseCommand: Command = {
  name: 'diagnose',
  summary: 'map a Kerberos error, a failed Exchange or your setup to causes and fixes',
  usage: ['diagnose [--message TEXT|-] [--exchange FILE] [--check] [--principal P] [--keytab KT] [--profile lab|system|custom] [--krb5-config F] [--ccache F] [--json]'],
  details: `--message takes an error message or a log excerpt (KRB5_TRACE lines welcome); "-" reads it
from standard input: \`kinit alice 2>&1 | kbench diagnose --message -\`. --exchange takes an Exchange
saved by the bench (broker, probe, SASL). Without either, or with --check, --principal or
--keytab, it checks the setup of a profile (default system: your environment and krb5.conf):
krb5.conf, KDC reachability and clock, DNS of the service host, the keytab against the KDC, the
ccache. Findings are ranked best first, each with its cause, a fix (commands to copy), the
evidence and, when the bench can reproduce it, the scenario. --json prints { "findings": [...] }.
Exit code 1 when the setup check finds a problem, else 0.`,
  options: {
    message: { type: 'string' },
    exchange: { type: 'string' },
    check: { type: 'boolean' },
    principal: { type: 'string' },
    keytab: { type: 'string' },
    profile: { type: 'string' },
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
    const profile = (str(input, 'profile') ?? (custom ? 'custom' : 'system')) as 'lab' | 'system' | 'custom';
    if (!['lab', 'system', 'custom'].includes(profile)) throw new UsageError('--profile must be lab, system or custom', diagnoseCommand);
    if (custom && profile !== 'custom') throw new UsageError(`--${values['krb5-config'] ? 'krb5-config' : 'ccache'} makes a custom profile; it cannot be combined with --profile ${profile}`, diagnoseCommand);
    const wantsSetup = Boolean(values.check || values.principal || values.keytab || custom || values.profile) || (!message && !exchange);
    const request: DiagnosisInput = {
      ...(message ? { message } : {}),
      ...(exchange ? { exchange } : {}),
      ...(wantsSetup
        ? {
            setup: {
              profile,
              ...(str(input, 'principal') ? { principal: str(input, 'principal')! } : {}),
              ...(str(input, 'keytab') ? { keytab: str(input, 'keytab')! } : {}),
              ...(str(input, 'krb5-config') ? { krb5Config: str(input, 'krb5-config')! } : {}),
              ...(str(input, 'ccache') ? { ccache: str(input, 'ccache')! } : {}),
            },
          }
        : {}),
    };
    const diagnosis = await input.engine().api.diagnose.diagnose(request);
    io.stdout(values.json ? json({ findings: diagnosis.findings }) : diagnosisText(diagnosis, palette(useColour(io.isTty, io.env))));
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
  usage: ['scenario run (ID | --all) [--json]'],
  details: 'Needs the lab realm (brought up if needed). Exit code 1 when a scenario fails.',
  options: { all: { type: 'boolean' }, json: { type: 'boolean' } },
  positionals: { min: 0, max: 1 },
  async run({ values, positionals, io, engine }) {
    const api = engine().api.diagnose;
    if (Boolean(values.all) === Boolean(positionals[0])) throw new UsageError('give one scenario ID or --all', scenarioRun);
    const ids = values.all ? (await api.scenarios()).map((s) => s.id) : [positionals[0]!];
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
