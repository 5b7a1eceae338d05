/** GSS-API through per-profile worker processes: see supervisor.ts, and types.ts for the contract. */
export { DEFAULT_CALL_TIMEOUT_MS, defaultWorkerScript, GssSupervisor, type GssSupervisorOptions, type GssWorker, type GssWorkerEvent } from './supervisor';
export { customProfile, labProfile, profileEnv, profileFingerprint, systemProfile } from './profiles';
export { MAX_AUTHZID_BYTES, MAX_TOKEN_BYTES } from './guards';
export { parseTrace, parseTraceLine, traceCodes, traceErrorCodes, traceLines, type TraceEntry } from './trace';
export * from './types';
