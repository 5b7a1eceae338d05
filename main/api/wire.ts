import type { InvokeRequest, InvokeResult } from './errors';
import type { BenchEvent } from './events';

/**
 * Web mode's WebSocket protocol (path `/api`): JSON text frames.
 * The browser sends invocations; the host answers each by id and pushes engine events.
 */
export type WireClientMessage = { type: 'invoke'; id: number } & InvokeRequest;

export type WireServerMessage =
  | { type: 'result'; id: number | null; result: InvokeResult }
  | { type: 'event'; event: BenchEvent };

/** The WebSocket path of the Bench API in web mode. */
export const WIRE_PATH = '/api';
