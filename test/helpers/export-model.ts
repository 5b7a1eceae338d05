/** A hand-made lab-like ExportModel for pure generate() tests: no lab, no disk. */
import type { ExportOptions } from '../../main/api/export';
import type { ExportModel, ModelService } from '../../main/export/types';

/** Keytab bytes the targets copy but never parse. */
export const FAKE_KEYTAB = Uint8Array.from([5, 2, 0, 0, 0, 1]);

const service = (principal: string, host: string): ModelService => ({ principal, host, keytabFile: '/lab/service.keytab', keytab: FAKE_KEYTAB });

export function fakeLabModel(overrides: Partial<ExportModel> = {}, options: ExportOptions = {}): ExportModel {
  return {
    realm: 'BENCH.TEST',
    kdcs: ['127.0.0.1:18888'],
    krb5ConfigFile: '/lab/krb5.conf',
    libdefaults: { dns_canonicalize_hostname: 'false', rdns: 'false' },
    domainRealm: [{ domain: 'localhost', realm: 'BENCH.TEST' }],
    mqtt: { ...service('mqtt/localhost@BENCH.TEST', 'localhost'), url: 'mqtt://localhost:1883' },
    http: { ...service('HTTP/localhost@BENCH.TEST', 'localhost'), url: 'http://localhost:9200/' },
    hazelcast: service('hz/127.0.0.1@BENCH.TEST', '127.0.0.1'),
    client: { principal: 'alice@BENCH.TEST', keytabFile: '/lab/client.keytab', ccache: '/lab/alice.ccache' },
    knownToWork: null,
    basis: 'lab realm BENCH.TEST',
    labRealm: 'BENCH.TEST',
    options,
    ...overrides,
  };
}
