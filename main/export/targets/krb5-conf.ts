/** PLACEHOLDER: replaced by the target's own module. */
import type { ExportTarget } from '../types';

export const krb5Target: ExportTarget = {
  info: { id: 'krb5', title: 'krb5.conf (MIT clients and servers)', summary: '', proofs: [] },
  generate() {
    throw new Error('krb5: not built yet');
  },
  async prove() {
    return [];
  },
};
