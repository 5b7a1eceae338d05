/** PLACEHOLDER: replaced by the target's own module. */
import type { ExportTarget } from '../types';

export const azureTarget: ExportTarget = {
  info: { id: 'azure', title: 'Azure IoT MQ', summary: '', proofs: [] },
  generate() {
    throw new Error('azure: not built yet');
  },
  async prove() {
    return [];
  },
};
