/**
 * Azure IoT MQ: BrokerListener and BrokerAuthentication YAML in chain order, clients.toml with
 * PBKDF2 hashes, the kerberos method's keytab secret and apply.sh (../azure/files.ts) — from an
 * existing chain YAML or a chain made for the realm; proven by the bench's own chain (../azure/prove.ts).
 */
import { generateAzure } from '../azure/files';
import { proveAzure } from '../azure/prove';
import { azureSource } from '../azure/source';
import type { ExportTarget } from '../types';

export const azureTarget: ExportTarget = {
  info: {
    id: 'azure',
    title: 'Azure IoT MQ',
    summary: 'BrokerAuthentication and BrokerListener YAML in chain order, clients.toml with PBKDF2 hashes, the keytab secret and the kubectl commands that create them.',
    proofs: ['YAML read back by the bench Azure loader', 'TOML parsed by smol-toml', 'chain loaded and an MQTT.js client authenticated', 'GSSAPI-KERBEROS client authenticated through the chain'],
  },
  // The chain YAML and the secrets beside it are read once, here, so generate() and prove() work on the same copy.
  prepare: async (model) => ({ ...model, sources: { ...model.sources, azure: azureSource(model) } }),
  generate: (model, revealSecrets) => generateAzure(model, revealSecrets),
  async prove(context) {
    try {
      return await proveAzure(context);
    } catch (error) {
      return [{ name: 'Azure files on the bench chain', ok: false, detail: (error as Error).message }];
    }
  },
};
