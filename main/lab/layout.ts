/**
 * Where a lab realm lives under the bench's data directory, and the Kerberos profile that points a
 * process at it. Pure path arithmetic: callable by any service (GSS workers, SASL) without the lab
 * service or a running KDC.
 *
 *   ${dataDir}/lab/<REALM>/            one realm (MitRealm's files: krb5.conf, kdc.conf, database,
 *                                      stash, kdc.log, krb5kdc.pid, rcache/) plus:
 *       service.keytab                 keys of the lab's services (KRB5_KTNAME)
 *       alice.keytab                   alice's password keys, exported with -norandkey
 *       alice.ccache                   alice's TGT (KRB5CCNAME)
 *       passwords.json   (0600)        user passwords the lab set (alice's is random per realm)
 *       lab.json                       lab settings: KDC clock offset, creation time
 *       <principal>.kvno<N>.keytab     the service keytab as it was before a key rotation
 *   ${dataDir}/lab/.<REALM>.lock       serialises changes across processes
 */
import path from 'node:path';
import { labProfile as profileOfRealm } from '../gss/profiles';
import type { KerberosProfile } from '../gss/types';

// The default realms are part of the contract (main/api/lab.ts): the CLI and the views name them too.
import { DEFAULT_LAB_REALM } from '../api/lab';
export { DEFAULT_LAB_REALM };

/**
 * Realms whose name starts with this are temporary (scenario runs make them): when the process that
 * made one is gone, the next `up` removes it.
 */
export const TEMPORARY_REALM_PREFIX = 'TMP-';

/** The user the lab realm is built around. */
export const LAB_USER = 'alice';

/** Services every lab realm starts with, all in the one service keytab. */
export const LAB_SERVICES = ['mqtt/localhost', 'HTTP/localhost', 'hz/127.0.0.1'] as const;

const REALM_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export function isValidRealmName(name: string): boolean {
  return REALM_NAME.test(name);
}

export function labRoot(dataDir: string): string {
  return path.join(path.resolve(dataDir), 'lab');
}

export interface LabLayout {
  realm: string;
  dir: string;
  lockFile: string;
  krb5Conf: string;
  kdcConf: string;
  kdcLog: string;
  pidFile: string;
  rcacheDir: string;
  serviceKeytab: string;
  clientKeytab: string;
  ccache: string;
  passwords: string;
  settings: string;
  /** Marks a temporary realm: which process made it. */
  owner: string;
}

export function labLayout(dataDir: string, realm: string): LabLayout {
  const root = labRoot(dataDir);
  const dir = path.join(root, realm);
  const at = (name: string) => path.join(dir, name);
  return {
    realm,
    dir,
    lockFile: path.join(root, `.${realm}.lock`),
    krb5Conf: at('krb5.conf'),
    kdcConf: at('kdc.conf'),
    kdcLog: at('kdc.log'),
    pidFile: at('krb5kdc.pid'),
    rcacheDir: at('rcache'),
    serviceKeytab: at('service.keytab'),
    clientKeytab: at(`${LAB_USER}.keytab`),
    ccache: at(`${LAB_USER}.ccache`),
    passwords: at('passwords.json'),
    settings: at('lab.json'),
    owner: at('owner.json'),
  };
}

/** The file the service keytab is copied to before `principal` goes from kvno `kvno` to the next. */
export function staleKeytabPath(layout: LabLayout, principal: string, kvno: number): string {
  const name = principal.replace(/@.*$/, '').replace(/[^A-Za-z0-9._-]+/g, '_');
  return path.join(layout.dir, `${name}.kvno${kvno}.keytab`);
}

/** What a shell exports to act as alice (TGT in KRB5CCNAME) against the lab's services (keys in KRB5_KTNAME). */
export function labShellEnv(layout: LabLayout): { KRB5_CONFIG: string; KRB5CCNAME: string; KRB5_KTNAME: string } {
  return { KRB5_CONFIG: layout.krb5Conf, KRB5CCNAME: `FILE:${layout.ccache}`, KRB5_KTNAME: `FILE:${layout.serviceKeytab}` };
}

/** The lab realm as a Kerberos profile for GSS workers and SASL: alice's ccache, the service keytab. */
export function labProfile(layout: LabLayout): KerberosProfile {
  return profileOfRealm(layout.realm, {
    krb5Config: layout.krb5Conf,
    ccache: layout.ccache,
    keytab: layout.serviceKeytab,
    clientKeytab: layout.clientKeytab,
    rcacheDir: layout.rcacheDir,
  });
}
