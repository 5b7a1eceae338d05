/** Input schemas of the `capture` service (see schemas.ts for the pattern). */
import { z } from 'zod';
import { exchangeSchema } from '../exchange/serialize';
import { FileSource, KeySource } from './source-schemas';

const CaptureId = z.string().min(1).max(128);
const ExchangeId = z.string().min(1).max(128);
/** The most rows one `rows()` call returns. */
export const ROWS_PER_PAGE = 10_000;

export const captureSchemas = {
  scan: z.tuple([
    z
      .object({
        id: CaptureId.optional(),
        source: FileSource,
        keys: z.array(KeySource).max(64).optional(),
        keylog: FileSource.optional(),
        revealSecrets: z.boolean().optional(),
        omitRows: z.boolean().optional(),
      })
      .strict(),
  ]),
  rows: z.tuple([CaptureId, z.number().int().min(0), z.number().int().min(1).max(ROWS_PER_PAGE)]),
  cancel: z.tuple([CaptureId]),
  exchange: z.tuple([CaptureId, ExchangeId]),
  export: z.tuple([CaptureId, z.array(ExchangeId).min(1).max(10_000), z.enum(['json', 'pcapng']), z.string().min(1).max(4096).optional()]),
  open: z.tuple([FileSource]),
  replay: z.tuple([
    z
      .object({
        exchange: exchangeSchema,
        to: z.string().min(1).max(2048),
        mode: z.enum(['verbatim', 'fresh', 'lab']),
        profile: z.enum(['lab', 'system']).optional(),
        service: z.string().regex(/^[^@\s]+@[^@\s]*$/, 'service@host').max(512).optional(),
      })
      .strict(),
  ]),
};
