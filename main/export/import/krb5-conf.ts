/** PLACEHOLDER: replaced by the importer's own module. */
import type { Importer } from '../types';

export const krb5Importer: Importer = {
  format: 'krb5',
  detect() {
    return null;
  },
  async read() {
    throw new Error('krb5: not built yet');
  },
  async test() {
    throw new Error('krb5: not built yet');
  },
};
