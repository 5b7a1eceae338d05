/** The two IPC channels between preload and main: one for every invocation, one for every event. */
export const IPC_INVOKE = 'bench:invoke';
export const IPC_EVENT = 'bench:event';
