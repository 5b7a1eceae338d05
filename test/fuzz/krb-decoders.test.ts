/**
 * Hostile input against every decoder, seeded with real MIT traffic: truncation at every byte,
 * random mutations, deep nesting and huge length prefixes must end in a KrbDecodeError (or a
 * decoded tree whose nodes stay inside the input) — never another exception, never a hang.
 */
import { readFile } from 'node:fs/promises';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAuto } from '../../main/krb/decode/auto';
import { createDecodeSession } from '../../main/krb/decode/session';
import { decodeDer } from '../../main/krb/der/schema';
import { KrbDecodeError } from '../../main/krb/errors';
import { parseKeytab } from '../../main/krb/keytab';
import { Ticket } from '../../main/krb/messages';
import { AuthorizationData } from '../../main/krb/messages/authdata';
import type { TreeNode } from '../../main/krb/tree';
import { captureKinitKvno, type CapturedExchange } from '../helpers/capture';
import { clientToken } from '../helpers/gss-peer';
import { createTestRealm, type TestRealm } from '../helpers/lab';
import { world, worldKeytab } from '../helpers/world';

/** Decodes with the keytab (so decryption paths run too); only KrbDecodeError may escape. */
function decodeSafely(bytes: Uint8Array, keytab: ReturnType<typeof parseKeytab>['keytab']): TreeNode | KrbDecodeError {
  try {
    return decodeAuto(bytes, { session: createDecodeSession([{ kind: 'keytab', label: 'fuzz', entries: keytab.entries }]) }).tree;
  } catch (error) {
    if (error instanceof KrbDecodeError) return error;
    throw new Error(`non-typed error on ${Buffer.from(bytes).toString('hex').slice(0, 80)}…: ${(error as Error).stack}`);
  }
}

/** Nodes outside decrypted parts must point inside the input. */
function assertInBounds(node: TreeNode, length: number): void {
  expect(node.offset).toBeGreaterThanOrEqual(0);
  expect(node.offset + node.length).toBeLessThanOrEqual(length);
  for (const child of node.children ?? []) assertInBounds(child, length);
}

describe('decoders under hostile input', () => {
  let lab: TestRealm;
  let exchange: CapturedExchange;
  let keytab: ReturnType<typeof parseKeytab>['keytab'];
  let seeds: Buffer[];

  beforeAll(async () => {
    lab = await createTestRealm();
    exchange = await captureKinitKvno(lab);
    keytab = parseKeytab(await readFile(exchange.keytabFile)).keytab;
    const apReq = Buffer.from(await clientToken(lab.env), 'base64');
    seeds = [...exchange.messages, apReq, await readFile(lab.ccache), await readFile(lab.serviceKeytab)];
  });
  afterAll(() => lab?.destroy());

  it('fails with a typed error at every truncation point of every message', () => {
    let cuts = 0;
    for (const seed of seeds) {
      for (let cut = 0; cut < seed.length; cut++) {
        const result = decodeSafely(seed.subarray(0, cut), keytab);
        if (!(result instanceof KrbDecodeError)) assertInBounds(result, cut);
        cuts++;
      }
    }
    expect(cuts).toBeGreaterThan(3000);
  });

  it('survives random byte mutations, insertions and deletions', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1000 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'insert', 'delete')), { minLength: 1, maxLength: 8 }),
        (pick, edits) => {
          const seed = seeds[pick % seeds.length]!;
          let bytes = Buffer.from(seed);
          for (const [at, value, kind] of edits) {
            const i = at % Math.max(1, bytes.length);
            if (kind === 'set') bytes[i] = value;
            else if (kind === 'insert') bytes = Buffer.concat([bytes.subarray(0, i), Buffer.from([value]), bytes.subarray(i)]);
            else bytes = Buffer.concat([bytes.subarray(0, i), bytes.subarray(i + 1)]);
          }
          const result = decodeSafely(bytes, keytab);
          if (!(result instanceof KrbDecodeError)) assertInBounds(result, bytes.length);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('survives random bytes behind every known first byte', () => {
    fc.assert(
      fc.property(fc.constantFrom(0x60, 0x61, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x7e, 0x76, 0xa0, 0xa1, 0x05, 0x04, 0x01, 0x02), fc.uint8Array({ maxLength: 300 }), (first, rest) => {
        const bytes = Buffer.concat([Buffer.from([first]), rest]);
        const result = decodeSafely(bytes, keytab);
        if (!(result instanceof KrbDecodeError)) assertInBounds(result, bytes.length);
      }),
      { numRuns: 5000 },
    );
  });

  it('refuses huge declared lengths without allocating them', () => {
    for (const header of ['30847fffffff', '6e84ffffffff', '6084ffffff00', '3085ffffffffff', '0502000000ff']) {
      const bytes = Buffer.concat([Buffer.from(header, 'hex'), Buffer.alloc(16)]);
      expect(decodeSafely(bytes, keytab)).toBeInstanceOf(KrbDecodeError);
    }
  });

  it('stops at a nesting limit instead of overflowing the stack', () => {
    // AD-IF-RELEVANT inside AD-IF-RELEVANT inside …: the one recursive shape in Kerberos.
    let inner: Buffer = Buffer.alloc(0);
    let encoded: Buffer = AuthorizationData.encode([{ adType: 1, adData: inner }]);
    for (let depth = 0; depth < 5000; depth++) {
      inner = encoded;
      encoded = AuthorizationData.encode([{ adType: 1, adData: inner }]);
    }
    const { tree } = decodeDer(AuthorizationData, encoded, 'AuthorizationData');
    expect(JSON.stringify(tree)).toMatch(/nesting deeper than \d+ levels/);

    // And a plain tower of SEQUENCEs where a Ticket is expected: a typed error, no recursion.
    let tower: Buffer = Buffer.from([0x30, 0x00]);
    for (let depth = 0; depth < 2000; depth++) tower = Buffer.concat([Buffer.from([0x30, 0x82, tower.length >> 8, tower.length & 0xff]), tower]);
    expect(() => decodeDer(Ticket, tower, 'Ticket')).toThrow(KrbDecodeError);
  });
});

describe('decoders under hostile input: material other tools made (world fixture)', () => {
  // kpasswd framing, KRB-SAFE/KRB-PRIV, S4U padata and the TCP record stream around them, each
  // mutated and decoded with the keys that open the originals.
  const keytab = { entries: worldKeytab };
  const mitKey = Buffer.from(world.mitSafe.key, 'hex');
  const records = (hex: string) => {
    const stream = Buffer.from(hex, 'hex');
    return (decodeAuto(stream).tree.children ?? []).map((r) => stream.subarray(r.offset + 4, r.offset + r.length));
  };
  const seeds = [...records(world.kpasswdStream), ...records(world.setPasswordStream), ...records(world.kdcStreamS4u), Buffer.from(world.mitSafe.safe, 'hex'), Buffer.from(world.mitSafe.priv, 'hex')];
  const decodeWorld = (bytes: Uint8Array): TreeNode | KrbDecodeError => {
    try {
      const session = createDecodeSession([
        { kind: 'keytab', label: 'world', entries: keytab.entries },
        { kind: 'raw', enctype: 18, key: mitKey },
      ]);
      return decodeAuto(bytes, { session }).tree;
    } catch (error) {
      if (error instanceof KrbDecodeError) return error;
      throw new Error(`non-typed error on ${Buffer.from(bytes).toString('hex').slice(0, 80)}…: ${(error as Error).stack}`);
    }
  };

  it('survives random mutations of kpasswd, KRB-SAFE, KRB-PRIV and S4U messages', () => {
    expect(seeds.length).toBeGreaterThanOrEqual(20);
    fc.assert(
      fc.property(fc.nat(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), (pick, edits) => {
        const bytes = Buffer.from(seeds[pick % seeds.length]!);
        for (const [at, value] of edits) bytes[at % bytes.length] = value;
        const result = decodeWorld(bytes);
        if (!(result instanceof KrbDecodeError)) assertInBounds(result, bytes.length);
      }),
      { numRuns: 600 },
    );
  });
});
