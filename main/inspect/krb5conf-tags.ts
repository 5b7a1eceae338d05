/**
 * What MIT krb5 1.20 does with the relations of a krb5.conf (MIT docs, "krb5.conf"; kdc.conf for
 * the KDC's own sections): the sections it reads, the [libdefaults] and realm tags it knows, with
 * a few words each and MIT's default for the booleans. A tag outside these lists is ignored by
 * MIT, which is how a typo ("defualt_realm") goes unnoticed.
 */

/** Sections MIT reads: krb5.conf's, plus kdc.conf's (the same parser reads both). */
export const KNOWN_SECTIONS = new Set([
  'libdefaults',
  'realms',
  'domain_realm',
  'capaths',
  'appdefaults',
  'plugins',
  'logging',
  'dbdefaults',
  'dbmodules',
  'kdcdefaults',
  'otp',
]);

/** Booleans of [libdefaults] and their MIT 1.20 defaults. */
export const LIBDEFAULT_BOOLEANS: Record<string, boolean> = {
  allow_weak_crypto: false,
  allow_rc4: false,
  canonicalize: false,
  client_aware_channel_bindings: false,
  dns_lookup_kdc: true,
  dns_lookup_realm: false,
  dns_uri_lookup: true,
  enforce_ok_as_delegate: false,
  forwardable: false,
  ignore_acceptor_hostname: false,
  k5login_authoritative: true,
  kdc_timesync: true,
  noaddresses: true,
  proxiable: false,
  rdns: true,
  verify_ap_req_nofail: false,
};

/** [libdefaults] tags MIT 1.20 reads, in a few words. */
export const LIBDEFAULTS: Record<string, string> = {
  allow_rc4: 'MIT 1.21+: allow RC4 session keys (1.20 ignores it)',
  allow_weak_crypto: 'allow single-DES and export RC4 enctypes',
  ap_req_checksum_type: 'checksum type of AP-REQ authenticators',
  canonicalize: 'ask the KDC to canonicalize the client name',
  ccache_type: 'format version of new FILE ccaches (1–4)',
  client_aware_channel_bindings: 'say in the AP-REQ that the client sends channel bindings',
  clockskew: 'largest clock difference accepted (seconds, default 300)',
  default_ccache_name: 'the ccache when KRB5CCNAME is unset',
  default_client_keytab_name: 'the client keytab when KRB5_CLIENT_KTNAME is unset',
  default_keytab_name: 'the acceptor keytab when KRB5_KTNAME is unset',
  default_rcache_name: 'the replay cache when KRB5RCACHENAME is unset',
  default_realm: 'the realm of names written without @REALM',
  default_tgs_enctypes: 'session-key enctypes asked for in TGS requests',
  default_tkt_enctypes: 'session-key enctypes asked for in AS requests',
  dns_canonicalize_hostname: 'forward-resolve host names of service principals (true, false or fallback)',
  dns_lookup_kdc: 'find KDCs through DNS SRV records when [realms] names none',
  dns_lookup_realm: 'find the realm of a host through DNS TXT records',
  dns_uri_lookup: 'try DNS URI records before SRV records',
  enforce_ok_as_delegate: 'delegate only to services the KDC marks ok-as-delegate',
  err_fmt: 'how error messages are formatted',
  extra_addresses: 'more addresses to put in tickets',
  forwardable: 'ask for forwardable tickets',
  ignore_acceptor_hostname: 'acceptors accept tickets for any host name in the keytab',
  k5login_authoritative: '~/.k5login alone decides who may log in',
  k5login_directory: 'where .k5login files are looked up',
  kcm_mach_service: 'the KCM daemon on macOS',
  kcm_socket: 'the KCM daemon socket',
  kdc_default_options: 'KDC options of ticket requests',
  kdc_req_checksum_type: 'checksum type of TGS requests (DES only)',
  kdc_timesync: 'adjust to the KDC clock from its replies',
  noaddresses: 'ask for tickets without addresses',
  permitted_enctypes: 'enctypes allowed for session keys and acceptor keys',
  plugin_base_dir: 'where plugin modules are loaded from',
  preferred_preauth_types: 'pre-authentication types tried first',
  proxiable: 'ask for proxiable tickets',
  qualify_shortname: 'domain appended to short host names',
  rdns: 'reverse-resolve host names of service principals',
  realm_try_domains: 'how many domain components to try for a host realm',
  renew_lifetime: 'renewable lifetime asked for',
  request_timeout: 'total time a KDC request may take',
  safe_checksum_type: 'checksum type of KRB-SAFE messages',
  spake_preauth_groups: 'SPAKE groups offered',
  ticket_lifetime: 'ticket lifetime asked for',
  udp_preference_limit: 'messages above this size go over TCP (1 = always TCP)',
  verify_ap_req_nofail: 'kinit must verify the TGT against the host keytab',
};

/** Tags other Kerberos implementations read in [libdefaults] (MIT ignores them). */
export const FOREIGN_LIBDEFAULTS: Record<string, string> = {
  'fcc-mit-ticketflags': 'Heimdal',
  default_etypes: 'Heimdal',
  default_etypes_des: 'Heimdal',
  default_cc_type: 'Heimdal',
  default_cc_name: 'Heimdal',
  default_checksum: 'Java (JGSS)',
  kdc_timeout: 'Heimdal',
  max_retries: 'Heimdal',
};

/** Realm tags MIT reads in a [realms] block, in a few words. */
export const REALM_TAGS: Record<string, string> = {
  admin_server: 'kadmind (kadmin, password changes through it)',
  auth_to_local: 'rule mapping principals to local accounts',
  auth_to_local_names: 'explicit principal → local account names',
  default_domain: 'domain of Kerberos 4 style host names',
  disable_encrypted_timestamp: 'never send encrypted-timestamp pre-authentication',
  http_anchors: 'trust anchors for KDC proxy HTTPS',
  kdc: 'a KDC of the realm (host[:port])',
  kpasswd_server: 'the password-change server (kpasswd)',
  master_kdc: 'the primary KDC (old name of primary_kdc)',
  primary_kdc: 'the primary KDC: a failed password is retried there',
  v4_instance_convert: 'Kerberos 4 instance mapping',
  v4_realm: 'Kerberos 4 realm name',
};
