/**
 * `kbench import FILE`: the user's own configuration read into a setup the bench runs — what was
 * understood, what was not used (with its line), the problems — and, with --test, the product's
 * real flow run with it. The importer service does the work.
 */
import path from 'node:path';
import { IMPORT_FORMATS } from '../../api/export';
import type { ImportFormat, ImportResult, ImportTestResult } from '../../api/export';
import { EXIT_FAILURE, EXIT_OK, UsageError, type Command } from '../command';
import { json, padEnd, palette, useColour } from '../format';
import { invokeService } from '../invoke';
import { str } from '../password-options';


function where(file: string, line: number, main: string): string {
  return `${file === main ? path.basename(file) : file}:${line}`;
}

/** What was understood, not used and wrong, each with file:line. */
export function importText(result: ImportResult): string {
  const lines = [`${result.file}: ${result.format} (${result.detectedBy})`];
  if (result.files.length > 1) lines.push(`Read ${result.files.length} files: ${result.files.join(', ')}`);
  // file:line first, in one column: keys run from a few characters to a hundred (Hazelcast's paths).
  const width = Math.max(0, ...[...result.understood, ...result.unused].map((s) => where(s.file, s.line, result.file).length)) + 2;
  lines.push('', `Understood (${result.understood.length}):`);
  for (const s of result.understood) lines.push(`  ${padEnd(where(s.file, s.line, result.file), width)}${s.key} = ${s.value}${s.use ? `  — ${s.use}` : ''}`);
  lines.push('', result.unused.length ? `Not used (${result.unused.length}):` : 'Not used: nothing.');
  for (const u of result.unused) lines.push(`  ${padEnd(where(u.file, u.line, result.file), width)}${u.key}${u.value !== undefined ? ` = ${u.value}` : ''} — ${u.why}`);
  if (result.problems.length) {
    lines.push('', 'Problems:');
    for (const p of result.problems) lines.push(`  ${p.file}:${p.line}: ${p.severity}: ${p.message}`, ...(p.fix ? [`      fix: ${p.fix}`] : []));
  }
  return `${lines.join('\n')}\n`;
}

function testText(test: ImportTestResult, colour: boolean): string {
  const c = palette(colour);
  const lines = ['', `Test against ${test.against}:`];
  for (const step of test.steps) {
    const ms = step.ms !== undefined ? ` (${step.ms} ms)` : '';
    lines.push(`  ${step.ok ? c.ok('ok  ') : c.bad('FAIL')} ${step.name}${ms}`, ...step.detail.split('\n').map((l) => `       ${l}`));
  }
  if (test.exchange) lines.push(`  Exchange ${test.exchange.id}: ${test.exchange.verdict.outcome} — ${test.exchange.verdict.reason}`);
  lines.push(test.ok ? c.ok('Your configuration works.') : c.bad('Your configuration does not work yet: see the failed step.'));
  return `${lines.join('\n')}\n`;
}

export const importCommand: Command = {
  name: 'import',
  summary: 'read your krb5.conf, EMQX, elasticsearch.yml, Hazelcast or Azure configuration into the bench, and test it',
  usage: ['import FILE [--as krb5|emqx|elasticsearch|hazelcast|azure] [--test [--against lab|own] [--realm R]] [--json]'],
  details: `Reads FILE as the product reads it (the format is detected unless --as names it): a krb5.conf with its
include/includedir files, an EMQX authentication block (HOCON, by com.typesafe.config through Java), an
elasticsearch.yml Kerberos realm, a Hazelcast XML or YAML security section, Azure IoT MQ BrokerAuthentication
and BrokerListener YAML. Prints every setting understood with its value and line, every one not used with
its line and why, and the problems with a fix.
--test then runs the real flow with it ("test my config"): against the lab realm (default; its principals
and keytabs stand in where yours are missing, and each step says so) or --against own (your realm as the
file says). Hazelcast: identity login, a ticket for the member SPN, acceptance; EMQX: the bench's broker
with your principal and a client; Elasticsearch: the bench's endpoint with your realm and curl --negotiate.
Exit status 1 when the file has errors or the test failed. --json prints the import result { file, format,
detectedBy, files, understood: [ { key, value, file, line, use } ], unused: [ { key, value, file, line, why } ],
problems, setup } and, with --test, "test": { ok, against, steps: [ { name, ok, detail } ] }.`,
  options: {
    as: { type: 'string' },
    test: { type: 'boolean' },
    against: { type: 'string' },
    realm: { type: 'string' },
    json: { type: 'boolean' },
  },
  positionals: { min: 1, max: 1 },
  async run(input) {
    const { io, values } = input;
    const as = str(input, 'as') as ImportFormat | undefined;
    if (as && !(IMPORT_FORMATS as readonly string[]).includes(as)) throw new UsageError(`--as is one of ${IMPORT_FORMATS.join(', ')}, not "${as}"`, importCommand);
    const against = str(input, 'against');
    if (against && against !== 'lab' && against !== 'own') throw new UsageError(`--against is lab or own, not "${against}"`, importCommand);
    if ((against || str(input, 'realm')) && !values.test) throw new UsageError('--against and --realm go with --test', importCommand);
    const file = { path: path.resolve(input.positionals[0]!) };
    const engine = input.engine();
    if (!values.test) {
      const result = await invokeService(engine, 'importer', 'read', { file, ...(as ? { as } : {}) });
      io.stdout(values.json ? json(result) : importText(result));
      return result.problems.some((p) => p.severity === 'error') ? EXIT_FAILURE : EXIT_OK;
    }
    if (io.stderrIsTty && !values.json) io.stderr('Reading the file and running the real flow with it…\n');
    const target = against === 'own' ? { kind: 'own' as const } : { kind: 'lab' as const, ...(str(input, 'realm') ? { realm: str(input, 'realm')! } : {}) };
    const test = await invokeService(engine, 'importer', 'test', { file, ...(as ? { as } : {}), against: target });
    if (values.json) io.stdout(json({ ...test.import, test: { ok: test.ok, against: test.against, steps: test.steps, ...(test.exchange ? { exchange: test.exchange.id } : {}) } }));
    else io.stdout(importText(test.import) + testText(test, useColour(io.isTty, io.env)));
    return test.ok ? EXIT_OK : EXIT_FAILURE;
  },
};
