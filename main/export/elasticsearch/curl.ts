/**
 * Real curl (`--negotiate -u :`, MIT GSS-API underneath) against a throwaway endpoint, for proofs:
 * the status of the last response, its body, and the command line as the user would type it.
 */
import { profileEnv } from '../../gss/profiles';
import type { KerberosProfile } from '../../gss/types';
import { runTool } from '../../system/exec';

export interface CurlResult {
  /** The last response's status (curl prints every response of a Negotiate exchange); 0 when curl failed. */
  status: number;
  body: string;
  /** "curl --negotiate -u : http://localhost:PORT/…". */
  command: string;
  /** curl's own complaint when it did not finish (not found, timeout, connection refused). */
  error?: string;
}

/** The environment a shell with the profile's ticket has: KRB5_CONFIG, KRB5CCNAME (and a client keytab), no KRB5_TRACE. */
export function clientEnv(profile: KerberosProfile, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...profileEnv({ ...profile, keytab: undefined }), ...extra };
}

/** `curl --negotiate -u : ARGS… URL`, bounded by 10 s. */
export async function curlNegotiate(url: string, env: NodeJS.ProcessEnv, args: string[] = []): Promise<CurlResult> {
  const shown = ['curl', '--negotiate', '-u', ':', ...args, url].join(' ');
  const run = await runTool('curl', ['-sS', '--max-time', '10', '-D', '-', '--negotiate', '-u', ':', ...args, url], { env, timeoutMs: 15_000 });
  const parsed = lastResponse(run.stdout);
  const error = run.ok ? undefined : (run.error ?? (run.stderr.trim() || `curl exited with ${run.code}`));
  return { ...parsed, command: shown, ...(error ? { error } : {}) };
}

/** The last status and the body from `curl -D -` output (header blocks first, then the body). */
export function lastResponse(stdout: string): { status: number; body: string } {
  const blocks = stdout.split(/\r\n\r\n/);
  const headerBlocks: string[] = [];
  while (blocks.length && /^HTTP\/\d(\.\d)? \d{3}/.test(blocks[0]!)) headerBlocks.push(blocks.shift()!);
  const status = Number(/^HTTP\/\d(?:\.\d)? (\d{3})/.exec(headerBlocks.at(-1) ?? '')?.[1] ?? 0);
  return { status, body: blocks.join('\r\n\r\n') };
}

/** A body shortened for a proof's detail. */
export function shortBody(body: string, max = 400): string {
  const flat = body.trim().replace(/\s+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}
