/** PLACEHOLDER: replaced by the importer's own module. */
import type { Importer } from '../types';

export const elasticsearchImporter: Importer = {
  format: 'elasticsearch',
  detect() {
    return null;
  },
  async read() {
    throw new Error('elasticsearch: not built yet');
  },
  async test() {
    throw new Error('elasticsearch: not built yet');
  },
};
