/**
 * The salts Active Directory derives AES keys with (MS-KILE §3.1.1.2), which MIT's "normal" salt
 * (realm + every name component) does not give for service principals:
 *
 *   user and service accounts   REALM (upper case) + sAMAccountName, case kept: "AD.TESTsvc-mqtt"
 *   computer accounts           REALM + "host" + lower-cased name without "$" + "." + lower-cased realm:
 *                               "AD.TESThostws1.ad.test"
 *
 * A keytab made for mqtt/broker.ad.test with MIT's salt ("AD.TESTmqttbroker.ad.test") holds keys
 * the DC never made: the ticket is found but cannot be decrypted. (RC4 keys take no salt.)
 */
export interface AdAccount {
  realm: string;
  /** sAMAccountName; a computer's may end with "$". */
  account: string;
  computer?: boolean;
}

export function adSalt({ realm, account, computer }: AdAccount): string {
  const upper = realm.toUpperCase();
  if (computer) return `${upper}host${account.replace(/\$$/, '').toLowerCase()}.${realm.toLowerCase()}`;
  return `${upper}${account}`;
}
