/**
 * Java's Kerberos debug lines. Fixture provenance: captured from the Java GSS worker
 * (resources/java, OpenJDK 17.0.15 Debian, -Dsun.security.krb5.debug=true
 * -Dsun.security.spnego.debug=true) against an MIT 1.20 lab realm LAB.TEST: an SPNEGO initiator
 * for HTTP@localhost, and a krb5 initiator for HTTP@nosuch.localhost (unknown to the KDC).
 */
import { describe, expect, it } from 'vitest';
import { javaTraceLines, parseJavaTrace, parseJavaTraceLine, summarizeJavaTrace } from '../../../main/gss/java-trace';

const CAPTURED = `Debug is  true storeKey false useTicketCache true useKeyTab false doNotPrompt true ticketCache is /tmp/jlab/alice.ccache isInitiator true KeyTab is null refreshKrb5Config is false principal is null tryFirstPass is false useFirstPass is false storePass is false clearPass is false
Acquire TGT from Cache
Principal is alice@LAB.TEST
Commit Succeeded \r

Entered SpNego.initSecContext with state=STATE_NEW
default etypes for default_tgs_enctypes: 18 17 20 19.
>>> EType: sun.security.krb5.internal.crypto.Aes256CtsHmacSha1EType
Added key: 17, version: 2
Session Key = keyType=18, 32-byte key
>>> KrbKdcReq send: kdc=127.0.0.1 TCP:18977, timeout=30000, number of retries =3, #bytes=733
>>> KrbKdcReq send: #bytes read=149
>>>KRBError:
\t sTime is Sun Dec 06 11:56:59 UTC 2026 1796558219000
\t suSec is 830616
\t error code is 7
\t error Message is Server not found in Kerberos database
\t crealm is LAB.TEST
\t sname is HTTP/nosuch.localhost@LAB.TEST
\t msgType is 30
>>> EType: sun.security.krb5.internal.crypto.ArcFourHmacEType
KrbException: Server not found in Kerberos database (7) - LOOKING_UP_SERVER
\tat java.security.jgss/sun.security.krb5.KrbTgsRep.<init>(KrbTgsRep.java:72)
Caused by: KrbException: Identifier doesn't match expected value (906)
\t... 18 more
0000: 01 00 6E 82 02 B0 30 82   02 AC A0 03 02 01 05 A1  ..n...0.........
SpNegoContext.initSecContext: sending token of type = SPNEGO NegTokenInit
`;

describe('Java Kerberos debug lines', () => {
  it('splits into non-empty lines without carriage returns', () => {
    const lines = javaTraceLines(CAPTURED);
    expect(lines).not.toContain('');
    expect(lines.some((line) => line.endsWith('\r'))).toBe(false);
    expect(lines[3]).toBe('Commit Succeeded ');
  });

  it('picks out KDC requests, KRB-ERRORs with code and text, and enctypes', () => {
    const summary = summarizeJavaTrace(javaTraceLines(CAPTURED));
    expect(summary.kdcRequests).toEqual(['127.0.0.1 TCP:18977']);
    expect(summary.kdcErrors).toEqual([{ code: 7, text: 'Server not found in Kerberos database' }]);
    expect(summary.enctypes).toEqual([18, 17, 20, 19, 23]);
  });

  it('marks login, SPNEGO, hex dump and stack lines so a viewer can fold them', () => {
    const kinds = parseJavaTrace(CAPTURED).map((entry) => entry.kind);
    expect(kinds.slice(0, 4)).toEqual(['login', 'login', 'login', 'login']);
    expect(parseJavaTraceLine('0000: 01 00 6E 82 02 B0 30 82   02 AC A0 03 02 01 05 A1  ..n...0.........').kind).toBe('hex');
    expect(parseJavaTraceLine('\tat java.security.jgss/sun.security.krb5.KrbTgsRep.<init>(KrbTgsRep.java:72)').kind).toBe('stack');
    expect(parseJavaTraceLine("Caused by: KrbException: Identifier doesn't match expected value (906)").kind).toBe('stack');
    expect(parseJavaTraceLine('SpNegoContext.initSecContext: sending token of type = SPNEGO NegTokenInit').kind).toBe('spnego');
    expect(parseJavaTraceLine('KrbException: Server not found in Kerberos database (7) - LOOKING_UP_SERVER').kind).toBe('other');
  });

  it('does not carry a KRB-ERROR field over to a later, unrelated indented line', () => {
    const entries = parseJavaTrace(['>>>KRBError:', '\t error code is 24', '>>> KrbKdcReq send: kdc=127.0.0.1 UDP:88, timeout=3000', '\t error code is 99']);
    expect(entries[0]).toMatchObject({ kind: 'kdc-error', errorCode: 24 });
    expect(entries[2]).toMatchObject({ kind: 'kdc-request', kdc: '127.0.0.1 UDP:88' });
    expect(summarizeJavaTrace(entries.map((e) => e.raw)).kdcErrors).toEqual([{ code: 24 }]);
  });

  it('takes any text without throwing', () => {
    for (const text of ['', '\n\n', '>>>KRBError:', '\t error code is x', 'default etypes for x: .', '0000:', '\u0000\uffff']) {
      expect(() => parseJavaTrace(text)).not.toThrow();
    }
  });
});
