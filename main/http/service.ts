/** The HTTP endpoint as a Bench API service. (Being built: see issue 14.) */
import type { HttpEndpointStatus, HttpServeOptions, HttpService, RoleMapping, RoleMappingTestInput, RoleMappingTestResult } from '../api/http';
import type { LabService } from '../api/lab';
import type { EngineContext } from '../engine/context';
import { BenchFailure } from '../engine/failure';
import type { Exchange } from '../exchange/model';
import type { GssSupervisor } from '../gss/supervisor';

export class HttpServiceImpl implements HttpService {
  constructor(
    private readonly context: EngineContext,
    private readonly gss: () => GssSupervisor,
    private readonly lab: LabService,
  ) {}
  async serve(_options: HttpServeOptions): Promise<HttpEndpointStatus> {
    throw new BenchFailure('not built yet');
  }
  async stop(): Promise<HttpEndpointStatus> {
    return { running: false, requests: 0 };
  }
  async status(): Promise<HttpEndpointStatus> {
    return { running: false, requests: 0 };
  }
  async exchanges(): Promise<Exchange[]> {
    return [];
  }
  async roleMappings(): Promise<Record<string, RoleMapping>> {
    return {};
  }
  async putRoleMapping(_name: string, _mapping: RoleMapping): Promise<{ created: boolean }> {
    throw new BenchFailure('not built yet');
  }
  async deleteRoleMapping(_name: string): Promise<{ found: boolean }> {
    throw new BenchFailure('not built yet');
  }
  async testRoleMapping(_input: RoleMappingTestInput): Promise<RoleMappingTestResult> {
    throw new BenchFailure('not built yet');
  }
  async setSso(_enabled: boolean): Promise<HttpEndpointStatus> {
    throw new BenchFailure('not built yet');
  }
  async dispose(): Promise<void> {
    await this.stop();
  }
}
