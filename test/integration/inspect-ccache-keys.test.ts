/**
 * The decoder's `ccache` key source on a real MIT conversation: alice's credential cache (kinit,
 * then the GSS initiator adds the service ticket and its session key) opens what the client side
 * can open — the authenticator, the AP-REP, the Wrap token — and leaves the ticket sealed for
 * mqtt/localhost, a note rather than an error; the service keytab opens the ticket. Directly on the
 * service, through the engine's dispatch (the zod schema), and with `kbench decode --ccache`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DecodedMessage } from '../../main/api/inspect';
import { createEngine, type Engine } from '../../main/engine';
import { DecoderServiceImpl } from '../../main/inspect/service';
import { findNode, type TreeNode } from '../../main/krb/tree';
import { runKbench } from '../helpers/cli';
import { runGssConversation, type GssConversation } from '../helpers/gss-peer';
import { createTestRealm, type TestRealm } from '../helpers/lab';

const apReqParts = (tree: TreeNode) => {
  const apReq = findNode(tree, 'AP-REQ')!;
  return { ticket: findNode(findNode(apReq, 'ticket')!, 'enc-part')!, authenticator: findNode(apReq, 'authenticator')! };
};

describe("the decoder's ccache key source (MIT realm)", () => {
  let lab: TestRealm;
  let gss: GssConversation;
  let engine: Engine;
  const service = new DecoderServiceImpl();

  beforeAll(async () => {
    lab = await createTestRealm();
    gss = await runGssConversation(lab.env);
    engine = createEngine({ runtime: 'cli', dataDir: `${lab.dir}/data` });
  }, 60_000);
  afterAll(async () => {
    await engine?.dispose();
    await lab?.destroy();
  });

  it("opens the client's side of a conversation with the ccache's session keys; the ticket stays sealed for the service", async () => {
    const ccache = { kind: 'ccache' as const, source: { path: lab.ccache } };
    const { messages } = await service.decodeSession([{ text: gss.apReq }, { text: gss.apRep }, { text: gss.clientWrap }], [ccache], false);
    const { ticket, authenticator } = apReqParts(messages[0]!.tree);
    expect(authenticator.decrypted?.keySource).toBe(`ccache ${lab.ccache}: session key for mqtt/localhost@BENCH.TEST`);
    expect(ticket.error).toBeUndefined();
    expect(ticket.sealed).toEqual({ key: 'service key', note: 'encrypted for mqtt/localhost@BENCH.TEST (kvno 2, aes256-cts-hmac-sha1-96)' });
    // The AP-REP is in the same session key; the Wrap token in a subkey learned on the way.
    expect(findNode(messages[1]!.tree, 'enc-part')!.decrypted?.tree.name).toBe('EncAPRepPart');
    const wrapped = (m: DecodedMessage) => JSON.stringify(m.tree).includes('"decrypted"');
    expect(wrapped(messages[2]!)).toBe(true);

    // The service keytab opens the ticket (and, with the session key inside it, the authenticator).
    const server = await service.decode({ text: gss.apReq }, [{ kind: 'keytab', source: { path: lab.serviceKeytab } }], false);
    expect(apReqParts(server.tree).ticket.decrypted?.tree.name).toBe('EncTicketPart');
  });

  it('says what a file is when it is not a credential cache', async () => {
    await expect(service.decode({ text: gss.apReq }, [{ kind: 'ccache', source: { path: lab.serviceKeytab } }], false)).rejects.toThrow(/service\.keytab: .*keytab/i);
  });

  it('through dispatch: the schema takes the ccache key source', async () => {
    const result = await engine.invoke({ service: 'decoder', method: 'decode', args: [{ text: gss.apReq }, [{ kind: 'ccache', source: { path: lab.ccache } }], false] });
    expect(result.ok).toBe(true);
    const tree = (result as { value: DecodedMessage }).value.tree;
    expect(apReqParts(tree).authenticator.decrypted).toBeTruthy();
    const bad = await engine.invoke({ service: 'decoder', method: 'decode', args: [{ text: gss.apReq }, [{ kind: 'ccache', path: lab.ccache }], false] });
    expect(bad.ok).toBe(false);
  });

  it('kbench decode --ccache prints the sealed ticket with "~" and the opened authenticator', async () => {
    const run = await runKbench(['decode', '--base64', gss.apReq, '--ccache', lab.ccache]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('~ encrypted for mqtt/localhost@BENCH.TEST (kvno 2, aes256-cts-hmac-sha1-96)');
    expect(run.stdout).toContain(`decrypted with ccache ${lab.ccache}: session key for mqtt/localhost@BENCH.TEST`);
    expect(run.stdout).not.toMatch(/^\s*! /m);
  });
});
