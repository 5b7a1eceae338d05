/**
 * Scenarios: each breaks the lab realm one way a real deployment breaks, runs the real flow
 * (MIT's kinit, our SASL client and server over GSS workers, the MQTT probe against the local
 * broker), captures the real error, and hands it to the diagnosis — which must put the expected
 * catalog entry first. Every scenario restores what it broke; a scenario principal of its own is
 * used wherever keys get changed, so the lab's own services are never touched.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import mqtt, { type Packet } from 'mqtt';
import type { ScenarioInfo } from '../api/diagnose';
import type { LabService, LabStatus } from '../api/lab';
import { startBroker } from '../broker/broker';
import { kerberosAuthenticator } from '../broker/kerberos-setup';
import type { Exchange } from '../exchange/model';
import type { GssSupervisor } from '../gss/supervisor';
import type { KerberosProfile } from '../gss/types';
import { keytabEntryRandom, writeKeytab } from '../krb/keytab';
import { enctypeId, parsePrincipal } from '../krb/names';
import { MqttProbe } from '../probe/probe';
import { AD_SCENARIOS } from './ad-scenarios';
import { AUTH_DEADLINE_SCENARIO } from './deadline-scenario';
import { addScenarioPrincipal, removeScenarioPrincipal } from './scenario-principal';
import { clientProfile, kinit, krb5ConfCopy, runKinit, saslFlow } from './scenario-flows';
import { JAVA_SCENARIOS } from './java-scenarios';

/** What a broken flow produced: the error as the tool printed it, and any Exchanges recorded. */
export interface Attempt {
  /** '' when the flow unexpectedly succeeded. */
  error: string;
  exchanges: Exchange[];
}

export interface ScenarioContext {
  lab: LabService;
  gss: GssSupervisor;
  status: LabStatus;
  /** The lab realm as a profile (alice's ccache, the service keytab). */
  profile: KerberosProfile;
  /** A scratch directory for this run (krb5.conf copies, keytabs, ccaches); removed afterwards. */
  dir: string;
}

export interface Scenario extends ScenarioInfo {
  run(ctx: ScenarioContext): Promise<Attempt>;
  /** Puts back what run() changed; called even when run() threw. */
  restore?(ctx: ScenarioContext): Promise<void>;
}

/** A service principal of the scenarios' own, so rotating or re-keying it harms nothing else. */
const SCENARIO_SERVICE = 'kbench-scenario/localhost';
const SCENARIO_GSS_NAME = 'kbench-scenario@localhost';

// ---- flows ---------------------------------------------------------------------------------

/** kinit alice from the lab's client keytab — what most scenarios break something under. */
function kinitAlice(ctx: ScenarioContext, options: { krb5Conf?: string; trace?: boolean } = {}): Promise<Attempt> {
  return kinit(ctx, ['-k', '-t', ctx.status.keytabs.client, 'alice'], options);
}

type Broker = Awaited<ReturnType<typeof startBroker>>;

/** A local broker authenticating as EMQX does, with `keytab` for `principal`, for as long as `use` runs. */
async function withBroker<T>(ctx: ScenarioContext, listener: { keytab: string; principal: string }, use: (url: string, broker: Broker) => Promise<T>): Promise<T> {
  const authenticator = await kerberosAuthenticator({ gss: ctx.gss, profile: ctx.profile, keytabFile: listener.keytab, principal: listener.principal, variant: 'emqx' });
  const broker = await startBroker({ listeners: [{ protocol: 'tcp', port: 0, authenticators: [authenticator] }] });
  try {
    return await use(broker.listeners[0]!.url, broker);
  } finally {
    await broker.close();
    await authenticator.dispose?.();
  }
}

/** The MQTT probe against a local broker whose listener uses `keytab` for `principal`. */
function probeBrokerFlow(ctx: ScenarioContext, listener: { keytab: string; principal: string }): Promise<Attempt> {
  return withBroker(ctx, listener, async (url, broker) => {
    const [service, host] = listener.principal.replace(/@.*$/, '').split('/') as [string, string];
    const probe = new MqttProbe({ url, gss: ctx.gss, profile: ctx.profile, service: `${service}@${host}` });
    const exchange = await probe.connect();
    await probe.close();
    const server = broker.exchanges.at(-1);
    const error = exchange.verdict.outcome === 'success' ? '' : (server?.verdict.reason ?? exchange.verdict.reason);
    return { error, exchanges: [exchange, ...(server ? [server] : [])] };
  });
}

/** Raw MQTT.js connects (`use`) against a broker with the lab's mqtt/localhost keytab; the last connection's verdict. */
function labBrokerFlow(ctx: ScenarioContext, use: (url: string) => Promise<void>): Promise<Attempt> {
  return withBroker(ctx, { keytab: ctx.status.keytabs.service, principal: `mqtt/localhost@${ctx.status.realm}` }, async (url, broker) => {
    await use(url);
    const last = broker.exchanges.at(-1);
    return { error: last?.verdict.outcome === 'failure' ? last.verdict.reason : '', exchanges: last ? [last] : [] };
  });
}

/** A real AP-REQ from alice for mqtt@localhost (the GSS initial context token). */
async function aliceApReq(ctx: ScenarioContext): Promise<Buffer> {
  const worker = ctx.gss.worker(ctx.profile);
  const { handle } = (await worker.createClient('mqtt@localhost')).value;
  try {
    return Buffer.from((await worker.clientStep(handle, '')).value.response, 'base64');
  } finally {
    await worker.release(handle);
  }
}

/** One MQTT 5 CONNECT carrying `token` as GSSAPI-KERBEROS data; resolves after the first round either way. */
function connectOnce(url: string, token: Buffer): Promise<void> {
  return new Promise<void>((resolve) => {
    const client = mqtt.connect(url, { protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 10_000, properties: { authenticationMethod: 'GSSAPI-KERBEROS', authenticationData: token } });
    // The broker's verdict on the first token is what matters: stop there.
    client.handleAuth = (_packet: Packet, callback) => callback(new Error('scenario: one round is enough'));
    client.on('error', () => undefined);
    client.once('close', () => resolve());
    client.once('connect', () => client.end(true));
  });
}

/** Two MQTT connects carrying the same AP-REQ — what MQTT.js's auto-reconnect would send. */
async function replayFlow(ctx: ScenarioContext): Promise<Attempt> {
  const apReq = await aliceApReq(ctx);
  return labBrokerFlow(ctx, async (url) => {
    await connectOnce(url, apReq);
    await connectOnce(url, apReq);
  });
}

/** A client that sends the token base64-encoded, as text, instead of its bytes. */
async function base64TokenFlow(ctx: ScenarioContext): Promise<Attempt> {
  const apReq = await aliceApReq(ctx);
  return labBrokerFlow(ctx, (url) => connectOnce(url, Buffer.from(apReq.toString('base64'))));
}

// ---- helpers that break things ----------------------------------------------------------------

const addScenarioService = (ctx: ScenarioContext) => addScenarioPrincipal(ctx, SCENARIO_SERVICE);
const removeScenarioService = (ctx: ScenarioContext) => removeScenarioPrincipal(ctx, SCENARIO_SERVICE);

/** A fresh TGT for alice (from the lab's client keytab) in a scratch ccache of its own; throws when kinit fails. */
async function aliceCcache(ctx: ScenarioContext, name: string, kinitArgs: string[] = []): Promise<string> {
  const ccache = path.join(ctx.dir, name);
  const run = await runKinit(ctx, [...kinitArgs, '-k', '-t', ctx.status.keytabs.client, 'alice'], { ccache });
  if (!run.ok) throw new Error(`kinit alice for the scenario failed: ${run.stderr.trim() || run.error}`);
  return ccache;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- the scenarios --------------------------------------------------------------------------

/** The lab KDC's clock moved by `seconds` (krb5kdc -T) while our SASL peers run on this machine's time. */
function kdcClockScenario(info: ScenarioInfo & { seconds: number }): Scenario {
  const { seconds, ...rest } = info;
  return {
    ...rest,
    async run(ctx) {
      await ctx.lab.setClockOffset({ seconds });
      return saslFlow(ctx);
    },
    async restore(ctx) {
      await ctx.lab.setClockOffset({ seconds: ctx.status.clockOffsetSeconds });
    },
  };
}

type AliceFlags = Omit<Parameters<LabService['setFlags']>[0], 'name' | 'realm'>;

/** alice's principal changed with kadmin modprinc (`broken`), then kinit from her keytab; `restored` puts it back. */
function aliceFlagScenario(info: ScenarioInfo, broken: AliceFlags, restored: AliceFlags): Scenario {
  return {
    ...info,
    async run(ctx) {
      await ctx.lab.setFlags({ name: 'alice', ...broken, undoable: false });
      return kinitAlice(ctx);
    },
    async restore(ctx) {
      await ctx.lab.setFlags({ name: 'alice', ...restored, undoable: false });
    },
  };
}

export const SCENARIOS: readonly Scenario[] = [
  {
    id: 'no-suitable-keys',
    title: 'Keytab without the principal',
    expects: 'keytab-no-suitable-keys',
    description: 'kinit -kt with a keytab that holds HTTP/localhost only, for alice.',
    async run(ctx) {
      const keytab = path.join(ctx.dir, 'http-only.keytab');
      await ctx.lab.exportKeytab({ path: keytab, principals: ['HTTP/localhost'] });
      return kinit(ctx, ['-k', '-t', keytab, 'alice']);
    },
  },
  {
    id: 'realm-unknown',
    title: 'Realm missing from krb5.conf',
    expects: 'realm-unknown',
    description: 'kinit with a krb5.conf whose [realms] section is gone (DNS lookups off).',
    async run(ctx) {
      const conf = await krb5ConfCopy(ctx, 'no-realms.conf', (text) => text.replace(/^\[realms\][\s\S]*?(?=^\[)/m, ''));
      return kinitAlice(ctx, { krb5Conf: conf });
    },
  },
  {
    id: 'kdc-down',
    title: 'KDC not running',
    expects: 'kdc-unreachable',
    description: 'Stops the lab KDC, then kinit; the KDC is started again afterwards.',
    async run(ctx) {
      await ctx.lab.stopKdc();
      return kinitAlice(ctx);
    },
    async restore(ctx) {
      await ctx.lab.startKdc();
    },
  },
  {
    id: 'kdc-host-unresolvable',
    title: 'KDC host name that does not resolve',
    expects: 'kdc-host-unresolvable',
    description: 'kinit with KRB5_TRACE and a krb5.conf whose kdc = names a host under .invalid (RFC 6761: never resolves).',
    async run(ctx) {
      const conf = await krb5ConfCopy(ctx, 'unresolvable-kdc.conf', (text) => text.replace(/^(\s*kdc\s*=\s*).*$/gm, '$1kdc.nosuch.invalid:88'));
      return kinitAlice(ctx, { krb5Conf: conf, trace: true });
    },
  },
  {
    id: 'no-default-realm',
    title: 'No default realm',
    expects: 'no-default-realm',
    description: 'kinit alice (no realm in the name) with a krb5.conf that has no default_realm.',
    async run(ctx) {
      const conf = await krb5ConfCopy(ctx, 'no-default-realm.conf', (text) => text.replace(/^\s*default_realm\s*=.*$/m, ''));
      return kinitAlice(ctx, { krb5Conf: conf });
    },
  },
  {
    id: 'wrong-password',
    title: 'Wrong password (pre-authentication required)',
    expects: 'preauth-failed',
    description: 'alice with +requires_preauth, kinit with a wrong password.',
    async run(ctx) {
      await ctx.lab.setFlags({ name: 'alice', requiresPreauth: true, undoable: false });
      return kinit(ctx, ['alice'], { password: 'certainly-not-her-password' });
    },
    async restore(ctx) {
      const alice = ctx.status.principals.find((p) => p.name.startsWith('alice@'));
      await ctx.lab.setFlags({ name: 'alice', requiresPreauth: alice?.flags.requiresPreauth ?? false, undoable: false });
    },
  },
  {
    id: 'unknown-client',
    title: 'Unknown client principal',
    expects: 'client-unknown',
    description: 'kinit for a user the KDC has never heard of.',
    run: (ctx) => kinit(ctx, ['nosuch'], { password: 'whatever' }),
  },
  {
    id: 'unknown-service',
    title: 'Unknown service principal',
    expects: 'server-unknown',
    description: 'Our SASL client asks for nosuch@localhost, which was never added to the realm.',
    run: (ctx) => saslFlow(ctx, { service: 'nosuch@localhost' }),
  },
  {
    id: 'stale-keytab',
    title: 'Stale keytab after a key rotation',
    expects: 'keytab-kvno-out-of-date',
    description: 'Rotates a scenario service key and serves the MQTT broker from the keytab kept from before; the probe connects with a fresh ticket.',
    async run(ctx) {
      const principal = await addScenarioService(ctx);
      const rotation = await ctx.lab.rotateKey({ name: SCENARIO_SERVICE, undoable: false });
      return probeBrokerFlow(ctx, { keytab: rotation.staleKeytab!, principal });
    },
    restore: removeScenarioService,
  },
  {
    id: 'ticket-out-of-date',
    title: 'Client ticket from before a key rotation',
    expects: 'ticket-kvno-out-of-date',
    description: 'A client gets and caches a ticket for a scenario service; the key is rotated and the service gets the fresh keytab; the client presents its cached ticket.',
    async run(ctx) {
      await addScenarioService(ctx);
      const client = clientProfile(ctx, 'ticket-out-of-date', await aliceCcache(ctx, 'client.ccache'));
      const before = await ctx.lab.exportKeytab({ path: path.join(ctx.dir, 'before.keytab'), principals: [SCENARIO_SERVICE] });
      const first = await saslFlow(ctx, { client, service: SCENARIO_GSS_NAME, keytab: before.path });
      if (first.error) throw new Error(`the first connection (to cache the ticket) failed: ${first.error}`);
      await ctx.lab.rotateKey({ name: SCENARIO_SERVICE, undoable: false });
      const after = await ctx.lab.exportKeytab({ path: path.join(ctx.dir, 'after.keytab'), principals: [SCENARIO_SERVICE] });
      return saslFlow(ctx, { client, service: SCENARIO_GSS_NAME, keytab: after.path });
    },
    restore: removeScenarioService,
  },
  {
    id: 'acceptor-not-in-keytab',
    title: 'Acceptor name not in its keytab',
    expects: 'keytab-no-matching-entry',
    description: 'A scenario service exists in the KDC, so clients get tickets for it, but the acceptor runs with a keytab holding only mqtt/localhost.',
    async run(ctx) {
      await addScenarioService(ctx);
      const keytab = path.join(ctx.dir, 'mqtt-only.keytab');
      await ctx.lab.exportKeytab({ path: keytab, principals: ['mqtt/localhost'] });
      return saslFlow(ctx, { service: SCENARIO_GSS_NAME, keytab });
    },
    restore: removeScenarioService,
  },
  {
    id: 'missing-enctype',
    title: 'Keytab without the ticket’s enctype',
    expects: 'keytab-missing-enctype',
    description: 'The acceptor’s keytab holds only the aes128 key of a scenario service; tickets come in aes256.',
    async run(ctx) {
      await addScenarioService(ctx);
      const keytab = path.join(ctx.dir, 'aes128-only.keytab');
      await ctx.lab.exportKeytab({ path: keytab, principals: [SCENARIO_SERVICE], enctypes: ['aes128-cts-hmac-sha1-96'] });
      return saslFlow(ctx, { service: SCENARIO_GSS_NAME, keytab });
    },
    restore: removeScenarioService,
  },
  {
    id: 'same-kvno-other-key',
    title: 'Same kvno, different key',
    expects: 'keytab-wrong-key',
    description: 'The acceptor’s keytab has the right principal, kvno and enctype — but another key (as after re-creating the principal or a wrong password/salt).',
    async run(ctx) {
      await addScenarioService(ctx);
      const real = await ctx.lab.exportKeytab({ path: path.join(ctx.dir, 'real.keytab'), principals: [SCENARIO_SERVICE] });
      const principal = parsePrincipal(`${SCENARIO_SERVICE}@${ctx.status.realm}`);
      const wrong = real.entries.map((e) => keytabEntryRandom(principal, enctypeId(e.enctype)!, e.kvno));
      const keytab = path.join(ctx.dir, 'other-key.keytab');
      await writeFile(keytab, writeKeytab({ version: 0x502, entries: wrong }));
      return saslFlow(ctx, { service: SCENARIO_GSS_NAME, keytab });
    },
    restore: removeScenarioService,
  },
  kdcClockScenario({
    id: 'clock-skew',
    title: 'Clock skew between client and service',
    expects: 'clock-skew',
    description: 'The KDC runs 15 minutes behind (krb5kdc -T -900): the client keeps the KDC’s time, so its authenticator is 15 minutes off the service’s clock (this machine).',
    seconds: -900,
  }),
  kdcClockScenario({
    id: 'ticket-not-yet-valid',
    title: 'Service clock behind the KDC',
    expects: 'ticket-not-yet-valid',
    description: 'The KDC runs 15 minutes ahead (krb5kdc -T 900): its tickets start in the service’s future.',
    seconds: 900,
  }),
  {
    id: 'tgt-expired',
    title: 'Expired TGT',
    expects: 'tgt-expired',
    description: 'kinit with a 3-second lifetime, wait, then our SASL client asks for a service ticket with the expired TGT (a long-running client that never renews).',
    async run(ctx) {
      const ccache = await aliceCcache(ctx, 'short.ccache', ['-l', '3s']);
      await sleep(4500);
      return saslFlow(ctx, { client: clientProfile(ctx, 'tgt-expired', ccache) });
    },
  },
  {
    id: 'replay',
    title: 'Replayed AP-REQ',
    expects: 'replay',
    description: 'Two MQTT CONNECTs to the broker carry the same AP-REQ, as MQTT.js’s auto-reconnect would send.',
    run: replayFlow,
  },
  {
    id: 'base64-token',
    title: 'Token sent as base64 text',
    expects: 'defective-token',
    description: 'An MQTT CONNECT carries the AP-REQ base64-encoded instead of as bytes — a common client mistake.',
    run: base64TokenFlow,
  },
  {
    id: 'no-ccache',
    title: 'No credentials cache',
    expects: 'no-credentials',
    description: 'Our SASL client with KRB5CCNAME pointing at a file that does not exist (no kinit was done).',
    run: (ctx) => saslFlow(ctx, { client: clientProfile(ctx, 'no-ccache', path.join(ctx.dir, 'never-created.ccache')) }),
  },
  aliceFlagScenario(
    { id: 'client-revoked', title: 'Client not allowed tickets', expects: 'client-revoked', description: 'alice with -allow_tix (as a disabled or locked account), then kinit.' },
    { allowTix: false },
    { allowTix: true },
  ),
  aliceFlagScenario(
    { id: 'password-expired', title: 'Expired password', expects: 'password-expired', description: 'alice’s password expired an hour ago (modprinc -pwexpire); kinit from her keytab.' },
    { passwordExpired: true },
    { passwordExpired: false },
  ),
  aliceFlagScenario(
    { id: 'principal-expired', title: 'Expired principal', expects: 'principal-expired', description: 'alice’s principal expired an hour ago (modprinc -expire); kinit from her keytab.' },
    { expired: true },
    { expired: false },
  ),
  {
    id: 'keytab-file-missing',
    title: 'Keytab file that does not exist',
    expects: 'keytab-file-missing',
    description: 'kinit -kt with a path where there is no file.',
    async run(ctx) {
      return kinit(ctx, ['-k', '-t', path.join(ctx.dir, 'no-such.keytab'), 'alice']);
    },
  },
  {
    id: 'no-common-enctype',
    title: 'No enctype in common with the KDC',
    expects: 'etype-no-support',
    description: 'kinit with a krb5.conf that permits only camellia256-cts-cmac, which the lab realm has no keys for.',
    async run(ctx) {
      const conf = await krb5ConfCopy(ctx, 'camellia-only.conf', (text) =>
        text.replace(/^(\s*(?:permitted_enctypes|default_tkt_enctypes|default_tgs_enctypes)\s*=).*$/gm, '$1 camellia256-cts-cmac'),
      );
      return kinitAlice(ctx, { krb5Conf: conf });
    },
  },
  {
    id: 'invalid-principal-string',
    title: 'Broker principal not service/FQDN@REALM',
    expects: 'invalid-server-principal-string',
    description: 'A broker listener configured with "mqtt@localhost" instead of mqtt/localhost@REALM, as EMQX refuses it.',
    async run(ctx) {
      try {
        const authenticator = await kerberosAuthenticator({ gss: ctx.gss, profile: ctx.profile, keytabFile: ctx.status.keytabs.service, principal: 'mqtt@localhost', variant: 'emqx' });
        await authenticator.dispose?.();
        return { error: '', exchanges: [] };
      } catch (error) {
        return { error: (error as Error).message, exchanges: [] };
      }
    },
  },
  AUTH_DEADLINE_SCENARIO,
  ...JAVA_SCENARIOS,
  ...AD_SCENARIOS,
];

export function scenarioById(id: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.id === id);
}

/** No scenario runs this long: an older scratch folder is from a process killed mid-run. */
const STALE_SCRATCH_MS = 15 * 60_000;

/** A fresh scratch directory for one run, under the data directory (first removing those of runs that never finished). */
export async function scenarioDir(dataDir: string, id: string): Promise<string> {
  const parent = path.join(dataDir, 'scenarios');
  for (const entry of await readdir(parent).catch(() => [] as string[])) {
    const old = path.join(parent, entry);
    const changed = await stat(old).then((s) => s.mtimeMs, () => Date.now());
    if (Date.now() - changed > STALE_SCRATCH_MS) await rm(old, { recursive: true, force: true });
  }
  const dir = path.join(parent, `${id}-${randomBytes(4).toString('hex')}`);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return dir;
}

export async function removeScenarioDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  // The scenarios/ folder too once it is empty (another run may still use it: then it stays).
  await rmdir(path.dirname(dir)).catch(() => undefined);
}

/** After a scenario: alice still gets a ticket and a SASL exchange with mqtt@localhost succeeds. */
export async function labStillWorks(ctx: ScenarioContext): Promise<string | undefined> {
  const attempt = await saslFlow(ctx);
  return attempt.error || undefined;
}
