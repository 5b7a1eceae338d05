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
 * The one entry point every adapter (Electron IPC, WebSocket, tests) uses: validates the request
 * and its arguments against the contract, calls the service, and turns every outcome into data.
 * Never throws.
 */
export async function dispatch(api: BenchApi, request: unknown): Promise<InvokeResult> {
  const envelope = invokeRequestSchema.safeParse(request);
  if (!envelope.success) {
    return failure('invalid-input', `Malformed request: ${z.prettifyError(envelope.error)}`);
  }
  const { service, method, args } = envelope.data satisfies InvokeRequest;
  const schema = lookupSchema(service, method);
  if (!schema) return failure('unknown-method', `No such method: ${service}.${method}`);

  const parsed = schema.safeParse(args);
  if (!parsed.success) {
    return failure('invalid-input', `Invalid input for ${service}.${method}: ${z.prettifyError(parsed.error)}`, parsed.error.issues);
  }
  const target = api[service as ServiceName] as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
  try {
    return { ok: true, value: await target[method]!.apply(target, parsed.data) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return failure('failed', message, error instanceof BenchFailure ? error.details : undefined);
  }
}
