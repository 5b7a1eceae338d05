/** PLACEHOLDER: replaced by the target's own module. */
import type { ExportTarget } from '../types';

export const javaTarget: ExportTarget = {
  info: { id: 'java', title: 'Java JAAS login configuration', summary: '', proofs: [] },
  generate() {
    throw new Error('java: not built yet');
  },
  async prove() {
    return [];
  },
};
