/**
 * The browser export proven: the policy JSON and the flags read back (and they say the same), the
 * Firefox files read line by line and as JSON, and — when a Chromium is installed — Chromium
 * itself, launched headless with the exported flags and the client's ticket against a throwaway
 * Elasticsearch-mode endpoint, signing in through SPNEGO.
 */
import { runProof, type Outcome } from '../proof';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ExportProof } from '../../api/export';
import { findChromium } from '../../system/chromium';
import { clientEnv, shortBody } from '../elasticsearch/curl';
import { startThrowawayEsEndpoint } from '../elasticsearch/endpoint';
import type { ProofContext } from '../types';
import { chromiumDumpDom, preText } from './chromium';
import { browserSettings, CHROME_POLICY, CHROMIUM_FLAGS, chromiumFlags, FIREFOX_POLICIES, FIREFOX_USER_JS, firefoxList, needsNonFqdn, type BrowserSettings } from './files';
import { chromeAllows, parseUserJs, shellWords } from './parse';


/** A proof of this module: an error it throws is reported as the proof itself failing. */
const timed = (name: string, work: () => Promise<Outcome>) => runProof(name, work, 'the proof itself failed: ');

const read = (ctx: ProofContext, file: string) => readFile(path.join(ctx.dir, file), 'utf8');

export function provePolicy(ctx: ProofContext, s: BrowserSettings): Promise<ExportProof> {
  return timed('chrome-policy.json and chromium-flags.txt read back: AuthServerAllowlist, AuthNegotiateDelegateAllowlist', async () => {
    const policy = JSON.parse(await read(ctx, CHROME_POLICY)) as Record<string, unknown>;
    const keys = Object.keys(policy).sort();
    if (keys.join() !== 'AuthNegotiateDelegateAllowlist,AuthServerAllowlist') return { ok: false, detail: `the policy has the keys ${keys.join(', ')}` };
    if (typeof policy.AuthServerAllowlist !== 'string' || typeof policy.AuthNegotiateDelegateAllowlist !== 'string') return { ok: false, detail: 'both policies are strings (comma-separated host patterns)' };
    const flags = shellWords(await read(ctx, CHROMIUM_FLAGS));
    if (JSON.stringify(flags) !== JSON.stringify(chromiumFlags(s))) return { ok: false, detail: `chromium-flags.txt reads as ${JSON.stringify(flags)}, expected ${JSON.stringify(chromiumFlags(s))}` };
    const allowFlag = flags.find((f) => f.startsWith('--auth-server-allowlist='))!.split('=')[1];
    if (allowFlag !== policy.AuthServerAllowlist) return { ok: false, detail: `the flag allows ${allowFlag}, the policy ${policy.AuthServerAllowlist}` };
    if (!chromeAllows(policy.AuthServerAllowlist, s.host)) {
      return { ok: false, detail: `AuthServerAllowlist "${policy.AuthServerAllowlist}" does not cover ${s.host}, the service's host: Chrome would never answer its Negotiate challenge — add ${s.host} (or a *.domain pattern)` };
    }
    return { ok: true, detail: `AuthServerAllowlist "${policy.AuthServerAllowlist}" (covers ${s.host}), AuthNegotiateDelegateAllowlist "${policy.AuthNegotiateDelegateAllowlist}"${policy.AuthNegotiateDelegateAllowlist ? '' : ' (no delegation)'}; flags ${flags.join(' ')}` };
  });
}

export function proveFirefox(ctx: ProofContext, s: BrowserSettings): Promise<ExportProof> {
  return timed('firefox-user.js read line by line, firefox-policies.json parsed', async () => {
    const reading = parseUserJs(await read(ctx, FIREFOX_USER_JS));
    if (reading.problems.length) return { ok: false, detail: reading.problems.map((p) => `firefox-user.js:${p.line}: ${p.message}`).join('; ') };
    const expected: Record<string, string | boolean> = {
      'network.negotiate-auth.trusted-uris': firefoxList(s.allow),
      'network.negotiate-auth.delegation-uris': firefoxList(s.delegate),
      ...(needsNonFqdn(s.allow) ? { 'network.negotiate-auth.allow-non-fqdn': true } : {}),
    };
    for (const [name, value] of Object.entries(expected)) {
      const got = reading.prefs.get(name);
      if (got?.value !== value) return { ok: false, detail: `${name} is ${got ? JSON.stringify(got.value) : 'not set'}, expected ${JSON.stringify(value)}` };
    }
    const policies = JSON.parse(await read(ctx, FIREFOX_POLICIES)) as { policies?: { Authentication?: { SPNEGO?: string[] } } };
    const spnego = policies.policies?.Authentication?.SPNEGO ?? [];
    if (spnego.join(',') !== firefoxList(s.allow)) return { ok: false, detail: `policies.json allows SPNEGO for ${JSON.stringify(spnego)}, expected ${firefoxList(s.allow)}` };
    const lines = [...reading.prefs].map(([name, p]) => `${name} = ${JSON.stringify(p.value)} (line ${p.line})`);
    return { ok: true, detail: `${lines.join('; ')}; policies.json Authentication.SPNEGO ${JSON.stringify(spnego)}` };
  });
}

/** The service's keytab for the throwaway endpoint: the export's own bytes, or the keytab file they came from. */
async function serviceKeytab(ctx: ProofContext, scratch: string): Promise<string | null> {
  if (ctx.model.http.keytab) {
    const file = path.join(scratch, 'http.keytab');
    await writeFile(file, ctx.model.http.keytab, { mode: 0o600 });
    return file;
  }
  return ctx.model.http.keytabFile?.replace(/^(FILE|WRFILE):/, '') ?? null;
}

export async function proveChromium(ctx: ProofContext, s: BrowserSettings): Promise<ExportProof> {
  const executable = await findChromium();
  const name = 'Chromium with the exported flags signs in through SPNEGO';
  // Opt-in by presence: without a Chromium the proof is not run, and says so in its name and detail.
  if (!executable) return { name: 'Chromium sign-in: not run', ok: true, detail: 'no Chromium on this machine (install Debian\'s chromium, or set KBENCH_CHROMIUM); the policy and Firefox files were read back above' };
  return timed(name, async () => {
    const scratch = await mkdtemp(path.join(os.tmpdir(), 'kbench-browser-proof-'));
    try {
      const keytab = await serviceKeytab(ctx, scratch);
      if (!keytab) return { ok: false, detail: `no keytab for ${ctx.model.http.principal}: the endpoint the browser signs in to needs one` };
      const start = await startThrowawayEsEndpoint({ keytab, profile: ctx.profile, runtime: 'mit', kerberosRealm: ctx.model.realm });
      if (!start.ok) return { ok: false, detail: `the endpoint did not start: ${start.problems.map((p) => `${p.at}: ${p.message}`).join('; ')}` };
      const endpoint = start.endpoint;
      try {
        return await signIn(ctx, s, executable, endpoint.port, () => endpoint.exchanges());
      } finally {
        await endpoint.close();
      }
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });
}

async function signIn(ctx: ProofContext, s: BrowserSettings, executable: string, port: number, exchanges: () => readonly { meta?: Record<string, unknown>; verdict: { outcome: string; reason?: string } }[]): Promise<Outcome> {
  const flags = shellWords(await read(ctx, CHROMIUM_FLAGS));
  // The service's own host name, resolved to the throwaway endpoint: Chromium asks for HTTP/<host>.
  const extraArgs = s.host === 'localhost' ? [] : [`--host-resolver-rules=MAP ${s.host} 127.0.0.1`];
  const url = `http://${s.host}:${port}/_security/_authenticate`;
  const run = await chromiumDumpDom({ executable, flags, url, env: clientEnv(ctx.profile), extraArgs });
  if (run.error) return { ok: false, detail: `${run.command}: ${run.error}` };
  const text = preText(run.dom);
  const last = exchanges().at(-1);
  const endpointSaid = last ? `the endpoint: ${String(last.meta?.why ?? last.verdict.reason ?? '')}` : 'no request reached the endpoint';
  const body = text ? (JSON.parse(text) as { username?: string; error?: { reason?: string } }) : null;
  if (!body?.username) return { ok: false, detail: `${run.command} printed ${shortBody(text ?? run.dom)} — ${endpointSaid}` };
  if (body.username !== ctx.model.client.principal) return { ok: false, detail: `signed in as ${body.username}, expected ${ctx.model.client.principal}` };
  return { ok: true, detail: `${run.command} → ${shortBody(text!, 200)} (${endpointSaid})` };
}

export async function proveBrowser(ctx: ProofContext): Promise<ExportProof[]> {
  const s = browserSettings(ctx.model);
  const [policy, firefox] = await Promise.all([provePolicy(ctx, s), proveFirefox(ctx, s)]);
  // A browser that may not answer the host's challenge cannot sign in: no need to launch one to see it.
  if (!chromeAllows(s.allow.join(','), s.host)) {
    return [policy, firefox, { name: 'Chromium sign-in: not run', ok: false, detail: `the allowlist ${s.allow.join(',')} does not cover ${s.host}: Chromium would not answer its Negotiate challenge` }];
  }
  return [policy, firefox, await proveChromium(ctx, s)];
}
