/** Every export target, in the order the Export view lists them. */
import type { ExportTargetId } from '../../api/export';
import type { ExportTarget } from '../types';
import { azureTarget } from './azure';
import { browserTarget } from './browser';
import { elasticsearchTarget } from './elasticsearch';
import { emqxTarget } from './emqx';
import { hazelcastXmlTarget, hazelcastYamlTarget } from './hazelcast';
import { javaTarget } from './java-jaas';
import { krb5Target } from './krb5-conf';
import { mqttjsTarget } from './mqttjs';

export const EXPORT_TARGETS: readonly ExportTarget[] = [emqxTarget, krb5Target, elasticsearchTarget, hazelcastXmlTarget, hazelcastYamlTarget, azureTarget, mqttjsTarget, javaTarget, browserTarget];

export function exportTarget(id: ExportTargetId): ExportTarget {
  const target = EXPORT_TARGETS.find((t) => t.info.id === id);
  if (!target) throw new Error(`no export target "${id}"`);
  return target;
}
