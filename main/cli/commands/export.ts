/**
 * `kbench export TARGET`: the configuration that worked, as files for the real system, each
 * proven by the real stack first. The command only gathers options and prints: generating,
 * proving and saving are the export service's (the window and web mode call the same).
 */
import path from 'node:path';
import { IMPORT_FORMATS } from '../../api/export';
import type { ExportFrom, ExportOptions, ExportRequest, ExportResult, ExportSaveResult, ExportTargetId, ImportFormat } from '../../api/export';
import { EXIT_FAILURE, EXIT_OK, UsageError, type Command, type CommandInput } from '../command';
import { json, palette, useColour } from '../format';
import { invokeService } from '../invoke';
import { str } from '../password-options';

const TARGETS: readonly ExportTargetId[] = ['emqx', 'krb5', 'elasticsearch', 'hazelcast-xml', 'hazelcast-yaml', 'azure', 'mqttjs', 'java', 'browser'];

const list = (input: CommandInput, name: string): string[] | undefined => {
  const value = input.values[name];
  const items = (Array.isArray(value) ? value : typeof value === 'string' ? [value] : []).flatMap((v) => String(v).split(',')).map((v) => v.trim()).filter(Boolean);
  return items.length ? items : undefined;
};

/** Drops undefined members, so exactOptionalPropertyTypes and the input schemas see only what was given. */
function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined && !(typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0))) as T;
}

function fromOf(input: CommandInput): ExportFrom {
  const profile = str(input, 'profile');
  if (!profile || profile === 'lab') {
    if (input.values.lab && profile && profile !== 'lab') throw new UsageError('give --lab or --profile, not both', exportCommand);
    return defined({ kind: 'lab' as const, realm: str(input, 'realm') });
  }
  if (profile !== 'system' && profile !== 'custom') throw new UsageError(`--profile must be lab, system or custom, not "${profile}"`, exportCommand);
  const file = (name: string) => (str(input, name) ? path.resolve(str(input, name)!) : undefined);
  return defined({
    kind: 'profile' as const,
    profile,
    krb5Config: file('krb5-conf'),
    realm: str(input, 'realm'),
    servicePrincipal: str(input, 'service-principal'),
    serviceKeytab: file('service-keytab'),
    clientPrincipal: str(input, 'client-principal'),
    clientKeytab: file('client-keytab'),
    ccache: file('ccache'),
  });
}

function hazelcastSpn(input: CommandInput): ExportOptions['hazelcastSpn'] {
  const spn = str(input, 'hazelcast-spn');
  if (spn === undefined) return str(input, 'prefix') || str(input, 'address') ? defined({ kind: 'prefix' as const, prefix: str(input, 'prefix'), address: str(input, 'address') }) : undefined;
  if (spn === 'prefix') return defined({ kind: 'prefix' as const, prefix: str(input, 'prefix'), address: str(input, 'address') });
  if (spn === 'canonical') return defined({ kind: 'canonical' as const, prefix: str(input, 'prefix') });
  if (spn.startsWith('static:')) return { kind: 'static', spn: spn.slice('static:'.length) };
  throw new UsageError(`--hazelcast-spn is prefix, canonical or static:SPN, not "${spn}"`, exportCommand);
}

function optionsOf(input: CommandInput): ExportOptions {
  const form = str(input, 'hazelcast-form');
  if (form !== undefined && form !== 'simple' && form !== 'full') throw new UsageError(`--hazelcast-form is simple or full, not "${form}"`, exportCommand);
  const order = str(input, 'es-order');
  if (order !== undefined && !/^\d+$/.test(order)) throw new UsageError(`--es-order is a number, not "${order}"`, exportCommand);
  return defined({
    host: str(input, 'host'),
    mqttUrl: str(input, 'mqtt-url'),
    hazelcastForm: form as ExportOptions['hazelcastForm'],
    hazelcastSpn: hazelcastSpn(input),
    useNameWithoutRealm: input.values['use-name-without-realm'] ? true : undefined,
    elasticsearch: defined({
      realmName: str(input, 'es-realm'),
      order: order === undefined ? undefined : Number(order),
      removeRealmName: input.values['remove-realm-name'] ? true : undefined,
      nodes: list(input, 'node'),
      roles: list(input, 'role'),
    }),
    azure: defined({ chainFile: str(input, 'chain') ? path.resolve(str(input, 'chain')!) : undefined, namespace: str(input, 'namespace') }),
    browser: defined({ allow: list(input, 'allow'), delegate: list(input, 'delegate') }),
  });
}

export function exportRequest(input: CommandInput): ExportRequest {
  const target = input.positionals[0] as ExportTargetId;
  if (!TARGETS.includes(target)) throw new UsageError(`unknown export target "${target}": one of ${TARGETS.join(', ')}`, exportCommand);
  const from = str(input, 'from');
  const exchangeId = str(input, 'exchange');
  if (from && exchangeId) throw new UsageError('give --from FILE or --exchange ID, not both', exportCommand);
  const as = str(input, 'as') as ImportFormat | undefined;
  if (as && !(IMPORT_FORMATS as readonly string[]).includes(as)) throw new UsageError(`--as is one of ${IMPORT_FORMATS.join(', ')}`, exportCommand);
  const imported = str(input, 'import');
  if (as && !imported) throw new UsageError('--as goes with --import FILE', exportCommand);
  return defined({
    target,
    from: fromOf(input),
    exchange: from ? { file: path.resolve(from) } : exchangeId ? { id: exchangeId } : undefined,
    imported: imported ? defined({ file: path.resolve(imported), as }) : undefined,
    revealSecrets: input.values['reveal-secrets'] ? true : undefined,
    prove: input.values['no-prove'] ? false : undefined,
    options: optionsOf(input),
  });
}

function octal(mode: number): string {
  return `0${(mode & 0o777).toString(8)}`;
}

/** Files, proofs, the "known to work" mark and the steps left to do, for a terminal. */
export function exportText(result: ExportResult, saved: ExportSaveResult | null, colour: boolean): string {
  const c = palette(colour);
  const lines = [`${result.title} — from ${result.basis}`];
  if (result.knownToWork) lines.push(c.ok(`Known to work: Exchange ${result.knownToWork.exchangeId} (${result.knownToWork.date}): ${result.knownToWork.summary}`));
  lines.push('', 'Files:');
  for (const file of result.files) {
    const flags = [octal(file.mode), file.redacted ? 'secrets redacted' : '', file.withheld ? `withheld: ${file.withheld}` : ''].filter(Boolean).join(', ');
    lines.push(`  ${file.path}  (${flags})`, `      ${file.purpose}`);
  }
  lines.push('', result.proofs.length ? 'Proofs:' : 'Proofs: not run (--no-prove)');
  for (const proof of result.proofs) {
    const mark = proof.ok ? c.ok('ok  ') : c.bad('FAIL');
    const ms = proof.ms !== undefined ? ` (${proof.ms} ms)` : '';
    lines.push(`  ${mark} ${proof.name}${ms}`, ...proof.detail.split('\n').map((l) => `       ${l}`));
  }
  if (result.notes.length) lines.push('', 'Then, by hand:', ...result.notes.map((n, i) => `  ${i + 1}. ${n}`));
  if (saved) {
    lines.push('', `Written under ${saved.dir}:`, ...saved.written.map((w) => `  ${path.relative(saved.dir, w.path)}  ${octal(w.mode)}  ${w.bytes} bytes`));
    if (saved.withheld.length) lines.push('Not written:', ...saved.withheld.map((w) => `  ${path.relative(saved.dir, w.path)}: ${w.why}`));
  } else {
    for (const file of result.files.filter((f) => f.language !== 'binary')) lines.push('', `──── ${file.path} ────`, file.text.replace(/\n$/, ''));
    lines.push('', 'Nothing written: pass -o DIR to write these files.');
  }
  return `${lines.join('\n')}\n`;
}

export const exportCommand: Command = {
  name: 'export',
  summary: 'export a configuration that worked (EMQX, krb5.conf, Elasticsearch, Hazelcast, Azure, MQTT.js, Java, browsers), proven by the real stack',
  usage: [
    `export ${TARGETS.join('|')} [--lab | --profile system|custom …] [--from EXCHANGE.json | --exchange ID] [--import FILE [--as FORMAT]] [-o DIR] [--reveal-secrets] [--force] [--no-prove] [--json]`,
  ],
  details: `Generates TARGET's files from the lab realm (default, brought up when needed; --realm R for another
lab realm) or your own setup (--profile system|custom with --krb5-conf F, --service-principal P,
--service-keytab F, --client-principal P, --client-keytab F, --ccache F), then proves them on the real
stack: HOCON by com.typesafe.config through Java, krb5.conf by MIT kinit, JAAS and Hazelcast by the Java
engine, Elasticsearch by the bench's endpoint and curl --negotiate, Azure by the bench's chain and MQTT.js,
EMQX by the bench's broker. --from EXCHANGE.json (a saved Exchange) or --exchange ID (this session's)
narrows it to what a successful Exchange used and marks it "known to work". --import FILE starts from
your own configuration (kbench import FILE shows what is understood).
Without -o the files are printed; -o DIR writes them (krb5.conf named so, keytabs 0600) and refuses to
replace a file unless --force. Secrets (keytab bytes, password hashes) are left out unless --reveal-secrets.
Target options: --host H, --mqtt-url URL; Hazelcast --hazelcast-form simple|full, --hazelcast-spn
prefix|canonical|static:SPN, --prefix P, --address A, --use-name-without-realm; Elasticsearch --es-realm
NAME, --es-order N, --remove-realm-name, --node HOST (repeatable), --role ROLE (repeatable); Azure --chain
FILE.yaml, --namespace NS; browser --allow HOST, --delegate HOST (repeatable or comma-separated).
Exit status 1 when a proof failed. --json prints { "files": [ … ], "proofs": [ { "name", "ok", "detail" } ],
"target", "knownToWork", "basis", "notes", "written" }.`,
  options: {
    lab: { type: 'boolean' },
    realm: { type: 'string' },
    profile: { type: 'string' },
    'krb5-conf': { type: 'string' },
    'service-principal': { type: 'string' },
    'service-keytab': { type: 'string' },
    'client-principal': { type: 'string' },
    'client-keytab': { type: 'string' },
    ccache: { type: 'string' },
    from: { type: 'string' },
    exchange: { type: 'string' },
    import: { type: 'string' },
    as: { type: 'string' },
    output: { type: 'string', short: 'o' },
    'reveal-secrets': { type: 'boolean' },
    force: { type: 'boolean' },
    'no-prove': { type: 'boolean' },
    host: { type: 'string' },
    'mqtt-url': { type: 'string' },
    'hazelcast-form': { type: 'string' },
    'hazelcast-spn': { type: 'string' },
    prefix: { type: 'string' },
    address: { type: 'string' },
    'use-name-without-realm': { type: 'boolean' },
    'es-realm': { type: 'string' },
    'es-order': { type: 'string' },
    'remove-realm-name': { type: 'boolean' },
    node: { type: 'string', multiple: true },
    role: { type: 'string', multiple: true },
    chain: { type: 'string' },
    namespace: { type: 'string' },
    allow: { type: 'string', multiple: true },
    delegate: { type: 'string', multiple: true },
    json: { type: 'boolean' },
  },
  positionals: { min: 1, max: 1 },
  async run(input) {
    const { io, values } = input;
    const request = exportRequest(input);
    if (io.stderrIsTty && !values.json) io.stderr(`Generating the ${request.target} export${request.prove === false ? '' : ' and proving it on the real stack'}…\n`);
    const engine = input.engine();
    const result = await invokeService(engine, 'export', 'generate', request);
    const output = str(input, 'output');
    const saved = output ? await invokeService(engine, 'export', 'save', { id: result.id, dir: path.resolve(output), ...(values.force ? { force: true } : {}) }) : null;
    if (values.json) {
      io.stdout(json({ files: result.files, proofs: result.proofs, target: result.target, knownToWork: result.knownToWork, basis: result.basis, notes: result.notes, written: saved?.written ?? [], withheld: saved?.withheld ?? [] }));
    } else {
      io.stdout(exportText(result, saved, useColour(io.isTty, io.env)));
    }
    return result.proven === false ? EXIT_FAILURE : EXIT_OK;
  },
};
