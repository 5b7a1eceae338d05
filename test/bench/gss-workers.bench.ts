/**
 * Full GSS-API context establishments per second (initiator step → acceptor step → initiator
 * step, both contexts created and released) against the lab realm's KDC:
 *   - in this process, the binding loaded here with the lab's environment (MIT reads it per call),
 *     without and with KRB5_TRACE (the workers always trace),
 *   - through one GSS worker holding both roles, and through two (initiator and acceptor
 *     profiles apart, as the bench runs them): IPC, guards, and trace capture included.
 * And the same with 8 establishments at once (calls to a worker are pipelined; a worker runs them
 * one at a time), also with the acceptor side on a pool of workers (one per core) that takes each
 * AP-REQ in one call (serverAccept), as the broker's GSSAPI-KERBEROS listener does.
 * Separately, printed: how long a worker takes to start (fork → binding loaded).
 * Needs the build (npx electron-vite build): the supervisor forks out/main/gss-worker.js.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import { labProfile } from '../../main/gss/profiles';
import { acceptorPoolSize, GssSupervisor, type GssWorker } from '../../main/gss/supervisor';
import type { KerberosProfile } from '../../main/gss/types';
import { createTestRealm, type TestRealm } from '../helpers/lab';

const SERVICE = 'mqtt@localhost';

interface NativeClient {
  step(challenge: string): Promise<string | null>;
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

let lab: TestRealm;
let supervisor: GssSupervisor;
let both: GssWorker;
let initiator: GssWorker;
let acceptor: GssWorker;
let acceptorPool: GssWorker;
let binding: Binding;
let traceDir: string;
const savedEnv = { ...process.env };

function profile(id: string, roles: { client?: boolean; server?: boolean }): KerberosProfile {
  return labProfile(lab.name, {
    id,
    krb5Config: lab.realm.paths.krb5Conf,
    ...(roles.client ? { ccache: lab.ccache } : {}),
    ...(roles.server ? { keytab: lab.serviceKeytab, rcacheDir: lab.realm.paths.rcacheDir } : {}),
  });
}

beforeAll(async () => {
  lab = await createTestRealm();
  supervisor = new GssSupervisor();
  both = supervisor.worker(profile('lab', { client: true, server: true }));
  initiator = supervisor.worker(profile('lab-initiator', { client: true }));
  acceptor = supervisor.worker(profile('lab-acceptor', { server: true }));
  acceptorPool = supervisor.worker(profile('lab-acceptor-pool', { server: true }), { poolSize: acceptorPoolSize() });
  await Promise.all([both.start(), initiator.start(), acceptor.start()]);
  // The pool's members start when the ones running are busy: fill it before measuring.
  await Promise.all(Array.from({ length: acceptorPoolSize() * 2 }, () => establishWithAccept(initiator, acceptorPool)));
  // In-process: the lab's variables in this process's environment before the first GSS call.
  for (const name of ['KRB5_CONFIG', 'KRB5CCNAME', 'KRB5_KTNAME', 'KRB5RCACHEDIR'] as const) process.env[name] = lab.env[name];
  delete process.env.KRB5_TRACE;
  binding = createRequire(import.meta.url)('kerberos') as Binding;
  traceDir = mkdtempSync(path.join(os.tmpdir(), 'kbench-gss-bench-'));
  const workerStarts = await measureWorkerStarts(5);
  console.log(`GSS worker start (fork → binding loaded), ${workerStarts.length} starts: ${workerStarts.map((ms) => ms.toFixed(0)).join(', ')} ms`);
}, 60_000);

afterAll(async () => {
  await supervisor?.dispose();
  await lab?.destroy();
  if (traceDir) rmSync(traceDir, { recursive: true, force: true });
  for (const name of ['KRB5_CONFIG', 'KRB5CCNAME', 'KRB5_KTNAME', 'KRB5RCACHEDIR', 'KRB5_TRACE']) {
    if (savedEnv[name] === undefined) delete process.env[name];
    else process.env[name] = savedEnv[name];
  }
});

async function measureWorkerStarts(count: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const fresh = new GssSupervisor();
    times.push((await fresh.worker(profile(`start-${i}`, { client: true })).start()).startMs);
    await fresh.dispose();
  }
  return times;
}

async function establishInProcess(): Promise<void> {
  const client = await binding.initializeClient(SERVICE, {});
  const apReq = await client.step('');
  const server = await binding.initializeServer(SERVICE);
  await server.step(apReq ?? '');
  await client.step(server.response ?? '');
  if (!server.contextComplete) throw new Error('the context did not complete');
}

async function establishThroughWorkers(client: GssWorker, server: GssWorker): Promise<void> {
  const initiatorContext = (await client.createClient(SERVICE)).value.handle;
  const apReq = await client.clientStep(initiatorContext, '');
  const acceptorContext = (await server.createServer(SERVICE)).value.handle;
  const accepted = await server.serverStep(acceptorContext, apReq.value.response);
  const done = await client.clientStep(initiatorContext, accepted.value.response);
  if (!done.value.complete) throw new Error('the context did not complete');
  await Promise.all([client.release(initiatorContext), server.release(acceptorContext)]);
}

/** The acceptor in one call per AP-REQ (serverAccept): what the broker does. */
async function establishWithAccept(client: GssWorker, server: GssWorker): Promise<void> {
  const initiatorContext = (await client.createClient(SERVICE)).value.handle;
  const apReq = await client.clientStep(initiatorContext, '');
  const accepted = await server.serverAccept(SERVICE, apReq.value.response);
  const done = await client.clientStep(initiatorContext, accepted.value.response);
  if (!done.value.complete || !accepted.value.complete) throw new Error('the context did not complete');
  await client.release(initiatorContext);
}

describe('full GSS context establishments (AP-REQ, AP-REP, mutual auth) against the lab KDC', () => {
  bench('in process (baseline): binding loaded here, no trace', async () => {
    delete process.env.KRB5_TRACE;
    await establishInProcess();
  });
  bench('in process with KRB5_TRACE to a file', async () => {
    process.env.KRB5_TRACE = path.join(traceDir, 'in-process.trace');
    await establishInProcess();
    delete process.env.KRB5_TRACE;
  });
  bench('one GSS worker (both roles), trace captured per call', async () => {
    await establishThroughWorkers(both, both);
  });
  bench('two GSS workers (initiator and acceptor profiles), trace captured per call', async () => {
    await establishThroughWorkers(initiator, acceptor);
  });
  bench('two GSS workers, the acceptor in one call (serverAccept)', async () => {
    await establishWithAccept(initiator, acceptor);
  });
});

/** A broker authenticating many clients at once: calls to one worker are pipelined. */
const BATCH = 8;
describe(`${BATCH} concurrent context establishments (one batch per iteration)`, () => {
  bench('in process (baseline): binding loaded here, no trace', async () => {
    delete process.env.KRB5_TRACE;
    await Promise.all(Array.from({ length: BATCH }, establishInProcess));
  });
  bench('two GSS workers (initiator and acceptor profiles)', async () => {
    await Promise.all(Array.from({ length: BATCH }, () => establishThroughWorkers(initiator, acceptor)));
  });
  bench(`initiator worker, acceptor pool of ${acceptorPoolSize()} workers (serverAccept)`, async () => {
    await Promise.all(Array.from({ length: BATCH }, () => establishWithAccept(initiator, acceptorPool)));
  });
});

