/**
 * The Elasticsearch export proven on the bench's own stack:
 *   1. elasticsearch.yml read back by the bench's ES settings reader (ES's rules, file:line) and by `yaml`;
 *   2. role-mapping.json by JSON.parse and the bench's role-mapping validator (ES's parse errors),
 *      and evaluated for the client the proofs log in as;
 *   3. krb5.conf and the keytab by MIT kinit + kvno -k (kvno-proof.ts);
 *   4. the files loaded by a throwaway Elasticsearch-mode endpoint — the yml as esConfig, the
 *      exported keytab, the exported krb5.conf as the JVM's java.security.krb5.conf (Java GSS, as
 *      ES runs; MIT when there is no java) — role-mapping.sh run against it, then
 *      `curl --negotiate -u :` with the client's ticket on /_security/_authenticate.
 */
import { runProof, type Outcome } from '../proof';
import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { ExportProof } from '../../api/export';
import { kerberosUser } from '../../http/es/authenticate';
import { parseRoleMapping, testRoleMappings } from '../../http/es/role-mapping';
import { parseEsKerberosSettings } from '../../http/es/settings';
import { findExecutable, runTool } from '../../system/exec';
import type { ProofContext } from '../types';
import { clientEnv, curlNegotiate, shortBody } from './curl';
import { startThrowawayEsEndpoint, type ThrowawayEsEndpoint } from './endpoint';
import { KRB5_CONF, ROLE_MAPPING_JSON, ROLE_MAPPING_SH, YML } from './files';
import { proveKvno } from './kvno-proof';
import { esExportSettings, esUsername, REALM_PREFIX, ROLE_MAPPING_NAME, type EsExportSettings } from './settings';


/** A proof of this module: an error it throws is reported as the proof itself failing. */
const timed = (name: string, work: () => Promise<Outcome>) => runProof(name, work, 'the proof itself failed: ');

const fileText = (ctx: ProofContext, relative: string) => readFile(path.join(ctx.dir, relative), 'utf8');

export function proveYml(ctx: ProofContext, s: EsExportSettings): Promise<ExportProof> {
  return timed('elasticsearch.yml read back by the bench\'s ES settings reader and by yaml', async () => {
    const file = path.join(ctx.dir, YML);
    const text = await readFile(file, 'utf8');
    const read = parseEsKerberosSettings(text, file);
    if (!read.ok) return { ok: false, detail: `the settings reader refused it: ${read.problems.map((p) => `${p.at}: ${p.message}`).join('; ')}` };
    const { realm } = read;
    const expected = { name: s.name, order: s.order, removeRealmName: s.removeRealmName, krbDebug: s.krbDebug, keytabPath: path.resolve(path.dirname(file), s.keytabPath) };
    const got = { name: realm.name, order: realm.order, removeRealmName: realm.removeRealmName, krbDebug: realm.krbDebug, keytabPath: realm.keytabPath };
    if (JSON.stringify(got) !== JSON.stringify(expected)) return { ok: false, detail: `read back ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}` };
    const flat = parseYaml(text) as Record<string, unknown>;
    const key = `${REALM_PREFIX}${s.name}.order`;
    if (flat[key] !== s.order) return { ok: false, detail: `yaml reads ${key} as ${JSON.stringify(flat[key])}, expected ${s.order}` };
    const keytab = path.relative(path.dirname(file), realm.keytabPath);
    return { ok: true, detail: `realm ${realm.name} (${realm.lines.realm}): order ${realm.order}, keytab.path → <config dir>/${keytab}, remove_realm_name ${realm.removeRealmName}, krb.debug ${realm.krbDebug}; yaml reads ${Object.keys(flat).length} settings` };
  });
}

export function proveRoleMappingJson(ctx: ProofContext, s: EsExportSettings): Promise<ExportProof> {
  return timed('role-mapping.json parsed and checked by the bench\'s ES role-mapping validator', async () => {
    const text = await fileText(ctx, ROLE_MAPPING_JSON);
    JSON.parse(text);
    const parsed = parseRoleMapping(ROLE_MAPPING_NAME, text);
    if (!parsed.ok) return { ok: false, detail: `ES would refuse it (${parsed.error.status}): ${parsed.error.error.reason}` };
    const user = kerberosUser(ctx.model.client.principal, { name: s.name, removeRealmName: s.removeRealmName });
    const evaluation = testRoleMappings({ [ROLE_MAPPING_NAME]: parsed.mapping }, user);
    const missing = s.roles.filter((r) => !evaluation.roles.includes(r));
    if (missing.length) return { ok: false, detail: `the mapping does not grant ${missing.join(', ')} to ${user.username}: ${evaluation.mappings[0]?.why ?? ''}` };
    return { ok: true, detail: `valid; for ${user.username} (realm ${s.name}): ${evaluation.mappings[0]?.why ?? ''}` };
  });
}

/** The exported keytab, or — when it was withheld or missing — none (the proof says why). */
async function exportedKeytab(ctx: ProofContext, s: EsExportSettings): Promise<string | null> {
  const file = path.join(ctx.dir, s.keytabFile);
  return access(file).then(
    () => file,
    () => null,
  );
}

/** The endpoint, role-mapping.sh and curl: three proofs on one throwaway endpoint. */
export async function proveOnEndpoint(ctx: ProofContext, s: EsExportSettings): Promise<ExportProof[]> {
  const java = await findExecutable('java');
  const runtime = java ? 'java' : 'mit';
  const stack = java ? 'Java GSS, java.security.krb5.conf = the exported krb5.conf' : 'MIT GSS-API (no java on this machine), KRB5_CONFIG = the exported krb5.conf';
  const name = `loaded by the bench's Elasticsearch-mode endpoint (${runtime === 'java' ? 'Java GSS' : 'MIT'})`;
  const started = Date.now();
  // The yml's keytab.path names it; a withheld keytab was never written, and the endpoint would say only "does not exist".
  if (!(await exportedKeytab(ctx, s))) return [{ name, ok: false, detail: `${s.keytabFile} is not in the export (${ctx.files.find((f) => f.path === s.keytabFile)?.withheld ?? 'no keytab'}): nothing to accept tickets with` }];
  const start = await startThrowawayEsEndpoint({
    esConfig: path.join(ctx.dir, YML),
    profile: { ...ctx.profile, krb5Config: path.join(ctx.dir, KRB5_CONF) },
    runtime,
    kerberosRealm: ctx.model.realm,
  });
  if (!start.ok) return [{ name, ok: false, detail: `the endpoint refused the files: ${start.problems.map((p) => `${p.at}: ${p.message}`).join('; ')}`, ms: Date.now() - started }];
  const endpoint = start.endpoint;
  try {
    const loaded: ExportProof = { name, ok: true, detail: `${endpoint.url}: realm ${endpoint.realm.name} from ${endpoint.realm.lines.realm}, keytab ${path.relative(ctx.dir, endpoint.keytab)} (${stack})`, ms: Date.now() - started };
    const env = clientEnv(ctx.profile);
    const put = await proveScript(ctx, endpoint, env);
    const who = await proveAuthenticate(ctx, endpoint, env, s);
    return [loaded, put, who];
  } finally {
    await endpoint.close();
  }
}

function proveScript(ctx: ProofContext, endpoint: ThrowawayEsEndpoint, env: NodeJS.ProcessEnv): Promise<ExportProof> {
  return timed(`role-mapping.sh: PUT /_security/role_mapping/${ROLE_MAPPING_NAME} through the endpoint (curl --negotiate)`, async () => {
    const run = await runTool('sh', [path.join(ctx.dir, ROLE_MAPPING_SH)], { env: { ...env, ES_URL: endpoint.url }, timeoutMs: 20_000 });
    const said = shortBody(`${run.stdout}${run.stderr}`);
    const status = Number(/HTTP (\d{3})\s*$/.exec(run.stdout)?.[1] ?? 0);
    if (!run.ok || status !== 200) return { ok: false, detail: `ES_URL=${endpoint.url} sh role-mapping.sh → ${run.error ?? `exit ${run.code}`}, HTTP ${status}: ${said}` };
    return { ok: true, detail: `ES_URL=${endpoint.url} sh role-mapping.sh printed: ${said}` };
  });
}

function proveAuthenticate(ctx: ProofContext, endpoint: ThrowawayEsEndpoint, env: NodeJS.ProcessEnv, s: EsExportSettings): Promise<ExportProof> {
  const username = esUsername(ctx.model.client.principal, s.removeRealmName);
  return timed(`curl --negotiate authenticated as ${username} with roles [${s.roles.join(', ')}]`, async () => {
    const result = await curlNegotiate(`${endpoint.url}/_security/_authenticate`, env);
    const printed = `${result.command} → HTTP ${result.status}: ${shortBody(result.body)}`;
    if (result.status !== 200) return { ok: false, detail: `${printed}${result.error ? ` (curl: ${result.error})` : ''}${whyRefused(endpoint)}${fixFor(ctx, result.body)}` };
    const body = JSON.parse(result.body) as { username?: string; roles?: string[] };
    const roles = [...(body.roles ?? [])].sort();
    const expected = [...s.roles].sort();
    if (body.username !== username || JSON.stringify(roles) !== JSON.stringify(expected)) {
      return { ok: false, detail: `${printed} — expected username ${username} and roles [${expected.join(', ')}]` };
    }
    return { ok: true, detail: printed };
  });
}

/** The endpoint's own account of the last refused request. */
function whyRefused(endpoint: ThrowawayEsEndpoint): string {
  const last = endpoint.exchanges().at(-1);
  return last ? ` — the endpoint: ${String(last.meta?.why ?? last.verdict.reason ?? '')}` : ' — the request never reached the endpoint';
}

/** What to change, for the refusals whose cause is known. */
function fixFor(ctx: ProofContext, body: string): string {
  const spn = ctx.model.http.principal;
  if (/Checksum failed|Cannot find key|Specified version of key is not available|Integrity check on decrypted field failed/.test(body)) {
    return ` — fix: the keytab does not hold the current key of ${spn} (the ticket's service): export it again (ktadd -norandkey, or kbench lab export-keytab)`;
  }
  if (/missing authentication credentials/.test(body)) return ` — fix: curl had no ticket to send: kinit ${ctx.model.client.principal} (KRB5CCNAME) first`;
  return '';
}

export async function proveElasticsearch(ctx: ProofContext): Promise<ExportProof[]> {
  const s = esExportSettings(ctx.model);
  const [yml, json, kvno] = await Promise.all([proveYml(ctx, s), proveRoleMappingJson(ctx, s), proveKvno(ctx, s)]);
  return [yml, json, kvno, ...(await proveOnEndpoint(ctx, s))];
}
