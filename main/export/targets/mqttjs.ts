/** PLACEHOLDER: replaced by the target's own module. */
import type { ExportTarget } from '../types';

export const mqttjsTarget: ExportTarget = {
  info: { id: 'mqttjs', title: 'MQTT.js client (TypeScript)', summary: '', proofs: [] },
  generate() {
    throw new Error('mqttjs: not built yet');
  },
  async prove() {
    return [];
  },
};
