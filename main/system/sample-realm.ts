/**
 * Debian's sample krb5.conf. Installing krb5-user (or anything else that pulls in krb5-config)
 * without answering its questions leaves /etc/krb5.conf with `default_realm = ATHENA.MIT.EDU` and
 * MIT's own realms (ATHENA, ZONE, CSAIL …, KDCs at kerberos.mit.edu). It parses and looks fine;
 * every kinit, kvno and GSS call without "@REALM" then goes to MIT's campus KDCs and fails.
 * The doctor and "check my setup" both say so, in these words.
 */
export const DEBIAN_SAMPLE_REALM = 'ATHENA.MIT.EDU';

export function isSampleRealm(realm: string | undefined): boolean {
  return realm?.toUpperCase() === DEBIAN_SAMPLE_REALM;
}

/** Why ATHENA.MIT.EDU is a problem, for a default realm read from `where`. */
export function sampleRealmCause(where: string): string {
  return `default_realm = ${DEBIAN_SAMPLE_REALM} (${where}) is the sample krb5.conf Debian's krb5-config package installs: MIT's own campus realm, not yours. Names without "@REALM" go to kerberos.mit.edu and fail.`;
}

/** What to do instead: the lab's krb5.conf, your realm's krb5.conf, or a fixed /etc/krb5.conf. */
export const SAMPLE_REALM_FIX =
  'Use the lab realm\'s krb5.conf (eval "$(kbench lab up --env)" sets KRB5_CONFIG), point KRB5_CONFIG at your realm\'s krb5.conf, or put your realm in /etc/krb5.conf (sudo dpkg-reconfigure krb5-config)';

export const SAMPLE_REALM_COMMANDS = ['eval "$(kbench lab up --env)"', 'export KRB5_CONFIG=/path/to/your/krb5.conf', 'sudo dpkg-reconfigure krb5-config'];
