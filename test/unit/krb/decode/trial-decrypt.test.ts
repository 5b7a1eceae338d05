/**
 * Trial decryption against a crowded key ring (issue 18): a wrong key's failed integrity check is
 * tryDecrypt's null, not a KrbCryptoError with its stack trace, and the likely key is tried
 * first — the ticket's service key by name, the authenticator's session key from the ticket it
 * came with — so a hundred wrong keys of the same enctype cost nothing and change nothing.
 * Real bytes: curl's SPNEGO token and the world keytab (test/fixtures/world).
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { decodeBytes } from '../../../../main/inspect/decode';
import { getEnctype, SUPPORTED_ENCTYPES } from '../../../../main/krb/crypto';
import { parseTokenText } from '../../../../main/krb/decode/input';
import type { KeySpec } from '../../../../main/krb/decode/session';
import { KrbCryptoError } from '../../../../main/krb/errors';
import { findNode, type TreeNode } from '../../../../main/krb/tree';
import { world, worldKeytab } from '../../../helpers/world';

const token = parseTokenText(world.curlAuthorization);
const KEYTAB: KeySpec = { kind: 'keytab', label: 'world.keytab', entries: worldKeytab };
/** Keys of the token's enctype (aes256-cts-hmac-sha1-96) that open nothing. */
const WRONG: KeySpec[] = Array.from({ length: 100 }, () => ({ kind: 'raw', enctype: 18, key: randomBytes(32) }));

/**
 * Counts KrbCryptoError constructions: `super()` in a derived class calls whatever its
 * constructor's prototype is at that moment, so a counting Error slipped in between sees each one.
 */
function countCryptoErrors(): { count: () => number; restore: () => void } {
  let count = 0;
  class Counting extends Error {
    constructor(message?: string) {
      super(message);
      count++;
    }
  }
  Object.setPrototypeOf(KrbCryptoError, Counting);
  return { count: () => count, restore: () => void Object.setPrototypeOf(KrbCryptoError, Error) };
}

function sources(tree: TreeNode): { ticket?: string; authenticator?: string } {
  const apReq = findNode(tree, 'AP-REQ')!;
  const ticket = findNode(findNode(apReq, 'ticket')!, 'enc-part')!;
  return { ticket: ticket.decrypted?.keySource, authenticator: findNode(apReq, 'authenticator')!.decrypted?.keySource };
}

describe('trial decryption: wrong keys are cheap, the likely key is tried first', () => {
  const counter = countCryptoErrors();
  afterEach(() => vi.restoreAllMocks());

  it('the counter sees a KrbCryptoError, so a zero below means none was made', () => {
    const before = counter.count();
    expect(() => getEnctype(18)!.decrypt(randomBytes(32), 2, Buffer.alloc(64))).toThrow(KrbCryptoError);
    expect(counter.count()).toBe(before + 1);
  });

  it('tryDecrypt answers a wrong key with null and no Error, for every enctype; decrypt still throws integrity', () => {
    for (const id of SUPPORTED_ENCTYPES) {
      const enctype = getEnctype(id)!;
      const key = enctype.randomKey();
      const sealed = enctype.encrypt(key, 7, Buffer.from('the plaintext'));
      const before = counter.count();
      expect(enctype.tryDecrypt(enctype.randomKey(), 7, sealed), enctype.name).toBeNull();
      expect(counter.count(), enctype.name).toBe(before);
      expect(enctype.tryDecrypt(key, 7, sealed)!.subarray(0, 13).toString()).toBe('the plaintext');
      expect(() => enctype.decrypt(enctype.randomKey(), 7, sealed)).toThrow(expect.objectContaining({ code: 'integrity' }));
    }
  });

  it('a hundred wrong keys of the enctype: the same parts open with the same keys, no Error is made, the likely keys are tried first', () => {
    const expected = sources(decodeBytes(token, [KEYTAB]).tree);
    expect(expected.ticket).toMatch(/^keytab world\.keytab: HTTP\/localhost@WORLD\.TEST/);
    expect(expected.authenticator).toMatch(/^session key of the ticket for HTTP\/localhost@WORLD\.TEST/);
    const aes256 = getEnctype(18)!;
    const tries = vi.spyOn(aes256, 'tryDecrypt');
    const decrypts = vi.spyOn(aes256, 'decrypt');
    const before = counter.count();
    const report = decodeBytes(token, [...WRONG, KEYTAB]);
    expect(sources(report.tree)).toEqual(expected);
    expect(counter.count()).toBe(before);
    expect(decrypts).not.toHaveBeenCalled();
    // The ticket by its service's name, the authenticator by the ticket's session key: one try each.
    expect(tries).toHaveBeenCalledTimes(2);
  });

  it('a part no key opens is still tried with every key, and says so', () => {
    const before = counter.count();
    const report = decodeBytes(token, WRONG);
    expect(counter.count()).toBe(before);
    const ticket = findNode(findNode(findNode(report.tree, 'AP-REQ')!, 'ticket')!, 'enc-part')!;
    expect(ticket.decrypted).toBeUndefined();
    expect(ticket.error).toMatch(/none of the 100 aes256-cts-hmac-sha1-96 key\(s\) decrypts this/);
  });

  it('restores KrbCryptoError', () => {
    counter.restore();
    expect(Object.getPrototypeOf(KrbCryptoError)).toBe(Error);
  });
});
