import { describe, expect, it } from 'vitest';
import { decodeBytes } from '../../../main/inspect/decode';
import { identifyInput, wrongInputMessage } from '../../../main/krb/identify';
import { writeKeytab, KEYTAB_V2 } from '../../../main/krb/keytab';
import { ccache } from '../../helpers/ccache-builder';
import { world } from '../../helpers/world';

const pcap = Buffer.from('d4c3b2a102000400000000000000000000000400' + '01000000', 'hex');
const pcapng = Buffer.from('0a0d0d0a1c0000004d3c2b1a01000000ffffffffffffffff1c000000', 'hex');

describe('inputs named for what they are', () => {
  it.each([
    ['a pcap capture', pcap, 'pcap', 'a pcap capture (little-endian, microsecond timestamps)'],
    ['a pcapng capture', pcapng, 'pcapng', 'a pcapng capture'],
    ['a gzip file', Buffer.from('1f8b0800000000000003', 'hex'), 'gzip', 'a gzip-compressed file'],
    ['a keytab', writeKeytab({ version: KEYTAB_V2, entries: [] }), 'keytab', 'a keytab (version 0x0502)'],
    ['a v4 ccache', ccache(4), 'ccache', 'a FILE credential cache (version 4)'],
    ['a KRB-CRED', Buffer.from('76820100', 'hex'), 'kirbi', 'a KRB-CRED (.kirbi: tickets exported with their session keys)'],
    ['an HTTP header line', Buffer.from(world.curlAuthorization.replace(/^/, 'Authorization: ')), 'http-header', 'an HTTP authentication header line'],
    ['a Negotiate token line', Buffer.from(world.curlAuthorization), 'http-header', 'a Negotiate token as HTTP carries it'],
    ['base64 text', Buffer.from(world.javaSpnego), 'base64-text', 'base64 text'],
    ['hex text', Buffer.from('60 82 02 f8 06 06 2b 06'), 'hex-text', 'hex text'],
    ['a krb5.conf', Buffer.from('[libdefaults]\n  default_realm = X\n'), 'text', 'text starting "[libdefaults]"'],
    ['a GSS token', Buffer.from(world.javaSpnego, 'base64'), 'gss-token', 'a GSS-API token'],
  ] as const)('%s', (_label, bytes, kind, description) => {
    expect(identifyInput(bytes)).toEqual({ kind, description });
  });

  it('says what a wrong input is and where it is read, instead of a parse error', () => {
    expect(wrongInputMessage(ccache(4), 'keytab', 'a keytab')).toBe(
      'this is a FILE credential cache (version 4), not a keytab — read it with kbench ccache show, or the Credential cache view',
    );
    expect(wrongInputMessage(pcapng, 'keytab', 'a keytab')).toBe('this is a pcapng capture, not a keytab — open it in the Captures view or with kbench capture scan FILE');
    expect(wrongInputMessage(Buffer.from('76820100', 'hex'), 'ccache', 'a credential cache')).toBeUndefined();
    expect(wrongInputMessage(Buffer.from([0xde, 0xad, 0xbe, 0xef]), 'keytab', 'a keytab')).toBeUndefined();
  });

  it('names a capture given to the decoder', () => {
    expect(() => decodeBytes(pcapng, [])).toThrow(
      'input at byte 0: not a keytab, ccache, GSS-API/SPNEGO token or Kerberos message (this is a pcapng capture: captures are not read by the bench yet — paste the token or message itself)',
    );
  });
});
