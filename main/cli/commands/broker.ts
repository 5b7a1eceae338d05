/**
 * `kbench broker`: the local MQTT 5 broker in the foreground, one log line per connection verdict.
 */
import path from 'node:path';
import type { Exchange } from '../../exchange/model';
import { startBroker, type Broker, type BrokerListener, type ListenerConfig } from '../../broker/broker';
import { traceLine } from '../../broker/chain/chain';
import { chainKerberosAuthenticator, chainListenerConfigs, loadChainListeners } from '../../broker/chain/setup';
import type { KerberosMethodConfig } from '../../broker/chain/types';
import { kerberosAuthenticator, type KerberosVariant } from '../../broker/kerberos-setup';
import { ensureSelfSignedCertificate } from '../../broker/tls';
import { systemProfile } from '../../gss/profiles';
import { GssSupervisor } from '../../gss/supervisor';
import type { KerberosProfile } from '../../gss/types';
import { loadKrb5Environment, locationFilePath } from '../../system/krb5-env';
import { logSafe } from '../../system/log-safe';
import { EXIT_OK, UsageError, type CliIo, type Command, type CommandInput } from '../command';
import { str } from '../password-options';

function endpoint(value: string | undefined, command: Command): { host: string; port: number } | undefined {
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
function deadlineOptions(input: CommandInput): Pick<ListenerConfig, 'authDeadlineMs' | 'holdDeadlineWhileStepping'> {
  const ms = str(input, 'auth-deadline');
  const hold = str(input, 'hold-deadline');
  const authDeadlineMs = ms === undefined ? undefined : Number(ms);
  if (authDeadlineMs !== undefined && !(Number.isInteger(authDeadlineMs) && authDeadlineMs >= 100 && authDeadlineMs <= 600_000)) {
    throw new UsageError('--auth-deadline is a whole number of milliseconds from 100 to 600000', brokerCommand);
  }
  if (hold !== undefined && hold !== 'on' && hold !== 'off') throw new UsageError('--hold-deadline must be on or off', brokerCommand);
  return { ...(authDeadlineMs !== undefined ? { authDeadlineMs } : {}), ...(hold !== undefined ? { holdDeadlineWhileStepping: hold === 'on' } : {}) };
}

function deadlineLine(listener: BrokerListener): string {
  const hold = listener.holdDeadlineWhileStepping ? 'held while a bench probe on this machine steps' : 'never held';
  return `authentication deadline ${listener.authDeadlineMs} ms, ${hold}`;
}

async function labOrSystem(input: CommandInput, command: Command): Promise<{ profile: KerberosProfile; keytab: string; principal: string }> {
  const { values } = input;
  if (values.lab) {
    const engine = input.engine();
    const realm = str(input, 'realm');
    const target = realm ? { realm } : {};
    const status = await engine.api.lab.up(target);
    const profile = await engine.api.lab.profile(target);
    return { profile, keytab: str(input, 'keytab') ?? status.keytabs.service, principal: str(input, 'principal') ?? `mqtt/localhost@${status.realm}` };
  }
  if (str(input, 'realm')) throw new UsageError('--realm names a lab realm: give it with --lab', command);
  const principal = str(input, 'principal');
  if (!principal) throw new UsageError('--principal service/FQDN@REALM is required (or --lab)', command);
  const keytab = str(input, 'keytab') ?? locationFilePath((await loadKrb5Environment()).keytab.name);
  if (!keytab) throw new UsageError('the default keytab is not a file: give --keytab', command);
  return { profile: systemProfile(), keytab: path.resolve(keytab), principal };
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
    const variant = (str(input, 'variant') ?? 'emqx') as KerberosVariant;
    if (variant !== 'emqx' && variant !== 'single-round') throw new UsageError('--variant must be emqx or single-round', brokerCommand);
    const { profile, keytab, principal } = await labOrSystem(input, brokerCommand);
    const gss = new GssSupervisor();
    const authenticator = await kerberosAuthenticator({ gss, profile, keytabFile: keytab, principal, variant });
    const common = { authenticators: [authenticator], allowAnonymous: Boolean(values['allow-anonymous']), ...deadlineOptions(input) };
    const listeners: ListenerConfig[] = [];
    const tcp = endpoint(str(input, 'tcp'), brokerCommand);
    const tls = endpoint(str(input, 'tls'), brokerCommand);
    const ws = endpoint(str(input, 'ws'), brokerCommand);
    if (tcp || (!tls && !ws)) listeners.push({ protocol: 'tcp', ...(tcp ?? {}), ...common });
    let selfSigned: string | undefined;
    if (tls) {
      const cert = str(input, 'cert');
      const key = str(input, 'key');
      if (Boolean(cert) !== Boolean(key)) throw new UsageError('--cert and --key go together', brokerCommand);
      const files = cert && key ? { certFile: cert, keyFile: key } : await ensureSelfSignedCertificate(path.join((await input.engine().api.system.info()).dataDir, 'broker-tls'));
      if (!cert) selfSigned = files.certFile;
      const keyLogFile = str(input, 'keylog');
      listeners.push({ protocol: 'tls', ...tls, tls: { ...files, ...(keyLogFile ? { keyLogFile: path.resolve(keyLogFile) } : {}) }, ...common });
    }
    if (ws) listeners.push({ protocol: 'ws', ...ws, ...common });
    const broker = await startBroker({ listeners });
    io.stdout(`Kerberos Bench broker: ${authenticator.method} as ${principal}, keytab ${keytab}\n`);
    for (const listener of broker.listeners) io.stdout(`  listening on ${listener.url}${listener.fellBack ? ' (default port taken)' : ''} — ${deadlineLine(listener)}\n`);
    if (selfSigned) io.stdout(`  TLS certificate ${selfSigned} (self-signed for localhost: probe with --ca ${selfSigned})\n`);
    io.stdout(`  anonymous clients ${common.allowAnonymous ? 'allowed' : 'refused (0x87 Not Authorized)'}\n`);
    await serveUntilStopped(broker, io);
    await authenticator.dispose?.();
    await gss.dispose();
    return EXIT_OK;
  },
};

/** One line per connection verdict until Ctrl+C (SIGINT) or SIGTERM; then the broker closes. */
async function serveUntilStopped(broker: Broker, io: CliIo): Promise<void> {
  io.stdout('Press Ctrl+C to stop.\n');
  broker.onExchange((event) => {
    if (event.kind === 'verdict' && event.exchange.verdict.outcome !== 'pending') io.stdout(verdictLine(event.exchange));
  });
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await broker.close();
}

/** The lab's or the command line's credentials for a kerberos method the YAML gives no keytab. */
function kerberosConfig(config: KerberosMethodConfig, input: CommandInput): KerberosMethodConfig {
  if (config.keytab || input.values.lab) return config;
  const principal = config.principal ?? str(input, 'principal');
  const keytab = str(input, 'keytab');
  if (!principal) throw new UsageError('the chain has a kerberos method: give --lab, or --principal service/FQDN@REALM (and --keytab)', brokerCommand);
  return { kind: 'kerberos', credentials: 'custom', principal, ...(keytab ? { keytab: path.resolve(keytab) } : {}) };
}

async function runWithChain(input: CommandInput, file: string): Promise<number> {
  const { io } = input;
  for (const flag of ['tcp', 'tls', 'ws', 'allow-anonymous', 'cert', 'key']) {
    if (input.values[flag] !== undefined) throw new UsageError(`--${flag} does not go with --chain: the listeners come from the YAML`, brokerCommand);
  }
  const variant = (str(input, 'variant') ?? 'emqx') as KerberosVariant;
  if (variant !== 'emqx' && variant !== 'single-round') throw new UsageError('--variant must be emqx or single-round', brokerCommand);
  const engine = input.engine();
  const gss = new GssSupervisor();
  let selfSigned: string | undefined;
  const keyLogFile = str(input, 'keylog');
  const setup = await chainListenerConfigs(await loadChainListeners(file), {
    ...(input.values['free-ports'] ? { port: 0 } : {}),
    tls: async () => {
      const files = await ensureSelfSignedCertificate(path.join((await engine.api.system.info()).dataDir, 'broker-tls'));
      selfSigned = files.certFile;
      return { ...files, ...(keyLogFile ? { keyLogFile: path.resolve(keyLogFile) } : {}) };
    },
    kerberos: async (config) => {
      const resolved = kerberosConfig(config, input);
      const keytab = resolved.keytab ?? (resolved.credentials === 'custom' ? locationFilePath((await loadKrb5Environment()).keytab.name) : undefined);
      return chainKerberosAuthenticator({ ...resolved, ...(keytab ? { keytab } : {}) }, { gss, lab: engine.api.lab, variant });
    },
  });
  const deadlines = deadlineOptions(input);
  let broker;
  try {
    broker = await startBroker({ listeners: setup.listeners.map((l) => ({ ...l, ...deadlines })) });
  } catch (error) {
    await setup.dispose();
    await gss.dispose();
    throw error;
  }
  io.stdout(`Kerberos Bench broker: authentication chains from ${file}\n`);
  broker.listeners.forEach((listener, i) => {
    const chain = setup.listeners[i]!.chain!;
    const methods = chain.authenticationEnabled ? chain.methods.map((m) => m.kind).join(' > ') || 'no methods: everyone is denied' : 'authenticationEnabled: false, everyone is let in';
    io.stdout(`  ${setup.names[i]} on ${listener.url}${chain.name ? ` — ${chain.name}` : ''}: ${methods} — ${deadlineLine(listener)}\n`);
  });
  if (selfSigned) io.stdout(`  TLS certificate ${selfSigned} (self-signed for localhost: probe with --ca ${selfSigned})\n`);
  await serveUntilStopped(broker, io);
  await setup.dispose();
  await gss.dispose();
  return EXIT_OK;
}
