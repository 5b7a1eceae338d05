/**
 * An engine of its own for a test file: a temporary data directory with the lab realm up, the
 * environment a shell would use with the lab's ticket (no KRB5_TRACE), and the HTTP endpoint's
 * Exchanges as they are recorded. `close` takes the realm down and removes everything.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { LabStatus } from '../../main/api/lab';
import { createEngine, type Engine } from '../../main/engine';
import type { Exchange } from '../../main/exchange/model';

export interface LabEngine {
  engine: Engine;
  dataDir: string;
  lab: LabStatus;
  /** process.env plus the lab's KRB5_CONFIG and KRB5CCNAME (alice's ticket), without KRB5_TRACE. */
  env: NodeJS.ProcessEnv;
  /** Every `http.exchange` event, in order. */
  httpExchanges: Exchange[];
  close(): Promise<void>;
}

export async function openLabEngine(name: string): Promise<LabEngine> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), `kbench-${name}-`));
  const engine = createEngine({ runtime: 'cli', dataDir });
  const httpExchanges: Exchange[] = [];
  engine.events.subscribe((event) => {
    if (event.name === 'http.exchange') httpExchanges.push(event.payload);
  });
  const lab = await engine.api.lab.up();
  const env: NodeJS.ProcessEnv = { ...process.env, ...lab.env };
  delete env.KRB5_TRACE;
  return {
    engine,
    dataDir,
    lab,
    env,
    httpExchanges,
    async close() {
      await engine.api.lab.down({ destroy: true }).catch(() => undefined);
      await engine.dispose();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
