/**
 * The environment checks in words, one title per check id. The engine names them, so the
 * Diagnose view and `kbench diagnose` say the same thing. Ids with a suffix ("kdc-udp:HOST:PORT")
 * carry it into the title.
 */
const TITLES: Record<string, string> = {
  'krb5-conf': 'krb5.conf files',
  'krb5-conf-syntax': 'krb5.conf syntax',
  'default-realm': 'Default realm',
  enctypes: 'Enctypes allowed by krb5.conf',
  'krb5-settings': 'krb5.conf settings in effect',
  principal: 'Service principal',
  'kdc-locate': 'KDCs of the realm',
  'kdc-resolve': 'KDC host name',
  'kdc-udp': 'KDC round trip over UDP',
  'kdc-tcp': 'KDC round trip over TCP',
  'clock-skew': 'Clock skew against the KDC',
  'service-host-form': 'Service host name form',
  'domain-realm': 'Host to realm mapping ([domain_realm])',
  'dns-forward': 'Service host in DNS',
  'dns-cname': 'Service host alias (CNAME)',
  'dns-reverse': 'Reverse DNS of the service host',
  'keytab-file': 'Keytab file',
  'keytab-principal': 'Principal in the keytab',
  'keytab-enctypes': 'Keytab enctypes',
  'keytab-kvno': 'kvno at the KDC vs the keytab',
  'keytab-decrypts-ticket': 'Keytab key opens a fresh ticket',
  ccache: 'Credential cache (TGT)',
  'kerberos-binding': 'kerberos binding (GSSAPI from Node)',
  environment: 'The checks themselves',
};

export function checkTitle(id: string): string {
  const at = id.indexOf(':');
  const base = at < 0 ? id : id.slice(0, at);
  const title = TITLES[base] ?? base;
  return at < 0 ? title : `${title} (${id.slice(at + 1)})`;
}
