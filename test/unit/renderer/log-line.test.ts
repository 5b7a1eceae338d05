/**
 * How the bench colours and times log lines: KRB5_TRACE lines (MIT's own words, as the trace
 * fixtures of the GSS worker tests captured them) and the KDC's syslog lines.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localClock, logLineView, logSeverity } from '../../../renderer/src/utils/log-line';

describe('log lines: local time and severity', () => {
  const zone = process.env.TZ;
  // Node re-reads TZ when it changes: the clock test runs in a zone with a known offset.
  beforeAll(() => void (process.env.TZ = 'Asia/Kolkata'));
  afterAll(() => void (zone === undefined ? delete process.env.TZ : (process.env.TZ = zone)));

  it('shows a KRB5_TRACE time as local hours, minutes, seconds and milliseconds, the raw line kept for the tooltip', () => {
    const line = '[30147] 1795328651.419112: Received answer (397 bytes) from stream 127.0.0.1:28888';
    // 1795328651 s = 2026-11-22 06:24:11 UTC = 11:54:11 in Kolkata (UTC+5:30).
    expect(logLineView(line)).toEqual({ time: '11:54:11.419', text: 'Received answer (397 bytes) from stream 127.0.0.1:28888', raw: line, severity: 'reply' });
    expect(localClock(1795328651, 5)).toBe('11:54:11.000');
    // Short fractions are tenths, not microseconds.
    expect(logLineView('[7] 1795336404.2: Resolving hostname kdc.example.com').time).toBe('14:03:24.200');
  });

  it('colours failures red, errors MIT recovers from amber, replies as replies, the rest plainly', () => {
    expect(logSeverity('TGS request result: -1765328377/Server nosuch/localhost@LAB.TEST not found in Kerberos database')).toBe('error');
    expect(logSeverity('Received error from KDC: -1765328360/Preauthentication failed')).toBe('error');
    expect(logSeverity('Retrying AS request with primary KDC')).toBe('error');
    expect(logSeverity('Retrieving alice@LAB.TEST -> krbtgt/LAB.TEST@LAB.TEST from FILE:/tmp/lab/alice.ccache with result: -1765328243/Matching credential not found')).toBe('routine');
    expect(logSeverity('Received error from KDC: -1765328359/Additional pre-authentication required')).toBe('routine');
    expect(logSeverity('Received answer (397 bytes) from stream 127.0.0.1:28888')).toBe('reply');
    expect(logSeverity('Response was from primary KDC')).toBe('reply');
    expect(logSeverity('Generated subkey for TGS request: aes256-cts/C8F3')).toBe('normal');
    expect(logSeverity('Result of acceptor: 0/Success')).toBe('normal');
    expect(logSeverity('Sending request (191 bytes) to BENCH.TEST')).toBe('normal');
  });

  it("reads the KDC's syslog lines: time, message, issued tickets, refusals and the bench's own probes", () => {
    const issued = 'Nov 22 06:25:09 vm krb5kdc[30604](info): AS_REQ (4 etypes {aes256-cts-hmac-sha1-96(18)}) 127.0.0.1: ISSUE: authtime 1795329909, etypes {rep=18 tkt=18 ses=18}, alice@BENCH.TEST for krbtgt/BENCH.TEST@BENCH.TEST';
    expect(logLineView(issued)).toMatchObject({ time: '06:25:09', severity: 'issued', text: expect.stringMatching(/^AS_REQ .*ISSUE:/) });
    expect(logLineView('Nov 22 06:25:10 vm krb5kdc[30604](info): TGS_REQ (4 etypes {18}) 127.0.0.1: UNKNOWN_SERVER: authtime 0,  alice@BENCH.TEST for nosuch/localhost@BENCH.TEST, Server not found in Kerberos database').severity).toBe('error');
    expect(logLineView('Nov 22 06:25:08 vm krb5kdc[30604](info): AS_REQ (4 etypes {18}) 127.0.0.1: NEEDED_PREAUTH: alice@BENCH.TEST for krbtgt/BENCH.TEST@BENCH.TEST, Additional pre-authentication required').severity).toBe('routine');
    expect(logLineView('Nov 22 06:25:08 vm krb5kdc[30604](info): AS_REQ (4 etypes {18}) 127.0.0.1: ISSUE: authtime 1, kbench-probe-1f2e3d@BENCH.TEST for krbtgt/BENCH.TEST@BENCH.TEST').severity).toBe('noise');
    expect(logLineView('Nov 22 06:25:08 vm krb5kdc[30604](info): closing down fd 12').severity).toBe('noise');
    expect(logLineView('Nov 22 06:25:08 vm krb5kdc[30604](err): Cannot bind server socket on 127.0.0.1.88').severity).toBe('error');
    expect(logLineView('krb5kdc: starting...')).toEqual({ time: '', text: 'krb5kdc: starting...', raw: 'krb5kdc: starting...', severity: 'normal' });
  });
});
