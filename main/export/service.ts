/** PLACEHOLDER: the export service (built by the framework's owner). */
import type { ExportRequest, ExportResult, ExportSaveInput, ExportSaveResult, ExportService, ExportTargetInfo } from '../api/export';
import type { EngineContext } from '../engine/context';
import type { GssSupervisor } from '../gss/supervisor';
import type { LabServiceImpl } from '../lab/service';
import type { HistoryServiceImpl } from '../workspace/history';
import { EXPORT_TARGETS } from './targets';

export class ExportServiceImpl implements ExportService {
  constructor(
    readonly context: EngineContext,
    readonly supervisor: () => GssSupervisor,
    readonly lab: LabServiceImpl,
    readonly history: HistoryServiceImpl,
  ) {}

  async targets(): Promise<ExportTargetInfo[]> {
    return EXPORT_TARGETS.map((t) => t.info);
  }

  async generate(_request: ExportRequest): Promise<ExportResult> {
    throw new Error('not built yet');
  }

  async save(_input: ExportSaveInput): Promise<ExportSaveResult> {
    throw new Error('not built yet');
  }

  async dispose(): Promise<void> {}
}
