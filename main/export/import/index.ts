/** Every importer; detection asks them in this order (the most specific first, krb5.conf last). */
import type { ImportFormat } from '../../api/export';
import type { Importer } from '../types';
import { azureImporter } from './azure';
import { elasticsearchImporter } from './elasticsearch';
import { emqxImporter } from './emqx';
import { hazelcastImporter } from './hazelcast';
import { krb5Importer } from './krb5-conf';

export const IMPORTERS: readonly Importer[] = [azureImporter, hazelcastImporter, elasticsearchImporter, emqxImporter, krb5Importer];

export function importerFor(format: ImportFormat): Importer {
  const importer = IMPORTERS.find((i) => i.format === format);
  if (!importer) throw new Error(`no importer for "${format}"`);
  return importer;
}
