import { describe, expect, it } from 'vitest';
import { readTlv } from '../../../main/krb/der/reader';
import { decodeDer, Integer, KerberosTime, ObjectIdentifier, OctetString } from '../../../main/krb/der/schema';
import { derInteger, derKerberosTime, derOid } from '../../../main/krb/der/writer';
import { KrbDecodeError } from '../../../main/krb/errors';
import { Ticket } from '../../../main/krb/messages';

const input = (hex: string) => ({ bytes: Buffer.from(hex, 'hex'), base: 0 });

describe('DER reader', () => {
  it('reads short, long and high-tag-number forms with offsets', () => {
    expect(readTlv(input('0403aabbcc'), 0, 5, 'x', '')).toMatchObject({ tagClass: 'universal', tagNumber: 4, headerLength: 2, length: 3 });
    const long = Buffer.concat([Buffer.from('048200ff', 'hex'), Buffer.alloc(255)]);
    expect(readTlv({ bytes: long, base: 100 }, 100, 100 + long.length, 'x', '')).toMatchObject({ offset: 100, headerLength: 4, length: 255 });
    expect(readTlv(input('bf810001ff'), 0, 5, 'x', '')).toMatchObject({ tagClass: 'context', constructed: true, tagNumber: 128, headerLength: 4 });
  });

  it.each([
    ['', 'input ended'],
    ['04', 'length missing'],
    ['0480', 'indefinite length'],
    ['0485ffffffffff', 'at most 4'],
    ['0484ff', 'length bytes run past'],
    ['0405aabb', 'declared length 5 runs past'],
    ['1f', 'tag number runs past'],
  ])('refuses %j with a typed error (%s)', (hex, reason) => {
    expect(() => readTlv(input(hex), 0, hex.length / 2, 'Test', 'field')).toThrow(KrbDecodeError);
    expect(() => readTlv(input(hex), 0, hex.length / 2, 'Test', 'field')).toThrow(reason);
  });

  it('names structure, field and absolute offset in errors', () => {
    try {
      decodeDer(Ticket, Buffer.from('6103020105', 'hex'), 'Ticket', { base: 40 });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(KrbDecodeError);
      expect((error as KrbDecodeError).offset).toBe(42);
      expect((error as Error).message).toMatch(/^Ticket at byte 42: expected Ticket \(SEQUENCE\) but found INTEGER/);
    }
  });
});

describe('DER primitives round trip', () => {
  it.each([0, 1, 127, 128, 255, 256, -1, -128, -129, 2 ** 31 - 1, -(2 ** 31), 2 ** 32 - 1])('INTEGER %i', (n) => {
    expect(decodeDer(Integer, derInteger(n), 'x').value).toBe(n);
  });

  it('minimal INTEGER encodings', () => {
    expect(derInteger(128).toString('hex')).toBe('02020080');
    expect(derInteger(-128).toString('hex')).toBe('020180');
    expect(derInteger(2 ** 32 - 1).toString('hex')).toBe('020500ffffffff');
  });

  it('OBJECT IDENTIFIER, including the Kerberos and SPNEGO OIDs', () => {
    expect(derOid('1.2.840.113554.1.2.2').toString('hex')).toBe('06092a864886f712010202');
    for (const oid of ['1.2.840.113554.1.2.2', '1.3.6.1.5.5.2', '1.3.6.1.4.1.311.2.2.10', '2.999.3']) {
      expect(decodeDer(ObjectIdentifier, derOid(oid), 'x').value).toBe(oid);
    }
  });

  it('KerberosTime and OCTET STRING', () => {
    const when = new Date(Date.UTC(2026, 10, 22, 5, 10, 20));
    expect(derKerberosTime(when).toString('latin1').slice(2)).toBe('20261122051020Z');
    expect(decodeDer(KerberosTime, derKerberosTime(when), 'x').value.getTime()).toBe(when.getTime());
    expect(() => decodeDer(KerberosTime, Buffer.from('180f32303236313332323035313032305a', 'hex'), 't')).toThrow(/not a valid date|not YYYYMMDDHHMMSSZ/);
    expect(decodeDer(OctetString, Buffer.from('0400', 'hex'), 'x').value.length).toBe(0);
  });

  it('rejects trailing bytes after a value', () => {
    expect(() => decodeDer(Integer, Buffer.from('02010500', 'hex'), 'x')).toThrow(/1 trailing byte/);
  });
});
