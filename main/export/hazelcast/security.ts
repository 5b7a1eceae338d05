/**
 * Hazelcast's Kerberos security from an export model, and the reverse: the Krb5LoginModule
 * options each side of a HazelcastSecurity really runs with, and the member SPN it asks for.
 *
 * Facts from Hazelcast's own code (com.hazelcast.security.impl):
 * - the simplified form (principal + keytab-file, no security-realm) makes a temporary JAAS
 *   realm with Krb5LoginModule options keyTab, doNotPrompt=true, useKeyTab=true, storeKey=true,
 *   isInitiator (true for the identity, false for the authentication side), principal,
 *   refreshKrb5Config=true (SecurityUtil.createKerberosJaasRealmConfig);
 * - the SPN is spn, or service-name-prefix (default "hz/") + the member address (its canonical
 *   host name with use-canonical-hostname), then "@" + realm when <realm> is set
 *   (KerberosCredentialsFactory.newCredentials); spn and service-name-prefix together, or
 *   security-realm with principal/keytab-file on the identity, are configuration errors.
 */
import { KRB5_LOGIN_MODULE } from '../../gss/java/jaas';
import type { HazelcastKerberosAuthentication, HazelcastKerberosIdentity, HazelcastLoginModule, HazelcastRealm, HazelcastSecurity } from '../../api/hazelcast';
import type { ExportModel } from '../types';
import type { LoginOptions } from '../java/jaas-file';

export const DEFAULT_SERVICE_NAME_PREFIX = 'hz/';
/** Where the README tells the user to put the files: the config directory of Hazelcast's distribution and images. */
export const HAZELCAST_DIR = '/opt/hazelcast/config';
export const HAZELCAST_KEYTAB = `${HAZELCAST_DIR}/hazelcast.keytab`;
export const HAZELCAST_KRB5_CONF = `${HAZELCAST_DIR}/krb5.conf`;
export const MEMBER_REALM = 'kerberosRealm';
export const INITIATOR_REALM = 'krb5Initiator';
export const ACCEPTOR_REALM = 'krb5Acceptor';

/** Hazelcast's words for its own configuration errors (InvalidConfigurationException). */
export const HZ_SPN_AND_PREFIX = 'Service name must not be configured together with the service name prefix.';
export const HZ_REALM_AND_KEYTAB = 'The principal and keytabFile must not be configured when securityRealm is used.';

/** The options SecurityUtil.createKerberosJaasRealmConfig gives Krb5LoginModule (Sun/Oracle/OpenJDK JVMs). */
export function simplifiedLoginOptions(principal: string | undefined, keytabFile: string, isInitiator: boolean): LoginOptions {
  const options: LoginOptions = { keyTab: keytabFile, doNotPrompt: 'true', useKeyTab: 'true', storeKey: 'true', isInitiator: String(isInitiator) };
  if (principal) options.principal = principal;
  options.refreshKrb5Config = 'true';
  return options;
}

/** The member SPN Hazelcast asks for when it connects to a member at `address` (its canonical name when resolved). */
export function memberSpn(identity: HazelcastKerberosIdentity | undefined, address: string, canonicalHost?: string): string {
  let name = identity?.spn;
  if (name === undefined) {
    const host = identity?.useCanonicalHostname ? (canonicalHost ?? address) : address;
    name = (identity?.serviceNamePrefix ?? DEFAULT_SERVICE_NAME_PREFIX) + host;
  }
  return identity?.realm ? `${name}@${identity.realm}` : name;
}

/** The identity's SPN settings from the export options: prefix (+ address), canonical host names, or one static SPN. */
function spnSettings(model: ExportModel): { identity: HazelcastKerberosIdentity; acceptor: string } {
  const choice = model.options.hazelcastSpn ?? { kind: 'prefix' };
  if (choice.kind === 'static') {
    const at = choice.spn.lastIndexOf('@');
    const realm = at > 0 ? choice.spn.slice(at + 1) : model.realm;
    const spn = at > 0 ? choice.spn.slice(0, at) : choice.spn;
    return { identity: { realm, spn }, acceptor: `${spn}@${realm}` };
  }
  const prefix = choice.prefix ?? DEFAULT_SERVICE_NAME_PREFIX;
  if (choice.kind === 'canonical') {
    // generate() is pure: the canonical name is the one given (--host), else the member principal's host stands in.
    const host = model.options.host ?? model.hazelcast.host;
    return { identity: { realm: model.realm, serviceNamePrefix: prefix, useCanonicalHostname: true }, acceptor: `${prefix}${host}@${model.realm}` };
  }
  const address = choice.address ?? model.hazelcast.host;
  return { identity: { realm: model.realm, serviceNamePrefix: prefix }, acceptor: `${prefix}${address}@${model.realm}` };
}

function krb5Module(options: LoginOptions): HazelcastLoginModule {
  return { className: KRB5_LOGIN_MODULE, usage: 'REQUIRED', properties: options };
}

/** The security section the export writes: one member realm (identity + authentication), and in the full form its two JAAS realms. */
export function securityFromModel(model: ExportModel): HazelcastSecurity {
  const { identity: spn, acceptor } = spnSettings(model);
  const form = model.options.hazelcastForm ?? 'simple';
  const member = model.hazelcast.principal;
  const naming: Partial<HazelcastKerberosAuthentication> = model.options.useNameWithoutRealm === undefined ? {} : { useNameWithoutRealm: model.options.useNameWithoutRealm };
  const realms: HazelcastRealm[] = [];
  if (form === 'simple') {
    realms.push({
      name: MEMBER_REALM,
      authentication: { principal: acceptor, keytabFile: HAZELCAST_KEYTAB, ...naming },
      identity: { ...spn, principal: member, keytabFile: HAZELCAST_KEYTAB },
    });
  } else {
    realms.push(
      { name: MEMBER_REALM, authentication: { securityRealm: ACCEPTOR_REALM, ...naming }, identity: { ...spn, securityRealm: INITIATOR_REALM } },
      { name: INITIATOR_REALM, jaas: [krb5Module({ ...simplifiedLoginOptions(member, HAZELCAST_KEYTAB, true), useTicketCache: 'false' })] },
      { name: ACCEPTOR_REALM, jaas: [krb5Module({ ...simplifiedLoginOptions(acceptor, HAZELCAST_KEYTAB, false), useTicketCache: 'false' })] },
    );
  }
  return { enabled: true, realms, memberAuthentication: MEMBER_REALM, clientAuthentication: MEMBER_REALM };
}

// ---- what a security section runs with ----------------------------------------------------------

export interface SideOptions {
  /** The Krb5LoginModule options, or null when the side has none (and why). */
  options: LoginOptions | null;
  /** "simplified form (principal + keytab-file)", "JAAS realm krb5Acceptor". */
  source: string;
  why?: string;
}

/** The realm members authenticate with: member-authentication's, else the first with a Kerberos side. */
export function memberRealm(security: HazelcastSecurity): HazelcastRealm | undefined {
  const named = security.realms.find((r) => r.name === security.memberAuthentication);
  return named ?? security.realms.find((r) => r.identity || r.authentication);
}

function jaasRealmOptions(security: HazelcastSecurity, name: string): SideOptions {
  const realm = security.realms.find((r) => r.name === name);
  if (!realm) return { options: null, source: `security-realm ${name}`, why: `no realm named "${name}"` };
  const module = realm.jaas?.find((m) => m.className === KRB5_LOGIN_MODULE);
  if (!module) return { options: null, source: `JAAS realm ${name}`, why: `realm "${name}" has no ${KRB5_LOGIN_MODULE} login module` };
  return { options: { ...module.properties }, source: `JAAS realm ${name}` };
}

function sideOptions(security: HazelcastSecurity, side: { securityRealm?: string; principal?: string; keytabFile?: string } | undefined, isInitiator: boolean): SideOptions {
  if (!side) return { options: null, source: 'none', why: `the realm has no kerberos ${isInitiator ? 'identity' : 'authentication'}` };
  if (side.securityRealm) return jaasRealmOptions(security, side.securityRealm);
  if (side.keytabFile) return { options: simplifiedLoginOptions(side.principal, side.keytabFile, isInitiator), source: 'simplified form (principal + keytab-file)' };
  return { options: null, source: 'none', why: 'neither security-realm nor keytab-file: Hazelcast would log in with no Subject (Java GSS defaults)' };
}

export function identityOptions(security: HazelcastSecurity, realm = memberRealm(security)): SideOptions {
  return sideOptions(security, realm?.identity, true);
}

export function authenticationOptions(security: HazelcastSecurity, realm = memberRealm(security)): SideOptions {
  return sideOptions(security, realm?.authentication, false);
}

/** What Hazelcast calls the authenticated user: use-name-without-realm cuts "@REALM". */
export function hazelcastUserName(principal: string, useNameWithoutRealm: boolean | undefined): string {
  if (!useNameWithoutRealm) return principal;
  const at = principal.lastIndexOf('@');
  return at > 0 ? principal.slice(0, at) : principal;
}

function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => [k, sortedKeys(v)]));
}

/** The security as settings only (no lines, no unset keys, keys sorted): what a round trip must keep. */
export function settingsOf(security: HazelcastSecurity): unknown {
  return sortedKeys({ ...security, realms: security.realms.map(({ line: _line, ...realm }) => realm) });
}
