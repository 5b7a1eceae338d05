/**
 * `chain test`: one MQTT 5 connection (MQTT.js, or the bench probe for GSSAPI-KERBEROS) through one
 * listener's chain from the YAML, on a throwaway loopback listener (a free port), and what the
 * broker recorded for it. The broker is closed again before this returns.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import mqtt, { type IClientOptions } from 'mqtt';
import type { ChainTestInput, ChainTestResult } from '../../api/chain';
import type { LabService } from '../../api/lab';
import { BenchFailure } from '../../engine/failure';
import type { Exchange } from '../../exchange/model';
import type { GssSupervisor } from '../../gss/supervisor';
import { MqttProbe } from '../../probe/probe';
import { startBroker, type Broker } from '../broker';
import { settledExchange } from '../settled';
import { ensureSelfSignedCertificate } from '../tls';
import { KERBEROS_AUTHENTICATION_METHOD } from './methods/kerberos';
import { chainKerberosAuthenticator, chainListenerConfigs, loadChainListeners } from './setup';

export interface ChainTryContext {
  dataDir: string;
  gss: GssSupervisor;
  lab: LabService;
}

/** CONNECT → CONNACK and the broker's verdict, bounded. */
const CONNECT_TIMEOUT_MS = 15_000;

export async function tryChainConnection(input: ChainTestInput, context: ChainTryContext): Promise<ChainTestResult> {
  const resolved = await loadChainListeners(input.file);
  const chosen = input.listener === undefined ? resolved[0]! : resolved.find((r) => r.listener.name === input.listener);
  if (!chosen) throw new BenchFailure(`${input.file} has no BrokerListener "${input.listener}" (it has: ${resolved.map((r) => r.listener.name).join(', ')})`);
  if ((input.certFile || input.keyFile) && !chosen.listener.tls) throw new BenchFailure(`listener ${chosen.listener.name} has no TLS: a client certificate needs a TLS listener`);
  if (Boolean(input.certFile) !== Boolean(input.keyFile)) throw new BenchFailure('a client certificate needs both the certificate and the key file');
  let caFile: string | undefined;
  const setup = await chainListenerConfigs([chosen], {
    port: 0,
    tls: async () => {
      const files = await ensureSelfSignedCertificate(path.join(context.dataDir, 'broker-tls'));
      caFile = files.certFile;
      return files;
    },
    kerberos: (config) => chainKerberosAuthenticator(config, { gss: context.gss, lab: context.lab }),
  });
  let broker: Broker | undefined;
  try {
    broker = await startBroker({ listeners: setup.listeners, exchangeLimit: 10 });
    const url = broker.listeners[0]!.url;
    const ca = caFile ? await readFile(caFile) : undefined;
    const clientId = input.clientId ?? `kbench-chain-test-${process.pid}`;
    if (input.method === KERBEROS_AUTHENTICATION_METHOD) await connectWithKerberos(url, clientId, ca, context);
    else await connectWithMqttJs(url, await clientOptions(input, clientId, ca));
    const exchange = await settled(broker, clientId);
    const verdict = exchange.authChain ?? { allowed: false, endedBy: null, attributes: {}, trace: [], reason: `the broker did not decide through the chain: ${exchange.verdict.reason}` };
    return { ...structuredClone(verdict), exchange: structuredClone(exchange) };
  } finally {
    await broker?.close();
    await setup.dispose();
  }
}

async function clientOptions(input: ChainTestInput, clientId: string, ca: Buffer | undefined): Promise<IClientOptions> {
  return {
    protocolVersion: 5,
    clientId,
    reconnectPeriod: 0,
    connectTimeout: CONNECT_TIMEOUT_MS,
    ...(input.username !== undefined ? { username: input.username } : {}),
    ...(input.password !== undefined ? { password: input.password } : {}),
    ...(ca ? { ca } : {}),
    ...(input.certFile && input.keyFile ? { cert: await readFile(input.certFile), key: await readFile(input.keyFile) } : {}),
    // Another method than GSSAPI-KERBEROS is sent as it is, without data: the chain judges the name.
    ...(input.method ? { properties: { authenticationMethod: input.method } } : {}),
  };
}

/** Resolves once the broker answered (CONNACK either way) or the connection ended. */
function connectWithMqttJs(url: string, options: IClientOptions): Promise<void> {
  return new Promise((resolve) => {
    const client = mqtt.connect(url, options);
    client.handleAuth = (_packet, callback) => callback(new Error('chain test: no AUTH rounds for this method'));
    const done = (): void => {
      client.end(true);
      resolve();
    };
    client.once('connect', done);
    client.once('error', done);
    client.once('close', done);
  });
}

/** GSSAPI-KERBEROS the way the bench probe does it, with the lab's ticket for mqtt@localhost. */
async function connectWithKerberos(url: string, clientId: string, ca: Buffer | undefined, context: ChainTryContext): Promise<void> {
  await context.lab.up();
  const profile = await context.lab.profile();
  const probe = new MqttProbe({ url, gss: context.gss, profile, service: 'mqtt@localhost', clientId, timeoutMs: CONNECT_TIMEOUT_MS, ...(ca ? { ca } : {}) });
  try {
    await probe.connect();
  } catch {
    // The broker's Exchange says what happened; the probe's own error adds nothing here.
  } finally {
    await probe.close();
  }
}

/** The connection's Exchange once its verdict is in (the broker sets it before it answers). */
async function settled(broker: Broker, clientId: string): Promise<Exchange> {
  const exchange = await settledExchange(broker, clientId, CONNECT_TIMEOUT_MS);
  if (!exchange) throw new BenchFailure('the broker recorded no verdict for the test connection in time');
  return exchange;
}
