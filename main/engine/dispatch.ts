import { z } from 'zod';
import type { BenchApi, ServiceName } from '../api/contract';
import type { BenchErrorData, InvokeRequest, InvokeResult } from '../api/errors';
import { benchInputSchemas } from '../api/schemas';
import { BenchFailure } from './failure';

export { BenchFailure };

const invokeRequestSchema = z.object({
  service: z.string().min(1).max(64),
  method: z.string().min(1).max(64),
  args: z.array(z.unknown()).max(32),
});

function failure(code: BenchErrorData['code'], message: string, details?: unknown): InvokeResult<never> {
  return { ok: false, error: details === undefined ? { code, message } : { code, message, details } };
}

/**
 * Looks a schema up by name using own properties only, so `__proto__`, `constructor` and
 * friends never resolve to something callable.
 */
function lookupSchema(service: string, method: string): z.ZodType<unknown[]> | undefined {
  if (!Object.hasOwn(benchInputSchemas, service)) return undefined;
  const methods = benchInputSchemas[service as ServiceName] as Record<string, z.ZodType<unknown[]>>;
  return Object.hasOwn(methods, method) ? methods[method] : undefined;
}

/**
 * Deepest nesting of arrays and objects accepted in a request. Field trees (the only recursive
 * input) are 2 levels per tree level and at most MAX_TREE_DEPTH (128) deep, so real input stays
 * near 270; this bound keeps any recursive validator away from the stack's end.
 */
export const MAX_INPUT_NESTING = 512;

/** Whether arrays and objects in `value` nest deeper than `limit`. Iterative, and allocates nothing per node but a stack slot. */
function nestsDeeper(value: unknown, limit: number): boolean {
  const values: unknown[] = [value];
  const depths: number[] = [0];
  while (values.length) {
    const current = values.pop();
    const depth = depths.pop()!;
    if (typeof current !== 'object' || current === null) continue;
    if (depth > limit) return true;
    const items: Iterable<unknown> = Array.isArray(current) ? current : Object.values(current);
    for (const item of items) {
      if (typeof item !== 'object' || item === null) continue;
      values.push(item);
      depths.push(depth + 1);
    }
  }
  return false;
}

/** The path to the first place deeper than `limit` ("args[0].exchange.steps[0]…"): spelled out for 8 levels. */
function pathDeeperThan(value: unknown, limit: number, root: string): string {
  let at = root;
  let current = value;
  for (let depth = 0; depth < 8; depth++) {
    const entries: [string | number, unknown][] = Array.isArray(current) ? current.map((item, i) => [i, item]) : Object.entries(current as object);
    const next = entries.find(([, item]) => nestsDeeper(item, limit - depth - 1));
    if (!next) break;
    at += typeof next[0] === 'number' ? `[${next[0]}]` : `.${next[0]}`;
    current = next[1];
  }
  return at;
}

/** Where a value nests deeper than `limit` ("args[0].exchange.steps[0]…"), or null. Iterative. */
export function tooDeepAt(value: unknown, limit: number, root = 'args'): string | null {
  return nestsDeeper(value, limit) ? pathDeeperThan(value, limit, root) : null;
}

function describeError(error: unknown): string {
  try {
    return error instanceof Error ? error.message : String(error);
  } catch {
    return 'an error that cannot be described';
  }
}

async function invokeValidated(api: BenchApi, request: unknown): Promise<InvokeResult> {
  const envelope = invokeRequestSchema.safeParse(request);
  if (!envelope.success) {
    return failure('invalid-input', `Malformed request: ${z.prettifyError(envelope.error)}`);
  }
  const { service, method, args } = envelope.data satisfies InvokeRequest;
  const schema = lookupSchema(service, method);
  if (!schema) return failure('unknown-method', `No such method: ${service}.${method}`);

  const deep = tooDeepAt(args, MAX_INPUT_NESTING);
  if (deep) return failure('invalid-input', `Invalid input for ${service}.${method}: ${deep}… is nested deeper than ${MAX_INPUT_NESTING} levels`);
  const parsed = schema.safeParse(args);
  if (!parsed.success) {
    return failure('invalid-input', `Invalid input for ${service}.${method}: ${z.prettifyError(parsed.error)}`, parsed.error.issues);
  }
  const target = api[service as ServiceName] as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
  try {
    return { ok: true, value: await target[method]!.apply(target, parsed.data) };
  } catch (error) {
    return failure('failed', describeError(error), error instanceof BenchFailure ? error.details : undefined);
  }
}

/**
 * The one entry point every adapter (Electron IPC, WebSocket, CLI, tests) uses: validates the
 * request and its arguments against the contract, calls the service, and turns every outcome into
 * data. Never throws and never rejects: whatever escapes validation (a validator that fails in an
 * unforeseen way) is still an answer, so one message cannot take an adapter down.
 */
export async function dispatch(api: BenchApi, request: unknown): Promise<InvokeResult> {
  try {
    return await invokeValidated(api, request);
  } catch (error) {
    // Only validation runs outside invokeValidated's own try: what escapes it is about the input.
    return failure('invalid-input', `The request could not be validated: ${describeError(error)}`);
  }
}
