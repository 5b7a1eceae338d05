/**
 * `kbench broker`: the local MQTT 5 broker in the foreground, one log line per connection verdict.
 * The broker is the Broker service's (the one the window and web mode start), run in this process.
 */
import path from 'node:path';
import type { BrokerAddress, BrokerListenerStatus, BrokerStartOptions, Exchange } from '../../api';
import type { Engine } from '../../engine';
import { traceLine } from '../../exchange/wording';
import { loadKrb5Environment, locationFilePath } from '../../system/krb5-env';
import { logSafe } from '../../system/log-safe';
import { EXIT_OK, UsageError, type CliIo, type Command, type CommandInput } from '../command';
import { invokeService } from '../invoke';
import { str } from '../password-options';

function endpoint(value: string | undefined, command: Command): BrokerAddress | undefined {
  if (value === undefined) return undefined;
  const match = /^(?:\[?([^\]]*)\]?:)?(\d+)$/.exec(value);
  const port = Number(match?.[2]);
  if (!match || !Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`"${value}" is not HOST:PORT`, command);
  return { host: match[1] || '127.0.0.1', port };
}

/**
 * One line per verdict: time, listener, client, method, outcome, code, reason. The client chose its
 * client id, method and much of the reason before anyone authenticated it: all escaped (logSafe),
 * so it can neither break the line nor reach the terminal.
 */
export function verdictLine(exchange: Exchange): string {
  const who = exchange.identity?.principal ? ` as ${logSafe(exchange.identity.principal)}` : '';
  const code = exchange.verdict.code ? ` ${logSafe(exchange.verdict.code)}` : '';
  const meta = exchange.meta ?? {};
  const chain = exchange.authChain ? ` ${logSafe(traceLine(exchange.authChain))}` : '';
  return `${new Date().toISOString()} ${logSafe(meta.listener ?? '')} client=${logSafe(meta.clientId ?? '?')} ${logSafe(meta.remoteAddress ?? '')} ${logSafe(exchange.mechanism)}: ${exchange.verdict.outcome}${code}${who}${chain} — ${logSafe(exchange.verdict.reason)}\n`;
}

/** --auth-deadline MS and --hold-deadline on|off, as listener settings (absent: the broker's defaults). */
function deadlineOptions(input: CommandInput): Pick<BrokerStartOptions, 'authDeadlineMs' | 'holdDeadlineWhileStepping'> {
  const ms = str(input, 'auth-deadline');
  const hold = str(input, 'hold-deadline');
  const authDeadlineMs = ms === undefined ? undefined : Number(ms);
  if (authDeadlineMs !== undefined && !(Number.isInteger(authDeadlineMs) && authDeadlineMs >= 100 && authDeadlineMs <= 600_000)) {
    throw new UsageError('--auth-deadline is a whole number of milliseconds from 100 to 600000', brokerCommand);
  }
  if (hold !== undefined && hold !== 'on' && hold !== 'off') throw new UsageError('--hold-deadline must be on or off', brokerCommand);
  return { ...(authDeadlineMs !== undefined ? { authDeadlineMs } : {}), ...(hold !== undefined ? { holdDeadlineWhileStepping: hold === 'on' } : {}) };
}

function deadlineLine(listener: BrokerListenerStatus): string {
  const hold = listener.holdDeadlineWhileStepping ? 'held while a bench probe on this machine steps' : 'never held';
  return `authentication deadline ${listener.authDeadlineMs} ms, ${hold}`;
}

/** --variant emqx|single-round (default emqx). */
function variantOf(input: CommandInput): BrokerStartOptions['variant'] {
  const variant = str(input, 'variant') ?? 'emqx';
  if (variant !== 'emqx' && variant !== 'single-round') throw new UsageError('--variant must be emqx or single-round', brokerCommand);
  return variant;
}

/** The default keytab (KRB5_KTNAME, else krb5.conf's), when it is a file. */
async function defaultKeytab(): Promise<string | undefined> {
  return locationFilePath((await loadKrb5Environment()).keytab.name) ?? undefined;
}

/** --lab [--realm R]: the lab realm's mqtt/localhost and service keytab; otherwise --principal with --keytab or the default keytab. */
async function credentialsOf(input: CommandInput, command: Command): Promise<Pick<BrokerStartOptions, 'credentials' | 'realm' | 'principal' | 'keytab'>> {
  const realm = str(input, 'realm');
  const principal = str(input, 'principal');
  const keytab = str(input, 'keytab');
  if (input.values.lab) return { credentials: 'lab', ...(realm ? { realm } : {}), ...(principal ? { principal } : {}), ...(keytab ? { keytab } : {}) };
  if (realm) throw new UsageError('--realm names a lab realm: give it with --lab', command);
  if (!principal) throw new UsageError('--principal service/FQDN@REALM is required (or --lab)', command);
  const file = keytab ?? (await defaultKeytab());
  if (!file) throw new UsageError('the default keytab is not a file: give --keytab', command);
  return { credentials: 'custom', principal, keytab: path.resolve(file) };
}

export const brokerCommand: Command = {
  name: 'broker',
  summary: 'run the local MQTT 5 broker with GSSAPI-KERBEROS enhanced authentication (foreground)',
  usage: [
    'broker --chain FILE.yaml [--free-ports] [--lab | --principal P --keytab KT] [--variant emqx|single-round] [--keylog FILE] [--auth-deadline MS] [--hold-deadline on|off]',
    'broker [--lab [--realm R]] [--tcp HOST:PORT] [--tls HOST:PORT [--cert FILE --key FILE] [--keylog FILE]] [--ws HOST:PORT] [--principal P] [--keytab KT] [--variant emqx|single-round] [--allow-anonymous] [--auth-deadline MS] [--hold-deadline on|off]',
  ],
  details: `Listeners: --tcp (default 127.0.0.1:1883 when no listener is given), --tls (a self-signed
certificate for localhost is made when --cert/--key are absent; --keylog FILE appends its TLS
secrets to FILE in SSLKEYLOGFILE format, to decrypt captures), --ws (path /mqtt); a taken
default port falls back to a free one. --lab uses the lab realm's mqtt/localhost principal and
service keytab (brought up if needed; --realm R picks the realm: AD.TEST is the AD lab); otherwise --principal service/FQDN@REALM is required
(validated as EMQX does) and the keytab is --keytab or the default one (KRB5_KTNAME).
--variant emqx (GSSAPI-KERBEROS, EMQX's AUTH rounds, the default) or single-round (method
"GSSAPI": token in CONNECT, AP-REP in CONNACK). --allow-anonymous lets clients without an
Authentication Method in. --auth-deadline MS is the time from accepting a connection to CONNACK
(and for each re-authentication), default 10000. --hold-deadline on|off: a bench probe on this
machine that steps (kbench probe --step, the Probe view's step mode) gets up to 10 minutes
instead; default on for listeners on a loopback address, off for others (and never for clients
from another machine). Prints one line per connection verdict; Ctrl+C stops.

--chain FILE.yaml: the listeners come from Azure IoT MQ BrokerListener resources in FILE.yaml (each on
127.0.0.1 at its port, or with --free-ports each on a free one; TLS ones with the self-signed certificate) and each is judged
by the chain of the BrokerAuthentication that names it (see kbench chain test). The kerberos method
uses the lab realm's mqtt/localhost with --lab, or --principal/--keytab (or the YAML's keytab secret).
Each verdict line then ends with the decision trace: chain[usernamePassword -(no username) >
kerberos +/+ > => allowed by kerberos] (+/- relevant, then /+ /- valid).`,
  options: {
    lab: { type: 'boolean' },
    realm: { type: 'string' },
    tcp: { type: 'string' },
    tls: { type: 'string' },
    ws: { type: 'string' },
    cert: { type: 'string' },
    key: { type: 'string' },
    keylog: { type: 'string' },
    principal: { type: 'string' },
    keytab: { type: 'string' },
    variant: { type: 'string' },
    'allow-anonymous': { type: 'boolean' },
    'auth-deadline': { type: 'string' },
    'hold-deadline': { type: 'string' },
    chain: { type: 'string' },
    'free-ports': { type: 'boolean' },
  },
  async run(input) {
    const { values, io } = input;
    const chainFile = str(input, 'chain');
    if (chainFile !== undefined) return runWithChain(input, path.resolve(chainFile));
    const variant = variantOf(input);
    const tcp = endpoint(str(input, 'tcp'), brokerCommand);
    const tls = endpoint(str(input, 'tls'), brokerCommand);
    const ws = endpoint(str(input, 'ws'), brokerCommand);
    const cert = str(input, 'cert');
    const key = str(input, 'key');
    if (tls && Boolean(cert) !== Boolean(key)) throw new UsageError('--cert and --key go together', brokerCommand);
    const keyLogFile = str(input, 'keylog');
    const options: BrokerStartOptions = {
      tcp: Boolean(tcp) || (!tls && !ws),
      tls: Boolean(tls),
      ws: Boolean(ws),
      addresses: { ...(tcp ? { tcp } : {}), ...(tls ? { tls } : {}), ...(ws ? { ws } : {}) },
      ...(tls && cert && key ? { tlsFiles: { certFile: cert, keyFile: key } } : {}),
      ...(tls && keyLogFile ? { keyLogFile: path.resolve(keyLogFile) } : {}),
      ...(await credentialsOf(input, brokerCommand)),
      variant,
      allowAnonymous: Boolean(values['allow-anonymous']),
      ...deadlineOptions(input),
    };
    const engine = input.engine();
    const status = await invokeService(engine, 'broker', 'start', options);
    io.stdout(`Kerberos Bench broker: ${status.method} as ${status.principal}, keytab ${status.keytab}\n`);
    for (const listener of status.listeners) io.stdout(`  listening on ${listener.url}${listener.fellBack ? ' (default port taken)' : ''} — ${deadlineLine(listener)}\n`);
    if (status.tlsCertificate) io.stdout(`  TLS certificate ${status.tlsCertificate} (self-signed for localhost: probe with --ca ${status.tlsCertificate})\n`);
    io.stdout(`  anonymous clients ${status.allowAnonymous ? 'allowed' : 'refused (0x87 Not Authorized)'}\n`);
    await serveUntilStopped(engine, io);
    return EXIT_OK;
  },
};

/**
 * One line per connection verdict until Ctrl+C (SIGINT) or SIGTERM; then the service stops the
 * broker. The verdicts are the service's `broker.verdict` events (what the web host pushes too).
 */
async function serveUntilStopped(engine: Engine, io: CliIo): Promise<void> {
  io.stdout('Press Ctrl+C to stop.\n');
  const unsubscribe = engine.events.subscribe((event) => {
    if (event.name === 'broker.verdict' && event.payload.verdict.outcome !== 'pending') io.stdout(verdictLine(event.payload));
  });
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  unsubscribe();
  await invokeService(engine, 'broker', 'stop');
}

async function runWithChain(input: CommandInput, file: string): Promise<number> {
  const { io } = input;
  for (const flag of ['tcp', 'tls', 'ws', 'allow-anonymous', 'cert', 'key']) {
    if (input.values[flag] !== undefined) throw new UsageError(`--${flag} does not go with --chain: the listeners come from the YAML`, brokerCommand);
  }
  const variant = variantOf(input);
  const keyLogFile = str(input, 'keylog');
  const principal = str(input, 'principal');
  const keytab = str(input, 'keytab') ?? (input.values.lab ? undefined : await defaultKeytab());
  // A kerberos method without a keytab in the YAML uses the lab realm (--lab) or --principal and --keytab.
  const credentials: Pick<BrokerStartOptions, 'credentials' | 'realm' | 'principal' | 'keytab'> = input.values.lab
    ? { credentials: 'lab', ...(str(input, 'realm') ? { realm: str(input, 'realm')! } : {}), ...(principal ? { principal } : {}), ...(keytab ? { keytab } : {}) }
    : { credentials: 'custom', ...(principal ? { principal } : {}), ...(keytab ? { keytab: path.resolve(keytab) } : {}) };
  const engine = input.engine();
  const status = await invokeService(engine, 'broker', 'start', {
    tcp: false,
    tls: false,
    ws: false,
    chainFile: file,
    ...(input.values['free-ports'] ? { freePorts: true } : {}),
    ...(keyLogFile ? { keyLogFile: path.resolve(keyLogFile) } : {}),
    ...credentials,
    variant,
    allowAnonymous: false,
    ...deadlineOptions(input),
  });
  io.stdout(`Kerberos Bench broker: authentication chains from ${file}\n`);
  for (const listener of status.listeners) {
    const chain = listener.chain!;
    const methods = chain.authenticationEnabled ? chain.methods.join(' > ') || 'no methods: everyone is denied' : 'authenticationEnabled: false, everyone is let in';
    io.stdout(`  ${chain.listener} on ${listener.url}${chain.name ? ` — ${chain.name}` : ''}: ${methods} — ${deadlineLine(listener)}\n`);
  }
  if (status.tlsCertificate) io.stdout(`  TLS certificate ${status.tlsCertificate} (self-signed for localhost: probe with --ca ${status.tlsCertificate})\n`);
  await serveUntilStopped(engine, io);
  return EXIT_OK;
}
