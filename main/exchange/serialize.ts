/**
 * Exchanges as files: `{ "format": "kbench-exchange", "version": 1, "exchange": … }`. Reading
 * validates the whole shape, so a hand-edited or foreign file fails with a message naming the
 * field, never later in the UI.
 */
import { z } from 'zod';
import { MAX_TREE_DEPTH, treeTooDeep, type TreeNode } from '../krb/tree';
import type { Exchange } from './model';

/** A file that is not a saved Exchange, or one whose shape is wrong: the message names the first bad field. */
export class ExchangeFileError extends Error {
  override name = 'ExchangeFileError';
}

export const EXCHANGE_FORMAT = 'kbench-exchange';
export const EXCHANGE_VERSION = 1;

const treeNodeShape: z.ZodType<TreeNode> = z.lazy(() =>
  z.object({
    name: z.string(),
    type: z.string(),
    offset: z.number().int(),
    length: z.number().int(),
    value: z.union([z.string(), z.number(), z.boolean(), z.array(z.string())]).optional(),
    children: z.array(treeNodeShape).optional(),
    decrypted: z
      .object({
        kind: z.enum(['decrypted', 'decompressed']).optional(),
        keyUsage: z.string(),
        keySource: z.string(),
        tree: treeNodeShape,
        plaintext: z.string().optional(),
        masked: z.array(z.tuple([z.number(), z.number()])).optional(),
      })
      .optional(),
    error: z.string().optional(),
    sealed: z.object({ key: z.enum(['service key', 'session key', 'client key', 'other key']), note: z.string() }).optional(),
  }),
);

/**
 * A field tree: its depth is measured first, without recursion, so the recursive shape check
 * below never meets a tree deep enough to exhaust the stack (a pipe stops at the first failure).
 */
const treeNode = z
  .unknown()
  .superRefine((value, ctx) => {
    if (treeTooDeep(value)) ctx.addIssue({ code: 'custom', message: `the field tree is nested deeper than ${MAX_TREE_DEPTH} levels` });
  })
  .pipe(treeNodeShape);

const step = z.object({
  index: z.number().int().min(0),
  direction: z.enum(['client-to-server', 'server-to-client']),
  at: z.string(),
  elapsedMs: z.number().min(0),
  transport: z.object({
    protocol: z.enum(['sasl', 'mqtt', 'http', 'kerberos', 'ldap', 'gss']),
    packet: z.string(),
    fields: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  }),
  token: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'token must be base64').optional(),
  tokenKind: z.string().optional(),
  summary: z.string().optional(),
  decoded: treeNode.optional(),
  trace: z.array(z.string()).optional(),
  learnedKeys: z.array(z.string()).optional(),
  error: z.string().optional(),
  packets: z.array(z.number().int().min(1)).optional(),
  raw: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'raw must be base64').optional(),
});

const captureOrigin = z.object({
  file: z.string().optional(),
  protocol: z.enum(['mqtt', 'kerberos', 'http', 'ldap', 'gss']),
  client: z.string(),
  server: z.string(),
  flow: z.number().int().min(0).optional(),
  carriedBy: z.string().optional(),
  packets: z.array(z.number().int().min(1)),
  session: z.object({ packets: z.record(z.string(), z.number()), bytes: z.number(), durationMs: z.number() }).optional(),
  ticket: z.object({ sname: z.string(), realm: z.string(), kvno: z.number().int().nullable(), etype: z.number().int(), fingerprint: z.string() }).optional(),
  principals: z.array(z.string()),
  linked: z.array(z.string()),
  diagnosis: z.object({ id: z.string(), title: z.string() }).optional(),
  gaps: z.array(z.string()).optional(),
});

const chainMethod = z.enum(['custom', 'sat', 'usernamePassword', 'x509', 'kerberos']);
const authChainVerdict = z.object({
  allowed: z.boolean(),
  endedBy: chainMethod.nullable(),
  attributes: z.record(z.string(), z.string()),
  trace: z.array(
    z.object({ method: chainMethod, relevant: z.boolean(), valid: z.boolean().optional(), why: z.string(), attributes: z.record(z.string(), z.string()).optional() }),
  ),
  principal: z.string().optional(),
  reason: z.string(),
});

export const exchangeSchema: z.ZodType<Exchange> = z.object({
  id: z.string().min(1),
  source: z.enum(['sasl', 'broker', 'probe', 'http', 'capture', 'replay', 'import']),
  role: z.enum(['client', 'server', 'observer']),
  mechanism: z.string(),
  service: z.string().optional(),
  profile: z.string().optional(),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  steps: z.array(step),
  verdict: z.object({ outcome: z.enum(['success', 'failure', 'pending']), reason: z.string(), code: z.string().optional() }),
  identity: z.object({ principal: z.string().optional(), authzid: z.string().optional(), mapped: z.string().optional() }).optional(),
  securityLayer: z.object({ layer: z.enum(['none', 'integrity', 'privacy']), maxBuffer: z.number().int().min(0) }).optional(),
  meta: z.record(z.string(), z.string()).optional(),
  keyFiles: z.object({ keytab: z.string().optional(), ccache: z.string().optional() }).optional(),
  capture: captureOrigin.optional(),
  authChain: authChainVerdict.optional(),
});

export function serializeExchange(exchange: Exchange): string {
  return `${JSON.stringify({ format: EXCHANGE_FORMAT, version: EXCHANGE_VERSION, exchange }, null, 2)}\n`;
}

/** Parses a saved Exchange; throws an ExchangeFileError whose message names the first bad field. */
export function parseExchange(text: string): Exchange {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ExchangeFileError(`not an Exchange file: ${(error as Error).message}`);
  }
  const envelope = z.object({ format: z.literal(EXCHANGE_FORMAT), version: z.literal(EXCHANGE_VERSION), exchange: z.unknown() }).safeParse(data);
  if (!envelope.success) throw new ExchangeFileError(`not an Exchange file (expected format "${EXCHANGE_FORMAT}" version ${EXCHANGE_VERSION})`);
  const parsed = exchangeSchema.safeParse(envelope.data.exchange);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ExchangeFileError(`invalid Exchange: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}

export const EXCHANGES_FORMAT = 'kbench-exchanges';

/** Several Exchanges as one file (one Exchange is written as a plain kbench-exchange file). */
export function serializeExchanges(exchanges: readonly Exchange[]): string {
  if (exchanges.length === 1) return serializeExchange(exchanges[0]!);
  return `${JSON.stringify({ format: EXCHANGES_FORMAT, version: EXCHANGE_VERSION, exchanges }, null, 2)}\n`;
}

/** Reads a kbench-exchange file, a kbench-exchanges bundle or a JSON array of Exchanges; errors name the Exchange and the field. */
export function parseExchanges(text: string): Exchange[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ExchangeFileError(`not an Exchange file: ${(error as Error).message}`);
  }
  const bundle = z.object({ format: z.literal(EXCHANGES_FORMAT), version: z.literal(EXCHANGE_VERSION), exchanges: z.array(z.unknown()) }).safeParse(data);
  // A plain JSON array of Exchanges is read too (what a script collects from --json outputs).
  const list = Array.isArray(data) ? data : bundle.success ? bundle.data.exchanges : undefined;
  if (!list) return [parseExchange(text)];
  return list.map((item, i) => {
    const parsed = exchangeSchema.safeParse(item);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new ExchangeFileError(`invalid Exchange ${i + 1} of the bundle: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
    }
    return parsed.data;
  });
}
