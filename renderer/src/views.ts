/**
 * The bench's views, in navigation order. `ready: false` views show an empty state saying what
 * they will do and what works today; each later issue flips its view to a real one.
 */
export interface ViewInfo {
  path: string;
  title: string;
  group: 'Start' | 'Realm' | 'MQTT' | 'HTTP' | 'Inspect' | 'Troubleshoot' | 'Share' | 'System';
  /** One-line purpose shown under the title. */
  purpose: string;
  /** For planned views: what the view will let you do. */
  planned?: string[];
  /** For planned views: what you can do meanwhile. */
  meanwhile?: string;
  ready: boolean;
}

export const views: ViewInfo[] = [
  {
    path: '/start',
    title: 'Start here',
    group: 'Start',
    purpose: 'Your first ten minutes: a lab realm, a broker, a probe, a token, a fault and its diagnosis — one click each.',
    ready: true,
  },
  {
    path: '/lab',
    title: 'Lab realm',
    group: 'Realm',
    purpose: 'A throwaway MIT Kerberos realm the bench creates and runs for you.',
    planned: [
      'Create, start, stop and destroy a realm (BENCH.TEST) with its own KDC on a loopback port',
      'Principals alice, mqtt/localhost, HTTP/localhost; keytabs and a ticket cache ready to use',
      'Rotate keys, flip principal flags, shift the KDC clock — and watch the KDC log live',
    ],
    meanwhile: 'Check that the MIT KDC tools are installed: the Doctor view lists krb5kdc, kdb5_util and kadmin.local.',
    ready: true,
  },
  {
    path: '/broker',
    title: 'Broker',
    group: 'MQTT',
    purpose: 'A local MQTT 5 broker that authenticates exactly like EMQX GSSAPI-KERBEROS.',
    planned: ['TCP, TLS and WebSocket listeners', 'Every connection as an Exchange: packets, decoded tokens, verdict and cause'],
    meanwhile: 'Point your client at EMQX for now; the Doctor view shows whether your keytab setting (KRB5_KTNAME) is in place.',
    ready: true,
  },
  {
    path: '/probe',
    title: 'Probe',
    group: 'MQTT',
    purpose: 'An MQTT client that authenticates against any broker and shows every round.',
    planned: ['GSSAPI-KERBEROS from a ticket cache or client keytab', 'Step mode: pause before each AUTH round', 'Re-authentication on demand'],
    meanwhile: 'Run kbench doctor to confirm the kerberos binding loads — the probe is built on it.',
    ready: true,
  },
  {
    path: '/http',
    title: 'HTTP / SPNEGO',
    group: 'HTTP',
    purpose: 'An Elasticsearch Kerberos realm or a web console with SSO on this machine, its role mappings, and a Negotiate probe with the SPN each client asks for.',
    ready: true,
  },
  {
    path: '/sasl',
    title: 'SASL',
    group: 'Inspect',
    purpose: 'Step through SASL GSSAPI (RFC 4752) in either role, round by round.',
    planned: ['Client and server roles against the lab or your realm', 'Security-layer offer and reply decoded', 'Decode a C:/S: transcript with a service keytab'],
    ready: true,
  },
  {
    path: '/keytab',
    title: 'Keytab',
    group: 'Inspect',
    purpose: 'Open a keytab: principals, kvnos, enctypes, timestamps — keys hidden until you reveal them.',
    planned: ['klist -kte parity, with every field linked to its bytes', 'Check a password against the keys', 'Add, remove and merge entries'],
    ready: true,
  },
  {
    path: '/ccache',
    title: 'Credential cache',
    group: 'Inspect',
    purpose: 'Open a ticket cache: whose tickets, for which services, valid until when.',
    planned: ['klist -e -f parity: flags, enctypes, kvnos, times', 'Config entries kept apart from tickets'],
    ready: true,
  },
  {
    path: '/krb5conf',
    title: 'krb5.conf',
    group: 'Inspect',
    purpose: 'Open a Kerberos profile: its realms, KDCs and settings, each with the line it came from.',
    ready: true,
  },
  {
    path: '/decoder',
    title: 'Decoder',
    group: 'Inspect',
    purpose: 'Paste a token or message and see it decoded — and decrypted when you give a key.',
    planned: ['AP-REQ, AP-REP, KRB-ERROR, AS/TGS, SPNEGO, GSS wrap/MIC tokens', 'Decrypt with a keytab, a password or a raw key', 'Which key was tried, and why it failed'],
    ready: true,
  },
  {
    path: '/diagnose',
    title: 'Diagnose',
    group: 'Troubleshoot',
    purpose: 'Paste an error or pick a failed Exchange: causes ranked, with the commands that fix them.',
    planned: ['"Keytab contains no suitable keys", "Cannot find KDC", "Preauthentication failed" and 30 more', 'Reproduce any of them in the lab realm'],
    meanwhile: 'The Doctor view already checks krb5.conf, the default realm, your ticket cache and keytab.',
    ready: true,
  },
  {
    path: '/history',
    title: 'History',
    group: 'Troubleshoot',
    purpose: 'Every Exchange of this session — broker connections, probe runs, SASL runs — filtered, exported, deleted.',
    ready: true,
  },
  {
    path: '/captures',
    title: 'Captures',
    group: 'Troubleshoot',
    purpose: 'Open a pcap or pcapng: every Kerberos, MQTT, HTTP and LDAP authentication in it, decoded with your keys, linked, diagnosed and replayed.',
    ready: true,
  },
  {
    path: '/export',
    title: 'Export',
    group: 'Share',
    purpose: 'Turn a configuration that worked into EMQX, Elasticsearch, Hazelcast, Azure and krb5.conf files, each proven before it is offered; import and test your own.',
    ready: true,
  },
  {
    path: '/doctor',
    title: 'Doctor',
    group: 'System',
    purpose: 'What Kerberos Bench needs on this machine, and what it found.',
    ready: true,
  },
];
