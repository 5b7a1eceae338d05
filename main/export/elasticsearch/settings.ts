/**
 * The Elasticsearch realm an export writes, resolved once from the model: the user's options win,
 * then the imported elasticsearch.yml's realm (an import → export round trip keeps every setting),
 * then ES's documented example (kerb1, order 0, keytab.path es.keytab).
 */
import { kerberosUser } from '../../http/es/authenticate';
import path from 'node:path';
import type { ExportModel } from '../types';

export const DEFAULT_REALM_NAME = 'kerb1';
export const DEFAULT_ROLES: readonly string[] = ['monitoring_user'];
export const ROLE_MAPPING_NAME = 'kerberos-users';
export const DEFAULT_KEYTAB = 'es.keytab';
export const REALM_PREFIX = 'xpack.security.authc.realms.kerberos.';
/** Where the Debian/RPM packages keep the config directory (ES_PATH_CONF). */
export const ES_CONFIG_DIR = '/etc/elasticsearch';

export interface EsExportSettings {
  name: string;
  order: number;
  /** keytab.path as written in the yml: relative to the config directory, or as the user wrote it. */
  keytabPath: string;
  /** Where the keytab goes in the export ("elasticsearch/es.keytab"), so the yml finds it. */
  keytabFile: string;
  removeRealmName: boolean;
  krbDebug: boolean;
  roles: string[];
  /** Node host names: one HTTP/node@REALM each. */
  nodes: string[];
  /** HTTP/node@REALM for each node, in order. */
  spns: string[];
}

export function esExportSettings(model: ExportModel): EsExportSettings {
  const options = model.options.elasticsearch ?? {};
  const imported = model.imported?.setup.elasticsearch;
  const keytabPath = imported?.keytabPath ? keytabAsWritten(imported.keytabPath, model.imported!.file) : DEFAULT_KEYTAB;
  const nodes = options.nodes?.length ? [...options.nodes] : [model.options.host ?? model.http.host];
  return {
    name: options.realmName ?? imported?.name ?? DEFAULT_REALM_NAME,
    order: options.order ?? imported?.order ?? 0,
    keytabPath,
    keytabFile: isInsideConfigDir(keytabPath) ? `elasticsearch/${path.posix.normalize(keytabPath)}` : `elasticsearch/${DEFAULT_KEYTAB}`,
    removeRealmName: options.removeRealmName ?? imported?.removeRealmName ?? false,
    krbDebug: imported?.krbDebug ?? false,
    roles: options.roles?.length ? [...options.roles] : [...DEFAULT_ROLES],
    nodes,
    spns: nodes.map((node) => `HTTP/${node}@${model.realm}`),
  };
}

/** The settings reader resolves keytab.path against the yml's folder; the export writes it back relative when it was inside. */
function keytabAsWritten(resolved: string, ymlFile: string): string {
  const relative = path.relative(path.dirname(path.resolve(ymlFile)), resolved);
  return isInsideConfigDir(relative) ? relative.split(path.sep).join('/') : resolved;
}

function isInsideConfigDir(keytabPath: string): boolean {
  return keytabPath !== '' && !path.isAbsolute(keytabPath) && !path.posix.normalize(keytabPath.split(path.sep).join('/')).startsWith('..');
}

/** The user name ES gives a principal: the bench's ES emulation's own rule (KerberosRealm, remove_realm_name). */
export function esUsername(principal: string, removeRealmName: boolean): string {
  return kerberosUser(principal, { name: '', removeRealmName }).username;
}
