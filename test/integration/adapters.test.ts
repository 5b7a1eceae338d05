/**
 * One engine behind every adapter (ARCHITECTURE.md, issue 18 item 5): every method of the Bench API
 * contract is called once directly on the service object and once through each adapter — the
 * window's IPC handler (electron/ipc.ts, with a trusted sender frame), web mode's WebSocket (the
 * real host on 127.0.0.1 with its token) and the CLI (`kbench call`, in-process) — and each adapter
 * answers the same. Where a method has a side-effect-free call, that call is made (its value, or
 * its failure, must be identical); where it has none (it starts a KDC, a broker, writes a file),
 * a schema-invalid call is made that every adapter must refuse with the same error.
 *
 * The table below is typed by the contract: a method added to a service without a row here does
 * not compile.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import type WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { benchMethods, type BenchApi, type ServiceName } from '../../main/api/contract';
import type { InvokeResult } from '../../main/api/errors';
import { createEngine, type Engine } from '../../main/engine';
import { startWebHost, type WebHost } from '../../main/host/server';
import { registerBenchIpc } from '../../electron/ipc';
import { IPC_INVOKE } from '../../electron/channels';
import { APP_ENTRY_URL } from '../../electron/protocol';
import { runKbench } from '../helpers/cli';
import { invokeOver, openBenchSocket } from '../helpers/web';

/** `valid`: a call with no side effect (its answer is compared); `invalid`: one the schemas refuse. */
type Call = { kind: 'valid' | 'invalid'; args: unknown[] };
type Calls = { [S in ServiceName]: { [M in (typeof benchMethods)[S][number]]: Call } };

const valid = (...args: unknown[]): Call => ({ kind: 'valid', args });
const invalid = (...args: unknown[]): Call => ({ kind: 'invalid', args });
/** A run/probe id no engine holds: the service's own "not found" failure is the answer. */
const nobody = '00000000-0000-4000-8000-000000000000';

interface Fixtures {
  keytab: { base64: string; name: string };
  krb5Conf: { base64: string; name: string };
  exchangeFile: { base64: string; name: string };
  chainFile: string;
  hash: string;
}

function calls(f: Fixtures): Calls {
  return {
    system: { doctor: invalid('extra'), info: valid() },
    keytab: {
      read: valid(f.keytab, false),
      // add stamps new entries with the time: its answer is not the same from one second to the next.
      add: invalid(null, { principal: 'alice@BENCH.TEST', kvno: -1 }, false),
      remove: valid(f.keytab, [0], false),
      merge: valid([f.keytab, f.keytab], true),
      check: valid(f.keytab, 'secret'),
      save: invalid('', '', {}),
    },
    ccache: { read: valid({ base64: Buffer.from('not a ccache').toString('base64'), name: 'x.ccache' }) },
    profile: { read: valid(f.krb5Conf) },
    decoder: {
      decode: valid({ text: f.keytab.base64 }, [], false),
      decodeSession: valid([{ text: f.keytab.base64 }], [], false),
      explainKey: valid({ text: '00' }, f.keytab),
    },
    lab: {
      up: invalid({ realm: 'no spaces allowed' }),
      down: invalid({ realm: 7 }),
      status: valid({ realm: 'ADAPTERS.TEST' }),
      log: invalid({ lines: 'many' }),
      addPrincipal: invalid({}),
      removePrincipal: invalid({}),
      setPassword: invalid({}),
      rotateKey: invalid({}),
      setFlags: invalid({}),
      exportKeytab: invalid({}),
      setClockOffset: invalid({}),
      startKdc: invalid({ realm: 7 }),
      stopKdc: invalid({ realm: 7 }),
      refreshTicket: invalid({ realm: 7 }),
      revealPassword: invalid(7),
      profile: invalid({ realm: 7 }),
      preview: invalid({}),
      undo: invalid({ realm: 7 }),
      addAccount: invalid({}),
      setAccount: invalid({}),
      removeAccount: invalid({}),
      addSpn: invalid({}),
      removeSpn: invalid({}),
      findSpn: invalid({}),
      changePassword: invalid({}),
    },
    sasl: {
      start: invalid({ service: 'no-at-sign' }),
      step: valid(nobody),
      finish: valid(nobody),
      send: valid(nobody, 'client', 'AAAA'),
      close: invalid('not-a-uuid'),
      // Opening a peer reads the profile's files (and needs the lab up for 'lab'): refused here.
      openPeer: invalid({ role: 'observer', service: 'mqtt@localhost', profile: 'system' }),
      peerStart: valid(nobody),
      peerReceive: valid(nobody, 'AAAA'),
      peerProtect: invalid(nobody, 'not base64!'),
      peerUnprotect: valid(nobody, ''),
      closePeer: valid(nobody),
      decodeTranscript: invalid('', f.keytab),
    },
    broker: { start: invalid({ tcp: 'yes' }), stop: invalid('now'), status: valid(), exchanges: valid() },
    probe: {
      start: invalid({ url: 'http://not-mqtt' }),
      next: valid(nobody),
      reauthenticate: valid(nobody),
      publish: valid(nobody, 'bench/test'),
      view: valid(nobody),
      close: invalid('not-a-uuid'),
    },
    diagnose: {
      diagnose: valid({ message: 'kinit: Clock skew too great while getting initial credentials' }),
      catalog: valid(),
      scenarios: valid(),
      runScenario: invalid({ id: '' }),
    },
    workspace: {
      load: valid(),
      saveView: invalid('Not A Key', {}),
      saveItem: invalid({ kind: 'nothing' }),
      removeItem: invalid(''),
      addRecent: invalid({ kind: 'cake', path: '/x' }),
    },
    history: { list: valid({ source: 'broker' }), remove: invalid(['']), clear: invalid(1), export: invalid([''], 'extra') },
    capture: {
      scan: invalid({}),
      rows: invalid('capture-gone', 0, 0),
      cancel: invalid(''),
      exchange: valid('capture-gone', 'exchange-gone'),
      export: invalid('x', [], 'docx'),
      open: valid(f.exchangeFile),
      replay: invalid({ mode: 'rewind' }),
    },
    http: {
      serve: invalid({ mode: 'teapot' }),
      stop: invalid(1),
      status: valid(),
      exchanges: valid(),
      roleMappings: valid(),
      putRoleMapping: invalid('', {}),
      deleteRoleMapping: invalid(''),
      testRoleMapping: valid({ principal: 'alice@BENCH.TEST', realmName: 'kerb1' }),
      setSso: invalid('on'),
      revealUserPasswords: invalid(1),
    },
    negotiate: {
      start: invalid({ url: 'ftp://x' }),
      next: valid(nobody),
      view: valid(nobody),
      close: invalid('not-a-uuid'),
      predictSpn: invalid({ url: 'not a url' }),
    },
    chain: {
      load: valid(f.chainFile),
      save: invalid({}),
      test: invalid({}),
      hashPassword: invalid({ password: 'x', iterations: 0 }),
      verifyPassword: valid({ hash: f.hash, password: 'secret' }),
      startCustomServer: invalid({ port: 70_000 }),
      stopCustomServer: valid(),
    },
    export: { targets: valid(), generate: invalid({}), save: invalid({}) },
    importer: { read: valid({ file: f.krb5Conf }), test: invalid({ file: {} }) },
    spn: {
      build: valid({ product: 'emqx', realm: 'EXAMPLE.COM', host: 'broker.example.com' }),
      validate: valid({ spn: 'mqtt/broker.example.com@EXAMPLE.COM', product: 'emqx' }),
      mapName: valid({ principal: 'alice@EXAMPLE.COM' }),
      check: invalid({ spn: '' }),
    },
  };
}

/**
 * What crosses a process boundary: JSON (the WebSocket, the CLI) drops undefined fields, so every
 * answer is compared after the same trip — less `elapsedMs`, which each call measures for itself.
 */
const overTheWire = (value: unknown): unknown =>
  value === undefined ? undefined : JSON.parse(JSON.stringify(value), (key, item: unknown) => (key === 'elapsedMs' ? undefined : item));

/** The window's adapter: electron/ipc.ts's handler, reached as the preload reaches it (arguments and answers structured-cloned). */
function ipcAdapter(engine: Engine): { invoke(request: unknown): Promise<InvokeResult>; dispose(): void } {
  let handler: ((event: IpcMainInvokeEvent, request: unknown) => Promise<InvokeResult>) | undefined;
  const ipcMain = {
    handle: (channel: string, h: typeof handler) => channel === IPC_INVOKE && (handler = h),
    removeHandler: () => (handler = undefined),
  } as unknown as Pick<IpcMain, 'handle' | 'removeHandler'>;
  const unregister = registerBenchIpc(ipcMain, engine, APP_ENTRY_URL, () => {});
  const trusted = { senderFrame: { url: `${APP_ENTRY_URL}#/keytab` } } as unknown as IpcMainInvokeEvent;
  return {
    invoke: async (request) => structuredClone(await handler!(trusted, structuredClone(request))),
    dispose: unregister,
  };
}

/** Web mode's adapter: the host's WebSocket with our Origin and the token. */
async function webAdapter(engine: Engine, rendererDir: string): Promise<{ invoke(request: { service: string; method: string; args: unknown[] }): Promise<InvokeResult>; dispose(): Promise<void> }> {
  const host: WebHost = await startWebHost({ engine, port: 0, rendererDir });
  const ws: WebSocket = await openBenchSocket(host.port, host.token);
  let id = 0;
  return {
    invoke: async (request) => {
      const answer = await invokeOver(ws, ++id, JSON.stringify({ type: 'invoke', id, ...request }));
      if (answer.type !== 'result') throw new Error(`expected a result, got ${answer.type}`);
      return answer.result;
    },
    dispose: async () => {
      ws.close();
      await host.close();
    },
  };
}

/** The direct call: the service object itself, its value or its failure as an InvokeResult. */
async function direct(api: BenchApi, service: string, method: string, args: unknown[]): Promise<InvokeResult> {
  const target = api[service as ServiceName] as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
  try {
    return { ok: true, value: await target[method]!.apply(target, args) };
  } catch (error) {
    return { ok: false, error: { code: 'failed', message: (error as Error).message } };
  }
}

describe('every Bench API method answers the same directly and through IPC, WebSocket and CLI', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let engine: Engine;
  let ipc: ReturnType<typeof ipcAdapter>;
  let web: Awaited<ReturnType<typeof webAdapter>>;
  let table: Calls;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-adapters-'));
    const dataDir = path.join(dir, 'data');
    env = { ...process.env, KBENCH_DATA_DIR: dataDir };
    // The CLI makes its engine as `kbench` does (runtime cli, KBENCH_DATA_DIR); the others share one like it.
    engine = createEngine({ runtime: 'cli', dataDir });
    ipc = ipcAdapter(engine);
    const rendererDir = path.join(dir, 'renderer');
    await mkdir(rendererDir);
    await writeFile(path.join(rendererDir, 'index.html'), '<!doctype html><div id="app"></div>\n');
    web = await webAdapter(engine, rendererDir);

    const made = await engine.api.keytab.add(null, { principal: 'alice@BENCH.TEST', kvno: 2, password: 'secret' }, false);
    table = calls({
      keytab: { base64: made.base64, name: 'alice.keytab' },
      krb5Conf: { base64: (await readFile('test/fixtures/krb5conf/debian-sample.krb5.conf')).toString('base64'), name: 'krb5.conf' },
      exchangeFile: { base64: Buffer.from('{"format":"kbench-exchanges","version":1,"exchanges":[]}').toString('base64'), name: 'none.json' },
      chainFile: path.resolve('test/fixtures/chain/full/chain.yaml'),
      hash: (await engine.api.chain.hashPassword({ password: 'secret', iterations: 1000 })).hash,
    });
  }, 60_000);

  afterAll(async () => {
    await web?.dispose();
    ipc?.dispose();
    await engine?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('the table covers every method of the contract', () => {
    const listed = Object.entries(benchMethods).flatMap(([service, methods]) => methods.map((m) => `${service}.${m}`));
    const covered = Object.entries(table).flatMap(([service, methods]) => Object.keys(methods).map((m) => `${service}.${m}`));
    expect(covered.sort()).toEqual(listed.sort());
  });

  const rows = Object.entries(benchMethods).flatMap(([service, methods]) => methods.map((method) => [service, method] as const));
  it.each(rows)('%s.%s', async (service, method) => {
    const call = (table[service as ServiceName] as Record<string, Call>)[method]!;
    const request = { service, method, args: call.args };
    const dispatched = overTheWire(await engine.invoke(request)) as InvokeResult;
    if (call.kind === 'invalid') {
      expect(dispatched, 'a call the schemas refuse').toMatchObject({ ok: false, error: { code: 'invalid-input' } });
    } else {
      expect(dispatched.ok || dispatched.error.code === 'failed', JSON.stringify(dispatched)).toBe(true);
      // The service object answers what the dispatcher answers (a failure: the same message).
      const own = overTheWire(await direct(engine.api, service, method, structuredClone(call.args))) as InvokeResult;
      if (dispatched.ok) expect(own).toEqual(dispatched);
      else expect(own).toMatchObject({ ok: false, error: { message: dispatched.error.message } });
    }
    expect(overTheWire(await ipc.invoke(request)), 'IPC').toEqual(dispatched);
    expect(overTheWire(await web.invoke(request)), 'WebSocket').toEqual(dispatched);
    const cli = await runKbench(['call', `${service}.${method}`, ...call.args.map((a) => JSON.stringify(a)), '--json'], env);
    expect(cli.stderr, 'CLI stderr').toBe('');
    expect(overTheWire(JSON.parse(cli.stdout)), 'CLI').toEqual(dispatched);
    expect(cli.code).toBe(dispatched.ok ? 0 : 1);
  }, 30_000);

  it('an unknown method and a malformed request are refused alike', async () => {
    const request = { service: 'keytab', method: 'format', args: [] };
    const dispatched = overTheWire(await engine.invoke(request));
    expect(dispatched).toEqual({ ok: false, error: { code: 'unknown-method', message: 'No such method: keytab.format' } });
    expect(overTheWire(await ipc.invoke(request))).toEqual(dispatched);
    expect(overTheWire(await web.invoke(request))).toEqual(dispatched);
    const cli = await runKbench(['call', 'keytab.format', '--json'], env);
    expect([cli.code, JSON.parse(cli.stdout)]).toEqual([1, dispatched]);
    // Without --json a refusal is one line on stderr, as every command fails.
    expect(await runKbench(['call', 'keytab.format'], env)).toEqual({ code: 1, stdout: '', stderr: 'kbench: No such method: keytab.format\n' });
    expect((await runKbench(['call', 'keytab.read', '{not json'], env)).code).toBe(2);
  });

  it('prints a value as JSON for scripts', async () => {
    const run = await runKbench(['call', 'spn.mapName', '{"principal":"alice@EXAMPLE.COM"}'], env);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(await engine.api.spn.mapName({ principal: 'alice@EXAMPLE.COM' }));
  });
});
