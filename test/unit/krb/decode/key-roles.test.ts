/**
 * Learned keys carry their role (a TGT's or another ticket's session key, a subkey, a TGS-REQ's
 * subkey, a FAST key), and trial decryption tries a key only on the parts its role can seal
 * (RFC 4120 §7.5.1, RFC 6113): a capture of many sessions otherwise tried every learned key on
 * every part no key opens (issue 18). Real bytes: curl's SPNEGO AP-REQ and the world keytab
 * (test/fixtures/world); the keys are put on a ring by hand in the role under test.
 */
import { describe, expect, it } from 'vitest';
import { decodeBytes } from '../../../../main/inspect/decode';
import { decodeAuto } from '../../../../main/krb/decode/auto';
import { checkKeyedChecksum } from '../../../../main/krb/decode/checksum';
import { parseTokenText } from '../../../../main/krb/decode/input';
import { KeyRing, type KeyEntry, type KeyRole } from '../../../../main/krb/decode/keyring';
import { createDecodeSession } from '../../../../main/krb/decode/session';
import { getEnctype, keyedChecksum } from '../../../../main/krb/crypto';
import { findNode, type TreeNode } from '../../../../main/krb/tree';
import { KeyUsage } from '../../../../main/krb/usages';
import { world, worldKeytab } from '../../../helpers/world';

const token = parseTokenText(world.curlAuthorization);
const SERVICE = 'HTTP/localhost@WORLD.TEST';
const serviceKey = worldKeytab.find((e) => e.principal.components.join('/') === 'HTTP/localhost' && e.enctype === 18)!.key;

/** The ticket's session key, read once with the service keytab. */
function ticketSessionKey(): Buffer {
  const opened = decodeBytes(token, [{ kind: 'keytab', label: 'world.keytab', entries: worldKeytab }], { revealSecrets: true });
  return Buffer.from(opened.learnedKeyValues!.find((k) => k.source.startsWith(`session key of the ticket for ${SERVICE}`))!.key, 'hex');
}

function learned(key: Buffer, role: KeyRole | undefined): KeyEntry {
  return { enctype: 18, key, origin: 'learned', source: `a key in role ${role ?? 'none'}`, ...(role ? { role } : {}) };
}

/** The AP-REQ's ticket enc-part and authenticator, decoded with a ring holding exactly `entries`. */
function decodeWith(...entries: KeyEntry[]): { ticket: TreeNode; authenticator: TreeNode } {
  const keyring = new KeyRing();
  for (const entry of entries) keyring.add(entry);
  const apReq = findNode(decodeAuto(token, { session: { keyring } }).tree, 'AP-REQ')!;
  return { ticket: findNode(findNode(apReq, 'ticket')!, 'enc-part')!, authenticator: findNode(apReq, 'authenticator')! };
}

describe('learned keys are tried only where their role can seal the part', () => {
  it('a ticket: a subkey or another ticket\'s session key is not tried; a TGT\'s session key is (user-to-user), and so is a key with no role', () => {
    for (const role of ['subkey', 'ticket-session', 'tgs-subkey', 'fast', 'fast-reply'] as const) {
      expect(decodeWith(learned(serviceKey, role)).ticket.decrypted, role).toBeUndefined();
    }
    expect(decodeWith(learned(serviceKey, 'tgt-session')).ticket.decrypted?.keySource).toBe('a key in role tgt-session');
    expect(decodeWith(learned(serviceKey, undefined)).ticket.decrypted?.keySource).toBe('a key in role none');
  });

  it("an authenticator: only session keys of the presented ticket's kind (a service ticket here, not a TGT)", () => {
    const key = ticketSessionKey();
    expect(decodeWith(learned(key, 'ticket-session')).authenticator.decrypted?.keySource).toBe('a key in role ticket-session');
    for (const role of ['tgt-session', 'subkey', 'fast'] as const) {
      const { authenticator } = decodeWith(learned(key, role));
      expect(authenticator.decrypted, role).toBeUndefined();
      // Nothing of a fitting role was there to try: sealed, not an error that names keys tried.
      expect(authenticator.error, role).toBeUndefined();
    }
  });

  it('with the keytab the whole token opens as before, and every learned key got its role', () => {
    const keyring = new KeyRing();
    keyring.add({ enctype: 18, key: serviceKey, origin: 'keytab', source: 'keytab', principal: SERVICE });
    decodeAuto(token, { session: { keyring } });
    const roles = keyring.made().filter((k) => k.origin === 'learned').map((k) => [k.source.split(' (')[0], k.role]);
    expect(roles).toEqual([
      [`session key of the ticket for ${SERVICE}`, 'ticket-session'],
      ['initiator subkey from the Authenticator of alice@WORLD.TEST', 'subkey'],
    ]);
  });

  it('the same key learned in two roles loses its role (tried everywhere again)', () => {
    const ring = new KeyRing();
    const key = Buffer.alloc(32, 1);
    const entry = ring.add(learned(key, 'subkey'));
    ring.add(learned(key, 'ticket-session'));
    expect(entry.role).toBeUndefined();
  });

  it("real KDC traffic (kinit with FAST, then kvno): the TGS-REQ's subkey is a TGS subkey, the armor AP-REQ's a subkey, a TGT's session key is a TGT's", () => {
    const session = createDecodeSession([{ kind: 'keytab', label: 'world.keytab', entries: worldKeytab }]);
    const stream = Buffer.from(world.kdcStreamFast, 'hex');
    for (let at = 0; at < stream.length; at += 4 + stream.readUInt32BE(at)) decodeAuto(stream.subarray(at + 4, at + 4 + stream.readUInt32BE(at)), { session });
    const roles = new Set(session.keyring.made().filter((k) => k.origin === 'learned').map((k) => `${k.source.split(' (')[0]!.replace(/ of .*| for .*/, '')}: ${k.role ?? 'none'}`));
    expect(roles).toContain('initiator subkey from the Authenticator: tgs-subkey');
    expect(roles).toContain('initiator subkey from the Authenticator: subkey');
    expect([...roles].some((r) => /^session key.*: tgt-session$/.test(r))).toBe(true);
  });

  it('an Authenticator decoded on its own teaches its subkey with no role: nobody knows which exchange it came from', () => {
    const keyring = new KeyRing();
    keyring.add({ enctype: 18, key: serviceKey, origin: 'keytab', source: 'keytab', principal: SERVICE });
    const apReq = findNode(decodeAuto(token, { session: { keyring }, revealSecrets: true }).tree, 'AP-REQ')!;
    const plaintext = findNode(apReq, 'authenticator')!.decrypted!;
    expect(plaintext.tree.name).toBe('Authenticator');
    const alone = new KeyRing();
    decodeAuto(Buffer.from(plaintext.plaintext!, 'hex'), { session: { keyring: alone } });
    expect(alone.made().map((k) => [k.source.split(' of ')[0], k.role])).toEqual([['initiator subkey from the Authenticator', undefined]]);
  });

  it("a per-message token's keys: the current conversation's first, then the newest", () => {
    const ring = new KeyRing();
    ring.enterConversation('a');
    const mine = ring.add(learned(Buffer.alloc(32, 1), 'subkey'));
    ring.enterConversation('b');
    const newer = ring.add(learned(Buffer.alloc(32, 2), 'subkey'));
    ring.enterConversation('a');
    expect(ring.allLearnedFirst().slice(0, 2)).toEqual([mine, newer]);
    ring.enterConversation(undefined);
    expect(ring.allLearnedFirst().slice(0, 2)).toEqual([newer, mine]);
  });

  it('a keyed checksum is tried only with the keys `canMake` allows (PAC signatures: long-term keys)', () => {
    const key = getEnctype(18)!.randomKey();
    const data = Buffer.from('signed bytes');
    const checksum = keyedChecksum(16, key, KeyUsage.PAC_CHECKSUM, data);
    const keys = [learned(key, 'subkey'), learned(key, undefined)];
    expect(checkKeyedChecksum(16, KeyUsage.PAC_CHECKSUM, data, checksum, keys)).toEqual({ verified: keys[0], tried: 2 });
    expect(checkKeyedChecksum(16, KeyUsage.PAC_CHECKSUM, data, checksum, keys, (k) => k.role === undefined)).toEqual({ verified: keys[1], tried: 1 });
  });
});
