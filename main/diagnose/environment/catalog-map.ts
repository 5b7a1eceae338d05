/**
 * Environment finding ids and the catalog entries they correspond to. The findings leave
 * `scenario` unset; the diagnosis engine uses this map to rank an environment finding together
 * with the catalog entry of the error message it explains.
 */
export const EnvFindingId = {
  krb5ConfMissing: 'env.krb5-conf-missing',
  krb5ConfParse: 'env.krb5-conf-parse',
  noDefaultRealm: 'env.no-default-realm',
  sampleDefaultRealm: 'env.sample-default-realm',
  realmNoKdc: 'env.realm-no-kdc',
  weakEnctypes: 'env.weak-enctypes',
  kdcHostUnresolvable: 'env.kdc-host-unresolvable',
  kdcUnreachable: 'env.kdc-unreachable',
  kdcUdpUnreachable: 'env.kdc-udp-unreachable',
  kdcTcpUnreachable: 'env.kdc-tcp-unreachable',
  kdcWrongRealm: 'env.kdc-wrong-realm',
  clockSkew: 'env.clock-skew',
  principalHostIp: 'env.principal-host-ip',
  principalHostShort: 'env.principal-host-short',
  domainRealm: 'env.domain-realm-mismatch',
  dnsForward: 'env.dns-forward',
  dnsCname: 'env.dns-cname',
  dnsReverse: 'env.dns-reverse',
  principalUnknown: 'env.principal-unknown',
  keytabMissing: 'env.keytab-missing',
  keytabUnreadable: 'env.keytab-unreadable',
  keytabMissingPrincipal: 'env.keytab-missing-principal',
  keytabKvnoBehind: 'env.keytab-kvno-behind-kdc',
  keytabKvnoAhead: 'env.keytab-kvno-ahead-of-kdc',
  keytabEnctypes: 'env.keytab-enctypes',
  keytabWrongKey: 'env.keytab-wrong-key',
  ccacheMissing: 'env.ccache-missing',
  ccacheUnreadable: 'env.ccache-unreadable',
  ccacheNoTgt: 'env.ccache-no-tgt',
  ccacheExpired: 'env.ccache-expired',
  ccacheExpiring: 'env.ccache-expiring',
  bindingLoad: 'env.binding-load',
} as const;

/** Environment finding id → catalog entry id (only where one explains the other). */
export const ENV_TO_CATALOG: Record<string, string> = {
  // MIT reads no krb5.conf at all → it has no default realm either.
  [EnvFindingId.krb5ConfMissing]: 'no-default-realm',
  [EnvFindingId.noDefaultRealm]: 'no-default-realm',
  [EnvFindingId.realmNoKdc]: 'realm-unknown',
  [EnvFindingId.kdcHostUnresolvable]: 'kdc-host-unresolvable',
  [EnvFindingId.kdcUnreachable]: 'kdc-unreachable',
  // One transport blocked: MIT falls back to the other, but a PAC too big for UDP or a blocked TCP 88 still fails.
  [EnvFindingId.kdcUdpUnreachable]: 'kdc-unreachable',
  [EnvFindingId.kdcTcpUnreachable]: 'kdc-unreachable',
  [EnvFindingId.clockSkew]: 'clock-skew',
  // Clients that ask for another name than the keytab's get "Server not found in Kerberos database".
  [EnvFindingId.principalHostIp]: 'server-unknown',
  [EnvFindingId.principalHostShort]: 'server-unknown',
  [EnvFindingId.domainRealm]: 'server-unknown',
  [EnvFindingId.dnsCname]: 'server-unknown',
  [EnvFindingId.dnsReverse]: 'server-unknown',
  [EnvFindingId.principalUnknown]: 'server-unknown',
  [EnvFindingId.keytabMissing]: 'keytab-no-suitable-keys',
  [EnvFindingId.keytabUnreadable]: 'keytab-no-suitable-keys',
  [EnvFindingId.keytabMissingPrincipal]: 'keytab-no-suitable-keys',
  [EnvFindingId.keytabKvnoBehind]: 'keytab-kvno-out-of-date',
  [EnvFindingId.keytabKvnoAhead]: 'keytab-kvno-out-of-date',
  [EnvFindingId.keytabEnctypes]: 'keytab-missing-enctype',
  [EnvFindingId.ccacheMissing]: 'no-credentials',
  [EnvFindingId.ccacheUnreadable]: 'no-credentials',
  [EnvFindingId.ccacheNoTgt]: 'no-credentials',
  [EnvFindingId.ccacheExpired]: 'tgt-expired',
  [EnvFindingId.ccacheExpiring]: 'tgt-expired',
};
