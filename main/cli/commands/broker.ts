/**
 * `kbench broker`: the local MQTT 5 broker in the foreground, one log line per connection verdict.
 */
import path from 'node:path';
import type { Exchange } from '../../exchange/model';
import { startBroker, type BrokerListener, type ListenerConfig } from '../../broker/broker';
import { kerberosAuthenticator, type KerberosVariant } from '../../broker/kerberos-setup';
import { ensureSelfSignedCertificate } from '../../broker/tls';
import { systemProfile } from '../../gss/profiles';
import { GssSupervisor } from '../../gss/supervisor';
import type { KerberosProfile } from '../../gss/types';
import { loadKrb5Environment, locationFilePath } from '../../system/krb5-env';
import { logSafe } from '../../system/log-safe';
import { EXIT_OK, UsageError, type Command, type CommandInput } from '../command';
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
  return `${new Date().toISOString()} ${logSafe(meta.listener ?? '')} client=${logSafe(meta.clientId ?? '?')} ${logSafe(meta.remoteAddress ?? '')} ${logSafe(exchange.mechanism)}: ${exchange.verdict.outcome}${code}${who} — ${logSafe(exchange.verdict.reason)}\n`;
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
    const status = await engine.api.lab.up();
    const profile = await engine.api.lab.profile();
    return { profile, keytab: str(input, 'keytab') ?? status.keytabs.service, principal: str(input, 'principal') ?? `mqtt/localhost@${status.realm}` };
  }
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
    'broker [--lab] [--tcp HOST:PORT] [--tls HOST:PORT [--cert FILE --key FILE] [--keylog FILE]] [--ws HOST:PORT] [--principal P] [--keytab KT] [--variant emqx|single-round] [--allow-anonymous] [--auth-deadline MS] [--hold-deadline on|off]',
  ],
  details: `Listeners: --tcp (default 127.0.0.1:1883 when no listener is given), --tls (a self-signed
certificate for localhost is made when --cert/--key are absent; --keylog FILE appends its TLS
secrets to FILE in SSLKEYLOGFILE format, to decrypt captures), --ws (path /mqtt); a taken
default port falls back to a free one. --lab uses the lab realm's mqtt/localhost principal and
service keytab (brought up if needed); otherwise --principal service/FQDN@REALM is required
(validated as EMQX does) and the keytab is --keytab or the default one (KRB5_KTNAME).
--variant emqx (GSSAPI-KERBEROS, EMQX's AUTH rounds, the default) or single-round (method
"GSSAPI": token in CONNECT, AP-REP in CONNACK). --allow-anonymous lets clients without an
Authentication Method in. --auth-deadline MS is the time from accepting a connection to CONNACK
(and for each re-authentication), default 10000. --hold-deadline on|off: a bench probe on this
machine that steps (kbench probe --step, the Probe view's step mode) gets up to 10 minutes
instead; default on for listeners on a loopback address, off for others (and never for clients
from another machine). Prints one line per connection verdict; Ctrl+C stops.`,
  options: {
    lab: { type: 'boolean' },
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
  },
  async run(input) {
    const { values, io } = input;
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
    io.stdout('Press Ctrl+C to stop.\n');
    broker.onExchange((event) => {
      if (event.kind === 'verdict' && event.exchange.verdict.outcome !== 'pending') io.stdout(verdictLine(event.exchange));
    });
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await broker.close();
    await authenticator.dispose?.();
    await gss.dispose();
    return EXIT_OK;
  },
};
