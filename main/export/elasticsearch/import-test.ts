/**
 * "Test my config" for an imported elasticsearch.yml: a throwaway Elasticsearch-mode endpoint
 * started with that yml (its realm name, remove_realm_name, keytab), then `curl --negotiate -u :`
 * on /_security/_authenticate with the client's ticket — the user name and roles it answers, or
 * the endpoint's own error.
 *
 * Against the lab, the yml's keytab is used when it exists; otherwise the lab's service keytab
 * (HTTP/localhost) stands in, and the step says so. Against the user's own realm, the yml's
 * keytab and the machine's Kerberos configuration are used as they are.
 */
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ImportTestStep } from '../../api/export';
import type { Exchange } from '../../exchange/model';
import { systemProfile } from '../../gss/profiles';
import type { KerberosProfile } from '../../gss/types';
import { findExecutable } from '../../system/exec';
import type { ImportReading, TestContext } from '../types';
import { clientEnv, curlNegotiate, shortBody } from './curl';
import { startThrowawayEsEndpoint } from './endpoint';
import { REALM_PREFIX } from './settings';

interface Plan {
  profile: KerberosProfile;
  keytab?: string;
  kerberosRealm: string | undefined;
  against: string;
  steps: ImportTestStep[];
}

const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );

/** The yml the endpoint loads: the imported file itself when it is on disk, else one written from what was read. */
async function ymlFor(reading: ImportReading, scratch: string): Promise<string> {
  const file = reading.files[0];
  // On disk: the file as the user wrote it, with ES's rules applied by the endpoint's reader.
  if (file && path.isAbsolute(file) && (await exists(file))) return file;
  const realm = reading.setup.elasticsearch!;
  const key = (s: string) => `${REALM_PREFIX}${realm.name}.${s}`;
  const yml = path.join(scratch, 'elasticsearch.yml');
  const text = [`${key('order')}: ${realm.order}`, `${key('keytab.path')}: ${JSON.stringify(realm.keytabPath)}`, `${key('remove_realm_name')}: ${realm.removeRealmName}`, `${key('krb.debug')}: ${realm.krbDebug}`, ''];
  await writeFile(yml, text.join('\n'), { mode: 0o600 });
  return yml;
}

async function plan(reading: ImportReading, context: TestContext, keytabPath: string): Promise<Plan> {
  const keytabThere = path.isAbsolute(keytabPath) && (await exists(keytabPath));
  const status = context.labStatus;
  if (status === undefined) {
    const step = { name: `keytab.path → ${keytabPath}`, ok: keytabThere, detail: keytabThere ? 'the yml\'s keytab is used' : `configured service key tab file [${keytabPath}] does not exist` };
    return { profile: systemProfile(), kerberosRealm: undefined, against: 'the realm as configured (the machine\'s Kerberos configuration)', steps: [step] };
  }
  const profile = await context.lab.profile({ realm: status.realm });
  const against = `lab realm ${status.realm}`;
  if (keytabThere) return { profile, kerberosRealm: status.realm, against, steps: [{ name: `keytab.path → ${keytabPath}`, ok: true, detail: 'the yml\'s keytab is used' }] };
  const detail = `${keytabPath} is not on this machine: the lab's service keytab ${status.keytabs.service} (HTTP/localhost@${status.realm}) stands in for it`;
  return { profile, keytab: status.keytabs.service, kerberosRealm: status.realm, against, steps: [{ name: `keytab.path → ${keytabPath}`, ok: true, detail }] };
}

export async function testElasticsearchYml(reading: ImportReading, context: TestContext): Promise<{ steps: ImportTestStep[]; against: string; exchange?: Exchange }> {
  const realm = reading.setup.elasticsearch;
  if (!realm) return { steps: [{ name: 'read elasticsearch.yml', ok: false, detail: 'no usable Kerberos realm was read from the file' }], against: 'nothing (the file cannot be used)' };
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'kbench-es-test-'));
  try {
    const planned = await plan(reading, context, realm.keytabPath);
    const steps = [...planned.steps];
    if (!steps.every((s) => s.ok)) return { steps, against: planned.against };
    const java = await findExecutable('java');
    const runtime = java ? 'java' : 'mit';
    const started = Date.now();
    const esConfig = await ymlFor(reading, scratch);
    const start = await startThrowawayEsEndpoint({ esConfig, ...(planned.keytab ? { keytab: planned.keytab } : {}), profile: planned.profile, runtime, kerberosRealm: planned.kerberosRealm });
    const loadName = `elasticsearch.yml loaded by the bench's Elasticsearch-mode endpoint (${java ? 'Java GSS' : 'MIT'})`;
    if (!start.ok) {
      steps.push({ name: loadName, ok: false, detail: start.problems.map((p) => `${p.at}: ${p.message}`).join('\n'), ms: Date.now() - started });
      return { steps, against: planned.against };
    }
    const endpoint = start.endpoint;
    try {
      steps.push({ name: loadName, ok: true, detail: `${endpoint.url}: realm ${endpoint.realm.name}, remove_realm_name ${endpoint.realm.removeRealmName}, keytab ${endpoint.keytab}`, ms: Date.now() - started });
      const curlStarted = Date.now();
      const result = await curlNegotiate(`${endpoint.url}/_security/_authenticate`, clientEnv(planned.profile));
      const exchange = endpoint.exchanges().at(-1);
      steps.push(authenticateStep(result, exchange, Date.now() - curlStarted));
      return { steps, against: planned.against, ...(exchange ? { exchange: structuredClone(exchange) } : {}) };
    } finally {
      await endpoint.close();
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

function authenticateStep(result: Awaited<ReturnType<typeof curlNegotiate>>, exchange: Exchange | undefined, ms: number): ImportTestStep {
  const name = 'curl --negotiate -u : /_security/_authenticate';
  if (result.status !== 200) {
    const why = exchange ? String(exchange.meta?.why ?? exchange.verdict.reason ?? '') : (result.error ?? 'the request never reached the endpoint');
    return { name, ok: false, detail: `${result.command} → HTTP ${result.status}: ${shortBody(result.body)}\nthe endpoint: ${why}`, ms };
  }
  const body = JSON.parse(result.body) as { username?: string; roles?: string[] };
  return { name, ok: true, detail: `${result.command} → HTTP 200: username ${body.username}, roles [${(body.roles ?? []).join(', ')}] (no role mappings yet: roles come from PUT /_security/role_mapping)`, ms };
}
