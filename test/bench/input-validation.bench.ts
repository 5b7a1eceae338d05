/**
 * What the depth checks cost on real input. An Exchange of a real size — 6 steps, each with the
 * decoded tree of a real MIT AP-REQ (ticket and authenticator decrypted) — is validated as every
 * Bench API call that carries one is. Baseline: the whole zod validation of the Exchange (which
 * includes the field-tree depth check); compared in the same run: the field-tree depth check
 * alone (treeTooDeep) and the dispatcher's generic nesting walk alone (tooDeepAt).
 */
import { bench, describe } from 'vitest';
import { tooDeepAt, MAX_INPUT_NESTING } from '../../main/engine/dispatch';
import { exchangeSchema } from '../../main/exchange/serialize';
import type { Exchange } from '../../main/exchange/model';
import { decodeBytes } from '../../main/inspect/decode';
import { parseRawKey } from '../../main/krb/decode/session';
import { treeTooDeep } from '../../main/krb/tree';
import { samples } from '../../renderer/src/samples';

// The Decoder's sample: a real MIT AP-REQ and the lab service key that opens it.
const sample = samples[0]!;
const token = Buffer.from(sample.text, 'hex');
const decoded = decodeBytes(token, sample.keys.map(parseRawKey)).tree;
const exchange: Exchange = {
  id: 'bench',
  source: 'import',
  role: 'server',
  mechanism: 'GSSAPI-KERBEROS',
  startedAt: '2026-12-06T00:00:00.000Z',
  steps: Array.from({ length: 6 }, (_, index) => ({
    index,
    direction: index % 2 ? 'server-to-client' : 'client-to-server',
    at: '2026-12-06T00:00:00.000Z',
    elapsedMs: index,
    transport: { protocol: 'mqtt', packet: index ? 'AUTH' : 'CONNECT' },
    token: token.toString('base64'),
    decoded,
  })),
  verdict: { outcome: 'success', reason: 'authenticated' },
};
const args = [{ exchange }];

describe('validating an Exchange of 6 decoded AP-REQs', () => {
  bench('zod validation of the Exchange, tree depth check included (baseline)', () => {
    if (!exchangeSchema.safeParse(exchange).success) throw new Error('the sample Exchange must be valid');
  });
  bench('field-tree depth check alone (treeTooDeep, every step)', () => {
    for (const step of exchange.steps) if (treeTooDeep(step.decoded)) throw new Error('too deep');
  });
  bench("dispatcher's nesting walk alone (tooDeepAt over the arguments)", () => {
    if (tooDeepAt(args, MAX_INPUT_NESTING)) throw new Error('too deep');
  });
});
