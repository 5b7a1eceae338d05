/** Input schemas of the `chain` service (see schemas.ts for the pattern). */
import { z } from 'zod';
import type { ChainDocument } from './chain';

const FilePath = z.string().min(1).max(4096);
const Name = z.string().min(1).max(253);
const Strings = z.record(z.string().max(256), z.string().max(8192));

const Method = z.union([
  z.object({ custom: z.object({ endpoint: z.string().min(1).max(4096), caCert: Name.optional(), auth: z.object({ x509: z.object({ secretName: Name, namespace: Name.optional() }).strict() }).strict().optional(), headers: Strings.optional() }).strict() }).strict(),
  z.object({ sat: z.object({ audiences: z.array(z.string().min(1).max(1024)).max(64) }).strict() }).strict(),
  z.object({ usernamePassword: z.object({ secretName: Name }).strict() }).strict(),
  z.object({ x509: z.object({ trustedClientCaCert: Name, attributes: z.object({ secretName: Name }).strict().optional() }).strict() }).strict(),
  z.object({ kerberos: z.object({ principal: z.string().min(1).max(1024).optional(), keytabSecretName: Name.optional() }).strict() }).strict(),
]);

/** Azure's other BrokerListener fields, kept so a loaded file saves back whole (azure-yaml.ts). */
const TlsBody = z.record(z.string().max(256), z.unknown());
const ListenerExtras = {
  brokerRef: Name.optional(),
  serviceType: z.enum(['clusterIp', 'loadBalancer', 'nodePort']).optional(),
  serviceName: Name.optional(),
  nodePort: z.number().int().min(1).max(65_535).optional(),
  authorizationEnabled: z.boolean().optional(),
  tlsSettings: z.union([z.object({ automatic: TlsBody }).strict(), z.object({ manual: TlsBody }).strict()]).optional(),
};

const Document: z.ZodType<ChainDocument> = z
  .object({
    file: FilePath,
    authentications: z
      .array(z.object({ name: Name, namespace: Name.optional(), listenerRef: z.array(Name).max(64), authenticationMethods: z.array(Method).max(32) }).strict())
      .max(64),
    listeners: z
      .array(z.object({ name: Name, namespace: Name.optional(), port: z.number().int().min(0).max(65_535), authenticationEnabled: z.boolean(), tls: z.boolean(), ...ListenerExtras }).strict())
      .max(64),
  })
  .strict();

export const chainSchemas = {
  load: z.tuple([FilePath]),
  save: z.tuple([Document]),
  test: z.tuple([
    z
      .object({
        file: FilePath,
        listener: Name.optional(),
        username: z.string().max(65_535).optional(),
        password: z.string().max(65_535).optional(),
        certFile: FilePath.optional(),
        keyFile: FilePath.optional(),
        method: z.string().min(1).max(256).optional(),
        clientId: z.string().min(1).max(256).optional(),
      })
      .strict(),
  ]),
  hashPassword: z.tuple([z.object({ password: z.string().max(65_535), salt: z.string().max(1024).optional(), iterations: z.number().int().min(1).max(10_000_000).optional() }).strict()]),
  verifyPassword: z.tuple([z.object({ hash: z.string().min(1).max(4096), password: z.string().max(65_535) }).strict()]),
  startCustomServer: z.tuple([
    z
      .object({
        host: z.string().min(1).max(255).optional(),
        port: z.number().int().min(0).max(65_535).optional(),
        usersFile: FilePath.optional(),
        allow: z.array(z.string().max(65_535)).max(10_000).optional(),
      })
      .strict(),
  ]),
  stopCustomServer: z.tuple([]),
};
