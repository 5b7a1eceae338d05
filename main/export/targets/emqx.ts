/** PLACEHOLDER: replaced by the target's own module. */
import type { ExportTarget } from '../types';

export const emqxTarget: ExportTarget = {
  info: { id: 'emqx', title: 'EMQX (GSSAPI-KERBEROS)', summary: '', proofs: [] },
  generate() {
    throw new Error('emqx: not built yet');
  },
  async prove() {
    return [];
  },
};
