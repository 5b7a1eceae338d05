/**
 * Getting and presenting service tickets: unknown services, time (skew, not yet valid, expired),
 * replays, and tickets the service cannot decrypt because the KDC used another account's key.
 */
import type { CatalogEntry } from '../../api/diagnose';
import { comErr, krbError, message } from './matchers';

const r = String.raw;

export const TICKET_ENTRIES: readonly CatalogEntry[] = [
  {
    id: 'server-unknown',
    title: 'Service principal not found in the Kerberos database',
    explanation:
      'The client asked the KDC for a ticket to a service principal (for MQTT something like mqtt/broker.example.com@EXAMPLE.COM) and the KDC has no principal — no SPN — by that name. ' +
      'Either the service was never registered, or the client built a different name than the one registered: it used an IP address or a DNS alias, reverse DNS turned the host into another name, or [domain_realm] mapped the host to the wrong realm.',
    matchers: [
      message('MIT', r`Server (?:\S+ )?not found in Kerberos database`, 'kvno: Server mqtt/broker.example.com@EXAMPLE.COM not found in Kerberos database while getting credentials for mqtt/broker.example.com@EXAMPLE.COM'),
      message('Java', r`Server not found in Kerberos database \(7\)`, 'GSSException: No valid credentials provided (Mechanism level: Server not found in Kerberos database (7) - LOOKING_UP_SERVER)'),
      message('Heimdal', r`Server \([^)]*\) unknown`, 'Server (mqtt/broker.example.com@EXAMPLE.COM) unknown'),
      message('Heimdal', r`Server not found in database: \S+`, 'Server not found in database: host/nltp-dom-vm.nltp-office.com@NLTP-OFFICE.COM: no such entry found in hdb'),
      message('Windows', r`The specified target is unknown or unreachable`, 'InitializeSecurityContext: The specified target is unknown or unreachable'),
      message('Windows', r`A Kerberos service ticket was requested\.[\s\S]*?Failure Code:\s*0x7\b`, 'A Kerberos service ticket was requested.\nService Information:\n\tService Name:\t\tmqtt/broker.example.com\nAdditional Information:\n\tTicket Options:\t\t0x40810000\n\tTicket Encryption Type:\t0xFFFFFFFF\n\tFailure Code:\t\t0x7'),
      comErr('KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN'),
      krbError(7),
    ],
    causes: [
      'The service principal (SPN) was never created or registered.',
      'The client used an IP address, a short name or a DNS alias (CNAME) instead of the host name the principal was made for.',
      'Reverse-DNS canonicalization (rdns, dns_canonicalize_hostname) rewrote the host name.',
      'The host is mapped to the wrong realm by [domain_realm], so the name is looked up in another realm.',
    ],
    fixes: [
      {
        platform: 'MIT',
        text: 'See the exact name the client asks for (KRB5_TRACE) and create it, or stop the client from rewriting the host name.',
        commands: ['KRB5_TRACE=/dev/stderr kvno SERVICE/HOST.FQDN@REALM', 'kadmin.local -q "addprinc -randkey SERVICE/HOST.FQDN@REALM"', '[libdefaults]\n  rdns = false\n  dns_canonicalize_hostname = false'],
      },
      {
        platform: 'Active Directory',
        text: 'Register the SPN on the service account (and check it is not on another account).',
        commands: ['setspn -Q SERVICE/HOST.FQDN', 'setspn -S SERVICE/HOST.FQDN DOMAIN\\ACCOUNT'],
      },
      {
        platform: 'EMQX',
        text: 'Clients must ask for the principal EMQX is configured with — service/FQDN@REALM — and connect with that FQDN, not an IP.',
      },
      {
        platform: 'Elasticsearch',
        text: 'Each node needs HTTP/NODE-FQDN@REALM registered and reverse DNS that maps the node\'s address back to that FQDN.',
      },
      {
        platform: 'Hazelcast',
        text: 'Members ask for hz/ADDRESS@REALM where ADDRESS is the member address as configured (an IP unless use-canonical-hostname is set); register those principals, or configure a static spn.',
      },
    ],
    reproduce: { scenario: 'unknown-service', recipe: 'kinit alice, then kvno nosuch/host@REALM (a service name never added to the lab KDC).' },
    related: ['wrong-principal', 'keytab-no-matching-entry', 'client-unknown', 'duplicate-spn'],
  },
  {
    id: 'clock-skew',
    title: 'Clock skew too great',
    explanation:
      'Kerberos messages carry timestamps, and a KDC or service rejects any whose time differs from its own clock by more than the allowed skew (5 minutes by default). ' +
      'One of the machines involved — client, KDC or service — has the wrong time: no NTP, a VM resumed from suspend, a container host with a drifting clock, or a wrong time zone setting on a system that keeps local time in the hardware clock.',
    matchers: [
      message('MIT', r`Clock skew too great`, 'kinit: Clock skew too great while getting initial credentials'),
      message('Java', r`Clock skew too great \(37\)`, 'GSSException: No valid credentials provided (Mechanism level: Clock skew too great (37) - PROCESS_TGS)'),
      message('Heimdal', r`time skew \(\d+\) larger than max \(\d+\)`, 'kinit: krb5_get_init_creds: time skew (343) larger than max (300)'),
      message('Heimdal', r`Too large time skew, client time \S+ is out by \d+ > \d+ seconds`, 'Kerberos: Too large time skew, client time 2015-06-08T11:42:00 is out by 378 > 300 seconds -- SERVER$@MYDOMAIN.LOCAL'),
      message('Windows', r`The clocks on the client and server machines are skewed`, 'SEC_E_TIME_SKEW (0x80090324): The clocks on the client and server machines are skewed.'),
      message('Windows', r`Kerberos pre-authentication failed\.[\s\S]*?Failure Code:\s*0x25\b`, 'Kerberos pre-authentication failed.\nAccount Information:\n\tAccount Name:\t\talice\nAdditional Information:\n\tTicket Options:\t\t0x40810010\n\tFailure Code:\t\t0x25\n\tPre-Authentication Type:\t2'),
      comErr('KRB5KRB_AP_ERR_SKEW'),
      comErr('KRB5_KDCREP_SKEW'),
      krbError(37),
    ],
    causes: [
      'No time synchronization on one of the hosts (client, KDC or service).',
      'A virtual machine was suspended and resumed and its clock did not catch up.',
      'A wrong time zone on a host whose hardware clock keeps local time.',
      'Elasticsearch and Hazelcast clusters: one node is off while the others are fine, so only requests to that node fail.',
    ],
    fixes: [
      {
        platform: 'any',
        text: 'Compare the clocks and turn on NTP everywhere.',
        commands: ['date -u', 'timedatectl status', 'chronyc tracking'],
      },
      {
        platform: 'Active Directory',
        text: 'Resynchronize Windows time with the domain hierarchy and check the offset to a domain controller.',
        commands: ['w32tm /query /status', 'w32tm /resync', 'w32tm /stripchart /computer:DC_HOST /samples:5'],
      },
      {
        platform: 'MIT',
        text: 'As a stopgap for clients only, let the library adjust to the KDC\'s time (kdc_timesync); raising clockskew hides the problem.',
        commands: ['[libdefaults]\n  kdc_timesync = 1'],
      },
    ],
    reproduce: { scenario: 'clock-skew', recipe: 'Start the lab KDC with a clock offset (krb5kdc -T 3600) and kinit from a client with kdc_timesync = 0; or offset the client clock for one process.' },
    related: ['ticket-not-yet-valid', 'ticket-expired', 'replay'],
  },
  {
    id: 'ticket-not-yet-valid',
    title: 'Ticket not yet valid',
    explanation:
      'The ticket\'s start time is in the future as far as the service is concerned. ' +
      'The KDC\'s clock is ahead of the service\'s (or the service\'s is behind), by more than the allowed skew, so a freshly issued ticket looks like it only becomes valid later. ' +
      'It is a clock problem between the KDC and the service, even if the client\'s clock is right.',
    matchers: [
      message('MIT', r`Ticket not yet valid`, 'Unspecified GSS failure.  Minor code may provide more information: Ticket not yet valid'),
      message('Java', r`Ticket not yet valid \(33\)`, 'GSSException: Failure unspecified at GSS-API level (Mechanism level: Ticket not yet valid (33))'),
      comErr('KRB5KRB_AP_ERR_TKT_NYV'),
      krbError(33),
    ],
    causes: ['The service host\'s clock is behind the KDC\'s.', 'The KDC\'s clock is ahead (no NTP on the KDC).', 'Postdated tickets requested with a start time in the future.'],
    fixes: [
      {
        platform: 'any',
        text: 'Synchronize the clocks of the KDC and the service host.',
        commands: ['date -u', 'chronyc tracking'],
      },
      {
        platform: 'Active Directory',
        text: 'Resynchronize the server with the domain time source.',
        commands: ['w32tm /resync'],
      },
    ],
    reproduce: { scenario: 'ticket-not-yet-valid', recipe: 'Run the lab KDC with krb5kdc -T 3600 (an hour ahead), get a service ticket through it, and accept it on a host with the correct time.' },
    related: ['clock-skew', 'ticket-expired'],
  },
  {
    id: 'ticket-expired',
    title: 'Service ticket expired',
    explanation:
      'The service ticket the client presented is past its end time. ' +
      'Clients normally fetch a new service ticket when the old one ends; this error means a client kept using an old one — a long-running process holding a ticket or security context, a cached ticket replayed later — or the service\'s clock is far ahead.',
    matchers: [
      message('MIT', r`Ticket expired`, 'Unspecified GSS failure.  Minor code may provide more information: Ticket expired'),
      message('Java', r`Ticket expired \(32\)`, 'GSSException: Failure unspecified at GSS-API level (Mechanism level: Ticket expired (32))'),
      message('Windows', r`A Kerberos service ticket was requested\.[\s\S]*?Failure Code:\s*0x20\b`, 'A Kerberos service ticket was requested.\nAdditional Information:\n\tTicket Options:\t\t0x40810000\n\tTicket Encryption Type:\t0xFFFFFFFF\n\tFailure Code:\t\t0x20'),
      comErr('KRB5KRB_AP_ERR_TKT_EXPIRED'),
      krbError(32),
    ],
    causes: [
      'A long-running client kept an old ticket (or the token built from it) and never asked for a new one.',
      'The client\'s TGT expired, so it could not get a fresh service ticket either.',
      'The service\'s clock is ahead of the KDC\'s.',
    ],
    fixes: [
      {
        platform: 'MIT',
        text: 'Renew or get new tickets; long-running services should re-login from a keytab.',
        commands: ['klist', 'kinit -R', 'kinit -kt KEYTAB PRINCIPAL'],
      },
      {
        platform: 'Java',
        text: 'Re-login (new LoginContext from the keytab) before tickets end; Java does not refresh tickets by itself.',
      },
      {
        platform: 'Active Directory',
        text: 'Purge the cached tickets so Windows fetches new ones.',
        commands: ['klist purge'],
      },
    ],
    reproduce: { recipe: 'kinit -l 1m alice, get a service ticket, wait past its end (plus the 5-minute skew) and present it; or accept it on a host whose clock runs a day ahead.' },
    related: ['tgt-expired', 'clock-skew', 'ticket-kvno-out-of-date'],
  },
  {
    id: 'replay',
    title: 'Request is a replay',
    explanation:
      'The service keeps a replay cache of the authenticators it has accepted, and it has already seen this exact one. ' +
      'Every GSS token must be used once: the same AP-REQ sent twice is rejected the second time. ' +
      'In practice the client re-sent an old token — a retry or auto-reconnect that reuses the first attempt\'s token (MQTT.js reconnecting with the same CONNECT authentication data is a classic), several processes sharing one principal whose authenticators collide in the same second, or a captured exchange being replayed.',
    matchers: [
      message('MIT', r`Request is a replay`, 'GSSAPI Error: Unspecified GSS failure.  Minor code may provide more information (Request is a replay)'),
      message('Java', r`Request is a replay \(34\)`, 'GSSException: Failure unspecified at GSS-API level (Mechanism level: Request is a replay (34))'),
      comErr('KRB5KRB_AP_ERR_REPEAT'),
      comErr('KRB5_RC_REPLAY'),
      krbError(34),
    ],
    causes: [
      'The client resent the same initial token on a retry or reconnect instead of creating a new security context (MQTT clients that cache CONNECT authentication data).',
      'Several processes or hosts use one principal and produce identical authenticators at the same moment.',
      'A captured token is being replayed on purpose (testing) or by a proxy.',
      'Clock problems that make old authenticators look current.',
    ],
    fixes: [
      {
        platform: 'any',
        text: 'Create a new GSS context (a fresh token) for every connection attempt; never cache and resend the first token.',
      },
      {
        platform: 'MIT',
        text: 'Give each process or host its own principal; the replay cache is per service, so distinct clients cannot collide.',
        commands: ['kadmin.local -q "addprinc -randkey CLIENT/HOST.FQDN@REALM"'],
      },
      {
        platform: 'Java',
        text: 'Use a new GSSContext per connection; sun.security.krb5.rcache=none disables the check only for testing.',
      },
    ],
    reproduce: { scenario: 'replay', recipe: 'Create one initiator token and give it to the acceptor twice.' },
    related: ['clock-skew', 'defective-token'],
  },
  {
    id: 'message-stream-modified',
    title: 'Service could not decrypt the ticket (Message stream modified)',
    explanation:
      'The service tried to decrypt the ticket and the integrity check failed, which Windows reports as KRB_AP_ERR_MODIFIED ("the target principal name is incorrect"). ' +
      'The message was not really tampered with: the KDC encrypted the ticket with the key of the account that holds the SPN, and the service runs with a different key. ' +
      'That happens when the same SPN is registered on two accounts (the KDC may pick the other one), when the service runs as another account than the one holding the SPN, or when a machine or service account password changed and the service still uses the old one.',
    matchers: [
      message('MIT', r`Message stream modified`, 'Unspecified GSS failure.  Minor code may provide more information: Message stream modified'),
      message('Windows', r`The Kerberos client received a KRB_AP_ERR_MODIFIED error from the server \S+`, 'The Kerberos client received a KRB_AP_ERR_MODIFIED error from the server SP_WEB_APP_SVC. The target name used was HTTP/sp.contoso.com. This indicates that the target server failed to decrypt the ticket provided by the client.'),
      message('Windows', r`The target principal name is incorrect`, 'The target principal name is incorrect. Cannot generate SSPI context.'),
      comErr('KRB5KRB_AP_ERR_MODIFIED'),
      krbError(41),
    ],
    causes: [
      'The SPN is registered on two accounts (duplicate SPN).',
      'The service runs as a different account than the one the SPN belongs to.',
      'The service or machine account password changed and the service (or its keytab) still uses the old one.',
      'Note: Windows also says "The target principal name is incorrect" for TLS certificate name mismatches; that one is not Kerberos.',
    ],
    fixes: [
      {
        platform: 'Active Directory',
        text: 'Find duplicate SPNs and leave each SPN on exactly the account the service runs as.',
        commands: ['setspn -X', 'setspn -Q SERVICE/HOST.FQDN', 'setspn -D SERVICE/HOST.FQDN DOMAIN\\WRONG_ACCOUNT', 'klist purge'],
      },
      {
        platform: 'MIT',
        text: 'Test the service keytab against a fresh ticket; re-export it if it cannot decrypt.',
        commands: ['kvno -k KEYTAB SERVICE/HOST.FQDN@REALM'],
      },
    ],
    reproduce: { recipe: 'Give the service a keytab holding a different key for the same principal name and kvno (recreate the principal after exporting), then connect with a fresh ticket — MIT acceptors report it as "cannot decrypt ticket".' },
    related: ['keytab-wrong-key', 'kdc-reply-modified', 'server-unknown'],
  },
];
