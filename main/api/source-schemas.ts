/** Schemas of the inputs several services share: files and key sources. */
import { z } from 'zod';

/** Files: a path on the engine's machine, or up to 64 MiB of bytes from the UI. */
export const FileSource = z.union([
  z.object({ path: z.string().min(1).max(4096) }).strict(),
  z.object({ base64: z.string().max(90_000_000), name: z.string().max(512) }).strict(),
]);
export const KeySource = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('keytab'), source: FileSource }).strict(),
  z.object({ kind: z.literal('ccache'), source: FileSource }).strict(),
  z.object({ kind: z.literal('password'), principal: z.string().min(1).max(1024).optional(), password: z.string().max(4096), salt: z.string().max(4096).optional() }).strict(),
  z.object({ kind: z.literal('raw'), key: z.string().min(3).max(256) }).strict(),
]);
