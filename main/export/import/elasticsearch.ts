/**
 * elasticsearch.yml: the Kerberos realm (xpack.security.authc.realms.kerberos.NAME) read by the
 * bench's ES settings reader into the setup its Elasticsearch-mode endpoint runs; "test my config"
 * starts a throwaway endpoint with it and signs curl --negotiate in (main/export/elasticsearch/).
 */
import { detectElasticsearchYml, readElasticsearchYml } from '../elasticsearch/import-read';
import { testElasticsearchYml } from '../elasticsearch/import-test';
import type { Importer } from '../types';

export const elasticsearchImporter: Importer = {
  format: 'elasticsearch',
  detect: (source) => detectElasticsearchYml(source),
  read: async (source) => readElasticsearchYml(source),
  test: (reading, context) => testElasticsearchYml(reading, context),
};
