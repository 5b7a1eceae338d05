/** PLACEHOLDER: replaced by the importer's own module. */
import type { Importer } from '../types';

export const hazelcastImporter: Importer = {
  format: 'hazelcast',
  detect() {
    return null;
  },
  async read() {
    throw new Error('hazelcast: not built yet');
  },
  async test() {
    throw new Error('hazelcast: not built yet');
  },
};
