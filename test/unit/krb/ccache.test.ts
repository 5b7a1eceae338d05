import { describe, expect, it } from 'vitest';
import { parseCcache } from '../../../main/krb/ccache';
import { KrbDecodeError } from '../../../main/krb/errors';
import { ccache } from '../../helpers/ccache-builder';

describe('FILE ccache', () => {
  it.each([3, 4] as const)('reads version %i: credentials, referral entries and config entries apart', (version) => {
    const { ccache: cc, tree } = parseCcache(ccache(version));
    expect(cc.version).toBe(version);
    expect(cc.defaultPrincipal).toMatchObject({ components: ['alice'], realm: 'EXAMPLE.COM' });
    expect(cc.credentials.map((c) => `${c.server.components.join('/')}@${c.server.realm}`)).toEqual(['krbtgt/EXAMPLE.COM@EXAMPLE.COM', 'HTTP/web.example.com@']);
    expect(cc.credentials[0]).toMatchObject({ keyEnctype: 18, authtime: 1_700_000_000, starttime: 0, endtime: 1_700_036_000, renewTill: 1_700_086_400 });
    expect(cc.credentials[0]!.flagNames).toEqual(['forwardable', 'renewable', 'initial', 'pre-authent', 'enc-pa-rep']);
    expect(cc.credentials[0]!.addresses).toEqual([{ type: 2, data: Buffer.from([10, 0, 0, 1]) }]);
    expect(cc.config).toEqual([
      { key: 'pa_type', principal: 'krbtgt/EXAMPLE.COM@EXAMPLE.COM', value: Buffer.from('2') },
      { key: 'start_realm', value: Buffer.from('EXAMPLE.COM') },
    ]);
    if (version === 4) expect(cc.kdcTimeOffset).toEqual({ seconds: -42, microseconds: 7 });
    expect(tree.children?.filter((n) => n.type === 'config entry')).toHaveLength(2);
    expect(JSON.stringify(tree)).toContain('<32 bytes hidden>');
  });

  it('refuses foreign files and truncated old versions with a typed error', () => {
    expect(() => parseCcache(Buffer.from([5, 2, 0, 0]))).toThrow('ccache.default_principal.name_type at byte 2: needs 4 byte(s) but only 2 remain');
    expect(() => parseCcache(Buffer.from([5, 9]))).toThrow('ccache.file_format_version at byte 0: 0x509 is not a FILE ccache version (0x0501 to 0x0504)');
    expect(() => parseCcache(Buffer.from('hello'))).toThrow(KrbDecodeError);
  });

  it('fails fast on absurd counts instead of looping or allocating', () => {
    const bytes = ccache(4);
    const huge = Buffer.from(bytes);
    huge.writeUInt32BE(0x7fffffff, 2 + 14 + 4); // default principal num_components
    expect(() => parseCcache(huge)).toThrow(/components is not a principal/);
  });
});
