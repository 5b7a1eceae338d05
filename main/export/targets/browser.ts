/** PLACEHOLDER: replaced by the target's own module. */
import type { ExportTarget } from '../types';

export const browserTarget: ExportTarget = {
  info: { id: 'browser', title: 'Browser SPNEGO settings', summary: '', proofs: [] },
  generate() {
    throw new Error('browser: not built yet');
  },
  async prove() {
    return [];
  },
};
