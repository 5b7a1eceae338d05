/**
 * EMQX importer: an EMQX configuration (etc/emqx.conf, base.hocon, or just the authentication
 * block) read by the reference HOCON parser, so every value comes with its line; the gssapi
 * authenticator becomes the broker's settings. "Test my config" runs the bench's broker with that
 * principal and the realm's keytab, and authenticates a GSSAPI-KERBEROS client — MIT's texts on
 * failure.
 */
import { systemKrb5Config } from '../../system/krb5-env';
import { runProof } from '../proof';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ImportTestStep } from '../../api/export';
import type { LabStatus } from '../../api/lab';
import type { KerberosProfile } from '../../gss/types';
import { authenticateAgainstEmqxSettings } from '../emqx/broker-run';
import { defaultKeytabName, keytabKeys } from '../emqx/keytab-check';
import { readEmqxEntries } from '../emqx/read';
import { JDK_PACKAGE } from '../../gss/java/launcher';
import { parseHoconWithJava, TYPESAFE_CONFIG_PACKAGE, type HoconParse } from '../hocon';
import type { Importer, ImportReading, ImportSourceText, TestContext } from '../types';

function detect(source: ImportSourceText): string | null {
  if (/\bmechanism\s*[=:]\s*"?gssapi"?/.test(source.text)) return 'mechanism = gssapi (an EMQX authenticator)';
  if (/^\s*authentication\s*[=:]?\s*\[/m.test(source.text)) return 'authentication = [ … ] (an EMQX authentication list)';
  return null;
}

/** The file as com.typesafe.config reads it: on disk where it is (its includes resolve), a dropped file from a private copy. */
async function parse(source: ImportSourceText): Promise<HoconParse> {
  if (source.onDisk) return parseHoconWithJava(source.file);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-emqx-import-'));
  try {
    const copy = path.join(dir, 'emqx.conf');
    await writeFile(copy, source.text, { mode: 0o600 });
    return await parseHoconWithJava(copy);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function read(source: ImportSourceText): Promise<ImportReading> {
  const empty: ImportReading = { files: [source.file], understood: [], unused: [], problems: [], setup: {} };
  let parsed: HoconParse;
  try {
    parsed = await parse(source);
  } catch (error) {
    const message = `the reference HOCON parser could not run: ${(error as Error).message}`;
    empty.problems.push({ file: source.file, line: 1, severity: 'error', message, fix: `sudo apt-get install -y ${TYPESAFE_CONFIG_PACKAGE} ${JDK_PACKAGE}` });
    return empty;
  }
  if (!parsed.ok) {
    // The parser's message starts with "FILE: LINE: "; the problem carries both already.
    const message = parsed.message.replace(/^.*?: \d+: /, '');
    const line = Math.max(parsed.line, 1);
    empty.problems.push({ file: source.file, line, severity: 'error', message: `HOCON does not parse (${parsed.parser}): ${message}`, fix: `correct line ${line}` });
    return empty;
  }
  return { ...empty, ...readEmqxEntries(source.file, parsed.entries) };
}


interface Stage {
  against: string;
  profile: KerberosProfile;
  keytabFile: string;
  krb5Config?: string;
}

/** Whether the lab realm has the principal, and if not, what to add. */
function labKnows(principal: string, lab: LabStatus): { ok: boolean; detail: string } {
  const [name, realm] = principal.split('@') as [string, string | undefined];
  if (realm !== lab.realm) {
    const make = `kbench lab up --realm ${realm}; kbench lab principal add ${name} --random --realm ${realm}`;
    return { ok: false, detail: `the principal's realm ${realm} is not the lab realm ${lab.realm}: test against a lab realm of that name (${make}), or against your own realm` };
  }
  const known = lab.principals.find((p) => p.name === principal);
  if (!known) {
    return { ok: false, detail: `lab realm ${lab.realm} has no principal ${principal}: add it with its key in the lab's service keytab: kbench lab principal add ${name} --random` };
  }
  return { ok: true, detail: `the KDC knows ${principal} (kvno ${known.kvno}, ${known.enctypes.join(', ')})` };
}

/** The lab's service keytab (the test's KRB5_KTNAME) must hold the KDC's kvno. */
async function labKeytabHolds(principal: string, lab: LabStatus, kdcKvno: number): Promise<{ ok: boolean; detail: string }> {
  const file = lab.keytabs.service;
  const keys = await keytabKeys(file, principal);
  if ('error' in keys) return { ok: false, detail: keys.error };
  const kvnos = keys.kvnos.join(', ') || 'none';
  if (keys.kvnos.includes(kdcKvno)) return { ok: true, detail: `${file} (KRB5_KTNAME of the test) holds kvno ${kvnos}; the KDC's is ${kdcKvno}` };
  return { ok: false, detail: `${file} holds kvno ${kvnos} of ${principal}, the KDC's is ${kdcKvno}: the keytab is out of date (kbench lab export-keytab …)` };
}

/** The lab realm stands in for the user's: it must know the principal, and its service keytab must hold its current key. */
async function labStage(principal: string, context: TestContext, steps: ImportTestStep[]): Promise<Stage | null> {
  const lab = context.labStatus!;
  const knows = await runProof(`${principal} in lab realm ${lab.realm}`, async () => labKnows(principal, lab));
  steps.push(knows);
  const known = lab.principals.find((p) => p.name === principal);
  if (!knows.ok || !known) return null;
  steps.push(await runProof(`the default keytab holds ${principal}'s current key`, () => labKeytabHolds(principal, lab, known.kvno)));
  return { against: `lab realm ${lab.realm}`, profile: await context.lab.profile({ realm: lab.realm }), keytabFile: lab.keytabs.service, krb5Config: lab.krb5Conf };
}

/** The user's own realm: the system's krb5.conf and ccache, and the keytab EMQX would read (keytab_file, else the default keytab). */
async function ownStage(reading: ImportReading, steps: ImportTestStep[]): Promise<Stage | null> {
  const krb5Config = systemKrb5Config();
  let keytabFile = reading.setup.serviceKeytab;
  if (!keytabFile) {
    const named = await defaultKeytabName(krb5Config);
    const detail = 'error' in named ? named.error : `MIT names ${named.name} (${krb5Config}${process.env.KRB5_KTNAME ? ', KRB5_KTNAME' : ''})`;
    steps.push({ name: 'the default keytab', ok: !('error' in named), detail });
    if ('error' in named) return null;
    keytabFile = named.name.replace(/^(FILE|WRFILE):/, '');
  }
  return { against: `the realm of ${krb5Config}`, profile: { id: 'import-emqx-own', name: 'System defaults', kind: 'system' }, keytabFile };
}

async function test(reading: ImportReading, context: TestContext): ReturnType<Importer['test']> {
  const principal = reading.setup.broker?.principal;
  const errors = reading.problems.filter((p) => p.severity === 'error');
  const against = context.labStatus ? `lab realm ${context.labStatus.realm}` : 'the imported realm';
  if (!principal || errors.length) {
    const first = errors[0];
    const detail = first ? `${first.file}:${first.line}: ${first.message}${first.fix ? ` — fix: ${first.fix}` : ''}` : 'no gssapi authenticator with a principal was read';
    return { steps: [{ name: 'read the authentication block', ok: false, detail }], against };
  }
  const steps: ImportTestStep[] = [];
  const stage = context.labStatus !== undefined ? await labStage(principal, context, steps) : await ownStage(reading, steps);
  if (!stage) return { steps, against };
  const run = await authenticateAgainstEmqxSettings({
    gss: context.supervisor(),
    profile: stage.profile,
    principal,
    keytabFile: stage.keytabFile,
    ...(stage.krb5Config ? { krb5Config: stage.krb5Config } : {}),
    slot: 'import-emqx-broker',
  });
  steps.push({ name: `the broker with principal ${principal} authenticates a GSSAPI-KERBEROS client`, ok: run.ok, detail: run.detail });
  return { steps, against: stage.against, ...(run.exchange ? { exchange: run.exchange } : {}) };
}

export const emqxImporter: Importer = { format: 'emqx', detect, read, test };
