/** PLACEHOLDER: replaced by the importer's own module. */
import type { Importer } from '../types';

export const azureImporter: Importer = {
  format: 'azure',
  detect() {
    return null;
  },
  async read() {
    throw new Error('azure: not built yet');
  },
  async test() {
    throw new Error('azure: not built yet');
  },
};
