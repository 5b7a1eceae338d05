import type { InvokeResult } from './errors';
import type { BenchEvent } from './events';
import type { BrokerService, ProbeService } from './broker';
import type { CaptureService } from './capture';
import type { ChainService } from './chain';
import type { DiagnoseService } from './diagnose';
import type { ExportService, ImportService, SpnService } from './export';
import type { HttpService, NegotiateService } from './http';
import type { CcacheService, DecoderService, KeytabService } from './inspect';
import type { LabService } from './lab';
import type { ProfileService } from './profile';
import type { SaslService } from './sasl';
import type { SystemService } from './system';
import type { HistoryService, WorkspaceService } from './workspace';

/**
 * The Bench API: every capability of the engine, one typed service per capability
 * (VS Code style). The Electron preload, the web-mode WebSocket host and the CLI all expose
 * exactly this, through one generic adapter each.
 */
export interface BenchApi {
  system: SystemService;
  keytab: KeytabService;
  ccache: CcacheService;
  profile: ProfileService;
  decoder: DecoderService;
  lab: LabService;
  sasl: SaslService;
  broker: BrokerService;
  probe: ProbeService;
  diagnose: DiagnoseService;
  workspace: WorkspaceService;
  history: HistoryService;
  capture: CaptureService;
  http: HttpService;
  negotiate: NegotiateService;
  chain: ChainService;
  export: ExportService;
  importer: ImportService;
  spn: SpnService;
}

export type ServiceName = keyof BenchApi;
export type MethodName<S extends ServiceName> = keyof BenchApi[S] & string;

/** Every method of every service, by name. The preload builds its bridge from this list. */
export const benchMethods = {
  system: ['doctor', 'info'],
  keytab: ['read', 'add', 'remove', 'merge', 'check', 'save'],
  ccache: ['read'],
  profile: ['read'],
  decoder: ['decode', 'decodeSession', 'explainKey'],
  lab: [
    'up',
    'down',
    'status',
    'log',
    'addPrincipal',
    'removePrincipal',
    'setPassword',
    'rotateKey',
    'setFlags',
    'exportKeytab',
    'setClockOffset',
    'startKdc',
    'stopKdc',
    'refreshTicket',
    'revealPassword',
    'profile',
    'preview',
    'undo',
    'addAccount',
    'setAccount',
    'removeAccount',
    'addSpn',
    'removeSpn',
    'findSpn',
    'changePassword',
  ],
  sasl: ['start', 'step', 'finish', 'send', 'close', 'openPeer', 'peerStart', 'peerReceive', 'peerProtect', 'peerUnprotect', 'closePeer', 'decodeTranscript'],
  broker: ['start', 'stop', 'status', 'exchanges'],
  probe: ['start', 'next', 'reauthenticate', 'publish', 'view', 'close'],
  diagnose: ['diagnose', 'catalog', 'scenarios', 'runScenario'],
  workspace: ['load', 'saveView', 'saveItem', 'removeItem', 'addRecent'],
  history: ['list', 'remove', 'clear', 'export'],
  capture: ['scan', 'rows', 'cancel', 'exchange', 'export', 'open', 'replay'],
  http: ['serve', 'stop', 'status', 'exchanges', 'roleMappings', 'putRoleMapping', 'deleteRoleMapping', 'testRoleMapping', 'setSso', 'revealUserPasswords'],
  negotiate: ['start', 'next', 'view', 'close', 'predictSpn'],
  chain: ['load', 'save', 'test', 'hashPassword', 'verifyPassword', 'startCustomServer', 'stopCustomServer'],
  export: ['targets', 'generate', 'save'],
  importer: ['read', 'test'],
  spn: ['build', 'validate', 'mapName', 'check'],
} as const satisfies { [S in ServiceName]: readonly MethodName<S>[] };

// Compile-time proof that benchMethods lists every method of every service: adding a method to
// an interface without listing it here fails type checking.
type Unlisted = {
  [S in ServiceName]: Exclude<MethodName<S>, (typeof benchMethods)[S][number]>;
}[ServiceName];
const everyMethodListed: [Unlisted] extends [never] ? true : never = true;
void everyMethodListed;

/**
 * The Bench API as a transport delivers it: each method resolves to an InvokeResult instead of
 * throwing, so error codes survive IPC and WebSocket alike. The renderer's client unwraps these
 * back into plain BenchApi calls.
 */
export type BenchApiResults = {
  [S in ServiceName]: {
    [M in keyof BenchApi[S]]: BenchApi[S][M] extends (...args: infer A) => Promise<infer R> ? (...args: A) => Promise<InvokeResult<R>> : never;
  };
};

/** What the Electron preload exposes on `window.bench`. */
export interface BenchBridge {
  api: BenchApiResults;
  /** Subscribes to engine events; returns the unsubscribe function. */
  onEvent(listener: (event: BenchEvent) => void): () => void;
}
