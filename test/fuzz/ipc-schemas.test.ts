/**
 * The Bench API's input schemas fuzzed from the renderer's side: requests generated from
 * main/api/schemas.ts (benchInputSchemas) — valid-shaped arguments with a wrong type, a huge
 * string, deep nesting or a prototype key somewhere, extra or missing arguments, broken envelopes
 * — sent through the two paths a page has: the Electron IPC handler (electron/ipc.ts, a fake
 * IpcMainInvokeEvent from the trusted kbench://app frame) and web mode's WebSocket (main/host).
 * Every answer must be a typed InvokeResult, never a throw, a hang or a polluted prototype.
 *
 * Methods with effects on the machine (lab up, broker start, saving files …) only ever receive
 * input their schema refuses: a generated request that happens to be valid is sent only to the
 * few read-only methods in READ_ONLY, and counted as skipped otherwise.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { IpcMainInvokeEvent } from 'electron';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { z } from 'zod';
import { benchInputSchemas } from '../../main/api/schemas';
import { WIRE_PATH, WIRE_PROTOCOL, WIRE_TOKEN_PREFIX, type WireServerMessage } from '../../main/api/wire';
import { createEngine, type Engine } from '../../main/engine';
import { startWebHost, type WebHost } from '../../main/host/server';
import { IPC_INVOKE } from '../../electron/channels';
import { registerBenchIpc } from '../../electron/ipc';
import { APP_ENTRY_URL } from '../../electron/protocol';
import { fakeIpcMain } from '../helpers/electron-fakes';
import { fuzz, fuzzRuns, fuzzTimeout } from './harness';

/** Methods that read or compute only: a valid request to them is sent too. */
const READ_ONLY = new Set(['system.info', 'diagnose.catalog', 'diagnose.scenarios', 'history.list', 'history.export', 'export.targets']);
const ERROR_CODES = new Set(['unknown-method', 'invalid-input', 'failed', 'transport']);

type Schema = z.ZodType;
type Def = { type: string; [key: string]: unknown };
const defOf = (schema: Schema) => (schema as unknown as { def: Def }).def;

/** Values shaped like what `schema` accepts (strings and numbers are arbitrary, so most fail refinements). */
function shaped(schema: Schema, depth = 0): fc.Arbitrary<unknown> {
  const def = defOf(schema);
  if (depth > 8) return fc.constant('x');
  const inner = (s: unknown) => shaped(s as Schema, depth + 1);
  switch (def.type) {
    case 'tuple':
      return fc.tuple(...(def.items as Schema[]).map(inner));
    case 'object': {
      const shape = def.shape as Record<string, Schema>;
      return fc.record(Object.fromEntries(Object.entries(shape).map(([key, value]) => [key, inner(value)])), { requiredKeys: Object.keys(shape).filter((key) => defOf(shape[key]!).type !== 'optional') });
    }
    case 'array':
      return fc.array(inner(def.element), { maxLength: 3 });
    case 'union':
      return fc.oneof(...(def.options as Schema[]).map(inner));
    case 'record':
      return fc.dictionary(fc.string({ maxLength: 8 }), inner(def.valueType), { maxKeys: 3 });
    case 'optional':
    case 'nullable':
    case 'default':
    case 'readonly':
    case 'nonoptional':
    case 'catch':
      return inner(def.innerType);
    case 'lazy':
      return inner((def.getter as () => Schema)());
    case 'pipe':
      return inner(def.in);
    case 'enum':
      return fc.constantFrom(...Object.values(def.entries as Record<string, string | number>));
    case 'literal':
      return fc.constantFrom(...(def.values as unknown[]));
    case 'string':
      return fc.oneof(fc.string({ maxLength: 24 }), fc.constantFrom('lab', 'mit', 'LAB.TEST', 'mqtt@localhost', '00000000-0000-4000-8000-000000000000', '/tmp/x'));
    case 'number':
    case 'int':
      return fc.integer({ min: -5, max: 70_000 });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/**
 * Hostile values to put in place of any part of the arguments, as recipes: the value is built
 * only when the request is sent, so a failing input prints as its recipe (a 3 MB string or a
 * 3000-level tree would not), and fast-check never walks a deep tree.
 */
type Hostile = { plain: unknown } | { huge: number } | { deep: 'array' | 'object'; levels: number } | { ownKey: string };
const hostile: fc.Arbitrary<Hostile> = fc.oneof(
  fc.constantFrom(0, -1, 1e308, Number.MAX_SAFE_INTEGER + 2, true, false, null, '', [], {}, [[[]]], 'x'.repeat(4097)).map((plain) => ({ plain })),
  fc.integer({ min: 1, max: 3_000_000 }).map((huge) => ({ huge })),
  fc.tuple(fc.constantFrom('array' as const, 'object' as const), fc.integer({ min: 100, max: 3000 })).map(([deep, levels]) => ({ deep, levels })),
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty').map((ownKey) => ({ ownKey })),
);

function materialize(recipe: Hostile): unknown {
  if ('plain' in recipe) return structuredClone(recipe.plain);
  if ('huge' in recipe) return 'A'.repeat(recipe.huge);
  if ('ownKey' in recipe) return JSON.parse(`{"${recipe.ownKey}": {"polluted": true, "toString": 1}}`) as unknown;
  const [open, leaf, close] = recipe.deep === 'array' ? ['[', '', ']'] : ['{"a":', '1', '}'];
  return JSON.parse(open.repeat(recipe.levels) + leaf + close.repeat(recipe.levels)) as unknown;
}

/** How many nodes (values, arrays, objects) `value` has, itself included. */
function countNodes(value: unknown): number {
  if (Array.isArray(value)) return 1 + value.reduce((sum: number, item) => sum + countNodes(item), 0);
  if (typeof value === 'object' && value !== null) return 1 + Object.values(value).reduce((sum: number, item) => sum + countNodes(item), 0);
  return 1;
}

/** `value` with the node at `pick` (in depth-first order) replaced by `replacement`. */
function replaceAt(value: unknown, pick: number, replacement: unknown): unknown {
  let index = 0;
  const visit = (node: unknown): unknown => {
    if (index++ === pick) return replacement;
    if (Array.isArray(node)) return node.map(visit);
    if (typeof node === 'object' && node !== null) return Object.fromEntries(Object.entries(node).map(([key, item]) => [key, visit(item)]));
    return node;
  };
  return visit(value);
}

/** A prototype key added to the object at `pick`, as JSON.parse would make it (an own property). */
function withOwnKey(value: unknown, pick: number, key: string): unknown {
  let index = 0;
  const visit = (node: unknown): unknown => {
    const here = index++ === pick;
    if (Array.isArray(node)) return node.map(visit);
    if (typeof node !== 'object' || node === null) return node;
    const copy = Object.fromEntries(Object.entries(node).map(([k, item]) => [k, visit(item)]));
    if (here) Object.defineProperty(copy, key, { value: { polluted: true }, enumerable: true, configurable: true, writable: true });
    return copy;
  };
  return visit(value);
}

/** One request, as a recipe (see Hostile): `build` makes what is sent. */
type Generated =
  | { service: string; method: string; shapedArgs: unknown[]; mutation: 'replace' | 'own-key' | 'extra-arg' | 'drop-arg'; pick: number; value: Hostile; key: string }
  | { envelope: { service: unknown; method: unknown; args: unknown } | Hostile; hostileArgs?: Hostile };

const methodNames = Object.entries(benchInputSchemas).flatMap(([service, methods]) => Object.keys(methods).map((method) => [service, method] as const));

const mutatedArgs: fc.Arbitrary<Generated> = fc
  .tuple(fc.constantFrom(...methodNames), fc.nat(), fc.constantFrom('replace' as const, 'own-key' as const, 'extra-arg' as const, 'drop-arg' as const), hostile, fc.constantFrom('__proto__', 'constructor', 'prototype'))
  .chain(([[service, method], pick, mutation, value, key]) => {
    const schema = (benchInputSchemas as unknown as Record<string, Record<string, Schema>>)[service]![method]!;
    return shaped(schema).map((shapedArgs) => ({ service, method, shapedArgs: shapedArgs as unknown[], mutation, pick, value, key }));
  });

const name = fc.oneof(fc.constantFrom('__proto__', 'constructor', 'hasOwnProperty', 'toString', 'system', 'info', ''), fc.string({ maxLength: 70 }), fc.integer(), fc.constant(null));
const brokenEnvelopes: fc.Arbitrary<Generated> = fc.oneof(
  fc.record({ service: name, method: name, args: fc.constant([]) }).map((envelope) => ({ envelope })),
  hostile.map((hostileArgs) => ({ envelope: { service: 'system', method: 'info', args: null }, hostileArgs })),
  fc.integer({ min: 33, max: 40 }).map((n) => ({ envelope: { service: 'system', method: 'info', args: Array.from({ length: n }, () => 0) } })),
  hostile.map((envelope) => ({ envelope })),
);

/** The request a recipe stands for. */
function build(generated: Generated): unknown {
  if ('envelope' in generated) {
    const { envelope, hostileArgs } = generated;
    if (!('service' in envelope)) return materialize(envelope);
    return hostileArgs ? { ...envelope, args: materialize(hostileArgs) } : envelope;
  }
  const { service, method, shapedArgs, mutation, pick, value, key } = generated;
  let args = shapedArgs;
  // Node 0 is the argument list itself: replacing it is an envelope test, done apart.
  const nodes = countNodes(shapedArgs);
  if (mutation === 'replace' && nodes > 1) args = replaceAt(shapedArgs, 1 + (pick % (nodes - 1)), materialize(value)) as unknown[];
  else if (mutation === 'own-key') args = withOwnKey(shapedArgs, pick % nodes, key) as unknown[];
  else if (mutation === 'extra-arg') args = [...shapedArgs, materialize(value)];
  else if (mutation === 'drop-arg') args = shapedArgs.slice(0, -1);
  return { service, method, args };
}

const requests = fc.oneof({ arbitrary: mutatedArgs, weight: 4 }, { arbitrary: brokenEnvelopes, weight: 1 });

/** The method a request names ("service.method"), if the contract has it. */
function targetOf(request: unknown): string | null {
  const { service, method } = (request ?? {}) as { service?: unknown; method?: unknown };
  if (typeof service !== 'string' || typeof method !== 'string' || !Object.hasOwn(benchInputSchemas, service)) return null;
  return Object.hasOwn((benchInputSchemas as unknown as Record<string, object>)[service]!, method) ? `${service}.${method}` : null;
}

/** Whether dispatch would run the method: the envelope names it and its schema accepts the arguments. */
function wouldRun(request: unknown): boolean {
  const target = targetOf(request);
  const args = target ? (request as { args?: unknown }).args : undefined;
  if (!target || !Array.isArray(args)) return false;
  const [service, method] = target.split('.') as [string, string];
  try {
    return (benchInputSchemas as unknown as Record<string, Record<string, Schema>>)[service]![method]!.safeParse(args).success;
  } catch {
    return false;
  }
}

/** A typed answer: {ok:true,value} only where the method may run, else {ok:false,error:{code,message}}. */
function assertTyped(result: unknown, request: unknown, via: string): void {
  const answer = result as { ok?: unknown; error?: { code?: unknown; message?: unknown } };
  const describe = () => `${via}: ${String(JSON.stringify(request)).slice(0, 300)} → ${String(JSON.stringify(result)).slice(0, 300)}`;
  if (({} as Record<string, unknown>).polluted !== undefined) throw new Error(`Object.prototype polluted by ${describe()}`);
  if (answer?.ok === true && wouldRun(request)) return;
  if (answer?.ok !== false || !ERROR_CODES.has(answer.error?.code as string) || typeof answer.error?.message !== 'string') throw new Error(`untyped answer ${describe()}`);
}

describe('Bench API input schemas under hostile renderer input', () => {
  let dataDir: string;
  let engine: Engine;
  let host: WebHost;
  let rendererDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'kbench-fuzz-ipc-'));
    rendererDir = path.join(dataDir, 'renderer');
    const { mkdir, writeFile } = await import('node:fs/promises');
    await mkdir(rendererDir);
    await writeFile(path.join(rendererDir, 'index.html'), '<!doctype html>');
    engine = createEngine({ runtime: 'electron', dataDir: path.join(dataDir, 'data') });
    host = await startWebHost({ engine, port: 0, rendererDir });
  });
  afterAll(async () => {
    await host?.close();
    await engine?.dispose();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('answers every request through the Electron IPC handler with a typed result', async () => {
    const { ipcMain, handlers } = fakeIpcMain();
    const unregister = registerBenchIpc(ipcMain, engine, APP_ENTRY_URL, () => undefined);
    // The handler gets the request as built, uncloned: Electron's structured clone in the renderer
    // would refuse the deepest trees before they left it, and main must not rely on that. The
    // answer must survive the clone back.
    const handler = handlers.get(IPC_INVOKE)!;
    const event = { senderFrame: { url: `${APP_ENTRY_URL}#/fuzz` } } as unknown as IpcMainInvokeEvent;
    const invoke = async (request: unknown) => structuredClone(await handler(event, request));
    let skipped = 0;
    try {
      const report = await fuzz({
        name: 'ipc-schemas (Electron IPC)',
        input: requests,
        typed: [],
        hangMs: 5_000,
        run: async (generated) => {
          const request = build(generated);
          if (wouldRun(request) && !READ_ONLY.has(targetOf(request)!)) return void skipped++;
          assertTyped(await invoke(request), request, 'ipc');
        },
      }, fuzzRuns(1_500));
      expect(report.runs).toBe(fuzzRuns(1_500));
      // Nearly all of them reach the schemas: a generator that made valid input only would test nothing.
      expect(skipped).toBeLessThan(report.runs / 4);
      if (process.env.KBENCH_FUZZ_RUNS || process.env.KBENCH_FUZZ_VERBOSE) console.log(`ipc-schemas (Electron IPC): ${report.runs - skipped} sent, ${skipped} valid for a method with effects and not sent, slowest ${report.slowestMs.toFixed(0)} ms`);
    } finally {
      unregister();
    }
  }, fuzzTimeout(240_000));

  it("answers every request through web mode's WebSocket with a typed result", async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${host.port}${WIRE_PATH}`, [WIRE_PROTOCOL, `${WIRE_TOKEN_PREFIX}${host.token}`]);
    await new Promise<void>((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const pending = new Map<number, (result: unknown) => void>();
    const unmatched: WireServerMessage[] = [];
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString()) as WireServerMessage;
      if (message.type === 'result' && message.id !== null && pending.has(message.id)) pending.get(message.id)!(message.result);
      else if (message.type === 'result') unmatched.push(message);
    });
    let id = 0;
    const call = (request: unknown) =>
      new Promise<unknown>((resolve) => {
        const ours = ++id;
        pending.set(ours, (result) => {
          pending.delete(ours);
          resolve(result);
        });
        // A request that is not an object still goes as the fields of an invoke message.
        const fields = typeof request === 'object' && request !== null && !Array.isArray(request) ? request : { args: request };
        socket.send(JSON.stringify({ ...fields, type: 'invoke', id: ours }));
      });
    try {
      const report = await fuzz({
        name: 'ipc-schemas (web-mode WebSocket)',
        input: requests,
        typed: [],
        hangMs: 5_000,
        run: async (generated) => {
          const request = build(generated);
          if (wouldRun(request) && !READ_ONLY.has(targetOf(request)!)) return;
          assertTyped(await call(request), request, 'websocket');
        },
      }, fuzzRuns(500));
      expect(report.runs).toBe(fuzzRuns(500));
      expect(unmatched).toEqual([]);
      // Frames that are not invocations at all get a typed answer too, and the connection lives on.
      for (const frame of ['not json', '[]', 'null', '{"type":"invoke"}', '{"type":"invoke","id":"1"}', '{"__proto__":{"type":"invoke"}}']) socket.send(frame);
      const info = { service: 'system', method: 'info', args: [] };
      expect(await call(info)).toMatchObject({ ok: true });
      expect(unmatched.length).toBe(6);
      for (const message of unmatched) expect(message).toMatchObject({ type: 'result', id: null, result: { ok: false, error: { code: 'invalid-input' } } });
    } finally {
      socket.close();
    }
  }, fuzzTimeout(240_000));
});
