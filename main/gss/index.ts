/** GSS-API through per-profile worker processes: see supervisor.ts, and types.ts for the contract. */
export { DEFAULT_CALL_TIMEOUT_MS, defaultWorkerScript, acceptorPoolSize, GssSupervisor, type GssSupervisorOptions, type GssWorkerOptions, type GssWorker, type GssWorkerEvent } from './supervisor';
export { customProfile, labProfile, profileEnv, profileFingerprint, systemProfile, withRuntime } from './profiles';
export { MAX_AUTHZID_BYTES, MAX_TOKEN_BYTES } from './guards';
export { parseTrace, parseTraceLine, traceCodes, traceErrorCodes, traceLines, type TraceEntry } from './trace';
export { parseJavaTrace, parseJavaTraceLine, summarizeJavaTrace, javaTraceLines, type JavaTraceEntry, type JavaTraceKind } from './java-trace';
export { compiledJavaWorker, findJdk, JDK_PACKAGE, type Jdk, type JdkTool } from './java/launcher';
export { generateJaasConfig, jaasSettingsFor, type JaasSettings } from './java/jaas';
export * from './types';
