/**
 * Errors as they cross the Bench API boundary (IPC, WebSocket, CLI). Plain data, so the same
 * shape arrives in the renderer whatever carried it.
 */
export type BenchErrorCode =
  /** The service or method does not exist. */
  | 'unknown-method'
  /** The arguments failed the method's input schema. */
  | 'invalid-input'
  /** The method ran and failed; `message` says why in the user's terms. */
  | 'failed'
  /** The transport broke (WebSocket closed, IPC torn down). */
  | 'transport';

export interface BenchErrorData {
  code: BenchErrorCode;
  message: string;
  /** Extra structured detail, e.g. the validation issues. */
  details?: unknown;
}

export type InvokeResult<T = unknown> = { ok: true; value: T } | { ok: false; error: BenchErrorData };

/** The one request shape every adapter carries: `api[service][method](...args)`. */
export interface InvokeRequest {
  service: string;
  method: string;
  args: unknown[];
}
