import { describe, expect, it } from 'vitest';
import { parseTrace, parseTraceLine, traceCodes, traceErrorCodes, traceLines } from '../../main/gss/trace';

/** Real MIT 1.20 lines, captured through the kerberos binding (GSS worker KRB5_TRACE files). */
const TGS_FAILURE = [
  '[30147] 1795328651.419101: Retrieving alice@LAB.TEST -> nosuch/localhost@LAB.TEST from FILE:/tmp/lab/alice.ccache with result: -1765328243/Matching credential not found (filename: /tmp/lab/alice.ccache)',
  '[30147] 1795328651.419102: Retrieving alice@LAB.TEST -> krbtgt/LAB.TEST@LAB.TEST from FILE:/tmp/lab/alice.ccache with result: 0/Success',
  '[30147] 1795328651.419108: Generated subkey for TGS request: aes256-cts/C8F3',
  '[30147] 1795328651.419112: Received answer (397 bytes) from stream 127.0.0.1:28888',
  '[30147] 1795328651.419117: TGS request result: -1765328377/Server nosuch/localhost@LAB.TEST not found in Kerberos database',
];

describe('KRB5_TRACE parsing', () => {
  it('splits a line into pid, time, message and keeps it raw', () => {
    const entry = parseTraceLine(TGS_FAILURE[4]!);
    expect(entry).toEqual({
      pid: 30147,
      time: 1795328651.419117,
      message: 'TGS request result: -1765328377/Server nosuch/localhost@LAB.TEST not found in Kerberos database',
      codes: [-1765328377],
      raw: TGS_FAILURE[4],
    });
  });

  it('reads the microseconds as a fraction, whatever their width', () => {
    expect(parseTraceLine('[1] 1700000000.000012: x')?.time).toBeCloseTo(1700000000.000012, 6);
    expect(parseTraceLine('[1] 1700000000.5: x')?.time).toBe(1700000000.5);
  });

  it('finds com_err codes and skips "0/Success" and look-alikes', () => {
    expect(parseTraceLine(TGS_FAILURE[0]!)?.codes).toEqual([-1765328243]);
    expect(parseTraceLine(TGS_FAILURE[1]!)?.codes).toEqual([]);
    // Key fingerprints (aes256-cts/C8F3), ports and byte counts are not codes.
    expect(parseTraceLine(TGS_FAILURE[2]!)?.codes).toEqual([]);
    expect(parseTraceLine(TGS_FAILURE[3]!)?.codes).toEqual([]);
    expect(traceCodes('Retrieving x -> krb5_ccache_conf_data/start_realm@X-CACHECONF: with result: -1765328243/Matching credential not found')).toEqual([-1765328243]);
    expect(traceCodes('TCP error connecting to stream 127.0.0.1:88: 111/Connection refused')).toEqual([111]);
    expect(traceCodes('error -1765328360 then -1765328360/again')).toEqual([-1765328360]);
  });

  it('returns null for lines that are not MIT trace lines', () => {
    expect(parseTraceLine('')).toBeNull();
    expect(parseTraceLine('Node.js v20.20.2')).toBeNull();
    expect(parseTraceLine('[30147] 1795328651: no fraction')).toBeNull();
    expect(parseTraceLine('[30147] 1795328651.419101 no colon')).toBeNull();
  });

  it('parses whole trace text and collects its error codes in order', () => {
    const text = `${TGS_FAILURE.join('\n')}\n\nnot a trace line\n`;
    expect(traceLines(text)).toHaveLength(6);
    expect(parseTrace(text).map((entry) => entry.time)).toEqual([1795328651.419101, 1795328651.419102, 1795328651.419108, 1795328651.419112, 1795328651.419117]);
    expect(traceErrorCodes(TGS_FAILURE)).toEqual([-1765328243, -1765328377]);
    expect(parseTraceLine(`${TGS_FAILURE[4]}\r\n`)?.raw).toBe(TGS_FAILURE[4]);
  });
});
