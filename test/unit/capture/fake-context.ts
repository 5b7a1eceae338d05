/** The scan's services for extractor tests: real CaptureRecorders that decode nothing, warnings kept. */
import type { ExtractContext, RecordInit } from '../../../main/capture/extract/types';
import { CaptureRecorder } from '../../../main/capture/recorder';
import type { CaptureWarning, TcpFlow, TcpStreamHandler } from '../../../main/capture/types';

export class FakeContext implements ExtractContext {
  readonly recorders: CaptureRecorder[] = [];
  readonly warnings: CaptureWarning[] = [];
  record(init: RecordInit): CaptureRecorder {
    const recorder = new CaptureRecorder(init, () => {});
    this.recorders.push(recorder);
    return recorder;
  }
  openInner(_flow: TcpFlow, _label: string): TcpStreamHandler {
    throw new Error('not used');
  }
  warn(warning: CaptureWarning): void {
    this.warnings.push(warning);
  }
  get exchanges() {
    return this.recorders.map((r) => r.exchange);
  }
}
