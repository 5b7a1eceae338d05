/**
 * A GSS worker: the process that hosts the native `kerberos` binding for one Kerberos profile.
 * Started by GssSupervisor with child_process.fork; its environment *is* the profile (MIT reads
 * KRB5_CONFIG, KRB5CCNAME, KRB5_KTNAME … at each call) plus KRB5_TRACE pointing at this worker's
 * own trace file.
 *
 * It answers { id, method, params } requests one at a time. MIT opens KRB5_TRACE (O_APPEND) each
 * time it creates a krb5 context — at every init/accept_sec_context — and an established context
 * keeps writing to it, so with one call in flight the bytes appended to the file between a
 * call's start and its end are exactly that call's trace.
 */
import { fstatSync, ftruncateSync, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { checkCallParams, checkName, DEBUG_METHODS, GSS_METHODS, TEST_CRASH_FLAG, type ClientOptions, type GssDebugMethod, type GssMethod } from './guards';
import type { GssRequest, GssWorkerMessage } from './protocol';
import { traceLines } from './trace';
import { GssError, type GssClientStep, type GssServerStep } from './types';

// ---- the binding, typed as its C++ really behaves (its index.d.ts says gssFlag; the code reads flags) ----

interface NativeClient {
  readonly username: string | null;
  readonly contextComplete: boolean;
  step(challenge: string): Promise<string | null>;
  /** Always the RFC 4752 reply builder, `user` or not (see rfc4752WrapArguments). */
  wrap(header: string, options: { user: string; protect: boolean }): Promise<string | null>;
  unwrap(token: string): Promise<string | null>;
}

interface NativeServer {
  readonly username: string | null;
  readonly targetName: string | null;
  readonly response: string | null;
  readonly contextComplete: boolean;
  step(token: string): Promise<unknown>;
}

interface KerberosBinding {
  version: string;
  initializeClient(service: string, options: { principal?: string; flags?: number; mechOID?: number }): Promise<NativeClient>;
  initializeServer(service: string): Promise<NativeServer>;
}

const MECH_OID = { krb5: 9, spnego: 6 } as const;
/** Past this size the trace file is emptied between calls (MIT appends with O_APPEND, so its open fds keep working). */
const TRACE_FILE_CAP = 16 * 1024 * 1024;
/** The most trace text one call returns; a runaway call keeps its last lines. */
const TRACE_CALL_CAP = 1024 * 1024;

// Not named `require`: the bundler injects its own `require` shim into ESM output.
const requireCjs = createRequire(import.meta.url);

/**
 * Loads the binding. Its loader tries build/Release then build/Debug and reports only the last
 * failure ("Cannot find module ../build/Debug/kerberos.node"), so on failure load the Release
 * build directly to learn the real cause (e.g. "Opening library libgssapi_krb5.so.2 failed").
 */
function loadBinding(): KerberosBinding {
  try {
    return requireCjs('kerberos') as KerberosBinding;
  } catch (error) {
    let cause = (error as Error).message;
    try {
      const dir = path.dirname(requireCjs.resolve('kerberos/package.json'));
      requireCjs(path.join(dir, 'build', 'Release', 'kerberos.node'));
    } catch (inner) {
      cause = (inner as Error).message;
    }
    throw new Error(cause.split('\n')[0]);
  }
}

// ---- trace file -------------------------------------------------------------------------------

/**
 * The worker's own handle on its trace file, opened once (created 0600 if MIT has not yet): each
 * call costs an fstat before and after, and a pread when MIT wrote something.
 */
const traceFd = openTraceFile(process.env.KRB5_TRACE);

function openTraceFile(file: string | undefined): number | undefined {
  if (!file) return undefined;
  try {
    return openSync(file, 'a+', 0o600);
  } catch {
    return undefined; // not a file we can read (e.g. /dev/stderr): calls return no trace
  }
}

function traceSize(): number {
  return traceFd === undefined ? 0 : fstatSync(traceFd).size;
}

/** The lines MIT appended since `start`, and where the file ends now. */
function traceSince(start: number): { lines: string[]; end: number } {
  const end = traceSize();
  if (traceFd === undefined || end <= start) return { lines: [], end };
  const from = Math.max(start, end - TRACE_CALL_CAP);
  const buffer = Buffer.alloc(end - from);
  readSync(traceFd, buffer, 0, buffer.length, from);
  const lines = traceLines(buffer.toString('utf8'));
  // Cut at the cap: the first line is a fragment.
  return { lines: from > start ? lines.slice(1) : lines, end };
}

/** Between calls only: keeps a long-lived worker's trace file bounded. */
function trimTraceFile(end: number): number {
  if (traceFd === undefined || end < TRACE_FILE_CAP) return end;
  ftruncateSync(traceFd, 0);
  return 0;
}

// ---- contexts ---------------------------------------------------------------------------------

type Context = { role: 'initiator'; native: NativeClient } | { role: 'acceptor'; native: NativeServer };

const contexts = new Map<string, Context>();
let nextContext = 1;
/**
 * Each live context keeps a krb5 context, and each of those keeps the trace file open: unreleased
 * handles leak file descriptors (2 per established client+server pair, measured). Past this
 * many, new contexts are refused until some are released.
 */
const MAX_CONTEXTS = 4096;

function roomForAContext(): void {
  if (contexts.size >= MAX_CONTEXTS) {
    throw new GssError(`this GSS worker already holds ${MAX_CONTEXTS} contexts: release the ones you are done with (each keeps files open)`, [], 'guard');
  }
}

function remember(context: Context): { handle: string } {
  const handle = `${context.role === 'initiator' ? 'c' : 's'}${nextContext++}`;
  contexts.set(handle, context);
  return { handle };
}

function initiator(handle: unknown): NativeClient {
  const context = typeof handle === 'string' ? contexts.get(handle) : undefined;
  if (!context) throw new GssError(`no GSS context ${String(handle)} in this worker (released, or never created here)`, [], 'guard');
  if (context.role !== 'initiator') throw new GssError(`context ${handle as string} is an acceptor; this call needs an initiator`, [], 'guard');
  return context.native;
}

function acceptor(handle: unknown): NativeServer {
  const context = typeof handle === 'string' ? contexts.get(handle) : undefined;
  if (!context) throw new GssError(`no GSS context ${String(handle)} in this worker (released, or never created here)`, [], 'guard');
  if (context.role !== 'acceptor') throw new GssError(`context ${handle as string} is an initiator; this call needs an acceptor`, [], 'guard');
  return context.native;
}

function clientInitOptions(options: ClientOptions): { principal?: string; flags?: number; mechOID?: number } {
  if (options.nameType === 'principal') {
    throw new GssError('nameType "principal" needs the Java engine: the kerberos binding imports every target as a host-based service (service@host)', [], 'guard');
  }
  const init: { principal?: string; flags?: number; mechOID?: number } = {};
  if (options.principal) init.principal = options.principal;
  if (options.flags !== undefined) init.flags = options.flags;
  if (options.mech) init.mechOID = MECH_OID[options.mech];
  return init;
}

/**
 * The binding's wrap builds [0x01, input bytes 1–3, user] and wraps that — with or without the
 * `user` option (its C++ always takes that path). It reads the input's first 8 bytes as a long,
 * so the 4-byte header goes in padded to 8 bytes (no over-read), and the authorization id, which
 * checkWrapData proved to be NUL-free UTF-8 of at most 4091 bytes, goes in as `user`.
 */
function rfc4752WrapArguments(data: string, protect: boolean): [string, { user: string; protect: boolean }] {
  const bytes = Buffer.from(data, 'base64');
  const header = Buffer.concat([bytes.subarray(0, 4), Buffer.alloc(4)]).toString('base64');
  return [header, { user: bytes.subarray(4).toString('utf8'), protect }];
}

function serverStepOf(server: NativeServer): GssServerStep {
  return {
    response: server.response ?? '',
    complete: server.contextComplete,
    username: server.username || null,
    targetName: server.targetName || null,
  };
}

// ---- calls ------------------------------------------------------------------------------------

async function callGss(binding: KerberosBinding, method: GssMethod, rawParams: unknown[]): Promise<unknown> {
  const params = checkCallParams(method, rawParams);
  switch (method) {
    case 'createClient':
      roomForAContext();
      return remember({ role: 'initiator', native: await binding.initializeClient(params[0] as string, clientInitOptions(params[1] as ClientOptions)) });
    case 'createServer':
      roomForAContext();
      return remember({ role: 'acceptor', native: await binding.initializeServer(params[0] as string) });
    case 'clientStep': {
      const client = initiator(params[0]);
      const response = await client.step(params[1] as string);
      return { response: response ?? '', complete: client.contextComplete, principal: client.username || null } satisfies GssClientStep;
    }
    case 'clientWrap': {
      const client = initiator(params[0]);
      const token = await client.wrap(...rfc4752WrapArguments(params[1] as string, (params[2] as { protect: boolean }).protect));
      return { token: token ?? '' };
    }
    case 'clientUnwrap': {
      const data = await initiator(params[0]).unwrap(params[1] as string);
      return { data: data ?? '' };
    }
    case 'serverStep': {
      const server = acceptor(params[0]);
      await server.step(params[1] as string);
      // An established acceptor has nothing left to do here (the binding cannot wrap or unwrap
      // on the acceptor side): drop it now and spare the caller a release round trip.
      if (server.contextComplete) contexts.delete(params[0] as string);
      return serverStepOf(server);
    }
    case 'serverAccept': {
      roomForAContext();
      const server = await binding.initializeServer(params[0] as string);
      // A failed first step throws before the context is remembered: nothing is left to release.
      await server.step(params[1] as string);
      return { ...serverStepOf(server), ...(server.contextComplete ? {} : remember({ role: 'acceptor', native: server })) };
    }
    case 'release':
      if (typeof params[0] === 'string') contexts.delete(params[0]);
      return null;
  }
}

/** Test hooks: a real native crash and a real hang, so the supervisor's recovery is tested for real. */
async function callDebug(binding: KerberosBinding, method: GssDebugMethod, params: unknown[]): Promise<unknown> {
  if (process.env[TEST_CRASH_FLAG] !== '1') throw new GssError(`${method} is a test hook: this worker was not started with ${TEST_CRASH_FLAG}=1`, [], 'guard');
  if (method === 'debugCrash') {
    // With a service: step a context first, so MIT writes trace lines the crash report must show.
    const service = params[0] === undefined ? 'host@localhost' : checkName(params[0], 'service', { allowEmpty: false });
    const client = await binding.initializeClient(service, {});
    if (params[0] !== undefined) await client.step('').catch(() => undefined);
    // The hazard guards.ts exists for: wrap('') with `user` dereferences a NULL buffer → SIGSEGV.
    return client.wrap('', { user: 'crash', protect: false });
  }
  // Blocks this thread like a native call that never returns would.
  const ms = typeof params[0] === 'number' ? params[0] : 3_600_000;
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  return null;
}

function errorOf(error: unknown): { message: string; kind: GssError['kind'] } {
  if (error instanceof GssError) return { message: error.message, kind: error.kind };
  // The binding rejects with Error("major text: minor text") — MIT's own words, kept verbatim.
  return { message: error instanceof Error ? error.message : String(error), kind: 'gss' };
}

/** The call being answered and where its trace began: what a fatal binding error is charged to. */
let current: { request: GssRequest; traceStart: number } | undefined;

async function answer(binding: KerberosBinding, request: GssRequest): Promise<GssWorkerMessage> {
  const start = traceSize();
  current = { request, traceStart: start };
  let outcome: { value: unknown } | { error: { message: string; kind: GssError['kind'] } };
  try {
    if ((GSS_METHODS as readonly string[]).includes(request.method)) outcome = { value: await callGss(binding, request.method as GssMethod, request.params ?? []) };
    else if ((DEBUG_METHODS as readonly string[]).includes(request.method)) outcome = { value: await callDebug(binding, request.method as GssDebugMethod, request.params ?? []) };
    else throw new GssError(`unknown GSS worker method ${String(request.method)}`, [], 'guard');
  } catch (error) {
    outcome = { error: errorOf(error) };
  }
  current = undefined;
  const { lines, end } = traceSince(start);
  const traceEnd = trimTraceFile(end);
  if ('error' in outcome) return { id: request.id, error: { ...outcome.error, trace: lines }, traceEnd };
  return { id: request.id, result: { value: outcome.value, trace: lines }, traceEnd };
}

/**
 * An exception no promise catches comes from the binding's native completion callbacks: e.g.
 * unwrap of a valid token with an empty payload makes it build a JS string from NULL ("Error in
 * native callback"), and that call's promise never settles. Answer the call with what happened,
 * marked fatal, and exit: nothing more should run on a binding in an unknown state.
 */
function onUncaught(error: unknown): void {
  const failed = current;
  const text = error instanceof Error ? error.message : String(error);
  if (!failed) {
    console.error('GSS worker: uncaught', error);
    process.exit(70);
  }
  const hint = failed.request.method === 'clientUnwrap' && /native callback/.test(text) ? ' (the binding cannot return an empty unwrap result: the token\'s payload was empty)' : '';
  const { lines, end } = traceSince(failed.traceStart);
  const message = `the kerberos binding failed inside its native callback during ${failed.request.method}: ${text}${hint}`;
  send({ id: failed.request.id, error: { message, kind: 'crash', trace: lines }, traceEnd: end, fatal: true }, () => process.exit(70));
}

// ---- main -------------------------------------------------------------------------------------

function send(message: GssWorkerMessage, then?: () => void): void {
  process.send!(message, undefined, undefined, then);
}

async function main(): Promise<void> {
  if (!process.send) {
    console.error('the GSS worker runs under GssSupervisor (child_process.fork with an IPC channel), not on its own');
    process.exit(2);
  }
  // The supervisor going away (even by SIGKILL) closes the channel: never outlive it.
  process.on('disconnect', () => process.exit(0));
  let binding: KerberosBinding;
  try {
    binding = loadBinding();
    // The binding dlopens libgssapi_krb5 at its first call: make that happen now, so a missing
    // library shows up as a failed start rather than in the middle of someone's call.
    await binding.initializeClient('host@localhost', {}).catch(() => undefined);
  } catch (error) {
    send({ type: 'load-failed', message: (error as Error).message }, () => process.exit(3));
    return;
  }
  process.on('uncaughtException', onUncaught);
  let queue = Promise.resolve();
  process.on('message', (request: GssRequest) => {
    queue = queue.then(async () => send(await answer(binding, request)));
  });
  send({ type: 'ready', pid: process.pid, bindingVersion: binding.version });
}

void main();
