/**
 * Load and faults against the real broker (issue 18, item 2), shared by
 * test/integration/load-faults.test.ts and test/bench/load.bench.ts.
 *
 * One broker, four listeners, all on 127.0.0.1:
 *   anonymous       plain MQTT 3.1.1 and 5, allowAnonymous
 *   kerberos        GSSAPI-KERBEROS only (EMQX flow; anonymous refused with 0x87)
 *   chain           Azure-style chain [custom → usernamePassword → kerberos]; the custom server
 *                   hangs, so every CONNECT waits out the custom method's timeout and falls through
 *   chain-deadline  chain [custom] whose timeout is longer than the listener's auth deadline: the
 *                   gateway's deadline must answer (CONNACK 0x87) while the custom server still hangs
 * Clients are MQTT.js. GSSAPI-KERBEROS clients make their tokens with the `kerberos` binding in
 * this process from alice's ccache, which holds the mqtt/localhost service ticket after the
 * warm-up: they keep working while the KDC is down. "fresh-tgs" clients start from a ccache with
 * only a TGT (a copy per wave, in a client GSS worker): each wave they must ask the KDC for a
 * service ticket, which fails while it is down — on the client, before any CONNECT.
 *
 * Every client ends with a verdict the test can classify: a CONNACK (success or refusal code with
 * its Reason String), a server DISCONNECT, a client-side GSS failure, or — never expected — a
 * client-side timeout or a close without an answer.
 */
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { copyFile, readdir, readFile, readlink } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import mqtt, { type IClientOptions, type MqttClient, type Packet } from 'mqtt';
import { startBroker, type Broker } from '../../main/broker/broker';
import { AuthChain } from '../../main/broker/chain/chain';
import { methodFor } from '../../main/broker/chain/methods';
import { kerberosAuthenticator } from '../../main/broker/kerberos-setup';
import { labProfile } from '../../main/gss/profiles';
import { GssSupervisor, type GssWorkerEvent } from '../../main/gss/supervisor';
import type { GssWorkerApi } from '../../main/gss/types';
import { ALICE_PASSWORD, createTestRealm, type TestRealm } from './lab';
import { connectPacket, RawMqttClient } from './mqtt-raw';
import { issueServerCert, makeTestCa } from './test-ca';

const METHOD = 'GSSAPI-KERBEROS';
const SERVICE = 'mqtt@localhost';
const GOOD_PASSWORD = 'load-Pa55';

export type ClientKind =
  | 'plain-v5'
  | 'plain-v4'
  | 'plain-refused'
  | 'gssapi'
  | 'chain-password'
  | 'chain-bad-password'
  | 'chain-gssapi'
  | 'chain-deadline'
  | 'fresh-tgs'
  | 'abandon-gssapi'
  | 'abandon-chain';

/** What one client ended with. `timeout` and `closed` mean a connection without a verdict. */
export type ClientVerdict =
  | { kind: 'connack'; code: number; reasonString?: string }
  | { kind: 'disconnect'; code: number; reasonString?: string }
  | { kind: 'client-gss'; message: string }
  | { kind: 'client-error'; message: string }
  /** An abandon-* client went away on purpose before its answer (the broker's verdict is in its Exchange). */
  | { kind: 'abandoned' }
  | { kind: 'timeout' }
  | { kind: 'closed' };

export interface ClientResult {
  client: ClientKind;
  verdict: ClientVerdict;
  ms: number;
  /** Open MQTT.js client after CONNACK 0x00, closed by closeClients. */
  open?: MqttClient;
}

/** What every kind gets when nothing is broken (code -1: it leaves before any answer). */
export const EXPECTED: Record<ClientKind, { code: number; reason?: RegExp }> = {
  'plain-v5': { code: 0 },
  'plain-v4': { code: 0 },
  'plain-refused': { code: 0x87, reason: /anonymous access is off/ },
  gssapi: { code: 0 },
  'chain-password': { code: 0 },
  'chain-bad-password': { code: 0x86, reason: /usernamePassword ends the chain: denied/ },
  'chain-gssapi': { code: 0 },
  'chain-deadline': { code: 0x87, reason: /did not decide within/ },
  'fresh-tgs': { code: 0 },
  'abandon-gssapi': { code: -1 },
  'abandon-chain': { code: -1 },
};

interface NativeClient {
  step(challenge: string): Promise<string | null>;
  unwrap(token: string): Promise<string | null>;
  wrap(data: string, options: { user: string }): Promise<string | null>;
}
interface Binding {
  initializeClient(service: string, options: object): Promise<NativeClient>;
}

export interface LoadOptions {
  /** The chain's custom method gives up on the hanging server after this (then falls through). */
  customTimeoutMs: number;
  /** The chain-deadline listener's auth deadline (its custom method waits far longer). */
  deadlineMs: number;
  /** A client with no verdict after this is classified `timeout`. */
  clientBoundMs: number;
}

/** The hanging custom authentication server: TLS works, the HTTP answer never comes. */
interface HangingServer {
  url: string;
  caPem: string;
  /** Requests it received (and never answered). */
  requests: number;
  close(): Promise<void>;
}

export interface LoadWorld {
  lab: TestRealm;
  broker: Broker;
  gss: GssSupervisor;
  hanging: HangingServer;
  urls: { anonymous: string; kerberos: string; chain: string; chainDeadline: string };
  options: LoadOptions;
  /** The broker's GSS worker profile id (gss.pid(id) finds its process). */
  brokerProfileId: string;
  /** Server-side: each connection's Exchange id → its latest verdict outcome. */
  serverVerdicts: Map<string, string>;
  /** Server-side: Exchange ids whose chain waited out the hanging custom server. */
  customTimedOut: Set<string>;
  /** The broker's GSS worker events (started, crashed, stopped). */
  workerEvents: GssWorkerEvent[];
  /** GSS client contexts started by the gssapi kinds (a fault hook may wait for some). */
  challenges: { count: number; waiters: Array<{ at: number; resolve(): void }> };
  close(): Promise<void>;
}

const binding = (): Binding => createRequire(import.meta.url)('kerberos') as Binding;

/** Azure's format, computed here: $pbkdf2-sha512$i=N,l=64$SALT$HASH, unpadded base64. */
function azureHash(password: string): string {
  const salt = randomBytes(16);
  const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '');
  return `$pbkdf2-sha512$i=1000,l=64$${b64(salt)}$${b64(pbkdf2Sync(password, salt, 1000, 64, 'sha512'))}`;
}

async function startHangingServer(dir: string): Promise<HangingServer> {
  const ca = await makeTestCa(dir, 'load');
  const leaf = await issueServerCert(ca, dir, 'hanging');
  const state = { requests: 0 };
  const server = https.createServer({ cert: leaf.cert, key: leaf.key }, (request) => {
    state.requests++;
    request.resume(); // read the body, never answer
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}/auth`,
    caPem: ca.certPem,
    get requests() {
      return state.requests;
    },
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

/** Server side: each connection's latest verdict, and which chains gave up on the hanging server. */
function trackServerVerdicts(broker: Broker): { verdicts: Map<string, string>; customTimedOut: Set<string> } {
  const verdicts = new Map<string, string>();
  const customTimedOut = new Set<string>();
  broker.onExchange(({ exchange }) => {
    verdicts.set(exchange.id, exchange.verdict.outcome);
    const first = exchange.authChain?.trace[0];
    if (first?.method === 'custom' && /unreachable: no answer within/.test(first.why)) customTimedOut.add(exchange.id);
  });
  return { verdicts, customTimedOut };
}

const savedEnv = { ...process.env };

export async function startLoadWorld(options: LoadOptions): Promise<LoadWorld> {
  const lab = await createTestRealm();
  // The in-process initiator reads the lab (alice's ccache) from this process's environment.
  Object.assign(process.env, lab.env, { KRB5RCACHEDIR: lab.realm.paths.rcacheDir });
  await lab.realm.kinit('alice', { password: ALICE_PASSWORD }, { ccache: path.join(lab.dir, 'tgt-only.ccache') });
  const hanging = await startHangingServer(lab.dir);
  const workerEvents: GssWorkerEvent[] = [];
  const gss = new GssSupervisor({ onWorkerEvent: (event) => workerEvents.push(event) });
  const profile = labProfile(lab.name, { krb5Config: lab.realm.paths.krb5Conf, rcacheDir: lab.realm.paths.rcacheDir });
  const kerberos = await kerberosAuthenticator({ gss, profile, keytabFile: lab.serviceKeytab, principal: `mqtt/localhost@${lab.name}`, variant: 'emqx' });
  const passwordsToml = `[alice]\npassword = "${azureHash(GOOD_PASSWORD)}"\n`;
  const custom = (timeoutMs: number) => methodFor({ kind: 'custom', endpoint: hanging.url, caCertPem: hanging.caPem, timeoutMs });
  const chain = new AuthChain({ methods: [custom(options.customTimeoutMs), methodFor({ kind: 'usernamePassword', passwordsToml }), methodFor({ kind: 'kerberos', credentials: 'lab' })] });
  const deadlineChain = new AuthChain({ methods: [custom(60_000)] });
  const broker = await startBroker({
    exchangeLimit: 20,
    listeners: [
      { protocol: 'tcp', port: 0, allowAnonymous: true },
      { protocol: 'tcp', port: 0, authenticators: [kerberos] },
      { protocol: 'tcp', port: 0, authenticators: [kerberos], chain },
      { protocol: 'tcp', port: 0, chain: deadlineChain, authDeadlineMs: options.deadlineMs },
    ],
  });
  const [anonymous, kerberosUrl, chainUrl, chainDeadline] = broker.listeners.map((l) => l.url) as [string, string, string, string];
  const server = trackServerVerdicts(broker);
  return {
    lab,
    broker,
    gss,
    hanging,
    urls: { anonymous, kerberos: kerberosUrl, chain: chainUrl, chainDeadline },
    options,
    brokerProfileId: `${profile.id}:broker:${lab.serviceKeytab}`,
    serverVerdicts: server.verdicts,
    customTimedOut: server.customTimedOut,
    workerEvents,
    challenges: { count: 0, waiters: [] },
    close: async () => {
      await broker.close();
      await Promise.all([chain.dispose(), deadlineChain.dispose()]);
      await gss.dispose();
      await hanging.close();
      await lab.destroy();
      process.env = savedEnv;
    },
  };
}

// ---- one client ---------------------------------------------------------------------------------

/**
 * Watches an MQTT.js client until it has a verdict. A CONNACK 0x00 leaves it open (returned);
 * anything else ends it. The bound is the client's own: past it, `timeout`.
 */
function observe(client: MqttClient, kind: ClientKind, boundMs: number): Promise<ClientResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    let reasonString: string | undefined;
    let done = false;
    const finish = (verdict: ClientVerdict, keep = false) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ client: kind, verdict, ms: performance.now() - started, ...(keep ? { open: client } : {}) });
      if (!keep) client.end(true);
    };
    const timer = setTimeout(() => finish({ kind: 'timeout' }), boundMs);
    client.on('packetreceive', (packet: Packet & { reasonCode?: number; properties?: { reasonString?: string } }) => {
      if (packet.cmd === 'connack') reasonString = packet.properties?.reasonString;
      if (packet.cmd === 'disconnect' && !done) finish({ kind: 'disconnect', code: packet.reasonCode ?? 0, ...(packet.properties?.reasonString ? { reasonString: packet.properties.reasonString } : {}) });
    });
    client.once('connect', () => finish({ kind: 'connack', code: 0 }, true));
    client.on('error', (error: Error & { code?: unknown }) => {
      if (typeof error.code === 'number') finish({ kind: 'connack', code: error.code, ...(reasonString ? { reasonString } : {}) });
      else finish({ kind: 'client-error', message: error.message });
    });
    client.once('close', () => finish({ kind: 'closed' }));
  });
}

function mqttOptions(world: LoadWorld, clientId: string, extra: IClientOptions = {}): IClientOptions {
  // MQTT.js's own connect timeout is longer than the test's bound: the bound classifies.
  return { protocolVersion: 5, reconnectPeriod: 0, clientId, connectTimeout: world.options.clientBoundMs + 5_000, ...extra };
}

/** The GSS side of a GSSAPI-KERBEROS client: first token, then one answer per AUTH 0x18. */
export interface Initiator {
  first(): Promise<Buffer>;
  answer(round: number, challenge: string): Promise<Buffer>;
}

/** The in-process binding's initiator for mqtt@localhost (the lab's default ccache, read at each first token). */
export function nativeInitiator(): Initiator {
  let context: NativeClient;
  return {
    first: async () => {
      context = await binding().initializeClient(SERVICE, {});
      return Buffer.from((await context.step('')) ?? '', 'base64');
    },
    answer: async (round, challenge) => {
      if (round === 1) return Buffer.from((await context.step(challenge)) ?? '', 'base64');
      // The binding builds the RFC 4752 reply from the offer; pad to 8 bytes (it reads a long).
      const offer = Buffer.from((await context.unwrap(challenge)) ?? '', 'base64');
      return Buffer.from((await context.wrap(Buffer.concat([offer.subarray(0, 4), Buffer.alloc(4)]).toString('base64'), { user: '' })) ?? '', 'base64');
    },
  };
}

function workerInitiator(worker: GssWorkerApi): Initiator {
  let handle = '';
  return {
    first: async () => {
      handle = (await worker.createClient(SERVICE)).value.handle;
      return Buffer.from((await worker.clientStep(handle, '')).value.response, 'base64');
    },
    answer: async (round, challenge) => {
      if (round === 1) return Buffer.from((await worker.clientStep(handle, challenge)).value.response, 'base64');
      await worker.clientUnwrap(handle, challenge);
      return Buffer.from((await worker.clientWrap(handle, Buffer.from([1, 0, 0, 0]).toString('base64'), { protect: false })).value.token, 'base64');
    },
  };
}

function noteChallenge(world: LoadWorld): void {
  const challenges = world.challenges;
  challenges.count++;
  for (const waiter of challenges.waiters.filter((w) => challenges.count >= w.at)) waiter.resolve();
  challenges.waiters = challenges.waiters.filter((w) => challenges.count < w.at);
}

/** Resolves once `more` further GSSAPI-KERBEROS first challenges (AP-REPs) reached clients; rejects after `boundMs`. */
export function afterChallenges(world: LoadWorld, more: number, boundMs = 15_000): Promise<void> {
  const at = world.challenges.count + more;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${world.challenges.count - at + more} of ${more} GSSAPI-KERBEROS challenges within ${boundMs} ms`)), boundMs);
    world.challenges.waiters.push({ at, resolve: () => (clearTimeout(timer), resolve()) });
  });
}

async function gssapiClient(world: LoadWorld, kind: ClientKind, url: string, clientId: string, initiator: Initiator): Promise<ClientResult> {
  let apReq: Buffer;
  try {
    apReq = await initiator.first();
  } catch (error) {
    return { client: kind, verdict: { kind: 'client-gss', message: (error as Error).message }, ms: 0 };
  }
  const client = mqtt.connect(url, mqttOptions(world, clientId, { properties: { authenticationMethod: METHOD, authenticationData: apReq } }));
  let round = 0;
  client.handleAuth = (packet, callback) => {
    const challenge = (packet.properties?.authenticationData as Buffer | undefined)?.toString('base64') ?? '';
    if (++round === 1) noteChallenge(world);
    initiator.answer(round, challenge).then(
      (answer) => callback(undefined, { cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: METHOD, authenticationData: answer } } as Packet),
      (error: Error) => callback(error),
    );
  };
  return observe(client, kind, world.options.clientBoundMs);
}

/** Per wave: a client GSS worker whose ccache holds only alice's TGT (a fresh copy). */
export interface FreshTickets {
  worker: GssWorkerApi;
  dispose(): Promise<void>;
}

export async function freshTickets(world: LoadWorld, wave: string): Promise<FreshTickets> {
  const ccache = path.join(world.lab.dir, `tgt-only-${wave}.ccache`);
  await copyFile(path.join(world.lab.dir, 'tgt-only.ccache'), ccache);
  const supervisor = new GssSupervisor();
  const profile = labProfile(world.lab.name, { id: `fresh-${wave}`, krb5Config: world.lab.realm.paths.krb5Conf, ccache, rcacheDir: world.lab.realm.paths.rcacheDir });
  return { worker: supervisor.worker(profile), dispose: () => supervisor.dispose() };
}

export function runClient(world: LoadWorld, kind: ClientKind, id: string, fresh?: FreshTickets): Promise<ClientResult> {
  const { urls } = world;
  const observeAt = (url: string, extra: IClientOptions = {}) => observe(mqtt.connect(url, mqttOptions(world, id, extra)), kind, world.options.clientBoundMs);
  switch (kind) {
    case 'plain-v5':
      return observeAt(urls.anonymous);
    case 'plain-v4':
      return observeAt(urls.anonymous, { protocolVersion: 4 });
    case 'plain-refused':
      return observeAt(urls.kerberos);
    case 'gssapi':
      return gssapiClient(world, kind, urls.kerberos, id, nativeInitiator());
    case 'chain-password':
      return observeAt(urls.chain, { username: 'alice', password: GOOD_PASSWORD });
    case 'chain-bad-password':
      return observeAt(urls.chain, { username: 'alice', password: 'wrong' });
    case 'chain-gssapi':
      return gssapiClient(world, kind, urls.chain, id, nativeInitiator());
    case 'chain-deadline':
      return observeAt(urls.chainDeadline, { username: 'alice', password: GOOD_PASSWORD });
    case 'fresh-tgs':
      if (!fresh) throw new Error('fresh-tgs clients need freshTickets() for the wave');
      return gssapiClient(world, kind, urls.kerberos, id, workerInitiator(fresh.worker));
    case 'abandon-gssapi':
      return nativeInitiator()
        .first()
        .then((data) => abandon(kind, urls.kerberos, connectPacket(id, { method: METHOD, data }), 5));
    case 'abandon-chain':
      // Gone while the chain still waits for the hanging custom server.
      return abandon(kind, urls.chain, { ...connectPacket(id, { username: 'alice' }), password: Buffer.from(GOOD_PASSWORD) } as Packet, world.options.customTimeoutMs / 2);
  }
}

/** Sends the CONNECT and resets the connection after `afterMs`, before any answer can matter. */
async function abandon(kind: ClientKind, url: string, connect: Packet, afterMs: number): Promise<ClientResult> {
  const started = performance.now();
  const client = await RawMqttClient.connect({ port: Number(new URL(url).port) });
  client.send(connect);
  await new Promise((resolve) => setTimeout(resolve, afterMs));
  client.socket.resetAndDestroy();
  return { client: kind, verdict: { kind: 'abandoned' }, ms: performance.now() - started };
}

// ---- waves ----------------------------------------------------------------------------------------

/** How many of each kind in a wave; fresh-tgs clients come last (after a mid-wave fault). */
export type Mix = Partial<Record<ClientKind, number>>;

export function planOf(mix: Mix): ClientKind[] {
  const kinds = (Object.entries(mix) as [ClientKind, number][]).filter(([kind]) => kind !== 'fresh-tgs');
  const plan: ClientKind[] = [];
  // Interleaved, so every part of the wave has every kind.
  for (let left = true; left; ) {
    left = false;
    for (const [kind, count] of kinds) {
      if (plan.filter((k) => k === kind).length < count) {
        plan.push(kind);
        left = true;
      }
    }
  }
  return [...plan, ...Array<ClientKind>(mix['fresh-tgs'] ?? 0).fill('fresh-tgs')];
}

export interface WaveOptions {
  name: string;
  mix: Mix;
  /** Runs once half the wave's clients (fresh-tgs excluded) are launched; the rest wait for it. */
  midWave?: () => Promise<void>;
}

let clientCounter = 0;

/** Launches the whole wave at once (but for the mid-wave fault) and waits for every verdict. */
export async function runWave(world: LoadWorld, wave: WaveOptions): Promise<ClientResult[]> {
  const plan = planOf(wave.mix);
  const fresh = wave.mix['fresh-tgs'] ? await freshTickets(world, wave.name) : undefined;
  const half = Math.floor((plan.length - (wave.mix['fresh-tgs'] ?? 0)) / 2);
  const running: Promise<ClientResult>[] = [];
  try {
    for (const [index, kind] of plan.entries()) {
      if (index === half && wave.midWave) await wave.midWave();
      running.push(bounded(runClient(world, kind, `${wave.name}-${kind}-${++clientCounter}`, fresh), kind, world.options.clientBoundMs + 5_000));
    }
    return await Promise.all(running);
  } finally {
    await fresh?.dispose();
  }
}

/**
 * A client whose GSS initiator never returns would never reach observe()'s own bound: this one
 * covers the whole client, so a wave always ends (with `timeout` for such a client).
 */
function bounded(result: Promise<ClientResult>, kind: ClientKind, ms: number): Promise<ClientResult> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<ClientResult>((resolve) => (timer = setTimeout(() => resolve({ client: kind, verdict: { kind: 'timeout' }, ms }), ms)));
  return Promise.race([result, late]).finally(() => clearTimeout(timer));
}

/** Ends every open client (DISCONNECT) and waits until the broker has no connection left. */
export async function closeClients(world: LoadWorld, results: ClientResult[], boundMs = 10_000): Promise<void> {
  await Promise.all(results.map((r) => r.open?.endAsync().catch(() => undefined)));
  for (const r of results) delete r.open;
  await until(() => world.broker.connectionCount === 0 && world.broker.aedes.connectedClients === 0, boundMs);
}

export async function until(condition: () => boolean | Promise<boolean>, boundMs: number): Promise<boolean> {
  const end = Date.now() + boundMs;
  while (Date.now() < end) {
    if (await condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return condition();
}

// ---- faults ---------------------------------------------------------------------------------------

/** SIGKILL the lab's krb5kdc (no clean shutdown) and wait for it to be gone. */
export async function killKdc(world: LoadWorld): Promise<number> {
  const pid = Number((await readFile(world.lab.realm.paths.pidFile, 'utf8')).trim());
  process.kill(pid, 'SIGKILL');
  if (!(await until(() => !world.lab.realm.running, 5_000))) throw new Error(`krb5kdc ${pid} did not go after SIGKILL`);
  return pid;
}

export async function restartKdc(world: LoadWorld): Promise<void> {
  await world.lab.realm.start();
}

/**
 * SIGKILL one of the broker's GSS workers (an acceptor; of a pool, its oldest member), as a native
 * crash would end it. GssSupervisor.pid() names it.
 */
export function killBrokerWorker(world: LoadWorld): number {
  const pid = world.gss.pid(world.brokerProfileId);
  if (pid === undefined) throw new Error(`no GSS worker runs for ${world.brokerProfileId}`);
  process.kill(pid, 'SIGKILL');
  return pid;
}

// ---- verdicts -------------------------------------------------------------------------------------

export type Fault = 'kdc-down' | 'worker-killed';

/** Why a verdict that differs from EXPECTED is still right, given the wave's fault; undefined if not. */
export function faultExplains(result: ClientResult, fault: Fault | undefined): string | undefined {
  const v = result.verdict;
  if (fault === 'kdc-down' && result.client === 'fresh-tgs' && v.kind === 'client-gss' && /KDC|realm/i.test(v.message)) return 'no service ticket: KDC down';
  const kerberos = result.client === 'gssapi' || result.client === 'chain-gssapi' || result.client === 'fresh-tgs';
  if (fault === 'worker-killed' && kerberos && (v.kind === 'connack' || v.kind === 'disconnect') && v.code >= 0x80 && /GSS worker/.test(v.reasonString ?? '')) return 'acceptor lost with its worker';
  return undefined;
}

export function matchesExpected(result: ClientResult): boolean {
  const expected = EXPECTED[result.client];
  const v = result.verdict;
  if (expected.code === -1) return v.kind === 'abandoned';
  if (v.kind !== 'connack' || v.code !== expected.code) return false;
  return expected.reason ? expected.reason.test(v.reasonString ?? '') : true;
}

/** "connack 0x00", "connack 0x87", "client-gss" … for counting. */
export function verdictKey(verdict: ClientVerdict): string {
  if (verdict.kind === 'connack' || verdict.kind === 'disconnect') return `${verdict.kind} 0x${verdict.code.toString(16).padStart(2, '0')}`;
  return verdict.kind;
}

export function countVerdicts(results: ClientResult[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of results) counts[`${r.client}: ${verdictKey(r.verdict)}`] = (counts[`${r.client}: ${verdictKey(r.verdict)}`] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

// ---- resources ------------------------------------------------------------------------------------

export interface Resources {
  heapMb: number;
  rssMb: number;
  fds: number;
  sockets: number;
  /** Open fds of each live broker GSS worker: a context left in a worker keeps its trace file open. */
  workerFds: number[];
}

let collect: (() => void) | undefined;

/** A full GC, without restarting node with --expose-gc: the flag is set and `gc` taken from a fresh context. */
export function fullGc(): void {
  if (!collect) {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  }
  collect();
  collect();
}

export async function resources(world: LoadWorld): Promise<Resources> {
  fullGc();
  const memory = process.memoryUsage();
  const fds = await readdir('/proc/self/fd');
  const links = await Promise.all(fds.map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')));
  const workerFds = await Promise.all(world.gss.pids(world.brokerProfileId).map(async (pid) => (await readdir(`/proc/${pid}/fd`)).length));
  return { heapMb: memory.heapUsed / 2 ** 20, rssMb: memory.rss / 2 ** 20, fds: fds.length, sockets: links.filter((l) => l.startsWith('socket:')).length, workerFds };
}
