/**
 * The client's own login (the AS exchange) and its credential cache: passwords, account state,
 * unknown clients, and having no usable TGT at all.
 */
import type { CatalogEntry } from '../../api/diagnose';
import { comErr, gss, krbError, message } from './matchers';

const r = String.raw;

export const CLIENT_ENTRIES: readonly CatalogEntry[] = [
  {
    id: 'preauth-failed',
    title: 'Pre-authentication failed (wrong password or key)',
    explanation:
      'To get a ticket, the client proves it knows the principal\'s key by encrypting a timestamp with it (pre-authentication). ' +
      'The KDC could not decrypt that timestamp with the key it has, so the client\'s key is wrong: a mistyped password, a keytab from before the password changed, or a key derived with the wrong salt. ' +
      'Active Directory derives keys from the password and a salt made of the realm and account name, so a keytab built by hand from the right password can still be wrong.',
    matchers: [
      message('MIT', r`Preauthentication failed`, 'kinit: Preauthentication failed while getting initial credentials'),
      message('MIT', r`Password incorrect`, 'kinit: Password incorrect while getting initial credentials'),
      message('MIT', r`PREAUTH_FAILED: \S+ for \S+, Preauthentication failed`, 'AS_REQ (4 etypes {aes256-cts-hmac-sha1-96(18), aes128-cts-hmac-sha1-96(17)}) 127.0.0.1: PREAUTH_FAILED: alice@EXAMPLE.COM for krbtgt/EXAMPLE.COM@EXAMPLE.COM, Preauthentication failed'),
      message('Java', r`Pre-authentication information was invalid \(24\)`, 'javax.security.auth.login.LoginException: Pre-authentication information was invalid (24) - PREAUTH_FAILED'),
      message('Java', r`LoginException: Checksum failed`, 'javax.security.auth.login.LoginException: Checksum failed'),
      message('Heimdal', r`Failed to decrypt PA-DATA -- \S+`, 'Failed to decrypt PA-DATA -- alice@EXAMPLE.COM (enctype aes256-cts-hmac-sha1-96) error Decrypt integrity check failed'),
      message('Windows', r`Kerberos pre-authentication failed\.[\s\S]*?Failure Code:\s*0x18\b`, 'Kerberos pre-authentication failed.\nAccount Information:\n\tSecurity ID:\t\tNEWCO\\service_sharepoint\n\tAccount Name:\t\tservice_sharepoint\nService Information:\n\tService Name:\t\tkrbtgt/NEWCO\nAdditional Information:\n\tTicket Options:\t\t0x40810010\n\tFailure Code:\t\t0x18\n\tPre-Authentication Type:\t2'),
      comErr('KRB5KDC_ERR_PREAUTH_FAILED'),
      comErr('KRB5_PREAUTH_FAILED'),
      krbError(24),
    ],
    causes: [
      'Wrong password.',
      'The keytab was made before the principal\'s password or key changed (it still has the old key).',
      'The keytab was generated from the right password but with the wrong salt — Active Directory salts with REALMaccount, and host/ accounts differently.',
      'EMQX: its own kinit with the default keytab failed, because that keytab is outdated.',
    ],
    fixes: [
      {
        platform: 'MIT',
        text: 'Try the password by hand; for a keytab, export the current key again.',
        commands: ['kinit PRINCIPAL', 'kinit -kt KEYTAB PRINCIPAL', 'kadmin.local -q "ktadd -norandkey -k KEYTAB PRINCIPAL"'],
      },
      {
        platform: 'Active Directory',
        text: 'Reset the password and build the keytab with ktpass (it uses the KDC\'s salt); look for event 4771 with failure code 0x18 on the domain controller.',
        commands: ['ktpass /princ PRINCIPAL /mapuser DOMAIN\\ACCOUNT /pass PASSWORD /crypto AES256-SHA1 /ptype KRB5_NT_PRINCIPAL /out KEYTAB'],
      },
      {
        platform: 'Java',
        text: 'Check the JAAS principal and keyTab; sun.security.krb5.debug=true shows the salt and key type used.',
        commands: ['java -Dsun.security.krb5.debug=true ...'],
      },
      {
        platform: 'EMQX',
        text: 'Refresh the default keytab EMQX reads so it holds the broker principal\'s current key.',
        commands: ['kinit -kt KEYTAB mqtt/BROKER-FQDN@REALM'],
      },
    ],
    reproduce: { scenario: 'wrong-password', recipe: 'kadmin.local -q "addprinc -pw right +requires_preauth alice", then echo wrong | kinit alice.' },
    related: ['keytab-wrong-key', 'client-unknown', 'password-expired'],
  },
  {
    id: 'client-unknown',
    title: 'Client principal not found in the Kerberos database',
    explanation:
      'The KDC has no principal with the name the client logged in as. ' +
      'It may be a typo, the wrong realm (an MIT KDC answers this way for realms it does not serve), or — with Active Directory — a name form the KDC does not recognise, such as the display name instead of the sAMAccountName or UPN.',
    matchers: [
      message('MIT', r`Client '[^']*' not found in Kerberos database`, "kinit: Client 'alice@EXAMPLE.COM' not found in Kerberos database while getting initial credentials"),
      message('Java', r`Client not found in Kerberos database`, 'javax.security.auth.login.LoginException: Client not found in Kerberos database (6) - CLIENT_NOT_FOUND'),
      message('MIT', r`CLIENT_NOT_FOUND: \S+ for \S+`, 'AS_REQ (8 etypes {aes256-cts-hmac-sha1-96(18)}) 127.0.0.1: CLIENT_NOT_FOUND: alice@EXAMPLE.COM for krbtgt/EXAMPLE.COM@EXAMPLE.COM, Client not found in Kerberos database'),
      message('Heimdal', r`Client \([^)]*\) unknown`, 'kinit: krb5_get_init_creds: Client (alice@EXAMPLE.COM) unknown'),
      message('Heimdal', r`UNKNOWN -- \S+: no such entry found in hdb`, 'UNKNOWN -- alice@EXAMPLE.COM: no such entry found in hdb'),
      message('Windows', r`A Kerberos authentication ticket \(TGT\) was requested\.[\s\S]*?Result Code:\s*0x6\b`, 'A Kerberos authentication ticket (TGT) was requested.\nAccount Information:\n\tAccount Name:\t\talice\nAdditional Information:\n\tTicket Options:\t\t0x40810010\n\tResult Code:\t\t0x6'),
      comErr('KRB5KDC_ERR_C_PRINCIPAL_UNKNOWN'),
      krbError(6),
    ],
    causes: [
      'The principal name is misspelled or was never created.',
      'The realm is wrong, or in the wrong case, so the KDC looks it up under another name.',
      'Active Directory: the name used is not the sAMAccountName or the UPN of the account.',
      'The client talks to a different KDC than the one the principal was created on (another lab, a replica that has not synced).',
    ],
    fixes: [
      {
        platform: 'MIT',
        text: 'Look the principal up on the KDC and compare spelling and realm.',
        commands: ['kadmin.local -q "listprincs"', 'kadmin.local -q "getprinc PRINCIPAL"'],
      },
      {
        platform: 'Active Directory',
        text: 'Find the account by the name the client uses.',
        commands: ['Get-ADUser -Filter "UserPrincipalName -eq \'USER@DOMAIN\'"', 'Get-ADUser ACCOUNT'],
      },
      {
        platform: 'Java',
        text: 'Use the principal exactly as the KDC knows it, with the upper-case realm, in the JAAS principal option.',
      },
    ],
    reproduce: { scenario: 'unknown-client', recipe: 'kinit nosuch@REALM against the lab KDC.' },
    related: ['preauth-failed', 'server-unknown', 'wrong-realm'],
  },
  {
    id: 'password-expired',
    title: 'The principal\'s password has expired',
    explanation:
      'The KDC refuses normal tickets because the principal\'s password is past its expiry date; it will only issue a ticket for changing the password. ' +
      'Interactive kinit asks for a new password; keytab-based services and Java logins just fail. ' +
      'Service accounts should usually not have expiring passwords at all.',
    matchers: [
      message('MIT', r`Password has expired`, 'kinit: Password has expired while getting initial credentials'),
      message('MIT', r`Password expired\.\s+You must change it now\.`, 'Password expired.  You must change it now.'),
      message('MIT', r`CLIENT KEY EXPIRED: \S+`, 'AS_REQ (8 etypes {aes256-cts-hmac-sha1-96(18)}) 127.0.0.1: CLIENT KEY EXPIRED: bob@EXAMPLE.COM for krbtgt/EXAMPLE.COM@EXAMPLE.COM, Password has expired'),
      message('Java', r`Password has expired - change password to reset \(23\)`, 'javax.security.auth.login.LoginException: Password has expired - change password to reset (23) - CLIENT KEY EXPIRED'),
      message('Heimdal', r`Password expired`, 'kinit: Password expired'),
      message('Windows', r`A Kerberos authentication ticket \(TGT\) was requested\.[\s\S]*?Result Code:\s*0x17\b`, 'A Kerberos authentication ticket (TGT) was requested.\nAccount Information:\n\tAccount Name:\t\tsvc_mqtt\nAdditional Information:\n\tTicket Options:\t\t0x40810010\n\tResult Code:\t\t0x17'),
      comErr('KRB5KDC_ERR_KEY_EXP'),
      krbError(23),
    ],
    causes: [
      'The password aged out under the principal\'s password policy (MIT pwexpire / policy maxlife, AD maximum password age).',
      'An administrator forced a password change — in Active Directory "User must change password at next logon" (pwdLastSet = 0), which new accounts and password resets often carry.',
    ],
    fixes: [
      {
        platform: 'MIT',
        text: 'Change the password, or for a service principal clear the expiry.',
        commands: ['kpasswd PRINCIPAL', 'kadmin.local -q "modprinc -pwexpire never PRINCIPAL"'],
      },
      {
        platform: 'Active Directory',
        text: 'Change the password (or clear "must change at next logon"); service accounts should have PasswordNeverExpires (or be managed service accounts).',
        commands: ['Set-ADAccountPassword ACCOUNT -Reset', 'Set-ADUser ACCOUNT -ChangePasswordAtLogon $false -PasswordNeverExpires $true'],
      },
    ],
    reproduce: { scenario: 'password-expired', recipe: 'kadmin.local -q "modprinc -pwexpire yesterday alice", then kinit -kt with alice\'s keytab (or kinit alice and decline the change).' },
    related: ['client-revoked', 'principal-expired', 'preauth-failed'],
  },
  {
    id: 'client-revoked',
    title: 'Client credentials revoked (account disabled or locked out)',
    explanation:
      'The principal exists and the password may well be right, but the KDC will not issue tickets to it: the account is disabled, locked out after too many failed attempts, or (MIT) has the allow_tix flag cleared. ' +
      'Fix the account state; changing passwords or keytabs will not help.',
    matchers: [
      message('MIT', r`Client'?s credentials have been revoked`, "kinit: Client's credentials have been revoked while getting initial credentials"),
      message('MIT', r`CLIENT LOCKED OUT: \S+`, "AS_REQ (8 etypes {aes256-cts-hmac-sha1-96(18)}) 127.0.0.1: CLIENT LOCKED OUT: alice@EXAMPLE.COM for krbtgt/EXAMPLE.COM@EXAMPLE.COM, Client's credentials have been revoked"),
      message('Java', r`Clients credentials have been revoked \(18\)`, 'javax.security.auth.login.LoginException: Clients credentials have been revoked (18) - CLIENT LOCKED OUT'),
      message('Windows', r`A Kerberos authentication ticket \(TGT\) was requested\.[\s\S]*?Result Code:\s*0x12\b`, 'A Kerberos authentication ticket (TGT) was requested.\nAccount Information:\n\tAccount Name:\t\talice\nAdditional Information:\n\tTicket Options:\t\t0x40810010\n\tResult Code:\t\t0x12'),
      comErr('KRB5KDC_ERR_CLIENT_REVOKED'),
      krbError(18),
    ],
    causes: [
      'The account is disabled.',
      'The account is locked out after failed logins (MIT lockout policy, AD lockout threshold) — often by a service retrying with an old password.',
      'MIT: the principal has -allow_tix set.',
    ],
    fixes: [
      {
        platform: 'MIT',
        text: 'Look at the principal\'s flags and failure count; re-enable and unlock it.',
        commands: ['kadmin.local -q "getprinc PRINCIPAL"', 'kadmin.local -q "modprinc +allow_tix -unlock PRINCIPAL"'],
      },
      {
        platform: 'Active Directory',
        text: 'Enable or unlock the account, and find what keeps locking it.',
        commands: ['Unlock-ADAccount ACCOUNT', 'Enable-ADAccount ACCOUNT', 'Get-ADUser ACCOUNT -Properties LockedOut,Enabled,BadLogonCount'],
      },
    ],
    reproduce: { scenario: 'client-revoked', recipe: 'kadmin.local -q "modprinc -allow_tix alice", then kinit alice.' },
    related: ['password-expired', 'principal-expired', 'preauth-failed'],
  },
  {
    id: 'principal-expired',
    title: 'The client principal itself has expired',
    explanation:
      'The principal has an expiration date (separate from its password\'s) and it is in the past, so the KDC no longer issues tickets for it. ' +
      'Temporary or contractor accounts and test principals created with -expire run into this.',
    matchers: [
      message('MIT', r`Client's entry in database has expired`, "kinit: Client's entry in database has expired while getting initial credentials"),
      message('MIT', r`CLIENT EXPIRED: \S+`, "AS_REQ (8 etypes {aes256-cts-hmac-sha1-96(18)}) 127.0.0.1: CLIENT EXPIRED: alice@EXAMPLE.COM for krbtgt/EXAMPLE.COM@EXAMPLE.COM, Client's entry in database has expired"),
      message('Java', r`Client's entry in database expired \(1\)`, "javax.security.auth.login.LoginException: Client's entry in database expired (1) - CLIENT EXPIRED"),
      message('Heimdal', r`Client \([^)]*\) expired`, 'kinit: krb5_get_init_creds: Client (alice@EXAMPLE.COM) expired'),
      comErr('KRB5KDC_ERR_NAME_EXP'),
      krbError(1),
    ],
    causes: ['The principal was created with an expiration date that has passed.', 'Active Directory: the account\'s accountExpires date has passed.'],
    fixes: [
      {
        platform: 'MIT',
        text: 'Extend or clear the principal\'s expiration.',
        commands: ['kadmin.local -q "getprinc PRINCIPAL"', 'kadmin.local -q "modprinc -expire never PRINCIPAL"'],
      },
      {
        platform: 'Active Directory',
        text: 'Clear or extend the account expiry.',
        commands: ['Clear-ADAccountExpiration ACCOUNT'],
      },
    ],
    reproduce: { scenario: 'principal-expired', recipe: 'kadmin.local -q "modprinc -expire yesterday alice", then kinit alice.' },
    related: ['password-expired', 'client-revoked'],
  },
  {
    id: 'no-credentials',
    title: 'No Kerberos credentials (no ticket cache, or no TGT in it)',
    explanation:
      'The client side wanted to use an existing ticket-granting ticket and found none: the credential cache does not exist, is empty, or holds tickets for another principal. ' +
      'Usually nobody ran kinit for this user, or the program looks in another cache than kinit wrote to (KRB5CCNAME, a KEYRING or KCM cache another process cannot read, a different user or container). ' +
      'Java reports it as "Failed to find any Kerberos tgt" and never reads MIT KEYRING or KCM caches.',
    matchers: [
      message('MIT', r`No Kerberos credentials available(?: \(default cache: [^)]*\))?`, 'No credentials were supplied, or the credentials were unavailable or inaccessible: No Kerberos credentials available (default cache: FILE:/tmp/krb5cc_1000)'),
      message('MIT', r`No credentials cache found(?: \(filename: [^)]*\))?`, 'klist: No credentials cache found (filename: /tmp/krb5cc_1000)'),
      message('MIT', r`Can't find client principal \S+ in cache collection`, "gssapi.raw.misc.GSSError: Major (851968): Unspecified GSS failure.  Minor code may provide more information, Minor (2529639053): Can't find client principal fake@DOMAIN.LOCAL in cache collection"),
      message('Heimdal', r`No ticket file: \S+`, 'klist: No ticket file: /tmp/krb5cc_1000'),
      message('Heimdal', r`No credentials cache file found`, 'No credentials cache file found'),
      message('Java', r`Failed to find any Kerberos tgt`, 'GSSException: No valid credentials provided (Mechanism level: Failed to find any Kerberos tgt)'),
      message('Windows', r`No credentials are available in the security package`, 'SEC_E_NO_CREDENTIALS (0x8009030E): No credentials are available in the security package'),
      gss('GSS_S_NO_CRED', r`No Kerberos credentials available|No credentials cache found|Can't find client principal`),
      comErr('KRB5_FCC_NOFILE'),
      comErr('KRB5_CC_NOTFOUND'),
    ],
    causes: [
      'No kinit was run for this user, or the tickets were destroyed (kdestroy, logout, reboot with a tmpfs cache).',
      'The program reads another cache than kinit wrote (KRB5CCNAME differs, another user, another container).',
      'The cache is a KEYRING or KCM cache the program cannot read (another session, or Java, which reads only FILE caches).',
      'The cache holds tickets for a different principal than the one requested.',
    ],
    fixes: [
      {
        platform: 'MIT',
        text: 'See which cache is in use and what it holds; kinit into a FILE cache the program reads.',
        commands: ['klist', 'echo $KRB5CCNAME', 'KRB5CCNAME=FILE:/tmp/krb5cc_$(id -u) kinit PRINCIPAL'],
      },
      {
        platform: 'Java',
        text: 'Either log in from a keytab in JAAS (useKeyTab=true, keyTab, principal) or use useTicketCache=true with a FILE cache (ticketCache="/tmp/krb5cc_UID").',
      },
      {
        platform: 'Active Directory',
        text: 'On Windows the logon session supplies tickets; check with klist that the session has a TGT.',
        commands: ['klist', 'klist tgt'],
      },
    ],
    reproduce: { scenario: 'no-ccache', recipe: 'kdestroy, then run a GSS initiator (or kvno SERVICE/HOST).' },
    related: ['tgt-expired', 'keytab-no-suitable-keys'],
  },
  {
    id: 'tgt-expired',
    title: 'The ticket-granting ticket in the cache has expired',
    explanation:
      'There is a credential cache and it has a TGT, but the TGT is past its end time, so no new service tickets can be obtained with it. ' +
      'The KDC rejects the request with "Ticket expired", and GSS-API reports the credential as expired. ' +
      'Long-running clients that kinit once at start-up, and caches nobody renews, end up here after the ticket lifetime (often 10 or 24 hours).',
    matchers: [
      message('MIT', r`Ticket expired while getting credentials for \S+`, 'kvno: Ticket expired while getting credentials for mqtt/broker.example.com@EXAMPLE.COM'),
      message('kbench', r`the client failed before sending any token: .*Ticket expired`, 'the client failed before sending any token: Unspecified GSS failure.  Minor code may provide more information: Ticket expired'),
      message('MIT', r`The referenced credential has expired`, 'gssapi.raw.exceptions.ExpiredCredentialsError: Major (720896): The referenced credential has expired, Minor (100001): Unknown code 0'),
      message('Java', r`Expired credentials detected`, 'GSSException: Expired credentials detected'),
      gss('GSS_S_CREDENTIALS_EXPIRED'),
    ],
    causes: [
      'The TGT reached its lifetime and nothing renewed it or logged in again.',
      'The process logged in once from a keytab and never refreshes (no relogin thread).',
      'The machine clock jumped forward (resumed VM).',
    ],
    fixes: [
      {
        platform: 'MIT',
        text: 'Get a new TGT; for services, re-login from the keytab periodically or use a renewable ticket.',
        commands: ['klist', 'kinit PRINCIPAL', 'kinit -R', 'kinit -kt KEYTAB PRINCIPAL'],
      },
      {
        platform: 'Java',
        text: 'Log in from a keytab (useKeyTab=true) and re-login before the ticket ends; Java does not renew on its own.',
      },
      {
        platform: 'Active Directory',
        text: 'Lock and unlock, or purge and get a fresh TGT.',
        commands: ['klist purge', 'klist tgt'],
      },
    ],
    refines: ['ticket-expired'],
    reproduce: { scenario: 'tgt-expired', recipe: 'kinit -l 10s alice, wait 15 seconds, then kvno SERVICE/HOST (or start a GSS initiator).' },
    related: ['ticket-expired', 'no-credentials', 'clock-skew'],
  },
];
