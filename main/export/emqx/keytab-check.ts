/**
 * "Is the principal in the default keytab?" as EMQX meets it: MIT's `klist -k` with the node's
 * krb5.conf names the default keytab (what sasl_auth:krb5_kt_default_name gives EMQX); that
 * keytab must hold the principal's current key, the kvno the KDC hands out today (MIT `kvno`,
 * asked through the same krb5.conf, in a private ticket cache).
 */
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseKvnoOutput } from '../../diagnose/environment/kdc-kvno';
import { fileOf } from '../../gss/profiles';
import { findExecutable, runTool } from '../../system/exec';
import { keytabKeysOf } from '../../system/keytab-file';

const TOOL_TIMEOUT_MS = 15_000;

/** The environment of a tool that must see only the given krb5.conf and ccache (no KRB5_KTNAME: the default keytab is the point). */
function toolEnv(krb5Config: string, ccache?: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined && !/^KRB5/.test(name)) env[name] = value;
  env.KRB5_CONFIG = krb5Config;
  if (ccache) env.KRB5CCNAME = ccache;
  return env;
}

/** The default keytab MIT resolves from a krb5.conf: "FILE:/etc/emqx/mqtt.keytab". */
export async function defaultKeytabName(krb5Config: string): Promise<{ name: string } | { error: string }> {
  const klist = await findExecutable('klist');
  if (!klist) return { error: 'MIT klist is not installed (sudo apt-get install -y krb5-user)' };
  const run = await runTool(klist, ['-k'], { env: toolEnv(krb5Config), timeoutMs: TOOL_TIMEOUT_MS });
  const text = `${run.stdout}\n${run.stderr}`;
  const name = /^Keytab name: (.+)$/m.exec(text)?.[1] ?? /Key table file '([^']+)' not found/.exec(text)?.[1];
  if (!name) return { error: `klist -k with ${krb5Config} did not name a default keytab: ${text.trim() || run.error || `exit code ${run.code}`}` };
  return { name: name.trim() };
}

export interface KvnoClient {
  principal: string;
  /** With a client keytab, a fresh TGT is got for the question (kinit -k -t): no cached service ticket answers it. */
  keytabFile?: string;
  ccache?: string;
}

/**
 * The KDC's current kvno of a principal: MIT kvno through `krb5Config`, in a private ccache (kvno
 * stores the ticket it gets). With the client's keytab the ccache is new, so the answer is the
 * KDC's own; with a copy of the client's ccache a service ticket cached there answers instead.
 */
export async function kdcKvno(principal: string, krb5Config: string, client: KvnoClient): Promise<{ kvno: number; how: string } | { error: string }> {
  const [kvnoTool, kinit] = await Promise.all([findExecutable('kvno'), findExecutable('kinit')]);
  if (!kvnoTool || !kinit) return { error: 'MIT kvno and kinit are not installed (sudo apt-get install -y krb5-user)' };
  const temp = await mkdtemp(path.join(os.tmpdir(), 'kbench-kvno-'));
  const ccache = `FILE:${path.join(temp, 'ccache')}`;
  try {
    let how: string;
    if (client.keytabFile) {
      const run = await runTool(kinit, ['-k', '-t', client.keytabFile, client.principal], { env: toolEnv(krb5Config, ccache), timeoutMs: TOOL_TIMEOUT_MS });
      if (!run.ok) return { error: `kinit -k -t ${client.keytabFile} ${client.principal}: ${(run.stderr.trim() || run.error) ?? `exit code ${run.code}`}` };
      how = `a fresh TGT of ${client.principal} (kinit -k)`;
    } else {
      const file = fileOf(client.ccache);
      if (!file || !file.startsWith('/')) return { error: `no client keytab and no FILE: ccache of ${client.principal} to ask the KDC with` };
      await copyFile(file, path.join(temp, 'ccache'));
      how = `a copy of ${client.ccache}`;
    }
    const run = await runTool(kvnoTool, [principal], { env: toolEnv(krb5Config, ccache), timeoutMs: TOOL_TIMEOUT_MS });
    const answer = parseKvnoOutput(run.stdout);
    if (!answer) return { error: `kvno ${principal}: ${(run.stderr.trim() || run.error) ?? `exit code ${run.code}`}` };
    return { kvno: answer.kvno, how };
  } catch (error) {
    return { error: `kvno ${principal}: ${(error as Error).message}` };
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

/** The principal's key versions and enctypes in a keytab file, or why it could not be read. */
export async function keytabKeys(file: string, principal: string): Promise<{ kvnos: number[]; enctypes: string[] } | { error: string }> {
  try {
    return await keytabKeysOf(file, principal);
  } catch (error) {
    return { error: (error as Error).message };
  }
}
