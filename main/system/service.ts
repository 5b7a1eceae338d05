import type { AppInfo, DoctorItem, SystemService } from '../api/system';
import type { EngineContext } from '../engine/context';
import { DoctorContext, runDoctor } from './doctor';
import { benchVersion } from './paths';

export class SystemServiceImpl implements SystemService {
  constructor(private readonly context: EngineContext) {}

  async doctor(): Promise<DoctorItem[]> {
    const doctorContext = new DoctorContext(process.env, this.context.electronVersion);
    return runDoctor(doctorContext, (item, done, total) => this.context.events.emit('system.doctorProgress', { done, total, item }));
  }

  async info(): Promise<AppInfo> {
    return {
      name: 'Kerberos Bench',
      version: benchVersion(),
      runtime: this.context.runtime,
      platform: `${process.platform}-${process.arch}`,
      node: process.versions.node,
      electron: this.context.electronVersion,
      dataDir: this.context.dataDir,
    };
  }
}
