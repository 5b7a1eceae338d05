/**
 * `kbench probe URL`: connect to an MQTT 5 broker with GSSAPI-KERBEROS and print the Exchange.
 */
import path from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { readUserFile, writeFileAtomic } from '../../system/files';
import { logSafe } from '../../system/log-safe';
import { serializeExchange } from '../../exchange/serialize';
import type { Exchange, ExchangeStep } from '../../exchange/model';
import { GssSupervisor } from '../../gss/supervisor';
import { MqttProbe, STEP_MODE_TIMEOUT_MS, type ProbeMethod, type ProbeNextStep } from '../../probe/probe';
import type { SaslLayer } from '../../sasl/layers';
import type { Diagnosis } from '../../api/diagnose';
import type { PeerDeadline } from '../../api/broker';
import { EXIT_FAILURE, EXIT_OK, UsageError, type CliIo, type Command, type CommandInput } from '../command';
import { json, palette, useColour } from '../format';
import { str } from '../password-options';
import { PROFILE_HELP, profileFrom, profileOptions } from '../profile-options';
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

/** Step mode: Enter sends the next packet; a connection that ends meanwhile ends the question too. */
function askToSend(prompt: Interface, io: CliIo) {
  return (next: ProbeNextStep, ended: AbortSignal) =>
    new Promise<void>((resolve) => {
      const onEnded = () => {
        io.stderr('\n(the connection ended while waiting: nothing sent)\n');
        resolve();
      };
      ended.addEventListener('abort', onEnded, { once: true });
      prompt.question(`next: ${next.description} (${Buffer.from(next.token, 'base64').length} bytes${deadlineWords(next.peerDeadline)}) — Enter to send `, () => {
        ended.removeEventListener('abort', onEnded);
        resolve();
      });
    });
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
    const method = (str(input, 'method') ?? 'GSSAPI-KERBEROS') as ProbeMethod;
    if (method !== 'GSSAPI-KERBEROS' && method !== 'GSSAPI') throw new UsageError('--method must be GSSAPI-KERBEROS or GSSAPI', probeCommand);
    const profile = await profileFrom(input, probeCommand);
    const gss = new GssSupervisor();
    const ca = str(input, 'ca');
    const keyLogFile = str(input, 'keylog') ?? (io.env.SSLKEYLOGFILE || undefined);
    const prompt = values.step ? createInterface({ input: process.stdin, output: process.stderr }) : undefined;
    const probe = new MqttProbe({
      url,
      gss,
      profile,
      method,
      ...(str(input, 'service') ? { service: str(input, 'service')! } : {}),
      ...(str(input, 'client-id') ? { clientId: str(input, 'client-id')! } : {}),
      ...(ca ? { ca: await readUserFile(ca) } : {}),
      ...(values.insecure ? { rejectUnauthorized: false } : {}),
      ...(keyLogFile ? { keyLogFile: path.resolve(keyLogFile) } : {}),
      ...(str(input, 'layer') ? { layer: str(input, 'layer') as SaslLayer } : {}),
      // A person reads each packet before it goes: MQTT.js's 15 s connect timer would cut them off.
      ...(prompt ? { beforeSend: askToSend(prompt, io), timeoutMs: STEP_MODE_TIMEOUT_MS } : {}),
    });
    const exchanges: Exchange[] = [];
    try {
      exchanges.push(await probe.connect());
      if (exchanges[0]!.verdict.outcome === 'success') {
        if (values.reauth) exchanges.push(await probe.reauthenticate());
        if (values.publish) {
          const result = await probe.publishTest(str(input, 'topic'));
          io.stderr(`published and received on ${logSafe(result.topic)}: "${logSafe(result.received)}" (content type ${logSafe(String(result.properties.contentType ?? '?'))})\n`);
        }
      }
    } finally {
      prompt?.close();
      await probe.close();
      await gss.dispose();
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
