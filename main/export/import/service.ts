/** PLACEHOLDER: the importer service (built by the import framework's owner). */
import type { ImportReadInput, ImportResult, ImportService, ImportTestInput, ImportTestResult } from '../../api/export';
import type { EngineContext } from '../../engine/context';
import type { GssSupervisor } from '../../gss/supervisor';
import type { LabServiceImpl } from '../../lab/service';

export class ImportServiceImpl implements ImportService {
  constructor(
    readonly context: EngineContext,
    readonly supervisor: () => GssSupervisor,
    readonly lab: LabServiceImpl,
  ) {}

  async read(_input: ImportReadInput): Promise<ImportResult> {
    throw new Error('not built yet');
  }

  async test(_input: ImportTestInput): Promise<ImportTestResult> {
    throw new Error('not built yet');
  }

  async dispose(): Promise<void> {}
}
