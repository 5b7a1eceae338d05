import { describe, expect, it } from 'vitest';
import { decodeDer } from '../../../../main/krb/der/schema';
import { PaData, supportedEnctypesNames } from '../../../../main/krb/messages/padata';

describe('PA-SUPPORTED-ENCTYPES (MS-KILE §2.2.7)', () => {
  it('names the enctype bits and the feature bits where MS-KILE puts them', () => {
    expect(supportedEnctypesNames(0x1c)).toEqual(['arcfour-hmac', 'aes128-cts-hmac-sha1-96', 'aes256-cts-hmac-sha1-96']);
    expect(supportedEnctypesNames(0x10000)).toEqual(['fast-supported']);
    expect(supportedEnctypesNames(0x20000)).toEqual(['compound-identity-supported']);
    expect(supportedEnctypesNames(0x40000)).toEqual(['claims-supported']);
    expect(supportedEnctypesNames(0x80000)).toEqual(['resource-sid-compression-disabled']);
    expect(supportedEnctypesNames(0x20)).toEqual(['aes256-cts-hmac-sha1-96-sk']);
  });

  it('decodes the little-endian value a Windows KDC sends in the AS-REP (FAST, compound identity and claims on)', () => {
    const padata = PaData.encode({ padataType: 165, padataValue: Buffer.from('1f000700', 'hex') });
    const value = decodeDer(PaData, padata, 'PA-DATA').tree.children!.find((c) => c.name === 'padata-value')!;
    expect(value.value).toBe(
      '0x7001f (des-cbc-crc, des-cbc-md5, arcfour-hmac, aes128-cts-hmac-sha1-96, aes256-cts-hmac-sha1-96, fast-supported, compound-identity-supported, claims-supported)',
    );
  });
});
