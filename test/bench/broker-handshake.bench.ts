/**
 * GSSAPI-KERBEROS handshakes per second through the broker, against raw client+server GSS
 * context establishments measured in the same run (goal ≥ 0.5×):
 *   - baseline: the binding in this process, client and server (initiator step, acceptor step,
 *     initiator step with the AP-REP) — what any acceptor must do at the very least,
 *   - the broker: a client (the same in-process initiator) doing the whole EMQX flow — CONNECT,
 *     AUTH ×4, CONNACK, DISCONNECT — against the gateway, whose acceptors run in the pool of GSS
 *     workers and whose security-layer round and Exchange recording (decoded, decrypted steps,
 *     traces, verdict) are ours. The client speaks raw MQTT (test/helpers/mqtt-raw), as
 *     broker.bench.ts does, so that the server side is what is measured; MQTT.js doing the same
 *     flow is measured too, for what a real client adds.
 * Two more modes in the same interleaved run bound what any GSSAPI-KERBEROS implementation on this
 * stack could reach: the same three round trips (CONNECT, AUTH ×4, CONNACK) through the same
 * gateway with the trivial TEST-ECHO-2 method (no GSS, no decoding), and a bare anonymous MQTT 5
 * connect to plain aedes (one round trip, no gateway). They are recorded as
 * broker_same_rounds_no_gss_vs_raw_gss and aedes_connect_vs_raw_gss.
 * vitest's runs are one after another. The figure is measured afterwards in interleaved batches
 * (the machine's drift falls on both modes alike), one handshake at a time and with CONCURRENT
 * in flight — for both modes alike: the baseline's establishments then overlap in the binding's
 * thread pool, the broker's in its event loop and its GSS workers.
 * Needs the build (the GSS worker is out/main/gss-worker.js).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import net from 'node:net';
import { Aedes } from 'aedes';
import mqtt, { type Packet } from 'mqtt';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import { recordFigure } from './figures';
import { interleavedTimes } from './interleave';
import { startBroker, type Broker } from '../../main/broker/broker';
import { kerberosAuthenticator } from '../../main/broker/kerberos-setup';
import { labProfile } from '../../main/gss/profiles';
import type { KerberosProfile } from '../../main/gss/types';
import { GssSupervisor } from '../../main/gss/supervisor';
import { createTestRealm, type TestRealm } from '../helpers/lab';
import { connectOnce } from '../helpers/mqtt-raw';
import { EchoAuthenticator } from '../helpers/test-authenticators';

interface NativeClient {
  step(challenge: string): Promise<string | null>;
  unwrap(token: string): Promise<string | null>;
  wrap(data: string, options: { user: string }): Promise<string | null>;
}
interface NativeServer {
  response: string | null;
  contextComplete: boolean;
  step(token: string): Promise<unknown>;
}
interface Binding {
  initializeClient(service: string, options: object): Promise<NativeClient>;
  initializeServer(service: string): Promise<NativeServer>;
}

const METHOD = 'GSSAPI-KERBEROS';
const SERVICE = 'mqtt@localhost';
/** Handshakes in flight at once in the concurrent measurement (both modes). */
const CONCURRENT = 8;
let lab: TestRealm;
let gss: GssSupervisor;
let broker: Broker;
let binding: Binding;
let profile: KerberosProfile;
let port = 0;
/** The same gateway with TEST-ECHO-2 (three round trips, no GSS), and plain aedes on its own. */
let echoPort = 0;
let plain: Aedes;
let plainServer: net.Server;
let plainPort = 0;
const ECHO_SECRET = 'bench';
let counter = 0;
const savedEnv = { ...process.env };

beforeAll(async () => {
  lab = await createTestRealm();
  // The in-process initiator (and the baseline's acceptor) read the lab from this environment.
  Object.assign(process.env, lab.env, { KRB5RCACHEDIR: lab.realm.paths.rcacheDir });
  binding = createRequire(import.meta.url)('kerberos') as Binding;
  gss = new GssSupervisor();
  profile = labProfile(lab.name, { krb5Config: lab.realm.paths.krb5Conf, rcacheDir: lab.realm.paths.rcacheDir });
  const authenticator = await kerberosAuthenticator({
    gss,
    profile,
    keytabFile: lab.serviceKeytab,
    principal: `mqtt/localhost@${lab.name}`,
    variant: 'emqx',
  });
  broker = await startBroker({
    listeners: [
      { protocol: 'tcp', port: 0, authenticators: [authenticator] },
      { protocol: 'tcp', port: 0, authenticators: [new EchoAuthenticator({ method: 'TEST-ECHO-2', rounds: 2, secret: ECHO_SECRET })] },
    ],
    exchangeLimit: 50,
  });
  [port, echoPort] = broker.listeners.map((l) => l.port) as [number, number];
  plain = await Aedes.createBroker();
  plainServer = net.createServer((socket) => plain.handle(socket));
  await new Promise<void>((resolve) => plainServer.listen(0, '127.0.0.1', resolve));
  plainPort = (plainServer.address() as net.AddressInfo).port;
}, 60_000);

afterAll(async () => {
  try {
    await measureFigure();
  } finally {
    await broker?.close();
    plainServer?.close();
    if (plain) await new Promise<void>((resolve) => plain.close(() => resolve()));
    await gss?.dispose();
    await lab?.destroy();
    process.env = savedEnv;
  }
}, 180_000);

async function rawEstablishment(): Promise<void> {
  const client = await binding.initializeClient(SERVICE, {});
  const server = await binding.initializeServer(SERVICE);
  const apReq = await client.step('');
  await server.step(apReq!);
  await client.step(server.response ?? '');
  if (!server.contextComplete) throw new Error('the context did not complete');
}

/** The initiator's answer to the broker's n-th challenge (base64 in and out). */
async function answerChallenge(client: NativeClient, round: number, challenge: string): Promise<string> {
  if (round === 1) return (await client.step(challenge)) ?? '';
  // The binding's wrap builds the RFC 4752 reply from the offer; pad to 8 bytes (it reads a long).
  const offer = Buffer.from((await client.unwrap(challenge)) ?? '', 'base64');
  return (await client.wrap(Buffer.concat([offer.subarray(0, 4), Buffer.alloc(4)]).toString('base64'), { user: '' })) ?? '';
}

async function brokerHandshake(): Promise<void> {
  const client = await binding.initializeClient(SERVICE, {});
  const apReq = Buffer.from((await client.step(''))!, 'base64');
  await connectOnce({ port }, `gssapi-${++counter}`, {
    method: METHOD,
    data: apReq,
    answer: async (round, challenge) => Buffer.from(await answerChallenge(client, round, challenge?.toString('base64') ?? ''), 'base64'),
  });
}

/** The GSSAPI-KERBEROS packet sequence without GSS: CONNECT, AUTH ×4 (two TEST-ECHO challenges), CONNACK. */
async function echoHandshake(): Promise<void> {
  await connectOnce({ port: echoPort }, `floor-${++counter}`, { method: 'TEST-ECHO-2', data: Buffer.from('alice'), answer: () => Buffer.from(ECHO_SECRET) });
}

/** A bare anonymous MQTT 5 connect to plain aedes: CONNECT, CONNACK, DISCONNECT. */
async function aedesConnect(): Promise<void> {
  await connectOnce({ port: plainPort }, `floor-${++counter}`);
}

async function mqttJsHandshake(): Promise<void> {
  const client = await binding.initializeClient(SERVICE, {});
  const apReq = Buffer.from((await client.step(''))!, 'base64');
  const mqttClient = mqtt.connect(`mqtt://127.0.0.1:${port}`, { protocolVersion: 5, reconnectPeriod: 0, properties: { authenticationMethod: METHOD, authenticationData: apReq } });
  let round = 0;
  mqttClient.handleAuth = (packet, callback) => {
    const data = (packet.properties?.authenticationData as Buffer | undefined)?.toString('base64') ?? '';
    answerChallenge(client, ++round, data)
      .then((answer) => callback(undefined, { cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: METHOD, authenticationData: Buffer.from(answer, 'base64') } } as Packet))
      .catch((error: Error) => callback(error));
  };
  await new Promise<void>((resolve, reject) => {
    mqttClient.once('connect', () => resolve());
    mqttClient.once('error', reject);
  });
  await mqttClient.endAsync(true);
}

/** `total` operations with `inFlight` of them running at any time. */
async function inLanes(inFlight: number, total: number, operation: () => Promise<void>): Promise<void> {
  let started = 0;
  const lane = async () => {
    while (started < total) {
      started++;
      await operation();
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
}

/** CPU time a process has used (user + system), in ms, from /proc (clock ticks of 10 ms). */
function processCpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

/** The GSS workers' CPU (ms) and the handshakes it served, summed over every broker batch. */
const workerCpu = { ms: 0, operations: 0 };

/** Runs a broker batch, adding what the GSS workers spent on it to workerCpu. */
async function withWorkerCpu(run: () => Promise<void>, operations: number): Promise<void> {
  // The listener's workers run a profile of their own: the lab's with the listener's keytab
  // (kerberos-setup.ts names it so). Without them the broker's CPU would look 1.2 ms cheaper.
  const workers = gss.pids(`${profile.id}:broker:${lab.serviceKeytab}`);
  if (workers.length === 0) throw new Error('no GSS worker of the broker listener is running: its CPU cannot be counted');
  const before = workers.map(processCpuMs);
  await run();
  workerCpu.ms += workers.reduce((sum, pid, i) => sum + processCpuMs(pid) - before[i]!, 0);
  workerCpu.operations += operations;
}

/**
 * Operations per batch: the raw establishment is about ten times faster, so its batches hold ten
 * times as many, and each mode's batches last about as long — the drift they sample is alike.
 */
const BATCH = { raw: 400, broker: 40, echo: 100, aedes: 200 };

async function measureFigure(): Promise<void> {
  const modes = (inFlight: number): Array<[string, () => Promise<void>, number]> => [
    ['raw GSS client+server (in process)', () => inLanes(inFlight, BATCH.raw, rawEstablishment), BATCH.raw],
    ['GSSAPI-KERBEROS via the broker', () => withWorkerCpu(() => inLanes(inFlight, BATCH.broker, brokerHandshake), BATCH.broker), BATCH.broker],
    ['same rounds, no GSS (TEST-ECHO-2)', () => inLanes(inFlight, BATCH.echo, echoHandshake), BATCH.echo],
    ['bare connect to plain aedes', () => inLanes(inFlight, BATCH.aedes, aedesConnect), BATCH.aedes],
  ];
  console.log('\nGSS context establishments / MQTT 5 handshakes per second, interleaved batches (rate, ratio to raw GSS, CPU per operation):');
  const ratios: number[][] = [];
  let rates: number[] = [];
  let cpu: number[] = [];
  for (const inFlight of [1, CONCURRENT]) {
    const batches = modes(inFlight);
    workerCpu.ms = workerCpu.operations = 0;
    const times = await interleavedTimes(batches.map(([name, run]) => [name, run] as const), 10, 1);
    const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
    rates = times.map((t, i) => ((t.wall.length * batches[i]![2]) / sum(t.wall)) * 1000);
    // This process's CPU (every thread, the binding's pool too) per operation; the broker's adds its GSS workers'.
    cpu = times.map((t, i) => sum(t.cpu) / (t.cpu.length * batches[i]![2]));
    cpu[1]! += workerCpu.ms / workerCpu.operations;
    ratios.push(rates.map((rate) => rate / rates[0]!));
    batches.forEach(([name], i) => console.log(`  ${inFlight} in flight, ${name.padEnd(36)} ${rates[i]!.toFixed(0).padStart(5)}/s  ${ratios.at(-1)![i]!.toFixed(3)}×  ${cpu[i]!.toFixed(2)} ms CPU`));
  }
  const [one, many] = ratios as [number[], number[]];
  // A GSSAPI-KERBEROS handshake does at least the TEST-ECHO-2 handshake's work (the same packets
  // through the same gateway) plus a raw establishment's: with every core busy, no
  // implementation on this stack gets past cores ÷ (the two CPU costs).
  const cores = os.availableParallelism();
  const ceiling = (cores * 1000) / (cpu[0]! + cpu[2]!);
  console.log(`  ${cores} cores ÷ (raw GSS + TEST-ECHO-2 CPU): at most ${ceiling.toFixed(0)} handshakes/s = ${(ceiling / rates[0]!).toFixed(3)}× raw GSS`);
  recordFigure({
    key: 'broker_gssapi_vs_raw_gss',
    value: many[1]!,
    unit: '×',
    detail: `GSSAPI-KERBEROS MQTT 5 handshakes through the broker (raw MQTT client, in-process initiator, acceptors in the GSS worker pool) / raw in-process client+server GSS establishments, ${CONCURRENT} in flight each, interleaved batches (one at a time: ${one[1]!.toFixed(3)}×)`,
  });
  recordFigure({
    key: 'broker_same_rounds_no_gss_vs_raw_gss',
    value: many[2]!,
    unit: '×',
    detail: `the ceiling without GSS: the same CONNECT, AUTH ×4, CONNACK through the same gateway with TEST-ECHO-2 (no GSS, nothing to decode) / raw GSS establishments, ${CONCURRENT} in flight (one at a time: ${one[2]!.toFixed(3)}×)`,
  });
  recordFigure({
    key: 'broker_gssapi_ceiling_vs_raw_gss',
    value: ceiling / rates[0]!,
    unit: '×',
    detail: `the most any GSSAPI-KERBEROS implementation on this stack could reach: ${cores} cores ÷ (CPU of a raw establishment ${cpu[0]!.toFixed(2)} ms + of a TEST-ECHO-2 handshake ${cpu[2]!.toFixed(2)} ms, all processes) / raw GSS establishments per second; GSSAPI-KERBEROS itself costs ${cpu[1]!.toFixed(2)} ms`,
  });
  recordFigure({
    key: 'aedes_connect_vs_raw_gss',
    value: many[3]!,
    unit: '×',
    detail: `a bare anonymous MQTT 5 connect to plain aedes (one round trip, no gateway) / raw GSS establishments, ${CONCURRENT} in flight (one at a time: ${one[3]!.toFixed(3)}×)`,
  });
}

describe('GSSAPI-KERBEROS handshake vs raw GSS context establishment (one at a time)', () => {
  bench('baseline: raw client+server GSS context establishment (in process)', rawEstablishment, { time: 3000, warmupTime: 500 });
  bench('GSSAPI-KERBEROS MQTT 5 handshake through the broker (raw MQTT client)', brokerHandshake, { time: 3000, warmupTime: 500 });
  bench('GSSAPI-KERBEROS MQTT 5 handshake through the broker (MQTT.js client)', mqttJsHandshake, { time: 3000, warmupTime: 500 });
});
