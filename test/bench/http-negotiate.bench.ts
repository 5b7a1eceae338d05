/**
 * Negotiate requests per second against the bench's HTTP endpoint (Elasticsearch mode, the lab
 * realm's HTTP/localhost key), one after another: an MIT initiator makes a SPNEGO token, a fresh
 * connection sends `GET /_security/_authenticate` with it, the endpoint accepts it (MIT or Java
 * acceptor), records the Exchange and answers ES's JSON with the mutual-authentication token,
 * which the initiator verifies. Against the baseline of the same run: raw GSS context
 * establishments (initiator step → acceptor step → initiator step) through GSS workers, MIT and
 * Java. vitest prints each as a ratio of the fastest; afterwards the same are measured again in
 * interleaved batches (the machine's drift the same for all) and printed as ratios to raw MIT.
 * Needs the build (out/main/gss-worker.js) and a JDK.
 */
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import { recordFigure } from './figures';
import { interleavedRates } from './interleave';
import type { GssRuntime } from '../../main/api/http';
import { createEngine, type Engine } from '../../main/engine';
import { GssSupervisor, type GssWorker } from '../../main/gss/supervisor';
import type { KerberosProfile } from '../../main/gss/types';

const SERVICE = 'HTTP@localhost';
const engines: Partial<Record<GssRuntime, { engine: Engine; dataDir: string; url: string; profile: KerberosProfile }>> = {};
let supervisor: GssSupervisor;
const initiators: Partial<Record<GssRuntime, GssWorker>> = {};
const acceptors: Partial<Record<GssRuntime, GssWorker>> = {};
/** MIT initiators in each endpoint's realm (each engine has a lab realm of its own, with its own keys). */
const clients: Partial<Record<GssRuntime, GssWorker>> = {};

/** An engine with its own lab realm and an endpoint whose acceptor runs on `runtime`. */
async function endpointOn(runtime: GssRuntime) {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), `kbench-http-bench-${runtime}-`));
  const engine = createEngine({ runtime: 'cli', dataDir });
  await engine.api.lab.up();
  const status = await engine.api.http.serve({ mode: 'elasticsearch', credentials: 'lab', port: 0, engine: runtime });
  return { engine, dataDir, url: `${status.url!}/_security/_authenticate`, profile: await engine.api.lab.profile() };
}

beforeAll(async () => {
  engines.mit = await endpointOn('mit');
  engines.java = await endpointOn('java');
  supervisor = new GssSupervisor();
  const lab = engines.mit.profile;
  for (const runtime of ['mit', 'java'] as const) {
    initiators[runtime] = supervisor.worker({ ...lab, id: `bench-initiator-${runtime}`, runtime });
    acceptors[runtime] = supervisor.worker({ ...lab, id: `bench-acceptor-${runtime}`, runtime });
    clients[runtime] = supervisor.worker({ ...engines[runtime]!.profile, id: `bench-client-${runtime}`, runtime: 'mit' });
  }
  // Warm every worker and both endpoints (JVM start, JAAS logins, first tickets).
  for (const runtime of ['mit', 'java'] as const) {
    await establish(runtime);
    await negotiateRequest(runtime);
  }
}, 180_000);

afterAll(async () => {
  try {
    const rates = await interleavedRates(modes, 6, 20);
    console.log('\nNegotiate over HTTP, per second, interleaved batches (ratio to raw MIT context establishments):');
    modes.forEach(([name], i) => console.log(`  ${name.padEnd(52)} ${rates[i]!.toFixed(1).padStart(7)}/s  ${(rates[i]! / rates[0]!).toFixed(2)}×`));
    recordFigure({ key: 'http_negotiate_vs_raw_gss', value: rates[2]! / rates[0]!, unit: '×', detail: `Negotiate requests (MIT acceptor in the endpoint) ${rates[2]!.toFixed(0)}/s vs raw MIT context establishments ${rates[0]!.toFixed(0)}/s, interleaved` });
  } finally {
    await cleanUp();
  }
}, 300_000);

/** Stops the workers, the endpoints and the lab KDCs, and removes the data dirs — also after a failure. */
async function cleanUp(): Promise<void> {
  await supervisor?.dispose();
  for (const entry of Object.values(engines)) {
    await entry.engine.api.http.stop().catch(() => undefined);
    await entry.engine.api.lab.down({ destroy: true }).catch(() => undefined);
    await entry.engine.dispose();
    await rm(entry.dataDir, { recursive: true, force: true });
  }
}

/** A full context establishment between two workers of the same runtime, released afterwards. */
async function establish(runtime: GssRuntime): Promise<void> {
  const client = initiators[runtime]!;
  const server = acceptors[runtime]!;
  const initiator = (await client.createClient(SERVICE, { mech: 'spnego' })).value.handle;
  const token = await client.clientStep(initiator, '');
  const acceptor = (await server.createServer(SERVICE)).value.handle;
  const accepted = await server.serverStep(acceptor, token.value.response);
  const done = await client.clientStep(initiator, accepted.value.response);
  if (!done.value.complete) throw new Error(`the ${runtime} context did not complete`);
  await Promise.all([client.release(initiator), server.release(acceptor)]);
}

/** One authenticated request: MIT token → endpoint (acceptor on `runtime`) → 200 → mutual auth verified. */
async function negotiateRequest(runtime: GssRuntime): Promise<void> {
  const client = clients[runtime]!;
  const handle = (await client.createClient(SERVICE, { mech: 'spnego' })).value.handle;
  try {
    const token = (await client.clientStep(handle, '')).value.response;
    const reply = await get(engines[runtime]!.url, `Negotiate ${token}`);
    if (reply.status !== 200) throw new Error(`the ${runtime} endpoint answered ${reply.status}: ${reply.body}`);
    const mutual = /^Negotiate (\S+)$/.exec(reply.challenge ?? '')?.[1];
    if (!mutual) throw new Error('no mutual-authentication token');
    if (!(await client.clientStep(handle, mutual)).value.complete) throw new Error('mutual authentication failed');
  } finally {
    await client.release(handle);
  }
}

function get(url: string, authorization: string): Promise<{ status: number; challenge: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers: { authorization }, agent: false, timeout: 10_000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, challenge: response.headers['www-authenticate'], body }));
    });
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', reject);
  });
}

const modes: Array<[string, () => Promise<void>]> = [
  ['raw GSS contexts, MIT workers (baseline)', () => establish('mit')],
  ['raw GSS contexts, Java workers', () => establish('java')],
  ['Negotiate requests, MIT acceptor in the endpoint', () => negotiateRequest('mit')],
  ['Negotiate requests, Java acceptor in the endpoint', () => negotiateRequest('java')],
];


describe('Negotiate over HTTP (sequential)', () => {
  for (const [name, run] of modes) bench(name, run, { time: 2_000, warmupTime: 300 });
});
