import { describe, expect, it } from 'vitest';
import { javaWorkerArgs, javaWorkerEnv } from '../../../../main/gss/java/transport';
import { labProfile, profileFingerprint, systemProfile, withRuntime } from '../../../../main/gss/profiles';

const lab = labProfile('R', { krb5Config: '/l/krb5.conf:/etc/krb5.conf', ccache: '/l/alice.ccache', keytab: '/l/http.keytab' });

describe('the Java worker command line and environment', () => {
  it('points Java at the first krb5.conf, the JAAS file, the trace file and the ccache file it watches', () => {
    const args = javaWorkerArgs(withRuntime(lab, 'java'), '/classes', { traceFile: '/t/w.trace', jaasConfig: '/t/w.jaas' });
    expect(args).toContain('-Dsun.security.krb5.debug=true');
    expect(args).toContain('-Djava.security.krb5.conf=/l/krb5.conf');
    expect(args).toContain('-Djava.security.auth.login.config=/t/w.jaas');
    expect(args).toContain('-Dkbench.trace=/t/w.trace');
    expect(args).toContain('-Dkbench.ccacheFile=/l/alice.ccache');
    expect(args.slice(-3)).toEqual(['-cp', '/classes', 'kbench.GssWorker']);
    // rc4 stays refused, as Java refuses it: the bench never turns on allow_weak_crypto.
    expect(args.join(' ')).not.toMatch(/weak/i);
  });

  it('drops JVM option variables for lab profiles, keeps them for the system profile', () => {
    const base = { PATH: '/usr/bin', JAVA_TOOL_OPTIONS: '-Dx=1', KRB5CCNAME: 'FILE:/home/u/cc' };
    expect(javaWorkerEnv(withRuntime(lab, 'java'), base)).toEqual({ PATH: '/usr/bin', KRB5_CONFIG: '/l/krb5.conf:/etc/krb5.conf', KRB5CCNAME: 'FILE:/l/alice.ccache', KRB5_KTNAME: 'FILE:/l/http.keytab' });
    expect(javaWorkerEnv(withRuntime(systemProfile(), 'java'), base)).toEqual(base);
  });

  it("makes runtime and JAAS file part of a profile's identity", () => {
    const java = withRuntime(lab, 'java');
    expect(profileFingerprint(java)).not.toBe(profileFingerprint(lab));
    expect(profileFingerprint(withRuntime(lab, 'mit'))).toBe(profileFingerprint({ ...lab, runtime: 'mit' }));
    expect(profileFingerprint(withRuntime(lab, 'java', '/u/jaas.conf'))).not.toBe(profileFingerprint(java));
    expect(withRuntime(withRuntime(lab, 'java', '/u/jaas.conf'), 'mit').jaasConfig).toBeUndefined();
  });
});
