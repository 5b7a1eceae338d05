/** Input schemas of the `http` and `negotiate` services (see schemas.ts for the pattern). */
import { z } from 'zod';
import type { RoleMappingRule as Rule } from './http';

const LabRealm = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'a realm name: letters, digits, ".", "_", "-"');
const FilePath = z.string().min(1).max(4096);
const Runtime = z.enum(['mit', 'java']);
const RunId = z.string().uuid();
const HttpUrl = z.string().regex(/^https?:\/\/[^\s]+$/i, 'an http:// or https:// URL').max(4096);
/** A role-mapping name as ES allows it in a URL path segment. */
const MappingName = z.string().min(1).max(1024).regex(/^[^\s/]+$/, 'a role mapping name: no spaces or slashes');

const RuleValue = z.union([z.string().max(4096), z.number(), z.boolean(), z.null()]);
/** Rules nest: depth is bounded by ES's own parser only by the request size, so 64 KiB of JSON here. */
const RoleMappingRule: z.ZodType<Rule> = z.lazy(() =>
  z.union([
    z.object({ field: z.record(z.string().min(1).max(256), z.union([RuleValue, z.array(RuleValue).max(256)])) }).strict(),
    z.object({ any: z.array(RoleMappingRule).max(256) }).strict(),
    z.object({ all: z.array(RoleMappingRule).max(256) }).strict(),
    z.object({ except: RoleMappingRule }).strict(),
  ]),
);
const RoleMapping = z
  .object({
    enabled: z.boolean(),
    roles: z.array(z.string().min(1).max(1024)).max(1024),
    rules: RoleMappingRule,
    metadata: z.record(z.string().max(1024), z.unknown()).optional(),
  })
  .strict();

const HttpServeOptions = z
  .object({
    mode: z.enum(['elasticsearch', 'sso']),
    credentials: z.enum(['lab', 'custom']),
    realm: LabRealm.optional(),
    port: z.number().int().min(0).max(65_535).optional(),
    spn: z.string().max(1024).optional(),
    keytab: FilePath.optional(),
    removeRealmName: z.boolean().optional(),
    basic: z.boolean().optional(),
    esConfig: FilePath.optional(),
    engine: Runtime.optional(),
    ssoEnabled: z.boolean().optional(),
  })
  .strict();

const NegotiateProbeOptions = z
  .object({
    url: HttpUrl,
    profile: z.enum(['lab', 'system', 'custom']),
    realm: LabRealm.optional(),
    krb5Config: FilePath.optional(),
    ccache: FilePath.optional(),
    clientKeytab: FilePath.optional(),
    engine: Runtime.optional(),
    spn: z.string().min(1).max(1024).optional(),
    mech: z.enum(['spnego', 'krb5']).optional(),
    step: z.boolean(),
    maxRedirects: z.number().int().min(0).max(20).optional(),
    basic: z.object({ user: z.string().min(1).max(1024), password: z.string().max(4096) }).strict().optional(),
    insecure: z.boolean().optional(),
  })
  .strict();

export const httpSchemas = {
  serve: z.tuple([HttpServeOptions]),
  stop: z.tuple([]),
  status: z.tuple([]),
  exchanges: z.tuple([]),
  roleMappings: z.tuple([]),
  putRoleMapping: z.tuple([MappingName, z.union([RoleMapping, z.string().max(4_000_000)])]),
  deleteRoleMapping: z.tuple([MappingName]),
  testRoleMapping: z.tuple([
    z.object({ principal: z.string().min(1).max(1024), removeRealmName: z.boolean().optional(), realmName: z.string().min(1).max(256).optional() }).strict(),
  ]),
  setSso: z.tuple([z.boolean()]),
  revealUserPasswords: z.tuple([]),
};

export const negotiateSchemas = {
  start: z.tuple([NegotiateProbeOptions]),
  next: z.tuple([RunId]),
  view: z.tuple([RunId]),
  close: z.tuple([RunId]),
  predictSpn: z.tuple([
    z
      .object({
        url: HttpUrl,
        profile: z.enum(['lab', 'system', 'custom']).optional(),
        realm: LabRealm.optional(),
        keytab: FilePath.optional(),
        krb5Config: FilePath.optional(),
        ccache: FilePath.optional(),
        browsers: z
          .object({
            chromiumAllowlist: z.string().max(4096).optional(),
            chromiumCnameLookup: z.boolean().optional(),
            chromiumPort: z.boolean().optional(),
            firefoxTrustedUris: z.string().max(4096).optional(),
            firefoxAllowNonFqdn: z.boolean().optional(),
          })
          .strict()
          .optional(),
      })
      .strict(),
  ]),
};
