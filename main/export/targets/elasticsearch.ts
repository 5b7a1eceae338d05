/** PLACEHOLDER: replaced by the target's own module. */
import type { ExportTarget } from '../types';

export const elasticsearchTarget: ExportTarget = {
  info: { id: 'elasticsearch', title: 'Elasticsearch Kerberos realm', summary: '', proofs: [] },
  generate() {
    throw new Error('elasticsearch: not built yet');
  },
  async prove() {
    return [];
  },
};
