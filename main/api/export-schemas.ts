/** Input schemas of the `export`, `importer` and `spn` services (see schemas.ts for the pattern). */
import { z } from 'zod';
import { IMPORT_FORMATS } from './export';
import { FileSource } from './source-schemas';

const LabRealm = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'a realm name: letters, digits, ".", "_", "-"');
/** Any Kerberos realm the user's own configuration may name (AD realms included). */
const Realm = z.string().min(1).max(255).regex(/^[^\s@/]+$/, 'a realm name: no spaces, "@" or "/"');
const FilePath = z.string().min(1).max(4096);
const Principal = z.string().min(1).max(1024);
const Host = z.string().min(1).max(253).regex(/^[^\s/@]+$/, 'a host name or address: no spaces, "/" or "@"');
const Hosts = z.array(z.string().min(1).max(253)).max(64);

const TargetId = z.enum(['emqx', 'krb5', 'elasticsearch', 'hazelcast-xml', 'hazelcast-yaml', 'azure', 'mqttjs', 'java', 'browser']);
const ImportFormat = z.enum(IMPORT_FORMATS);

const From = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('lab'), realm: LabRealm.optional() }).strict(),
  z
    .object({
      kind: z.literal('profile'),
      profile: z.enum(['system', 'custom']),
      krb5Config: FilePath.optional(),
      realm: Realm.optional(),
      servicePrincipal: Principal.optional(),
      serviceKeytab: FilePath.optional(),
      clientPrincipal: Principal.optional(),
      clientKeytab: FilePath.optional(),
      ccache: FilePath.optional(),
    })
    .strict(),
]);

const Options = z
  .object({
    host: Host.optional(),
    mqttUrl: z.string().regex(/^(mqtts?|wss?):\/\/[^\s]+$/i, 'an mqtt://, mqtts://, ws:// or wss:// URL').max(4096).optional(),
    hazelcastForm: z.enum(['simple', 'full']).optional(),
    hazelcastSpn: z
      .discriminatedUnion('kind', [
        z.object({ kind: z.literal('prefix'), prefix: z.string().max(255).optional(), address: Host.optional() }).strict(),
        z.object({ kind: z.literal('canonical'), prefix: z.string().max(255).optional() }).strict(),
        z.object({ kind: z.literal('static'), spn: Principal }).strict(),
      ])
      .optional(),
    useNameWithoutRealm: z.boolean().optional(),
    elasticsearch: z
      .object({
        realmName: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'a realm name: letters, digits, "_", "-"').optional(),
        order: z.number().int().min(0).max(1_000_000).optional(),
        removeRealmName: z.boolean().optional(),
        nodes: Hosts.optional(),
        roles: z.array(z.string().min(1).max(256)).max(64).optional(),
      })
      .strict()
      .optional(),
    azure: z.object({ chainFile: FilePath.optional(), namespace: z.string().min(1).max(63).optional() }).strict().optional(),
    browser: z.object({ allow: Hosts.optional(), delegate: Hosts.optional() }).strict().optional(),
  })
  .strict();

const ExportRequest = z
  .object({
    target: TargetId,
    from: From.optional(),
    exchange: z.union([z.object({ id: z.string().min(1).max(128) }).strict(), z.object({ file: FilePath }).strict()]).optional(),
    imported: z.object({ file: FilePath, as: ImportFormat.optional() }).strict().optional(),
    revealSecrets: z.boolean().optional(),
    prove: z.boolean().optional(),
    options: Options.optional(),
  })
  .strict();

export const exportSchemas = {
  targets: z.tuple([]),
  generate: z.tuple([ExportRequest]),
  save: z.tuple([z.object({ id: z.string().min(1).max(128), dir: FilePath, force: z.boolean().optional() }).strict()]),
};

const ImportRead = z.object({ file: FileSource, as: ImportFormat.optional() }).strict();
export const importerSchemas = {
  read: z.tuple([ImportRead]),
  test: z.tuple([
    ImportRead.extend({
      against: z.discriminatedUnion('kind', [z.object({ kind: z.literal('lab'), realm: LabRealm.optional() }).strict(), z.object({ kind: z.literal('own') }).strict()]).optional(),
    }).strict(),
  ]),
};

const SpnProduct = z.enum(['emqx', 'elasticsearch', 'hazelcast', 'http', 'generic']);
export const spnSchemas = {
  build: z.tuple([
    z
      .object({
        product: SpnProduct,
        realm: Realm,
        host: z.string().max(253).optional(),
        service: z.string().min(1).max(255).optional(),
        nodes: Hosts.optional(),
        hazelcast: z.object({ prefix: z.string().max(255).optional(), useCanonicalHostname: z.boolean().optional(), spn: z.string().max(1024).optional() }).strict().optional(),
        dns: z.boolean().optional(),
      })
      .strict(),
  ]),
  validate: z.tuple([z.object({ spn: z.string().max(1024), product: SpnProduct.optional() }).strict()]),
  mapName: z.tuple([z.object({ principal: Principal }).strict()]),
  check: z.tuple([
    z
      .object({
        spn: z.string().min(1).max(1024),
        product: SpnProduct.optional(),
        profile: z.enum(['lab', 'system', 'custom']).optional(),
        realm: Realm.optional(),
        krb5Config: FilePath.optional(),
        keytab: FilePath.optional(),
        ccache: FilePath.optional(),
      })
      .strict(),
  ]),
};
