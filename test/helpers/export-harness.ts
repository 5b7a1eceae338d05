/**
 * Exports against a lab realm of the test file's own: the engine's export and importer services
 * (the product path), and, for a hand-made model, the same proof run the service does.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ExportOptions, ExportProof, ExportRequest, ExportResult } from '../../main/api/export';
import { GssSupervisor } from '../../main/gss/supervisor';
import type { LabServiceImpl } from '../../main/lab/service';
import { labModel } from '../../main/export/model';
import { writeProofFiles } from '../../main/export/save';
import type { ExportModel, ExportTarget } from '../../main/export/types';
import { openLabEngine, type LabEngine } from './lab-engine';

export interface ExportHarness extends LabEngine {
  /** engine.api.export.generate with the lab as the source. */
  generate(request: Omit<ExportRequest, 'from'> & Partial<Pick<ExportRequest, 'from'>>): Promise<ExportResult>;
  /** The lab's model, as the service builds it. */
  model(options?: ExportOptions): Promise<ExportModel>;
  /** target.generate(model, true) written to a private directory, then target.prove there. */
  prove(target: ExportTarget, model: ExportModel): Promise<ExportProof[]>;
}

export async function openExportHarness(name: string): Promise<ExportHarness> {
  const base = await openLabEngine(name);
  const supervisor = new GssSupervisor();
  const lab = base.engine.api.lab as LabServiceImpl;
  return {
    ...base,
    generate: (request) => base.engine.api.export.generate({ from: { kind: 'lab' }, ...request }),
    model: async (options = {}) => labModel(await lab.status(), options),
    async prove(target, given) {
      const dir = await mkdtemp(path.join(os.tmpdir(), `kbench-proof-${target.info.id}-`));
      try {
        const model = target.prepare ? await target.prepare(given) : given;
        const { files } = target.generate(model, true);
        await writeProofFiles(dir, files);
        const engine = { runtime: 'cli' as const, dataDir: base.dataDir, electronVersion: null, events: base.engine.events };
        return await target.prove({ model, dir, files, engine, supervisor: () => supervisor, lab, profile: await lab.profile(), signal: new AbortController().signal });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
    async close() {
      await supervisor.dispose();
      await base.close();
    },
  };
}
