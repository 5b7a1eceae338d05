/**
 * keytab and ccache files under hostile input: MIT-written keytabs (world fixture, both
 * generations of enctypes), MIT ccaches (kinit's v4 and built v3, with the v1/v2 byte orders),
 * mutated; also damaged-keytab recovery and the "what is this file" sniffing that runs first.
 * Only KrbDecodeError may escape, naming a byte offset; decoded trees stay inside the file.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCcache, parsesAsCcache } from '../../main/krb/ccache';
import { KrbDecodeError } from '../../main/krb/errors';
import { identifyInput, keytabOrOldCcache, wrongInputMessage } from '../../main/krb/identify';
import { isKeytab, parseKeytab, writeKeytab } from '../../main/krb/keytab';
import { recoverKeytab } from '../../main/krb/keytab-recovery';
import { ccache } from '../helpers/ccache-builder';
import { assertInBounds, namesOffset } from './binary-checks';
import { worldCcaches, worldKeytabs } from './binary-seeds';
import { fuzz, fuzzTimeout, mutatedBytes } from './harness';

/** A v3 ccache with its version byte set to 1 or 2: the old formats' header and byte-order rules. */
const withVersion = (bytes: Buffer, version: number): Buffer => Buffer.concat([Buffer.from([5, version]), bytes.subarray(2)]);
const CCACHES = [...worldCcaches, ccache(4), ccache(3), withVersion(ccache(3), 1), withVersion(ccache(3), 2)];

describe('fuzz: keytab and ccache', () => {
  it('has real seeds', () => {
    for (const keytab of worldKeytabs) expect(parseKeytab(keytab).keytab.entries.length).toBeGreaterThan(0);
    for (const c of CCACHES.slice(0, 3)) expect(parseCcache(c).ccache.credentials.length).toBeGreaterThan(0);
  });

  it(
    'parseKeytab: a file that reads writes back the same entries',
    () =>
      fuzz({
        name: 'keytab.parse',
        input: fc.tuple(fc.boolean(), mutatedBytes(worldKeytabs, 10)),
        run: ([revealKeys, bytes]) => {
          isKeytab(bytes);
          const { keytab, tree } = parseKeytab(bytes, { revealKeys });
          assertInBounds(tree, 0, bytes.length);
          const again = parseKeytab(writeKeytab(keytab)).keytab;
          if (again.entries.length !== keytab.entries.length) throw new Error(`${keytab.entries.length} entries read, ${again.entries.length} after writing them back`);
        },
        typed: [KrbDecodeError],
        checkTyped: namesOffset,
      }),
    fuzzTimeout(),
  );

  it(
    'recoverKeytab: what a damaged keytab still holds',
    () =>
      fuzz({
        name: 'keytab.recover',
        input: mutatedBytes(worldKeytabs, 10),
        run: (bytes) => {
          let strict: KrbDecodeError;
          try {
            parseKeytab(bytes);
            return;
          } catch (error) {
            if (!(error instanceof KrbDecodeError)) throw error;
            strict = error;
          }
          const recovered = recoverKeytab(bytes, strict);
          if (recovered) assertInBounds(recovered.tree, 0, bytes.length);
        },
        typed: [KrbDecodeError],
        checkTyped: namesOffset,
      }),
    fuzzTimeout(),
  );

  it(
    'parseCcache (v1–v4)',
    () =>
      fuzz({
        name: 'ccache.parse',
        input: fc.tuple(fc.boolean(), mutatedBytes(CCACHES, 10)),
        run: ([revealKeys, bytes]) => {
          parsesAsCcache(bytes);
          assertInBounds(parseCcache(bytes, { revealKeys }).tree, 0, bytes.length);
        },
        typed: [KrbDecodeError],
        checkTyped: namesOffset,
      }),
    fuzzTimeout(),
  );

  it(
    'identifying a keytab, a ccache or a message never throws',
    () =>
      fuzz({
        name: 'identify',
        input: mutatedBytes([...worldKeytabs, ...CCACHES]),
        run: (bytes) => {
          identifyInput(bytes);
          keytabOrOldCcache(bytes);
          wrongInputMessage(bytes, 'keytab', 'a keytab');
          wrongInputMessage(bytes, 'ccache', 'a ccache');
        },
        typed: [],
      }),
    fuzzTimeout(),
  );
});
