/** PLACEHOLDER: replaced by the target's own module. */
import type { ExportTarget } from '../types';

export const hazelcastXmlTarget: ExportTarget = {
  info: { id: 'hazelcast-xml', title: 'Hazelcast (XML)', summary: '', proofs: [] },
  generate() {
    throw new Error('hazelcast-xml: not built yet');
  },
  async prove() {
    return [];
  },
};

export const hazelcastYamlTarget: ExportTarget = {
  info: { id: 'hazelcast-yaml', title: 'Hazelcast (YAML)', summary: '', proofs: [] },
  generate() {
    throw new Error('hazelcast-yaml: not built yet');
  },
  async prove() {
    return [];
  },
};
