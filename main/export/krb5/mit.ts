/**
 * MIT's own programs as the oracle of a krb5.conf: kinit with a client keytab, klist for the TGT,
 * kvno for a service ticket — each run with KRB5_CONFIG = the file under test and a throwaway
 * ccache (never the user's), and reported with MIT's own text.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { findExecutable, runTool, type ToolRun } from '../../system/exec';

export interface MitStep {
  name: string;
  ok: boolean;
  detail: string;
  ms: number;
}

export interface MitLogin {
  krb5Config: string;
  realm: string;
  client: string;
  /** kinit -k -t KEYTAB; without it kinit asks for a password, fed `password` on stdin. */
  clientKeytab?: string;
  password?: string;
  /** kvno for this service principal once the TGT is there. */
  service?: string;
  /** Each program's limit (a KDC that never answers must not hang a proof). */
  timeoutMs?: number;
}

/** Runs kinit, then klist and kvno when kinit got a TGT. Never throws. */
export async function mitLogin(login: MitLogin): Promise<MitStep[]> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-mit-'));
  const env: NodeJS.ProcessEnv = { ...process.env, KRB5_CONFIG: login.krb5Config, KRB5CCNAME: `FILE:${path.join(dir, 'ccache')}` };
  for (const name of ['KRB5_TRACE', 'KRB5_CLIENT_KTNAME', 'KRB5_KTNAME']) delete env[name];
  const timeoutMs = login.timeoutMs ?? 10_000;
  try {
    const steps: MitStep[] = [];
    const kinitArgs = login.clientKeytab ? ['-k', '-t', login.clientKeytab, login.client] : [login.client];
    const kinit = await run('kinit', kinitArgs, env, timeoutMs, login.password);
    steps.push(step(`kinit ${kinitArgs.join(' ')}`, kinit, `got a TGT for ${login.client}`));
    if (!kinit.run.ok) return steps;
    const klist = await run('klist', [], env, timeoutMs);
    const tgt = `krbtgt/${login.realm}@${login.realm}`;
    const hasTgt = klist.run.ok && klist.run.stdout.includes(tgt);
    steps.push({ ...step('klist', klist, `the ccache holds ${tgt}`), ok: hasTgt, ...(klist.run.ok && !hasTgt ? { detail: `no ${tgt} in the ccache:\n${klist.run.stdout.trim()}` } : {}) });
    if (login.service) {
      const kvno = await run('kvno', [login.service], env, timeoutMs);
      steps.push(step(`kvno ${login.service}`, kvno, kvno.run.stdout.trim() || `a ticket for ${login.service}`));
    }
    return steps;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function run(program: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number, input?: string): Promise<{ run: ToolRun; ms: number }> {
  const started = Date.now();
  const file = (await findExecutable(program, env)) ?? program;
  const result = await runTool(file, args, { env, timeoutMs, ...(input !== undefined ? { input: `${input}\n` } : {}) });
  return { run: result, ms: Date.now() - started };
}

function step(name: string, { run: r, ms }: { run: ToolRun; ms: number }, success: string): MitStep {
  if (r.ok) return { name, ok: true, detail: success, ms };
  // kinit prints its password prompt on stdout; MIT's message is the last line of stderr.
  const said = r.stderr.trim().split('\n').filter(Boolean).pop() ?? r.stdout.trim().split('\n').pop() ?? '';
  const detail = r.error && r.error.includes('no answer') ? `${r.error}: no KDC answered in time (MIT goes on to say "Cannot contact any KDC for realm")` : said || r.error || `exit status ${r.code}`;
  return { name, ok: false, detail, ms };
}
