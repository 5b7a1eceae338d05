/**
 * What an ES 8 node's Kerberos realm makes of a principal, and the `GET /_security/_authenticate`
 * body it answers.
 *
 * KerberosRealm.resolveUser splits the principal on "@" (String.split): username is the whole
 * principal, or with remove_realm_name the part before the first "@"; metadata is
 * {kerberos_user_principal_name, kerberos_realm} where kerberos_realm is the part after the first
 * "@" (so "a@b@R" gives realm "b", an ES quirk kept here) and is absent for a principal without
 * one. Roles come from the role mappings only (the realm has no groups, full_name or email).
 *
 * KerberosAuthenticationToken.extractToken: only an Authorization header starting with
 * "Negotiate " (any case, with the space) is Kerberos's; "Negotiate" alone is not, and ends as
 * "missing authentication credentials". An empty token and bad base64 (Java's strict
 * Base64.getDecoder()) are 401s with ES's texts.
 */
import type { EsKerberosRealmSettings, RoleMappingUser } from '../../api/http';
import { securityException, type EsErrorBody } from './errors';

export const KERBEROS_METADATA_REALM = 'kerberos_realm';
export const KERBEROS_METADATA_UPN = 'kerberos_user_principal_name';

/** The rule model's user for an authenticated principal ("alice@BENCH.TEST"). */
export function kerberosUser(principal: string, realm: Pick<EsKerberosRealmSettings, 'name' | 'removeRealmName'>): RoleMappingUser {
  const parts = principal.split('@');
  const metadata: Record<string, string> = { [KERBEROS_METADATA_UPN]: principal };
  if (parts.length > 1 && parts[1] !== undefined) metadata[KERBEROS_METADATA_REALM] = parts[1];
  return { username: realm.removeRealmName ? parts[0]! : principal, realmName: realm.name, metadata, groups: [] };
}

/** ES's `_authenticate` answer (User + Authentication.toXContent), for a Kerberos user. */
export interface EsAuthenticateBody {
  username: string;
  roles: string[];
  full_name: string | null;
  email: string | null;
  metadata: Record<string, unknown>;
  enabled: boolean;
  authentication_realm: { name: string; type: string };
  lookup_realm: { name: string; type: string };
  authentication_type: 'realm';
}

export function kerberosAuthenticateBody(user: RoleMappingUser, roles: string[]): EsAuthenticateBody {
  const realm = { name: user.realmName, type: 'kerberos' };
  return {
    username: user.username,
    roles: [...roles],
    full_name: null,
    email: null,
    metadata: { ...user.metadata },
    enabled: true,
    authentication_realm: realm,
    lookup_realm: { ...realm },
    authentication_type: 'realm',
  };
}

/** A Basic user of the node's own user list: ES's file realm ("default_file") unless said otherwise. */
export interface EsBasicUser {
  username: string;
  roles: string[];
  realm?: { name: string; type: 'file' | 'native' };
  fullName?: string | null;
  email?: string | null;
}

export function basicAuthenticateBody(user: EsBasicUser): EsAuthenticateBody {
  const realm = user.realm ?? { name: 'default_file', type: 'file' };
  return {
    username: user.username,
    roles: [...user.roles],
    full_name: user.fullName ?? null,
    email: user.email ?? null,
    metadata: {},
    enabled: true,
    authentication_realm: { ...realm },
    lookup_realm: { ...realm },
    authentication_type: 'realm',
  };
}

export type KerberosTokenExtraction =
  /** Not a Negotiate header: other realms (Basic) may take it; no header at all → missing credentials. */
  | { kind: 'none' }
  | { kind: 'token'; token: Buffer }
  /** A Negotiate header ES refuses before any GSS work: answer `error` (401). */
  | { kind: 'invalid'; error: EsErrorBody };

const NEGOTIATE_PREFIX = 'negotiate ';

/** KerberosAuthenticationToken.extractToken. `challenges`: the node's WWW-Authenticate values (esChallenges). */
export function extractKerberosToken(authorization: string | undefined, challenges: string[]): KerberosTokenExtraction {
  if (!authorization || authorization.slice(0, NEGOTIATE_PREFIX.length).toLowerCase() !== NEGOTIATE_PREFIX) return { kind: 'none' };
  const encoded = authorization.slice(NEGOTIATE_PREFIX.length).trim();
  if (encoded === '') {
    return { kind: 'invalid', error: securityException('invalid negotiate authentication header value, expected base64 encoded token but value is empty', challenges) };
  }
  const problem = javaBase64Problem(encoded);
  if (problem) {
    const reason = `invalid negotiate authentication header value, could not decode base64 token ${encoded}`;
    return { kind: 'invalid', error: securityException(reason, challenges, { type: 'illegal_argument_exception', reason: problem }) };
  }
  return { kind: 'token', token: Buffer.from(encoded, 'base64') };
}

/** What java.util.Base64.getDecoder().decode() would throw for this text, or null when it decodes. */
export function javaBase64Problem(text: string): string | null {
  const bad = /[^A-Za-z0-9+/=]/.exec(text);
  const padAt = text.indexOf('=');
  const firstBad = bad && (padAt < 0 || bad.index < padAt) ? bad : null;
  if (firstBad) return `Illegal base64 character ${firstBad[0].charCodeAt(0).toString(16)}`;
  const data = padAt < 0 ? text : text.slice(0, padAt);
  const padding = padAt < 0 ? '' : text.slice(padAt);
  if (data.length % 4 === 1) return 'Last unit does not have enough valid bits';
  if (padding === '') return null;
  const validPadding = (data.length % 4 === 2 && padding === '==') || (data.length % 4 === 3 && padding === '=');
  if (!validPadding && /^=+$/.test(padding)) return 'Input byte array has wrong 4-byte ending unit';
  if (!validPadding) return `Input byte array has incorrect ending byte at ${padAt + padding.search(/[^=]/)}`;
  return null;
}
