import { describe, expect, it } from 'vitest';
import { checkCallParams, checkClientOptions, checkWrapData, MAX_TOKEN_BYTES } from '../../main/gss/guards';
import { customProfile, labProfile, profileEnv, profileFingerprint, systemProfile } from '../../main/gss/profiles';
import { GssError } from '../../main/gss/types';

const USER_ENV = {
  PATH: '/usr/bin',
  HOME: '/home/u',
  KRB5_CONFIG: '/home/u/krb5.conf',
  KRB5CCNAME: 'KCM:',
  KRB5_KTNAME: '/etc/krb5.keytab',
  KRB5_CLIENT_KTNAME: '/home/u/client.keytab',
  KRB5_TRACE: '/dev/stderr',
  KRB5RCACHETYPE: 'none',
};

describe('worker environments', () => {
  it("'system' keeps the user's environment (except KRB5_TRACE, which the worker owns)", () => {
    const env = profileEnv(systemProfile(), USER_ENV);
    expect(env).toEqual({ ...USER_ENV, KRB5_TRACE: undefined });
    expect('KRB5_TRACE' in env).toBe(false);
  });

  it("'lab' and 'custom' set exactly the profile's paths and drop every other KRB5* variable", () => {
    const lab = labProfile('BENCH.TEST', { krb5Config: '/lab/krb5.conf', ccache: '/lab/alice.ccache', keytab: 'FILE:/lab/service.keytab', rcacheDir: '/lab/rcache' });
    expect(lab).toMatchObject({ id: 'lab', kind: 'lab', name: 'Lab realm BENCH.TEST', ccache: 'FILE:/lab/alice.ccache' });
    expect(profileEnv(lab, USER_ENV)).toEqual({
      PATH: '/usr/bin',
      HOME: '/home/u',
      KRB5_CONFIG: '/lab/krb5.conf',
      KRB5CCNAME: 'FILE:/lab/alice.ccache',
      KRB5_KTNAME: 'FILE:/lab/service.keytab',
      KRB5RCACHEDIR: '/lab/rcache',
      GSS_MECH_CONFIG: '/dev/null',
    });
    const custom = customProfile({ id: 'prod', ccache: 'KCM:1000', clientKeytab: '/k/client.keytab' });
    expect(profileEnv(custom, USER_ENV)).toEqual({ PATH: '/usr/bin', HOME: '/home/u', KRB5CCNAME: 'KCM:1000', KRB5_CLIENT_KTNAME: 'FILE:/k/client.keytab', GSS_MECH_CONFIG: '/dev/null' });
  });

  it('loads the machine\'s extra GSS mechanisms (gss-ntlmssp) only for the system profile, NTLM credentials or a profile that asks', () => {
    const lab = labProfile('BENCH.TEST', { krb5Config: '/lab/krb5.conf' });
    // Kerberos alone: an empty mechanism list replaces /etc/gss/mech and /etc/gss/mech.d.
    expect(profileEnv(lab, USER_ENV).GSS_MECH_CONFIG).toBe('/dev/null');
    expect(profileEnv(systemProfile(), USER_ENV).GSS_MECH_CONFIG).toBeUndefined();
    expect(profileEnv({ ...lab, ntlm: true }, USER_ENV).GSS_MECH_CONFIG).toBeUndefined();
    expect(profileEnv(lab, { ...USER_ENV, NTLM_USER_FILE: '/n/users' }).GSS_MECH_CONFIG).toBeUndefined();
    // The user's own mechanism file is kept as it is.
    expect(profileEnv(lab, { ...USER_ENV, GSS_MECH_CONFIG: '/my/mech' }).GSS_MECH_CONFIG).toBe('/my/mech');
    // The JVM does not read it.
    expect(profileEnv({ ...lab, runtime: 'java' }, USER_ENV).GSS_MECH_CONFIG).toBeUndefined();
    expect(profileFingerprint({ ...lab, ntlm: true })).not.toBe(profileFingerprint(lab));
  });

  it('tells profiles apart by their paths, not their names', () => {
    const a = labProfile('A.TEST', { ccache: '/a' });
    expect(profileFingerprint({ ...a, name: 'renamed' })).toBe(profileFingerprint(a));
    expect(profileFingerprint({ ...a, ccache: 'FILE:/b' })).not.toBe(profileFingerprint(a));
    expect(profileFingerprint({ ...a, kind: 'system' })).not.toBe(profileFingerprint(a));
  });
});

function guardMessage(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(GssError);
    expect((error as GssError).kind).toBe('guard');
    return (error as GssError).message;
  }
  throw new Error('expected a guard error');
}

describe('guards', () => {
  it('accepts what the binding handles safely', () => {
    expect(checkCallParams('clientStep', ['h', ''])).toEqual(['h', '']);
    expect(checkCallParams('createServer', [''])).toEqual(['']);
    expect(checkClientOptions({ principal: 'alice@BENCH.TEST', flags: 2 | 8, mech: 'spnego' })).toEqual({ principal: 'alice@BENCH.TEST', flags: 10, mech: 'spnego' });
    expect(checkWrapData(Buffer.from([1, 0, 0, 0]).toString('base64'))).toBe('AQAAAA==');
    expect(checkWrapData(Buffer.concat([Buffer.from([1, 0xff, 0xff, 0xff]), Buffer.from('älice@BENCH.TEST')]).toString('base64'))).toBeTruthy();
  });

  it('refuses what would crash, over-read or be silently changed', () => {
    expect(guardMessage(() => checkWrapData(''))).toMatch(/SIGSEGV/);
    expect(guardMessage(() => checkWrapData('AQA='))).toMatch(/reads 8 bytes unchecked/);
    expect(guardMessage(() => checkWrapData('AgAAAA=='))).toMatch(/starts with 0x02/);
    expect(guardMessage(() => checkWrapData(Buffer.from([1, 0, 0, 0, 0xc3]).toString('base64')))).toMatch(/not UTF-8/);
    expect(guardMessage(() => checkWrapData(Buffer.concat([Buffer.from([1, 0, 0, 0]), Buffer.alloc(4092, 97)]).toString('base64')))).toMatch(/at most 4091/);
    expect(guardMessage(() => checkCallParams('clientWrap', ['h', 'AQAAAA==', { protect: 'yes' }]))).toMatch(/protect must be/);
    expect(guardMessage(() => checkCallParams('clientWrap', ['h', 'AQAAAA==', { protect: false, user: 'a' }]))).toMatch(/no "user" option/);
    expect(guardMessage(() => checkClientOptions({ gssFlag: 2 }))).toMatch(/not "gssFlag"/);
    expect(guardMessage(() => checkClientOptions({ user: 'x', pass: 'y' }))).toMatch(/user, pass/);
    expect(guardMessage(() => checkClientOptions({ flags: -1 }))).toMatch(/unsigned 32-bit/);
    expect(guardMessage(() => checkCallParams('createClient', ['']))).toMatch(/service is empty/);
    expect(guardMessage(() => checkCallParams('serverStep', ['h', '']))).toMatch(/is empty/);
    expect(guardMessage(() => checkCallParams('serverStep', ['h', 'AAA']))).toMatch(/not valid base64/);
    expect(guardMessage(() => checkCallParams('serverStep', ['h', 'AA AA==']))).toMatch(/not valid base64/);
  });

  it('caps tokens at 1 MiB of decoded bytes, exactly', () => {
    expect(checkCallParams('serverStep', ['h', Buffer.alloc(MAX_TOKEN_BYTES).toString('base64')])).toHaveLength(2);
    expect(guardMessage(() => checkCallParams('serverStep', ['h', Buffer.alloc(MAX_TOKEN_BYTES + 1).toString('base64')]))).toMatch(/larger than 1048576 bytes/);
    expect(guardMessage(() => checkCallParams('serverStep', ['h', 'A'.repeat(4 * 1024 * 1024)]))).toMatch(/larger than/);
  });
});
