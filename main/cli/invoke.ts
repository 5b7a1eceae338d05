/**
 * A CLI command's one way into the engine (STYLE.md §2.1): the same `dispatch` the Electron and
 * web adapters use, so command-line input meets the same zod schemas. A failed call becomes an
 * error with the service's own message (the CLI prints it and exits 1).
 */
import type { BenchApi, MethodName, ServiceName } from '../api/contract';
import type { Engine } from '../engine';
import { BenchFailure } from '../engine/failure';

type Method<S extends ServiceName, M extends MethodName<S>> = BenchApi[S][M] extends (...args: infer A) => Promise<infer R> ? { args: A; result: R } : never;

export async function invokeService<S extends ServiceName, M extends MethodName<S>>(
  engine: Engine,
  service: S,
  method: M,
  ...args: Method<S, M>['args']
): Promise<Method<S, M>['result']> {
  const result = await engine.invoke({ service, method, args });
  if (!result.ok) throw new BenchFailure(result.error.message, result.error.details);
  return result.value as Method<S, M>['result'];
}
