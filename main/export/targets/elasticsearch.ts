/**
 * Elasticsearch: the Kerberos realm in elasticsearch.yml, the JVM option naming the node's
 * krb5.conf, the keytab's place in the config directory, the role-mapping request, and one SPN per
 * node — proven by the bench's settings reader, its role-mapping validator, and a throwaway
 * Elasticsearch-mode endpoint that curl --negotiate signs in to (main/export/elasticsearch/).
 */
import type { ExportTarget } from '../types';
import { elasticsearchFiles } from '../elasticsearch/files';
import { proveElasticsearch } from '../elasticsearch/proofs';
import { ES_CONFIG_DIR, esExportSettings, ROLE_MAPPING_NAME } from '../elasticsearch/settings';

export const elasticsearchTarget: ExportTarget = {
  info: {
    id: 'elasticsearch',
    title: 'Elasticsearch Kerberos realm',
    summary: 'The elasticsearch.yml Kerberos realm, the JVM krb5.conf option, the node keytab, one SPN per node, and the role-mapping request (curl and JSON).',
    proofs: [
      'elasticsearch.yml read back by the bench\'s ES settings reader and yaml',
      'role-mapping.json checked by the ES role-mapping validator',
      'krb5.conf and the keytab: MIT kinit + kvno -k for HTTP/host',
      'loaded by the bench\'s Elasticsearch-mode endpoint (Java GSS)',
      'role-mapping.sh PUT through the endpoint',
      'curl --negotiate on /_security/_authenticate: the user and the roles',
    ],
  },
  generate(model, revealSecrets) {
    const s = esExportSettings(model);
    return {
      files: elasticsearchFiles(model, s, revealSecrets),
      notes: [
        `Copy elasticsearch.yml's lines, jvm.options.d/krb5.options and krb5.conf into ${ES_CONFIG_DIR} on every node.`,
        `Put the keytab at ${ES_CONFIG_DIR}/${s.keytabPath} (keytab.path is resolved against the config directory), owned root:elasticsearch, mode 640, then restart the node.`,
        `One SPN per node: ${s.spns.join(', ')} — each node's keytab holds its own (kadmin ktadd, or setspn + ktpass on Active Directory).`,
        `Create the role mapping with role-mapping.sh (PUT /_security/role_mapping/${ROLE_MAPPING_NAME}); the caller needs manage_security.`,
      ],
    };
  },
  prove: (context) => proveElasticsearch(context),
};
