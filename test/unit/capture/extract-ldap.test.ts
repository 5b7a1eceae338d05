/**
 * LDAP bind extraction. The LDAP messages are built here with the DER writer (RFC 4511 grammar);
 * the GSS tokens inside them are real: world.delegatedApReq is an MIT GSS initial context token
 * and world.javaSpnego an OpenJDK SPNEGO NegTokenInit (test/fixtures/world/make.sh). The server's
 * tokens are placeholders: the extractor frames them, the scan decodes them.
 */
import { describe, expect, it } from 'vitest';
import { ldapExtractor } from '../../../main/capture/extract/ldap';
import type { FlowDirection, PacketRef, TcpFlow, TcpStreamHandler } from '../../../main/capture/types';
import { derInteger, derOctetString, derSequence, tlv } from '../../../main/krb/der/writer';
import { world } from '../../helpers/world';
import { FakeContext } from './fake-context';


// ---- LDAPMessage builders (RFC 4511 §4.2, §4.2.2) ----

const text = (s: string) => derOctetString(Buffer.from(s, 'utf8'));
const message = (id: number, op: Buffer) => derSequence([derInteger(id), op]);

function saslBind(id: number, mechanism: string, credentials?: Uint8Array, name = ''): Buffer {
  const sasl = tlv('context', true, 3, Buffer.concat([text(mechanism), ...(credentials ? [derOctetString(credentials)] : [])]));
  return message(id, tlv('application', true, 0, Buffer.concat([derInteger(3), text(name), sasl])));
}

function simpleBind(id: number, name: string, password: string): Buffer {
  return message(id, tlv('application', true, 0, Buffer.concat([derInteger(3), text(name), tlv('context', false, 0, Buffer.from(password))])));
}

function bindResponse(id: number, code: number, diagnostic = '', serverSaslCreds?: Uint8Array): Buffer {
  const result = [tlv('universal', false, 10, Buffer.from([code])), text(''), text(diagnostic)];
  if (serverSaslCreds) result.push(tlv('context', false, 7, serverSaslCreds));
  return message(id, tlv('application', true, 1, Buffer.concat(result)));
}

/** A rootDSE searchRequest (baseObject, filter (objectClass=*)). */
const rootDseSearch = (id: number) =>
  message(
    id,
    tlv(
      'application',
      true,
      3,
      Buffer.concat([text(''), tlv('universal', false, 10, Buffer.of(0)), tlv('universal', false, 10, Buffer.of(0)), derInteger(0), derInteger(0), tlv('universal', false, 1, Buffer.of(0)), tlv('context', false, 7, Buffer.from('objectClass')), derSequence([])]),
    ),
  );

const apReq = Buffer.from(world.delegatedApReq, 'base64');
const spnego = Buffer.from(world.javaSpnego, 'base64');

let frame = 0;
const packet = (): PacketRef => ({ number: ++frame, seconds: 1_700_000_000, nanos: frame * 1000 });
const flow = (): TcpFlow => ({ id: 7, client: '10.0.0.5:50123', server: '10.0.0.1:389', sawSyn: true });

function feed(handler: TcpStreamHandler, direction: FlowDirection, bytes: Uint8Array, size: number): number[] {
  const frames: number[] = [];
  for (let at = 0; at < bytes.length; at += size) {
    const ref = packet();
    frames.push(ref.number);
    handler.data({ direction, bytes: Uint8Array.from(bytes.subarray(at, at + size)), streamOffset: at, packet: ref });
  }
  return frames;
}

const done = (handler: TcpStreamHandler) => (handler as TcpStreamHandler & { done?: boolean }).done;

describe('ldapExtractor.sniff', () => {
  it('says more until the authentication choice of a bindRequest shows, then yes', () => {
    const bind = saslBind(1, 'GSSAPI', apReq);
    const verdicts = Array.from({ length: 24 }, (_, n) => ldapExtractor.sniff(bind.subarray(0, n), 0));
    const firstYes = verdicts.indexOf('yes');
    expect(firstYes).toBe(17); // 30 82 LL LL, 02 01 01, 60 82 LL LL, 02 01 03, 04 00, a3
    expect(verdicts.slice(0, firstYes)).toEqual(Array(firstYes).fill('more'));
    expect(verdicts.slice(firstYes)).toEqual(Array(24 - firstYes).fill('yes'));
    expect(ldapExtractor.sniff(simpleBind(1, 'cn=admin,dc=bench,dc=test', 'secret'), 0)).toBe('yes');
    expect(ldapExtractor.sniff(rootDseSearch(1), 0)).toBe('yes');
  });

  it('says no to the server side, other protocols and other BER', () => {
    expect(ldapExtractor.sniff(saslBind(1, 'GSSAPI', apReq), 1)).toBe('no');
    expect(ldapExtractor.sniff(Buffer.from('GET / HTTP/1.1\r\n'), 0)).toBe('no');
    // SNMPv2c GetRequest: SEQUENCE { version INTEGER, community OCTET STRING, PDU }.
    expect(ldapExtractor.sniff(derSequence([derInteger(1), text('public'), tlv('context', true, 0, derSequence([]))]), 0)).toBe('no');
    // An AS-REQ behind a record mark.
    expect(ldapExtractor.sniff(Buffer.from(world.kdcStreamPlain, 'hex'), 0)).toBe('no');
  });
});

describe('LDAP SASL binds', () => {
  it('GSSAPI in three bindRequests (AP-REQ, empty, security layer), split at every byte, then stops', () => {
    const ctx = new FakeContext();
    const handler = ldapExtractor.create(flow(), ctx);
    const apRep = Buffer.from('6f5a3058a003020105a10302010fa24c304aa003020112a243044161a1b2c3', 'hex');
    const offer = Buffer.from('050401ff000c000000000000aaaa', 'hex');
    const choice = Buffer.from('050400ff000c000000000000bbbb', 'hex');
    const frames = [
      feed(handler, 0, saslBind(1, 'GSSAPI', apReq), 1),
      feed(handler, 1, bindResponse(1, 14, '', apRep), 1),
      feed(handler, 0, saslBind(2, 'GSSAPI', new Uint8Array(0)), 1),
      feed(handler, 1, bindResponse(2, 14, '', offer), 1),
      feed(handler, 0, saslBind(3, 'GSSAPI', choice), 1),
      feed(handler, 1, bindResponse(3, 0), 1),
    ];
    expect(done(handler)).toBe(true);
    feed(handler, 0, Buffer.from('0000001005040400', 'hex'), 8); // SASL-wrapped traffic: not read
    const exchange = ctx.recorders[0]!.exchange;
    expect(ctx.recorders).toHaveLength(1);
    expect(exchange.mechanism).toBe('GSSAPI');
    expect(exchange.capture).toMatchObject({ protocol: 'ldap', client: '10.0.0.5:50123', server: '10.0.0.1:389', flow: 7 });
    expect(exchange.steps.map((s) => `${s.transport.packet} ${s.transport.fields?.messageID}`)).toEqual([
      'bindRequest 1',
      'bindResponse 1',
      'bindRequest 2',
      'bindResponse 2',
      'bindRequest 3',
      'bindResponse 3',
    ]);
    expect(exchange.steps.map((s) => s.packets)).toEqual(frames);
    expect(exchange.steps.map((s) => (s.token === undefined ? undefined : Buffer.from(s.token, 'base64').toString('hex')))).toEqual([
      apReq.toString('hex'),
      apRep.toString('hex'),
      '',
      offer.toString('hex'),
      choice.toString('hex'),
      undefined,
    ]);
    expect(exchange.steps[0]!.summary).toBe(`bindRequest #1 SASL GSSAPI, credentials ${apReq.length} bytes`);
    expect(exchange.steps[1]!.summary).toBe(`bindResponse #1 saslBindInProgress (14), serverSaslCreds ${apRep.length} bytes`);
    expect(exchange.steps[0]!.raw).toBe(saslBind(1, 'GSSAPI', apReq).toString('base64'));
    expect(exchange.verdict).toEqual({ outcome: 'success', reason: 'bound with GSSAPI' });
    expect(exchange.finishedAt).toBeDefined();
    expect(ctx.warnings).toEqual([]);
  });

  it('GSS-SPNEGO with several messages in one segment after a rootDSE search', () => {
    const ctx = new FakeContext();
    const handler = ldapExtractor.create(flow(), ctx);
    const negTokenResp = Buffer.from('a1073005a0030a0100', 'hex');
    feed(handler, 0, Buffer.concat([rootDseSearch(1), saslBind(2, 'GSS-SPNEGO', spnego)]), 1 << 16);
    // searchResEntry, searchResDone and the bindResponse in one segment.
    const entry = message(1, tlv('application', true, 4, Buffer.concat([text(''), derSequence([])])));
    const searchDone = message(1, tlv('application', true, 5, Buffer.concat([tlv('universal', false, 10, Buffer.of(0)), text(''), text('')])));
    feed(handler, 1, Buffer.concat([entry, searchDone, bindResponse(2, 0, '', negTokenResp)]), 1 << 16);
    const exchange = ctx.recorders[0]!.exchange;
    expect(exchange.mechanism).toBe('GSS-SPNEGO');
    expect(exchange.steps.map((s) => s.transport.packet)).toEqual(['bindRequest', 'bindResponse']);
    expect(Buffer.from(exchange.steps[0]!.token!, 'base64')).toEqual(spnego);
    expect(Buffer.from(exchange.steps[1]!.token!, 'base64')).toEqual(negTokenResp);
    expect(exchange.verdict.outcome).toBe('success');
  });

  it('a refused bind fails with the result code and the diagnosticMessage', () => {
    const ctx = new FakeContext();
    const handler = ldapExtractor.create(flow(), ctx);
    const diagnostic = '80090308: LdapErr: DSID-0C09056B, comment: AcceptSecurityContext error, data 52e, v4563';
    feed(handler, 0, saslBind(1, 'GSSAPI', apReq), 1460);
    feed(handler, 1, bindResponse(1, 49, diagnostic), 1460);
    const exchange = ctx.recorders[0]!.exchange;
    expect(exchange.verdict).toEqual({ outcome: 'failure', code: '49 invalidCredentials', reason: diagnostic });
    expect(exchange.steps[1]!.transport.fields).toMatchObject({ resultCode: 49, result: 'invalidCredentials', diagnosticMessage: diagnostic });
    expect(done(handler)).toBe(true);
  });

  it('a simple bind is recorded without its password', () => {
    const ctx = new FakeContext();
    const handler = ldapExtractor.create(flow(), ctx);
    feed(handler, 0, simpleBind(1, 'cn=admin,dc=bench,dc=test', 'hunter2-secret'), 5);
    feed(handler, 1, bindResponse(1, 0), 5);
    const exchange = ctx.recorders[0]!.exchange;
    expect(exchange.mechanism).toBe('simple');
    expect(exchange.steps[0]!.summary).toBe('bindRequest #1 simple "cn=admin,dc=bench,dc=test", password: <14 bytes hidden>');
    expect(exchange.steps[0]!.token).toBeUndefined();
    expect(JSON.stringify(exchange)).not.toContain('hunter2');
    expect(JSON.stringify(exchange)).not.toContain(Buffer.from('hunter2').toString('base64').slice(0, 8));
    expect(exchange.verdict.outcome).toBe('success');
  });

  it('reads 4-byte BER lengths (as Active Directory sends them)', () => {
    const ctx = new FakeContext();
    const handler = ldapExtractor.create(flow(), ctx);
    const long = (tag: number, content: Buffer) => Buffer.concat([Buffer.of(tag, 0x84), Buffer.from([0, 0, content.length >> 8, content.length & 0xff]), content]);
    const response = long(0x30, Buffer.concat([derInteger(1), long(0x61, Buffer.concat([Buffer.of(0x0a, 0x01, 0x0e), text(''), text(''), long(0x87, Buffer.of(1, 2, 3))]))]));
    feed(handler, 0, saslBind(1, 'GSS-SPNEGO', spnego), 100);
    feed(handler, 1, response, 3);
    const exchange = ctx.recorders[0]!.exchange;
    expect(exchange.steps[1]!.summary).toBe('bindResponse #1 saslBindInProgress (14), serverSaslCreds 3 bytes');
    handler.end('capture-ended');
    expect(exchange.verdict.outcome).toBe('pending');
  });

  it('stops with a warning on bytes that are not LDAP, keeping the bind so far', () => {
    const ctx = new FakeContext();
    const handler = ldapExtractor.create(flow(), ctx);
    feed(handler, 0, saslBind(1, 'GSSAPI', apReq), 1000);
    feed(handler, 1, Buffer.from('HTTP/1.1 400 Bad Request\r\n'), 100);
    expect(done(handler)).toBe(true);
    expect(ctx.warnings[0]?.message).toMatch(/does not start an LDAPMessage/);
    expect(ctx.recorders[0]!.exchange.steps).toHaveLength(1);
    expect(ctx.recorders[0]!.exchange.verdict.outcome).toBe('pending');
  });

  it('never throws on mangled messages: every byte of a bind exchange flipped in turn', () => {
    const client = saslBind(1, 'GSSAPI', apReq.subarray(0, 64));
    const server = bindResponse(1, 14, 'x', Buffer.of(1, 2, 3));
    for (let i = 0; i < client.length + server.length; i++) {
      const ctx = new FakeContext();
      const handler = ldapExtractor.create(flow(), ctx);
      const c = Buffer.from(client);
      const s = Buffer.from(server);
      if (i < c.length) c[i] = c[i]! ^ 0xff;
      else s[i - c.length] = s[i - c.length]! ^ 0xff;
      feed(handler, 0, c, 13);
      feed(handler, 1, s, 13);
      handler.end('capture-ended');
    }
  });
});
