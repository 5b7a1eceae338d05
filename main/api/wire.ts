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

/** The subprotocol of the Bench API WebSocket; the host answers with it. */
export type WireProtocol = 'kbench.v1';
export const WIRE_PROTOCOL: WireProtocol = 'kbench.v1';

/** The subprotocol that carries the access token (the renderer builds it against this type). */
export type WireTokenProtocol = `kbench.token.${string}`;

/**
 * The access token travels as a second subprotocol, `kbench.token.<token>` (base64url characters
 * are valid in a subprotocol name): browsers let a page set this header, and it is sent to our
 * port only — unlike a cookie, which every port of 127.0.0.1 would receive.
 */
export const WIRE_TOKEN_PREFIX = 'kbench.token.' satisfies WireTokenProtocol;
