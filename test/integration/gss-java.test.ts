/**
 * The Java engine against a real MIT KDC: a JVM worker (JAAS Krb5LoginModule + Java GSS, compiled
 * from resources/java with the real javac) behind the same GssWorkerApi as the MIT worker.
 * Java accepts MIT's tokens and MIT accepts Java's (SPNEGO and raw krb5 OIDs, mutual auth), the
 * JVM's sun.security.krb5.debug lines come back as each call's trace, Java's own error texts come
 * back live, a killed JVM fails its call as a crash and a fresh one takes over, and SASL GSSAPI
 * runs with a Java initiator. Needs a JDK (openjdk-17-jdk-headless) and the MIT lab tools.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../main/engine';
import { ExchangeRecorder } from '../../main/exchange/recorder';
import { TEST_CRASH_FLAG } from '../../main/gss/guards';
import { parseJavaTrace, summarizeJavaTrace } from '../../main/gss/java-trace';
import { compiledJavaWorker, findJdk } from '../../main/gss/java/launcher';
import { labProfile, withRuntime } from '../../main/gss/profiles';
import { GssSupervisor, type GssWorker, type GssWorkerEvent } from '../../main/gss/supervisor';
import { GssError, type KerberosProfile } from '../../main/gss/types';
import { decodeSpnego } from '../../main/krb/gss/spnego';
import { readKerberosToken } from '../../main/krb/gss/framing';
import { parseKeytab } from '../../main/krb/keytab';
import { SaslGssapiClient } from '../../main/sasl/client';
import { OFFERS } from '../../main/sasl/layers';
import { SaslGssapiServer } from '../../main/sasl/server';
import { DoctorContext, doctorChecks, runDoctor } from '../../main/system/doctor';
import { createTestRealm, type TestRealm } from '../helpers/lab';

const SERVICE = 'HTTP@localhost';
const KRB5_OID = '1.2.840.113554.1.2.2';
const SPNEGO_OID = '1.3.6.1.5.5.2';
const jdk = await findJdk();
const skipUnlessJdk = !jdk.java || !jdk.javac;

async function rejection(promise: Promise<unknown>): Promise<GssError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof GssError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

/** A whole context: initiator token, acceptor answer, initiator finishes. */
async function establish(initiator: GssWorker, acceptor: GssWorker, mech: 'krb5' | 'spnego', acceptorName = SERVICE) {
  const client = await initiator.createClient(SERVICE, { mech });
  const first = await initiator.clientStep(client.value.handle, '');
  const server = await acceptor.createServer(acceptorName);
  const accepted = await acceptor.serverStep(server.value.handle, first.value.response);
  const finished = await initiator.clientStep(client.value.handle, accepted.value.response);
  return { client: client.value.handle, first, server, accepted, finished };
}

/** The mechanism a first token names: SPNEGO's NegTokenInit, or the krb5 InitialContextToken. */
function mechOf(base64: string): string {
  const bytes = Buffer.from(base64, 'base64');
  try {
    const spnego = decodeSpnego(bytes);
    if (spnego.value.kind === 'negTokenInit') return SPNEGO_OID;
  } catch {
    // not SPNEGO
  }
  return readKerberosToken(bytes).mechOid ?? 'unknown';
}

describe.skipIf(skipUnlessJdk)('the Java GSS engine with the lab realm', () => {
  let lab: TestRealm;
  let supervisor: GssSupervisor;
  let classesDir: string;
  let httpKeytab: string;
  const events: GssWorkerEvent[] = [];
  let mitClient: KerberosProfile;
  let mitServer: KerberosProfile;
  let javaClient: KerberosProfile;
  let javaServer: KerberosProfile;

  beforeAll(async () => {
    lab = await createTestRealm();
    await lab.realm.addPrincipal('HTTP/localhost', { randkey: true });
    httpKeytab = path.join(lab.dir, 'http.keytab');
    await lab.realm.ktadd(httpKeytab, 'HTTP/localhost');
    // A cold compile into a throwaway cache, timed (the bench's own cache stays untouched).
    classesDir = await mkdtemp(path.join(os.tmpdir(), 'kbench-java-classes-'));
    const baseEnv = { ...process.env, [TEST_CRASH_FLAG]: '1', KBENCH_JAVA_CLASSES: classesDir };
    const compiled = await compiledJavaWorker(baseEnv);
    console.info(`javac ${jdk.javac?.version}: compiled the Java worker in ${compiled.compileMs.toFixed(0)} ms`);
    supervisor = new GssSupervisor({ baseEnv, onWorkerEvent: (event) => events.push(event) });
    const krb5Config = lab.realm.paths.krb5Conf;
    mitClient = labProfile(lab.name, { id: 'client', krb5Config, ccache: lab.ccache });
    mitServer = labProfile(lab.name, { id: 'server', krb5Config, keytab: httpKeytab, rcacheDir: lab.realm.paths.rcacheDir });
    javaClient = withRuntime(mitClient, 'java');
    javaServer = withRuntime(mitServer, 'java');
  }, 120_000);
  afterAll(async () => {
    await supervisor?.dispose();
    await lab?.destroy();
    if (classesDir) await rm(classesDir, { recursive: true, force: true });
  });

  it('starts a JVM worker and times its contexts', async () => {
    const client = supervisor.worker(javaClient);
    const server = supervisor.worker(javaServer);
    const started = await Promise.all([client.start(), server.start()]);
    expect(started[0].pid).not.toBe(started[1].pid);
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const { accepted, finished } = await establish(client, server, 'spnego');
      times.push(performance.now() - t0);
      expect(accepted.value.complete && finished.value.complete).toBe(true);
    }
    console.info(`JVM start ${started.map((s) => s.startMs.toFixed(0)).join(' / ')} ms; Java↔Java SPNEGO contexts: first ${times[0]!.toFixed(1)} ms, later ${times.slice(1).map((t) => t.toFixed(1)).join(', ')} ms`);
    expect(events.filter((e) => e.type === 'started' && e.runtime === 'java').length).toBeGreaterThanOrEqual(2);
  });

  it.each(['spnego', 'krb5'] as const)('a Java acceptor accepts MIT %s tokens, mutual auth complete', async (mech) => {
    const initiator = supervisor.worker(mitClient);
    const acceptor = supervisor.worker(javaServer);
    const { first, accepted, finished } = await establish(initiator, acceptor, mech);
    expect(mechOf(first.value.response)).toBe(mech === 'spnego' ? SPNEGO_OID : KRB5_OID);
    expect(accepted.value).toMatchObject({ complete: true, username: `alice@${lab.name}`, targetName: null });
    expect(accepted.value.response).not.toBe(''); // the AP-REP (mutual authentication)
    expect(finished.value).toEqual({ response: '', complete: true, principal: `alice@${lab.name}` });
    // The JVM's own debug lines came back with the accept call.
    expect(accepted.trace.some((line) => /Krb5Context|>>>|EType/.test(line))).toBe(true);
    expect(parseJavaTrace(accepted.trace).some((entry) => entry.kind === 'enctypes')).toBe(true);
  });

  it.each(['spnego', 'krb5'] as const)('an MIT acceptor accepts Java %s tokens, mutual auth complete', async (mech) => {
    const initiator = supervisor.worker(javaClient);
    const acceptor = supervisor.worker(mitServer);
    const { first, accepted, finished } = await establish(initiator, acceptor, mech);
    expect(mechOf(first.value.response)).toBe(mech === 'spnego' ? SPNEGO_OID : KRB5_OID);
    expect(first.value.complete).toBe(false);
    expect(accepted.value).toMatchObject({ complete: true, username: `alice@${lab.name}` });
    expect(finished.value).toEqual({ response: '', complete: true, principal: `alice@${lab.name}` });
    // MIT's acceptor brought KRB5_TRACE lines; Java's initiator its debug lines.
    expect(accepted.trace.some((line) => /^\[\d+\] \d+\.\d+: /.test(line))).toBe(true);
    expect(first.trace.some((line) => /Krb5Context|SpNego|>>>/.test(line))).toBe(true);
  });

  it('an acceptor for any keytab principal names the target; the first TGS-REQ shows in the trace', async () => {
    const fresh = withRuntime(labProfile(lab.name, { id: 'fresh-client', krb5Config: lab.realm.paths.krb5Conf, ccache: lab.ccache }), 'java');
    const { first, accepted } = await establish(supervisor.worker(fresh), supervisor.worker(javaServer), 'krb5', '');
    expect(accepted.value.targetName).toBe(`HTTP/localhost@${lab.name}`);
    const summary = summarizeJavaTrace(first.trace);
    expect(summary.kdcRequests[0]).toMatch(/^127\.0\.0\.1 TCP:\d+$/);
    expect(summary.enctypes).toContain(18);
  });

  it("nameType 'principal': Java asks for the SPN as written (as Hazelcast does); MIT's binding cannot, and says so", async () => {
    const java = supervisor.worker(javaClient);
    const handle = (await java.createClient(`HTTP/localhost@${lab.name}`, { nameType: 'principal' })).value.handle;
    const token = (await java.clientStep(handle, '')).value.response;
    const server = supervisor.worker(javaServer);
    const accepted = (await server.serverStep((await server.createServer('')).value.handle, token)).value;
    expect(accepted.targetName).toBe(`HTTP/localhost@${lab.name}`);
    expect(accepted.username).toBe(`alice@${lab.name}`);
    await java.release(handle);
    const refused = await rejection(supervisor.worker(mitClient).createClient(`HTTP/localhost@${lab.name}`, { nameType: 'principal' }));
    expect(refused.message).toMatch(/needs the Java engine: the kerberos binding imports every target as a host-based service/);
  });

  it('serverAccept on Java: created and stepped in two calls, a complete context leaves no handle; a replay fails with Java\'s words', async () => {
    const java = supervisor.worker(javaClient);
    const handle = (await java.createClient(SERVICE, { mech: 'krb5' })).value.handle;
    const token = (await java.clientStep(handle, '')).value.response;
    const server = supervisor.worker(javaServer);
    const accepted = await server.serverAccept(SERVICE, token);
    expect(accepted.value).toMatchObject({ complete: true, username: `alice@${lab.name}` });
    expect(accepted.value.handle).toBeUndefined();
    expect(accepted.trace.length).toBeGreaterThan(0);
    await expect(java.clientStep(handle, accepted.value.response)).resolves.toMatchObject({ value: { complete: true } });
    const replay = await rejection(server.serverAccept(SERVICE, token));
    expect(replay.kind).toBe('gss');
    expect(replay.message).toMatch(/replay/i);
    await java.release(handle);
  });

  it("keeps runtimes apart: the same profile id on 'mit' and 'java' runs in two processes", async () => {
    const onMit = supervisor.worker(mitClient);
    const onJava = supervisor.worker(javaClient);
    await Promise.all([onMit.start(), onJava.start()]);
    expect(onMit.pid).toBeDefined();
    expect(onJava.pid).toBeDefined();
    expect(onMit.pid).not.toBe(onJava.pid);
    const handle = (await onJava.createClient(SERVICE)).value.handle;
    expect((await rejection(onMit.clientStep(handle, ''))).message).toMatch(/belongs to profile client \(java\), not client/);
  });

  it('a killed JVM fails its call as a crash; the next call gets a fresh worker', async () => {
    const profile = withRuntime(mitClient, 'java');
    const worker = supervisor.worker({ ...profile, id: 'doomed' });
    const { pid } = await worker.start();
    const handle = (await worker.createClient(SERVICE)).value.handle;
    const hanging = rejection(worker.debugHang(60_000));
    await new Promise((resolve) => setTimeout(resolve, 100));
    process.kill(pid, 'SIGKILL');
    const error = await hanging;
    expect(error.kind).toBe('crash');
    expect(error.message).toMatch(/^the Java GSS worker for profile doomed was killed by SIGKILL during debugHang; a fresh worker takes over/);
    expect((await rejection(worker.clientStep(handle, ''))).message).toMatch(/^context lost: .* lived in the Java GSS worker for profile doomed/);
    const again = await worker.createClient(SERVICE);
    expect(again.value.handle).toMatch(/^gss-\d+-c\d+$/);
    expect(worker.pid).toBeDefined();
    expect(worker.pid).not.toBe(pid);
  });

  it("a missing keytab: Java's acceptor logs in (principal=\"*\", isInitiator=false) and fails at accept, in its own words", async () => {
    const missing = path.join(lab.dir, 'no-such.keytab');
    const java = supervisor.worker(withRuntime({ ...mitServer, id: 'no-keytab', keytab: `FILE:${missing}` }, 'java'));
    const mit = supervisor.worker({ ...mitServer, id: 'no-keytab', keytab: `FILE:${missing}` });
    const client = supervisor.worker(mitClient);
    const apReq = (await client.clientStep((await client.createClient(SERVICE)).value.handle, '')).value.response;
    const javaError = await rejection(java.createServer(SERVICE).then((s) => java.serverStep(s.value.handle, apReq)));
    const mitError = await rejection(mit.createServer(SERVICE).then((s) => mit.serverStep(s.value.handle, apReq)));
    expect(javaError.kind).toBe('gss');
    expect(javaError.message).toMatch(/^GSSException: .*\(Mechanism level: /); // Java's class name: the text comes from the JVM
    expect(javaError.message).not.toBe(mitError.message);
    expect(javaError.trace.length).toBeGreaterThan(0);
    console.info(`missing acceptor keytab — Java: ${javaError.message}\n  MIT: ${mitError.message}`);
  });

  it("no ticket cache: Java's initiator login fails with its own LoginException", async () => {
    const noCcache = withRuntime(labProfile(lab.name, { id: 'no-ccache', krb5Config: lab.realm.paths.krb5Conf, ccache: path.join(lab.dir, 'no-such.ccache') }), 'java');
    const mitNoCcache = labProfile(lab.name, { id: 'no-ccache', krb5Config: lab.realm.paths.krb5Conf, ccache: path.join(lab.dir, 'no-such.ccache') });
    const javaError = await rejection(supervisor.worker(noCcache).createClient(SERVICE));
    const mitWorker = supervisor.worker(mitNoCcache);
    const mitError = await rejection(mitWorker.createClient(SERVICE).then((c) => mitWorker.clientStep(c.value.handle, '')));
    expect(javaError.kind).toBe('gss');
    // Without a principal to log in as, Java does not get as far as asking for a password.
    expect(javaError.message).toMatch(/^LoginException: Unable to obtain /);
    console.info(`no ticket cache — Java: ${javaError.message}\n  MIT: ${mitError.message}`);
    expect(javaError.message).not.toBe(mitError.message);
    expect(javaError.trace.some((line) => /Debug is\s+true|Krb5LoginModule|Acquire TGT/.test(line))).toBe(true);
  });

  it("a stale keytab (the key was rotated): Java's acceptor says so in its own words", async () => {
    await lab.realm.addPrincipal('HTTP/stale.localhost', { randkey: true });
    const oldKeytab = path.join(lab.dir, 'stale-old.keytab');
    await lab.realm.ktadd(oldKeytab, 'HTTP/stale.localhost');
    await lab.realm.ktadd(path.join(lab.dir, 'stale-new.keytab'), 'HTTP/stale.localhost'); // kvno+1
    const client = supervisor.worker(mitClient);
    const apReq = (await client.clientStep((await client.createClient('HTTP@stale.localhost')).value.handle, '')).value.response;
    const javaStale = supervisor.worker(withRuntime({ ...mitServer, id: 'stale', keytab: `FILE:${oldKeytab}` }, 'java'));
    const mitStale = supervisor.worker({ ...mitServer, id: 'stale', keytab: `FILE:${oldKeytab}` });
    const javaError = await rejection(javaStale.createServer('').then((s) => javaStale.serverStep(s.value.handle, apReq)));
    const mitError = await rejection(mitStale.createServer('').then((s) => mitStale.serverStep(s.value.handle, apReq)));
    expect(javaError.kind).toBe('gss');
    expect(javaError.message).toMatch(/^GSSException: .*\(Mechanism level: /);
    expect(mitError.message).toMatch(/kvno/); // MIT names the key version …
    expect(javaError.message).not.toMatch(/kvno/); // … Java never does (FACTS.md)
    console.info(`stale keytab — Java: ${javaError.message}\n  MIT: ${mitError.message}`);
  });

  it("runs the user's own JAAS file (com.sun.security.jgss.krb5.accept)", async () => {
    const jaas = path.join(lab.dir, 'user-jaas.conf');
    await writeFile(
      jaas,
      `com.sun.security.jgss.krb5.accept {\n  com.sun.security.auth.module.Krb5LoginModule required\n  useKeyTab=true keyTab="${httpKeytab}" principal="HTTP/localhost@${lab.name}" storeKey=true isInitiator=false doNotPrompt=true;\n};\n`,
    );
    const acceptor = supervisor.worker(withRuntime({ ...mitServer, id: 'user-jaas' }, 'java', jaas));
    const { accepted } = await establish(supervisor.worker(mitClient), acceptor, 'spnego');
    expect(accepted.value.username).toBe(`alice@${lab.name}`);
    // A file Java cannot parse: Java's own configuration error, naming the line.
    await writeFile(jaas, 'com.sun.security.jgss.krb5.accept {\n  com.sun.security.auth.module.Krb5LoginModule required\n  keyTab="${no.such.property}";\n};\n');
    const broken = supervisor.worker(withRuntime({ ...mitServer, id: 'user-jaas-broken' }, 'java', jaas));
    const error = await rejection(broken.createServer(SERVICE));
    expect(error.kind).toBe('gss');
    expect(error.message).toMatch(/Exception/);
    expect(error.message).toMatch(/no\.such\.property|Line \d+/);
    console.info(`unresolvable \${prop} in a JAAS file — Java: ${error.message}`);
    // An initiator entry naming alice and a keytab that is not there.
    await writeFile(
      jaas,
      `com.sun.security.jgss.initiate {\n  com.sun.security.auth.module.Krb5LoginModule required\n  useKeyTab=true keyTab="${path.join(lab.dir, 'none.keytab')}" principal="alice@${lab.name}" doNotPrompt=true;\n};\n`,
    );
    const noKeytab = supervisor.worker(withRuntime({ ...mitClient, id: 'user-jaas-initiator' }, 'java', jaas));
    const loginError = await rejection(noKeytab.createClient(SERVICE));
    expect(loginError.message).toMatch(/^LoginException: /);
    expect(loginError.message).toContain('Unable to obtain password from user'); // the fragment FACTS.md lists, from the live JVM
  });

  it('runs SASL GSSAPI with a Java initiator (RFC 4752 wrap/unwrap on Java GSS)', async () => {
    const saslClient = withRuntime(labProfile(lab.name, { id: 'sasl', krb5Config: lab.realm.paths.krb5Conf, ccache: lab.ccache }), 'java');
    const saslServer = labProfile(lab.name, { id: 'sasl', krb5Config: lab.realm.paths.krb5Conf, keytab: lab.serviceKeytab, rcacheDir: lab.realm.paths.rcacheDir });
    const client = new SaslGssapiClient({
      gss: supervisor.worker(saslClient),
      service: 'mqtt@localhost',
      desiredLayer: 'none',
      ccachePath: lab.ccache,
      authzid: 'alice',
      recorder: new ExchangeRecorder({ source: 'sasl', role: 'client', mechanism: 'GSSAPI', service: 'mqtt@localhost' }),
    });
    const server = new SaslGssapiServer({
      gss: supervisor.worker(saslServer),
      service: 'mqtt@localhost',
      offer: OFFERS.cyrus,
      keytab: parseKeytab(await readFile(lab.serviceKeytab)).keytab.entries,
      recorder: new ExchangeRecorder({ source: 'sasl', role: 'server', mechanism: 'GSSAPI', service: 'mqtt@localhost' }),
    });
    let message = await client.start();
    let verdict: string | undefined;
    for (let round = 0; round < 10 && !verdict; round++) {
      if (message.kind === 'failure') throw new Error(`client failed: ${message.reason}`);
      const reply = await server.receive(message.token);
      if (reply.kind === 'success' || reply.kind === 'failure') verdict = reply.kind === 'failure' ? `server failed: ${reply.reason}` : 'success';
      else message = await client.receive(reply.token);
    }
    expect(verdict).toBe('success');
    expect(server.exchange.identity).toEqual({ principal: `alice@${lab.name}`, authzid: 'alice' });
    expect(client.securityLayer).toEqual({ layer: 'none', maxBuffer: 0, authzid: 'alice' });
  });
});

describe.skipIf(skipUnlessJdk)("the SASL service with engine 'java'", () => {
  let dataDir: string;
  let engine: Engine;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'kbench-sasl-java-'));
    engine = createEngine({ runtime: 'cli', dataDir });
    await engine.api.lab.up();
  }, 120_000);
  afterAll(async () => {
    await engine?.api.lab.down({ destroy: true }).catch(() => undefined);
    await engine?.dispose();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('runs both SASL roles on Java GSS through the API, the Exchanges carrying Java debug lines', async () => {
    // Integrity and privacy need the session key, which the JVM keeps to itself: refused up front.
    await expect(engine.api.sasl.start({ service: 'mqtt@localhost', profile: 'lab', offer: 'cyrus', layer: 'integrity', engine: 'java' })).rejects.toThrow(/layer none only/);
    const started = await engine.api.sasl.start({ service: 'mqtt@localhost', profile: 'lab', offer: 'cyrus', layer: 'none', authzid: 'alice', engine: 'java' });
    expect(started.next).toMatch(/Java GSS builds the AP-REQ/);
    const view = await engine.api.sasl.finish(started.id);
    expect(view.state, JSON.stringify(view.server.verdict)).toBe('established');
    expect(view.server.identity).toMatchObject({ principal: expect.stringMatching(/^alice@/), authzid: 'alice' });
    expect(view.server.securityLayer?.layer).toBe('none');
    expect(view.client.steps[0]!.trace?.some((line) => /Krb5Context|>>>|Krb5LoginModule|Debug is/.test(line))).toBe(true);
  });
});

describe('the Java worker launcher', () => {
  it('says which package to install when there is no JDK, and the worker fails to start with that sentence', async () => {
    const env = { PATH: '/nonexistent-bin' };
    const jdkHere = await findJdk(env);
    expect(jdkHere.java).toBeNull();
    await expect(compiledJavaWorker(env)).rejects.toThrow(/no Java runtime found \(looked in PATH \(JAVA_HOME is not set\)\).*sudo apt-get install -y openjdk-17-jdk-headless/);
    const supervisor = new GssSupervisor({ baseEnv: env });
    try {
      const worker = supervisor.worker(withRuntime(labProfile('NO.JDK', { id: 'no-jdk' }), 'java'));
      const error = await rejection(worker.createClient(SERVICE));
      expect(error.kind).toBe('crash');
      expect(error.message).toMatch(/^the Java GSS worker for profile no-jdk could not be started \(no Java runtime found .*openjdk-17-jdk-headless\)/);
    } finally {
      await supervisor.dispose();
    }
  });

  it.skipIf(skipUnlessJdk)('two compilations racing for the same cache end with one complete copy', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'kbench-java-race-'));
    try {
      // Different PATH strings (same directories): two separate compilations, as two processes would run.
      const a = { ...process.env, KBENCH_JAVA_CLASSES: root };
      const b = { ...a, PATH: `${process.env.PATH}:` };
      const [first, second] = await Promise.all([compiledJavaWorker(a), compiledJavaWorker(b)]);
      expect(first.classes).toBe(second.classes);
      expect(first.compileMs).toBeGreaterThan(0);
      expect(second.compileMs).toBeGreaterThan(0);
      const entries = await readdir(root);
      expect(entries).toEqual([path.basename(first.classes)]); // no temporary directory left behind
      expect((await readdir(path.join(first.classes, 'kbench'))).filter((f) => f.endsWith('.class'))).toContain('GssWorker.class');
      // Now cached: no compile at all.
      expect((await compiledJavaWorker({ ...a, PATH: `${process.env.PATH}::` })).compileMs).toBe(0);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }, 120_000);
});

describe.skipIf(skipUnlessJdk)('the doctor and the JDK', () => {
  it('reports java and javac with the versions they print themselves', async () => {
    const [item] = await runDoctor(new DoctorContext(), undefined, doctorChecks.filter((check) => check.id === 'jdk'));
    const printed = spawnSync('java', ['-version'], { encoding: 'utf8' }).stderr;
    const version = /version "([^"]+)"/.exec(printed)?.[1];
    expect(version).toBeDefined();
    expect(item).toMatchObject({ id: 'jdk', status: 'ok', version });
    expect(item!.detail).toMatch(new RegExp(`java ${version!.replace(/\./g, '\\.')} at \\S+/java; javac \\S+ at \\S+/javac`));
  });
});
