/** Input schemas of the `workspace` and `history` services (see schemas.ts for the pattern). */
import { z } from 'zod';
import type { JsonValue } from './workspace';

/** Plain JSON (zod checks the shape; the service bounds the size). */
const Json = z.json() as z.ZodType<JsonValue>;
const ViewKey = z.string().regex(/^[a-z][a-z0-9.-]{0,63}$/, 'a view key: lower-case letters, digits, "." and "-"');
const SavedItemKind = z.enum(['probe-target', 'broker-listeners', 'decoder-keyring']);
const ExchangeSource = z.enum(['sasl', 'broker', 'probe', 'http', 'capture', 'replay', 'import']);
const ExchangeId = z.string().min(1).max(128);

export const workspaceSchemas = {
  load: z.tuple([]),
  saveView: z.tuple([ViewKey, Json]),
  saveItem: z.tuple([
    z.object({ id: z.string().min(1).max(64).optional(), kind: SavedItemKind, name: z.string().min(1).max(200), value: Json }).strict(),
  ]),
  removeItem: z.tuple([z.string().min(1).max(64)]),
  addRecent: z.tuple([z.object({ kind: z.enum(['keytab', 'ccache', 'krb5.conf', 'decoder']), path: z.string().min(1).max(4096) }).strict()]),
};

export const historySchemas = {
  list: z.tuple([
    z
      .object({ source: ExchangeSource.optional(), outcome: z.enum(['success', 'failure', 'pending']).optional(), text: z.string().max(512).optional() })
      .strict()
      .optional(),
  ]),
  remove: z.tuple([z.array(ExchangeId).max(10_000)]),
  clear: z.tuple([]),
  export: z.tuple([z.array(ExchangeId).max(10_000).optional()]),
};
