/**
 * Encrypted parts a side cannot open because only the peer holds the key are sealed, not broken:
 * curl's real SPNEGO token (test/fixtures/world) as the client's credential cache sees it (its
 * session key opens the authenticator, the ticket stays encrypted for HTTP/localhost), with no
 * keys at all, and with keys that could fit but do not (a wrong session key, another principal's
 * long-term key), which stay errors.
 */
import { describe, expect, it } from 'vitest';
import { decodeBytes } from '../../../../main/inspect/decode';
import { parseTokenText } from '../../../../main/krb/decode/input';
import type { KeySpec } from '../../../../main/krb/decode/session';
import { parsePrincipal } from '../../../../main/krb/names';
import { findNode, type TreeNode } from '../../../../main/krb/tree';
import { world, worldKeytab } from '../../../helpers/world';

const token = parseTokenText(world.curlAuthorization);
const SERVICE = 'HTTP/localhost@WORLD.TEST';

/** The AP-REQ's two encrypted parts: the ticket's enc-part and the authenticator. */
function parts(tree: TreeNode): { ticket: TreeNode; authenticator: TreeNode } {
  const apReq = findNode(tree, 'AP-REQ')!;
  const ticket = findNode(findNode(apReq, 'ticket')!, 'enc-part')!;
  return { ticket, authenticator: findNode(apReq, 'authenticator')! };
}

/** The ticket's session key, as the client's ccache holds it (read here with the service keytab). */
function sessionKey(): Buffer {
  const opened = decodeBytes(token, [{ kind: 'keytab', label: 'world.keytab', entries: worldKeytab }], { revealSecrets: true });
  const learned = opened.learnedKeyValues!.find((k) => k.source.startsWith(`session key of the ticket for ${SERVICE}`))!;
  expect(learned.enctype).toBe('aes256-cts-hmac-sha1-96');
  return Buffer.from(learned.key, 'hex');
}

const ccacheWith = (key: Buffer): KeySpec => ({ kind: 'ccache', label: 'alice.ccache', credentials: [{ server: parsePrincipal(SERVICE), keyEnctype: 18, key }] });

describe('decryptField: sealed parts and wrong keys', () => {
  it("the client's view: the session key opens the authenticator, the ticket is sealed for the service (a note, not an error)", () => {
    const { ticket, authenticator } = parts(decodeBytes(token, [ccacheWith(sessionKey())]).tree);
    expect(authenticator.decrypted?.keySource).toBe(`ccache alice.ccache: session key for ${SERVICE}`);
    expect(authenticator.error).toBeUndefined();
    expect(ticket.decrypted).toBeUndefined();
    expect(ticket.error).toBeUndefined();
    const kvno = findNode(ticket, 'kvno')!.value;
    expect(ticket.sealed).toEqual({ key: 'service key', note: `encrypted for ${SERVICE} (kvno ${String(kvno)}, aes256-cts-hmac-sha1-96)` });
  });

  it('with no keys at all every part is sealed, naming whose key opens it', () => {
    const { ticket, authenticator } = parts(decodeBytes(token, []).tree);
    expect(ticket.sealed?.note).toMatch(new RegExp(`^encrypted for ${SERVICE} \\(kvno \\d+, aes256-cts-hmac-sha1-96\\)$`));
    expect(authenticator.sealed).toEqual({ key: 'session key', note: 'encrypted with the ticket session key (aes256-cts-hmac-sha1-96)' });
    expect([ticket.error, authenticator.error]).toEqual([undefined, undefined]);
  });

  it('a session key that was tried and does not fit is an error; the ticket stays sealed', () => {
    const { ticket, authenticator } = parts(decodeBytes(token, [ccacheWith(Buffer.alloc(32, 7))]).tree);
    expect(authenticator.sealed).toBeUndefined();
    expect(authenticator.error).toMatch(/^none of the 1 aes256-cts-hmac-sha1-96 key\(s\) decrypts this \(key usage 11 \(AP-REQ authenticator, ticket session key\)\): tried ccache alice\.ccache/);
    expect(ticket.sealed?.key).toBe('service key');
  });

  it("a long-term key of the ticket's enctype that does not decrypt it is an error (a wrong keytab), and the authenticator is sealed", () => {
    const alice = worldKeytab.filter((e) => e.principal.components.join('/') === 'alice' && e.enctype === 18);
    expect(alice.length).toBeGreaterThan(0);
    const { ticket, authenticator } = parts(decodeBytes(token, [{ kind: 'keytab', label: 'alice.keytab', entries: alice }]).tree);
    expect(ticket.sealed).toBeUndefined();
    // The key-match verdict first (no key for that name), then what was tried.
    expect(ticket.error).toMatch(
      /^The keytab has no entry for HTTP\/localhost@WORLD\.TEST \(it has: alice@WORLD\.TEST\): wrong keytab, or the client asked for another service name — none of the \d+ aes256-cts-hmac-sha1-96 key\(s\) decrypts this \(key usage 2 \(Ticket enc-part, service key\)\): tried keytab alice\.keytab: alice@WORLD\.TEST/,
    );
    // A keytab holds long-term keys, never a session key: trying them proves nothing about the authenticator.
    expect(authenticator.error).toBeUndefined();
    expect(authenticator.sealed?.key).toBe('session key');
  });

  it('a key filed under another name (an alias) or another kvno still opens the ticket, and the key source says so', () => {
    const service = worldKeytab.filter((e) => e.principal.components.join('/') === 'HTTP/localhost' && e.enctype === 18);
    const alias = service.map((e) => ({ ...e, principal: parsePrincipal('HTTP/alias.example@WORLD.TEST'), kvno: e.kvno + 5 }));
    const { ticket } = parts(decodeBytes(token, [{ kind: 'keytab', label: 'alias.keytab', entries: alias }]).tree);
    const kvno = Number(findNode(ticket, 'kvno')!.value);
    expect(ticket.decrypted?.keySource).toBe(
      `keytab alias.keytab: HTTP/alias.example@WORLD.TEST kvno ${kvno + 5} aes256-cts-hmac-sha1-96 — opened under another name: the ticket is for ${SERVICE}, the key is HTTP/alias.example@WORLD.TEST's; the ticket says kvno ${kvno}, the key is kvno ${kvno + 5}`,
    );
  });

  it("with keytab keys but none of the ticket's enctype, the ticket is sealed and the note says which part of the match fails", () => {
    const service = worldKeytab.filter((e) => e.principal.components.join('/') === 'HTTP/localhost' && e.enctype === 17);
    const { ticket } = parts(decodeBytes(token, [{ kind: 'keytab', label: 'aes128.keytab', entries: service }]).tree);
    expect(ticket.error).toBeUndefined();
    expect(ticket.sealed?.note).toMatch(/^encrypted for HTTP\/localhost@WORLD\.TEST \(kvno \d+, aes256-cts-hmac-sha1-96\): The keytab has HTTP\/localhost@WORLD\.TEST kvno \d+ but not with aes256-cts-hmac-sha1-96 \(only aes128-cts-hmac-sha1-96\)/);
  });
});
