/** PLACEHOLDER: the spn service (SPN and name tools). */
import type { NameMapping, SpnBuildInput, SpnBuildResult, SpnCheckInput, SpnCheckResult, SpnService, SpnValidateInput, SpnValidation } from '../api/export';
import type { EngineContext } from '../engine/context';
import type { GssSupervisor } from '../gss/supervisor';
import type { LabServiceImpl } from '../lab/service';

export class SpnServiceImpl implements SpnService {
  constructor(
    readonly context: EngineContext,
    readonly supervisor: () => GssSupervisor,
    readonly lab: LabServiceImpl,
  ) {}

  async build(_input: SpnBuildInput): Promise<SpnBuildResult> {
    throw new Error('not built yet');
  }

  async validate(_input: SpnValidateInput): Promise<SpnValidation> {
    throw new Error('not built yet');
  }

  async mapName(_input: { principal: string }): Promise<NameMapping> {
    throw new Error('not built yet');
  }

  async check(_input: SpnCheckInput): Promise<SpnCheckResult> {
    throw new Error('not built yet');
  }
}
