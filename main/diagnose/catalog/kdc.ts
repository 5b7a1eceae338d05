/**
 * Finding and talking to the KDC: realm configuration, reachability, name resolution, and the
 * KDC's answers about realms, options and encryption types.
 */
import type { CatalogEntry } from '../../api/diagnose';
import { comErr, krbError, message } from './matchers';

const r = String.raw;

export const KDC_ENTRIES: readonly CatalogEntry[] = [
  {
    id: 'realm-unknown',
    title: 'No KDC known for the realm',
    explanation:
      'Before sending anything, the Kerberos library has to know which hosts are the KDCs of the realm it needs. ' +
      'It looks in krb5.conf under [realms] and, when allowed, in DNS SRV records (_kerberos._udp.REALM). ' +
      'Neither gave an answer for this realm, so nothing was sent. Realm names are case-sensitive: EXAMPLE.COM and example.com are different realms, and a typo in the principal\'s realm lands here too.',
    matchers: [
      message('MIT', r`Cannot find KDC for realm "[^"]*"`, 'kinit: Cannot find KDC for realm "EXAMPLE.COM" while getting initial credentials'),
      message('MIT', r`Cannot find KDC for requested realm`, 'Cannot find KDC for requested realm'),
      message('Heimdal', r`No KDC found for realm \S+`, 'kinit: krb5_get_init_creds: No KDC found for realm EXAMPLE.COM'),
      message('Java', r`Cannot locate KDC`, 'javax.security.auth.login.LoginException: Cannot locate KDC'),
      message('Java', r`Cannot get kdc for realm \S+`, 'KrbException: Cannot get kdc for realm EXAMPLE.COM'),
      message('Java', r`Unable to locate KDC for realm \S+`, 'KrbException: Generic error (description in e-text) (60) - Unable to locate KDC for realm EXAMPLE.COM'),
      comErr('KRB5_REALM_UNKNOWN'),
    ],
    causes: [
      'The realm has no block in [realms] of the krb5.conf the program actually reads (KRB5_CONFIG, java.security.krb5.conf).',
      'DNS lookup of KDCs is off (dns_lookup_kdc = false) or there are no _kerberos SRV records for the realm.',
      'The principal names the wrong realm, or the realm in another case (realms are case-sensitive).',
    ],
    fixes: [
      {
        platform: 'MIT',
        text: 'Add the realm with its KDC to krb5.conf (the file in KRB5_CONFIG, or /etc/krb5.conf).',
        commands: ['[realms]\n  REALM = {\n    kdc = KDC_HOST:88\n    admin_server = KDC_HOST\n  }', 'KRB5_TRACE=/dev/stderr kinit PRINCIPAL'],
      },
      {
        platform: 'Java',
        text: 'Java reads its own krb5.conf; pass it explicitly and make sure the realm is there.',
        commands: ['java -Djava.security.krb5.conf=/etc/krb5.conf -Dsun.security.krb5.debug=true ...'],
      },
      {
        platform: 'EMQX',
        text: 'EMQX uses the system MIT library: the realm must be in the /etc/krb5.conf (or KRB5_CONFIG) of the EMQX host.',
      },
      {
        platform: 'Elasticsearch',
        text: 'Set the krb5.conf path for the Elasticsearch JVM in a jvm.options file.',
        commands: ['-Djava.security.krb5.conf=/etc/krb5.conf'],
      },
    ],
    reproduce: { scenario: 'realm-unknown', recipe: 'Remove the realm\'s block from [realms] in a copy of krb5.conf and run KRB5_CONFIG=that-copy kinit alice@REALM.' },
    related: ['kdc-unreachable', 'no-default-realm', 'kdc-host-unresolvable'],
  },
  {
    id: 'kdc-unreachable',
    title: 'Cannot contact any KDC for the realm',
    explanation:
      'The library knew where the realm\'s KDCs should be and sent its request, but no KDC answered. ' +
      'Either the KDC process is not running, a firewall drops port 88 (UDP, TCP or both), the configured port is wrong, or the answer never made it back. ' +
      'MIT tries every listed KDC over UDP and TCP before giving up, so this takes a while; Java reports the same thing as a socket timeout, and EMQX as "Resource temporarily unavailable".',
    matchers: [
      message('MIT', r`Cannot contact any KDC for realm ['"][^'"]*['"]`, "kinit: Cannot contact any KDC for realm 'EXAMPLE.COM' while getting initial credentials"),
      message('MIT', r`Cannot contact any KDC for requested realm`, 'Cannot contact any KDC for requested realm'),
      message('Heimdal', r`unable to reach any KDC in realm \S+`, 'gssapi.raw.exceptions.MissingCredentialsError: Major (458752):  No credentials were supplied, or the credentials were unavailable or inaccessible., Minor (2529639068): unable to reach any KDC in realm EXAMPLE.COM'),
      message('Java', r`Receive timed out`, 'javax.security.auth.login.LoginException: Receive timed out'),
      message('Java', r`PortUnreachableException`, 'Caused by: java.net.PortUnreachableException'),
      message('Java', r`LoginException: connect timed out`, 'javax.security.auth.login.LoginException: connect timed out'),
      message('Windows', r`There are currently no logon servers available to service the logon request`, 'There are currently no logon servers available to service the logon request.'),
      message('Windows', r`No authority could be contacted for authentication`, 'Error -2146893039 (0x80090311): No authority could be contacted for authentication.'),
      message('EMQX', r`Resource temporarily unavailable`, 'Resource temporarily unavailable'),
      comErr('KRB5_KDC_UNREACH'),
    ],
    causes: [
      'The KDC service is not running, or not on the host and port krb5.conf names.',
      'A firewall blocks port 88 — often only UDP or only TCP is open.',
      'Replies are too big for UDP and TCP 88 is closed.',
      'EMQX: the kdc configured in /etc/krb5.conf of the EMQX host is down or unreachable from it.',
    ],
    fixes: [
      {
        platform: 'MIT',
        text: 'Check the KDC runs and answers on 88 from this host; force TCP if only TCP is open.',
        commands: ['KRB5_TRACE=/dev/stderr kinit PRINCIPAL', 'nc -vz KDC_HOST 88', 'systemctl status krb5-kdc', '[libdefaults]\n  udp_preference_limit = 1'],
      },
      {
        platform: 'Java',
        text: 'Java waits per KDC (kdc_timeout, max_retries in krb5.conf); turn on debug to see which KDC it tried, and prefer TCP with udp_preference_limit = 1.',
        commands: ['java -Dsun.security.krb5.debug=true -Djava.security.krb5.conf=/etc/krb5.conf ...'],
      },
      {
        platform: 'Active Directory',
        text: 'Check a domain controller can be found and reached from the client.',
        commands: ['nltest /dsgetdc:DOMAIN', 'Test-NetConnection DC_HOST -Port 88'],
      },
      {
        platform: 'EMQX',
        text: 'From the EMQX host, kinit with the broker\'s keytab must work before EMQX can authenticate anyone.',
        commands: ['kinit -kt KEYTAB mqtt/BROKER-FQDN@REALM'],
      },
    ],
    reproduce: { scenario: 'kdc-down', recipe: 'Stop the lab KDC (or point kdc = 127.0.0.1:1 in a copy of krb5.conf) and run kinit alice@REALM.' },
    related: ['kdc-host-unresolvable', 'realm-unknown', 'response-too-big'],
  },
  {
    id: 'kdc-host-unresolvable',
    title: 'The KDC host name does not resolve',
    explanation:
      'krb5.conf (or DNS SRV records) names the KDC by host name, and that name does not resolve to an address. ' +
      'Older MIT releases and Heimdal say so directly; MIT 1.20 reports it as "Cannot contact any KDC", and only KRB5_TRACE shows that the last thing tried was "Resolving hostname …" with no request sent after it. ' +
      'Java throws an UnknownHostException for the name.',
    matchers: [
      message('MIT', r`Cannot resolve network address for KDC in requested realm`, 'kinit: Cannot resolve network address for KDC in requested realm while getting initial credentials'),
      message('kbench', r`KDC host \S+ did not resolve`, 'KDC host kdc.nosuch.invalid did not resolve (KRB5_TRACE: "Resolving hostname kdc.nosuch.invalid" with no request sent after it)'),
      message('Heimdal', r`Cannot resolve KDC for requested realm`, 'kinit: krb5_get_init_creds: Cannot resolve KDC for requested realm'),
      message('Java', r`UnknownHostException: \S+: (?:Name or service not known|Temporary failure in name resolution)`, 'javax.security.auth.login.LoginException: kdc.nosuch.invalid: Name or service not known\nCaused by: java.net.UnknownHostException: kdc.nosuch.invalid: Name or service not known'),
      comErr('KRB5_REALM_CANT_RESOLVE'),
    ],
    causes: [
      'A typo in kdc = … or a host that was renamed or retired.',
      'The client uses a DNS server that does not know the internal name (VPN down, container with its own resolv.conf).',
      'The name lives only in /etc/hosts on some machines.',
    ],
    fixes: [
      {
        platform: 'any',
        text: 'Resolve the KDC name the way the program does, then fix DNS, /etc/hosts or krb5.conf.',
        commands: ['getent hosts KDC_HOST', 'KRB5_TRACE=/dev/stderr kinit PRINCIPAL'],
      },
      {
        platform: 'Active Directory',
        text: 'Check the domain\'s SRV records resolve from the client.',
        commands: ['nslookup -type=SRV _kerberos._tcp.DOMAIN'],
      },
    ],
    refines: ['kdc-unreachable'],
    reproduce: { scenario: 'kdc-host-unresolvable', recipe: 'Set kdc = kdc.nosuch.invalid for the realm in a copy of krb5.conf and run KRB5_TRACE=/dev/stderr KRB5_CONFIG=that-copy kinit alice@REALM.' },
    related: ['kdc-unreachable', 'realm-unknown'],
  },
  {
    id: 'no-default-realm',
    title: 'No default realm configured',
    explanation:
      'A principal was given without "@REALM" (or a service name had to be turned into a principal), so the library needs a default realm — and the configuration it read has none. ' +
      'Most often the program is not reading the krb5.conf you think: KRB5_CONFIG points elsewhere, the file is missing in a container, or a Java program was never told where krb5.conf is (java.security.krb5.conf).',
    matchers: [
      message('MIT', r`Configuration file does not specify default realm`, 'kinit: Configuration file does not specify default realm when parsing name alice'),
      message('Java', r`Cannot locate default realm`, 'javax.security.auth.login.LoginException: KrbException: Cannot locate default realm'),
      message('Java', r`Cannot find default realm`, 'KrbException: Cannot find default realm'),
      comErr('KRB5_CONFIG_NODEFREALM'),
    ],
    causes: [
      'krb5.conf has no default_realm in [libdefaults].',
      'The program reads another krb5.conf (KRB5_CONFIG, a container without /etc/krb5.conf, Java without java.security.krb5.conf).',
      'The principal was written without its realm where a full name is needed.',
    ],
    fixes: [
      {
        platform: 'MIT',
        text: 'Set the default realm, or always give full principal names.',
        commands: ['[libdefaults]\n  default_realm = REALM', 'echo $KRB5_CONFIG'],
      },
      {
        platform: 'Java',
        text: 'Tell the JVM which krb5.conf to read (or set java.security.krb5.realm and java.security.krb5.kdc together).',
        commands: ['java -Djava.security.krb5.conf=/etc/krb5.conf ...'],
      },
      {
        platform: 'Elasticsearch',
        text: 'Add the krb5.conf path to the Elasticsearch JVM options.',
        commands: ['-Djava.security.krb5.conf=/etc/krb5.conf'],
      },
    ],
    reproduce: { scenario: 'no-default-realm', recipe: 'Run KRB5_CONFIG=/dev/null kinit alice (no realm in the name, no configuration).' },
    related: ['realm-unknown'],
  },
  {
    id: 'wrong-realm',
    title: 'Request sent to a KDC of another realm',
    explanation:
      'The KDC that received the request does not serve the realm in it and said so ("Realm not local to KDC"). ' +
      'The client\'s krb5.conf sends this realm to the wrong KDC — for example two realms pointing at the same host — or the realm was derived from a host name through a wrong [domain_realm] mapping. ' +
      'Active Directory also answers this way in some cross-forest and disjoint-namespace setups. (An MIT KDC answers a request for a realm it does not serve with "Client not found" instead.)',
    matchers: [
      message('MIT', r`Realm not local to KDC`, 'kinit: Realm not local to KDC while getting initial credentials'),
      message('Heimdal', r`WRONG_REALM - \S+ -> \S+`, 'WRONG_REALM - alice@example.com -> alice@EXAMPLE.COM'),
      comErr('KRB5KDC_ERR_WRONG_REALM'),
      krbError(68),
    ],
    causes: [
      'krb5.conf lists a KDC of realm A under realm B.',
      'A [domain_realm] mapping sends the host to the wrong realm.',
      'Cross-realm or cross-forest referrals in Active Directory point the client at a domain controller of another domain.',
    ],
    fixes: [
      {
        platform: 'MIT',
        text: 'Give each realm its own KDCs and check the host-to-realm mapping.',
        commands: ['[realms]\n  REALM = {\n    kdc = KDC_OF_REALM\n  }', '[domain_realm]\n  .DOMAIN = REALM'],
      },
      {
        platform: 'Active Directory',
        text: 'Use the realm in upper case as AD spells it and let the client find domain controllers through DNS.',
        commands: ['nslookup -type=SRV _kerberos._tcp.DOMAIN'],
      },
    ],
    reproduce: { recipe: 'Point realm B at realm A\'s KDC in krb5.conf and kinit user@B (an Active Directory or Heimdal KDC answers WRONG_REALM; MIT answers client not found).' },
    related: ['realm-unknown', 'client-unknown', 'kdc-reply-modified'],
  },
  {
    id: 'response-too-big',
    title: 'KDC response too big for UDP',
    explanation:
      'The KDC\'s answer did not fit in a UDP datagram, so it asked the client to retry over TCP. ' +
      'Clients normally do that silently; the error only surfaces when the retry over TCP fails — TCP port 88 is blocked, or an old client cannot use TCP. ' +
      'Large tickets come from users in many groups (a big PAC in Active Directory).',
    matchers: [
      message('MIT', r`Response too big for UDP, retry with TCP`, 'kinit: Response too big for UDP, retry with TCP while getting initial credentials'),
      comErr('KRB5KRB_ERR_RESPONSE_TOO_BIG'),
      krbError(52),
    ],
    causes: ['TCP port 88 is blocked between the client and the KDC.', 'Very large tickets (many group memberships in Active Directory).'],
    fixes: [
      {
        platform: 'MIT',
        text: 'Open TCP 88 to the KDC and prefer TCP on the client.',
        commands: ['[libdefaults]\n  udp_preference_limit = 1', 'nc -vz KDC_HOST 88'],
      },
      {
        platform: 'Java',
        text: 'Set udp_preference_limit = 1 in the krb5.conf Java reads.',
      },
    ],
    reproduce: { recipe: 'Not reproducible with a small lab realm without a big PAC; block TCP 88 and request a ticket larger than udp_preference_limit.' },
    related: ['kdc-unreachable'],
  },
  {
    id: 'kdc-reply-modified',
    title: 'KDC reply did not match the request',
    explanation:
      'The client checks that the KDC\'s answer is for what it asked — same client name, same realm, same service, same nonce. ' +
      'Here it was not. The common real-world cause is case: the client asked for alice@example.com and the KDC (Active Directory, which is case-insensitive) answered for alice@EXAMPLE.COM. ' +
      'Java reports this check failing as "Message stream modified (41)". Name canonicalization and referrals can cause the same mismatch.',
    matchers: [
      message('MIT', r`KDC reply did not match expectations`, 'kinit: KDC reply did not match expectations while getting initial credentials'),
      message('Java', r`Message stream modified \(41\)`, 'javax.security.auth.login.LoginException: Message stream modified (41)'),
      comErr('KRB5_KDCREP_MODIFIED'),
    ],
    causes: [
      'The realm is written in lower or mixed case in the principal or krb5.conf, and the KDC answers in upper case.',
      'The client name was canonicalized by the KDC (enterprise names, UPN vs sAMAccountName) and the client did not ask for canonicalization.',
    ],
    fixes: [
      {
        platform: 'any',
        text: 'Write realms in upper case everywhere: principals, default_realm, [realms], JAAS principal.',
      },
      {
        platform: 'MIT',
        text: 'Ask for the name to be canonicalized when the KDC rewrites it.',
        commands: ['kinit -C PRINCIPAL', '[libdefaults]\n  canonicalize = true'],
      },
      {
        platform: 'Java',
        text: 'Use the upper-case realm in the JAAS principal and in java.security.krb5.conf.',
      },
    ],
    reproduce: { recipe: 'Against an Active Directory KDC, kinit user@domain.example (lower-case realm). An MIT KDC treats realm case as significant and answers client not found instead.' },
    related: ['message-stream-modified', 'wrong-realm'],
  },
  {
    id: 'etype-no-support',
    title: 'No common encryption type between client, KDC and service',
    explanation:
      'Every ticket and reply is encrypted with a type the client, the KDC and the service all accept. ' +
      'Here the lists did not overlap: the client only allows some types (permitted_enctypes, default_tkt_enctypes), and the principal has keys only of other types. ' +
      'Typical today: DES or RC4 switched off while an old account still only has an RC4 key, or an Active Directory account whose msDS-SupportedEncryptionTypes does not include AES.',
    matchers: [
      message('MIT', r`KDC has no support for encryption type`, 'kinit: KDC has no support for encryption type while getting initial credentials'),
      message('Java', r`KDC has no support for encryption type \(14\)`, 'javax.security.auth.login.LoginException: KDC has no support for encryption type (14) - CANT_FIND_CLIENT_KEY'),
      message('MIT', r`No supported encryption types \(config file error\?\)`, 'kinit: No supported encryption types (config file error?) while getting initial credentials'),
      message('Windows', r`The encryption type requested is not supported by the KDC`, 'System.Security.SecurityException: The encryption type requested is not supported by the KDC.'),
      message('Windows', r`A Kerberos (?:authentication|service) ticket(?: \(TGT\))? was requested\.[\s\S]*?(?:Result|Failure) Code:\s*0xE\b`, 'A Kerberos service ticket was requested.\nService Information:\n\tService Name:\t\tsvc_mqtt\nAdditional Information:\n\tTicket Options:\t\t0x40810000\n\tTicket Encryption Type:\t0xFFFFFFFF\n\tFailure Code:\t\t0xE'),
      comErr('KRB5KDC_ERR_ETYPE_NOSUPP'),
      comErr('KRB5_CONFIG_ETYPE_NOSUPP'),
      krbError(14),
    ],
    causes: [
      'The principal has keys only of types the client or KDC no longer allows (DES, RC4).',
      'Active Directory: msDS-SupportedEncryptionTypes of the service account does not include AES, or the account password predates AES and was never reset.',
      'The client\'s krb5.conf restricts permitted_enctypes / default_tkt_enctypes to types the principal lacks.',
    ],
    fixes: [
      {
        platform: 'MIT',
        text: 'See the principal\'s key types; give it AES keys, and align permitted_enctypes on clients.',
        commands: ['kadmin.local -q "getprinc PRINCIPAL"', 'kadmin.local -q "cpw -randkey -e aes256-cts-hmac-sha1-96:normal,aes128-cts-hmac-sha1-96:normal PRINCIPAL"'],
      },
      {
        platform: 'Active Directory',
        text: 'Enable AES for the account, then reset its password so AES keys exist, and export a new keytab.',
        commands: ['Set-ADUser ACCOUNT -KerberosEncryptionType AES128,AES256', 'Set-ADAccountPassword ACCOUNT -Reset'],
      },
      {
        platform: 'Java',
        text: 'Check default_tkt_enctypes and permitted_enctypes in the krb5.conf Java reads; debug output lists the types Java offers.',
        commands: ['java -Dsun.security.krb5.debug=true ...'],
      },
    ],
    reproduce: { scenario: 'no-common-enctype', recipe: 'Create a principal with only aes256 keys (addprinc -e aes256-cts:normal) and kinit it from a client whose krb5.conf sets permitted_enctypes = aes128-cts.' },
    related: ['keytab-missing-enctype', 'java-unsupported-keytype'],
  },
  {
    id: 'kdc-bad-option',
    title: 'KDC cannot grant a requested ticket option',
    explanation:
      'The request asked for something the KDC will not do for this principal: renew a ticket that is not renewable, forward or delegate where delegation is not allowed, or constrained delegation (S4U2Proxy) to a service that is not in the allowed list. ' +
      'The ticket itself may be fine; it is the option that was refused.',
    matchers: [
      message('MIT', r`KDC can't fulfill requested option`, "kvno: KDC can't fulfill requested option mqtt/broker.example.com@EXAMPLE.COM: constrained delegation failed"),
      message('Java', r`KDC cannot accommodate requested option \(13\)`, 'KrbException: KDC cannot accommodate requested option (13)'),
      message('Windows', r`A Kerberos service ticket was requested\.[\s\S]*?Failure Code:\s*0xD\b`, 'A Kerberos service ticket was requested.\nAdditional Information:\n\tTicket Options:\t\t0x40830000\n\tTicket Encryption Type:\t0xFFFFFFFF\n\tFailure Code:\t\t0xD'),
      comErr('KRB5KDC_ERR_BADOPTION'),
      krbError(13),
    ],
    causes: [
      'Renewing a ticket that was not issued renewable (kinit -R without -r, or a principal with maxrenewlife 0).',
      'Constrained delegation (S4U2Proxy) to a service not listed for the middle service (MIT allowed_to_delegate_to, AD msDS-AllowedToDelegateTo).',
      'Requesting forwardable or proxiable tickets for a principal that does not allow them.',
    ],
    fixes: [
      {
        platform: 'MIT',
        text: 'Check the principal\'s flags and renewable life; allow delegation where it is wanted.',
        commands: ['kadmin.local -q "getprinc PRINCIPAL"', 'kadmin.local -q "modprinc -maxrenewlife 7d PRINCIPAL"', 'kinit -r 7d PRINCIPAL'],
      },
      {
        platform: 'Active Directory',
        text: 'Configure delegation on the service account (Delegation tab, or msDS-AllowedToDelegateTo for constrained delegation).',
        commands: ['Set-ADUser ACCOUNT -Add @{\'msDS-AllowedToDelegateTo\'=\'SERVICE/HOST.FQDN\'}'],
      },
    ],
    reproduce: { recipe: 'kinit alice (not renewable), then kinit -R; or kvno -U alice -P SERVICE/HOST from a service with +ok_to_auth_as_delegate but no delegation rights to SERVICE.' },
    related: ['client-revoked'],
  },
];
