/** The Negotiate probe as a Bench API service. (Being built: see issue 14.) */
import type { NegotiateProbeOptions, NegotiateProbeView, NegotiateService, SpnPredictOptions, SpnPredictionReport } from '../api/http';
import type { LabService } from '../api/lab';
import type { EngineContext } from '../engine/context';
import { BenchFailure } from '../engine/failure';
import type { GssSupervisor } from '../gss/supervisor';

export class NegotiateServiceImpl implements NegotiateService {
  constructor(
    private readonly context: EngineContext,
    private readonly gss: () => GssSupervisor,
    private readonly lab: LabService,
  ) {}
  async start(_options: NegotiateProbeOptions): Promise<NegotiateProbeView> {
    throw new BenchFailure('not built yet');
  }
  async next(_id: string): Promise<NegotiateProbeView> {
    throw new BenchFailure('not built yet');
  }
  async view(_id: string): Promise<NegotiateProbeView> {
    throw new BenchFailure('not built yet');
  }
  async close(_id: string): Promise<void> {}
  async predictSpn(_options: SpnPredictOptions): Promise<SpnPredictionReport> {
    throw new BenchFailure('not built yet');
  }
  async dispose(): Promise<void> {}
}
