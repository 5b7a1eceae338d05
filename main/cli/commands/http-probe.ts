/**
 * `kbench http probe URL`: GET a URL with Negotiate through the `negotiate` service and print every
 * hop's headers, the tokens, mutual authentication, NTLM notes and the SPN predictions.
 */
import { createInterface } from 'node:readline';
import type { HttpHop, NegotiateProbeOptions, NegotiateProbeView, SpnPredictionReport } from '../../api/http';
import type { Engine } from '../../engine';
import type { ExchangeStep } from '../../api';
import { logSafe } from '../../system/log-safe';
import { EXIT_FAILURE, EXIT_OK, UsageError, type CliIo, type Command, type CommandInput } from '../command';
import { json, palette, useColour } from '../format';
import { invokeService } from '../invoke';
import { passwordFrom, str } from '../password-options';

/** A long header value (a Negotiate token) shortened for the terminal; --json has it whole. */
const shorten = (value: string) => (value.length > 100 ? `${value.slice(0, 96)}… (${value.length} chars)` : value);

function hopText(hop: HttpHop, index: number): string[] {
  const lines = [`#${index + 1} ${hop.method} ${logSafe(hop.url)}`];
  for (const [name, value] of hop.requestHeaders) lines.push(`  > ${logSafe(name)}: ${logSafe(shorten(value))}`);
  if (hop.status !== undefined) lines.push(`  < ${hop.status} ${logSafe(hop.statusText ?? '')}`);
  for (const [name, value] of hop.responseHeaders ?? []) lines.push(`  < ${logSafe(name)}: ${logSafe(shorten(value))}`);
  if (hop.note) lines.push(`  = ${logSafe(hop.note)}`);
  return lines;
}

function stepText(step: ExchangeStep): string {
  const arrow = step.direction === 'client-to-server' ? 'C →' : '← S';
  const kind = step.tokenKind ? `: ${step.tokenKind}` : '';
  const size = step.token ? ` (${Buffer.from(step.token, 'base64').length} bytes)` : '';
  const error = step.error && step.error !== step.summary ? `  ! ${logSafe(step.error)}` : '';
  return `  ${arrow} ${step.transport.packet}${kind}${size}${step.summary ? ` — ${logSafe(step.summary)}` : ''}${error}`;
}

/** The predictions and checks, shared with `kbench spn predict`. */
export function spnText(report: SpnPredictionReport): string[] {
  const lines = [`SPNs for ${logSafe(report.url)} (host ${logSafe(report.host)}${report.hostIsAddress ? ', an IP address' : ''}, port ${report.port}${report.nonDefaultPort ? ', not the default' : ''}):`];
  for (const p of report.predictions) {
    lines.push(`  ${p.client.padEnd(9)} ${logSafe(p.spn)}${p.noKerberos ? `  (no Kerberos: ${logSafe(p.noKerberos)})` : ''}`);
    for (const step of p.steps) lines.push(`            · ${logSafe(step)}`);
  }
  for (const check of report.checks) {
    const known = check.kdcKnows === undefined ? 'KDC not asked' : check.kdcKnows ? `KDC knows it (kvno ${check.kdcKvno ?? '?'})` : 'KDC does not know it';
    const keytab = check.keytabHoldsCurrentKey === undefined ? '' : check.keytabHoldsCurrentKey ? ', keytab holds the current key' : ', keytab lacks the current key';
    lines.push(`  check ${logSafe(check.spn)}: ${known}${keytab}`);
    for (const note of check.notes) lines.push(`            · ${logSafe(note)}`);
  }
  return lines;
}

function viewText(view: NegotiateProbeView, colour: boolean): string {
  const p = palette(colour);
  const { verdict } = view.exchange;
  const lines = view.hops.flatMap(hopText);
  lines.push('Tokens:', ...view.exchange.steps.map(stepText));
  const mark = verdict.outcome === 'success' ? p.ok('✓') : p.bad('✗');
  lines.push(`${mark} ${verdict.outcome}${verdict.code ? ` (${verdict.code})` : ''}: ${logSafe(verdict.reason)}`);
  lines.push(`Mutual authentication: ${view.mutual}`);
  if (view.ntlm) lines.push(`NTLM: ${logSafe(view.ntlm)}`);
  lines.push(...spnText(view.spn));
  return `${lines.join('\n')}\n`;
}

async function waitUntilSettled(engine: Engine, id: string, io: CliIo, step: boolean): Promise<NegotiateProbeView> {
  const prompt = step ? createInterface({ input: process.stdin }) : undefined;
  // Lines typed (or piped) ahead of a question wait in the iterator instead of being lost.
  const lines = prompt?.[Symbol.asyncIterator]();
  try {
    for (;;) {
      const view = await invokeService(engine, 'negotiate', 'view', id);
      if (view.state === 'waiting' && lines && view.pending) {
        const { pending } = view;
        const auth = pending.hop.requestHeaders.find(([n]) => n === 'Authorization');
        io.stderr(`next: ${logSafe(pending.description)}${auth ? `\n  Authorization: ${logSafe(shorten(auth[1]))}` : ''}\n— Enter to send `);
        // End of input sends the rest as if Enter was pressed.
        await lines.next();
        io.stderr('\n');
        await invokeService(engine, 'negotiate', 'next', id);
        continue;
      }
      if (view.state !== 'running' && view.state !== 'waiting') return view;
      await new Promise((r) => setTimeout(r, 25));
    }
  } finally {
    prompt?.close();
  }
}

async function optionsFrom(input: CommandInput, url: string): Promise<NegotiateProbeOptions> {
  const { values } = input;
  const customPaths = { krb5Config: str(input, 'krb5-conf') ?? str(input, 'krb5-config'), ccache: str(input, 'ccache'), clientKeytab: str(input, 'keytab') ?? str(input, 'client-keytab') };
  const given = Object.entries(customPaths).filter(([, v]) => v !== undefined);
  const profile = (str(input, 'profile') ?? (given.length ? 'custom' : 'lab')) as NegotiateProbeOptions['profile'];
  if (!['lab', 'system', 'custom'].includes(profile)) throw new UsageError(`--profile must be lab, system or custom, not "${profile}"`, httpProbeCommand);
  if (profile !== 'custom' && given.length) throw new UsageError('--krb5-conf, --ccache and --keytab make a custom profile; they cannot be combined with --profile lab or system', httpProbeCommand);
  const engine = str(input, 'engine') ?? 'mit';
  if (engine !== 'mit' && engine !== 'java') throw new UsageError('--engine must be mit or java', httpProbeCommand);
  const mech = str(input, 'mech') ?? 'spnego';
  if (mech !== 'spnego' && mech !== 'krb5') throw new UsageError('--mech must be spnego or krb5', httpProbeCommand);
  const maxRedirects = str(input, 'max-redirects');
  if (maxRedirects !== undefined && !/^\d{1,2}$/.test(maxRedirects)) throw new UsageError('--max-redirects takes a number (0–20)', httpProbeCommand);
  const basicUser = str(input, 'basic');
  const password = basicUser ? await passwordFrom(input) : undefined;
  if (basicUser && password === undefined) throw new UsageError('--basic USER needs a password: --password-stdin, --password or KBENCH_PASSWORD', httpProbeCommand);
  return {
    url,
    profile,
    ...(str(input, 'realm') ? { realm: str(input, 'realm')! } : {}),
    ...Object.fromEntries(given),
    engine,
    mech,
    ...(str(input, 'spn') ? { spn: str(input, 'spn')! } : {}),
    step: Boolean(values.step),
    ...(maxRedirects !== undefined ? { maxRedirects: Number(maxRedirects) } : {}),
    ...(basicUser ? { basic: { user: basicUser, password: password! } } : {}),
    ...(values.insecure ? { insecure: true } : {}),
  };
}

export const httpProbeCommand: Command = {
  name: 'probe',
  summary: 'GET a URL with Negotiate and show every header and token',
  usage: [
    'http probe URL [--profile lab|system|custom] [--realm R] [--ccache F] [--keytab F] [--krb5-conf F] [--engine mit|java] [--spn S] [--mech spnego|krb5] [--step] [--max-redirects N] [--basic USER [--password-stdin]] [--insecure] [--json]',
  ],
  details: `Sends GET URL; on "401 WWW-Authenticate: Negotiate" answers with a GSS token (SPNEGO by default,
--mech krb5 for a raw Kerberos token) made by MIT (or --engine java) for HTTP@<host> (--spn HTTP/host
asks for another name), follows up to --max-redirects redirects (default 5), and checks the server's
mutual-authentication token in the final WWW-Authenticate. --basic USER falls back to Basic when the
server offers it and Negotiate fails. --step pauses before each request (Enter sends it).
Prints each hop's request and response headers, the tokens decoded, whether NTLM was asked for or
used and why, and the SPN each client stack (MIT, curl, Java, Chromium, Firefox) would request.
Profiles: --profile lab (default), system, or custom from --krb5-conf, --ccache, --keytab (a client keytab).
Exit status 0 when the final answer is 2xx.`,
  options: {
    profile: { type: 'string' },
    realm: { type: 'string' },
    ccache: { type: 'string' },
    keytab: { type: 'string' },
    'client-keytab': { type: 'string' },
    'krb5-conf': { type: 'string' },
    'krb5-config': { type: 'string' },
    engine: { type: 'string' },
    spn: { type: 'string' },
    mech: { type: 'string' },
    step: { type: 'boolean' },
    'max-redirects': { type: 'string' },
    basic: { type: 'string' },
    password: { type: 'string' },
    'password-stdin': { type: 'boolean' },
    insecure: { type: 'boolean' },
    json: { type: 'boolean' },
  },
  positionals: { min: 1, max: 1 },
  async run(input) {
    const { values, positionals, io } = input;
    const url = positionals[0]!;
    if (!/^https?:\/\//i.test(url)) throw new UsageError(`"${url}" is not an http:// or https:// URL`, httpProbeCommand);
    const options = await optionsFrom(input, url);
    const engine = input.engine();
    const started = await invokeService(engine, 'negotiate', 'start', options);
    const view = await waitUntilSettled(engine, started.id, io, options.step);
    await invokeService(engine, 'negotiate', 'close', started.id);
    io.stdout(values.json ? json(view) : viewText(view, useColour(io.isTty, io.env)));
    return view.status !== undefined && view.status >= 200 && view.status < 300 && view.exchange.verdict.outcome === 'success' ? EXIT_OK : EXIT_FAILURE;
  },
};
