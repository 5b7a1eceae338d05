import { describe, expect, it } from 'vitest';
import { ExchangeFileError, exchangeSchema, parseExchange, parseExchanges, serializeExchange } from '../../../main/exchange/serialize';
import { MAX_TREE_DEPTH } from '../../../main/krb/tree';
import { deepExchangeFileJson, deepTree, exchangeWithTree } from '../../helpers/deep-tree';

describe('Exchange files', () => {
  it('round-trips an Exchange with a field tree as deep as the limit', () => {
    const exchange = exchangeWithTree(deepTree(MAX_TREE_DEPTH));
    expect(parseExchange(serializeExchange(exchange))).toEqual(exchange);
  });

  it.each([
    ['children', MAX_TREE_DEPTH + 1],
    ['decrypted', MAX_TREE_DEPTH + 1],
    ['children', 800],
  ] as const)('refuses a field tree nested through %s %i levels deep, naming the step', (via, levels) => {
    const text = JSON.stringify({ format: 'kbench-exchange', version: 1, exchange: exchangeWithTree(deepTree(levels, via)) });
    expect(() => parseExchange(text)).toThrow(`invalid Exchange: steps.0.decoded: the field tree is nested deeper than ${MAX_TREE_DEPTH} levels`);
  });

  it('refuses a tree too deep to serialise with JSON.stringify, without recursion', () => {
    expect(() => parseExchange(deepExchangeFileJson(200_000))).toThrow(`invalid Exchange: steps.0.decoded: the field tree is nested deeper than ${MAX_TREE_DEPTH} levels`);
  });

  it('refuses what is not an Exchange file with the typed ExchangeFileError the fuzz target expects', () => {
    for (const text of ['{', '{"format":"kbench-exchange","version":2}', '{"format":"kbench-exchanges","version":1,"exchanges":[{}]}']) {
      expect(() => parseExchanges(text)).toThrow(ExchangeFileError);
    }
    expect(() => parseExchange('[]')).toThrow(/^not an Exchange file/);
  });

  it('still checks the shape of a tree that is shallow enough', () => {
    const exchange = exchangeWithTree({ name: 'x', type: 'y', offset: 0, length: 1, children: [{ name: 'z' } as never] });
    expect(exchangeSchema.safeParse(exchange).success).toBe(false);
  });
});
