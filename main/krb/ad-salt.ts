/**
 * The salts Active Directory derives AES keys with (MS-KILE §3.1.1.2), which MIT's "normal" salt
 * (realm + every name component) does not give for service principals:
 *
 *   user and service accounts   REALM (upper case) + sAMAccountName, case kept: "AD.TESTsvc-mqtt"
 *   computer accounts           REALM + "host" + lower-cased name without "$" + "." + lower-cased realm:
 *                               "AD.TESThostws1.ad.test"
 *
 * Checked against a Samba 4.17 DC (keys of samba-tool domain exportkeytab, test/unit/ad-salt.test.ts
 * holds them as vectors). One more Samba rule seen there: a user whose userPrincipalName's name
 * part differs from its sAMAccountName is salted with the UPN's name part (sAMAccountName
 * upn-1, UPN other-1@AD.TEST → "AD.TESTother-1"): give that name (or the whole UPN) as the account.
 *
 * A keytab made for mqtt/broker.ad.test with MIT's salt ("AD.TESTmqttbroker.ad.test") holds keys
 * the DC never made: the ticket is found but cannot be decrypted. (RC4 keys take no salt.)
 */
import { Buffer } from 'node:buffer';
import { timingSafeEqual } from 'node:crypto';
import { getEnctype } from './crypto';
import type { Principal } from './names';

/** How a key's salt was made: MIT's default, AD's for a user or service account, AD's for a computer. */
export type SaltKind = 'mit' | 'ad-user' | 'ad-computer';

export interface AdAccount {
  realm: string;
  /** sAMAccountName (a computer's may end with "$"), or a user's UPN ("name@suffix": its name part salts). */
  account: string;
  computer?: boolean;
}

export function adSalt({ realm, account, computer }: AdAccount): string {
  const upper = realm.toUpperCase();
  if (computer) return `${upper}host${account.replace(/\$$/, '').toLowerCase()}.${realm.toLowerCase()}`;
  const at = account.lastIndexOf('@');
  return `${upper}${at > 0 ? account.slice(0, at) : account}`;
}

/** A salt to try, and how it was made. */
export interface SaltCandidate {
  kind: SaltKind;
  salt: string;
  /** The AD account the salt names (ad-user, ad-computer). */
  account?: string;
}

/** MIT's "normal" salt: the realm followed by every name component (same as keytab.ts defaultSalt). */
function mitSalt(principal: Pick<Principal, 'realm' | 'components'>): string {
  return principal.realm + principal.components.join('');
}

/** The salt of one kind for a principal; ad-* need the account. */
export function saltOf(principal: Pick<Principal, 'realm' | 'components'>, kind: SaltKind, account?: string): SaltCandidate {
  if (kind === 'mit') return { kind, salt: mitSalt(principal) };
  if (!account) throw new RangeError(`an ${kind === 'ad-computer' ? 'AD computer' : 'AD account'} salt needs the account name (sAMAccountName)`);
  return { kind, salt: adSalt({ realm: principal.realm, account, computer: kind === 'ad-computer' }), account };
}

/**
 * The salts worth trying for a principal's keys: MIT's default; for a one-component name (a user)
 * the AD user salt of that name; for host/NAME.domain the AD computer salt of NAME; with `account`,
 * both AD salts of it. Duplicates (a user's MIT and AD salts are the same string) are kept once,
 * the first kind named.
 */
export function saltCandidates(principal: Pick<Principal, 'realm' | 'components'>, account?: string): SaltCandidate[] {
  const out: SaltCandidate[] = [];
  const add = (candidate: SaltCandidate) => {
    if (!out.some((c) => c.salt === candidate.salt)) out.push(candidate);
  };
  if (account) {
    add(saltOf(principal, 'ad-user', account));
    add(saltOf(principal, 'ad-computer', account));
  }
  add(saltOf(principal, 'mit'));
  const [first, second] = principal.components;
  if (principal.components.length === 1 && first) {
    add(saltOf(principal, 'ad-user', first));
    if (first.endsWith('$')) add(saltOf(principal, 'ad-computer', first));
  }
  if (principal.components.length === 2 && second && /^[a-z0-9-]+\./i.test(second)) add(saltOf(principal, 'ad-computer', second.split('.')[0]!));
  return out;
}

const RC4_HMAC = 23;
const RC4_HMAC_EXP = 24;

/** Enctypes whose string-to-key takes no salt: the key is the password's NT hash (RFC 4757). */
export function enctypeUsesSalt(enctype: number): boolean {
  return enctype !== RC4_HMAC && enctype !== RC4_HMAC_EXP;
}

/**
 * Which candidate salt, with `password`, derives `key`; null when none does (another password, or a
 * salt not among the candidates) and when the enctype takes no salt or the bench cannot derive it.
 */
export function identifySalt(key: Uint8Array, enctype: number, password: string, candidates: readonly SaltCandidate[]): SaltCandidate | null {
  const type = getEnctype(enctype);
  if (!type || !enctypeUsesSalt(enctype)) return null;
  for (const candidate of candidates) {
    const derived = type.stringToKey(password, candidate.salt);
    if (derived.length === key.length && timingSafeEqual(derived, Buffer.from(key))) return candidate;
  }
  return null;
}

export { describeSalt } from './wording';
