import type { AppInfo } from '../api/system';
import type { BenchEventBus } from './events';

/** What every service receives from the engine that hosts it. */
export interface EngineContext {
  runtime: AppInfo['runtime'];
  /** Where lab realms, saved Exchanges and settings live. */
  dataDir: string;
  /** Version of the Electron runtime when the engine runs inside it, else null. */
  electronVersion: string | null;
  events: BenchEventBus;
}
