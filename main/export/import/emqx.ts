/** PLACEHOLDER: replaced by the importer's own module. */
import type { Importer } from '../types';

export const emqxImporter: Importer = {
  format: 'emqx',
  detect() {
    return null;
  },
  async read() {
    throw new Error('emqx: not built yet');
  },
  async test() {
    throw new Error('emqx: not built yet');
  },
};
