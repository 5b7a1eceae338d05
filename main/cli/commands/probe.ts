/**
 * `kbench probe URL`: connect to an MQTT 5 broker with GSSAPI-KERBEROS and print the Exchange.
 */
import { createInterface } from 'node:readline';
import { readUserFile, writeFileAtomic } from '../../system/files';
import { logSafe } from '../../system/log-safe';
import { serializeExchange } from '../../exchange/serialize';
import type { Exchange, ExchangeStep } from '../../exchange/model';
import { GssSupervisor } from '../../gss/supervisor';
import { MqttProbe, type ProbeMethod, type ProbeNextStep } from '../../probe/probe';
import type { SaslLayer } from '../../sasl/layers';
import { EXIT_FAILURE, EXIT_OK, UsageError, type Command } from '../command';
import { json } from '../format';
import { str } from '../password-options';
import { PROFILE_HELP, profileFrom, profileOptions } from '../profile-options';

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

export const probeCommand: Command = {
  name: 'probe',
  summary: 'connect to an MQTT 5 broker with GSSAPI-KERBEROS and show every round',
  usage: ['probe URL [--service SERVICE@HOST] [--method GSSAPI-KERBEROS|GSSAPI] [--step] [--reauth] [--publish [TOPIC]] [--ca FILE] [--insecure] [--json] [--exchange FILE] [profile options]'],
  details: `URL: mqtt://host:port, mqtts://host:port, ws://host:port/mqtt or wss://…. The service name
defaults to mqtt@<host>. --step pauses before each packet and shows what will be sent (press
Enter to send). --reauth re-authenticates (AUTH 0x19) once connected. --publish subscribes to a
test topic and publishes to it with MQTT 5 properties. --ca FILE trusts a CA for TLS; --insecure
skips certificate checks. --json prints the Exchange(s); exit code 1 when authentication fails.
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
      ...(str(input, 'layer') ? { layer: str(input, 'layer') as SaslLayer } : {}),
      ...(prompt
        ? {
            beforeSend: (next: ProbeNextStep) =>
              new Promise<void>((resolve) => prompt.question(`next: ${next.description} (${Buffer.from(next.token, 'base64').length} bytes) — Enter to send `, () => resolve())),
          }
        : {}),
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
    return exchanges.every((e) => e.verdict.outcome === 'success') ? EXIT_OK : EXIT_FAILURE;
  },
};
