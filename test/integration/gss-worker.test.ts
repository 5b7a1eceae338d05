/**
 * GSS worker processes against a real MIT KDC and the real native binding: context
 * establishment across two workers, KRB5_TRACE capture, MIT's error texts, real native crashes
 * (SIGSEGV inside the binding), hangs, guards, and two realms at once.
 * Needs the build (npx electron-vite build): the supervisor forks out/main/gss-worker.js.
 */
import { fork } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contextKeysFrom, perMessageKey } from '../../main/krb/gss/context';
import { readKerberosToken } from '../../main/krb/gss/framing';
import { unwrap as cfxUnwrap, wrap as cfxWrap } from '../../main/krb/gss/rfc4121';
import { parseKeytab } from '../../main/krb/keytab';
import { TEST_CRASH_FLAG } from '../../main/gss/guards';
import { labProfile, systemProfile } from '../../main/gss/profiles';
import type { GssWorkerMessage } from '../../main/gss/protocol';
import { defaultWorkerScript, GssSupervisor, type GssWorker, type GssWorkerEvent } from '../../main/gss/supervisor';
import { parseTraceLine, traceErrorCodes } from '../../main/gss/trace';
import { GssError, type KerberosProfile } from '../../main/gss/types';
import { createTestRealm, type TestRealm } from '../helpers/lab';

const SERVICE = 'mqtt@localhost';
/** KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN: "Server not found in Kerberos database". */
const S_PRINCIPAL_UNKNOWN = -1765328377;

/** The lab's initiator side (alice's ccache) and acceptor side (service keytab) as separate profiles. */
function clientProfile(lab: TestRealm, id = `client-${lab.name}`): KerberosProfile {
  return labProfile(lab.name, { id, krb5Config: lab.realm.paths.krb5Conf, ccache: lab.ccache });
}
function serverProfile(lab: TestRealm, id = `server-${lab.name}`): KerberosProfile {
  return labProfile(lab.name, { id, krb5Config: lab.realm.paths.krb5Conf, keytab: lab.serviceKeytab, rcacheDir: lab.realm.paths.rcacheDir });
}
function fullProfile(lab: TestRealm, id: string): KerberosProfile {
  return labProfile(lab.name, { id, krb5Config: lab.realm.paths.krb5Conf, ccache: lab.ccache, keytab: lab.serviceKeytab, rcacheDir: lab.realm.paths.rcacheDir });
}

/** One whole context: AP-REQ from the initiator worker, AP-REP from the acceptor worker, back. */
async function establish(initiator: GssWorker, acceptor: GssWorker) {
  const client = await initiator.createClient(SERVICE);
  const apReq = await initiator.clientStep(client.value.handle, '');
  const server = await acceptor.createServer(SERVICE);
  const accepted = await acceptor.serverStep(server.value.handle, apReq.value.response);
  const finished = await initiator.clientStep(client.value.handle, accepted.value.response);
  return { client: client.value.handle, server: server.value.handle, apReq, accepted, finished };
}

async function rejection(promise: Promise<unknown>): Promise<GssError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof GssError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}

async function until(condition: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('GSS workers with the lab realm', () => {
  let lab: TestRealm;
  let supervisor: GssSupervisor;
  const events: GssWorkerEvent[] = [];
  const pids = new Set<number>();

  beforeAll(async () => {
    lab = await createTestRealm();
    supervisor = new GssSupervisor({
      baseEnv: { ...process.env, [TEST_CRASH_FLAG]: '1' },
      onWorkerEvent: (event) => {
        events.push(event);
        pids.add(event.pid);
      },
    });
  });
  afterAll(async () => {
    await supervisor?.dispose();
    await lab?.destroy();
    // Nothing left behind: every worker this suite saw is gone.
    await until(() => [...pids].every(processGone));
  });

  it('establishes a context between an initiator worker and an acceptor worker', async () => {
    const initiator = supervisor.worker(clientProfile(lab));
    const acceptor = supervisor.worker(serverProfile(lab));
    const { apReq, accepted, finished, server } = await establish(initiator, acceptor);
    // An established acceptor is released by the worker itself: its handle is spent.
    expect((await rejection(acceptor.serverStep(server, apReq.value.response))).message).toMatch(/no GSS context .* \(released, or never created here\)/);
    await expect(acceptor.release(server)).resolves.toBeUndefined();
    expect(initiator.pid).toBeDefined();
    expect(acceptor.pid).toBeDefined();
    expect(initiator.pid).not.toBe(acceptor.pid);

    // AP-REQ out, AP-REP back (mutual authentication is the binding's default).
    expect(readKerberosToken(Buffer.from(apReq.value.response, 'base64')).tokIdName).toMatch(/AP-REQ|KRB_AP_REQ/);
    expect(apReq.value.complete).toBe(false);
    expect(accepted.value.complete).toBe(true);
    expect(accepted.value.username).toBe(`alice@${lab.name}`);
    expect(accepted.value.targetName).toBeNull(); // the acceptor named its service
    expect(readKerberosToken(Buffer.from(accepted.value.response, 'base64')).tokIdName).toMatch(/AP-REP|KRB_AP_REP/);
    expect(finished.value).toEqual({ response: '', complete: true, principal: `alice@${lab.name}` });
    expect(apReq.value.principal).toBeNull(); // the binding asks MIT who it is only once the context is complete

    // Each call brought its own trace lines, from its own worker.
    expect(apReq.trace.join('\n')).toContain(`Getting credentials alice@${lab.name} -> mqtt/localhost@${lab.name}`);
    expect(accepted.trace.join('\n')).toContain(`Decrypted AP-REQ with server principal mqtt/localhost@${lab.name}`);
    expect(finished.trace.join('\n')).toContain('Read AP-REP');
    expect(apReq.trace.join('\n')).not.toContain('Decrypted AP-REQ');
    for (const line of apReq.trace) expect(parseTraceLine(line)?.pid).toBe(initiator.pid);
    for (const line of accepted.trace) expect(parseTraceLine(line)?.pid).toBe(acceptor.pid);
  });

  it('wraps and unwraps per-message tokens on an established context', async () => {
    const initiator = supervisor.worker(clientProfile(lab));
    const acceptor = supervisor.worker(serverProfile(lab));
    const { client, apReq, accepted } = await establish(initiator, acceptor);
    // What the acceptor holds, recovered with the service keytab (the binding has no acceptor wrap).
    const keytab = parseKeytab(await readFile(lab.serviceKeytab)).keytab;
    const keys = contextKeysFrom(Buffer.from(apReq.value.response, 'base64'), Buffer.from(accepted.value.response, 'base64'), { keytab: keytab.entries });
    const { key, acceptorSubkey } = perMessageKey(keys);

    // The RFC 4752 security-layer offer from the acceptor: [01 00 00 00], integrity only.
    const offer = cfxWrap(key.key, key.enctype, Buffer.from([1, 0, 0, 0]), { sentByAcceptor: true, sealed: false, acceptorSubkey, sequence: keys.acceptorSequence });
    const unwrapped = await initiator.clientUnwrap(client, offer.toString('base64'));
    expect(Buffer.from(unwrapped.value.data, 'base64')).toEqual(Buffer.from([1, 0, 0, 0]));

    // The initiator's RFC 4752 reply: layer 0x01, max size 0x001000, authzid — wrapped byte for byte.
    const reply = Buffer.concat([Buffer.from([1, 0, 0x10, 0]), Buffer.from('alice-ü')]);
    for (const protect of [false, true]) {
      const wrapped = await initiator.clientWrap(client, reply.toString('base64'), { protect });
      const opened = cfxUnwrap(key.key, key.enctype, Buffer.from(wrapped.value.token, 'base64'));
      expect(opened.plaintext).toEqual(reply);
      expect(opened.sealed).toBe(protect);
      expect(opened.sentByAcceptor).toBe(false);
    }

    // A valid token with an empty payload: the binding's callback builds a string from NULL and
    // throws where no promise catches it. The call says so; a fresh worker takes over.
    const pid = initiator.pid!;
    const empty = cfxWrap(key.key, key.enctype, Buffer.alloc(0), { sentByAcceptor: true, sealed: false, acceptorSubkey, sequence: keys.acceptorSequence + 1 });
    const error = await rejection(initiator.clientUnwrap(client, empty.toString('base64')));
    expect(error.kind).toBe('crash');
    expect(error.message).toMatch(
      /^the GSS worker for profile client-BENCH\.TEST reported: the kerberos binding failed inside its native callback during clientUnwrap: Error in native callback \(the binding cannot return an empty unwrap result/,
    );
    await until(() => processGone(pid));
    await expect(establish(initiator, acceptor)).resolves.toBeDefined();
    expect(initiator.pid).not.toBe(pid);
  });

  it("carries MIT's own error text and the numeric codes from the trace", async () => {
    const initiator = supervisor.worker(clientProfile(lab));
    const client = await initiator.createClient('nosuch@localhost');
    const error = await rejection(initiator.clientStep(client.value.handle, ''));
    expect(error.kind).toBe('gss');
    expect(error.message).toBe(`Unspecified GSS failure.  Minor code may provide more information: Server nosuch/localhost@${lab.name} not found in Kerberos database`);
    expect(error.trace.some((line) => line.includes(`TGS request result: ${S_PRINCIPAL_UNKNOWN}/Server nosuch/localhost@${lab.name} not found in Kerberos database`))).toBe(true);
    expect(traceErrorCodes(error.trace)).toContain(S_PRINCIPAL_UNKNOWN);

    // An acceptor name the keytab has no key for: MIT's text, and the worker keeps serving.
    const acceptor = supervisor.worker(serverProfile(lab));
    const refused = await rejection(acceptor.createServer('HTTP@localhost'));
    expect(refused.kind).toBe('gss');
    expect(refused.message).toBe(
      'No credentials were supplied, or the credentials were unavailable or inaccessible: No key table entry found matching HTTP/localhost@',
    );
    await expect(establish(initiator, acceptor)).resolves.toBeDefined();
  });

  it('refuses hazardous input before it reaches native code', async () => {
    const profile = fullProfile(lab, 'guards');
    const worker = supervisor.worker(profile);
    const { client } = await establish(worker, worker);
    const pid = worker.pid;

    const empty = await rejection(worker.clientWrap(client, '', { protect: false }));
    expect(empty.kind).toBe('guard');
    expect(empty.message).toMatch(/clientWrap refuses empty data: the kerberos binding crashes \(SIGSEGV\)/);
    const user = await rejection(worker.clientWrap(client, 'AQAAAA==', { protect: false, user: 'alice' } as unknown as { protect: boolean }));
    expect(user.message).toMatch(/takes no "user" option/);
    const short = await rejection(worker.clientWrap(client, 'AQA=', { protect: false }));
    expect(short.message).toMatch(/2 byte\(s\): the binding reads 8 bytes unchecked/);
    const layer = await rejection(worker.clientWrap(client, Buffer.from([7, 0, 8, 0]).toString('base64'), { protect: true }));
    expect(layer.message).toMatch(/starts with 0x07: the binding can only wrap an RFC 4752 reply choosing layer 0x01/);
    const nulAuthzid = await rejection(worker.clientWrap(client, Buffer.from([1, 0, 0, 0, 97, 0, 98]).toString('base64'), { protect: false }));
    expect(nulAuthzid.message).toMatch(/NUL byte after the 4-byte header/);
    const gssFlag = await rejection(worker.createClient(SERVICE, { gssFlag: 2 } as unknown as { flags: number }));
    expect(gssFlag.message).toMatch(/takes "flags", not "gssFlag"/);
    const notBase64 = await rejection(worker.serverStep(client, '!!!!'));
    expect(notBase64.message).toMatch(/not valid base64/);
    const huge = await rejection(worker.clientUnwrap(client, Buffer.alloc(1024 * 1024 + 1).toString('base64')));
    expect(huge.message).toMatch(/larger than 1048576 bytes/);
    const nul = await rejection(worker.createClient('mqtt@localhost\u0000evil'));
    expect(nul.message).toMatch(/NUL or control character/);
    const wrongRole = await rejection(worker.serverStep(client, 'AAAA'));
    expect(wrongRole.kind).toBe('guard');
    expect(wrongRole.message).toMatch(/is an initiator; this call needs an acceptor/);
    for (const error of [user, short, layer, nulAuthzid, gssFlag, notBase64, huge, nul]) expect(error.kind).toBe('guard');

    // The same worker still runs: nothing reached the binding.
    expect(worker.pid).toBe(pid);
    await expect(establish(worker, worker)).resolves.toBeDefined();
  });

  it('survives a native crash: pending calls fail clearly, handles are lost, a fresh worker takes over', async () => {
    const profile = fullProfile(lab, 'lab');
    const worker = supervisor.worker(profile);
    const { client } = await establish(worker, worker);
    const pid = worker.pid!;

    // debugCrash steps a context (trace lines), then calls the binding's wrap('' , { user }) → SIGSEGV.
    const crash = rejection(worker.debugCrash(SERVICE));
    const queued = rejection(worker.clientWrap(client, 'AQAAAA==', { protect: false }));
    const crashed = await crash;
    expect(crashed.kind).toBe('crash');
    expect(crashed.message).toMatch(/^the GSS worker for profile lab died with SIGSEGV during debugCrash: a native crash in the kerberos binding; a fresh worker takes over/);
    expect(crashed.message).toContain('last KRB5_TRACE lines:');
    expect(crashed.trace.join('\n')).toContain(`Getting credentials alice@${lab.name} -> mqtt/localhost@${lab.name}`);
    const waiting = await queued;
    expect(waiting.kind).toBe('crash');
    expect(waiting.message).toMatch(/died with SIGSEGV during debugCrash.*this clientWrap call was waiting behind it and never ran/s);
    await until(() => processGone(pid));

    // Its contexts went with it.
    const lost = await rejection(worker.clientStep(client, ''));
    expect(lost.kind).toBe('crash');
    expect(lost.message).toMatch(new RegExp(`^context lost: ${client} lived in the GSS worker for profile lab \\(pid ${pid}\\), which died with SIGSEGV`));
    await expect(worker.release(client)).resolves.toBeUndefined();

    // The next call starts a fresh worker.
    const again = await establish(worker, worker);
    expect(again.accepted.value.complete).toBe(true);
    expect(worker.pid).not.toBe(pid);
    expect(events).toContainEqual(expect.objectContaining({ type: 'crashed', profileId: 'lab', pid, reason: expect.stringMatching(/SIGSEGV/) }));
    expect(events).toContainEqual(expect.objectContaining({ type: 'started', profileId: 'lab', pid: worker.pid }));
  });

  it('accepts in one call: a complete context leaves no handle, a refused token nothing at all', async () => {
    const initiator = supervisor.worker(clientProfile(lab));
    const acceptor = supervisor.worker(serverProfile(lab, 'accept-once'));
    const client = await initiator.createClient(SERVICE);
    const apReq = await initiator.clientStep(client.value.handle, '');
    const accepted = await acceptor.serverAccept(SERVICE, apReq.value.response);
    expect(accepted.value).toEqual({ response: expect.any(String), complete: true, username: `alice@${lab.name}`, targetName: null });
    expect(accepted.trace.join('\n')).toContain(`Decrypted AP-REQ with server principal mqtt/localhost@${lab.name}`);
    await expect(initiator.clientStep(client.value.handle, accepted.value.response)).resolves.toMatchObject({ value: { complete: true } });
    // The same AP-REQ again: MIT's replay cache refuses it, and no context is kept.
    const replay = await rejection(acceptor.serverAccept(SERVICE, apReq.value.response));
    expect(replay.kind).toBe('gss');
    expect(replay.message).toMatch(/Request is a replay/);
    expect((await rejection(acceptor.serverAccept(SERVICE, '!!!!'))).kind).toBe('guard');
  });

  it('spreads new contexts over a pool; a handle stays with its worker, and a member that dies takes only its own contexts', async () => {
    const initiator = supervisor.worker(clientProfile(lab));
    const pool = supervisor.worker(serverProfile(lab, 'pool'), { poolSize: 2 });
    const apReqs = async (count: number) =>
      Promise.all(Array.from({ length: count }, async () => {
        const client = await initiator.createClient(SERVICE);
        return (await initiator.clientStep(client.value.handle, '')).value.response;
      }));
    // Two at once: the second finds the first member busy and starts another.
    const [first, second] = await Promise.all((await apReqs(2)).map((apReq) => pool.serverAccept(SERVICE, apReq)));
    const acceptedBy = [first!, second!].map((accepted) => parseTraceLine(accepted.trace.find((line) => parseTraceLine(line))!)!.pid);
    expect(new Set(acceptedBy).size).toBe(2);
    expect(supervisor.pids('pool').sort()).toEqual([...acceptedBy].sort());

    // One acceptor handle on each member, then one member dies.
    const handles = (await Promise.all([pool.createServer(SERVICE), pool.createServer(SERVICE)])).map((created) => created.value.handle);
    expect(new Set(handles.map((handle) => handle.split('-')[1])).size).toBe(2);
    const [killed, survivor] = supervisor.pids('pool');
    process.kill(killed!, 'SIGKILL');
    await until(() => processGone(killed!) && !supervisor.pids('pool').includes(killed!));
    const tokens = await apReqs(2);
    const outcomes = await Promise.allSettled(handles.map((handle, i) => pool.serverStep(handle, tokens[i]!)));
    const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(lost).toHaveLength(1);
    expect((lost[0]!.reason as GssError).kind).toBe('crash');
    expect((lost[0]!.reason as GssError).message).toMatch(new RegExp(`context lost: .* \\(pid ${killed}\\), which was killed by SIGKILL`));
    expect(outcomes.find((o) => o.status === 'fulfilled')).toMatchObject({ value: { value: { complete: true, username: `alice@${lab.name}` } } });
    // New contexts go on: to the survivor, or a fresh member in the dead one's place.
    const [next] = await apReqs(1);
    await expect(pool.serverAccept(SERVICE, next!)).resolves.toMatchObject({ value: { complete: true } });
    expect(supervisor.pids('pool')).toContain(survivor);
  });

  it('reports a signal that kills the worker in the middle of a call', async () => {
    const worker = supervisor.worker(fullProfile(lab, 'killed'));
    await worker.start();
    const pid = worker.pid!;
    const hang = rejection(worker.debugHang(10_000));
    await new Promise((resolve) => setTimeout(resolve, 100));
    process.kill(pid, 'SIGSEGV');
    const error = await hang;
    expect(error.kind).toBe('crash');
    expect(error.message).toMatch(/^the GSS worker for profile killed died with SIGSEGV during debugHang/);
    await expect(establish(worker, worker)).resolves.toBeDefined();
  });

  it('replaces the worker when the profile changes its paths', async () => {
    const first = supervisor.worker(fullProfile(lab, 'moving'));
    const { client } = await establish(first, first);
    const pid = first.pid!;
    const moved = supervisor.worker({ ...fullProfile(lab, 'moving'), rcacheDir: path.join(lab.dir, 'rcache2') });
    await mkdir(path.join(lab.dir, 'rcache2'));
    await expect(establish(moved, moved)).resolves.toBeDefined();
    expect(moved.pid).not.toBe(pid);
    const lost = await rejection(moved.clientStep(client, ''));
    expect(lost.message).toMatch(/context lost: .*was stopped \(profile moving changed its Kerberos paths\)/);
    await until(() => processGone(pid));
  });

  it('keeps the debug hooks closed unless the worker env opens them', async () => {
    const plain = new GssSupervisor();
    try {
      const error = await rejection(plain.worker(fullProfile(lab, 'plain')).debugCrash());
      expect(error.kind).toBe('guard');
      expect(error.message).toMatch(/debugCrash is a test hook/);
    } finally {
      await plain.dispose();
    }
  });
});

describe('GSS worker environments, timeouts and start failures', () => {
  let lab: TestRealm;
  beforeAll(async () => {
    lab = await createTestRealm();
  });
  afterAll(() => lab?.destroy());

  it("a 'system' worker sees the user's environment; a lab worker none of the user's KRB5 variables", async () => {
    // The user's shell points at the lab: the system profile follows it.
    const followsUser = new GssSupervisor({ baseEnv: { ...process.env, ...lab.env } });
    // The user's shell points nowhere useful: the lab profile does not care.
    const strayUser = new GssSupervisor({ baseEnv: { ...process.env, KRB5CCNAME: 'FILE:/nonexistent/kbench.ccache', KRB5_KTNAME: 'FILE:/nonexistent/kbench.keytab' } });
    try {
      const system = followsUser.worker(systemProfile());
      const { accepted } = await establish(system, system);
      expect(accepted.value.username).toBe(`alice@${lab.name}`);
      const labWorker = strayUser.worker(fullProfile(lab, 'lab'));
      await expect(establish(labWorker, labWorker)).resolves.toBeDefined();
      const strayed = strayUser.worker(systemProfile());
      const client = await strayed.createClient(SERVICE);
      const error = await rejection(strayed.clientStep(client.value.handle, ''));
      expect(error.kind).toBe('gss');
      expect(error.message).toMatch(/\/nonexistent\/kbench\.ccache/);
    } finally {
      await Promise.all([followsUser.dispose(), strayUser.dispose()]);
    }
  });

  it('kills a worker that hangs and replaces it', async () => {
    const supervisor = new GssSupervisor({ callTimeoutMs: 1000, baseEnv: { ...process.env, [TEST_CRASH_FLAG]: '1' } });
    try {
      const worker = supervisor.worker(fullProfile(lab, 'lab'));
      const { client } = await establish(worker, worker);
      const pid = worker.pid!;
      const started = Date.now();
      const error = await rejection(worker.debugHang());
      expect(Date.now() - started).toBeLessThan(5000);
      expect(error.kind).toBe('timeout');
      expect(error.message).toMatch(/^the GSS worker for profile lab did not answer debugHang within 1 s; it was stopped and a fresh worker takes over/);
      await until(() => processGone(pid));
      const lost = await rejection(worker.clientStep(client, ''));
      expect(lost.message).toMatch(/context lost: .*did not answer debugHang within 1 s/);
      await expect(establish(worker, worker)).resolves.toBeDefined();
      expect(worker.pid).not.toBe(pid);
    } finally {
      await supervisor.dispose();
    }
  });

  it('says "run npm run build" when the worker is not built', async () => {
    const supervisor = new GssSupervisor({ workerScript: '/nonexistent/out/main/gss-worker.js' });
    const error = await rejection(supervisor.worker(fullProfile(lab, 'lab')).createClient(SERVICE));
    expect(error.kind).toBe('guard');
    expect(error.message).toMatch(/gss-worker\.js is missing: run npm run build/);
    await supervisor.dispose();
  });

  it('reports the real reason when the binding does not load', async () => {
    // A copy of the worker next to a kerberos package whose loader fails the way the real one
    // does (it reports build/Debug) while build/Release is not a loadable library.
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-gss-broken-'));
    const pkg = path.join(dir, 'node_modules', 'kerberos');
    await mkdir(path.join(pkg, 'build', 'Release'), { recursive: true });
    await writeFile(path.join(pkg, 'package.json'), JSON.stringify({ name: 'kerberos', version: '0.0.0', main: 'index.js' }));
    await writeFile(path.join(pkg, 'index.js'), "throw new Error(\"Cannot find module '../build/Debug/kerberos.node'\");\n");
    await writeFile(path.join(pkg, 'build', 'Release', 'kerberos.node'), 'not a shared object');
    // The built worker with the chunks it shares with the rest of out/main.
    await cp(path.dirname(defaultWorkerScript()), dir, { recursive: true, filter: (source) => !/(^|\/)(index|cli)\.js$/.test(source) });
    await writeFile(path.join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
    const supervisor = new GssSupervisor({ workerScript: path.join(dir, 'gss-worker.js') });
    try {
      const error = await rejection(supervisor.worker(fullProfile(lab, 'lab')).createClient(SERVICE));
      expect(error.kind).toBe('crash');
      expect(error.message).toMatch(/could not load the kerberos binding: .*(invalid ELF header|file too short)/);
      expect(error.message).not.toContain('build/Debug');
    } finally {
      await supervisor.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the worker itself refuses hazardous calls too (belt and braces)', async () => {
    const child = fork(defaultWorkerScript(), [], {
      env: { ...process.env, ...lab.env, ELECTRON_RUN_AS_NODE: '1' },
      execArgv: [],
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    });
    const replies = new Map<number, GssWorkerMessage>();
    const ready = new Promise<void>((resolve) =>
      child.on('message', (message: GssWorkerMessage) => {
        if ('id' in message) replies.set(message.id, message);
        else if (message.type === 'ready') resolve();
      }),
    );
    const ask = async (id: number, method: string, params: unknown[]) => {
      child.send({ id, method, params });
      await until(() => replies.has(id));
      return replies.get(id)!;
    };
    try {
      await ready;
      const created = await ask(1, 'createClient', [SERVICE, {}]);
      expect(created).toMatchObject({ result: { value: { handle: 'c1' } } });
      expect(await ask(2, 'clientWrap', ['c1', '', { protect: false }])).toMatchObject({ error: { kind: 'guard', message: expect.stringMatching(/refuses empty data/) } });
      expect(await ask(3, 'clientWrap', ['c1', 'AQAAAA==', { user: 'x' }])).toMatchObject({ error: { kind: 'guard', message: expect.stringMatching(/"user" option/) } });
      expect(await ask(6, 'clientWrap', ['c1', 'AQA=', { protect: false }])).toMatchObject({ error: { kind: 'guard', message: expect.stringMatching(/reads 8 bytes/) } });
      expect(await ask(4, 'createClient', [SERVICE, { gssFlag: 1 }])).toMatchObject({ error: { kind: 'guard' } });
      expect(await ask(5, 'debugCrash', [])).toMatchObject({ error: { kind: 'guard', message: expect.stringMatching(/test hook/) } });
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('two realms at the same time', () => {
  let a: TestRealm;
  let b: TestRealm;
  let supervisor: GssSupervisor;
  beforeAll(async () => {
    [a, b] = await Promise.all([createTestRealm('A.TEST'), createTestRealm('B.TEST')]);
    supervisor = new GssSupervisor();
  });
  afterAll(async () => {
    await supervisor?.dispose();
    await Promise.all([a?.destroy(), b?.destroy()]);
  });

  it('establishes contexts in both realms concurrently, each worker in its own realm', async () => {
    const inA = supervisor.worker(fullProfile(a, 'realm-a'));
    const inB = supervisor.worker(fullProfile(b, 'realm-b'));
    const rounds = await Promise.all(
      Array.from({ length: 6 }, (_, i) => (i % 2 === 0 ? establish(inA, inA) : establish(inB, inB))),
    );
    rounds.forEach((round, i) => {
      expect(round.accepted.value.complete).toBe(true);
      expect(round.accepted.value.username).toBe(i % 2 === 0 ? 'alice@A.TEST' : 'alice@B.TEST');
      expect(round.apReq.trace.join('\n')).toContain(i % 2 === 0 ? '@A.TEST' : '@B.TEST');
      expect(round.apReq.trace.join('\n')).not.toContain(i % 2 === 0 ? 'B.TEST' : 'A.TEST');
    });
    expect(inA.pid).not.toBe(inB.pid);

    // Isolation: realm A's worker has no credentials for B's service.
    const client = await inA.createClient(SERVICE);
    const token = (await inA.clientStep(client.value.handle, '')).value.response;
    const server = await inB.createServer(SERVICE);
    const error = await rejection(inB.serverStep(server.value.handle, token));
    expect(error.kind).toBe('gss');
    expect(error.message).toMatch(/mqtt\/localhost@A\.TEST|not found in keytab|No key table entry/);
  });
});
