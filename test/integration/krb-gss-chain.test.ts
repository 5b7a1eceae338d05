import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeSequence } from '../../main/inspect/decode';
import { parseKeytab } from '../../main/krb/keytab';
import { findNode, type TreeNode } from '../../main/krb/tree';
import { runGssConversation, type GssConversation } from '../helpers/gss-peer';
import { createTestRealm, type TestRealm } from '../helpers/lab';

/** Every node named `name`, decrypted subtrees included. */
function allNodes(node: TreeNode, name: string, out: TreeNode[] = []): TreeNode[] {
  if (node.name === name) out.push(node);
  for (const child of node.children ?? []) allNodes(child, name, out);
  if (node.decrypted) allNodes(node.decrypted.tree, name, out);
  return out;
}

describe('decrypting a real MIT GSS-API conversation with only the service keytab', () => {
  let lab: TestRealm;
  let conversation: GssConversation;
  beforeAll(async () => {
    lab = await createTestRealm();
    conversation = await runGssConversation(lab.env);
  });
  afterAll(() => lab?.destroy());

  it('walks AP-REQ → ticket session key → authenticator subkey → AP-REP → acceptor subkey → Wrap token', async () => {
    const keytab = parseKeytab(await readFile(lab.serviceKeytab)).keytab;
    const [apReq, apRep, wrap] = decodeSequence(
      [conversation.apReq, conversation.apRep, conversation.clientWrap].map((b64) => Buffer.from(b64, 'base64')),
      [{ kind: 'keytab', label: 'service.keytab', entries: keytab.entries }],
    );

    // AP-REQ: the ticket opened with the keytab; alice inside; the authenticator opened with its session key.
    expect(apReq!.kind).toBe('GSS-API initial context token (AP-REQ)');
    const encTicket = findNode(apReq!.tree, 'enc-part')!;
    expect(encTicket.decrypted?.keySource).toMatch(/^keytab service\.keytab: mqtt\/localhost@BENCH\.TEST kvno \d+ /);
    expect(encTicket.decrypted?.keyUsage).toBe('2 (Ticket enc-part, service key)');
    expect(findNode(encTicket.decrypted!.tree, 'cname')?.value).toBe('alice');
    const authenticator = findNode(apReq!.tree, 'authenticator')!;
    expect(authenticator.decrypted?.keyUsage).toBe('11 (AP-REQ authenticator, ticket session key)');
    expect(authenticator.decrypted?.keySource).toMatch(/session key of the ticket for mqtt\/localhost@BENCH\.TEST/);
    expect(findNode(authenticator.decrypted!.tree, 'subkey')).toBeDefined();
    expect(apReq!.learnedKeys.some((k) => k.startsWith('initiator subkey'))).toBe(true);

    // The GSS checksum 0x8003 in the authenticator: flags decoded.
    expect(JSON.stringify(authenticator.decrypted!.tree)).toMatch(/mutual/i);

    // AP-REP: opened with the ticket session key; it carries the acceptor subkey.
    expect(apRep!.kind).toMatch(/AP-REP/);
    const repPart = allNodes(apRep!.tree, 'enc-part').find((n) => n.decrypted)!;
    expect(repPart.decrypted?.keyUsage).toBe('12 (AP-REP enc-part, ticket session key)');
    expect(apRep!.learnedKeys).toContain('acceptor subkey from the AP-REP');

    // The initiator's Wrap token: verified with the acceptor subkey; its payload is the RFC 4752 reply.
    expect(wrap!.kind).toBe('RFC 4121 Wrap token');
    const payload = JSON.stringify(wrap!.tree);
    expect(payload).toMatch(/acceptor subkey from the AP-REP/);
    expect(payload).toContain(Buffer.concat([Buffer.from([1, 0, 0, 0]), Buffer.from('alice')]).toString('hex'));
  });

  it('says which key failed when the keytab is wrong', async () => {
    const wrongKeytab = parseKeytab(await readFile(lab.aliceKeytab)).keytab;
    const [apReq] = decodeSequence([Buffer.from(conversation.apReq, 'base64')], [{ kind: 'keytab', label: 'alice.keytab', entries: wrongKeytab.entries }]);
    const encTicket = findNode(apReq!.tree, 'enc-part')!;
    expect(encTicket.decrypted).toBeUndefined();
    expect(encTicket.error).toMatch(/none of the \d+ aes256-cts-hmac-sha1-96 key\(s\) decrypts this .*alice@BENCH\.TEST/);
  });
});
