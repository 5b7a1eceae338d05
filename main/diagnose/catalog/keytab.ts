/**
 * Keytab failures: the service (or a keytab client) has no key, the wrong key, an old key, or a key
 * of the wrong type for the principal a ticket was issued to. On an acceptor these surface while
 * decrypting the AP-REQ ticket; for kinit -k they surface before the AS-REQ is sent.
 */
import type { CatalogEntry } from '../../api/diagnose';
import { comErr, gss, krbError, message } from './matchers';

const r = String.raw;

export const KEYTAB_ENTRIES: readonly CatalogEntry[] = [
  {
    id: 'keytab-no-suitable-keys',
    title: 'Keytab contains no suitable keys for the principal',
    explanation:
      'A program asked the Kerberos library to log in as a principal using a keytab, and the keytab it opened has no key for that exact name. ' +
      'The name must match character for character — case, realm and the full host name all count — so a keytab made for "mqtt/broker" will not serve "mqtt/broker.example.com@EXAMPLE.COM". ' +
      'Just as often the program simply opened a different keytab than the one you inspected: EMQX, for one, only ever reads the default keytab (KRB5_KTNAME, or default_keytab_name in krb5.conf), and Java reads the file named in its JAAS configuration.',
    matchers: [
      message('MIT', r`Keytab contains no suitable keys for \S+`, 'kinit: Keytab contains no suitable keys for alice@EXAMPLE.COM while getting initial credentials'),
      message('EMQX', r`bad_keytab_file_path`, '#{cause => bad_keytab_file_path,explain => "This is a limitation of the current version. The keytab file must be configured as system default keytab file. You may try to configure system default value using environment variable KRB5_KTNAME or set default_keytab_name in /etc/krb5.conf.",system_default => "/etc/krb5.keytab"}'),
      message('Elasticsearch', r`failed to authenticate user, service login failure`, 'failed to authenticate user, service login failure'),
      comErr('KRB5_KT_NOTFOUND'),
    ],
    causes: [
      'The principal is not in the keytab at all, or is there under a different spelling: another case, another realm, or the short host name instead of the fully qualified one.',
      'The program reads a different keytab than the one you checked — EMQX reads only the default keytab (KRB5_KTNAME or default_keytab_name), Java reads the keyTab named in its JAAS entry, Elasticsearch reads keytab.path relative to its config directory.',
      'The keytab holds the principal only with encryption types this client does not allow (permitted_enctypes, or a Java without those ciphers).',
    ],
    fixes: [
      {
        platform: 'MIT',
        text: 'List what the keytab really holds, then add the exact principal to it (kadmin.local with -norandkey keeps the current key and kvno).',
        commands: ['klist -kte KEYTAB', 'kadmin.local -q "ktadd -norandkey -k KEYTAB PRINCIPAL"'],
      },
      {
        platform: 'EMQX',
        text: 'Point the default keytab at the file that holds mqtt/BROKER-FQDN@REALM — set KRB5_KTNAME in the environment EMQX starts with (or default_keytab_name in /etc/krb5.conf) and restart EMQX; the authenticator setting alone is not read.',
        commands: ['export KRB5_KTNAME=FILE:KEYTAB', 'klist -kte KEYTAB'],
      },
      {
        platform: 'Java',
        text: 'Check the JAAS entry: useKeyTab=true, keyTab pointing at the real file, principal spelled exactly as in the keytab; run with sun.security.krb5.debug=true to see which keys Java found.',
        commands: ['java -Dsun.security.krb5.debug=true -Djava.security.auth.login.config=JAAS_FILE -Djava.security.krb5.conf=/etc/krb5.conf ...'],
      },
      {
        platform: 'Active Directory',
        text: 'Re-export the keytab for the account the SPN is mapped to, with the principal written exactly as clients ask for it.',
        commands: ['ktpass /princ SERVICE/HOST.FQDN@REALM /mapuser DOMAIN\\ACCOUNT /pass PASSWORD /crypto AES256-SHA1 /ptype KRB5_NT_PRINCIPAL /out KEYTAB'],
      },
      {
        platform: 'Elasticsearch',
        text: 'The keytab must hold HTTP/NODE-FQDN@REALM for this node and sit under the config directory; xpack.security.authc.realms.kerberos.REALM_NAME.keytab.path is resolved relative to it.',
        commands: ['klist -kte ES_CONFIG_DIR/KEYTAB'],
      },
    ],
    reproduce: { scenario: 'no-suitable-keys', recipe: 'Make a keytab holding only some other principal (kadmin.local -q "ktadd -k /tmp/other.keytab mqtt/host.example.test"), then run kinit -kt /tmp/other.keytab alice@REALM.' },
    related: ['keytab-file-missing', 'keytab-no-matching-entry', 'java-unsupported-keytype', 'java-unable-to-obtain-password'],
  },
  {
    id: 'keytab-file-missing',
    title: 'The keytab file does not exist or cannot be read',
    explanation:
      'The program was told to use a keytab file that is not there, is a directory, or is not readable by the user the program runs as. ' +
      'Nothing about the principal has been checked yet: the library could not even open the file. Relative paths, a service running under another user, and a keytab copied to one node but not another are the usual reasons.',
    matchers: [
      message('MIT', r`Key table file '[^']*' not found`, "kinit: Key table file '/etc/krb5.keytab' not found while getting initial credentials"),
      message('Elasticsearch', r`configured service key tab file \[[^\]]*\] (?:does not exist|is a directory|must have read permission)`, 'configured service key tab file [/etc/elasticsearch/es.keytab] does not exist'),
      message('EMQX', r`cannot read keytab file`, '#{cause => "cannot read keytab file",path => "/etc/krb5.keytab"}'),
    ],
    causes: [
      'The path is wrong or relative to a different working directory (Elasticsearch resolves keytab.path against its config directory).',
      'The file exists but the service user cannot read it (owned by root with mode 600).',
      'The keytab was created on one host and never copied to this one.',
    ],
    fixes: [
      {
        platform: 'any',
        text: 'Check the path and the permissions as the user the service runs as.',
        commands: ['ls -l KEYTAB', 'sudo -u SERVICE_USER klist -kte KEYTAB'],
      },
      {
        platform: 'Elasticsearch',
        text: 'Put the keytab inside the Elasticsearch config directory and give keytab.path relative to it; it must be readable by the elasticsearch user.',
        commands: ['chown root:elasticsearch ES_CONFIG_DIR/KEYTAB', 'chmod 640 ES_CONFIG_DIR/KEYTAB'],
      },
      {
        platform: 'EMQX',
        text: 'EMQX checks the keytab at the system default path; make that file exist and be readable by the emqx user.',
        commands: ['export KRB5_KTNAME=FILE:KEYTAB', 'sudo -u emqx klist -kte KEYTAB'],
      },
    ],
    reproduce: { scenario: 'keytab-file-missing', recipe: 'Run kinit -kt /tmp/does-not-exist.keytab alice@REALM, or start an acceptor with KRB5_KTNAME=/tmp/does-not-exist.keytab.' },
    related: ['keytab-no-suitable-keys'],
  },
  {
    id: 'keytab-no-matching-entry',
    title: 'The service keytab has no entry for the name it must accept',
    explanation:
      'A service (the acceptor) went to its keytab for the key of the principal it runs as — or the principal named in the client\'s ticket — and found no entry with that name. ' +
      'This is the server-side twin of "Keytab contains no suitable keys": the client did its part and got a ticket, but the service cannot decrypt it because it has no key under that name. ' +
      'Typical reasons are a keytab exported for another host name, an acceptor configured as service@HOST where HOST differs from the name clients use, or the wrong keytab file altogether.',
    matchers: [
      message('MIT', r`No key table entry found matching \S+`, 'No credentials were supplied, or the credentials were unavailable or inaccessible: No key table entry found matching mqtt/broker.example.com@'),
      message('MIT', r`Request ticket server \S+ not found in keytab \(ticket kvno \d+\)`, 'Unspecified GSS failure.  Minor code may provide more information: Request ticket server mqtt/broker.example.com@EXAMPLE.COM not found in keytab (ticket kvno 4)'),
      message('MIT', r`Server principal \S+ does not match any keys in keytab`, 'Unspecified GSS failure.  Minor code may provide more information: Server principal mqtt/broker.example.com@EXAMPLE.COM does not match any keys in keytab'),
      message('MIT', r`No principal in keytab matches desired name`, 'No credentials were supplied, or the credentials were unavailable or inaccessible: No principal in keytab matches desired name'),
      message('Heimdal', r`Failed to find \S+ in keytab \S+ \([^)]*\)`, 'Failed to find mqtt/broker.example.com@EXAMPLE.COM in keytab FILE:/etc/krb5.keytab (aes256-cts-hmac-sha1-96)'),
      gss('GSS_S_NO_CRED', r`No key table entry found|Key table entry not found|No principal in keytab matches`),
      comErr('KG_KEYTAB_NOMATCH'),
      comErr('KRB5KRB_AP_ERR_NOKEY'),
    ],
    causes: [
      'The keytab was exported for another name than the one clients request (short vs fully qualified host name, another realm, another service name).',
      'The acceptor is bound to service@HOST and HOST is not the name in the keytab (for example the machine\'s own hostname instead of the DNS alias clients use).',
      'The service reads another keytab than the one you exported (KRB5_KTNAME, JAAS keyTab, Elasticsearch keytab.path).',
    ],
    fixes: [
      {
        platform: 'MIT',
        text: 'Compare the principal in the client\'s ticket with the keytab; add the missing principal without changing its key.',
        commands: ['klist -kte KEYTAB', 'kvno SERVICE/HOST.FQDN@REALM', 'kadmin.local -q "ktadd -norandkey -k KEYTAB SERVICE/HOST.FQDN@REALM"'],
      },
      {
        platform: 'Active Directory',
        text: 'Find the account that holds the SPN and export its keytab with exactly that principal.',
        commands: ['setspn -Q SERVICE/HOST.FQDN', 'ktpass /princ SERVICE/HOST.FQDN@REALM /mapuser DOMAIN\\ACCOUNT /pass PASSWORD /crypto AES256-SHA1 /ptype KRB5_NT_PRINCIPAL /out KEYTAB'],
      },
      {
        platform: 'Hazelcast',
        text: 'Members accept hz/ADDRESS@REALM unless a static spn is configured; the keytab named in the security realm (keytab-file with principal) must hold that exact name for every member address.',
      },
      {
        platform: 'Elasticsearch',
        text: 'Each node needs HTTP/NODE-FQDN@REALM for the name clients put in the URL, in the keytab under its config directory.',
        commands: ['klist -kte ES_CONFIG_DIR/KEYTAB'],
      },
    ],
    reproduce: { scenario: 'acceptor-not-in-keytab', recipe: 'Export a keytab for other/host@REALM only, then accept a ticket for mqtt/host@REALM with KRB5_KTNAME pointing at it (or acquire acceptor credentials for mqtt@host from it).' },
    related: ['keytab-no-suitable-keys', 'wrong-principal', 'server-unknown'],
  },
  {
    id: 'keytab-kvno-out-of-date',
    title: 'Keytab is out of date (key version number too old)',
    explanation:
      'Every time a principal\'s key changes, the KDC raises its key version number (kvno) and issues new tickets under the new key. ' +
      'The client\'s ticket was made with version N, but the service\'s keytab only has older versions, so the service cannot decrypt it. ' +
      'Someone re-keyed the service principal — kadmin ktadd without -norandkey, cpw -randkey, an AD password reset, or ktpass — and the keytab on the server was not replaced.',
    matchers: [
      message('MIT', r`Request ticket server \S+ kvno \d+ not found in keytab; keytab is likely out of date`, 'Unspecified GSS failure.  Minor code may provide more information: Request ticket server mqtt/broker.example.com@EXAMPLE.COM kvno 4 not found in keytab; keytab is likely out of date'),
      message('MIT', r`Cannot find key for \S+ kvno \d+ in keytab(?! \(request ticket server)`, 'Unspecified GSS failure.  Minor code may provide more information: Cannot find key for mqtt/broker.example.com@EXAMPLE.COM kvno 4 in keytab'),
      message('MIT', r`Key version is not available`, 'Unspecified GSS failure.  Minor code may provide more information: Key version is not available'),
      message('Java', r`Specified version of key is not available \(44\)`, 'GSSException: Failure unspecified at GSS-API level (Mechanism level: Specified version of key is not available (44))'),
      message('Heimdal', r`Failed to find \S+\(kvno \d+\) in keytab`, 'Failed to find mqtt/broker.example.com@EXAMPLE.COM(kvno 4) in keytab FILE:/etc/krb5.keytab (aes256-cts-hmac-sha1-96)'),
      comErr('KRB5KRB_AP_ERR_BADKEYVER'),
      comErr('KRB5_KT_KVNONOTFOUND'),
      krbError(44),
    ],
    causes: [
      'The service principal was re-keyed (ktadd without -norandkey, cpw -randkey, AD password change or a new ktpass run) and the server still has the old keytab.',
      'Several servers share one principal and one of them re-exported the keytab, which re-keyed it for all of them.',
      'A keytab was copied from a backup or another environment.',
    ],
    fixes: [
      {
        platform: 'MIT',
        text: 'Compare the kvno the KDC issues with the keytab, then export the current key without re-randomizing it and install it on every server that uses the principal.',
        commands: ['kvno SERVICE/HOST.FQDN@REALM', 'klist -kte KEYTAB', 'kadmin.local -q "ktadd -norandkey -k KEYTAB SERVICE/HOST.FQDN@REALM"', 'kvno -k KEYTAB SERVICE/HOST.FQDN@REALM'],
      },
      {
        platform: 'Active Directory',
        text: 'Every ktpass run with /pass sets a new password and kvno; run it once and copy that keytab everywhere, or use /kvno to match the account\'s msDS-KeyVersionNumber.',
        commands: ['Get-ADUser ACCOUNT -Properties msDS-KeyVersionNumber', 'ktpass /princ SERVICE/HOST.FQDN@REALM /mapuser DOMAIN\\ACCOUNT /pass PASSWORD /crypto AES256-SHA1 /ptype KRB5_NT_PRINCIPAL /kvno KVNO /out KEYTAB'],
      },
      {
        platform: 'Java',
        text: 'Java accepts with whatever keytab its JAAS entry names; replace that file and restart the service (Java caches the keys it loaded).',
      },
    ],
    reproduce: { scenario: 'stale-keytab', recipe: 'Export a keytab for the service, then kadmin.local -q "cpw -randkey SERVICE/HOST" and let a client with no cached ticket get a new one; the service keeps the old keytab.' },
    related: ['ticket-kvno-out-of-date', 'keytab-wrong-key', 'keytab-missing-enctype'],
  },
  {
    id: 'ticket-kvno-out-of-date',
    title: 'Client ticket is out of date (issued before the service was re-keyed)',
    explanation:
      'The service\'s keytab is newer than the client\'s ticket: the keytab has a higher key version number than the one the ticket was encrypted with. ' +
      'The client obtained its service ticket before the service principal was re-keyed and is still presenting it from its credential cache. ' +
      'Tickets live for hours, so this clears up by itself when they expire — or at once when the client drops its cached tickets and asks again.',
    matchers: [
      message('MIT', r`Request ticket server \S+ kvno \d+ not found in keytab; ticket is likely out of date`, 'Unspecified GSS failure.  Minor code may provide more information: Request ticket server mqtt/broker.example.com@EXAMPLE.COM kvno 2 not found in keytab; ticket is likely out of date'),
    ],
    causes: [
      'The service was re-keyed after the client got its ticket; the client reuses the ticket from its cache.',
      'A long-running client (or a keytab-based service acting as a client) never refreshes its cached service tickets.',
    ],
    fixes: [
      {
        platform: 'MIT',
        text: 'Drop the client\'s cached tickets and get fresh ones.',
        commands: ['kdestroy', 'kinit PRINCIPAL', 'kvno SERVICE/HOST.FQDN@REALM'],
      },
      {
        platform: 'Active Directory',
        text: 'Purge the Windows client\'s ticket cache (or log off and on).',
        commands: ['klist purge'],
      },
      {
        platform: 'Java',
        text: 'Java keeps service tickets in the Subject; log out and log in again (a new LoginContext) or restart the client.',
      },
    ],
    reproduce: { scenario: 'ticket-out-of-date', recipe: 'kinit as a client and run kvno SERVICE/HOST to cache a ticket; then re-key the service and export a fresh keytab (kadmin.local -q "ktadd -k KEYTAB SERVICE/HOST"); the cached ticket is now older than the keytab.' },
    related: ['keytab-kvno-out-of-date', 'ticket-expired'],
  },
  {
    id: 'keytab-missing-enctype',
    title: 'Keytab has the right key version but not the ticket\'s encryption type',
    explanation:
      'The KDC encrypted the service ticket with one encryption type (say aes256-cts), and the service\'s keytab has the principal at the right key version but only with other encryption types (say aes128-cts or rc4-hmac). ' +
      'Keys of different types are different keys, so the service cannot decrypt the ticket. ' +
      'This usually comes from exporting the keytab with too few types: ktpass /crypto with a single type, ktutil adding one enctype, or a KDC that has a newer key type than the keytab.',
    matchers: [
      message('MIT', r`Request ticket server \S+ kvno \d+ found in keytab but not with enctype \S+`, 'Unspecified GSS failure.  Minor code may provide more information: Request ticket server mqtt/broker.example.com@EXAMPLE.COM kvno 3 found in keytab but not with enctype aes256-cts'),
      message('Java', r`Cannot find key of appropriate type to decrypt AP-REQ`, 'GSSException: Failure unspecified at GSS-API level (Mechanism level: Invalid argument (400) - Cannot find key of appropriate type to decrypt AP-REQ - AES256 CTS mode with HMAC SHA1-96)'),
    ],
    causes: [
      'The keytab was exported with only some encryption types (ktpass /crypto with one type, ktutil addent -e for one type).',
      'The account gained a stronger key type (AES enabled later in AD, or a new supported_enctypes on the KDC) and the keytab was not re-exported.',
      'Active Directory: the account has no msDS-SupportedEncryptionTypes, so the DC issues RC4 tickets for it, while the keytab was exported with AES keys only (ktpass /crypto AES256-SHA1) — "not with enctype rc4-hmac".',
      'Java only: the keytab has no key at all for the ticket\'s server name — Java reports that with the same words.',
    ],
    fixes: [
      {
        platform: 'MIT',
        text: 'See which types the KDC holds and the keytab holds; export all of them.',
        commands: ['kadmin.local -q "getprinc SERVICE/HOST.FQDN@REALM"', 'klist -kte KEYTAB', 'kadmin.local -q "ktadd -norandkey -k KEYTAB SERVICE/HOST.FQDN@REALM"'],
      },
      {
        platform: 'Active Directory',
        text: 'Export every type the account supports (/crypto ALL) and make sure msDS-SupportedEncryptionTypes lists AES for the account.',
        commands: ['Set-ADUser ACCOUNT -KerberosEncryptionType AES128,AES256', 'ktpass /princ SERVICE/HOST.FQDN@REALM /mapuser DOMAIN\\ACCOUNT /pass PASSWORD /crypto ALL /ptype KRB5_NT_PRINCIPAL /out KEYTAB'],
      },
      {
        platform: 'Java',
        text: 'Turn on sun.security.krb5.debug=true to see which keys Java loaded from the keytab and which type the ticket uses.',
        commands: ['java -Dsun.security.krb5.debug=true ...'],
      },
    ],
    reproduce: { scenario: 'missing-enctype', recipe: 'Export the service keytab, remove its aes256 entry with ktutil (rkt, delent, wkt) so only aes128 is left, then accept a fresh ticket (the KDC encrypts it with aes256).' },
    related: ['keytab-kvno-out-of-date', 'etype-no-support', 'java-unsupported-keytype'],
  },
  {
    id: 'keytab-wrong-key',
    title: 'Keytab has a key for the principal, but it is the wrong key',
    explanation:
      'The service found a key in its keytab with the right name, key version and encryption type, yet decrypting the ticket with it fails the integrity check: the key in the keytab is not the key the KDC has. ' +
      'This happens when the principal was deleted and recreated (the version number starts again, so it looks right), when a keytab was built from a wrong password or with the wrong salt (common with AD accounts, whose salt is derived from the account name and realm), or when two keytabs for the same name were made independently. ' +
      'Java reports the same situation as "Checksum failed"; MIT\'s "kvno -k" test reports it as "keytab entry invalid".',
    matchers: [
      message('MIT', r`Request ticket server \S+ kvno \d+ enctype \S+ found in keytab but cannot decrypt ticket`, 'Unspecified GSS failure.  Minor code may provide more information: Request ticket server mqtt/broker.example.com@EXAMPLE.COM kvno 3 enctype aes256-cts found in keytab but cannot decrypt ticket'),
      message('MIT', r`Cannot decrypt ticket for \S+ using keytab key for \S+`, 'Unspecified GSS failure.  Minor code may provide more information: Cannot decrypt ticket for mqtt/broker.example.com@EXAMPLE.COM using keytab key for mqtt/broker.example.com@EXAMPLE.COM'),
      message('MIT', r`Decrypt integrity check failed`, 'Unspecified GSS failure.  Minor code may provide more information: Decrypt integrity check failed'),
      message('MIT', r`kvno = \d+, keytab entry invalid`, 'mqtt/broker.example.com@EXAMPLE.COM: kvno = 4, keytab entry invalid'),
      message('MIT', r`Wrong principal in request while decrypting ticket for \S+`, 'kvno: Wrong principal in request while decrypting ticket for mqtt/broker.example.com@EXAMPLE.COM'),
      message('Java', r`Checksum failed`, 'KrbException: Checksum failed'),
      message('Java', r`Integrity check on decrypted field failed \(31\)`, 'KrbException: Integrity check on decrypted field failed (31)'),
      comErr('KRB5KRB_AP_ERR_BAD_INTEGRITY'),
      krbError(31),
    ],
    causes: [
      'The principal was deleted and recreated, or its password set again, and the keytab still holds the earlier key under the same kvno.',
      'The keytab was generated from a password (ktutil addent -password, ktpass /pass) that is not the account\'s current password, or with the wrong salt (AD salts with the realm and account name, host/ accounts differently).',
      'Two servers each ran ktpass or ktadd for the same principal; only the last export is valid.',
      'Java only: Java tries keys regardless of kvno, so an old keytab shows up as "Checksum failed" too.',
    ],
    fixes: [
      {
        platform: 'MIT',
        text: 'Test the keytab against a fresh ticket; if it fails, export the current key again.',
        commands: ['kvno -k KEYTAB SERVICE/HOST.FQDN@REALM', 'kadmin.local -q "ktadd -norandkey -k KEYTAB SERVICE/HOST.FQDN@REALM"'],
      },
      {
        platform: 'Active Directory',
        text: 'Reset the account password once with ktpass and use that single keytab everywhere; check the SPN is on that account only.',
        commands: ['setspn -Q SERVICE/HOST.FQDN', 'ktpass /princ SERVICE/HOST.FQDN@REALM /mapuser DOMAIN\\ACCOUNT /pass PASSWORD /crypto AES256-SHA1 /ptype KRB5_NT_PRINCIPAL /out KEYTAB'],
      },
      {
        platform: 'Java',
        text: 'Replace the keytab named in the JAAS keyTab option and restart; sun.security.krb5.debug=true shows the kvno and enctype Java tried.',
      },
    ],
    reproduce: { scenario: 'same-kvno-other-key', recipe: 'Export a keytab for the service, then kadmin.local -q "delprinc -force SERVICE/HOST" and addprinc -randkey it again (same kvno, new key), and accept a fresh ticket with the old keytab.' },
    related: ['keytab-kvno-out-of-date', 'message-stream-modified', 'preauth-failed', 'java-checksum-failed'],
  },
  {
    id: 'wrong-principal',
    title: 'Ticket is for a different service principal than the acceptor uses',
    explanation:
      'The client asked the KDC for a ticket to one name (for example an alias SPN or another host name), and the service is set up to accept only its own, different name. ' +
      'The ticket is perfectly valid, just not for the principal the service was told to be. ' +
      'MIT services that accept with "any principal in the keytab" avoid this; services bound to one explicit name reject tickets for every other name, even when the keytab holds both.',
    matchers: [
      message('MIT', r`Wrong principal in request`, 'GSSAPI Error: Unspecified GSS failure.  Minor code may provide more information (Wrong principal in request)'),
      message('MIT', r`Request ticket server \S+ found in keytab but does not match server principal \S+`, 'GSSAPI Error: Unspecified GSS failure.  Minor code may provide more information (Request ticket server mqtt/broker.example.com@EXAMPLE.COM found in keytab but does not match server principal other/broker.example.com@)'),
      message('MIT', r`Server principal \S+ does not match request ticket server \S+`, 'Unspecified GSS failure.  Minor code may provide more information: Server principal other/broker.example.com@EXAMPLE.COM does not match request ticket server mqtt/broker.example.com@EXAMPLE.COM'),
      message('MIT', r`Cannot find key for \S+ kvno \d+ in keytab \(request ticket server \S+\)`, 'Unspecified GSS failure.  Minor code may provide more information: Cannot find key for other/broker.example.com@EXAMPLE.COM kvno 4 in keytab (request ticket server mqtt/broker.example.com@EXAMPLE.COM)'),
      message('MIT', r`The ticket isn't for us`, "Unspecified GSS failure.  Minor code may provide more information: The ticket isn't for us"),
      message('Java', r`The ticket isn't for us \(35\)`, "GSSException: Failure unspecified at GSS-API level (Mechanism level: The ticket isn't for us (35))"),
      comErr('KRB5KRB_AP_WRONG_PRINC'),
      comErr('KRB5KRB_AP_ERR_NOT_US'),
      krbError(35),
    ],
    causes: [
      'The client used an alias (a CNAME, a load-balancer name, an IP) and the KDC issued a ticket for that alias\'s principal.',
      'The service is bound to an explicit principal (service@HOST with a fixed HOST, or a JAAS principal) instead of accepting any key in its keytab.',
      'DNS canonicalization on the client (rdns, dns_canonicalize_hostname) turned the host name into a different one than the service expects.',
    ],
    fixes: [
      {
        platform: 'MIT',
        text: 'Let the acceptor take any principal in its keytab (no fixed host, or ignore_acceptor_hostname = true), and put the alias keys into the keytab.',
        commands: ['klist -kte KEYTAB', 'kadmin.local -q "ktadd -norandkey -k KEYTAB SERVICE/ALIAS.FQDN@REALM"'],
      },
      {
        platform: 'Active Directory',
        text: 'Register the alias SPN on the same account the service runs as, and export it into the keytab.',
        commands: ['setspn -S SERVICE/ALIAS.FQDN DOMAIN\\ACCOUNT'],
      },
      {
        platform: 'Java',
        text: 'Set principal="*" (or isInitiator=false with the exact alias principal) in the acceptor\'s JAAS entry so it accepts any key in the keytab.',
      },
      {
        platform: 'EMQX',
        text: 'Clients must request exactly the principal EMQX is configured with (service/FQDN@REALM); use that host name in the client, not an IP or alias.',
      },
    ],
    reproduce: { recipe: 'Put keys for mqtt/host and other/host in one keytab, get a ticket for mqtt/host, and accept it with the acceptor bound to other@host.' },
    related: ['keytab-no-matching-entry', 'server-unknown'],
  },
  {
    id: 'java-unsupported-keytype',
    title: 'Java cannot use the key type (unsupported keytype or restricted crypto)',
    explanation:
      'Java\'s Kerberos implementation found keys it will not use. Either the keytab holds only types the JDK does not support or has disabled — DES and RC4 are off unless allow_weak_crypto is set, Camellia is not implemented — or an old JDK is limited to 128-bit AES by its cryptography policy and refuses AES-256 keys ("Illegal key size"). ' +
      'With no usable key left, Java then fails further on with messages that hide the cause, such as "Unable to obtain password from user".',
    matchers: [
      message('Java', r`Found unsupported keytype \(\d+\)`, 'Found unsupported keytype (23) for alice@EXAMPLE.COM'),
      message('Java', r`Illegal key size`, 'GSSException: No valid credentials provided (Mechanism level: Illegal key size)'),
      message('Java', r`Encryption type .+? is not supported/enabled`, 'GSSException: Failure unspecified at GSS-API level (Mechanism level: Encryption type AES256 CTS mode with HMAC SHA1-96 is not supported/enabled)'),
      message('Java', r`Do not have keys of types listed in \S+ available`, 'KrbException: Do not have keys of types listed in default_tkt_enctypes available; only have keys of following type: RC4 with HMAC '),
    ],
    causes: [
      'The keytab holds only DES, RC4 or Camellia keys, which the JDK does not support or has disabled by default.',
      'An old JDK (before 8u161) without the unlimited-strength policy cannot use AES-256 keys.',
      'krb5.conf (default_tkt_enctypes, permitted_enctypes) lists types the keytab does not have.',
    ],
    fixes: [
      {
        platform: 'Java',
        text: 'Use AES keys and a current JDK; see the keys Java loads with sun.security.krb5.debug=true.',
        commands: ['java -Dsun.security.krb5.debug=true -Djava.security.krb5.conf=/etc/krb5.conf ...', 'klist -kte KEYTAB'],
      },
      {
        platform: 'MIT',
        text: 'Give the principal AES keys and export them.',
        commands: ['kadmin.local -q "cpw -randkey -e aes256-cts-hmac-sha1-96:normal,aes128-cts-hmac-sha1-96:normal PRINCIPAL"', 'kadmin.local -q "ktadd -norandkey -k KEYTAB PRINCIPAL"'],
      },
      {
        platform: 'Active Directory',
        text: 'Enable AES on the account and export an AES keytab.',
        commands: ['Set-ADUser ACCOUNT -KerberosEncryptionType AES128,AES256', 'ktpass /princ PRINCIPAL /mapuser DOMAIN\\ACCOUNT /pass PASSWORD /crypto AES256-SHA1 /ptype KRB5_NT_PRINCIPAL /out KEYTAB'],
      },
      {
        platform: 'Elasticsearch',
        text: 'Elasticsearch runs on its bundled JDK, which supports AES; re-export the HTTP/NODE-FQDN keytab with AES keys.',
      },
    ],
    reproduce: { recipe: 'ktutil: addent -password -p alice@REALM -k 1 -e arcfour-hmac, wkt /tmp/rc4.keytab; then log in from Java with useKeyTab=true keyTab=/tmp/rc4.keytab and sun.security.krb5.debug=true.' },
    related: ['etype-no-support', 'keytab-missing-enctype', 'keytab-no-suitable-keys'],
  },
];
