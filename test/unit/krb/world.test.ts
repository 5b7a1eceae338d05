/**
 * The codecs on material other Kerberos stacks and real captures produce, as users hand it over
 * (test/fixtures/world: curl, the JVM, a FAST-armored kinit on the wire). Each case failed before
 * the behaviour it names was fixed.
 */
import { describe, expect, it } from 'vitest';
import { decodeBytes, explainKeys } from '../../../main/inspect/decode';
import { parseTokenText } from '../../../main/krb/decode/input';
import { decodePac } from '../../../main/krb/messages/pac';
import { verifyPacSignatures } from '../../../main/krb/messages/pac-signatures';
import { findNode, type TreeNode } from '../../../main/krb/tree';
import { parseCcache } from '../../../main/krb/ccache';
import { legacyKeytab, world, worldKeytab } from '../../helpers/world';

const keys = [{ kind: 'keytab' as const, label: 'world.keytab', entries: worldKeytab }];

/** Every node, depth first, decrypted parts included. */
function nodes(tree: TreeNode, out: TreeNode[] = []): TreeNode[] {
  out.push(tree);
  for (const child of tree.children ?? []) nodes(child, out);
  if (tree.decrypted) nodes(tree.decrypted.tree, out);
  return out;
}

const decryptedWith = (tree: TreeNode, usage: number) => nodes(tree).filter((n) => n.decrypted?.keyUsage.startsWith(`${usage} `));

describe('SPNEGO wrappers of any size', () => {
  it.each([
    ['curl --negotiate (an Authorization header line)', () => world.curlAuthorization],
    ['the JVM (a raw Negotiate token)', () => world.javaSpnego],
  ])('%s: the AP-REQ inside a mechToken of 256 bytes or more is decoded and its ticket and PAC opened', (_label, text) => {
    const bytes = parseTokenText(text());
    const report = decodeBytes(bytes, keys);
    expect(report.kind).toBe('SPNEGO NegTokenInit (GSS-API initial context token (AP-REQ))');
    const mechToken = findNode(report.tree, 'mechToken')!;
    // Multi-byte DER lengths in front of the token: [2] 82 LL LL, OCTET STRING 82 LL LL.
    expect([bytes[mechToken.offset], bytes[mechToken.offset + 1]]).toEqual([0xa2, 0x82]);
    expect(mechToken.length - 8).toBeGreaterThanOrEqual(256);
    expect(mechToken.children?.[0]?.name).toBe('InitialContextToken');
    const ticket = findNode(report.tree, 'ticket')!;
    expect(ticket.decrypted ?? findNode(ticket, 'enc-part')?.decrypted).toBeTruthy();
    expect(findNode(report.tree, 'PAC')).toBeDefined();
    expect(decryptedWith(report.tree, 11)).toHaveLength(1);
  });

  it('lets explain-key find the ticket inside the SPNEGO token', () => {
    const [explanation] = explainKeys(parseTokenText(world.curlAuthorization), worldKeytab);
    expect(explanation).toMatchObject({ ok: true, ticket: { server: 'HTTP/localhost@WORLD.TEST' } });
  });

  it('finds a SPNEGO token inside other bytes (a security blob of another protocol) and decodes it there', () => {
    const token = parseTokenText(world.curlAuthorization);
    const blob = Buffer.concat([Buffer.from('fe534d4240000100000000000100', 'hex'), Buffer.alloc(50, 0x11), token, Buffer.from('0000', 'hex')]);
    const report = decodeBytes(blob, keys);
    expect(report.kind).toBe(`SPNEGO NegTokenInit (GSS-API initial context token (AP-REQ)) at byte 64, inside ${blob.length} bytes of other data`);
    expect(report.tree.children?.map((c) => [c.name, c.offset, c.length])).toEqual([
      ['other data', 0, 64],
      ['InitialContextToken', 64, token.length],
      ['other data', 64 + token.length, 2],
    ]);
    expect(decryptedWith(report.tree, 11)).toHaveLength(1);
    expect(explainKeys(blob, worldKeytab)[0]!.ok).toBe(true);
  });
});

describe('Kerberos over TCP, as captured', () => {
  const stream = Buffer.from(world.kdcStreamFast, 'hex');

  it('decodes every record of the stream, in order, each behind a record mark that matches its length', () => {
    const report = decodeBytes(stream, keys);
    expect(report.kind).toBe('Kerberos over TCP: AS-REQ, KRB-ERROR, AS-REQ, AS-REP, TGS-REQ, TGS-REP');
    const records = report.tree.children!;
    expect(records).toHaveLength(6);
    for (const record of records) {
      const mark = record.children![0]!;
      expect(mark).toMatchObject({ name: 'record mark', offset: record.offset, length: 4, value: record.length - 4 });
      expect(stream.readUInt32BE(record.offset)).toBe(record.length - 4);
    }
    expect(records.at(-1)!.offset + records.at(-1)!.length).toBe(stream.length);
  });

  it('takes one record with its mark as that message', () => {
    const first = stream.subarray(0, 4 + stream.readUInt32BE(0));
    expect(decodeBytes(first, keys).kind).toBe('AS-REQ (over TCP, behind its record mark)');
  });

  it('refuses a record mark that does not match the message behind it', () => {
    const first = Buffer.from(stream.subarray(0, 4 + stream.readUInt32BE(0)));
    first.writeUInt32BE(first.readUInt32BE(0) - 1, 0);
    expect(() => decodeBytes(first, keys)).toThrow(/not a keytab, ccache, GSS-API\/SPNEGO token or Kerberos message/);
  });

  it('decodes the records that are whole and says where the rest stops being one', () => {
    const cut = stream.subarray(0, stream.length - 10);
    const report = decodeBytes(cut, keys);
    const rest = report.tree.children!.at(-1)!;
    expect(rest).toMatchObject({ name: 'rest', error: expect.stringMatching(/^not a record: record mark says \d+ bytes, \d+ follow$/) });
    expect(report.tree.children).toHaveLength(6);
  });
});

describe('FAST armor', () => {
  const report = decodeBytes(Buffer.from(world.kdcStreamFast, 'hex'), keys);
  const records = report.tree.children!.map((r) => r.children![1]!);

  it('decodes the armor AP-REQ of an armored AS-REQ and opens its ticket and authenticator', () => {
    const armor = findNode(records[0]!, 'armor-value')!;
    const apReq = armor.children![0]!;
    expect(apReq.name).toBe('AP-REQ (FAST armor)');
    expect(apReq.value).toBe('ticket for krbtgt/WORLD.TEST@WORLD.TEST (aes256-cts-hmac-sha1-96, kvno 1)');
    expect(decryptedWith(apReq, 2)).toHaveLength(1);
    expect(decryptedWith(apReq, 11)).toHaveLength(1);
  });

  it('opens the FAST request and response of the AS and TGS exchanges with the armor key', () => {
    for (const i of [0, 2, 4]) expect(decryptedWith(records[i]!, 51).map((n) => n.decrypted!.keySource)).toEqual(['FAST armor key (KRB-FX-CF2 of the AP-REQ subkey and ticket session key)']);
    for (const i of [1, 3, 5]) expect(decryptedWith(records[i]!, 52)).toHaveLength(1);
  });

  it('opens the AS-REP and the TGS-REP with the strengthened reply key', () => {
    expect(decryptedWith(records[3]!, 3)[0]!.decrypted!.keySource).toMatch(/^FAST strengthened reply key \(aes256-cts-hmac-sha1-96 strengthen-key \+ keytab world\.keytab: alice@WORLD\.TEST kvno 1/);
    expect(decryptedWith(records[5]!, 9)[0]!.decrypted!.keySource).toMatch(/^FAST strengthened reply key/);
  });

  it('opens the encrypted challenge from the client and from the KDC, naming the client key', () => {
    const client = decryptedWith(records[2]!, 54);
    const kdc = decryptedWith(records[3]!, 55);
    expect(client.map((n) => n.decrypted!.keySource)).toEqual(['FAST encrypted-challenge key (client: armor key + keytab world.keytab: alice@WORLD.TEST kvno 1 aes256-cts-hmac-sha1-96)']);
    expect(kdc.map((n) => n.decrypted!.keySource)).toEqual(['FAST encrypted-challenge key (KDC: armor key + keytab world.keytab: alice@WORLD.TEST kvno 1 aes256-cts-hmac-sha1-96)']);
    expect(findNode(client[0]!.decrypted!.tree, 'patimestamp')?.value).toMatch(/^\d{4}-\d\d-\d\dT/);
  });
});

describe('messages serialised without their [APPLICATION n] tag', () => {
  const stream = Buffer.from(world.kdcStreamFast, 'hex');
  const asReq = stream.subarray(4, 4 + stream.readUInt32BE(0));

  /** The SEQUENCE inside an APPLICATION-tagged TLV (its header is 2 + the long-form length bytes). */
  const untag = (message: Buffer) => message.subarray(2 + (message[1]! & 0x80 ? message[1]! & 0x7f : 0));

  it('decodes an AS-REQ without its tag, warning, with offsets in the bytes given', () => {
    const bare = untag(asReq);
    const shift = asReq.length - bare.length;
    const report = decodeBytes(bare, keys);
    expect(report.kind).toBe('AS-REQ (without its [APPLICATION 10] tag)');
    expect(report.tree).toMatchObject({ offset: 0, length: bare.length, error: expect.stringMatching(/^warning: serialised without its \[APPLICATION 10\] tag/) });
    const tagged = decodeBytes(asReq, keys);
    // req-body sits outside the FAST tunnel, so its offsets are in the input (not in a plaintext).
    const reqBody = (tree: TreeNode) => tree.children!.find((c) => c.name === 'req-body')!;
    expect(reqBody(report.tree)).toMatchObject({ offset: reqBody(tagged.tree).offset - shift, length: reqBody(tagged.tree).length, value: reqBody(tagged.tree).value });
  });

  it('decodes and decrypts an AP-REQ without its tag', () => {
    const spnego = decodeBytes(parseTokenText(world.curlAuthorization), keys);
    const apReqNode = findNode(spnego.tree, 'AP-REQ')!;
    const bytes = parseTokenText(world.curlAuthorization).subarray(apReqNode.offset, apReqNode.offset + apReqNode.length);
    const report = decodeBytes(untag(bytes), keys);
    expect(report.kind).toBe('AP-REQ (without its [APPLICATION 14] tag)');
    expect(decryptedWith(report.tree, 2)).toHaveLength(1);
  });

  it('leaves other SEQUENCEs alone', () => {
    expect(() => decodeBytes(Buffer.from('3006a003020105', 'hex'), keys)).toThrow(/not a keytab, ccache, GSS-API\/SPNEGO token or Kerberos message/);
    expect(() => decodeBytes(Buffer.from('300aa003020105a103020163', 'hex'), keys)).toThrow(/not a keytab/);
  });
});

describe('PAC signatures (MS-PAC §2.8), checked with the keys given', () => {
  const verification = (tree: TreeNode, type: string) => nodes(tree).find((n) => n.type === type)?.children?.find((c) => c.name === 'verification');

  it('verifies the server signature with the service key and the KDC signature with the krbtgt key of MIT-made PACs', () => {
    const report = decodeBytes(parseTokenText(world.curlAuthorization), keys);
    expect(verification(report.tree, 'PAC_SERVER_CHECKSUM')).toMatchObject({ value: expect.stringMatching(/^verified with keytab world\.keytab: HTTP\/localhost@WORLD\.TEST kvno \d+ aes256-cts-hmac-sha1-96$/) });
    expect(verification(report.tree, 'PAC_PRIVSVR_CHECKSUM')).toMatchObject({ value: expect.stringMatching(/^verified with keytab world\.keytab: krbtgt\/WORLD\.TEST@WORLD\.TEST kvno 1 aes256-cts-hmac-sha1-96$/) });
  });

  it('says which key the KDC signature needs when only the service key is given', () => {
    const serviceOnly = [{ kind: 'keytab' as const, label: 'http.keytab', entries: worldKeytab.filter((e) => e.principal.components[0] === 'HTTP') }];
    const report = decodeBytes(parseTokenText(world.javaSpnego), serviceOnly);
    expect(verification(report.tree, 'PAC_SERVER_CHECKSUM')?.value).toMatch(/^verified with keytab http\.keytab: HTTP\/localhost/);
    expect(verification(report.tree, 'PAC_PRIVSVR_CHECKSUM')?.error).toBe(
      'does not verify with any of the 1 hmac-sha1-96-aes256 key(s) tried: it needs the krbtgt key of the realm (a keytab holding krbtgt/REALM), or the PAC was changed',
    );
  });

  it('finds a changed PAC: the server signature no longer verifies', () => {
    const report = decodeBytes(parseTokenText(world.curlAuthorization), keys, { revealSecrets: true });
    const ticketPart = findNode(report.tree, 'ticket')!.children!.find((c) => c.name === 'enc-part')!.decrypted!;
    const pacNode = findNode(ticketPart.tree, 'PAC')!;
    const pacBytes = Buffer.from(Buffer.from(ticketPart.plaintext!, 'hex').subarray(pacNode.offset, pacNode.offset + pacNode.length));
    const clientInfo = nodes(pacNode).find((n) => n.type === 'PAC_CLIENT_INFO')!;
    pacBytes[clientInfo.offset - pacNode.offset + 10]! ^= 0x01; // one bit of the client's name
    const pac = decodePac(pacBytes);
    verifyPacSignatures(pacBytes, pac.value, pac.tree, worldKeytab.map((e) => ({ enctype: e.enctype, key: e.key, origin: 'keytab', source: 'world' })));
    expect(verification(pac.tree, 'PAC_SERVER_CHECKSUM')?.error).toMatch(/^does not verify with any of the \d+ hmac-sha1-96-aes256 key\(s\) tried/);
  });
});

describe('Camellia and des3 tickets from a KDC that permits them (allow_weak_crypto)', () => {
  const legacy = [...keys, { kind: 'keytab' as const, label: 'legacy.keytab', entries: legacyKeytab }];
  const verification = (node: TreeNode) => node.children?.find((c) => c.name === 'verification');

  it('decrypts the camellia256 and des3 tickets of the TGS exchanges and verifies their PACs with those keys', () => {
    const report = decodeBytes(Buffer.from(world.kdcStreamLegacy, 'hex'), legacy);
    expect(report.kind).toBe('Kerberos over TCP: AS-REQ, KRB-ERROR, AS-REQ, AS-REP, TGS-REQ, TGS-REP, TGS-REQ, TGS-REP, TGS-REQ, TGS-REP');
    const opened = decryptedWith(report.tree, 2).map((n) => n.decrypted!.keySource);
    expect(opened).toEqual(expect.arrayContaining(['keytab legacy.keytab: host/camellia@WORLD.TEST kvno 1 camellia256-cts-cmac', 'keytab legacy.keytab: host/des3@WORLD.TEST kvno 1 des3-cbc-sha1']));
    const serverSignatures = nodes(report.tree)
      .filter((n) => n.type === 'PAC_SERVER_CHECKSUM')
      .map((n) => verification(n)?.value);
    expect(serverSignatures).toEqual(
      expect.arrayContaining([
        'verified with keytab legacy.keytab: host/camellia@WORLD.TEST kvno 1 camellia256-cts-cmac',
        'verified with keytab legacy.keytab: host/des3@WORLD.TEST kvno 1 des3-cbc-sha1',
      ]),
    );
    // kvno -e camellia256-cts-cmac: the last ticket carries a camellia session key.
    const sessionKeys = nodes(report.tree).filter((n) => n.name === 'keytype' && n.value === 'camellia256-cts-cmac (26)');
    expect(sessionKeys.length).toBeGreaterThan(0);
  });

  it('reads the ccache with camellia and des3 tickets as klist -e does, and opens each ticket', () => {
    const bytes = Buffer.from(world.legacyCcache, 'base64');
    const { ccache } = parseCcache(bytes);
    expect(ccache.credentials.map((c) => [c.server.components.join('/'), c.keyEnctype])).toEqual([
      ['krbtgt/WORLD.TEST', 18],
      ['host/camellia', 18],
      ['host/des3', 18],
      ['host/camellia', 26],
    ]);
    const report = decodeBytes(bytes, legacy);
    expect(decryptedWith(report.tree, 2).map((n) => n.decrypted!.keySource)).toEqual([
      'keytab world.keytab: krbtgt/WORLD.TEST@WORLD.TEST kvno 1 aes256-cts-hmac-sha1-96',
      'keytab legacy.keytab: host/camellia@WORLD.TEST kvno 1 camellia256-cts-cmac',
      'keytab legacy.keytab: host/des3@WORLD.TEST kvno 1 des3-cbc-sha1',
      'keytab legacy.keytab: host/camellia@WORLD.TEST kvno 1 camellia256-cts-cmac',
    ]);
  });

  it('lets explain-key match the des3 and camellia tickets to their keytab entries', () => {
    const explanations = explainKeys(Buffer.from(world.legacyCcache, 'base64'), legacyKeytab);
    expect(explanations.map((e) => [e.ticket.server, e.ok])).toEqual([
      ['krbtgt/WORLD.TEST@WORLD.TEST', false],
      ['host/camellia@WORLD.TEST', true],
      ['host/des3@WORLD.TEST', true],
      ['host/camellia@WORLD.TEST', true],
    ]);
  });
});
