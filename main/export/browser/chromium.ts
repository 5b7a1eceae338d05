/**
 * Debian's Chromium, headless, loading one URL with the exported flags and printing the page
 * (`--dump-dom`): no driver needed. The browser gets the client's Kerberos environment
 * (KRB5_CONFIG, KRB5CCNAME: its network service loads MIT's libgssapi_krb5 and reads them) and a
 * fresh profile whose Local State says it has met a Negotiate server before
 * (`net.received_http_auth_negotiate_headers`): on Linux, Chromium loads GSSAPI only then, and a
 * fresh profile's first Negotiate challenge would fail with ERR_UNSUPPORTED_AUTH_SCHEME.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runTool } from '../../system/exec';

/** Keeps Chromium from phoning home, which a closed network refuses, and from needing a display. */
const OFFLINE_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

export interface ChromiumRun {
  /** The page's DOM as Chromium printed it; '' when it did not run. */
  dom: string;
  /** The command line, the export's flags as given. */
  command: string;
  /** Why it did not finish (not found, timeout, crash), with its last stderr line. */
  error?: string;
}

export async function chromiumDumpDom(options: { executable: string; flags: string[]; url: string; env: NodeJS.ProcessEnv; extraArgs?: string[] }): Promise<ChromiumRun> {
  const profile = await mkdtemp(path.join(os.tmpdir(), 'kbench-chromium-'));
  try {
    await writeFile(path.join(profile, 'Local State'), JSON.stringify({ net: { received_http_auth_negotiate_headers: true } }));
    const args = [...OFFLINE_FLAGS, `--user-data-dir=${profile}`, ...(options.extraArgs ?? []), ...options.flags, '--dump-dom', options.url];
    const run = await runTool(options.executable, args, { env: { ...options.env, DISPLAY: '', WAYLAND_DISPLAY: '' }, timeoutMs: 45_000 });
    const command = [path.basename(options.executable), '--headless', ...options.flags, '--dump-dom', options.url].join(' ');
    if (run.ok || run.stdout.trim()) return { dom: run.stdout, command };
    const last = run.stderr.trim().split('\n').at(-1) ?? '';
    return { dom: '', command, error: `${run.error ?? `exit ${run.code}`}${last ? `: ${last}` : ''}` };
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
}

/** The text of the page's <pre> (how Chromium shows a JSON response), unescaped; null when there is none. */
export function preText(dom: string): string | null {
  const match = /<pre[^>]*>([\s\S]*?)<\/pre>/i.exec(dom);
  if (!match) return null;
  return match[1]!.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&nbsp;/g, ' ').replace(/&amp;/g, '&');
}
