/**
 * Hazelcast importer: a hazelcast.xml or hazelcast.yaml (or just its security section) read into
 * HazelcastSecurity, every setting with its line; "test my config" runs the section on the Java
 * engine as a member would: identity login, ticket for the member SPN, acceptance.
 */
import { systemKrb5Config } from '../../system/krb5-env';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ImportSetup } from '../../api/export';
import type { HazelcastSecurity } from '../../api/hazelcast';
import { runHazelcastFlow, type StandIns } from '../hazelcast/flow';
import { readSecurity } from '../hazelcast/read';
import { authenticationOptions, identityOptions, memberRealm } from '../hazelcast/security';
import { readXml } from '../hazelcast/xml';
import { readYaml } from '../hazelcast/yaml';
import type { Importer, ImportReading, ImportSourceText, TestContext } from '../types';

/** The address of the member the test connects to: the lab's hz/127.0.0.1. */
const LAB_MEMBER_ADDRESS = '127.0.0.1';

function isXml(text: string): boolean {
  return text.trimStart().startsWith('<');
}

function detect(source: ImportSourceText): string | null {
  const text = source.text;
  if (isXml(text)) {
    if (/<(?:[\w.-]+:)?hazelcast[\s>]/.test(text)) return 'a <hazelcast> root element';
    if (/<(?:[\w.-]+:)?security[\s>]/.test(text) && /<(?:[\w.-]+:)?realms?[\s>]/.test(text)) return 'a <security> element with realms';
    return null;
  }
  if (/^hazelcast:\s*(#.*)?$/m.test(text)) return 'hazelcast: at the top (YAML)';
  if (/^security:\s*(#.*)?$/m.test(text) && /^\s+realms:/m.test(text)) return 'security: with realms (YAML)';
  return null;
}

/** What the member realm sets up on the bench: its principals, keytabs and realm. */
function setupOf(security: HazelcastSecurity): ImportSetup {
  const realm = memberRealm(security);
  const identity = identityOptions(security, realm).options;
  const acceptor = authenticationOptions(security, realm).options;
  const setup: ImportSetup = { hazelcast: security };
  const servicePrincipal = acceptor?.principal;
  const realmName = realm?.identity?.realm ?? servicePrincipal?.split('@')[1];
  if (realmName) setup.realm = realmName;
  if (servicePrincipal) setup.servicePrincipal = servicePrincipal;
  if (acceptor?.keyTab) setup.serviceKeytab = acceptor.keyTab;
  if (identity?.principal) setup.clientPrincipal = identity.principal;
  if (identity?.keyTab) setup.clientKeytab = identity.keyTab;
  return setup;
}

async function read(source: ImportSourceText): Promise<ImportReading> {
  const parsed = isXml(source.text) ? readXml(source.text) : readYaml(source.text);
  const empty: ImportReading = { files: [source.file], understood: [], unused: [], problems: [], setup: {} };
  if ('error' in parsed) {
    const kind = isXml(source.text) ? 'XML is not well-formed' : 'YAML does not parse';
    empty.problems.push({ file: source.file, line: parsed.error.line, severity: 'error', message: `${kind}: ${parsed.error.message}`, fix: `correct line ${parsed.error.line}` });
    return empty;
  }
  const reading = readSecurity(parsed.root, source.file);
  return { ...empty, understood: reading.understood, unused: reading.unused, problems: reading.problems, setup: reading.security ? setupOf(reading.security) : {} };
}

async function labStandIns(context: TestContext): Promise<{ standIns: StandIns; krb5Config: string }> {
  const lab = context.labStatus!;
  const principal = `hz/${LAB_MEMBER_ADDRESS}@${lab.realm}`;
  const standIns: StandIns = { against: `lab realm ${lab.realm}`, realm: lab.realm, principal, keytab: lab.keytabs.service, known: new Set(lab.principals.map((p) => p.name)), replaceSpn: true };
  return { standIns, krb5Config: lab.krb5Conf };
}

function ownStandIns(security: HazelcastSecurity): { standIns: StandIns; krb5Config: string } {
  const realm = memberRealm(security)?.identity?.realm ?? '';
  const krb5Config = systemKrb5Config();
  return { standIns: { against: `realm ${realm || '(default)'}`, realm, principal: '', keytab: '', known: null }, krb5Config };
}

async function test(reading: ImportReading, context: TestContext): ReturnType<Importer['test']> {
  const security = reading.setup.hazelcast;
  const errors = reading.problems.filter((p) => p.severity === 'error');
  const labRun = context.labStatus !== undefined;
  if (!security || errors.length) {
    const first = errors[0];
    const detail = first ? `${first.file}:${first.line}: ${first.message}${first.fix ? ` — fix: ${first.fix}` : ''}` : 'no Hazelcast security section was read';
    return { steps: [{ name: 'read the security section', ok: false, detail }], against: labRun ? `lab realm ${context.labStatus!.realm}` : 'the imported realm' };
  }
  const { standIns, krb5Config } = labRun ? await labStandIns(context) : ownStandIns(security);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-hz-test-'));
  try {
    const steps = await runHazelcastFlow({ security, supervisor: context.supervisor, krb5Config, dir, address: LAB_MEMBER_ADDRESS, standIns, profileId: 'import:hazelcast' });
    return { steps, against: standIns.against };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export const hazelcastImporter: Importer = { format: 'hazelcast', detect, read, test };
