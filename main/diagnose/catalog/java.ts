/**
 * The Java Kerberos stack (JAAS Krb5LoginModule + Java GSS, JDK 17 — what Elasticsearch's Kerberos
 * realm and Hazelcast run): failures whose Java wording means something other than MIT's, or whose
 * fix lies in the JAAS entry. Java words errors as sun.security.krb5 does — the KRB-ERROR text with
 * its code in parentheses, "Mechanism level: …" inside a GSSException, and JAAS's own
 * LoginException texts, some of which hide the cause ("Unable to obtain password from user" for
 * "no usable key in the keytab"). Texts verified against JDK 17.0.15 and an MIT 1.20 KDC (FACTS.md).
 *
 * Java's wordings of failures other entries already explain (a wrong password, an unknown SPN, a
 * KDC that does not answer) are listed in JAVA_WORDINGS and join those entries when the catalog
 * loads, so every Java text lives here and the MIT-first entries stay as they are.
 */
import type { CatalogEntry, CatalogMatcher } from '../../api/diagnose';
import { message } from './matchers';

const r = String.raw;

/** The JAAS options an acceptor needs, as they are written in the entry (shown in fixes). */
const ACCEPTOR_JAAS =
  'com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true keyTab="/path/to/service.keytab" principal="*" isInitiator=false storeKey=true doNotPrompt=true;';
const ES_DEBUG = 'xpack.security.authc.realms.kerberos.REALM_NAME.krb.debug: true';
const JAVA_DEBUG = 'java -Dsun.security.krb5.debug=true -Djava.security.krb5.conf=/etc/krb5.conf -Djava.security.auth.login.config=JAAS_FILE ...';

export const JAVA_ENTRIES: readonly CatalogEntry[] = [
  {
    id: 'java-unable-to-obtain-password',
    title: 'Java could not log in from the keytab ("Unable to obtain password from user")',
    explanation:
      'JAAS\'s Krb5LoginModule logs in from a keytab when useKeyTab=true, and falls back to asking for a password when it finds no usable key for the principal. ' +
      'With doNotPrompt=true (every server sets it) there is nobody to ask, so the login fails with "Unable to obtain password from user" — a text that never mentions the keytab. ' +
      'It means one of: the keytab has no entry for the principal named in the JAAS entry (another spelling, realm or host name), the keyTab path points at a file that does not exist or cannot be read (Java does not say so), ' +
      'or the keytab holds the principal only with keys JDK 17 refuses (rc4-hmac, des3 — disabled unless allow_weak_crypto = true). ' +
      'It happens at login, before any token is exchanged: for an initiator, and for an acceptor logging in with isInitiator=true.',
    matchers: [
      message('Java', r`LoginException: Unable to obtain password from user`, 'javax.security.auth.login.LoginException: Unable to obtain password from user'),
      message('Java', r`Unable to obtain password from user`, 'Unable to obtain password from user'),
    ],
    causes: [
      'The principal in the JAAS entry is not in the keytab under that exact name (case, realm, short vs fully qualified host name).',
      'keyTab= names a file that does not exist or that the service user cannot read — Java reports a missing keytab with these same words.',
      'The keytab holds the principal only with rc4-hmac or des3 keys, which JDK 17 disables (sun.security.krb5.debug shows "Found unsupported keytype (23)").',
      'useKeyTab=true is missing, so the module looked for a ticket cache or a password instead.',
    ],
    fixes: [
      {
        platform: 'Java',
        text: 'Check keyTab= and principal= in the JAAS entry against what the keytab really holds (names and enctypes); the debug output lists every key Java loaded and the ones it skipped.',
        commands: ['klist -kte KEYTAB', 'grep -E "keyTab|principal|useKeyTab" JAAS_FILE', JAVA_DEBUG],
      },
      {
        platform: 'Elasticsearch',
        text: 'The realm logs in as HTTP/NODE-FQDN@REALM from keytab.path (relative to the config directory); the keytab must hold that principal with AES keys. Turn on the realm\'s Kerberos debug output.',
        commands: ['klist -kte ES_CONFIG_DIR/KEYTAB', ES_DEBUG],
      },
      {
        platform: 'Hazelcast',
        text: 'The member\'s kerberos security realm names principal and keytab-file: both must match the keytab, on every member.',
        commands: ['klist -kte KEYTAB'],
      },
      {
        platform: 'MIT',
        text: 'Export the principal\'s current AES keys into the keytab without changing them.',
        commands: ['kadmin.local -q "ktadd -norandkey -k KEYTAB PRINCIPAL"'],
      },
    ],
    reproduce: {
      scenario: 'java-unable-to-obtain-password',
      recipe: 'Log in from Java with a JAAS entry useKeyTab=true keyTab=/tmp/other.keytab principal="alice@REALM" doNotPrompt=true, where the keytab holds only HTTP/localhost.',
    },
    related: ['keytab-no-suitable-keys', 'keytab-file-missing', 'java-unsupported-keytype', 'java-weak-enctype-disabled'],
    refines: ['keytab-no-suitable-keys'],
  },
  {
    id: 'java-checksum-failed',
    title: 'Java could not decrypt the ticket ("Checksum failed"): wrong service key or a stale kvno',
    explanation:
      'A Java acceptor decrypted the client\'s ticket with a key from its keytab and the integrity check failed. ' +
      'Java does not look at the key version number the way MIT does: it tries the key of the right name and enctype whatever its kvno, so a keytab from before the service was re-keyed shows up as "Checksum failed", never as "kvno not found". ' +
      'With principal="*" it takes any key of that enctype in the keytab, so a ticket for another service whose key is not in the keytab can fail the same way. ' +
      'The fix is always to give the acceptor the current key of the exact service principal clients ask for.',
    matchers: [
      message('Java', r`Failure unspecified at GSS-API level \(Mechanism level: Checksum failed\)`, 'GSSException: Failure unspecified at GSS-API level (Mechanism level: Checksum failed)'),
      message('Java', r`Mechanism level: Checksum failed`, '(Mechanism level: Checksum failed)'),
    ],
    causes: [
      'The service principal was re-keyed (ktadd without -norandkey, a password reset in AD, a second ktpass run) and the acceptor still has the old keytab — Java never names the kvno.',
      'The keytab holds another key under the same name (the principal was re-created, or the keytab was built from a wrong password or salt).',
      'principal="*": the client asked for a service (SPN) whose key is not in this keytab, and Java tried another entry\'s key of the same enctype.',
    ],
    fixes: [
      {
        platform: 'Java',
        text: 'Compare the kvno the KDC issues with the kvno in the keytab named by keyTab= in the acceptor\'s JAAS entry; replace the keytab with the current keys and restart (Java keeps the keys it loaded).',
        commands: ['kvno HTTP/HOST.FQDN@REALM', 'klist -kte KEYTAB', JAVA_DEBUG],
      },
      {
        platform: 'MIT',
        text: 'Export the current key without re-randomizing it, and test the keytab against a fresh ticket.',
        commands: ['kadmin.local -q "ktadd -norandkey -k KEYTAB HTTP/HOST.FQDN@REALM"', 'kvno -k KEYTAB HTTP/HOST.FQDN@REALM'],
      },
      {
        platform: 'Elasticsearch',
        text: 'Every node needs the current key of HTTP/NODE-FQDN@REALM in keytab.path; after a re-key, copy the new keytab to every node and restart it.',
        commands: ['klist -kte ES_CONFIG_DIR/KEYTAB', 'kvno HTTP/NODE-FQDN@REALM', ES_DEBUG],
      },
      {
        platform: 'Active Directory',
        text: 'Each ktpass /pass run re-keys the account: run it once, copy that keytab everywhere, and check the kvno matches msDS-KeyVersionNumber.',
        commands: ['Get-ADUser ACCOUNT -Properties msDS-KeyVersionNumber', 'setspn -Q HTTP/HOST.FQDN'],
      },
    ],
    reproduce: {
      scenario: 'java-checksum-failed-stale-kvno',
      recipe: 'Export a service keytab, re-key the service (kadmin.local -q "cpw -randkey SERVICE/HOST"), then let a Java acceptor with principal="*" and the old keytab accept a fresh ticket.',
    },
    related: ['keytab-wrong-key', 'keytab-kvno-out-of-date', 'wrong-principal'],
    refines: ['keytab-wrong-key'],
  },
  {
    id: 'java-weak-enctype-disabled',
    title: 'JDK 17 refuses the RC4 (or DES3) key the ticket was encrypted with',
    explanation:
      'The KDC encrypted the service ticket with rc4-hmac (or des3), because those are the only keys it has for the service — typical for AD accounts without AES enabled and for keytabs exported with a single weak type. ' +
      'MIT still accepts them, but JDK 17 disables rc4-hmac and des3 by default, so the Java acceptor cannot decrypt the ticket: "Encryption type RC4 with HMAC is not supported/enabled". ' +
      'In the debug output Java skips the keytab\'s keys as "Found unsupported keytype (23)". The lasting fix is AES keys for the service; allow_weak_crypto = true is a stopgap.',
    matchers: [
      message('Java', r`Encryption type (?:RC4 with HMAC|DES3 CBC mode with SHA1-KD|DES CBC mode with \S+) is not supported/enabled`, 'GSSException: Failure unspecified at GSS-API level (Mechanism level: Encryption type RC4 with HMAC is not supported/enabled)'),
    ],
    causes: [
      'The service principal has only rc4-hmac keys (an AD account without msDS-SupportedEncryptionTypes AES, an MIT principal created with -e arcfour-hmac), so the KDC issues RC4 tickets.',
      'The keytab was exported with /crypto RC4-HMAC-NT or ktutil -e arcfour-hmac only.',
      'krb5.conf lists rc4-hmac first in default_tgs_enctypes on the client side.',
    ],
    fixes: [
      {
        platform: 'Java',
        text: 'Give the service AES keys and export them into the keytab named in the JAAS entry; as a stopgap only, allow the weak types in the krb5.conf Java reads.',
        commands: ['klist -kte KEYTAB', '[libdefaults]\n  allow_weak_crypto = true', JAVA_DEBUG],
      },
      {
        platform: 'MIT',
        text: 'Re-key the service with AES and export the new keys.',
        commands: ['kadmin.local -q "cpw -randkey -e aes256-cts-hmac-sha1-96:normal,aes128-cts-hmac-sha1-96:normal SERVICE/HOST.FQDN"', 'kadmin.local -q "ktadd -norandkey -k KEYTAB SERVICE/HOST.FQDN"'],
      },
      {
        platform: 'Active Directory',
        text: 'Enable AES on the service account, reset its password, and export an AES keytab.',
        commands: ['Set-ADUser ACCOUNT -KerberosEncryptionType AES128,AES256', 'ktpass /princ HTTP/HOST.FQDN@REALM /mapuser DOMAIN\\ACCOUNT /pass PASSWORD /crypto AES256-SHA1 /ptype KRB5_NT_PRINCIPAL /out KEYTAB'],
      },
      {
        platform: 'Elasticsearch',
        text: 'Elasticsearch\'s bundled JDK disables RC4 too: re-export HTTP/NODE-FQDN@REALM with AES keys into keytab.path.',
        commands: ['klist -kte ES_CONFIG_DIR/KEYTAB', ES_DEBUG],
      },
    ],
    reproduce: {
      scenario: 'java-rc4-only-keytab',
      recipe: 'kadmin.local -q "addprinc -randkey -e arcfour-hmac:normal HTTP/host", export its keytab, and accept a ticket for it in a Java acceptor on JDK 17.',
    },
    related: ['java-unsupported-keytype', 'keytab-missing-enctype', 'etype-no-support'],
    refines: ['java-unsupported-keytype'],
  },
  {
    id: 'java-acceptor-no-credentials',
    title: 'The Java acceptor has no keys to accept with',
    explanation:
      'Java GSS looked for acceptor credentials — the service\'s keys — in the JAAS Subject and found none: "No valid credentials provided (Mechanism level: Failed to find any Kerberos credentials)". ' +
      'An acceptor\'s JAAS entry must store the keys in the Subject (storeKey=true) and must not log in as a client (isInitiator=false); the context must run inside Subject.doAs of that login, ' +
      'or, with javax.security.auth.useSubjectCredsOnly=false, Java logs in through the entry com.sun.security.jgss.krb5.accept (or com.sun.security.jgss.accept) itself.',
    matchers: [
      message('Java', r`No valid credentials provided \(Mechanism level: Failed to find any Kerberos credentials\)`, 'GSSException: No valid credentials provided (Mechanism level: Failed to find any Kerberos credentials)'),
      message('Java', r`Failed to find any Kerberos credentials`, 'Failed to find any Kerberos credentials'),
      message('Java', r`Failed to find any Kerberos Key`, 'GSSException: No valid credentials provided (Mechanism level: Failed to find any Kerberos Key)'),
    ],
    causes: [
      'storeKey=false (or missing) in the acceptor\'s JAAS entry: the login succeeds but keeps no keys for GSS.',
      'The context is created outside Subject.doAs of the acceptor\'s login, and javax.security.auth.useSubjectCredsOnly is true (the default).',
      'useSubjectCredsOnly=false, but no com.sun.security.jgss.krb5.accept entry exists in the JAAS file.',
      'The JAAS principal names a service whose keys are not in the keytab.',
    ],
    fixes: [
      {
        platform: 'Java',
        text: 'Write the acceptor\'s JAAS entry with useKeyTab=true, keyTab, principal="*" (or the exact SPN), isInitiator=false and storeKey=true, and accept inside Subject.doAs of that login.',
        commands: [ACCEPTOR_JAAS, '-Djavax.security.auth.useSubjectCredsOnly=false  # only with a com.sun.security.jgss.krb5.accept entry'],
      },
      {
        platform: 'Elasticsearch',
        text: 'Elasticsearch writes its own acceptor entry from keytab.path; check the keytab holds HTTP/NODE-FQDN@REALM and turn on the realm\'s debug output.',
        commands: ['klist -kte ES_CONFIG_DIR/KEYTAB', ES_DEBUG],
      },
      {
        platform: 'Hazelcast',
        text: 'The security realm the member\'s kerberos authentication names (the "krb5Acceptor" realm of Hazelcast\'s examples) must log in with Krb5LoginModule properties isInitiator=false, storeKey=true, useKeyTab=true, keyTab and principal (hz/ADDRESS@REALM) — or use the simplified kerberos element with principal and keytab-file.',
      },
    ],
    reproduce: { recipe: 'Accept a token in Java after a JAAS login with useKeyTab=true keyTab=KEYTAB principal="SERVICE/HOST@REALM" isInitiator=false storeKey=false.' },
    related: ['java-acceptor-is-initiator', 'keytab-no-matching-entry', 'no-credentials'],
  },
  {
    id: 'java-acceptor-is-initiator',
    title: 'The Java acceptor logs in as a client (isInitiator left true) and needs the KDC',
    explanation:
      'A service that only accepts tokens needs its keys, not a ticket: with isInitiator=false, Krb5LoginModule reads the keytab and never talks to the KDC. ' +
      'isInitiator defaults to true, and an acceptor entry that leaves it so makes the service send an AS-REQ for its own principal at every login — so when the KDC is down or unreachable, the service fails to start or to accept anything ' +
      '("Connection refused", "Receive timed out", or a bare LoginException caused by PortUnreachableException), although accepting would not have needed the KDC at all. ' +
      'The same option makes principal="*" impossible ("principal cannot be * when isInitiator is true").',
    matchers: [
      message('Java', r`principal cannot be \* when isInitiator is true`, 'javax.security.auth.login.LoginException: Configuration Error - principal cannot be * when isInitiator is true'),
      // Krb5LoginModule's own debug line (JAAS debug=true, which Elasticsearch's krb.debug sets): a service principal that stores its key and logs in as a client.
      message(
        'Java',
        r`storeKey true .*\bisInitiator true\b.*\bprincipal is [^\s/@]+/[^\s@]+@\S+`,
        'Debug is  true storeKey true useTicketCache false useKeyTab true doNotPrompt true ticketCache is null isInitiator true KeyTab is /etc/es/es.keytab refreshKrb5Config is false principal is HTTP/es.example.com@EXAMPLE.COM tryFirstPass is false useFirstPass is false storePass is false clearPass is false',
      ),
    ],
    causes: [
      'The acceptor\'s JAAS entry does not set isInitiator=false (the default is true), so its login contacts the KDC — and the KDC is down, firewalled, or wrongly configured for the service host.',
      'One JAAS entry is shared by the service\'s client and acceptor roles.',
    ],
    fixes: [
      {
        platform: 'Java',
        text: 'Set isInitiator=false and storeKey=true in the acceptor\'s JAAS entry (principal="*" then works too); the service then accepts with its keytab alone.',
        commands: [ACCEPTOR_JAAS],
      },
      {
        platform: 'Elasticsearch',
        text: 'Elasticsearch generates its acceptor entry itself (isInitiator=false); a KDC failure at its startup points at a custom JAAS file passed with -Djava.security.auth.login.config — remove it, and use keytab.path in the realm settings.',
        commands: ['xpack.security.authc.realms.kerberos.REALM_NAME.keytab.path: es.keytab', ES_DEBUG],
      },
      {
        platform: 'Hazelcast',
        text: 'In the acceptor security realm (the "krb5Acceptor" realm of Hazelcast\'s examples) set the Krb5LoginModule property isInitiator to false and storeKey to true; members still need the KDC for their own client side when they join others.',
      },
      {
        platform: 'MIT',
        text: 'If the service really must be a client too, make the KDC reachable from it.',
        commands: ['nc -vz KDC_HOST 88', 'kinit -kt KEYTAB SERVICE/HOST.FQDN@REALM'],
      },
    ],
    reproduce: {
      scenario: 'java-acceptor-is-initiator-kdc-down',
      recipe: 'Stop the KDC and start a Java acceptor whose JAAS entry has useKeyTab=true keyTab=KEYTAB principal="HTTP/host@REALM" storeKey=true isInitiator=true (or no isInitiator at all).',
    },
    related: ['kdc-unreachable', 'java-acceptor-no-credentials'],
    refines: ['kdc-unreachable'],
  },
];

/**
 * Java's wordings of failures existing entries explain as they are, by entry id (the texts Java
 * shares with MIT — "Clock skew too great (37)", "Request is a replay (34)",
 * "Server not found in Kerberos database (7)", "Pre-authentication information was invalid (24)",
 * "Message stream modified (41)" — are in those entries already).
 */
export const JAVA_WORDINGS: Readonly<Record<string, readonly CatalogMatcher[]>> = {
  'kdc-unreachable': [
    // Over TCP (udp_preference_limit = 1) a stopped KDC is a refused connection, not a timeout.
    message('Java', r`LoginException: Connection refused`, 'javax.security.auth.login.LoginException: Connection refused'),
    message('Java', r`KrbKdcReq send: error trying \S+`, '>>> KrbKdcReq send: error trying 127.0.0.1:88'),
  ],
  'no-credentials': [
    // useTicketCache=true without a cache (and no principal to prompt for).
    message('Java', r`Unable to obtain Principal Name for authentication`, 'javax.security.auth.login.LoginException: Unable to obtain Principal Name for authentication'),
  ],
};

/** `entries` with Java's wordings added to the entries they name; throws on a wording for an entry that does not exist. */
export function withJavaWordings(entries: readonly CatalogEntry[]): CatalogEntry[] {
  const ids = new Set(entries.map((e) => e.id));
  const dangling = Object.keys(JAVA_WORDINGS).filter((id) => !ids.has(id));
  if (dangling.length) throw new Error(`diagnosis catalog: Java wordings for entries that do not exist: ${dangling.join(', ')}`);
  return entries.map((entry) => (JAVA_WORDINGS[entry.id] ? { ...entry, matchers: [...entry.matchers, ...JAVA_WORDINGS[entry.id]!] } : entry));
}
