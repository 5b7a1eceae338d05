/** The `chain` service. (Being built: see issue 15.) */
import type { ChainDocument, ChainLoadResult, ChainService, ChainTestInput, ChainTestResult } from '../../api/chain';
import type { LabService } from '../../api/lab';
import type { EngineContext } from '../../engine/context';
import { BenchFailure } from '../../engine/failure';
import type { GssSupervisor } from '../../gss/supervisor';

export class ChainServiceImpl implements ChainService {
  constructor(
    private readonly context: EngineContext,
    private readonly gss: () => GssSupervisor,
    private readonly lab: LabService,
  ) {}
  async load(_file: string): Promise<ChainLoadResult> {
    throw new BenchFailure('not built yet');
  }
  async save(_document: ChainDocument): Promise<ChainLoadResult> {
    throw new BenchFailure('not built yet');
  }
  async test(_input: ChainTestInput): Promise<ChainTestResult> {
    throw new BenchFailure('not built yet');
  }
  async hashPassword(_input: { password: string; salt?: string; iterations?: number }): Promise<{ hash: string }> {
    throw new BenchFailure('not built yet');
  }
  async verifyPassword(_input: { hash: string; password: string }): Promise<{ matches: boolean; why: string }> {
    throw new BenchFailure('not built yet');
  }
  async dispose(): Promise<void> {}
}
