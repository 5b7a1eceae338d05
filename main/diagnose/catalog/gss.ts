/**
 * The GSS-API and SASL layer: names an application hands to GSS, tokens that are not Kerberos at
 * all (NTLM inside Negotiate), tokens that are broken, and the generic wrapper messages that only
 * say "something below failed" — those rank low on purpose, so the specific cause wins.
 */
import type { CatalogEntry } from '../../api/diagnose';
import { comErr, gss, message, mqttReason } from './matchers';

const r = String.raw;

export const GSS_ENTRIES: readonly CatalogEntry[] = [
  {
    id: 'invalid-server-principal-string',
    title: 'Service principal is not of the form service/FQDN@REALM',
    explanation:
      'EMQX (and the bench\'s broker, which authenticates the same way) refuses to start a GSSAPI-KERBEROS listener unless its principal is written as service/host@REALM: ' +
      'a service name, a slash, the fully qualified host name, an @ and the realm. GSS host-based names such as "mqtt@broker.example.com" or a bare "mqtt" are not accepted, ' +
      'because the principal is used verbatim to find the key in the default keytab.',
    matchers: [
      message('EMQX', r`invalid_server_principal_string`, 'invalid_server_principal_string: "mqtt@localhost" (expected service/FQDN@REALM, e.g. mqtt/broker.example.com@EXAMPLE.COM)'),
      message('MIT', r`Malformed representation of principal`, 'kinit: Malformed representation of principal when parsing name mqtt/@'),
      comErr('KRB5_PARSE_MALFORMED'),
      mqttReason(0x87),
    ],
    causes: [
      'The principal was written in GSS host-based form (service@host) instead of the Kerberos form (service/host@REALM).',
      'The realm or the host part is missing, or the host is a short name or an IP address instead of the FQDN the KDC knows.',
    ],
    fixes: [
      {
        platform: 'EMQX',
        text: 'Set the authenticator\'s principal to the full Kerberos name that is in the default keytab.',
        commands: ['authentication = [{ mechanism = gssapi, backend = kerberos, principal = "mqtt/HOST.FQDN@REALM", keytab_file = "/etc/krb5.keytab" }]', 'klist -kte /etc/krb5.keytab'],
      },
      {
        platform: 'MIT',
        text: 'Check the exact spelling of the principal in the keytab and copy it from there.',
        commands: ['klist -k KEYTAB'],
      },
    ],
    reproduce: { scenario: 'invalid-principal-string', recipe: 'Start the bench broker (or EMQX) with principal "mqtt@localhost" instead of "mqtt/localhost@REALM" and connect with GSSAPI-KERBEROS.' },
    related: ['server-unknown', 'keytab-no-suitable-keys'],
  },
  {
    id: 'ntlm-fallback',
    title: 'The client sent NTLM instead of Kerberos (Negotiate fell back)',
    explanation:
      'An HTTP Negotiate (SPNEGO) header carried an NTLMSSP token, not a Kerberos AP-REQ. Windows clients fall back to NTLM silently when they cannot get a Kerberos ticket for the service: ' +
      'no SPN registered for the name in the URL, the URL uses an IP address, a short name or a CNAME that maps to another SPN, or the browser does not consider the site trusted for Kerberos. ' +
      'A Kerberos-only service (Elasticsearch\'s Kerberos realm, a Java SPNEGO filter, MIT\'s acceptor) cannot use the token and refuses it.',
    matchers: [
      message('kbench', r`fell back to NTLM`, 'SPNEGO token carries NTLMSSP (NEGOTIATE_MESSAGE): the client fell back to NTLM'),
      message('MIT', r`An unsupported mechanism was requested`, 'gss_accept_sec_context: An unsupported mechanism was requested'),
      message('Java', r`Defective token detected \(Mechanism level: GSSHeader did not find the right tag\)`, 'GSSException: Defective token detected (Mechanism level: GSSHeader did not find the right tag)'),
      message('Elasticsearch', r`Negotiate \w{0,3}TlRMTVNT`, 'Authorization: Negotiate TlRMTVNTUAABAAAAl4II4gAAAAAAAAAAAAAAAAAAAAAKALpHAAAADw=='),
      message('Windows', r`Authentication Package:\s*NTLM`, 'Logon Type: 3  Authentication Package: NTLM  Package Name (NTLM only): NTLM V2'),
      gss('GSS_S_BAD_MECH'),
    ],
    causes: [
      'No SPN HTTP/host is registered for the name the client used, so the client could not get a ticket.',
      'The URL uses an IP address, a short name, or a CNAME whose target has no SPN.',
      'The browser does not send Kerberos to this site (not in the Intranet zone / not in network.negotiate-auth.trusted-uris / AuthServerAllowlist).',
      'The client is not logged in to the domain, or its clock is off so its TGT is unusable.',
    ],
    fixes: [
      {
        platform: 'Active Directory',
        text: 'Register the SPN on the account the service runs as, then purge the client\'s tickets and retry with the FQDN.',
        commands: ['setspn -S HTTP/HOST.FQDN DOMAIN\\SERVICE_ACCOUNT', 'klist purge', 'klist get HTTP/HOST.FQDN'],
      },
      {
        platform: 'Elasticsearch',
        text: 'Use the URL with the FQDN the HTTP/ principal was created for, on every node.',
        commands: ['curl --negotiate -u : https://HOST.FQDN:9200/_security/_authenticate'],
      },
      {
        platform: 'any',
        text: 'Allow Kerberos for the site in the browser: Chrome/Edge AuthServerAllowlist, Firefox network.negotiate-auth.trusted-uris, Internet Explorer Local Intranet zone.',
      },
    ],
    reproduce: { recipe: 'Send an HTTP request with "Authorization: Negotiate" carrying an NTLMSSP NEGOTIATE_MESSAGE (curl --ntlm, or a Windows client against a name without an SPN).' },
    related: ['server-unknown', 'defective-token'],
  },
  {
    id: 'defective-token',
    title: 'The token is not a valid Kerberos GSS token',
    explanation:
      'The acceptor received bytes that do not parse as the GSS token it expected: truncated, base64-decoded twice, wrapped in the wrong framing, cut by a proxy header limit, or produced by another mechanism. ' +
      'In MQTT this is usually authentication data that is not the raw GSS token (a base64 string, a SASL prefix, a token of an earlier round).',
    matchers: [
      message('MIT', r`Invalid token was supplied`, 'gss_accept_sec_context: Invalid token was supplied: ASN.1 structure is missing a required field'),
      message('MIT', r`ASN\.1 (?:structure is missing a required field|identifier doesn't match expected value|encoding ended unexpectedly|failed call to system time library)`, 'ASN.1 identifier doesn\'t match expected value'),
      message('Java', r`Defective token detected`, 'GSSException: Defective token detected (Mechanism level: ...)'),
      message('Windows', r`The token supplied to the function is invalid`, 'SEC_E_INVALID_TOKEN: The token supplied to the function is invalid'),
      message('kbench', r`(?:decode|malformed).{0,40}(?:GSS|AP-REQ|token)`, 'malformed GSS token at offset 2: InitialContextToken.thisMech: expected OBJECT IDENTIFIER'),
      gss('GSS_S_DEFECTIVE_TOKEN'),
      mqttReason(0x87),
    ],
    causes: [
      'The client sent the token encoded (base64 or hex) where raw bytes were expected, or decoded it twice.',
      'The token was truncated: an HTTP header limit on a proxy (large PACs make big tokens), or an MQTT client that cut the authentication data.',
      'The token belongs to another mechanism (NTLM, SPNEGO where raw Kerberos was expected) or to another round of the exchange.',
    ],
    fixes: [
      {
        platform: 'any',
        text: 'Decode the token in the bench (Decoder view, or kbench decode) to see where it stops being valid.',
        commands: ['kbench decode --hex HEX_OF_THE_TOKEN'],
      },
      {
        platform: 'EMQX',
        text: 'Send the raw GSS token in the MQTT Authentication Data property of CONNECT, without any encoding.',
      },
      {
        platform: 'Active Directory',
        text: 'Raise the proxy\'s header size limit for large Negotiate headers (big group memberships make big PACs).',
      },
    ],
    reproduce: { scenario: 'base64-token', recipe: 'Send CONNECT with Authentication Method GSSAPI-KERBEROS and Authentication Data that is not a GSS token (e.g. the base64 text of one).' },
    related: ['ntlm-fallback', 'replay'],
  },
  {
    id: 'gss-generic',
    title: 'A generic GSS-API failure (the real cause is in the minor status)',
    explanation:
      'GSS-API reports failures in two parts: a major status that only says which kind of call failed ("Unspecified GSS failure", "GSS initiate failed", "Failure unspecified at GSS-API level"), ' +
      'and a minor status from the Kerberos mechanism that says why. Wrappers such as SASL, Java\'s JAAS or a server\'s log often print the first part only. ' +
      'On its own it is not a diagnosis: find the minor status (the text after "Minor code may provide more information:") or re-run with tracing.',
    matchers: [
      message('MIT', r`Unspecified GSS failure`, 'Unspecified GSS failure.  Minor code may provide more information'),
      message('Java', r`GSS initiate failed`, 'javax.security.sasl.SaslException: GSS initiate failed [Caused by GSSException: No valid credentials provided]'),
      message('Java', r`Failure unspecified at GSS-API level`, 'GSSException: Failure unspecified at GSS-API level (Mechanism level: ...)'),
      message('Cyrus SASL', r`SASL\(-1\): generic failure: GSSAPI Error`, 'SASL(-1): generic failure: GSSAPI Error: Unspecified GSS failure.  Minor code may provide more information'),
      message('Windows', r`SEC_E_INTERNAL_ERROR|The Local Security Authority cannot be contacted`, 'SEC_E_INTERNAL_ERROR: The Local Security Authority cannot be contacted'),
      gss('GSS_S_FAILURE'),
    ],
    causes: [
      'One of the specific failures in this catalog; the wrapper dropped the minor status that names it.',
    ],
    fixes: [
      {
        platform: 'MIT',
        text: 'Re-run with the MIT trace on and paste the trace here: it names the exact step and error.',
        commands: ['KRB5_TRACE=/dev/stderr COMMAND'],
      },
      {
        platform: 'Java',
        text: 'Turn on the JDK\'s Kerberos and JGSS debug output.',
        commands: ['-Dsun.security.krb5.debug=true -Dsun.security.jgss.debug=true'],
      },
      {
        platform: 'EMQX',
        text: 'Raise the log level and look for the authenticator\'s line with the GSS reason.',
        commands: ['emqx ctl log set-level debug'],
      },
    ],
    reproduce: { recipe: 'Any failure in this catalog, seen through a wrapper that prints only the major status.' },
  },
];
