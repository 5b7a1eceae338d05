import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KrbDecodeError } from '../../../../main/krb/errors';
import { findNode } from '../../../../main/krb/tree';
import { channelBindingsHash, decodeGssChecksum, encodeGssChecksum, GssFlag } from '../../../../main/krb/gss';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s/g, ''), 'hex');

describe('GSS checksum 0x8003 (RFC 4121 §4.1.1)', () => {
  it('decodes the RFC layout: Lgth 16 LE, Bnd, Flags LE', () => {
    // mutual | replay | sequence | conf | integ = 0x3e, as MIT's initiator sends by default with conf/integ
    const bytes = hex('10000000 00000000000000000000000000000000 3e000000');
    const { value, tree, delegation } = decodeGssChecksum(bytes, 200);
    expect(value).toMatchObject({ lgth: 16, flags: 0x3e, exts: [] });
    expect(value.flagNames).toEqual(['GSS_C_MUTUAL_FLAG', 'GSS_C_REPLAY_FLAG', 'GSS_C_SEQUENCE_FLAG', 'GSS_C_CONF_FLAG', 'GSS_C_INTEG_FLAG']);
    expect(delegation).toBeUndefined();
    expect(findNode(tree, 'Lgth')).toMatchObject({ offset: 200, length: 4, value: 16 });
    expect(findNode(tree, 'Bnd')).toMatchObject({ offset: 204, length: 16, value: 'zeros: no channel bindings' });
    expect(findNode(tree, 'Flags')).toMatchObject({ offset: 220, length: 4 });
  });

  it('names the Microsoft flags and unknown bits', () => {
    const bytes = encodeGssChecksum({ flags: GssFlag.MUTUAL | GssFlag.DCE_STYLE | GssFlag.IDENTIFY | GssFlag.EXTENDED_ERROR | 0x100000 });
    expect(decodeGssChecksum(bytes).value.flagNames).toEqual([
      'GSS_C_MUTUAL_FLAG',
      'GSS_C_DCE_STYLE',
      'GSS_C_IDENTIFY_FLAG',
      'GSS_C_EXTENDED_ERROR_FLAG',
      'unknown bits 0x100000',
    ]);
  });

  it('round trips delegation (DlgOpt 1, Dlgth, Deleg placeholder) and extensions', () => {
    const krbCred = Buffer.from([0x76, 0x03, 0x30, 0x01, 0x00]);
    const bnd = Buffer.alloc(16, 0xab);
    const bytes = encodeGssChecksum({ bnd, flags: GssFlag.MUTUAL, delegation: krbCred, exts: [{ type: 2, data: Buffer.from('fin') }] });
    expect(bytes.subarray(20, 28).toString('hex')).toBe('0300000001000500');
    const { value, tree, delegation } = decodeGssChecksum(bytes, 10);
    expect(value).toMatchObject({ flags: GssFlag.MUTUAL | GssFlag.DELEG, dlgOpt: 1, dlgth: 5, bnd, exts: [{ type: 2, data: Buffer.from('fin') }] });
    expect(delegation).toEqual({ offset: 10 + 28, bytes: krbCred });
    expect(findNode(tree, 'Deleg')).toMatchObject({ offset: 38, length: 5, type: 'KRB-CRED (delegated TGT)' });
    expect(findNode(tree, 'Exts')).toMatchObject({ offset: 43, length: 11, value: 'IAKERB finished: 66696e' });
  });

  it('clears GSS_C_DELEG_FLAG when there is nothing to delegate', () => {
    expect(decodeGssChecksum(encodeGssChecksum({ flags: GssFlag.DELEG | GssFlag.MUTUAL })).value.flags).toBe(GssFlag.MUTUAL);
  });

  it('refuses a wrong Lgth, a missing delegation and truncated extensions', () => {
    expect(() => decodeGssChecksum(hex('08000000 0000000000000000 00000000'))).toThrow(expect.objectContaining({ field: 'Lgth', offset: 0 }));
    expect(() => decodeGssChecksum(encodeGssChecksum({ flags: 0 }).fill(1, 20, 21))).toThrow(/GSS_C_DELEG_FLAG is set but DlgOpt/);
    expect(() => decodeGssChecksum(Buffer.concat([encodeGssChecksum({ flags: 2 }), hex('00000002 00000009 ff')]))).toThrow(KrbDecodeError);
    expect(() => encodeGssChecksum({ flags: 0, bnd: Buffer.alloc(15) })).toThrow(RangeError);
  });
});

describe('channel bindings hash (RFC 4121 §4.1.1.2)', () => {
  const le32 = (n: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    return b;
  };

  it('is MD5 over LE32 types and lengths with the data, in RFC order', () => {
    const initiator = Buffer.from([192, 168, 1, 2]);
    const acceptor = Buffer.from([10, 0, 0, 1]);
    const app = Buffer.from('tls-server-end-point:' + 'ab'.repeat(32), 'latin1');
    const layout = Buffer.concat([le32(2), le32(4), initiator, le32(2), le32(4), acceptor, le32(app.length), app]);
    expect(channelBindingsHash(2, initiator, 2, acceptor, app)).toEqual(createHash('md5').update(layout).digest());
  });

  it('hashes empty bindings as 20 zero bytes, which the decoder names', () => {
    const empty = channelBindingsHash(0, Buffer.alloc(0), 0, Buffer.alloc(0), Buffer.alloc(0));
    expect(empty).toEqual(createHash('md5').update(Buffer.alloc(20)).digest());
    const { tree } = decodeGssChecksum(encodeGssChecksum({ flags: 2, bnd: empty }));
    expect(findNode(tree, 'Bnd')!.value).toMatch(/MD5 of empty channel bindings/);
  });
});
