/**
 * The messages between the supervisor and a GSS worker over Node's IPC channel (JSON).
 *
 *   supervisor → worker   { id, method, params }
 *   worker → supervisor   { type: 'ready', … } once the binding is loaded (or 'load-failed', then exit)
 *                         { id, result: { value, trace }, traceEnd } | { id, error: { message, kind, trace }, traceEnd }
 *
 * traceEnd is the trace file's length when the call ended: where the next call's lines begin,
 * which is how the supervisor finds the last lines of a call whose worker died.
 */
import type { GssDebugMethod, GssMethod } from './guards';
import type { GssCallResult, GssError } from './types';

export interface GssRequest {
  id: number;
  method: GssMethod | GssDebugMethod;
  params: unknown[];
}

export interface GssResponseOk {
  id: number;
  result: GssCallResult<unknown>;
  traceEnd: number;
}

export interface GssResponseError {
  id: number;
  error: { message: string; kind: GssError['kind']; trace: string[] };
  traceEnd: number;
  /** The binding failed in a way that leaves it unusable: the worker exits right after this answer. */
  fatal?: boolean;
}

export interface GssWorkerReady {
  type: 'ready';
  pid: number;
  /** Version of the kerberos npm package the worker loaded. */
  bindingVersion: string;
}

export interface GssWorkerLoadFailed {
  type: 'load-failed';
  /** The real cause (the package's loader hides it behind "Cannot find module …/Debug/kerberos.node"). */
  message: string;
}

export type GssWorkerMessage = GssResponseOk | GssResponseError | GssWorkerReady | GssWorkerLoadFailed;

export function isResponse(message: GssWorkerMessage): message is GssResponseOk | GssResponseError {
  return typeof (message as { id?: unknown }).id === 'number';
}
