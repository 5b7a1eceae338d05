/**
 * Hazelcast's Kerberos security, in Hazelcast's own terms (com.hazelcast.config.security:
 * RealmConfig, KerberosIdentityConfig, KerberosAuthenticationConfig, JaasAuthenticationConfig),
 * as the XML (<security>) and YAML (security:) configurations write it.
 */

/** One JAAS login module of a realm's <authentication><jaas> (the full form). */
export interface HazelcastLoginModule {
  /** com.sun.security.auth.module.Krb5LoginModule */
  className: string;
  /** REQUIRED, REQUISITE, SUFFICIENT, OPTIONAL. */
  usage: string;
  /** <properties><property name="…">…</property> — Krb5LoginModule options (useKeyTab, keyTab, principal, isInitiator, storeKey, doNotPrompt …). */
  properties: Record<string, string>;
}

/** <identity><kerberos>: the member (or client) that asks for a service ticket for the member SPN. */
export interface HazelcastKerberosIdentity {
  /** Kerberos realm name ("ACME.COM"). */
  realm?: string;
  /** Simplified form: the principal and keytab Hazelcast logs in with (no separate JAAS realm). */
  principal?: string;
  keytabFile?: string;
  /** Full form: the Hazelcast security realm whose JAAS login gives the initiator's credentials. */
  securityRealm?: string;
  /** Default "hz/": the SPN is [prefix][member address]@[realm]. */
  serviceNamePrefix?: string;
  /** Ask for the member's canonical host name instead of its IP address. */
  useCanonicalHostname?: boolean;
  /** One static SPN for every member. */
  spn?: string;
}

/** <authentication><kerberos>: the member that accepts the ticket. */
export interface HazelcastKerberosAuthentication {
  /** Simplified form: the acceptor's principal and keytab. */
  principal?: string;
  keytabFile?: string;
  /** Full form: the Hazelcast security realm whose JAAS login gives the acceptor's credentials. */
  securityRealm?: string;
  /** The authenticated name without "@REALM". */
  useNameWithoutRealm?: boolean;
  relaxFlagsCheck?: boolean;
  /** <skip-identity>, <skip-endpoint>, <skip-role> (basic-authentication): what the authenticated Subject leaves out. */
  skipIdentity?: boolean;
  skipEndpoint?: boolean;
  skipRole?: boolean;
}

/** One <realm name="…">. */
export interface HazelcastRealm {
  name: string;
  identity?: HazelcastKerberosIdentity;
  authentication?: HazelcastKerberosAuthentication;
  /** <authentication><jaas>: login modules (the full form's JAAS realms). */
  jaas?: HazelcastLoginModule[];
  /** Where the realm starts, for messages. */
  line?: number;
}

export interface HazelcastSecurity {
  enabled: boolean;
  realms: HazelcastRealm[];
  /** <member-authentication realm="…">. */
  memberAuthentication?: string;
  /** <client-authentication realm="…">. */
  clientAuthentication?: string;
}
