/**
 * DER and every Kerberos message decoder, PACs and kpasswd, under hostile input: the world
 * fixture's real MIT/JVM messages mutated around their encrypted parts and inside them (the
 * plaintext changed and sealed again with the key that opened it, so the decoders behind
 * decryption see hostile bytes too). Only KrbDecodeError may escape, naming a byte offset; every
 * decoded node lies inside the bytes it describes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeAuto } from '../../main/krb/decode/auto';
import { decodeDer, type Schema } from '../../main/krb/der/schema';
import { KrbDecodeError } from '../../main/krb/errors';
import { decodeKpasswd } from '../../main/krb/kpasswd';
import { AuthorizationData, EtypeInfo2, KdcReqBody, MESSAGE_BY_TAG, MethodData, PaData, decodeKerberosMessage } from '../../main/krb/messages';
import { decodePac } from '../../main/krb/messages/pac';
import type { TreeNode } from '../../main/krb/tree';
import { assertInBounds, namesOffset } from './binary-checks';
import { openedParts, sessionWith, worldMessages, worldPlaintexts, worldRecords, worldSession } from './binary-seeds';
import { fuzz, fuzzRuns, fuzzTimeout, mutatedBytes } from './harness';

const plaintexts = worldPlaintexts();
const parts = openedParts();

/** PACs as MIT's KDC issued them: the AD-WIN2K-PAC buffers inside the tickets the fixture's keys open. */
function pacsIn(node: TreeNode, plaintext: Buffer | undefined, out: Buffer[]): Buffer[] {
  if (node.type === 'PACTYPE' && plaintext) out.push(plaintext.subarray(node.offset, node.offset + node.length));
  if (node.decrypted?.plaintext) pacsIn(node.decrypted.tree, Buffer.from(node.decrypted.plaintext, 'hex'), out);
  for (const child of node.children ?? []) pacsIn(child, plaintext, out);
  return out;
}
const pacs = [...new Map(worldMessages.flatMap((m) => pacsIn(decodeAuto(m, { session: worldSession(), revealSecrets: true }).tree, undefined, []).map((p) => [p.toString('hex'), p]))).values()];

/** Schemas decoded directly (not only by their [APPLICATION] tag): every message and the inner SEQUENCEs. */
const SCHEMAS: [string, Schema<unknown>][] = [
  ...Object.values(MESSAGE_BY_TAG).map((m): [string, Schema<unknown>] => [m.name, m.schema]),
  ['AuthorizationData', AuthorizationData as Schema<unknown>],
  ['METHOD-DATA', MethodData as Schema<unknown>],
  ['ETYPE-INFO2', EtypeInfo2 as Schema<unknown>],
  ['KDC-REQ-BODY', KdcReqBody as Schema<unknown>],
  ['PA-DATA', PaData as Schema<unknown>],
];

function decodeAutoChecked(bytes: Uint8Array, session = worldSession()): void {
  const { tree } = decodeAuto(bytes, { session, revealSecrets: true });
  assertInBounds(tree, 0, bytes.length);
}

describe('fuzz: DER and Kerberos messages', () => {
  it('has real seeds', () => {
    expect(worldMessages.length).toBeGreaterThanOrEqual(40);
    expect(plaintexts.length).toBeGreaterThanOrEqual(60);
    expect(parts.length).toBeGreaterThanOrEqual(60);
    expect(pacs.length).toBeGreaterThanOrEqual(2);
  });

  it(
    'decodeAuto with keys: messages, streams and plaintexts mutated',
    () =>
      fuzz({
        name: 'krb.decodeAuto',
        input: mutatedBytes([...worldMessages, ...plaintexts]),
        run: decodeAutoChecked,
        typed: [KrbDecodeError],
        checkTyped: namesOffset,
      }),
    fuzzTimeout(),
  );

  it(
    'decodeAuto with keys: mutations inside encrypted parts, sealed again',
    () =>
      fuzz(
        {
          name: 'krb.decodeAuto.inside-encryption',
          input: fc.tuple(fc.nat(), fc.nat()).chain(([pick]) => {
            const part = parts[pick % parts.length]!;
            return mutatedBytes([part.plaintext]).map((plain) => ({ part: pick % parts.length, plain }));
          }),
          run: ({ part: index, plain }) => {
            const part = parts[index]!;
            // Same length as the original, so the ciphertext fits its field: cut or zero-filled.
            const fitted = Buffer.alloc(part.plaintext.length);
            plain.copy(fitted, 0, 0, Math.min(plain.length, fitted.length));
            const sealed = part.seal(fitted);
            const bytes = Buffer.from(part.seed);
            sealed.copy(bytes, part.offset);
            decodeAutoChecked(bytes, sessionWith(part.learnt));
          },
          typed: [KrbDecodeError],
          checkTyped: namesOffset,
          // A FAST record decrypted with every learnt key takes ~25 ms alone; on a loaded machine a
          // GC pause pushed one past the 2 s default. A real hang still stands out.
          hangMs: 10_000,
        },
        fuzzRuns(200),
      ),
    fuzzTimeout(),
  );

  it(
    'decodeDer with each schema directly',
    () =>
      fuzz({
        name: 'krb.decodeDer',
        input: fc.tuple(fc.nat(), mutatedBytes([...worldRecords, ...plaintexts])),
        run: ([pick, bytes]) => {
          const [name, schema] = SCHEMAS[pick % SCHEMAS.length]!;
          const { tree } = decodeDer(schema, bytes, name, { extra: worldSession(), exact: pick % 2 === 0 });
          assertInBounds(tree, 0, bytes.length);
        },
        typed: [KrbDecodeError],
        checkTyped: namesOffset,
      }),
    fuzzTimeout(),
  );

  it(
    'decodeKerberosMessage and decodeKpasswd at an offset',
    () =>
      fuzz({
        name: 'krb.messages+kpasswd',
        input: fc.tuple(fc.integer({ min: 0, max: 5000 }), mutatedBytes(worldRecords)),
        run: ([base, bytes]) => {
          const message = bytes[0] === 0 ? decodeKpasswd(bytes, base, { session: worldSession() }) : decodeKerberosMessage(bytes, { base, session: worldSession(), allowTrailing: base % 2 === 0 });
          assertInBounds(message.tree, base, base + bytes.length);
        },
        typed: [KrbDecodeError],
        checkTyped: (error, [base]) => {
          namesOffset(error);
          if (error instanceof KrbDecodeError && error.offset < base) throw new Error(`offset ${error.offset} before the input's base ${base}: ${error.message}`);
        },
      }),
    fuzzTimeout(),
  );

  it(
    'decodePac: MIT-issued PACs mutated',
    () =>
      fuzz({
        name: 'krb.decodePac',
        input: fc.tuple(fc.integer({ min: 0, max: 4096 }), mutatedBytes(pacs, 12)),
        run: ([base, bytes]) => assertInBounds(decodePac(bytes, base).tree, base, base + bytes.length),
        typed: [KrbDecodeError],
        checkTyped: namesOffset,
      }),
    fuzzTimeout(),
  );

  it(
    'random bytes behind every first byte a decoder dispatches on',
    () =>
      fuzz({
        name: 'krb.decodeAuto.random',
        input: fc.tuple(fc.constantFrom(0x60, 0x61, 0x62, 0x63, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x74, 0x75, 0x76, 0x7e, 0xa0, 0xa1, 0x30, 0x05, 0x04, 0x00, 0x01, 0x02, 0x4e), fc.uint8Array({ maxLength: 400 })),
        run: ([first, rest]) => decodeAutoChecked(Buffer.concat([Buffer.from([first]), rest])),
        typed: [KrbDecodeError],
        checkTyped: namesOffset,
      }),
    fuzzTimeout(),
  );
});
