/**
 * The bench's broker running an EMQX authenticator's settings — principal, the default keytab,
 * the node's krb5.conf — on a throwaway loopback listener, and one MQTT 5 GSSAPI-KERBEROS client
 * (the bench's probe, or any program given the URL) authenticating against it. The broker is
 * closed again before this returns; nothing here throws for a failed authentication.
 */
import type { Exchange } from '../../exchange/model';
import type { GssSupervisor } from '../../gss/supervisor';
import type { KerberosProfile } from '../../gss/types';
import { parseKeytab } from '../../krb/keytab';
import { MqttProbe } from '../../probe/probe';
import { readUserFile } from '../../system/files';
import { startBroker, type Broker } from '../../broker/broker';
import { settledExchange } from '../../broker/settled';
import { GssapiKerberosAuthenticator, parseServerPrincipal } from '../../broker/kerberos-authenticators';

const CONNECT_TIMEOUT_MS = 15_000;

export interface EmqxBrokerSettings {
  gss: GssSupervisor;
  /** The realm's profile: the broker takes its replay cache, the probe its ccache (the lab's alice). */
  profile: KerberosProfile;
  principal: string;
  /** The keytab EMQX would read as its default keytab (given to the acceptor as KRB5_KTNAME). */
  keytabFile: string;
  /** The krb5.conf the EMQX node runs with; default: the profile's. */
  krb5Config?: string;
  /**
   * The acceptor's worker slot: one per caller ("export-emqx"), so a second run replaces the
   * first one's worker (its keytab path changed) instead of leaving one more process behind.
   */
  slot: string;
}

export interface EmqxBrokerRun {
  ok: boolean;
  /** What ran and what came back, in words. */
  detail: string;
  /** The broker's Exchange of the connection. */
  exchange?: Exchange;
}

/** Starts the broker with the settings, runs `use` with its URL, closes it. */
export async function withEmqxBroker<T>(settings: EmqxBrokerSettings, use: (url: string, broker: Broker) => Promise<T>): Promise<T> {
  parseServerPrincipal(settings.principal);
  const keytab = parseKeytab(await readUserFile(settings.keytabFile)).keytab.entries;
  const profile: KerberosProfile = {
    ...settings.profile,
    id: `${settings.profile.id}:${settings.slot}`,
    keytab: `FILE:${settings.keytabFile}`,
    ...(settings.krb5Config ? { krb5Config: settings.krb5Config } : {}),
  };
  const authenticator = new GssapiKerberosAuthenticator({ gss: settings.gss, profile, keytab, keytabLabel: settings.keytabFile, principal: settings.principal });
  const broker = await startBroker({ listeners: [{ protocol: 'tcp', host: '127.0.0.1', port: 0, authenticators: [authenticator] }], exchangeLimit: 20 });
  try {
    return await use(broker.listeners[0]!.url, broker);
  } finally {
    await broker.close();
  }
}


export function describeExchange(exchange: Exchange | undefined): string {
  if (!exchange) return 'the broker recorded no verdict for the connection';
  const who = exchange.identity?.principal ? ` as ${exchange.identity.principal}` : '';
  return `Exchange ${exchange.id}: ${exchange.verdict.outcome}${who} (${exchange.verdict.reason})`;
}

/** One GSSAPI-KERBEROS client (the bench's probe, with the profile's ticket) against the settings. */
export async function authenticateAgainstEmqxSettings(settings: EmqxBrokerSettings): Promise<EmqxBrokerRun> {
  let service: string;
  try {
    service = parseServerPrincipal(settings.principal).gssName;
  } catch (error) {
    return { ok: false, detail: (error as Error).message };
  }
  try {
    return await withEmqxBroker(settings, async (url, broker) => {
      const clientId = `kbench-export-${process.pid}-${Date.now().toString(36)}`;
      const probe = new MqttProbe({ url, gss: settings.gss, profile: settings.profile, service, clientId, timeoutMs: CONNECT_TIMEOUT_MS });
      let clientSide: Exchange;
      try {
        clientSide = await probe.connect();
      } finally {
        await probe.close();
      }
      const exchange = await settledExchange(broker, clientId, CONNECT_TIMEOUT_MS);
      const ok = clientSide.verdict.outcome === 'success' && exchange?.verdict.outcome === 'success';
      const client = `the probe asked for ${service} with ${settings.profile.ccache ?? 'the default ccache'}: ${clientSide.verdict.outcome} (${clientSide.verdict.reason})`;
      return { ok, detail: `${describeExchange(exchange)}; ${client}`, ...(exchange ? { exchange } : {}) };
    });
  } catch (error) {
    return { ok: false, detail: `the broker could not run the settings: ${(error as Error).message}` };
  }
}
