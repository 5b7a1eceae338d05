/**
 * GSS-API tokens carved out of flows by their own framing. Real tokens from
 * test/fixtures/world/world.json (test/fixtures/world/make.sh: curl --negotiate's SPNEGO header
 * and an MIT initial token against a throwaway MIT realm, and the KDC's KRB-ERROR of a plain
 * kinit); the AP-REP is encoded here with the codec (its cipher is filler: nothing decrypts it).
 * They are embedded in junk, SMB2-like and DCE/RPC-like framing and IMAP base64 lines, and fed
 * whole and split at every byte; random bytes must give no token, in bounded time.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { gssCarveExtractor, type GssCarveHandler } from '../../../main/capture/extract/gss-carve';
import { examineCandidate, examineLine, GSS_CARVE_LOOK } from '../../../main/capture/extract/gss-tokens';
import type { FlowDirection, TcpFlow } from '../../../main/capture/types';
import { frameInitialContextToken, KERBEROS_OIDS, TokId } from '../../../main/krb/gss/framing';
import { encodeNegTokenResp } from '../../../main/krb/gss/spnego';
import { ApRep } from '../../../main/krb/messages';
import { world } from '../../helpers/world';
import { FakeContext } from './fake-context';


const flow: TcpFlow = { id: 7, client: '10.0.0.1:49152', server: '10.0.0.2:445', sawSyn: true };

type Message = [FlowDirection, Buffer];

function run(messages: Message[], split?: (bytes: Buffer) => Buffer[]): { ctx: FakeContext; handler: GssCarveHandler } {
  const ctx = new FakeContext();
  const handler = gssCarveExtractor.create(flow, ctx) as GssCarveHandler;
  const offsets = [0, 0];
  let number = 0;
  for (const [direction, bytes] of messages) {
    for (const piece of split ? split(bytes) : [bytes]) {
      number++;
      const view = Uint8Array.from(piece);
      handler.data({ direction, bytes: view, streamOffset: offsets[direction]!, packet: { number, seconds: 1_700_000_000, nanos: number } });
      view.fill(0x60); // the handler must have copied what it keeps
      offsets[direction]! += piece.length;
    }
  }
  handler.end('closed');
  return { ctx, handler };
}

const bytewise = (bytes: Buffer): Buffer[] => [...bytes].map((b) => Buffer.of(b));
/** curl --negotiate: SPNEGO NegTokenInit framed, with the krb5 AP-REQ as mechToken. */
const spnegoInit = Buffer.from(world.curlAuthorization.replace(/^Negotiate /, ''), 'base64');
/** MIT gss_init_sec_context: 60 … krb5 OID, TOK_ID 01 00, AP-REQ. */
const krb5Init = Buffer.from(world.delegatedApReq, 'base64');
const apRep = ApRep.encode({ pvno: 5, msgType: 15, encPart: { etype: 18, cipher: Buffer.alloc(40, 0x5a) } });
const spnegoResp = encodeNegTokenResp({ negState: 'accept-completed', supportedMech: KERBEROS_OIDS.krb5, responseToken: frameInitialContextToken(KERBEROS_OIDS.krb5, TokId.KRB_AP_REP, apRep) });

/** The KRB-ERROR (PREAUTH_REQUIRED) of the plain kinit's KDC stream: its second record. */
function kdcError(): Buffer {
  const stream = Buffer.from(world.kdcStreamPlain, 'hex');
  for (let at = 0; at < stream.length; ) {
    const length = stream.readUInt32BE(at);
    const record = stream.subarray(at + 4, at + 4 + length);
    if (record[0] === 0x7e) return record;
    at += 4 + length;
  }
  throw new Error('no KRB-ERROR in the fixture');
}

/** An SMB2 message behind its NetBIOS length, with `token` as its security buffer. */
function smb2(token: Buffer): Buffer {
  const header = Buffer.concat([Buffer.from([0xfe, 0x53, 0x4d, 0x42, 0x40, 0x00]), Buffer.alloc(58, 0x01), Buffer.from('1900000000000000', 'hex')]);
  const body = Buffer.concat([header, token, Buffer.from('trailing junk')]);
  const nbss = Buffer.alloc(4);
  nbss.writeUInt32BE(body.length);
  return Buffer.concat([nbss, body]);
}

describe('carving GSS-API tokens out of other protocols', () => {
  it('finds SPNEGO in SMB2 session setup, settles success on the AP-REP', () => {
    const { ctx } = run([
      [0, smb2(Buffer.alloc(0))],
      [1, smb2(Buffer.alloc(0))],
      [0, smb2(spnegoInit)],
      [1, smb2(spnegoResp)],
    ]);
    expect(ctx.recorders).toHaveLength(1);
    const exchange = ctx.recorders[0]!.exchange;
    expect(exchange.mechanism).toBe('SPNEGO');
    expect(exchange.capture).toMatchObject({ protocol: 'gss', carriedBy: 'SMB2', flow: 7, packets: [3, 4] });
    expect(exchange.steps.map((s) => [s.direction, s.transport.packet, s.token])).toEqual([
      ['client-to-server', 'SPNEGO NegTokenInit (AP-REQ)', spnegoInit.toString('base64')],
      ['server-to-client', 'NegTokenResp accept-completed (AP-REP)', spnegoResp.toString('base64')],
    ]);
    expect(exchange.steps[0]!.transport.fields).toEqual({ framing: 'GSS-API initial context token', 'stream offset': smb2(Buffer.alloc(0)).length + 4 + 72 });
    expect(exchange.verdict).toEqual({ outcome: 'success', reason: 'the acceptor answered with an AP-REP' });
  });

  it('gives the same steps when every byte is its own segment', () => {
    const messages: Message[] = [
      [0, smb2(spnegoInit)],
      [1, smb2(spnegoResp)],
    ];
    const whole = run(messages).ctx.recorders[0]!.exchange;
    const split = run(messages, bytewise).ctx.recorders[0]!.exchange;
    expect(split.steps.map((s) => [s.transport, s.token])).toEqual(whole.steps.map((s) => [s.transport, s.token]));
    // The token came from as many frames as it has bytes.
    expect(split.steps[0]!.packets).toHaveLength(spnegoInit.length);
    expect(split.verdict).toEqual(whole.verdict);
  });

  it('finds a framed krb5 AP-REQ and a bare KRB-ERROR behind a DCE/RPC bind', () => {
    const bind = Buffer.concat([Buffer.from('05000b0310000000', 'hex'), randomBytes(40).fill(0x11), krb5Init]);
    const { ctx } = run([
      [0, bind],
      [1, Buffer.concat([Buffer.from('05000c03', 'hex'), Buffer.alloc(20, 0x22), kdcError()])],
    ]);
    const exchange = ctx.recorders[0]!.exchange;
    expect(exchange.mechanism).toBe('GSS-API');
    expect(exchange.capture.carriedBy).toBe('DCE/RPC');
    expect(exchange.steps.map((s) => s.transport.packet)).toEqual(['AP-REQ', 'KRB-ERROR']);
    expect(exchange.steps[1]!.transport.fields!.framing).toBe('bare Kerberos message');
    expect(exchange.verdict).toMatchObject({ outcome: 'failure', code: 'KDC_ERR_PREAUTH_REQUIRED' });
  });

  it('reads base64 lines of IMAP AUTHENTICATE GSSAPI', () => {
    const line = (text: string) => Buffer.from(`${text}\r\n`);
    const { ctx } = run([
      [1, line('* OK IMAP4rev1 ready')],
      [0, line('a1 AUTHENTICATE GSSAPI')],
      [1, line('+ ')],
      [0, line(krb5Init.toString('base64'))],
      [1, line(`+ ${frameInitialContextToken(KERBEROS_OIDS.krb5, TokId.KRB_AP_REP, apRep).toString('base64')}`)],
    ], (b) => [b.subarray(0, 7), b.subarray(7)]);
    const exchange = ctx.recorders[0]!.exchange;
    expect(exchange.capture.carriedBy).toBe('IMAP');
    expect(exchange.steps.map((s) => [s.transport.packet, s.transport.fields!.framing])).toEqual([
      ['AP-REQ', 'base64 line'],
      ['AP-REP', 'base64 line'],
    ]);
    expect(exchange.steps[0]!.token).toBe(krb5Init.toString('base64'));
    expect(exchange.steps[0]!.packets).toEqual([7, 8]);
    expect(exchange.verdict.outcome).toBe('success');
    expect(examineLine(`334 ${spnegoInit.toString('base64')}`)?.kind).toBe('SPNEGO NegTokenInit (AP-REQ)');
    expect(examineLine(`AUTH GSSAPI ${krb5Init.toString('base64')}`)?.kind).toBe('AP-REQ');
    expect(examineLine('dGhpcyBpcyBub3QgYSB0b2tlbiBhdCBhbGw=')).toBeUndefined();
  });

  it('looks at the first 64 KiB of each direction only, then is done', () => {
    const filler = Buffer.alloc(GSS_CARVE_LOOK, 0x41);
    const { ctx, handler } = run([
      [0, Buffer.concat([filler, krb5Init])],
      [1, Buffer.concat([filler.subarray(10), spnegoResp])],
    ]);
    expect(handler.done).toBe(true);
    expect(ctx.recorders).toHaveLength(0);
  });

  it('rejects truncated and corrupted tokens', () => {
    expect(run([[0, krb5Init.subarray(0, krb5Init.length - 1)]]).ctx.recorders).toHaveLength(0);
    const corrupt = Buffer.from(krb5Init);
    corrupt[20] = corrupt[20]! ^ 0xff;
    const found = examineCandidate(corrupt, 0, corrupt.length, true);
    expect(found === 'no' || (typeof found === 'object' && found.length === corrupt.length)).toBe(true);
    const wrongOid = Buffer.from(spnegoInit);
    wrongOid[spnegoInit.indexOf(Buffer.from('2b0601050502', 'hex')) + 5] = 0x03;
    expect(examineCandidate(wrongOid, 0, wrongOid.length, true)).toBe('no');
  });
});

describe('false positives', () => {
  it('finds nothing in 1 MB of random bytes, quickly', () => {
    const random = randomBytes(1024 * 1024);
    const started = performance.now();
    let found = 0;
    for (let at = 0; at < random.length; at++) if (typeof examineCandidate(random, at, random.length, true) === 'object') found++;
    const { ctx } = run([
      [0, random.subarray(0, 512 * 1024)],
      [1, random.subarray(512 * 1024)],
    ], (b) => Array.from({ length: b.length / 1460 + 1 }, (_, i) => b.subarray(i * 1460, (i + 1) * 1460)).filter((p) => p.length));
    const elapsed = performance.now() - started;
    expect(found).toBe(0);
    expect(ctx.recorders).toHaveLength(0);
    expect(elapsed).toBeLessThan(5000);
  });

  it('finds nothing in text that happens to hold the tag bytes', () => {
    const text = Buffer.from('no one knows `n~o` and ~~~ nothing 334 abc\r\n+ hello\r\n'.repeat(500));
    expect(run([[0, text]]).ctx.recorders).toHaveLength(0);
  });
});
