/**
 * `kbench probe URL`: connect to an MQTT 5 broker with GSSAPI-KERBEROS and print the Exchange.
 * The probe is the Probe service's (the Probe view's), run in this process; step mode answers its
 * pauses from the terminal.
 */
import path from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { writeFileAtomic } from '../../system/files';
import { logSafe } from '../../system/log-safe';
import { serializeExchange } from '../../exchange/serialize';
import type { Exchange, ExchangeStep, ProbePending, ProbeStartOptions, ProbeView } from '../../api';
import type { Diagnosis } from '../../api/diagnose';
import type { PeerDeadline } from '../../api/broker';
import type { Engine } from '../../engine';
import { EXIT_FAILURE, EXIT_OK, UsageError, type CliIo, type Command, type CommandInput } from '../command';
import { json, palette, useColour } from '../format';
import { invokeService } from '../invoke';
import { str } from '../password-options';
import { PROFILE_HELP, profileChoice, profileOptions } from '../profile-options';
import { findingText } from './diagnose';

/**
 * One step as a line: direction, packet (and reason code), what the token is, the summary, any
 * error. Summaries, errors and reasons carry what the broker sent (its Reason String, names from
 * its tokens): escaped, so a hostile broker cannot write to the terminal.
 */
function stepLine(step: ExchangeStep): string {
  const arrow = step.direction === 'client-to-server' ? 'C →' : '← S';
  const code = step.transport.fields?.reasonCode ? ` ${step.transport.fields.reasonCode}` : '';
  const kind = step.tokenKind ? `: ${step.tokenKind}` : '';
  const summary = step.summary ? ` — ${logSafe(step.summary)}` : '';
  const error = step.error && step.error !== step.summary ? `  ! ${logSafe(step.error)}` : '';
  return `  ${arrow} ${step.transport.packet}${code}${kind}${summary}${error}`;
}

function describe(exchange: Exchange): string {
  const { outcome, code, reason } = exchange.verdict;
  const who = exchange.identity?.principal ? ` as ${logSafe(exchange.identity.principal)}` : '';
  return `${exchange.steps.map(stepLine).join('\n')}\n${outcome}${code ? ` (${code})` : ''}${who}: ${logSafe(reason)}\n`;
}

/** What the broker said about its deadline, for the step-mode prompt. */
function deadlineWords(deadline: PeerDeadline | undefined): string {
  if (!deadline) return '';
  if ('held' in deadline) return '; the broker holds its deadline while you step';
  return `; the broker gives up in ${Math.max(0, Math.round((Date.parse(deadline.at) - Date.now()) / 1000))} s`;
}

/** The probe run's latest view, as the service reports it (`probe.update`), and a way to wait for the next. */
class ProbeWatch {
  latest: ProbeView | undefined;
  version = 0;
  private readonly waiters = new Set<() => void>();
  readonly stop: () => void;

  constructor(engine: Engine) {
    // This engine runs one probe: every update is this run's, from before start() answers.
    this.stop = engine.events.subscribe((event) => {
      if (event.name !== 'probe.update') return;
      this.latest = event.payload;
      this.version++;
      for (const wake of this.waiters) wake();
    });
  }

  /** Resolves once there is a view newer than `version`. */
  changed(version: number): Promise<void> {
    if (this.version > version) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        this.waiters.delete(wake);
        resolve();
      };
      this.waiters.add(wake);
    });
  }
}

/**
 * Only the end of a connect or re-authentication sets these; 'closed' (the connection was lost)
 * comes first when the broker hangs up, and the Exchange follows it.
 */
const SETTLED: readonly ProbeView['state'][] = ['connected', 'failed'];

/** Step mode: Enter sends the next packet; a connection that ends meanwhile ends the question too. */
async function askToSend(prompt: Interface, io: CliIo, pending: ProbePending, watch: ProbeWatch, version: number): Promise<boolean> {
  const question = new AbortController();
  const answered = new Promise<boolean>((resolve) => {
    prompt.question(`next: ${pending.description} (${Buffer.from(pending.token, 'base64').length} bytes${deadlineWords(pending.peerDeadline)}) — Enter to send `, { signal: question.signal }, () => resolve(true));
  });
  const ended = (async () => {
    for (let seen = version; ; seen = watch.version) {
      await watch.changed(seen);
      if (question.signal.aborted || watch.latest?.pending?.token !== pending.token) return false;
    }
  })();
  const send = await Promise.race([answered, ended]);
  question.abort();
  if (!send) io.stderr('\n(the connection ended while waiting: nothing sent)\n');
  return send;
}

/**
 * Waits until the run settles (connected or failed) after `since`, answering step mode's
 * pauses on the way: each Enter is the service's next().
 */
async function settle(engine: Engine, watch: ProbeWatch, id: string, since: number, prompt: Interface | undefined, io: CliIo): Promise<ProbeView> {
  for (let handled = since; ; ) {
    await watch.changed(handled);
    handled = watch.version;
    const view = watch.latest!;
    if (SETTLED.includes(view.state)) return view;
    if (!prompt || view.state !== 'waiting' || !view.pending) continue;
    if (await askToSend(prompt, io, view.pending, watch, handled)) await invokeService(engine, 'probe', 'next', id);
  }
}

/** Below this confidence a finding after the first is left to `kbench diagnose`. */
const LIKELY = 0.6;

/** A failed Exchange through the diagnose service (the same findings the views show), as text. */
async function findingsText(input: CommandInput, exchange: Exchange): Promise<string> {
  const result = await input.engine().invoke({ service: 'diagnose', method: 'diagnose', args: [{ exchange }] });
  if (!result.ok) return `(the diagnosis failed: ${result.error.message})\n`;
  const { findings } = result.value as Diagnosis;
  const p = palette(useColour(input.io.isTty, input.io.env));
  // The most likely cause, and others only when they are likely too (trace-only hints stay out).
  const shown = findings.filter((f, i) => i === 0 || f.confidence >= LIKELY).slice(0, 3);
  return shown.length ? `\n${shown.map((f, i) => findingText(f, i + 1, p)).join('\n')}` : '';
}

export const probeCommand: Command = {
  name: 'probe',
  summary: 'connect to an MQTT 5 broker with GSSAPI-KERBEROS and show every round',
  usage: ['probe URL [--service SERVICE@HOST] [--method GSSAPI-KERBEROS|GSSAPI] [--step] [--reauth] [--publish [TOPIC]] [--ca FILE] [--insecure] [--keylog FILE] [--json] [--exchange FILE] [profile options]'],
  details: `URL: mqtt://host:port, mqtts://host:port, ws://host:port/mqtt or wss://…. The service name
defaults to mqtt@<host>. --step pauses before each packet and shows what will be sent (press
Enter to send). --reauth re-authenticates (AUTH 0x19) once connected. --publish subscribes to a
test topic and publishes to it with MQTT 5 properties. --ca FILE trusts a CA for TLS; --insecure
skips certificate checks. --keylog FILE appends the TLS secrets of an mqtts:// connection to FILE
(SSLKEYLOGFILE format, default $SSLKEYLOGFILE), to decrypt a capture of it. --json prints the
Exchange(s); exit code 1 when authentication fails, and then the likely causes with their fixes
(on standard error with --json).
${PROFILE_HELP}`,
  options: {
    ...profileOptions,
    service: { type: 'string' },
    method: { type: 'string' },
    step: { type: 'boolean' },
    reauth: { type: 'boolean' },
    publish: { type: 'boolean' },
    topic: { type: 'string' },
    ca: { type: 'string' },
    insecure: { type: 'boolean' },
    keylog: { type: 'string' },
    layer: { type: 'string' },
    'client-id': { type: 'string' },
    json: { type: 'boolean' },
    exchange: { type: 'string' },
  },
  positionals: { min: 1, max: 1 },
  async run(input) {
    const { values, positionals, io } = input;
    const url = positionals[0]!;
    try {
      if (!/^(mqtts?|wss?):$/.test(new URL(url).protocol)) throw new Error();
    } catch {
      throw new UsageError(`"${url}" is not an mqtt://, mqtts://, ws:// or wss:// URL`, probeCommand);
    }
    const method = str(input, 'method') ?? 'GSSAPI-KERBEROS';
    if (method !== 'GSSAPI-KERBEROS' && method !== 'GSSAPI') throw new UsageError('--method must be GSSAPI-KERBEROS or GSSAPI', probeCommand);
    const layer = str(input, 'layer');
    if (layer !== undefined && layer !== 'none' && layer !== 'integrity' && layer !== 'privacy') throw new UsageError('--layer must be none, integrity or privacy', probeCommand);
    const choice = profileChoice(input, probeCommand);
    const engine = input.engine();
    // As the help says: the lab realm is brought up if needed, so its ccache and keytabs exist.
    if (choice.profile === 'lab') await invokeService(engine, 'lab', 'up', choice.realm ? { realm: choice.realm } : {});
    const ca = str(input, 'ca');
    const keyLogFile = str(input, 'keylog') ?? (io.env.SSLKEYLOGFILE || undefined);
    const options: ProbeStartOptions = {
      url,
      method,
      ...choice,
      step: values.step === true,
      ...(str(input, 'service') ? { service: str(input, 'service')! } : {}),
      ...(str(input, 'client-id') ? { clientId: str(input, 'client-id')! } : {}),
      ...(ca ? { caFile: ca } : {}),
      ...(values.insecure ? { insecure: true } : {}),
      ...(keyLogFile ? { keyLogFile: path.resolve(keyLogFile) } : {}),
      ...(layer ? { layer } : {}),
    };
    const prompt = values.step ? createInterface({ input: process.stdin, output: process.stderr }) : undefined;
    const watch = new ProbeWatch(engine);
    let id: string | undefined;
    let exchanges: Exchange[];
    try {
      const started = await invokeService(engine, 'probe', 'start', options);
      id = started.id;
      let view = await settle(engine, watch, id, 0, prompt, io);
      // A probe that could not even try (a CA file that is not there…) fails as the command.
      if (!view.exchanges.length) throw new Error(view.error ?? `the probe ended ${view.state}`);
      if (view.exchanges[0]!.verdict.outcome === 'success') {
        if (values.reauth) {
          const before = view.exchanges.length;
          const since = watch.version;
          await invokeService(engine, 'probe', 'reauthenticate', id);
          view = await settle(engine, watch, id, since, prompt, io);
          if (view.exchanges.length === before) throw new Error(view.error ?? 're-authentication ended without an Exchange');
        }
        if (values.publish) {
          const result = (await invokeService(engine, 'probe', 'publish', id, ...(str(input, 'topic') ? [str(input, 'topic')!] : []))).published!;
          io.stderr(`published and received on ${logSafe(result.topic)}: "${logSafe(result.received)}" (content type ${logSafe(String(result.properties.contentType ?? '?'))})\n`);
        }
      }
      exchanges = view.exchanges;
    } finally {
      prompt?.close();
      watch.stop();
      if (id) await invokeService(engine, 'probe', 'close', id);
    }
    const file = str(input, 'exchange');
    if (file) await writeFileAtomic(file, Buffer.from(serializeExchange(exchanges[0]!)), 0o600);
    io.stdout(values.json ? json(exchanges.length === 1 ? exchanges[0] : exchanges) : exchanges.map(describe).join('\n'));
    const failed = exchanges.find((e) => e.verdict.outcome === 'failure');
    // The causes, as the Diagnose and Probe views show them; --json keeps stdout to the Exchange(s).
    if (failed) (values.json ? io.stderr : io.stdout)(await findingsText(input, failed));
    return exchanges.every((e) => e.verdict.outcome === 'success') ? EXIT_OK : EXIT_FAILURE;
  },
};
