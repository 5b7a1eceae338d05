/**
 * The pure parts of "check my setup": the AS-REQ probe and the reading of KDC replies, clock-skew
 * arithmetic, kdc lines and SRV answers, krb5.conf values as MIT reads them, kvno output.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildProbeAsReq, readKdcReply } from '../../../main/diagnose/environment/as-req';
import { ccacheFile, ccacheKind } from '../../../main/diagnose/environment/ccache';
import { EnvFindingId, ENV_TO_CATALOG } from '../../../main/diagnose/environment/catalog-map';
import { describeOffset, kdcClockOffset, reportClock } from '../../../main/diagnose/environment/clock';
import { serviceHostOf } from '../../../main/diagnose/environment/dns';
import { parseKvnoOutput } from '../../../main/diagnose/environment/kdc-kvno';
import { parseKdcValue, srvEndpoints } from '../../../main/diagnose/environment/kdc-locate';
import { Krb5Settings, parseBoolean, parseDuration, parseEnctypeList } from '../../../main/diagnose/environment/settings';
import { Collector } from '../../../main/diagnose/environment/types';
import { decodeKerberosMessage, KrbError } from '../../../main/krb/messages';
import type { KdcReq } from '../../../main/krb/messages/kdc';
import { parsePrincipal } from '../../../main/krb/names';
import { parseProfile } from '../../../main/krb/profile';

const settingsOf = (text: string) => new Krb5Settings([parseProfile(text, '/etc/krb5.conf')]);

describe('the AS-REQ probe', () => {
  it('decodes with the repo decoder as an AS-REQ for krbtgt/REALM@REALM, no pre-auth', () => {
    const now = new Date('2025-01-02T03:04:05Z');
    const request = buildProbeAsReq('EXAMPLE.COM', { client: 'nobody-here', nonce: 12345, now });
    expect(request.bytes[0]).toBe(0x6a); // [APPLICATION 10], constructed
    const decoded = decodeKerberosMessage(request.bytes);
    expect(decoded.kind).toBe('AS-REQ');
    const req = decoded.value as KdcReq;
    expect(req).toMatchObject({ pvno: 5, msgType: 10 });
    expect(req.padata).toBeUndefined();
    expect(req.reqBody).toMatchObject({
      realm: 'EXAMPLE.COM',
      cname: { nameType: 1, nameString: ['nobody-here'] },
      sname: { nameType: 2, nameString: ['krbtgt', 'EXAMPLE.COM'] },
      nonce: 12345,
      etype: [18, 17, 20, 19, 23],
    });
    expect(req.reqBody.kdcOptions.bits).toBe(0);
    expect(req.reqBody.till.toISOString()).toBe('2025-01-02T04:04:05.000Z');
  });

  it('uses a fresh random client name and nonce each time', () => {
    const a = buildProbeAsReq('R');
    const b = buildProbeAsReq('R');
    expect(a.client).toMatch(/^kbench-probe-[0-9a-f]{12}$/);
    expect(a.client).not.toBe(b.client);
    expect(a.nonce).toBeGreaterThan(0);
    expect(a.nonce).toBeLessThan(2 ** 31);
  });
});

describe('reading a KDC reply', () => {
  const stime = new Date('2025-06-01T12:00:00Z');
  const krbError = (errorCode: number, realm = 'EXAMPLE.COM') =>
    KrbError.encode({ pvno: 5, msgType: 30, stime, susec: 250_000, errorCode, realm, sname: { nameType: 2, nameString: ['krbtgt', realm] }, eText: 'CLIENT_NOT_FOUND' });

  it('takes error code, realm and the KDC time from a KRB-ERROR', () => {
    expect(readKdcReply(krbError(6))).toEqual({
      kind: 'KRB-ERROR',
      errorCode: 6,
      errorName: 'KDC_ERR_C_PRINCIPAL_UNKNOWN',
      realm: 'EXAMPLE.COM',
      stime,
      susec: 250_000,
      eText: 'CLIENT_NOT_FOUND',
    });
  });

  it('calls anything else "other", with the decoder\'s reason', () => {
    expect(readKdcReply(Buffer.from('HTTP/1.1 400 Bad Request\r\n'))).toMatchObject({ kind: 'other', description: expect.stringContaining('not a Kerberos message') });
    expect(readKdcReply(buildProbeAsReq('R').bytes)).toEqual({ kind: 'other', description: 'a Kerberos AS-REQ, not a KDC reply' });
    expect(readKdcReply(krbError(6).subarray(0, 20))).toMatchObject({ kind: 'other' });
  });
});

describe('clock skew', () => {
  it('compares stime+susec with the midpoint of send and receive', () => {
    const stime = new Date(1_000_000_900_000);
    // Sent at t, received 200 ms later: the KDC stamped its reply 900.5 s after the midpoint.
    expect(kdcClockOffset(stime, 600_000, 1_000_000_000_000, 1_000_000_000_200)).toBeCloseTo(900.5, 6);
    expect(kdcClockOffset(new Date(1_000_000_000_000), 0, 1_000_000_030_000, 1_000_000_030_000)).toBe(-30);
    expect(describeOffset(900.46)).toBe('+900.5 s (KDC ahead of this host)');
    expect(describeOffset(-30)).toBe('-30.0 s (KDC behind this host)');
  });

  it('finds skew beyond clockskew (default 300 s, or the configured one) and names every witness', () => {
    const witness = (offsetSeconds: number) => ({ offsetSeconds, source: 'KRB-ERROR from 10.0.0.1:88 (UDP)', text: 'stime …' });
    const small = new Collector();
    reportClock([witness(299)], settingsOf('[libdefaults]\n'), small);
    expect(small.findings).toEqual([]);
    expect(small.checks[0]).toMatchObject({ id: 'clock-skew', ok: true, detail: expect.stringContaining('allowed 300 s (MIT default clockskew)') });

    const big = new Collector();
    reportClock([witness(-301), { ...witness(2), source: 'ccache header (/tmp/cc)' }], settingsOf('[libdefaults]\n'), big);
    expect(big.findings[0]).toMatchObject({ id: 'env.clock-skew', cause: expect.stringContaining('-301.0 s') });
    expect(big.findings[0]!.evidence.map((e) => e.source)).toEqual(['KRB-ERROR from 10.0.0.1:88 (UDP)', 'ccache header (/tmp/cc)', 'MIT default']);

    const strict = new Collector();
    reportClock([witness(120)], settingsOf('[libdefaults]\n  clockskew = 60\n'), strict);
    expect(strict.findings[0]!.evidence.at(-1)).toEqual({ source: '/etc/krb5.conf:2', text: 'clockskew = 60' });
  });

  it('says so when nothing measured the KDC clock', () => {
    const out = new Collector();
    reportClock([], settingsOf(''), out);
    expect(out.checks[0]).toMatchObject({ ok: false, detail: expect.stringContaining('not measured') });
  });
});

describe('kdc lines and SRV records', () => {
  it.each([
    ['kdc.example.com', { host: 'kdc.example.com', port: 88, transports: ['udp', 'tcp'] }],
    ['kdc.example.com:750', { host: 'kdc.example.com', port: 750, transports: ['udp', 'tcp'] }],
    ['127.0.0.1:40088', { host: '127.0.0.1', port: 40088, transports: ['udp', 'tcp'] }],
    ['[2001:db8::1]:8888', { host: '2001:db8::1', port: 8888, transports: ['udp', 'tcp'] }],
    ['2001:db8::1', { host: '2001:db8::1', port: 88, transports: ['udp', 'tcp'] }],
    ['tcp/kdc.example.com', { host: 'kdc.example.com', port: 88, transports: ['tcp'] }],
    ['UDP/kdc:89', { host: 'kdc', port: 89, transports: ['udp'] }],
  ])('parses %s', (value, expected) => {
    expect(parseKdcValue(value)).toEqual(expected);
  });

  it.each(['https://kdcproxy.example.com/KdcProxy', '', 'kdc:0', 'kdc:99999', 'two words'])('refuses %j', (value) => {
    expect(parseKdcValue(value)).toBeNull();
  });

  it('orders SRV answers by priority then weight and drops the "." target', () => {
    const endpoints = srvEndpoints(
      [
        { name: 'b.example.com.', port: 88, priority: 10, weight: 0 },
        { name: 'a.example.com', port: 750, priority: 0, weight: 5 },
        { name: 'c.example.com', port: 88, priority: 0, weight: 50 },
        { name: '.', port: 0, priority: 0, weight: 0 },
      ],
      'tcp',
      '_kerberos._tcp.EXAMPLE.COM',
    );
    expect(endpoints.map((e) => `${e.host}:${e.port}`)).toEqual(['c.example.com:88', 'a.example.com:750', 'b.example.com:88']);
    expect(endpoints[0]).toMatchObject({ transports: ['tcp'], source: 'DNS SRV _kerberos._tcp.EXAMPLE.COM' });
  });
});

describe('krb5.conf values as MIT reads them', () => {
  it('booleans and durations', () => {
    expect(['yes', 'TRUE', 'on', '1', 't'].map(parseBoolean)).toEqual([true, true, true, true, true]);
    expect(['no', 'false', 'off', '0', 'nil'].map(parseBoolean)).toEqual([false, false, false, false, false]);
    expect(parseBoolean('maybe')).toBeUndefined();
    expect(['300', '5m', '10h', '1d', '1d2h', '1:30', '1:00:30', '2h 30m'].map(parseDuration)).toEqual([300, 300, 36000, 86400, 93600, 5400, 3630, 9000]);
    expect(parseDuration('soon')).toBeUndefined();
    expect(parseDuration('5x')).toBeUndefined();
  });

  it('enctype lists: names, families, DEFAULT, removals, weak ones dropped unless allowed', () => {
    expect(parseEnctypeList('aes256-cts-hmac-sha1-96 aes128-cts').ids).toEqual([18, 17]);
    expect(parseEnctypeList('DEFAULT -rc4 -des3').ids).toEqual([18, 17, 20, 19, 26, 25]);
    expect(parseEnctypeList('aes-sha2, +rc4').ids).toEqual([20, 19, 23]);
    expect(parseEnctypeList('des-cbc-crc arcfour-hmac-md5').ids).toEqual([23]);
    expect(parseEnctypeList('des-cbc-crc arcfour-hmac-md5', true).ids).toEqual([1, 23]);
    expect(parseEnctypeList('aes nonsense-type').unknown).toEqual(['nonsense-type']);
  });

  it('keeps where each value came from, and MIT defaults where unset', () => {
    const settings = settingsOf('[libdefaults]\n  rdns = false\n  permitted_enctypes = rc4\n  clockskew = 2m\n[realms]\n  A.TEST = {\n    kdc = k1\n    kdc = k2:89\n  }\n');
    expect(settings.flag('rdns', true)).toEqual({ value: false, where: '/etc/krb5.conf:2', raw: 'false' });
    expect(settings.flag('dns_lookup_kdc', true)).toEqual({ value: true });
    expect(settings.clockskew()).toEqual({ seconds: 120, where: '/etc/krb5.conf:4' });
    expect(settings.enctypes('permitted_enctypes')).toMatchObject({ ids: [23], where: '/etc/krb5.conf:3' });
    expect(settings.enctypes('default_tkt_enctypes').ids).toEqual([18, 17, 20, 19, 16, 23, 26, 25]);
    expect(settings.realmValues('A.TEST', 'kdc')).toEqual([
      { value: 'k1', where: '/etc/krb5.conf:7' },
      { value: 'k2:89', where: '/etc/krb5.conf:8' },
    ]);
    expect(settings.realms()).toEqual(['A.TEST']);
  });

  it('[domain_realm]: the host itself first, then parent domains with a leading dot', () => {
    const settings = settingsOf('[domain_realm]\n  .example.com = EXAMPLE.COM\n  example.com = APEX.COM\n  special.example.com = SPECIAL.COM\n  .eu.example.com = EU.COM\n');
    expect(settings.domainRealm('special.example.com')).toMatchObject({ key: 'special.example.com', value: 'SPECIAL.COM' });
    expect(settings.domainRealm('Broker.EU.example.com.')).toMatchObject({ key: '.eu.example.com', value: 'EU.COM', where: '/etc/krb5.conf:5' });
    expect(settings.domainRealm('broker.example.com')).toMatchObject({ key: '.example.com', value: 'EXAMPLE.COM' });
    expect(settings.domainRealm('example.com')).toMatchObject({ value: 'APEX.COM' });
    expect(settings.domainRealm('example.org')).toBeUndefined();
  });
});

describe('small readers', () => {
  it('kvno output', () => {
    expect(parseKvnoOutput('mqtt/localhost@BENCH.TEST: kvno = 3\n')).toEqual({ principal: 'mqtt/localhost@BENCH.TEST', kvno: 3 });
    expect(parseKvnoOutput('kvno: Server not found in Kerberos database while getting credentials\n')).toBeUndefined();
  });

  it('service host of a principal', () => {
    expect(serviceHostOf(parsePrincipal('mqtt/broker.example.com@EXAMPLE.COM'), 'p')).toEqual({ service: 'mqtt', host: 'broker.example.com', realm: 'EXAMPLE.COM', principal: 'p' });
    expect(serviceHostOf(parsePrincipal('alice@EXAMPLE.COM'), 'p')).toBeUndefined();
  });

  it('ccache names: FILE, bare paths, DIR collections through "primary", the rest not files', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kbench-ccdir-'));
    try {
      await writeFile(path.join(dir, 'primary'), 'tktAbc123\n');
      expect(await ccacheFile('FILE:/tmp/cc')).toBe('/tmp/cc');
      expect(await ccacheFile('/tmp/cc')).toBe('/tmp/cc');
      expect(await ccacheFile(`DIR:${dir}`)).toBe(path.join(dir, 'tktAbc123'));
      expect(await ccacheFile(`DIR::${dir}/tktX`)).toBe(`${dir}/tktX`);
      expect(await ccacheFile('KEYRING:persistent:1000')).toBeUndefined();
      expect(ccacheKind('KCM:')).toBe('KCM');
      expect(ccacheKind('/tmp/x')).toBe('FILE');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('maps env findings to the catalog entries the engine knows', () => {
    const catalogIds = ['no-default-realm', 'realm-unknown', 'kdc-unreachable', 'kdc-host-unresolvable', 'clock-skew', 'keytab-no-suitable-keys', 'keytab-kvno-out-of-date', 'keytab-missing-enctype', 'no-credentials', 'tgt-expired', 'server-unknown'];
    const envIds = Object.values(EnvFindingId) as string[];
    for (const [envId, catalogId] of Object.entries(ENV_TO_CATALOG)) {
      expect(envIds).toContain(envId);
      expect(catalogIds).toContain(catalogId);
    }
    expect(new Set(Object.values(ENV_TO_CATALOG))).toEqual(new Set(catalogIds));
    expect(envIds.every((id) => id.startsWith('env.'))).toBe(true);
  });
});
